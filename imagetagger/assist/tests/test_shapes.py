"""The one-click shapes (assist.shapes): box → polygon with GrabCut, the magic wand, reading an Image.

Synthetic pictures with a known true shape; a result is compared with it by the IoU of the two
rasterised with ``cv2.fillPoly``, and must be a valid polygon vector of the image.
"""

import io

import cv2
import numpy
import pytest
from PIL import Image as PILImage
from PIL import ImageOps

from annotations.models import AnnotationType, VectorType
from annotations.vectors import validate_vector, vector_from_points
from assist import shapes
from assist.shapes import MAX_VERTICES, box_to_polygon, magic_wand_polygon, read_image_pixels
from images.ingest import add_image_file
from images.models import Image
from images.tests.factories import make_imageset

WIDTH, HEIGHT = 480, 360
OBJECT_COLOUR = (200, 60, 40)


# --- pictures ---------------------------------------------------------------------------------------


def noise(shape, mean, spread, seed):
    rng = numpy.random.default_rng(seed)
    return rng.normal(mean, spread, (*shape, 3)).clip(0, 255).astype(numpy.uint8)


def disc(width=WIDTH, height=HEIGHT):
    mask = numpy.zeros((height, width), numpy.uint8)
    cv2.circle(mask, (width // 2, height // 2), min(width, height) // 3, 1, -1)
    return mask


def rotated_rectangle(width=WIDTH, height=HEIGHT):
    mask = numpy.zeros((height, width), numpy.uint8)
    corners = cv2.boxPoints(((width / 2, height / 2), (width / 2, height / 4), 30))
    cv2.fillPoly(mask, [numpy.rint(corners).astype(numpy.int32)], 1)
    return mask


def l_shape(width=WIDTH, height=HEIGHT):
    mask = numpy.zeros((height, width), numpy.uint8)
    corners = [(0.25, 0.17), (0.42, 0.17), (0.42, 0.61), (0.75, 0.61), (0.75, 0.83), (0.25, 0.83)]
    cv2.fillPoly(mask, [numpy.array([(x * width, y * height) for x, y in corners], numpy.int32)], 1)
    return mask


def on_noisy_background(mask, seed=1):
    """A contrasting object (``OBJECT_COLOUR`` with a little noise) where ``mask`` is 1, on grey-green noise."""
    picture = noise(mask.shape, (80, 110, 90), 25, seed)
    picture[mask == 1] = noise(mask.shape, OBJECT_COLOUR, 10, seed + 1)[mask == 1]
    return picture


def photo_like(mask, seed=3):
    """A sky-to-ground gradient background and a shaded object (lit from the top left), with sensor noise."""
    height, width = mask.shape
    rows = numpy.linspace(0, 1, height)[:, None, None]
    columns = numpy.linspace(0, 1, width)[None, :, None]
    background = (1 - rows) * numpy.array([170, 200, 235]) + rows * numpy.array([70, 95, 60]) + 20 * columns
    shade = 0.7 + 0.5 * (1 - (rows + columns) / 2)
    thing = shade * numpy.array([150, 70, 40])
    picture = numpy.where(mask[:, :, None] == 1, thing, background)
    picture += numpy.random.default_rng(seed).normal(0, 6, picture.shape)
    return picture.clip(0, 255).astype(numpy.uint8)


def box_around(mask, padding=12):
    rows, columns = numpy.nonzero(mask)
    height, width = mask.shape
    return (
        max(0, int(columns.min()) - padding),
        max(0, int(rows.min()) - padding),
        min(width, int(columns.max()) + 1 + padding),
        min(height, int(rows.max()) + 1 + padding),
    )


def iou(points, truth):
    drawn = numpy.zeros_like(truth)
    cv2.fillPoly(drawn, [numpy.array(points, numpy.int32)], 1)
    return (drawn & truth).sum() / (drawn | truth).sum()


def assert_valid_polygon(shape, width, height):
    polygon = AnnotationType(name="outline", vector_type=VectorType.POLYGON)
    image = Image(width=width, height=height)
    vector = vector_from_points(shape.points)
    assert validate_vector(vector, polygon, image) == vector
    assert 3 <= len(shape.points) <= MAX_VERTICES
    assert all(isinstance(x, int) and isinstance(y, int) for x, y in shape.points)


# --- box → polygon ----------------------------------------------------------------------------------


@pytest.mark.parametrize("make_mask", [disc, rotated_rectangle, l_shape])
def test_grabcut_outlines_the_object_in_the_box(make_mask):
    truth = make_mask()
    picture = on_noisy_background(truth)

    shape = box_to_polygon(picture, box_around(truth))

    assert iou(shape.points, truth) > 0.85
    assert shape.note == ""
    assert_valid_polygon(shape, WIDTH, HEIGHT)


@pytest.mark.parametrize("size", [(WIDTH, HEIGHT), (1600, 1200)])
@pytest.mark.parametrize("make_mask", [disc, rotated_rectangle, l_shape])
def test_grabcut_on_a_photo_like_gradient(make_mask, size):
    truth = make_mask(*size)

    shape = box_to_polygon(photo_like(truth), box_around(truth, padding=20))

    assert iou(shape.points, truth) > 0.85
    assert_valid_polygon(shape, *size)


def test_the_same_box_gives_the_same_polygon():
    truth = l_shape()
    picture = on_noisy_background(truth)
    assert box_to_polygon(picture, box_around(truth)) == box_to_polygon(picture, box_around(truth))


@pytest.mark.parametrize("make_mask", [disc, rotated_rectangle, l_shape])
def test_working_on_a_scaled_down_crop_costs_little_accuracy(make_mask):
    """A 1600 × 1200 picture: the crop scaled to ``WORK_SIZE`` px, against GrabCut on every pixel (both
    given all the time they need)."""
    truth = make_mask(1600, 1200)
    picture = on_noisy_background(truth)
    box = box_around(truth, padding=30)

    scaled = iou(box_to_polygon(picture, box, seconds=60).points, truth)
    full = iou(box_to_polygon(picture, box, work_size=None, seconds=60).points, truth)

    assert scaled > 0.85
    assert full - scaled < 0.02


def test_a_large_outline_is_simplified_to_at_most_max_vertices():
    truth = disc(1600, 1200)
    shape = box_to_polygon(on_noisy_background(truth), box_around(truth))
    assert len(shape.points) <= MAX_VERTICES
    assert iou(shape.points, truth) > 0.97

    fewer = box_to_polygon(on_noisy_background(truth), box_around(truth), max_vertices=8)
    assert 3 <= len(fewer.points) <= 8


def test_an_object_on_the_image_border():
    truth = numpy.zeros((HEIGHT, WIDTH), numpy.uint8)
    truth[100:HEIGHT, 0:200] = 1  # touches the left and bottom edges
    picture = on_noisy_background(truth)

    shape = box_to_polygon(picture, (0, 88, 212, HEIGHT))

    assert iou(shape.points, truth) > 0.85
    assert_valid_polygon(shape, WIDTH, HEIGHT)


def test_a_box_of_the_whole_image():
    """GrabCut learns the background from the image's outermost pixels then."""
    truth = disc()
    shape = box_to_polygon(on_noisy_background(truth), (0, 0, WIDTH, HEIGHT))
    assert iou(shape.points, truth) > 0.85
    assert_valid_polygon(shape, WIDTH, HEIGHT)

    on_the_edge = numpy.zeros((HEIGHT, WIDTH), numpy.uint8)
    on_the_edge[100:HEIGHT, 0:200] = 1  # its colour is in that background too: at least a valid polygon
    assert_valid_polygon(box_to_polygon(on_noisy_background(on_the_edge), (0, 0, WIDTH, HEIGHT)), WIDTH, HEIGHT)


def test_the_largest_part_is_kept_and_the_note_says_what_was_left_out():
    truth = numpy.zeros((HEIGHT, WIDTH), numpy.uint8)
    cv2.circle(truth, (180, 180), 90, 1, -1)
    cv2.circle(truth, (360, 180), 30, 1, -1)
    picture = on_noisy_background(truth)

    shape = box_to_polygon(picture, (60, 60, 420, 300))

    big = numpy.zeros_like(truth)
    cv2.circle(big, (180, 180), 90, 1, -1)
    assert iou(shape.points, big) > 0.85
    assert shape.note == "Its mask became the outline of its largest part (1 smaller part left out)."


def test_a_box_of_one_colour_gives_its_corners_with_a_note():
    flat = numpy.full((HEIGHT, WIDTH, 3), 128, numpy.uint8)
    flat[:, 300:] = (20, 200, 20)  # outside the box

    shape = box_to_polygon(flat, (40, 50, 200, 150))

    assert shape.points == [(40, 50), (200, 50), (200, 150), (40, 150)]
    assert shape.note == "The box is all one colour; the box's corners are used instead."


def grabcut_calls(monkeypatch, finding=True):
    """Count GrabCut's calls (one iteration each); ``finding=False``: GrabCut finds only background."""
    calls = []
    real = cv2.grabCut

    def counted(image, mask, rect, background, foreground, iterations, mode):
        calls.append(mode)
        real(image, mask, rect, background, foreground, iterations, mode)
        if not finding:
            mask[:] = cv2.GC_PR_BGD

    monkeypatch.setattr(shapes.cv2, "grabCut", counted)
    return calls


def test_without_an_object_the_box_corners_with_a_note(monkeypatch):
    grabcut_calls(monkeypatch, finding=False)

    shape = box_to_polygon(on_noisy_background(disc()), (10, 10, 100, 100))

    assert shape.points == [(10, 10), (100, 10), (100, 100), (10, 100)]
    assert shape.note == "GrabCut found no object in the box; the box's corners are used instead."


def test_a_failing_grabcut_gives_the_box_corners(monkeypatch):
    def failing(*args):
        raise cv2.error("There is no sample")

    monkeypatch.setattr(shapes.cv2, "grabCut", failing)
    shape = box_to_polygon(on_noisy_background(disc()), (10, 10, 100, 100))
    assert shape.points == [(10, 10), (100, 10), (100, 100), (10, 100)]
    assert "no object" in shape.note


def test_grabcut_stops_iterating_when_its_time_is_up_or_nothing_changes(monkeypatch):
    truth = l_shape()
    picture = on_noisy_background(truth)

    calls = grabcut_calls(monkeypatch)
    hurried = box_to_polygon(picture, box_around(truth), seconds=0)
    assert calls == [cv2.GC_INIT_WITH_RECT]
    assert iou(hurried.points, truth) > 0.85

    calls.clear()
    box_to_polygon(picture, box_around(truth), iterations=50, seconds=60)
    assert cv2.GC_EVAL in calls
    assert len(calls) < 50  # an iteration changed nothing: the ones after it would not either


def test_grey_and_rgba_pixels_are_accepted():
    truth = disc()
    picture = on_noisy_background(truth)
    grey = noise(truth.shape, 80, 25, seed=7)[:, :, 0]
    grey[truth == 1] = 190
    rgba = numpy.dstack([picture, numpy.full(truth.shape, 255, numpy.uint8)])

    assert iou(box_to_polygon(grey, box_around(truth)).points, truth) > 0.85
    assert box_to_polygon(rgba, box_around(truth)) == box_to_polygon(picture, box_around(truth))


# --- magic wand -------------------------------------------------------------------------------------


def flat_region_beside_noise():
    """A flat blue rectangle (the truth) in a noisy picture whose colours are mostly near it."""
    picture = noise((HEIGHT, WIDTH), (60, 130, 190), 20, seed=5)
    truth = numpy.zeros((HEIGHT, WIDTH), numpy.uint8)
    truth[80:280, 100:300] = 1
    picture[truth == 1] = (60, 130, 190)
    return picture, truth


def test_the_magic_wand_takes_the_flat_region_around_the_point():
    picture, truth = flat_region_beside_noise()

    shape = magic_wand_polygon(picture, (200, 180), 5)

    assert iou(shape.points, truth) > 0.9
    assert_valid_polygon(shape, WIDTH, HEIGHT)


def test_the_magic_wand_reads_a_read_only_array_and_leaves_it_alone():
    picture, truth = flat_region_beside_noise()
    before = picture.copy()
    picture.flags.writeable = False

    assert iou(magic_wand_polygon(picture, (200, 180), 5).points, truth) > 0.9
    assert numpy.array_equal(picture, before)


def test_the_tolerance_decides_how_far_the_region_reaches():
    picture = numpy.zeros((HEIGHT, WIDTH, 3), numpy.uint8)
    picture[:, :] = (20, 20, 20)
    near = numpy.zeros((HEIGHT, WIDTH), numpy.uint8)
    near[50:300, 50:200] = 1
    nearer = numpy.zeros_like(near)
    nearer[50:300, 200:400] = 1
    picture[near == 1] = (100, 100, 100)
    picture[nearer == 1] = (110, 104, 100)  # within 10 of the first in every channel

    exact = magic_wand_polygon(picture, (100, 100), 0)
    wide = magic_wand_polygon(picture, (100, 100), 10)
    everything = magic_wand_polygon(picture, (100, 100), 255)

    assert iou(exact.points, near) > 0.97
    assert iou(wide.points, near | nearer) > 0.97
    assert sorted(everything.points) == [(0, 0), (0, HEIGHT - 1), (WIDTH - 1, 0), (WIDTH - 1, HEIGHT - 1)]
    for shape in (exact, wide, everything):
        assert_valid_polygon(shape, WIDTH, HEIGHT)


def test_a_region_of_one_pixel_is_still_a_polygon():
    picture = noise((HEIGHT, WIDTH), 128, 60, seed=9)
    picture[10, 10] = (0, 0, 0)  # none of its neighbours is black

    shape = magic_wand_polygon(picture, (10, 10), 0)

    assert shape.points == [(10, 10), (11, 10), (11, 11), (10, 11)]
    assert_valid_polygon(shape, WIDTH, HEIGHT)


def test_a_region_with_a_hole_is_its_outline_and_says_so():
    picture = numpy.full((HEIGHT, WIDTH, 3), 50, numpy.uint8)
    picture[100:200, 100:200] = 200

    shape = magic_wand_polygon(picture, (10, 10), 0)

    assert sorted(shape.points) == [(0, 0), (0, HEIGHT - 1), (WIDTH - 1, 0), (WIDTH - 1, HEIGHT - 1)]
    assert shape.note == "Its mask became the outline of its largest part (1 hole left out)."


# --- bad input --------------------------------------------------------------------------------------

PICTURE = numpy.zeros((HEIGHT, WIDTH, 3), numpy.uint8)


@pytest.mark.parametrize(
    ("call", "reason"),
    [
        (
            lambda: box_to_polygon(PICTURE, (-1, 0, 100, 100)),
            r"\(-1, 0, 100, 100\) is not inside the image, .* 480 × 360",
        ),
        (lambda: box_to_polygon(PICTURE, (0, 0, 481, 100)), "is not inside the image"),
        (lambda: box_to_polygon(PICTURE, (0, 0, 100, 361)), "is not inside the image"),
        (lambda: box_to_polygon(PICTURE, (100, 10, 50, 60)), "needs x1 < x2 and y1 < y2"),
        (lambda: box_to_polygon(PICTURE, (10, 10, 100, 10)), "needs x1 < x2 and y1 < y2"),
        (lambda: box_to_polygon(PICTURE, (10, 10, 13, 100)), "too small: it needs at least 4 pixels"),
        (lambda: box_to_polygon(PICTURE, (10, 10, 100)), r"must be \(x1, y1, x2, y2\)"),
        (lambda: box_to_polygon(PICTURE, (10.5, 10, 100, 100)), "x1 must be a whole number"),
        (lambda: box_to_polygon(PICTURE, (10, 10, 100, 100), iterations=0), "iterations must be at least 1"),
        (lambda: box_to_polygon(PICTURE.astype(float), (10, 10, 100, 100)), "must be 8-bit"),
        (lambda: box_to_polygon([[0]], (10, 10, 100, 100)), "must be a numpy array"),
        (lambda: box_to_polygon(PICTURE[:, :, :2], (10, 10, 100, 100)), "1, 3 or 4 channels"),
        (lambda: box_to_polygon(PICTURE[:0], (0, 0, 0, 0)), "empty"),
        (lambda: magic_wand_polygon(PICTURE, (480, 10), 10), r"\(480, 10\) is not on the image"),
        (lambda: magic_wand_polygon(PICTURE, (10, -1), 10), "is not on the image"),
        (lambda: magic_wand_polygon(PICTURE, (10, 360), 10), "is not on the image"),
        (lambda: magic_wand_polygon(PICTURE, (10,), 10), r"must be \(x, y\)"),
        (lambda: magic_wand_polygon(PICTURE, (10, 10), -1), "tolerance must be 0 to 255"),
        (lambda: magic_wand_polygon(PICTURE, (10, 10), 256), "tolerance must be 0 to 255"),
        (lambda: magic_wand_polygon(PICTURE, (10, 10), 2.5), "tolerance must be a whole number"),
        (lambda: magic_wand_polygon(PICTURE, (10, 10), True), "tolerance must be a whole number"),
        (lambda: magic_wand_polygon(PICTURE, (10, 10), 10, max_vertices=2), "max_vertices must be at least 3"),
    ],
)
def test_bad_input_is_refused_with_its_reason(call, reason):
    with pytest.raises(ValueError, match=reason):
        call()


# --- reading an Image ---------------------------------------------------------------------------------


def marked_jpeg(orientation, width=120, height=80):
    """A JPEG of ``width`` × ``height`` raw pixels, grey with a red block in its raw top-left corner."""
    picture = PILImage.new("RGB", (width, height), (128, 128, 128))
    picture.paste((230, 20, 20), (0, 0, 30, 20))
    exif = PILImage.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=95, exif=exif.tobytes())
    return out.getvalue()


@pytest.fixture
def stored_image(make_user, make_team, storage_dir):
    ada = make_user("ada")
    image_set = make_imageset(make_team("Robots", admins=[ada]), name="field", creator=ada)

    def store(data, name="turned.jpg"):
        result = add_image_file(image_set, name=name, fileobj=io.BytesIO(data))
        return Image.objects.get(pk=result.image_id)

    return store


@pytest.mark.django_db
@pytest.mark.storages("filesystem", "s3")
@pytest.mark.parametrize(
    ("orientation", "size", "red_corner"),
    [
        (1, (120, 80), "top left"),
        (3, (120, 80), "bottom right"),
        (6, (80, 120), "top right"),
        (8, (80, 120), "bottom left"),
    ],
)
def test_an_image_is_read_turned_as_its_exif_orientation_says(stored_image, orientation, size, red_corner):
    data = marked_jpeg(orientation)
    image = stored_image(data)

    pixels = read_image_pixels(image)

    assert (pixels.shape[1], pixels.shape[0]) == size == (image.width, image.height)
    expected = numpy.asarray(ImageOps.exif_transpose(PILImage.open(io.BytesIO(data))).convert("RGB"))
    assert numpy.array_equal(pixels, expected)
    corners = {
        "top left": pixels[2, 2],
        "top right": pixels[2, -3],
        "bottom left": pixels[-3, 2],
        "bottom right": pixels[-3, -3],
    }
    reddest = max(corners, key=lambda name: int(corners[name][0]) - int(corners[name][2]))
    assert reddest == red_corner


@pytest.mark.django_db
def test_an_image_stored_with_its_raw_size_is_refused(stored_image):
    image = stored_image(marked_jpeg(6))
    Image.objects.filter(pk=image.pk).update(width=120, height=80)  # as before ingest applied the orientation
    image.refresh_from_db()

    with pytest.raises(ValueError, match=r"is 80 × 120 pixels as shown, but the image is stored as 120 × 80"):
        read_image_pixels(image)


@pytest.mark.django_db
def test_a_png_with_transparency_is_read_as_rgb(stored_image):
    picture = PILImage.new("RGBA", (40, 30), (10, 200, 30, 128))
    out = io.BytesIO()
    picture.save(out, "PNG")

    pixels = read_image_pixels(stored_image(out.getvalue(), name="glass.png"))

    assert pixels.shape == (30, 40, 3)
    assert pixels.dtype == numpy.uint8
