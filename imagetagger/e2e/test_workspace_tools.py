"""The annotate page's tools and view in a real browser (issue 13): fill opacity and outlines only
(canvas pixels inside a box), brightness (image pixels, without re-rendering the shapes), a rotated
view that still saves image pixels, full screen, the minimap, snapping (and Alt against it), Tab
through the labels, z-order deciding which label a click takes, duplicating a label and moving
several labels at once (both saved through the outbox, checked in the database). Screenshots of the
page with the view tools at 1440×900 and 1024×768 go to test-artifacts/workspace/ and /tmp/shots13/.
"""

import io
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from annotations import services
from annotations.models import Annotation, AnnotationType, VectorType
from e2e.conftest import ARTIFACTS
from e2e.helpers import log_in, png_bytes
from e2e.test_annotate_schema import closest, pixel_near
from images.ingest import add_image_file
from images.models import Image
from images.tests.factories import make_imageset

pytestmark = pytest.mark.django_db(transaction=True)

WIDTH, HEIGHT = 400, 300
CAR = "#e6194b"
BACKGROUND = (40, 90, 140)  # png_bytes(…, index=0)
SHOTS = [ARTIFACTS / "workspace", Path(os.environ.get("IT_SHOTS13", "/tmp/shots13"))]


def _box(x1, y1, x2, y2):
    return {"x1": x1, "y1": y1, "x2": x2, "y2": y2}


@pytest.fixture
def world(storage_dir, make_user, make_team):
    user = make_user("labeler")
    team = make_team("Cars", admins=[user])
    image_set = make_imageset(team, name="Street")
    for index in range(2):
        result = add_image_file(
            image_set, name=f"img{index}.png", fileobj=io.BytesIO(png_bytes(WIDTH, HEIGHT, index)), uploader=user
        )
        assert result.status == "added", result
    car = AnnotationType.objects.create(
        team=team, name="car", color=CAR, vector_type=VectorType.BOUNDING_BOX, sort_order=1
    )
    person = AnnotationType.objects.create(
        team=team, name="person", color="#4363d8", vector_type=VectorType.BOUNDING_BOX, sort_order=2
    )
    image_set.main_annotation_type = car
    image_set.save(update_fields=["main_annotation_type"])
    images = list(Image.objects.filter(image_set=image_set).order_by("name"))
    return {"user": user, "set": image_set, "images": images, "car": car, "person": person}


def _label(world, vector, annotation_type=None):
    annotation, _ = services.create_annotation(
        actor=world["user"], image=world["images"][0], annotation_type=annotation_type or world["car"], vector=vector
    )
    return annotation


def _open(page, live_server, world):
    log_in(page, live_server, world["user"])
    page.goto(f"/annotations/{world['images'][0].pk}/")
    expect(page.locator("body")).to_have_attribute("data-annotate-image", str(world["images"][0].pk))
    page.mouse.move(1, 1)  # not over a label: the hover outline would cover the pixels we read
    page.evaluate("() => window.annotatePage.drawSettled()")


def _wait_saved(page):
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")


def _client(page, x, y):
    point = page.evaluate("([x, y]) => window.annotatePage.imageToClient(x, y)", [x, y])
    return point["x"], point["y"]


def _pixel(page, x, y):
    """The canvas pixel (RGB) at image point (x, y), after a settled frame."""
    page.evaluate("() => window.annotatePage.drawSettled()")
    return tuple(pixel_near(page, x, y, radius=0)[0])


def _outline_distance(page, x, y):
    """How far the pixels around image point (x, y) are at best from the car colour."""
    page.evaluate("() => window.annotatePage.drawSettled()")
    return closest(pixel_near(page, x, y, radius=2), CAR)


def _poll(page, expression, expected):
    """Wait until the page's ``expression`` (a JS expression) equals ``expected``."""
    page.wait_for_function(f"expected => (({expression}) ?? null) === expected", arg=expected)


def _distance(a, b):
    return sum((p - q) ** 2 for p, q in zip(a, b, strict=True)) ** 0.5


def _drag(page, start, end, steps=8):
    page.mouse.move(*_client(page, *start))
    page.mouse.down()
    page.mouse.move(*_client(page, *end), steps=steps)
    page.mouse.up()


def _slide_to(page, selector, key, times=1):
    """Move a range slider with the keyboard (as a labeler without a mouse would)."""
    page.locator(selector).focus()
    for _ in range(times):
        page.keyboard.press(key)


def _open_display_menu(page):
    page.locator("#display-button").click()
    expect(page.locator("#fill-opacity")).to_be_visible()


def test_fill_opacity_and_outlines_only_change_the_pixels_inside_a_box_and_last_the_session(page, live_server, world):
    _label(world, _box(40, 40, 160, 140))
    _open(page, live_server, world)
    default = _pixel(page, 100, 90)
    # The default fill tints the inside a little.
    assert 5 < _distance(default, BACKGROUND) < 60, default
    _open_display_menu(page)
    expect(page.locator("label[for=fill-opacity]")).to_contain_text("Fill opacity")
    _slide_to(page, "#fill-opacity", "End")  # 100 %: the type's colour itself
    expect(page.locator("#fill-opacity-value")).to_have_text("100 %")
    full = _pixel(page, 100, 90)
    assert _distance(full, (0xE6, 0x19, 0x4B)) < 12, full
    _slide_to(page, "#fill-opacity", "Home")  # 0 %: outline only
    assert _distance(_pixel(page, 100, 90), BACKGROUND) < 4
    _slide_to(page, "#fill-opacity", "ArrowRight", 50)
    half = _pixel(page, 100, 90)
    assert _distance(half, BACKGROUND) > 40, half
    assert _distance(half, full) > 40, half
    # Outlines only: the inside shows the image, the outline keeps the type's colour.
    page.locator("#outline-only").check()
    assert _distance(_pixel(page, 100, 90), BACKGROUND) < 4
    assert _outline_distance(page, 100, 40) < 20
    expect(page.locator("#fill-opacity")).to_be_disabled()
    # Kept for the session: after a reload the settings are the same; Shift+O turns outlines back off.
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-annotate-image", str(world["images"][0].pk))
    page.mouse.move(1, 1)
    assert _distance(_pixel(page, 100, 90), BACKGROUND) < 4
    page.locator("#annotate-canvas").focus()
    page.keyboard.press("Shift+O")
    assert _distance(_pixel(page, 100, 90), half) < 4
    expect(page.locator("#outline-only")).not_to_be_checked()


def test_brightness_contrast_saturation_filter_the_image_only_not_the_shapes(page, live_server, world):
    _label(world, _box(40, 40, 160, 140))
    _open(page, live_server, world)
    before = _pixel(page, 300, 250)
    assert _distance(before, BACKGROUND) < 4
    assert _outline_distance(page, 100, 40) < 20
    renders = page.evaluate("() => window.annotatePage.layerRenders")
    _open_display_menu(page)
    _slide_to(page, "#image-brightness", "ArrowRight", 10)  # 100 % → 150 %
    expect(page.locator("#image-brightness-value")).to_have_text("150 %")
    brighter = _pixel(page, 300, 250)
    assert all(b > a + 10 for a, b in zip(before, brighter, strict=True)), (before, brighter)
    assert _outline_distance(page, 100, 40) < 20, "the label's outline is not filtered"
    assert page.evaluate("() => window.annotatePage.layerRenders") == renders, "the shape layer was not rendered again"
    _slide_to(page, "#image-saturation", "Home")  # grey
    grey = _pixel(page, 300, 250)
    assert max(grey) - min(grey) < 4, grey
    _slide_to(page, "#image-contrast", "ArrowLeft", 20)  # 0 %: flat grey
    flat = _pixel(page, 300, 250)
    assert abs(flat[0] - 128) < 4, flat
    page.locator("#view-reset").click()
    assert _distance(_pixel(page, 300, 250), BACKGROUND) < 4
    expect(page.locator("#image-brightness-value")).to_have_text("100 %")


def test_a_box_drawn_on_a_rotated_view_is_saved_in_image_pixels(page, live_server, world):
    _open(page, live_server, world)
    canvas = page.locator("#annotate-canvas")
    canvas.focus()
    page.keyboard.press("Shift+R")  # 90° clockwise
    assert page.evaluate("() => window.annotatePage.view.rotation") == 90
    # The image's top-left corner is now at the top right; its left edge at the top.
    top_left, bottom_left = _client(page, 0, 0), _client(page, 0, HEIGHT)
    assert top_left[0] > bottom_left[0]
    assert abs(top_left[1] - bottom_left[1]) < 1
    # Image pixels under the pointer are still read as image pixels.
    page.mouse.move(*_client(page, 200, 100))
    expect(page.locator("#cursor-position")).to_have_text("200, 100")
    _drag(page, (50, 60), (150, 160))
    page.keyboard.press("v")
    _wait_saved(page)
    annotation = Annotation.objects.get()
    assert annotation.vector == _box(50, 60, 150, 160)
    # The saved box is drawn where it was drawn, and a click on it (rotated) selects it.
    page.mouse.click(*_client(page, 100, 110))
    _poll(page, "window.annotatePage.editor.editingKey", str(annotation.uuid))
    # Dragging its bottom-right handle on the rotated view changes the image's x2/y2.
    page.keyboard.press("Escape")
    page.keyboard.press("Shift+E")
    page.keyboard.press("Shift+E")  # 270°
    assert page.evaluate("() => window.annotatePage.view.rotation") == 270
    page.mouse.click(*_client(page, 100, 110))
    _drag(page, (150, 160), (170, 190))
    page.keyboard.press("v")
    _wait_saved(page)
    annotation.refresh_from_db()
    assert annotation.vector == _box(50, 60, 170, 190)


def test_the_full_screen_button_and_shift_f_toggle_full_screen(page, live_server, world):
    _open(page, live_server, world)
    page.locator("#fullscreen-button").click()
    _poll(page, "document.fullscreenElement && document.fullscreenElement.id", "annotate-app")
    expect(page.locator("#fullscreen-button")).to_have_attribute("aria-pressed", "true")
    page.locator("#annotate-canvas").focus()
    page.keyboard.press("Shift+F")
    _poll(page, "document.fullscreenElement", None)
    expect(page.locator("#fullscreen-button")).to_have_attribute("aria-pressed", "false")


def test_the_minimap_appears_when_zoomed_in_and_a_click_in_it_pans(page, live_server, world):
    _open(page, live_server, world)
    minimap = page.locator("#minimap")
    expect(minimap).to_be_hidden()
    page.locator("#annotate-canvas").focus()
    for _ in range(5):
        page.keyboard.press("+")
    expect(minimap).to_be_visible()
    box = minimap.bounding_box()
    # The overview shows the whole image: a click at a tenth of its width and height centres that point.
    page.mouse.click(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.1)
    centre = page.evaluate(
        """() => {
          const page = window.annotatePage, view = page.view, rect = page.canvasRect;
          return {x: (rect.width / 2 - view.x) / view.scale, y: (rect.height / 2 - view.y) / view.scale};
        }"""
    )
    assert abs(centre["x"] - WIDTH * 0.1) < 4, centre
    assert abs(centre["y"] - HEIGHT * 0.1) < 4, centre
    # Arrow keys on the focused minimap pan too; fitting the image hides it again.
    minimap.focus()
    before = page.evaluate("() => window.annotatePage.view.x")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("() => window.annotatePage.view.x") < before
    page.locator("#zoom-fit").click()
    expect(minimap).to_be_hidden()


def test_a_new_box_corner_snaps_onto_another_labels_vertex_unless_alt_is_held(page, live_server, world):
    _label(world, _box(100, 100, 200, 200), world["person"])
    _open(page, live_server, world)
    scale = page.evaluate("() => window.annotatePage.view.scale")
    assert 2 * scale < 8, "2 image pixels lie within the snap radius"
    _drag(page, (20, 30), (198, 197))
    _poll(page, "window.annotatePage.editor.selection?.closed", True)
    page.keyboard.press("v")
    _wait_saved(page)
    snapped = Annotation.objects.get(annotation_type=world["car"])
    assert snapped.vector == _box(20, 30, 200, 200)
    # With Alt held the corner stays where the pointer is.
    page.keyboard.down("Alt")
    _drag(page, (240, 20), (198, 97))
    page.keyboard.up("Alt")
    page.keyboard.press("v")
    _wait_saved(page)
    free = Annotation.objects.filter(annotation_type=world["car"]).exclude(pk=snapped.pk).get()
    assert free.vector == _box(198, 20, 240, 97)
    # Near an image edge the corner lands on it.
    _drag(page, (300, 150), (398, 298))
    page.keyboard.press("v")
    _wait_saved(page)
    assert Annotation.objects.filter(annotation_type=world["car"], vector=_box(300, 150, 400, 300)).exists()
    # A hidden label offers nothing to snap to.
    person = Annotation.objects.get(annotation_type=world["person"])
    page.locator(f'#annotation-list .object-hide[data-uuid="{person.uuid}"]').click()
    _drag(page, (60, 260), (102, 198))
    page.keyboard.press("v")
    _wait_saved(page)
    assert Annotation.objects.filter(annotation_type=world["car"], vector=_box(60, 198, 102, 260)).exists()


def test_tab_and_shift_tab_go_through_the_labels_skipping_locked_ones(page, live_server, world):
    first = _label(world, _box(20, 20, 80, 80))
    second = _label(world, _box(120, 20, 180, 80))
    third = _label(world, _box(220, 20, 280, 80), world["person"])
    _open(page, live_server, world)
    canvas = page.locator("#annotate-canvas")
    canvas.focus()

    def chosen():
        return page.evaluate("() => window.annotatePage.editor.editingKey")

    page.keyboard.press("Tab")
    assert chosen() == str(first.uuid)
    page.keyboard.press("Tab")
    assert chosen() == str(second.uuid)
    page.keyboard.press("Tab")
    assert chosen() == str(third.uuid), "the person label is next in the list; its type is chosen"
    expect(page.locator("#annotation-type")).to_have_value(str(world["person"].pk))
    page.keyboard.press("Shift+Tab")
    assert chosen() == str(second.uuid)
    # Past the last label Tab leaves the canvas (no keyboard trap).
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") != "annotate-canvas"
    # A locked label is skipped.
    page.locator(f'#annotation-list .object-lock[data-uuid="{second.uuid}"]').click()
    canvas.focus()
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert chosen() == str(third.uuid)


def test_bring_to_front_and_send_to_back_decide_which_label_a_click_takes(page, live_server, world):
    big = _label(world, _box(50, 50, 250, 250))
    small = _label(world, _box(100, 100, 200, 200))
    _open(page, live_server, world)

    def click_middle():
        page.keyboard.press("Escape")
        page.mouse.click(*_client(page, 150, 150))
        return page.evaluate("() => window.annotatePage.editor.editingKey")

    assert click_middle() == str(small.uuid), "the smaller label wins by default"
    page.mouse.click(*_client(page, 60, 60))
    assert page.evaluate("() => window.annotatePage.editor.editingKey") == str(big.uuid)
    page.keyboard.press("]")
    assert click_middle() == str(big.uuid), "brought to the front"
    # A click that comes before the next frame is drawn (a busy machine) still sees the new order.
    page.evaluate("() => { window.requestAnimationFrame = () => 0; }")
    page.locator("#send-back").click()
    assert click_middle() == str(small.uuid), "sent to the back by the button"


def test_duplicate_creates_a_second_label_beside_the_first(page, live_server, world):
    original = _label(world, _box(40, 40, 160, 140))
    _open(page, live_server, world)
    page.mouse.click(*_client(page, 100, 90))
    page.keyboard.press("Control+d")
    _wait_saved(page)
    copies = Annotation.objects.exclude(pk=original.pk)
    assert copies.count() == 1
    assert copies.get().vector == _box(50, 50, 170, 150)
    assert page.evaluate("() => window.annotatePage.editor.editingKey") == str(copies.get().uuid)
    # Again: the next copy is placed further, as the server would refuse one within 5 px of a label.
    page.locator("#duplicate-label").click()
    _wait_saved(page)
    assert Annotation.objects.count() == 3


def test_several_labels_chosen_with_shift_click_move_together_in_one_undo_step(page, live_server, world):
    first = _label(world, _box(20, 20, 80, 80))
    second = _label(world, _box(120, 120, 180, 180), world["person"])
    _open(page, live_server, world)
    page.mouse.click(*_client(page, 50, 50))
    page.keyboard.down("Shift")
    page.mouse.click(*_client(page, 150, 150))
    page.keyboard.up("Shift")
    assert page.evaluate("() => window.annotatePage.state.group.size") == 2
    expect(page.locator("#annotation-list .list-group-item.grouped")).to_have_count(2)
    _drag(page, (50, 50), (70, 60))
    _wait_saved(page)

    def saved():
        return [Annotation.objects.get(pk=label.pk).vector for label in (first, second)]

    assert saved() == [_box(40, 30, 100, 90), _box(140, 130, 200, 190)]
    expect(page.locator("#annotation-list .list-group-item.grouped")).to_have_count(2)  # the list was rendered anew
    page.keyboard.press("Control+z")  # one step takes both back
    _wait_saved(page)
    assert saved() == [_box(20, 20, 80, 80), _box(120, 120, 180, 180)]
    page.keyboard.press("Escape")
    assert page.evaluate("() => window.annotatePage.state.group.size") == 0


@pytest.mark.parametrize("size", [(1440, 900), (1024, 768)])
def test_screenshots_of_the_view_tools(page, live_server, world, size):
    _label(world, _box(40, 40, 160, 140))
    _label(world, _box(200, 120, 330, 260), world["person"])
    page.set_viewport_size({"width": size[0], "height": size[1]})
    _open(page, live_server, world)
    expect(page.locator("#view-tools")).to_be_visible()
    page.locator("#annotate-canvas").focus()
    page.keyboard.press("Shift+R")
    for _ in range(3):
        page.keyboard.press("+")
    expect(page.locator("#minimap")).to_be_visible()
    _open_display_menu(page)
    _slide_to(page, "#fill-opacity", "ArrowRight", 20)
    name = f"annotate-view-tools-{size[0]}x{size[1]}.png"
    for folder in SHOTS:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / name))
    # Nothing of the toolbar spills sideways.
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
