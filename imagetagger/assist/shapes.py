"""The geometry of the annotate page's one-click shapes (issue 17): box → polygon and the magic wand.

Pure functions on pixel arrays (``numpy`` uint8, rows × columns × 3 channels, RGB or BGR: neither
function depends on the order of the channels) plus ``read_image_pixels``, which reads an ImageTagger
``Image`` the way the canvas shows it (EXIF orientation applied), so that the coordinates of a result
are those of the image's labels.

A result is a ``Shape``: its points are whole image pixels inside ``0..width`` × ``0..height``, at
least 3, no two consecutive ones (nor the last and the first) equal, at most ``MAX_VERTICES``: ready
for ``annotations.vectors.validate_vector`` with a polygon type. Its ``note`` says, for the page,
what the shape left out (``MaskOutline.note``: other parts, holes) or why it is only the box.

The outline of a mask is ``exports.masks.mask_outline`` (the largest part, simplified to 0.5 px),
then simplified further until it has at most ``MAX_VERTICES`` points.
"""

import math
import time
from dataclasses import dataclass

import cv2
import numpy

from exports.masks import SIMPLIFY_PIXELS, mask_outline
from images.ingest import open_oriented

MAX_VERTICES = 64
# GrabCut works on the box with this margin around it (its background model is learnt there)…
BOX_MARGIN = 0.25  # of the box's longer side
MIN_MARGIN_PIXELS = 10
# … scaled down so that its longer side has at most this many pixels. GrabCut's time grows faster than
# the pixels: on 1920 × 1080 (bench/bench_assist.py) 256 px took p95 0.2 s against 0.47 s at 384 px
# and 0.67 s at 512 px, for a mean IoU of 0.986 against 0.987 and 0.982; the tests check that the
# scaling costs less than 0.02 IoU against GrabCut on every pixel.
WORK_SIZE = 256
GRABCUT_ITERATIONS = 5
# GrabCut's time depends on the picture: a smooth gradient can take ten times as long as a photo.
# No further iteration starts after this many seconds (the one running then finishes).
GRABCUT_SECONDS = 0.5
# A box whose colours vary less than this (standard deviation per channel) holds nothing to cut out;
# on such boxes GrabCut's graph cut can also take seconds.
FLAT_SPREAD = 2.0
MIN_BOX_SIDE = 4  # pixels; GrabCut needs an inside to the rectangle


@dataclass(frozen=True)
class Shape:
    points: list  # [(x, y), …] in image pixels
    note: str = ""


# --- input checks -----------------------------------------------------------------------------------


def _checked_pixels(pixels):
    """``pixels`` as a contiguous 3-channel uint8 array (a grey image gets 3 equal channels, alpha is dropped)."""
    if not isinstance(pixels, numpy.ndarray):
        raise ValueError(f"the pixels must be a numpy array, not {type(pixels).__name__}")
    if pixels.dtype != numpy.uint8:
        raise ValueError(f"the pixels must be 8-bit (uint8), not {pixels.dtype}")
    if pixels.ndim == 2:
        pixels = pixels[:, :, numpy.newaxis]
    if pixels.ndim != 3 or pixels.shape[2] not in (1, 3, 4):
        raise ValueError(f"the pixels must be rows × columns × 1, 3 or 4 channels, not shape {pixels.shape}")
    if pixels.shape[0] == 0 or pixels.shape[1] == 0:
        raise ValueError("the image is empty (no pixels)")
    if pixels.shape[2] == 1:
        pixels = numpy.repeat(pixels, 3, axis=2)
    return numpy.ascontiguousarray(pixels[:, :, :3])


def _whole_number(value, what):
    if isinstance(value, bool) or not isinstance(value, int | numpy.integer):
        raise ValueError(f"{what} must be a whole number of pixels, not {value!r}")
    return int(value)


def _checked_box(box, width, height):
    """``box`` (x1, y1, x2, y2) as whole numbers, top-left then bottom-right, inside the image."""
    if not isinstance(box, list | tuple) or len(box) != 4:
        raise ValueError(f"the box must be (x1, y1, x2, y2), not {box!r}")
    x1, y1, x2, y2 = (_whole_number(value, name) for value, name in zip(box, ("x1", "y1", "x2", "y2"), strict=True))
    if not (0 <= x1 <= width and 0 <= x2 <= width and 0 <= y1 <= height and 0 <= y2 <= height):
        raise ValueError(
            f"the box ({x1}, {y1}, {x2}, {y2}) is not inside the image, which is {width} × {height} pixels"
        )
    if x1 >= x2 or y1 >= y2:
        raise ValueError(f"the box ({x1}, {y1}, {x2}, {y2}) needs x1 < x2 and y1 < y2 (top-left, then bottom-right)")
    if x2 - x1 < MIN_BOX_SIDE or y2 - y1 < MIN_BOX_SIDE:
        raise ValueError(
            f"the box ({x1}, {y1}, {x2}, {y2}) is too small: it needs at least {MIN_BOX_SIDE} pixels each way"
        )
    return x1, y1, x2, y2


def _checked_point(point, width, height):
    if not isinstance(point, list | tuple) or len(point) != 2:
        raise ValueError(f"the point must be (x, y), not {point!r}")
    x, y = _whole_number(point[0], "x"), _whole_number(point[1], "y")
    if not (0 <= x < width and 0 <= y < height):
        raise ValueError(f"the point ({x}, {y}) is not on the image, whose pixels are 0..{width - 1} × 0..{height - 1}")
    return x, y


def _checked_tolerance(tolerance):
    tolerance = _whole_number(tolerance, "the tolerance")
    if not 0 <= tolerance <= 255:
        raise ValueError(f"the tolerance must be 0 to 255 (per colour channel), not {tolerance}")
    return tolerance


# --- outlines ---------------------------------------------------------------------------------------


def _simplified(points, max_vertices):
    """``points`` (floats) with ever larger tolerances until at most ``max_vertices`` are left."""
    contour = numpy.asarray(points, dtype=numpy.float32).reshape(-1, 1, 2)
    epsilon = SIMPLIFY_PIXELS
    while len(contour) > max_vertices:
        epsilon *= 1.25
        contour = cv2.approxPolyDP(contour, epsilon, True)
    return contour.reshape(-1, 2)


def _without_repeats(points):
    """``points`` without a point equal to the one before it (the first counts as after the last)."""
    kept = [point for index, point in enumerate(points) if point != points[index - 1]]
    return kept or points[:1]


def _polygon(mask, width, height, to_image, max_vertices):
    """The outline of the largest part of ``mask`` as whole image pixels, and ``mask_outline``'s result.

    ``to_image`` maps an (n, 2) array of mask coordinates to image coordinates (floats).
    """
    outline = mask_outline(mask)
    corners = to_image(numpy.asarray(outline.points, dtype=numpy.float64))
    simplified = _simplified(corners, max_vertices)
    xs = numpy.clip(numpy.rint(simplified[:, 0]), 0, width).astype(int)
    ys = numpy.clip(numpy.rint(simplified[:, 1]), 0, height).astype(int)
    points = _without_repeats(list(zip(xs.tolist(), ys.tolist(), strict=True)))
    if len(points) < 3:  # a part a pixel or two across
        points = _pixel_edges(corners, width, height)
    return points, outline


def _pixel_edges(corners, width, height):
    """The rectangle around the pixels whose centres are ``corners``, along their outer edges."""
    (left, top), (right, bottom) = corners.min(axis=0), corners.max(axis=0)
    x2 = min(width, max(1, math.ceil(right) + 1))
    y2 = min(height, max(1, math.ceil(bottom) + 1))
    x1 = min(max(0, math.floor(left)), x2 - 1)
    y1 = min(max(0, math.floor(top)), y2 - 1)
    return [(x1, y1), (x2, y1), (x2, y2), (x1, y2)]


# --- box → polygon ----------------------------------------------------------------------------------


def _crop_around(box, width, height):
    """The part of the image GrabCut sees: ``box`` with a margin, clipped to the image (x1, y1, x2, y2)."""
    x1, y1, x2, y2 = box
    margin = max(MIN_MARGIN_PIXELS, round(BOX_MARGIN * max(x2 - x1, y2 - y1)))
    return max(0, x1 - margin), max(0, y1 - margin), min(width, x2 + margin), min(height, y2 + margin)


def _is_flat(work, rect):
    x, y, w, h = rect
    inside = work[y : y + h, x : x + w].reshape(-1, 3)
    return bool((inside.std(axis=0) < FLAT_SPREAD).all())


def _grabcut_mask(work, rect, iterations, seconds):
    """GrabCut's foreground (0/1 array) in ``work`` for the rectangle ``rect`` (x, y, w, h); None if it fails.

    One iteration at a time: it stops early when an iteration changes nothing, or after ``seconds``.
    """
    deadline = time.monotonic() + seconds
    mask = numpy.zeros(work.shape[:2], dtype=numpy.uint8)
    background = numpy.zeros((1, 65), dtype=numpy.float64)
    foreground = numpy.zeros((1, 65), dtype=numpy.float64)
    cv2.setRNGSeed(0)  # GrabCut's k-means starts at random: the same box gives the same polygon
    try:
        cv2.grabCut(work, mask, rect, background, foreground, 1, cv2.GC_INIT_WITH_RECT)
        for _ in range(iterations - 1):
            if time.monotonic() > deadline:
                break
            before = mask.copy()
            cv2.grabCut(work, mask, rect, background, foreground, 1, cv2.GC_EVAL)
            if numpy.array_equal(before, mask):
                break
    except cv2.error:  # e.g. no background left to learn from
        return None
    return ((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)).astype(numpy.uint8)


def _box_corners(box, why):
    x1, y1, x2, y2 = box
    return Shape([(x1, y1), (x2, y1), (x2, y2), (x1, y2)], note=f"{why}; the box's corners are used instead.")


def box_to_polygon(
    pixels,
    box,
    *,
    iterations=GRABCUT_ITERATIONS,
    work_size=WORK_SIZE,
    seconds=GRABCUT_SECONDS,
    max_vertices=MAX_VERTICES,
) -> Shape:
    """The outline of the object GrabCut finds inside ``box`` (x1, y1, x2, y2 in image pixels).

    GrabCut sees the box with a margin around it, scaled down so that its longer side has at most
    ``work_size`` pixels (``None``: never scaled), for at most ``iterations`` iterations, none begun after
    ``seconds``. Without a foreground the result is the box's corners, with a note saying why.
    """
    pixels = _checked_pixels(pixels)
    height, width = pixels.shape[:2]
    box = _checked_box(box, width, height)
    if _whole_number(iterations, "iterations") < 1 or _whole_number(max_vertices, "max_vertices") < 3:
        raise ValueError("iterations must be at least 1 and max_vertices at least 3")
    cx1, cy1, cx2, cy2 = _crop_around(box, width, height)
    crop = pixels[cy1:cy2, cx1:cx2]
    scale = 1.0 if work_size is None else min(1.0, work_size / max(crop.shape[:2]))
    if scale < 1.0:
        size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
        work = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    else:
        work = numpy.ascontiguousarray(crop)
    sx, sy = crop.shape[1] / work.shape[1], crop.shape[0] / work.shape[0]
    rect = _work_rect(box, (cx1, cy1), (sx, sy), work.shape)
    if _is_flat(work, rect):
        return _box_corners(box, "The box is all one colour")
    foreground = _grabcut_mask(work, rect, iterations, seconds)
    if foreground is None or not foreground.any():
        return _box_corners(box, "GrabCut found no object in the box")

    def to_image(points):  # pixel centres of the work array → pixel centres of the image
        return numpy.column_stack([cx1 + (points[:, 0] + 0.5) * sx - 0.5, cy1 + (points[:, 1] + 0.5) * sy - 0.5])

    points, outline = _polygon(foreground, width, height, to_image, max_vertices)
    return Shape(points, note=outline.note)


def _work_rect(box, origin, scale, shape):
    """``box`` in the work array as (x, y, w, h), leaving at least a one-pixel ring outside for the background."""
    (x1, y1, x2, y2), (ox, oy), (sx, sy) = box, origin, scale
    rows, columns = shape[:2]
    left = min(max(1, math.floor((x1 - ox) / sx)), columns - 2)
    top = min(max(1, math.floor((y1 - oy) / sy)), rows - 2)
    right = max(min(columns - 1, math.ceil((x2 - ox) / sx)), left + 1)
    bottom = max(min(rows - 1, math.ceil((y2 - oy) / sy)), top + 1)
    return left, top, right - left, bottom - top


# --- magic wand -------------------------------------------------------------------------------------


def magic_wand_polygon(pixels, point, tolerance, *, max_vertices=MAX_VERTICES) -> Shape:
    """The outline of the region around ``point`` (x, y) whose colour differs from the point's by at most
    ``tolerance`` (0..255) in every channel, through neighbours left, right, above and below."""
    pixels = _checked_pixels(pixels)
    height, width = pixels.shape[:2]
    x, y = _checked_point(point, width, height)
    tolerance = _checked_tolerance(tolerance)
    if _whole_number(max_vertices, "max_vertices") < 3:
        raise ValueError("max_vertices must be at least 3")
    if not pixels.flags.writeable:  # OpenCV's binding insists, although the mask alone is written
        pixels = pixels.copy()
    mask = numpy.zeros((height + 2, width + 2), dtype=numpy.uint8)
    flags = 4 | cv2.FLOODFILL_FIXED_RANGE | cv2.FLOODFILL_MASK_ONLY | (1 << 8)
    difference = (tolerance,) * 3
    cv2.floodFill(pixels, mask, (x, y), 0, difference, difference, flags)
    points, outline = _polygon(mask[1:-1, 1:-1], width, height, lambda corners: corners, max_vertices)
    return Shape(points, note=outline.note)


# --- reading an Image ---------------------------------------------------------------------------------


def read_image_pixels(image):
    """The RGB pixels (rows × columns × 3, uint8) of ``image`` (an ``images.models.Image``) as the canvas
    shows them: turned as its EXIF orientation says, like its thumbnail (``images.ingest``).

    ``ValueError`` when the file's size is not the one stored for the image (an image stored before
    ingest applied the orientation: ``manage.py fixorientation``), since the coordinates would not match.
    """
    decoded = open_oriented(image, "RGB")
    if decoded.size != (image.width, image.height):
        raise ValueError(
            f"the file of image {image.pk} is {decoded.size[0]} × {decoded.size[1]} pixels as shown, "
            f"but the image is stored as {image.width} × {image.height} (manage.py fixorientation)"
        )
    return numpy.asarray(decoded)
