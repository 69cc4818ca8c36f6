"""The annotate page in a real browser: drawing every vector type with the mouse at two zoom levels,
the keyboard loop, editing, deleting, undo/redo, keep-selection, conflicts and the offline outbox.

Mouse positions are whole CSS pixels on the page; the vector the server must receive is computed
here from them and from the page's view (zoom and offset): round((client − canvas − offset) / scale),
clamped into the image.
"""

import io
import math

import pytest
from PIL import Image as PILImage
from playwright.sync_api import expect

from annotations.models import Annotation, AnnotationType, VectorType
from images.ingest import add_image_file
from images.models import Image
from images.tests.factories import make_imageset

pytestmark = pytest.mark.django_db(transaction=True)

WIDTH, HEIGHT = 400, 300


def _png(index):
    image = PILImage.new("RGB", (WIDTH, HEIGHT), (40 + index * 20 % 200, 90, 140))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _session_cookie(live_server, user):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


@pytest.fixture
def world(storage_dir, make_user, make_team):
    """A team admin, a set of 6 images of 400 × 300 and one type per vector type."""
    user = make_user("annotator")
    team = make_team("Robots", admins=[user])
    image_set = make_imageset(team, name="Field")
    for index in range(6):
        result = add_image_file(image_set, name=f"img{index}.png", fileobj=io.BytesIO(_png(index)), uploader=user)
        assert result.status == "added", result
    types = {
        "box": AnnotationType.objects.create(name="a-box", vector_type=VectorType.BOUNDING_BOX),
        "point": AnnotationType.objects.create(name="b-point", vector_type=VectorType.POINT),
        "line": AnnotationType.objects.create(name="c-line", vector_type=VectorType.LINE),
        "multi": AnnotationType.objects.create(name="d-multi", vector_type=VectorType.MULTI_LINE),
        "poly4": AnnotationType.objects.create(name="e-poly4", vector_type=VectorType.POLYGON, node_count=4),
        "poly": AnnotationType.objects.create(name="f-poly", vector_type=VectorType.POLYGON),
    }
    image_set.main_annotation_type = types["box"]
    image_set.save(update_fields=["main_annotation_type"])
    images = list(Image.objects.filter(image_set=image_set).order_by("name"))
    return {"user": user, "team": team, "set": image_set, "images": images, "types": types}


def open_annotate(page, live_server, world, image=None, query=""):
    page.context.add_cookies([_session_cookie(live_server, world["user"])])
    image = image or world["images"][0]
    page.goto(f"/annotations/{image.pk}/{query}")
    wait_for_image(page, image)


def wait_for_image(page, image):
    expect(page.locator("body")).to_have_attribute("data-annotate-image", str(image.pk))


def view(page):
    return page.evaluate("() => ({view: window.annotatePage.view, rect: window.annotatePage.canvasRect})")


class Mapper:
    """Turns image points into whole client pixels and tells which image pixel the page must see."""

    def __init__(self, page):
        data = view(page)
        self.scale = data["view"]["scale"]
        self.offset_x = data["rect"]["left"] + data["view"]["x"]
        self.offset_y = data["rect"]["top"] + data["view"]["y"]

    def client(self, x, y):
        return round(self.offset_x + x * self.scale), round(self.offset_y + y * self.scale)

    def expected(self, client_x, client_y):
        def to_image(value, offset, limit):
            return min(limit, max(0, math.floor((value - offset) / self.scale + 0.5)))

        return to_image(client_x, self.offset_x, WIDTH), to_image(client_y, self.offset_y, HEIGHT)


def click_at(page, point):
    page.mouse.move(*point)
    page.mouse.down()
    page.mouse.up()


def drag(page, start, end, steps=6):
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=steps)
    page.mouse.up()


def choose_type(page, world, key):
    index = list(world["types"]).index(key) + 1
    page.keyboard.press(str(index % 10))
    expect(page.locator("#annotation-type")).to_have_value(str(world["types"][key].pk))


def wait_saved(page):
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")


def vector_of(points):
    vector = {}
    for index, (x, y) in enumerate(points, start=1):
        vector[f"x{index}"] = x
        vector[f"y{index}"] = y
    return vector


def test_draw_a_box(page, live_server, world):
    open_annotate(page, live_server, world)
    mapper = Mapper(page)
    start, end = mapper.client(50, 40), mapper.client(150, 120)
    drag(page, start, end)
    page.keyboard.press("v")
    wait_saved(page)
    (x1, y1), (x2, y2) = mapper.expected(*start), mapper.expected(*end)
    annotation = Annotation.objects.get()
    assert annotation.vector == {"x1": x1, "y1": y1, "x2": x2, "y2": y2}
    assert annotation.annotation_type == world["types"]["box"]
