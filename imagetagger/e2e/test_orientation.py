"""A photo turned by its EXIF orientation is shown, measured and labelled on the annotate page the way
viewers show it (issue 14): the canvas shows the turned picture at its stored (turned) size, and a box
drawn on it is saved in the turned picture's pixels."""

import io

import pytest
from PIL import Image as PILImage
from PIL import ImageOps
from playwright.sync_api import expect

from annotations.models import Annotation, AnnotationType, VectorType
from e2e.helpers import log_in
from e2e.test_annotate import drag, wait_saved
from e2e.test_annotate_schema import pixel_near
from images.ingest import add_image_file
from images.tests.factories import make_imageset

pytestmark = pytest.mark.django_db(transaction=True)


def halves_jpeg():
    """400 × 200 raw pixels, left half red and right half blue, with EXIF orientation 6 (turn 90°)."""
    picture = PILImage.new("RGB", (400, 200), (0, 0, 255))
    picture.paste((255, 0, 0), (0, 0, 200, 200))
    exif = PILImage.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=95, exif=exif.tobytes())
    return out.getvalue()


def test_a_turned_photo_is_drawn_turned_and_labels_are_in_its_pixels(
    page, live_server, storage_dir, make_user, make_team
):
    user = make_user("labeler")
    team = make_team("Photos", admins=[user])
    image_set = make_imageset(team, name="Phone pictures")
    data = halves_jpeg()
    result = add_image_file(image_set, name="portrait.jpg", fileobj=io.BytesIO(data), uploader=user)
    box = AnnotationType.objects.create(team=team, name="thing", color="#00ff00", vector_type=VectorType.BOUNDING_BOX)
    image = image_set.images.get(pk=result.image_id)
    assert (image.width, image.height) == (200, 400)
    shown = ImageOps.exif_transpose(PILImage.open(io.BytesIO(data))).convert("RGB")
    assert shown.size == (200, 400)

    log_in(page, live_server, user)
    page.goto(f"/annotations/{image.pk}/")
    expect(page.locator("#image-size")).to_have_text("200 × 400")
    # The size is shown before the picture has loaded; this attribute only once it is drawn.
    expect(page.locator("body")).to_have_attribute("data-annotate-image", str(image.pk))
    page.mouse.move(1, 1)
    page.evaluate("() => window.annotatePage.drawSettled()")
    for x, y in [(100, 60), (100, 340), (30, 200 - 30), (170, 200 + 30)]:
        expected = shown.getpixel((x, y))
        got = tuple(pixel_near(page, x, y, radius=0)[0])
        assert sum((a - b) ** 2 for a, b in zip(got, expected, strict=True)) ** 0.5 < 60, (x, y, got, expected)

    page.locator("#annotation-type").select_option(str(box.pk))
    start = page.evaluate("() => window.annotatePage.imageToClient(20, 300)")
    end = page.evaluate("() => window.annotatePage.imageToClient(180, 390)")
    drag(page, (start["x"], start["y"]), (end["x"], end["y"]))
    page.keyboard.press("v")
    wait_saved(page)
    vector = Annotation.objects.get(image=image).vector
    for key, wanted in {"x1": 20, "y1": 300, "x2": 180, "y2": 390}.items():
        assert abs(vector[key] - wanted) <= 1, vector
