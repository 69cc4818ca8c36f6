"""One-click shapes on the annotate page: o + a dragged box → the disc's outline (GrabCut on the
server), w + a click → the disc's region (magic wand) following the tolerance slider, and the same box
sent to the reference backend as a real process when it is the chosen engine. Each answer is an
unsaved proposal with its latency; its corners can be dragged; only v saves it, Esc drops it.
Screenshots at three widths go to /tmp/shots/ and the test artifacts."""

import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from annotations.models import Annotation, AnnotationType, Origin, VectorType
from assist import services
from assist.tests.test_proposals import DISC_CENTRE, DISC_RADIUS, disc_iou, disc_png
from assist.tests.test_reference_backend import Backend
from e2e.conftest import ARTIFACTS
from e2e.helpers import log_in, shoot_viewports
from images.ingest import add_image_file
from images.tests.factories import make_imageset

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = [Path("/tmp/shots"), ARTIFACTS / "assist-tools"]
MARGIN = DISC_RADIUS + 25
BOX = (DISC_CENTRE[0] - MARGIN, DISC_CENTRE[1] - MARGIN, DISC_CENTRE[0] + MARGIN, DISC_CENTRE[1] + MARGIN)


@pytest.fixture
def world(storage_dir, make_user, make_team):
    ada = make_user("ada")
    team = make_team("Robots", admins=[ada])
    image_set = make_imageset(team, creator=ada, name="Discs")
    add_image_file(image_set, name="disc.png", fileobj=io.BytesIO(disc_png()), uploader=ada)
    add_image_file(image_set, name="disc2.png", fileobj=io.BytesIO(disc_png()), uploader=ada)
    box = AnnotationType.objects.create(team=team, name="sign", vector_type=VectorType.BOUNDING_BOX, sort_order=1)
    blob = AnnotationType.objects.create(team=team, name="blob", vector_type=VectorType.POLYGON, sort_order=2)
    images = list(image_set.images.order_by("name"))
    return {"ada": ada, "team": team, "set": image_set, "images": images, "box": box, "blob": blob}


def _open(page, live_server, world):
    log_in(page, live_server, world["ada"])
    page.goto(f"{live_server.url}/annotations/{world['images'][0].pk}/")
    expect(page.locator("body")).to_have_attribute("data-annotate-image", str(world["images"][0].pk))


def _client(page, x, y):
    point = page.evaluate("([x, y]) => window.annotatePage.imageToClient(x, y)", [x, y])
    return point["x"], point["y"]


def _drag(page, start, end):
    page.mouse.move(*_client(page, *start))
    page.mouse.down()
    page.mouse.move(*_client(page, *end), steps=6)
    page.mouse.up()


def _selection(page):
    """The editor's selection: {points: [[x, y], …], key} or null."""
    return page.evaluate(
        """() => {
          const s = window.annotatePage.editor.selection;
          return s && { points: s.points.map((p) => [p.x, p.y]), key: s.key, closed: s.closed };
        }"""
    )


def _as_vector(points):
    return {key: value for n, (x, y) in enumerate(points, 1) for key, value in ((f"x{n}", x), (f"y{n}", y))}


def test_outline_and_wand_propose_unsaved_polygons_that_v_saves(page, live_server, world):
    _open(page, live_server, world)
    page.keyboard.press("o")
    expect(page.locator("#assist-outline")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#annotate-canvas")).to_have_class("assist-mode")
    expect(page.locator("#tool-hint")).to_contain_text("drag a box around an object")
    expect(page.locator("#wand-tolerance-group")).to_be_hidden()

    _drag(page, BOX[:2], BOX[2:])
    status = page.locator("#assist-status")
    expect(status).to_have_attribute("data-state", "shown")
    expect(status).to_contain_text("Proposal by GrabCut in")
    expect(status).to_contain_text("not saved")
    expect(page.locator("#tool-hint")).to_contain_text("drag a box around an object")
    assert page.locator("#annotation-type").input_value() == str(world["blob"].pk), "switched to the polygon type"
    proposed = _selection(page)
    assert proposed["key"] is None
    assert proposed["closed"]
    assert disc_iou(_as_vector(proposed["points"])) > 0.85
    assert not Annotation.objects.exists(), "nothing is saved unseen"
    shoot_viewports(page, "assist-outline-proposal", SHOTS)

    # A corner of the proposal drags (the press is no new prompt, though the mode is on).
    corner = proposed["points"][0]
    _drag(page, corner, (corner[0] + 6, corner[1]))
    moved = _selection(page)["points"]
    assert moved[0] != corner
    assert len(moved) == len(proposed["points"])
    expect(status).to_have_attribute("data-state", "shown")

    page.keyboard.press("v")
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")
    saved = Annotation.objects.get()
    assert (saved.annotation_type, saved.origin) == (world["blob"], Origin.HUMAN)
    assert saved.vector == _as_vector(moved)
    expect(status).to_be_hidden()
    # The object panel shortens the outline ("… 60 points"); its tooltip holds every vertex.
    vertices = page.locator("#annotation-list .object-vector").first
    expect(vertices).to_contain_text(f"… {len(moved)} points")
    expect(vertices).to_have_attribute("title", " ".join(f"({x}, {y})" for x, y in moved))

    # The wand: a click inside the disc; the slider redoes it at the same point.
    page.keyboard.press("w")
    expect(page.locator("#assist-wand")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#assist-outline")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#wand-tolerance-group")).to_be_visible()
    page.mouse.click(*_client(page, *DISC_CENTRE))
    expect(status).to_contain_text("Proposal by the magic wand in")
    first = _selection(page)["points"]
    assert disc_iou(_as_vector(first)) > 0.85
    page.locator("#wand-tolerance").focus()
    with page.expect_request(lambda r: "shape-proposal" in r.url and r.method == "POST") as sent:
        page.keyboard.press("PageUp")
    tolerance = int(page.locator("#wand-tolerance").input_value())
    assert tolerance > 32
    assert sent.value.post_data_json == {"point": list(DISC_CENTRE), "tolerance": tolerance}
    expect(page.locator("#wand-tolerance-value")).to_have_text(str(tolerance))
    expect(status).to_have_attribute("data-state", "shown")
    page.locator("#annotate-canvas").focus()
    page.keyboard.press("Escape")  # drops the proposal
    assert _selection(page) is None
    expect(status).to_be_hidden()
    page.keyboard.press("Escape")  # nothing proposed: leaves the mode
    expect(page.locator("#assist-wand")).to_have_attribute("aria-pressed", "false")
    assert Annotation.objects.count() == 1

    # A prompt that finds nothing says so.
    page.keyboard.press("o")
    _drag(page, (2, 2), (4, 4))
    expect(page.locator("#annotate-messages")).to_contain_text("Drag a box around the whole object")


def test_the_chosen_interactive_backend_outlines_the_box(page, live_server, world, settings, tmp_path):
    settings.ASSIST_IMAGE_BASE_URL = live_server.url
    reference = Backend(tmp_path / "reference.log")
    try:
        services.register_backend(
            actor=world["ada"],
            team=world["team"],
            name="reference",
            url=reference.url,
            label_map={"face": world["box"].pk},
            interactive=True,
        )
        _open(page, live_server, world)
        page.locator("#assist-engine").select_option(label="reference")
        page.locator("#assist-outline").click()
        expect(page.locator("#wand-tolerance-group")).to_be_hidden()
        _drag(page, BOX[:2], BOX[2:])
        status = page.locator("#assist-status")
        expect(status).to_contain_text("Proposal by “reference” in", timeout=20_000)
        assert disc_iou(_as_vector(_selection(page)["points"])) > 0.8
        assert not Annotation.objects.exists()
        page.locator("#assist-save").click()
        expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")
        assert Annotation.objects.get().annotation_type == world["blob"]
    finally:
        reference.stop()
