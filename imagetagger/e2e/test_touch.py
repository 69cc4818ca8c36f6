"""Fingers on the annotate page at phone size (390×844, a touch screen): a box and a polygon drawn with one
finger are saved in image pixels; two fingers pinch to zoom about their midpoint and pan; a second finger
landing during a one-finger drag drops that drag. Touches go through Chromium's own touch input (CDP
Input.dispatchTouchEvent), which the page receives as pointer events with pointerType "touch"."""

import pytest
from playwright.sync_api import expect

from annotations.models import Annotation, AnnotationType, VectorType
from e2e.conftest import ARTIFACTS
from e2e.helpers import log_in, team_with_set

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def world(storage_dir, make_user, make_team):
    world = team_with_set(make_user, make_team, images=1)
    world["box"] = AnnotationType.objects.create(name="box", team=world["team"], sort_order=1)
    world["poly"] = AnnotationType.objects.create(
        name="poly", team=world["team"], vector_type=VectorType.POLYGON, sort_order=2
    )
    return world


class Fingers:
    """Touch points sent through the DevTools protocol, placed in image pixels."""

    def __init__(self, page):
        self.page = page
        self.cdp = page.context.new_cdp_session(page)

    def client(self, x, y):
        point = self.page.evaluate("([x, y]) => window.annotatePage.imageToClient(x, y)", [x, y])
        return {"x": point["x"], "y": point["y"]}

    def send(self, kind, points):
        touch_points = [{**point, "id": index} for index, point in enumerate(points)]
        self.cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touch_points})

    def drag(self, start, end, steps=5):
        begin, finish = self.client(*start), self.client(*end)
        self.send("touchStart", [begin])
        for step in range(1, steps + 1):
            t = step / steps
            self.send(
                "touchMove",
                [{"x": begin["x"] + (finish["x"] - begin["x"]) * t, "y": begin["y"] + (finish["y"] - begin["y"]) * t}],
            )
        self.send("touchEnd", [])

    def tap(self, x, y):
        point = self.client(x, y)
        self.send("touchStart", [point])
        self.send("touchEnd", [])


def open_annotate(page, live_server, world):
    log_in(page, live_server, world["user"])
    page.goto(f"/annotations/{world['images'][0].pk}/")
    expect(page.locator("body")).to_have_attribute("data-annotate-image", str(world["images"][0].pk))


def save(page, annotation_type):
    """Tap the bottom bar's Save; the label of ``annotation_type`` once the server has it."""
    page.locator("#bottom-save").click()
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")
    for _ in range(50):
        found = Annotation.objects.filter(annotation_type=annotation_type).first()
        if found is not None:
            return found
        page.wait_for_timeout(100)
    raise AssertionError(f"no {annotation_type.name} label was saved")


def choose_type(page, annotation_type):
    page.evaluate(
        "(id) => { const s = document.getElementById('annotation-type'); s.value = String(id);"
        " s.dispatchEvent(new Event('change', {bubbles: true})); }",
        annotation_type.pk,
    )
    expect(page.locator("#annotation-type")).to_have_value(str(annotation_type.pk))


def near(point, expected, tolerance=2):
    """Whether (x, y) lies within ``tolerance`` of ``expected`` on both axes."""
    return abs(point[0] - expected[0]) <= tolerance and abs(point[1] - expected[1]) <= tolerance


def view(page):
    return page.evaluate("() => ({...window.annotatePage.view})")


def test_a_finger_draws_a_box_and_a_polygon(phone, live_server, world):
    page = phone
    open_annotate(page, live_server, world)
    assert page.evaluate("() => navigator.maxTouchPoints") > 0
    fingers = Fingers(page)

    choose_type(page, world["box"])
    fingers.drag((60, 50), (200, 160))
    box = save(page, world["box"])
    assert near((box.vector["x1"], box.vector["y1"]), (60, 50))
    assert near((box.vector["x2"], box.vector["y2"]), (200, 160))

    choose_type(page, world["poly"])
    for x, y in ((250, 40), (350, 60), (330, 200)):
        fingers.tap(x, y)
    fingers.tap(253, 43)  # near the first vertex (within a finger's reach) closes the polygon
    polygon = save(page, world["poly"])
    points = [(polygon.vector[f"x{i}"], polygon.vector[f"y{i}"]) for i in range(1, len(polygon.vector) // 2 + 1)]
    assert len(points) == 3
    for point, expected in zip(points, ((250, 40), (350, 60), (330, 200)), strict=True):
        assert near(point, expected)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "touch-390x844.png"))


def test_two_fingers_pinch_to_zoom_and_pan(phone, live_server, world):
    page = phone
    open_annotate(page, live_server, world)
    fingers = Fingers(page)
    before = view(page)
    a, b = fingers.client(150, 150), fingers.client(250, 150)
    middle = {"x": (a["x"] + b["x"]) / 2, "y": (a["y"] + b["y"]) / 2}
    fingers.send("touchStart", [a, b])
    for step in range(1, 6):  # spread to twice the distance around the same midpoint
        spread = 50 * step / 5 * (b["x"] - a["x"]) / 100
        fingers.send("touchMove", [{"x": a["x"] - spread, "y": a["y"]}, {"x": b["x"] + spread, "y": b["y"]}])
    fingers.send("touchEnd", [])
    zoomed = view(page)
    assert zoomed["scale"] == pytest.approx(before["scale"] * 2, rel=0.02)
    # image point (200, 150), under the fingers' midpoint when they landed, is still drawn there
    point = fingers.client(200, 150)
    assert near((point["x"], point["y"]), (middle["x"], middle["y"]), tolerance=1)

    # Two fingers moving together pan the view without zooming.
    c, d = fingers.client(150, 150), fingers.client(250, 150)
    fingers.send("touchStart", [c, d])
    fingers.send("touchMove", [{"x": c["x"] + 30, "y": c["y"] + 40}, {"x": d["x"] + 30, "y": d["y"] + 40}])
    fingers.send("touchEnd", [])
    panned = view(page)
    assert panned["scale"] == pytest.approx(zoomed["scale"])
    assert panned["x"] == pytest.approx(zoomed["x"] + 30, abs=0.5)
    assert panned["y"] == pytest.approx(zoomed["y"] + 40, abs=0.5)
    assert not Annotation.objects.exists(), "gestures draw nothing"


def test_a_second_finger_turns_a_drawing_drag_into_a_pinch(phone, live_server, world):
    page = phone
    open_annotate(page, live_server, world)
    choose_type(page, world["box"])
    fingers = Fingers(page)
    before = view(page)
    a, b = fingers.client(60, 60), fingers.client(160, 160)
    fingers.send("touchStart", [a])
    fingers.send("touchMove", [{"x": a["x"] + 40, "y": a["y"] + 40}])
    assert page.evaluate("() => Boolean(window.annotatePage.editor.drag)"), "the first finger is drawing"
    fingers.send("touchStart", [{"x": a["x"] + 40, "y": a["y"] + 40}, b])
    fingers.send("touchMove", [{"x": a["x"] + 20, "y": a["y"] + 20}, {"x": b["x"] + 20, "y": b["y"] + 20}])
    fingers.send("touchEnd", [])
    assert view(page)["x"] != before["x"], "the two fingers panned the view"
    assert page.evaluate("() => window.annotatePage.editor.drag") is None
    assert page.evaluate("() => window.annotatePage.editor.selection") is None, "no box was left behind"
    page.locator("#bottom-save").click()
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")
    page.wait_for_timeout(500)
    assert not Annotation.objects.exists()


def test_two_fingers_pinch_on_the_verification_page(phone, live_server, world):
    from annotations import services

    label, _ = services.create_annotation(
        actor=world["other"],
        image=world["images"][0],
        annotation_type=world["box"],
        vector={"x1": 40, "y1": 40, "x2": 160, "y2": 140},
    )
    page = phone
    log_in(page, live_server, world["user"])
    page.goto(f"/annotations/{label.pk}/verify/")
    expect(page.locator("body")).to_have_attribute("data-verify-annotation", str(label.pk))
    page.wait_for_function("() => window.verifyPage.view && window.verifyPage.view.scale > 0")
    before = page.evaluate("() => ({...window.verifyPage.view})")
    box = page.locator("#verify-canvas").bounding_box()
    a = {"x": box["x"] + box["width"] / 2 - 40, "y": box["y"] + box["height"] / 2}
    b = {"x": box["x"] + box["width"] / 2 + 40, "y": box["y"] + box["height"] / 2}
    fingers = Fingers(page)
    fingers.send("touchStart", [a, b])
    fingers.send("touchMove", [{"x": a["x"] - 40, "y": a["y"]}, {"x": b["x"] + 40, "y": b["y"]}])
    fingers.send("touchEnd", [])
    after = page.evaluate("() => ({...window.verifyPage.view})")
    assert after["scale"] == pytest.approx(before["scale"] * 2, rel=0.02)
    assert not label.verifications.exists(), "a gesture casts no vote"
