"""The label schema on the annotate and verification pages in a real browser: every label drawn in its
type's colour by default (asserted on canvas pixels), the colour legend, the attributes panel used with
the keyboard (client and server refusals shown beside the field), image tags toggled by key and by
click, and attribute values and tags on the verification page. Screenshots of both pages at three
sizes go to /tmp/shots/ (IT_SHOTS overrides) for a person to look at.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from annotations import services
from annotations.attributes import clean_definitions
from annotations.models import Annotation, AnnotationType, VectorType
from e2e.helpers import log_in, team_with_set
from images.models import Image

pytestmark = pytest.mark.django_db(transaction=True)

WIDTH, HEIGHT = 400, 300
CAR, PERSON, NIGHT = "#e6194b", "#4363d8", "#3cb44b"
SHOTS = Path(os.environ.get("IT_SHOTS", "/tmp/shots"))


def _box(x1, y1, x2, y2):
    return {"x1": x1, "y1": y1, "x2": x2, "y2": y2}


@pytest.fixture
def world(storage_dir, make_user, make_team):
    """A team admin, a set of 2 images of the team, two box types and an image tag of the team."""
    base = team_with_set(make_user, make_team, images=2, width=WIDTH, height=HEIGHT)
    user, other, team, image_set = base["user"], base["other"], base["team"], base["set"]
    car = AnnotationType.objects.create(
        team=team,
        name="car",
        color=CAR,
        vector_type=VectorType.BOUNDING_BOX,
        sort_order=1,
        attributes=clean_definitions(
            [
                {"name": "occluded", "kind": "checkbox"},
                {"name": "doors", "kind": "number", "min": 0, "max": 10, "step": 1, "required": True, "default": 4},
                {"name": "colour", "kind": "select", "values": ["red", "blue"]},
                {"name": "plate", "kind": "text", "max_length": 8},
            ]
        ),
    )
    person = AnnotationType.objects.create(
        team=team, name="person", color=PERSON, vector_type=VectorType.BOUNDING_BOX, sort_order=2
    )
    night = AnnotationType.objects.create(
        team=team,
        name="night",
        color=NIGHT,
        vector_type=VectorType.TAG,
        sort_order=3,
        shortcut=5,
        attributes=clean_definitions(
            [{"name": "light", "kind": "select", "values": ["dim", "dark"], "default": "dim"}],
        ),
    )
    image_set.main_annotation_type = car
    image_set.save(update_fields=["main_annotation_type"])
    images = list(Image.objects.filter(image_set=image_set).order_by("name"))
    types = {"car": car, "person": person, "night": night}
    return {"user": user, "other": other, "set": image_set, "images": images, **types}


def _label(world, annotation_type, vector, *, actor=None, attributes=None, image=None):
    annotation, _ = services.create_annotation(
        actor=actor or world["user"],
        image=image or world["images"][0],
        annotation_type=annotation_type,
        vector=vector,
        attributes=attributes,
    )
    return annotation


def open_annotate(page, live_server, world, image=None):
    log_in(page, live_server, world["user"])
    image = image or world["images"][0]
    page.goto(f"/annotations/{image.pk}/")
    expect(page.locator("body")).to_have_attribute("data-annotate-image", str(image.pk))


def wait_saved(page):
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")


def _rgb(color):
    return tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))


def pixel_near(page, x, y, radius=3):
    """The canvas pixels (RGB) within ``radius`` device pixels of image point (x, y)."""
    return page.evaluate(
        """([x, y, r]) => {
          const page = window.annotatePage;
          const rect = page.canvasRect;
          const client = page.imageToClient(x, y);
          const ratio = window.devicePixelRatio || 1;
          const cx = Math.round((client.x - rect.left) * ratio), cy = Math.round((client.y - rect.top) * ratio);
          const data = document.getElementById("annotate-canvas").getContext("2d")
            .getImageData(cx - r, cy - r, 2 * r + 1, 2 * r + 1).data;
          const out = [];
          for (let i = 0; i < data.length; i += 4) out.push([data[i], data[i + 1], data[i + 2]]);
          return out;
        }""",
        [x, y, radius],
    )


def closest(pixels, color):
    target = _rgb(color)
    return min(sum((a - b) ** 2 for a, b in zip(pixel, target, strict=True)) ** 0.5 for pixel in pixels)


def test_labels_are_drawn_in_their_types_colours_by_default_and_the_legend_names_the_types(page, live_server, world):
    _label(world, world["car"], _box(40, 40, 160, 140))
    _label(world, world["person"], _box(220, 100, 360, 260))
    open_annotate(page, live_server, world)
    page.evaluate("() => window.annotatePage.drawSettled()")
    expect(page.locator("#show-all-types")).to_be_checked()
    # On each label's outline (the middle of its top edge) the pixels have the type's colour …
    car_edge = pixel_near(page, 100, 40)
    person_edge = pixel_near(page, 290, 100)
    assert closest(car_edge, CAR) < 40, car_edge
    assert closest(person_edge, PERSON) < 40, person_edge
    # … and not the other type's.
    assert closest(car_edge, PERSON) > 60
    assert closest(person_edge, CAR) > 60
    legend = page.locator("#type-legend")
    for name, key in (("car", "1"), ("person", "2"), ("night", "5")):
        item = legend.locator(".legend-item", has_text=name)
        expect(item).to_be_visible()
        expect(item.locator("kbd")).to_have_text(key)
    swatch = legend.locator(".legend-item", has_text="person").locator(".type-swatch")
    assert swatch.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(67, 99, 216)"
    # The label list shows each label's colour and its attribute summary (defaults filled in).
    first = page.locator("#annotation-list .list-group-item", has_text="car")
    expect(first.locator(".attribute-summary")).to_have_text("occluded: no, doors: 4")
    # Number keys pick the type with that number; the legend marks it.
    page.locator("#annotate-canvas").focus()
    page.keyboard.press("2")
    expect(page.locator("#annotation-type")).to_have_value(str(world["person"].pk))
    expect(legend.locator(".legend-item.current")).to_contain_text("person")


def test_attributes_panel_with_the_keyboard_saves_through_the_outbox(page, live_server, world):
    car = _label(world, world["car"], _box(40, 40, 160, 140))
    open_annotate(page, live_server, world)
    # Before any label is chosen the panel holds the values of the next new car label.
    expect(page.locator("#attributes-subject")).to_contain_text("New car labels")
    page.locator("#annotation-list .list-group-item", has_text="car").click()
    expect(page.locator("#attributes-subject")).to_contain_text(f"#{car.pk}")
    canvas = page.locator("#annotate-canvas")
    canvas.focus()
    page.keyboard.press("e")  # into the first field: "occluded" (Tab on the canvas goes through the labels)
    assert page.evaluate("() => document.activeElement.dataset.name") == "occluded"
    page.keyboard.press("Space")  # a checkbox toggles and is saved at once; no canvas shortcut fires
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.dataset.name") == "doors"
    page.keyboard.press("Control+A")
    page.keyboard.type("12")
    page.keyboard.press("Enter")
    doors_error = page.locator("#attribute-field-1-error")
    expect(doors_error).to_have_text("Attribute “doors” must be at most 10, not 12.")
    expect(page.locator("#attribute-field-1")).to_have_attribute("aria-invalid", "true")
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    expect(doors_error).to_have_text("")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.dataset.name") == "colour"
    page.keyboard.type("blue")
    page.keyboard.press("Tab")
    page.keyboard.type("B-AB 12")  # "plate": typing letters here is text, not shortcuts (b, a, …)
    page.keyboard.press("Escape")  # not applied: dropped, back to the canvas
    assert page.evaluate("() => document.activeElement.id") == "annotate-canvas"
    wait_saved(page)
    car.refresh_from_db()
    assert car.attributes == {"occluded": True, "doors": 2, "colour": "blue"}
    assert car.vector == _box(40, 40, 160, 140), "only the attributes changed"
    expect(page.locator("#annotation-list .attribute-summary")).to_have_text("occluded: yes, doors: 2, colour: blue")
    # Undo takes the last attribute change back, through the outbox too.
    page.keyboard.press("Control+Z")
    wait_saved(page)
    car.refresh_from_db()
    assert car.attributes == {"occluded": True, "doors": 2}
    page.locator("#annotation-list .list-group-item", has_text="car").click()  # undo ended the editing
    # The server's reason for a value the form would not send is shown next to the field.
    page.evaluate(
        """([uuid, imageId]) => {
          const record = window.annotatePage.state.records.get(uuid);
          window.annotatePage.outbox.enqueue({kind: "update", uuid, imageId, id: record.id, version: record.version,
                                              fields: {attributes: {doors: 99}}});
        }""",
        [str(car.uuid), world["images"][0].pk],
    )
    expect(doors_error).to_contain_text("must be at most 10, not 99")
    expect(page.locator("#annotate-messages")).to_contain_text("Attribute “doors”")
    car.refresh_from_db()
    assert car.attributes["doors"] == 2, "nothing saved"


def test_a_new_label_gets_the_panels_values_and_required_ones_fall_back_to_their_default(page, live_server, world):
    open_annotate(page, live_server, world)
    expect(page.locator("label[for=attribute-field-1]")).to_contain_text("(required)")
    page.locator("#annotate-canvas").focus()
    page.keyboard.press("e")  # into the panel of the next new label
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.keyboard.press("Enter")  # emptied: the default comes back, as the server would fill it in
    expect(page.locator("#attribute-field-1")).to_have_value("4")
    page.keyboard.press("Control+A")
    page.keyboard.type("6")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    mapper = page.evaluate("() => window.annotatePage.imageToClient(50, 60)")
    end = page.evaluate("() => window.annotatePage.imageToClient(150, 160)")
    page.mouse.move(mapper["x"], mapper["y"])
    page.mouse.down()
    page.mouse.move(end["x"], end["y"], steps=4)
    page.mouse.up()
    page.keyboard.press("v")
    wait_saved(page)
    created = Annotation.objects.get(annotation_type=world["car"])
    assert created.attributes == {"occluded": False, "doors": 6}


def test_image_tags_toggle_by_key_and_by_click(page, live_server, world):
    open_annotate(page, live_server, world)
    image = world["images"][0]
    toggle = page.locator("#tag-bar .tag-toggle", has_text="night")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(toggle.locator("kbd")).to_have_text("5")
    page.locator("#annotate-canvas").focus()
    page.keyboard.press("5")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    wait_saved(page)
    tag = Annotation.objects.get(image=image, annotation_type=world["night"])
    assert tag.vector is None
    assert tag.attributes == {"light": "dim"}
    # Its attributes are edited in the same panel.
    page.locator("#tag-bar .tag-attributes").click()
    expect(page.locator("#attributes-subject")).to_contain_text("Tag night")
    page.locator("#attribute-field-0").select_option("dark")
    wait_saved(page)
    tag.refresh_from_db()
    assert tag.attributes == {"light": "dark"}
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    wait_saved(page)
    assert not Annotation.objects.filter(image=image, annotation_type=world["night"]).exists()
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    wait_saved(page)
    assert Annotation.objects.filter(image=image, annotation_type=world["night"]).count() == 1
    # The annotation list is for shapes; the tag does not appear there.
    expect(page.locator("#annotation-list .list-group-item")).to_have_count(0)


def test_the_verification_page_shows_colours_attribute_values_and_tags(page, live_server, world):
    label = _label(
        world,
        world["car"],
        _box(40, 40, 160, 140),
        actor=world["other"],
        attributes={"doors": 2, "colour": "red", "plate": "HB-1"},
    )
    _label(world, world["night"], None, actor=world["other"], attributes={"light": "dark"})
    log_in(page, live_server, world["user"])
    page.goto(f"/annotations/{label.pk}/verify/")
    expect(page.locator("body")).to_have_attribute("data-verify-annotation", str(label.pk))
    items = page.locator("#annotation-attributes li")
    expect(items).to_have_text(["occluded: no", "doors: 2", "colour: red", "plate: HB-1"])
    expect(page.locator("#image-tags")).to_contain_text("night (light: dark)")
    shapes = page.evaluate("() => window.verifyPage.shapes()")
    assert [shape["color"] for shape in shapes if shape.get("current")] == [CAR]
    # The keyboard flow is unchanged: j accepts and moves on.
    page.keyboard.press("j")
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")


@pytest.mark.parametrize("size", [(1440, 900), (820, 1180), (390, 844)], ids=["desktop", "tablet", "phone"])
def test_screenshots(page, live_server, world, size):
    _label(world, world["car"], _box(40, 40, 160, 140), attributes={"colour": "blue"})
    _label(world, world["person"], _box(220, 100, 360, 260))
    _label(world, world["night"], None)
    other = _label(world, world["car"], _box(60, 150, 200, 280), actor=world["other"], attributes={"colour": "red"})
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_annotate(page, live_server, world)
    if size[0] < 768:  # on phones the object panel is a drawer, opened from the bottom bar
        page.locator("#bottom-objects").click()
    page.locator("#annotation-list .list-group-item").first.click()
    if size[0] < 768:
        expect(page.locator("#object-panel")).to_be_hidden()  # choosing a label closes the drawer
    page.evaluate("() => window.annotatePage.drawSettled()")
    page.screenshot(path=str(SHOTS / f"annotate-{size[0]}x{size[1]}.png"), full_page=True)
    page.goto(f"/annotations/{other.pk}/verify/")
    expect(page.locator("body")).to_have_attribute("data-verify-annotation", str(other.pk))
    page.screenshot(path=str(SHOTS / f"verify-{size[0]}x{size[1]}.png"), full_page=True)


def test_attribute_changes_and_tags_made_offline_wait_and_arrive_after_a_reload(page, live_server, world):
    car = _label(world, world["car"], _box(40, 40, 160, 140))
    state = {"down": True}

    def server(route):
        if route.request.method == "GET" or not state["down"]:
            route.continue_()
        else:
            route.abort()

    page.route("**/api/v1/annotations/**", server)
    open_annotate(page, live_server, world)
    page.locator("#annotation-list .list-group-item", has_text="car").click()
    page.locator("#attribute-field-2").select_option("red")
    page.locator("#annotate-canvas").focus()
    page.keyboard.press("5")
    expect(page.locator("#save-status")).to_contain_text("2 unsent changes")
    expect(page.locator("#annotation-list .attribute-summary")).to_have_text("occluded: no, doors: 4, colour: red")
    page.evaluate("() => window.annotatePage.outbox.flush()")
    car.refresh_from_db()
    assert "colour" not in car.attributes
    page.once("dialog", lambda dialog: dialog.accept())
    state["down"] = False
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-annotate-image", str(world["images"][0].pk))
    wait_saved(page)
    car.refresh_from_db()
    assert car.attributes == {"occluded": False, "doors": 4, "colour": "red"}
    assert Annotation.objects.filter(annotation_type=world["night"], vector__isnull=True).count() == 1
    expect(page.locator("#tag-bar .tag-toggle", has_text="night")).to_have_attribute("aria-pressed", "true")
