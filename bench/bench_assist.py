"""Benchmark: the annotate page's one-click shapes (issue 17): box → polygon (GrabCut) and the magic wand.

Data: one generated photo-like picture of 1920 × 1080 (a sky-to-ground gradient, soft blobs, sensor
noise) with objects of varied sizes (discs, rotated rectangles and L shapes, 24 to 640 pixels across,
shaded and noisy), saved as a JPEG (quality 90) and stored as an ImageTagger image (bench/_setup.py:
a throw-away database and data folder).

Measured in process, in alternating rounds (``--rounds`` after ``--warmup``; the order of the calls
reverses every round, and the baseline is measured between them, once every five calls):

- baseline: reading the image as every request must (``assist.shapes.read_image_pixels``: the JPEG
  from the storage, decoded, EXIF orientation applied);
- box → polygon (``box_to_polygon``) for ``--boxes`` boxes around the objects (each with a random
  padding of 5-20 % of the object's size), at each working size of ``--work-sizes`` (the crop's longer
  side GrabCut sees; ``full``: not scaled); p50, p95 and max, also by the object's size, and
  the mean and lowest IoU of the polygons with the true shapes;
- magic wand (``magic_wand_polygon``) at ``--points`` points (objects and background) for each
  tolerance of ``--tolerances``.

Figures in ms, and as ratios to the baseline's median.

    .venv/bin/python bench/bench_assist.py [--boxes 40] [--points 30] [--rounds 5] [--work-sizes 256,384,512]

Every call has a timeout (``--timeout`` seconds): one that takes longer stops the run, naming it. A
watchdog (``faulthandler``) ends a run stuck inside OpenCV after ``--deadline`` seconds.
"""

import argparse
import faulthandler
import io
import math
import random
import statistics
import sys
import time

import _setup

_setup.setup_django()

import cv2  # noqa: E402
import numpy  # noqa: E402
from PIL import Image as PILImage  # noqa: E402

from assist import shapes  # noqa: E402
from assist.shapes import box_to_polygon, magic_wand_polygon, read_image_pixels  # noqa: E402
from images.ingest import add_image_file  # noqa: E402
from images.models import Image  # noqa: E402
from images.services import create_imageset  # noqa: E402
from users.models import User  # noqa: E402
from users.services import create_team  # noqa: E402

WIDTH, HEIGHT = 1920, 1080
OBJECT_SIZES = [640, 420, 300, 220, 160, 120, 90, 64, 48, 32, 24]
BASELINE_EVERY = 5  # calls


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boxes", type=int, default=40)
    parser.add_argument("--points", type=int, default=30)
    parser.add_argument("--tolerances", default="8,32,255", help="magic wand tolerances, comma separated")
    parser.add_argument("--work-sizes", default="256,384,512", help="GrabCut's working sizes (or full)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds one call may take")
    parser.add_argument("--deadline", type=float, default=1800.0, help="seconds the whole run may take")
    return parser.parse_args()


# --- the picture --------------------------------------------------------------------------------------


def object_mask(kind, size, rng):
    """A ``size`` × ``size`` 0/1 mask of a disc, a rotated rectangle or an L shape."""
    mask = numpy.zeros((size, size), numpy.uint8)
    if kind == "disc":
        cv2.circle(mask, (size // 2, size // 2), size // 2 - 1, 1, -1)
    elif kind == "rectangle":
        angle = rng.uniform(0, 90)
        side = size / (abs(math.cos(math.radians(angle))) + abs(math.sin(math.radians(angle))))
        corners = cv2.boxPoints(((size / 2, size / 2), (side - 1, side * 0.6), angle))
        cv2.fillPoly(mask, [numpy.rint(corners).astype(numpy.int32)], 1)
    else:
        s = size - 1
        corners = [(0, 0), (0.4 * s, 0), (0.4 * s, 0.6 * s), (s, 0.6 * s), (s, s), (0, s)]
        cv2.fillPoly(mask, [numpy.array(corners, numpy.int32)], 1)
    return mask


def background(rng):
    rows = numpy.linspace(0, 1, HEIGHT)[:, None, None]
    columns = numpy.linspace(0, 1, WIDTH)[None, :, None]
    picture = (1 - rows) * numpy.array([175, 200, 230]) + rows * numpy.array([80, 105, 65]) + 25 * columns
    blobs = cv2.resize(rng.normal(0, 1, (HEIGHT // 60, WIDTH // 60, 3)), (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC)
    return picture + 18 * blobs


def place(sizes, rng):
    """Top-left corners for squares of ``sizes`` that do not overlap (with 8 px between them)."""
    placed = []
    for size in sizes:
        for _ in range(10_000):
            x, y = int(rng.integers(0, WIDTH - size)), int(rng.integers(0, HEIGHT - size))
            if all(
                x + size + 8 < px or px + ps + 8 < x or y + size + 8 < py or py + ps + 8 < y for px, py, ps in placed
            ):
                placed.append((x, y, size))
                break
        else:
            raise SystemExit(f"no room for an object of {size} px")
    return placed


def photo_with_objects(seed):
    """(JPEG bytes, [(true mask of the whole picture, (x1, y1, x2, y2) of the object), …])."""
    rng = numpy.random.default_rng(seed)
    picture = background(rng)
    objects = []
    kinds = ["disc", "rectangle", "l"]
    for number, (x, y, size) in enumerate(place(OBJECT_SIZES, rng)):
        mask = object_mask(kinds[number % 3], size, rng)
        colour = rng.uniform(20, 235, 3)
        shade = numpy.linspace(1.15, 0.85, size)[:, None, None] * numpy.linspace(1.1, 0.9, size)[None, :, None]
        area = picture[y : y + size, x : x + size]
        area[mask == 1] = (colour * shade)[mask == 1]
        truth = numpy.zeros((HEIGHT, WIDTH), numpy.uint8)
        truth[y : y + size, x : x + size] = mask
        rows, columns = numpy.nonzero(truth)
        objects.append((truth, (int(columns.min()), int(rows.min()), int(columns.max()) + 1, int(rows.max()) + 1)))
    picture += rng.normal(0, 5, picture.shape)
    out = io.BytesIO()
    PILImage.fromarray(picture.clip(0, 255).astype(numpy.uint8)).save(out, "JPEG", quality=90)
    return out.getvalue(), objects


def boxes_around(objects, count, rng):
    """``count`` boxes around the objects in turn, each padded by 5-20 % of its object's size."""
    boxes = []
    for number in range(count):
        truth, (x1, y1, x2, y2) = objects[number % len(objects)]
        pad = max(2, round(rng.uniform(0.05, 0.2) * max(x2 - x1, y2 - y1)))
        box = (max(0, x1 - pad), max(0, y1 - pad), min(WIDTH, x2 + pad), min(HEIGHT, y2 + pad))
        boxes.append((box, truth, max(x2 - x1, y2 - y1)))
    return boxes


def wand_points(objects, count, rng):
    """Half of them at the centres of objects, half anywhere."""
    points = []
    for number in range(count):
        if number % 2 == 0:
            _, (x1, y1, x2, y2) = objects[number // 2 % len(objects)]
            points.append(((x1 + x2) // 2, (y1 + y2) // 2))
        else:
            points.append((int(rng.integers(0, WIDTH)), int(rng.integers(0, HEIGHT))))
    return points


def stored_image(jpeg):
    owner = User.objects.create_user("bench-owner", password="x")
    team = create_team(creator=owner, name="bench team")
    image_set = create_imageset(actor=owner, team=team, name="bench set")
    result = add_image_file(image_set, name="photo.jpg", fileobj=io.BytesIO(jpeg))
    if result.image_id is None:
        raise SystemExit(f"the picture was refused: {result.reason}")
    return Image.objects.get(pk=result.image_id)


# --- measuring ------------------------------------------------------------------------------------------


def iou(points, truth):
    drawn = numpy.zeros_like(truth)
    cv2.fillPoly(drawn, [numpy.array(points, numpy.int32)], 1)
    return (drawn & truth).sum() / (drawn | truth).sum()


def timed(what, call, timeout):
    started = time.perf_counter()
    result = call()
    elapsed = time.perf_counter() - started
    if elapsed > timeout:
        raise SystemExit(f"{what} took {elapsed:.1f} s, more than --timeout {timeout} s")
    return elapsed, result


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def size_class(size):
    return "< 100 px" if size < 100 else "100-299 px" if size < 300 else "≥ 300 px"


def main():
    args = parse_args()
    faulthandler.dump_traceback_later(args.deadline, exit=True)
    rng = numpy.random.default_rng(args.seed)
    started = time.perf_counter()
    jpeg, objects = photo_with_objects(args.seed)
    image = stored_image(jpeg)
    pixels = read_image_pixels(image)
    boxes = boxes_around(objects, args.boxes, rng)
    points = wand_points(objects, args.points, rng)
    work_sizes = [None if size == "full" else int(size) for size in args.work_sizes.split(",")]
    tolerances = [int(tolerance) for tolerance in args.tolerances.split(",")]
    generated = time.perf_counter() - started

    calls = [("box", work_size, number) for work_size in work_sizes for number in range(len(boxes))]
    calls += [("wand", tolerance, number) for tolerance in tolerances for number in range(len(points))]
    random.Random(args.seed).shuffle(calls)
    decode, times, ious = [], {}, {}
    for round_number in range(args.warmup + args.rounds):
        measured = round_number >= args.warmup
        for index, (kind, setting, number) in enumerate(calls if round_number % 2 == 0 else reversed(calls)):
            if index % BASELINE_EVERY == 0:
                elapsed, _ = timed("reading the image", lambda: read_image_pixels(image), args.timeout)
                if measured:
                    decode.append(elapsed)
            if kind == "box":
                box, truth, _size = boxes[number]
                elapsed, shape = timed(
                    f"box {box} at working size {setting}",
                    lambda box=box, setting=setting: box_to_polygon(pixels, box, work_size=setting),
                    args.timeout,
                )
                ious[setting, number] = iou(shape.points, truth)
            else:
                point = points[number]
                elapsed, shape = timed(
                    f"magic wand at {point}, tolerance {setting}",
                    lambda point=point, setting=setting: magic_wand_polygon(pixels, point, setting),
                    args.timeout,
                )
            if measured:
                times.setdefault((kind, setting), []).append((number, elapsed))

    base = statistics.median(decode)
    print(f"machine: {_setup.machine()}; cv2 {cv2.__version__}, {cv2.getNumThreads()} threads; code: {_setup.REPO}")
    print(
        f"data: {WIDTH} × {HEIGHT} JPEG of {len(jpeg) / 1e6:.1f} MB with {len(objects)} objects of "
        f"{min(OBJECT_SIZES)}-{max(OBJECT_SIZES)} px; {len(boxes)} boxes, {len(points)} wand points "
        f"(generated in {generated:.1f} s)"
    )
    print(f"{args.rounds} alternating rounds (after {args.warmup} warm-up); ms (ratio to the baseline's median)")
    print(
        f"baseline, reading the image (storage, JPEG decode, orientation): median {base * 1000:.1f} ms, "
        f"p95 {percentile(decode, 0.95) * 1000:.1f} ms ({len(decode)} reads)"
    )

    def cells(values):
        p50, p95, worst = statistics.median(values), percentile(values, 0.95), max(values)
        return " ".join(f"{value * 1000:7.1f} ({value / base:5.2f}x)" for value in (p50, p95, worst))

    print(f"\nbox → polygon{'':22}{'p50':>16}{'p95':>16}{'max':>16}   IoU mean / lowest")
    for work_size in work_sizes:
        entries = times["box", work_size]
        scores = [ious[work_size, number] for number in range(len(boxes))]
        label = "full size" if work_size is None else f"{work_size} px"
        default = " (default)" if work_size == shapes.WORK_SIZE else ""
        quality = f"{numpy.mean(scores):.3f} / {min(scores):.3f}"
        print(f"  working size {label + default:20} {cells([t for _, t in entries])}   {quality}")
        for name in ("< 100 px", "100-299 px", "≥ 300 px"):
            chosen = [t for number, t in entries if size_class(boxes[number][2]) == name]
            picked = [ious[work_size, n] for n in range(len(boxes)) if size_class(boxes[n][2]) == name]
            print(f"    objects {name:23} {cells(chosen)}   {numpy.mean(picked):.3f} / {min(picked):.3f}")

    print(f"\nmagic wand{'':25}{'p50':>16}{'p95':>16}{'max':>16}")
    for tolerance in tolerances:
        print(f"  tolerance {tolerance:<24} {cells([t for _, t in times['wand', tolerance]])}")
    faulthandler.cancel_dump_traceback_later()


if __name__ == "__main__":
    sys.exit(main())
