"""The labeling workspace at every size, its object panel and the behaviour fixes, in a real browser:
the object panel visible without scrolling at 1440×900 and grouped by type (swatch, attributes,
origin, score); hide and lock honoured by drawing and hit tests; hover highlight both ways; per-type
hide from the legend; the image list's collapse remembered; the phone layout (canvas first, bottom bar
with large targets, drawers opened and closed with the keyboard); no sideways scroll at 360 px; keep
selection off by default with a proposal never saved unseen; delete with an "Undo" toast; offline
sentences; the conflict dialog drawing both versions. Screenshots go to test-artifacts/workspace/ and
/tmp/shots13/ (IT_SHOTS13 overrides) for a person to look at.
"""

import io
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from annotations import services
from annotations.models import Annotation, Origin
from annotations.votes import cast_vote
from e2e.conftest import ARTIFACTS
from e2e.helpers import log_in, png_bytes
from e2e.test_annotate_schema import CAR, PERSON, _box, closest, pixel_near, world  # noqa: F401 (world: a fixture)
from images.ingest import add_image_file
from images.models import Image

pytestmark = pytest.mark.django_db(transaction=True)

WIDTH, HEIGHT = 400, 300
SHOT_DIRS = [ARTIFACTS / "workspace", Path(os.environ.get("IT_SHOTS13", "/tmp/shots13"))]


@pytest.fixture
def workspace(world):  # noqa: F811 (the label-schema tests' fixture)
    """The label-schema tests' team, set and types (car with attributes, person, the tag night), and a third image."""
    add_image_file(
        world["set"], name="img2.png", fileobj=io.BytesIO(png_bytes(WIDTH, HEIGHT, 2)), uploader=world["user"]
    )
    world["images"] = list(Image.objects.filter(image_set=world["set"]).order_by("name"))
    return world


def drag(page, start, end, steps=4):
    """Press at ``start``, move to ``end`` in ``steps``, release (client pixels)."""
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=steps)
    page.mouse.up()


def label(workspace, annotation_type, vector, *, actor=None, image=None, **fields):
    annotation, _ = services.create_annotation(
        actor=actor or workspace["user"],
        image=image or workspace["images"][0],
        annotation_type=annotation_type,
        vector=vector,
        **fields,
    )
    return annotation


def three_labels(workspace):
    """A blue car (by the labeler), a machine-made car and a person accepted once (score +1)."""
    car = label(workspace, workspace["car"], _box(40, 40, 160, 140), attributes={"colour": "blue"})
    machine = label(
        workspace, workspace["car"], _box(60, 170, 180, 280), origin=Origin.MACHINE, model_name="yolo", confidence=0.9
    )
    person = label(workspace, workspace["person"], _box(230, 60, 370, 260))
    cast_vote(actor=workspace["other"], annotation=person, vote="accept")
    return car, machine, person


def open_annotate(page, live_server, workspace, image=None, size=(1440, 900)):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    log_in(page, live_server, workspace["user"])
    image = image or workspace["images"][0]
    page.goto(f"/annotations/{image.pk}/")
    wait_for_image(page, image)
    page.evaluate("() => window.annotatePage.drawSettled()")


def wait_for_image(page, image):
    expect(page.locator("body")).to_have_attribute("data-annotate-image", str(image.pk))


def wait_saved(page):
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")


def client(page, x, y):
    point = page.evaluate(f"() => window.annotatePage.imageToClient({x}, {y})")
    return round(point["x"]), round(point["y"])


def shoot(page, name):
    for folder in SHOT_DIRS:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"))


def inside_viewport(page, selector):
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    assert box is not None, selector
    assert box["x"] >= 0, (selector, box)
    assert box["y"] >= 0, (selector, box)
    assert box["x"] + box["width"] <= size["width"] + 0.5, (selector, box)
    assert box["y"] + box["height"] <= size["height"] + 0.5, (selector, box)
    return box


def no_sideways_scroll(page):
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], widths


def row(page, annotation):
    return page.locator(f"#annotation-list .list-group-item[data-id='{annotation.pk}']")


def test_object_panel_is_on_the_first_screen_and_groups_labels_by_type(page, live_server, workspace):
    car, machine, person = three_labels(workspace)
    open_annotate(page, live_server, workspace)
    assert page.evaluate("() => document.documentElement.scrollHeight <= window.innerHeight"), "no page scroll"
    inside_viewport(page, "#object-panel")
    inside_viewport(page, "#annotate-canvas")
    inside_viewport(page, "#save-status")
    inside_viewport(page, "#image-list")
    groups = page.locator("#annotation-list .object-group")
    expect(groups).to_have_count(2)
    expect(groups.nth(0).locator(".object-group-name")).to_have_text("car")
    expect(groups.nth(0).locator(".object-group-count")).to_have_text("2")
    expect(groups.nth(1).locator(".object-group-name")).to_have_text("person")
    assert (
        groups.nth(1).locator(".type-swatch").evaluate("el => getComputedStyle(el).backgroundColor")
        == "rgb(67, 99, 216)"
    )
    # Rows follow their group (car, car, person), each with its colour, summary, origin and score.
    rows = page.locator("#annotation-list > li")
    classes = [rows.nth(index).get_attribute("class").split()[0] for index in range(rows.count())]
    assert classes == ["object-group", "list-group-item", "list-group-item", "object-group", "list-group-item"]
    expect(row(page, car).locator(".attribute-summary")).to_have_text("occluded: no, doors: 4, colour: blue")
    expect(row(page, car).locator(".object-origin")).to_contain_text("made by a person")
    expect(row(page, machine).locator(".object-origin")).to_contain_text("machine-made")
    expect(row(page, machine).locator(".object-origin .bi-cpu")).to_have_count(1)
    expect(row(page, person).locator(".object-score")).to_have_text("score +1")
    expect(row(page, car).locator(".object-score")).to_have_text("score 0")
    assert row(page, car).evaluate("el => getComputedStyle(el).borderLeftColor") == "rgb(230, 25, 75)"
    # Enter on a focused row (or a click) selects the label for editing.
    row(page, machine).focus()
    expect(page.locator("body")).to_have_attribute("data-hover", str(machine.uuid))  # focus highlights it
    page.keyboard.press("Enter")
    expect(page.locator("#edit-banner")).to_contain_text(f"#{machine.pk}")
    row(page, person).click()
    expect(page.locator("#edit-banner")).to_contain_text(f"#{person.pk}")
    expect(page.locator("#annotation-list .list-group-item.active")).to_have_attribute("data-id", str(person.pk))
    shoot(page, "annotate-1440x900")


def test_hidden_labels_are_not_drawn_nor_hit_and_locked_ones_are_drawn_but_not_editable(page, live_server, workspace):
    car = label(workspace, workspace["car"], _box(40, 40, 160, 140))
    open_annotate(page, live_server, workspace, size=(1280, 900))
    edge = (100, 40)
    assert closest(pixel_near(page, *edge), CAR) < 40
    # Hidden: not drawn, and a click on it selects nothing.
    row(page, car).locator(".object-hide").click()
    expect(row(page, car).locator(".object-hide")).to_have_attribute("aria-pressed", "true")
    page.evaluate("() => window.annotatePage.drawSettled()")
    assert closest(pixel_near(page, *edge), CAR) > 60, "a hidden label is not drawn"
    page.mouse.click(*client(page, 100, 90))
    expect(page.locator("#edit-banner")).to_be_hidden()
    assert page.evaluate("() => window.annotatePage.editor.selection") is None
    assert (
        page.evaluate(f"() => window.annotatePage.isInteractive(window.annotatePage.state.records.get('{car.uuid}'))")
        is False
    )
    row(page, car).locator(".object-hide").click()
    page.evaluate("() => window.annotatePage.drawSettled()")
    assert closest(pixel_near(page, *edge), CAR) < 40
    # Locked: drawn, but a click or a drag on it changes nothing.
    row(page, car).locator(".object-lock").click()
    expect(row(page, car).locator(".object-lock")).to_have_attribute("aria-pressed", "true")
    page.evaluate("() => window.annotatePage.drawSettled()")
    assert closest(pixel_near(page, *edge), CAR) < 40, "a locked label is drawn"
    page.mouse.click(*client(page, 100, 90))
    expect(page.locator("#edit-banner")).to_be_hidden()
    assert page.evaluate("() => window.annotatePage.state.locked.size") == 1
    start, end = client(page, 100, 90), client(page, 140, 120)
    drag(page, start, end, steps=5)
    page.keyboard.press("r")  # the drag drew a new box (not a move): drop it
    page.keyboard.press("v")
    wait_saved(page)
    car.refresh_from_db()
    assert car.vector == _box(40, 40, 160, 140)
    assert car.version == 1
    assert Annotation.objects.count() == 1
    # Unlocked, a click selects it again.
    row(page, car).locator(".object-lock").click()
    page.mouse.click(*client(page, 100, 90))
    expect(page.locator("#edit-banner")).to_contain_text(f"#{car.pk}")


def test_hover_highlights_the_label_on_the_canvas_and_its_row(page, live_server, workspace):
    car, _machine, person = three_labels(workspace)
    open_annotate(page, live_server, workspace, size=(1280, 900))
    row(page, person).hover()
    expect(page.locator("body")).to_have_attribute("data-hover", str(person.uuid))
    page.evaluate("() => window.annotatePage.drawSettled()")
    # Drawn on top, wider: the pixels just outside the person's top edge take its colour too.
    assert closest(pixel_near(page, 300, 60, radius=2), PERSON) < 40
    # From the canvas: the row under the pointer is highlighted.
    page.mouse.move(*client(page, 100, 41))
    page.mouse.move(*client(page, 100, 40))
    expect(row(page, car)).to_have_class(re.compile(r"\bhovered\b"))
    expect(page.locator("#annotation-list .hovered")).to_have_count(1)
    page.mouse.move(*client(page, 300, 5))
    expect(page.locator("#annotation-list .hovered")).to_have_count(0)


def test_a_type_hidden_from_the_legend_or_its_group_header(page, live_server, workspace):
    _car, _machine, person = three_labels(workspace)
    open_annotate(page, live_server, workspace, size=(1280, 900))
    person_edge = (300, 60)
    assert closest(pixel_near(page, *person_edge), PERSON) < 40
    eye = page.locator(f"#type-legend .legend-eye[data-type-id='{workspace['person'].pk}']")
    eye.click()
    expect(eye).to_have_attribute("aria-pressed", "true")
    header_eye = page.locator(f"#annotation-list .object-type-hide[data-type-id='{workspace['person'].pk}']")
    expect(header_eye).to_have_attribute("aria-pressed", "true")
    page.evaluate("() => window.annotatePage.drawSettled()")
    assert closest(pixel_near(page, *person_edge), PERSON) > 60
    page.locator("#annotate-canvas").focus()
    page.keyboard.press("2")  # draw persons: a click inside the hidden one selects nothing
    page.mouse.click(*client(page, 300, 150))
    assert page.evaluate("() => window.annotatePage.editor.selection") is None
    expect(page.locator("#edit-banner")).to_be_hidden()
    assert (
        page.evaluate(f"() => window.annotatePage.isVisible(window.annotatePage.state.records.get('{person.uuid}'))")
        is False
    )
    header_eye.click()  # the group header's eye shows them again, and the legend follows
    expect(eye).to_have_attribute("aria-pressed", "false")
    page.evaluate("() => window.annotatePage.drawSettled()")
    assert closest(pixel_near(page, *person_edge), PERSON) < 40


def test_the_image_list_collapses_and_stays_so(page, live_server, workspace):
    open_annotate(page, live_server, workspace)
    width = page.locator("#annotate-canvas").bounding_box()["width"]
    toggle = page.locator("#image-list-toggle")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    toggle.click()
    expect(page.locator("#image-list-panel")).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    page.wait_for_function(
        f"() => document.getElementById('annotate-canvas').getBoundingClientRect().width > {width + 100}"
    )
    page.reload()
    wait_for_image(page, workspace["images"][0])
    expect(page.locator("#image-list-panel")).to_be_hidden()
    page.locator("#image-list-toggle").press("Enter")
    expect(page.locator("#image-list-panel")).to_be_visible()
    expect(page.locator(".image-list-row.active")).to_have_text("img0.png")


def test_tablet_layout(page, live_server, workspace):
    three_labels(workspace)
    open_annotate(page, live_server, workspace, size=(1024, 768))
    no_sideways_scroll(page)
    canvas = inside_viewport(page, "#annotate-canvas")
    assert canvas["width"] > 600, canvas
    assert canvas["height"] > 400, canvas
    inside_viewport(page, "#object-panel")
    expect(page.locator("#image-list")).to_be_hidden()  # a drawer here
    page.locator("#image-drawer-button").click()
    expect(page.locator(".image-list-row.active")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#image-list")).to_be_hidden()
    shoot(page, "annotate-1024x768")
    page.set_viewport_size({"width": 820, "height": 1180})
    page.evaluate("() => window.annotatePage.drawSettled()")
    no_sideways_scroll(page)
    shoot(page, "annotate-820x1180")


def test_phone_layout_canvas_first_bottom_bar_and_drawers(page, live_server, workspace):
    car, _machine, _person = three_labels(workspace)
    open_annotate(page, live_server, workspace, size=(390, 844))
    no_sideways_scroll(page)
    canvas = page.locator("#annotate-canvas").bounding_box()
    assert 0 <= canvas["y"] < 844 / 3, canvas
    assert canvas["height"] > 844 / 2, canvas
    assert canvas["width"] >= 370, canvas
    for name in ["images", "undo", "previous", "save", "next", "objects"]:
        box = inside_viewport(page, f"#bottom-{name}")
        assert box["height"] >= 44, (name, box)
        assert box["width"] >= 44, (name, box)
    type_box = inside_viewport(page, "#bottom-type")
    assert type_box["height"] >= 44
    shoot(page, "annotate-390x844")
    # The object panel: a drawer opened and closed with the keyboard; focus goes in and back.
    expect(page.locator("#object-panel")).to_be_hidden()
    page.locator("#bottom-objects").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#object-panel")).to_be_visible()
    page.wait_for_function("() => document.getElementById('object-panel').contains(document.activeElement)")
    expect(row(page, car)).to_be_visible()
    shoot(page, "annotate-390x844-objects")
    page.keyboard.press("Escape")
    expect(page.locator("#object-panel")).to_be_hidden()
    page.wait_for_function("() => document.activeElement.id === 'bottom-objects'")
    # The image list likewise; choosing an image closes it.
    page.locator("#bottom-images").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".image-list-row.active")).to_be_visible()
    page.wait_for_function("() => document.getElementById('image-drawer').contains(document.activeElement)")
    shoot(page, "annotate-390x844-images")
    page.keyboard.press("Escape")
    expect(page.locator("#image-list")).to_be_hidden()
    page.locator("#bottom-images").click()
    page.locator(".image-list-row", has_text="img1.png").click()
    wait_for_image(page, workspace["images"][1])
    expect(page.locator("#image-list")).to_be_hidden()
    # The bottom bar labels: a box drawn with the finger's stand-in, saved and moved on with "Next".
    page.evaluate("() => window.annotatePage.drawSettled()")
    start, end = client(page, 50, 50), client(page, 150, 120)
    drag(page, start, end, steps=4)
    page.locator("#bottom-next").click()
    wait_for_image(page, workspace["images"][2])
    wait_saved(page)
    assert Annotation.objects.filter(image=workspace["images"][1]).count() == 1
    page.locator("#bottom-type").select_option(str(workspace["person"].pk))
    expect(page.locator("#annotation-type")).to_have_value(str(workspace["person"].pk))


def test_no_sideways_scroll_at_360_on_the_annotate_and_verification_pages(page, live_server, workspace):
    _car, machine, _person = three_labels(workspace)
    open_annotate(page, live_server, workspace, size=(360, 740))
    no_sideways_scroll(page)
    page.locator("#bottom-objects").click()
    expect(page.locator("#object-panel")).to_be_visible()
    no_sideways_scroll(page)
    for name in ["images", "undo", "previous", "save", "next", "objects"]:
        inside_viewport(page, f"#bottom-{name}")
    shoot(page, "annotate-360x740-objects")
    page.keyboard.press("Escape")
    log_in(page, live_server, workspace["other"])
    page.goto(f"/annotations/{machine.pk}/verify/")
    expect(page.locator("body")).to_have_attribute("data-verify-annotation", str(machine.pk))
    no_sideways_scroll(page)
    shoot(page, "verify-360x740")


def test_keep_selection_off_by_default_and_a_kept_shape_is_a_proposal_never_saved_unseen(page, live_server, workspace):
    first, second, third = workspace["images"]
    open_annotate(page, live_server, workspace)
    expect(page.locator("#keep-selection")).not_to_be_checked()
    page.locator("#keep-selection").check()
    page.locator("#annotate-canvas").focus()
    start, end = client(page, 50, 50), client(page, 150, 120)
    drag(page, start, end, steps=4)
    page.keyboard.press("f")
    wait_for_image(page, second)
    expect(page.locator("#proposal-banner")).to_be_visible()
    page.evaluate("() => window.annotatePage.drawSettled()")
    assert closest(pixel_near(page, 100, 50, radius=4), CAR) < 60, "the proposal is drawn"
    shoot(page, "annotate-proposal")
    page.keyboard.press("f")  # moving on: the proposal is dropped, unsaved
    wait_for_image(page, third)
    wait_saved(page)
    assert Annotation.objects.filter(image=second).count() == 0
    expect(page.locator("#proposal-banner")).to_be_hidden()
    page.keyboard.press("s")
    wait_for_image(page, second)
    expect(page.locator("#proposal-banner")).to_be_hidden()  # s saves nothing: nothing to keep
    page.keyboard.press("s")
    wait_for_image(page, first)
    drag(page, client(page, 60, 60), client(page, 170, 130), steps=4)
    page.keyboard.press("f")
    wait_for_image(page, second)
    expect(page.locator("#proposal-banner")).to_be_visible()
    page.keyboard.press("Enter")
    wait_saved(page)
    saved = Annotation.objects.get(image=second)
    assert saved.vector == _box(60, 60, 170, 130)
    assert Annotation.objects.filter(image=first).count() == 2


def test_delete_at_once_with_an_undo_toast(page, live_server, workspace):
    car = label(workspace, workspace["car"], _box(40, 40, 160, 140), attributes={"colour": "red"})
    open_annotate(page, live_server, workspace)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    row(page, car).click()
    page.locator("#annotate-canvas").focus()
    page.keyboard.press("Delete")
    toast = page.locator("#toast-area .toast")
    expect(toast).to_contain_text("The car label was deleted.")
    wait_saved(page)
    assert not Annotation.objects.filter(pk=car.pk).exists()
    # The toast's button, with the keyboard.
    toast.locator(".toast-action").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#annotation-count")).to_have_text("1")
    wait_saved(page)
    again = Annotation.objects.get(uuid=car.uuid)
    assert again.vector == car.vector
    assert again.attributes == {"occluded": False, "doors": 4, "colour": "red"}
    # Ctrl+Z does the same.
    page.locator("#annotation-list .list-group-item").first.click()
    page.locator("#delete-button").click()
    wait_saved(page)
    assert not Annotation.objects.filter(uuid=car.uuid).exists()
    page.locator("#annotate-canvas").focus()
    page.keyboard.press("Control+z")
    wait_saved(page)
    assert Annotation.objects.filter(uuid=car.uuid).exists()
    assert dialogs == [], "no confirm() or alert()"


def test_offline_changes_are_explained_in_a_sentence(page, live_server, workspace):
    open_annotate(page, live_server, workspace)
    page.context.set_offline(True)
    for index in range(3):
        start, end = client(page, 20 + index * 100, 40), client(page, 90 + index * 100, 120)
        drag(page, start, end, steps=3)
        page.keyboard.press("v")
    sentence = "Not connected — 3 changes are kept in this browser and will be sent when the connection is back."
    expect(page.locator("#unsent-error")).to_have_text(sentence, timeout=15_000)
    expect(page.locator("#unsent-panel")).to_be_visible()
    inside_viewport(page, "#unsent-panel")
    assert "Failed to fetch" not in page.locator("body").inner_text()
    shoot(page, "annotate-offline")
    page.context.set_offline(False)
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved", timeout=20_000)
    assert Annotation.objects.count() == 3


@pytest.mark.parametrize("size", [(1440, 900), (390, 844)], ids=["desktop", "phone"])
def test_the_conflict_dialog_draws_both_versions_and_lists_every_field(page, live_server, workspace, size):
    car = label(workspace, workspace["car"], _box(50, 50, 150, 120), attributes={"colour": "blue"})
    open_annotate(page, live_server, workspace, size=size)
    if size[0] < 768:
        page.locator("#bottom-objects").click()
    row(page, car).click()
    if size[0] < 768:
        expect(page.locator("#object-panel")).to_be_hidden()  # choosing a label closes the drawer
    services.update_annotation(
        actor=workspace["other"], annotation=car, expected_version=1, vector=_box(200, 150, 300, 250), blurred=True
    )
    page.locator("#annotate-canvas").focus()
    page.keyboard.press("l")
    page.keyboard.press("v")
    dialog = page.locator("#conflict-dialog")
    expect(dialog).to_be_visible()
    mine, theirs = page.locator("#conflict-mine"), page.locator("#conflict-theirs")
    labels = ["Type", "Vector", "Concealed", "Blurred", "Attributes", "Version", "Edited by"]
    expect(mine.locator("dt")).to_have_text(labels)
    expect(theirs.locator("dt")).to_have_text(labels)
    values = "occluded: no, doors: 4, colour: blue"
    expect(mine.locator("dd")).to_have_text(["car", "(51, 50) (151, 120)", "no", "no", values, "1", "you"])
    expect(theirs.locator("dd")).to_have_text(["car", "(200, 150) (300, 250)", "no", "yes", values, "2", "colleague"])
    expect(theirs.locator("dd.differs")).to_have_count(4)  # vector, blurred, version, editor
    for side, color in (("mine", "#00c8ff"), ("theirs", "#ff9f1a")):
        canvas = page.locator(f"#conflict-{side}-canvas")
        expect(canvas).to_have_attribute("data-drawn", "2")
        colours = canvas.evaluate(
            """(el, color) => {
              const d = el.getContext("2d").getImageData(0, 0, el.width, el.height).data;
              const [r, g, b] = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
              let n = 0;
              for (let i = 0; i < d.length; i += 4) {
                if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < 40) n++;
              }
              return n;
            }""",
            color,
        )
        assert colours > 50, (side, colours)
    if size[0] >= 992:
        box = page.locator("#conflict-dialog .modal-dialog").bounding_box()
        canvas_box = page.locator("#annotate-canvas").bounding_box()
        assert box["width"] < canvas_box["width"], "the dialog leaves part of the canvas visible"
    shoot(page, f"annotate-conflict-{size[0]}x{size[1]}")
    page.keyboard.press("Escape")  # a choice is needed: Esc does not close it
    page.wait_for_timeout(400)
    expect(dialog).to_be_visible()
    page.locator("#conflict-theirs-button").click()
    expect(dialog).to_be_hidden()
    wait_saved(page)
    car.refresh_from_db()
    assert car.version == 2
    assert car.blurred_flag is True


def test_a_similar_label_is_shown_beside_yours(page, live_server, workspace):
    other = label(workspace, workspace["car"], _box(50, 50, 150, 120))
    open_annotate(page, live_server, workspace)
    start, end = client(page, 51, 51), client(page, 151, 121)
    drag(page, start, end, steps=4)
    page.keyboard.press("v")
    dialog = page.locator("#conflict-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#conflict-heading")).to_have_text("A similar label exists already")
    expect(page.locator("#conflict-theirs-title")).to_have_text(f"The existing one #{other.pk}")
    expect(page.locator("#conflict-mine-canvas")).to_have_attribute("data-drawn", "2")
    expect(page.locator("#conflict-mine-button")).to_be_hidden()
    expect(page.locator("#conflict-close-button")).to_be_visible()
    page.keyboard.press("Escape")  # a notice: Esc closes it
    expect(dialog).to_be_hidden()
    expect(page.locator("#coordinates")).not_to_have_text("–")  # the drawing is back as the selection
    assert Annotation.objects.count() == 1
