"""Benchmark: an export of 100,000 labels WITH five attribute values each against one WITHOUT attributes.

Two image sets of the same shape (10,000 images, 100,000 boxes, the same vectors and flags): in one
every label holds five values (checkbox, two numbers, text, select) of a type that defines them, in
the other the labels of a type without attributes hold none. Measured in the same run, in process,
through the export job (``exports.jobs.run``: stream to a temporary file, save into the storage,
record the report):

- template format: the label lines plus ``|%%attributes`` (the values as JSON) on the set with
  values, against the plain label lines on the set without;
- COCO JSON (which writes the values into each annotation's ``attributes``).

The two variants alternate within each round (the order flips every round); the figure is the median
of the rounds per variant and their ratio. Every export runs under a hard time limit (``--timeout``
seconds, SIGALRM): a stuck export stops the benchmark instead of hanging it. A sanity check refuses to
report when the values were not written.

    .venv/bin/python bench/bench_export_attributes.py [--labels 100000] [--images 10000] [--rounds 5]

SQLite by default; PostgreSQL with IT_DB_HOST set (database IT_DB_NAME, default imagetagger_bench).
"""

import argparse
import json
import logging
import signal
import statistics
import time
import uuid

import _setup

_setup.setup_django()

from django.core.files.storage import default_storage  # noqa: E402
from django.db.models import Value  # noqa: E402
from django.db.models.functions import Concat  # noqa: E402

from annotations.attributes import clean_definitions  # noqa: E402
from annotations.models import Annotation, AnnotationType, VectorType  # noqa: E402
from exports import jobs  # noqa: E402
from exports.models import Export, ExportFormat  # noqa: E402
from images.models import Image  # noqa: E402
from images.services import create_imageset  # noqa: E402
from users.models import User  # noqa: E402
from users.services import create_team  # noqa: E402

BATCH = 10_000
ATTRIBUTES = [
    {"name": "occluded", "kind": "checkbox"},
    {"name": "truncation", "kind": "number", "min": 0, "max": 1, "step": 0.05},
    {"name": "pose", "kind": "select", "values": ["front", "back", "left", "right"]},
    {"name": "colour", "kind": "text", "max_length": 40},
    {"name": "lane", "kind": "number", "min": 0, "max": 8},
]
POSES = ["front", "back", "left", "right"]
LINES = "%%imagename|%%type|{%%vector}|%%ifblurredb%%endif%%ifconcealedc%%endif"
VECTOR = '"x%%count1": %%x,"y%%count1": %%y,'


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout


def values_of(number):
    return {
        "occluded": number % 2 == 0,
        "truncation": round((number % 20) * 0.05, 2),
        "pose": POSES[number % 4],
        "colour": f"dark red {number % 13}",
        "lane": number % 9,
    }


def make_set(user, team, name, annotation_type, labels, images, with_values):
    image_set = create_imageset(actor=user, team=team, name=name)
    image_ids = _setup.add_image_rows(image_set, images, lambda number: f"run{number // 1000:03d}/f{number:06d}.jpg")
    # File names are unique site-wide: make this set's its own before the next set adds the same ones.
    Image.objects.filter(image_set=image_set).update(filename=Concat(Value(f"{name}-"), "filename"))
    for start in range(0, labels, BATCH):
        rows = []
        for number in range(start, min(start + BATCH, labels)):
            x, y = 10 + number % 900, 20 + number % 700
            rows.append(
                Annotation(
                    uuid=uuid.uuid4(),
                    image_id=image_ids[number % len(image_ids)],
                    annotation_type=annotation_type,
                    vector={"x1": x, "y1": y, "x2": x + 120, "y2": y + 90},
                    blurred_flag=number % 7 == 0,
                    attributes=values_of(number) if with_values else {},
                )
            )
        Annotation.objects.bulk_create(rows)
    return image_set


def run_export(user, image_set, timeout, **fields):
    export = Export.objects.create(image_set=image_set, user=user, format_name="bench", **fields)
    signal.alarm(timeout)
    try:
        started = time.perf_counter()
        jobs.run(export.pk)
        elapsed = time.perf_counter() - started
    except Timeout:
        raise SystemExit(f"An export took longer than {timeout} s; stopped.") from None
    finally:
        signal.alarm(0)
    export.refresh_from_db()
    assert export.state == "done", export.error
    return elapsed, export


def check_written(export, with_values):
    """The file holds the values (or none): read its end (COCO starts with the images)."""
    with default_storage.open(export.file, "rb") as handle:
        handle.seek(max(0, export.size - 200_000))
        tail = handle.read().decode("utf-8", "replace")
    written = '"truncation"' in tail
    if written != with_values:
        raise SystemExit(f"Sanity check failed: values {'missing from' if with_values else 'found in'} {export}.")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=100_000)
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--timeout", type=int, default=600, help="seconds one export may take")
    args = parser.parse_args()
    signal.signal(signal.SIGALRM, _alarm)
    logging.getLogger("exports.jobs").setLevel(logging.WARNING)

    from django.db import connection

    user = User.objects.create_user("bench", password="x")
    team = create_team(creator=user, name="bench team")
    rich = AnnotationType.objects.create(
        name="rich box", team=team, vector_type=VectorType.BOUNDING_BOX, attributes=clean_definitions(ATTRIBUTES)
    )
    plain = AnnotationType.objects.create(name="plain box", team=team, vector_type=VectorType.BOUNDING_BOX)
    started = time.perf_counter()
    with_set = make_set(user, team, "with", rich, args.labels, args.images, True)
    without_set = make_set(user, team, "without", plain, args.labels, args.images, False)
    generated = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    plain_lines = ExportFormat.objects.create(
        name="lines", team=team, annotation_format=LINES, vector_format=VECTOR, name_format="%%exportid.txt"
    )
    plain_lines.annotation_types.set([plain])
    rich_lines = ExportFormat.objects.create(
        name="lines+attributes",
        team=team,
        annotation_format=LINES + "|%%attributes",
        vector_format=VECTOR,
        name_format="%%exportid.txt",
    )
    rich_lines.annotation_types.set([rich])

    def template(export_format):
        return {"format": export_format, "format_changed": export_format.last_change_time}

    cases = [
        ("template format", (with_set, template(rich_lines)), (without_set, template(plain_lines))),
        ("COCO JSON", (with_set, {"standard": "coco"}), (without_set, {"standard": "coco"})),
    ]
    print(f"Export with attributes bench on {_setup.machine()}, database {connection.vendor}")
    print(
        f"{args.labels} labels over {args.images} images per set, 5 attribute values per label in one set "
        f"(generated in {generated:.1f} s); {args.rounds} rounds, alternated, medians"
    )
    for label, (set_with, fields_with), (set_without, fields_without) in cases:
        # One warm-up of each (caches, first-query costs), not counted.
        for image_set, fields, with_values in ((set_with, fields_with, True), (set_without, fields_without, False)):
            _, export = run_export(user, image_set, args.timeout, **fields)
            check_written(export, with_values)
            assert export.annotation_count == args.labels, export.annotation_count
        times = {True: [], False: []}
        sizes = {}
        for round_number in range(args.rounds):
            order = [True, False] if round_number % 2 == 0 else [False, True]
            for with_values in order:
                image_set, fields = (set_with, fields_with) if with_values else (set_without, fields_without)
                elapsed, export = run_export(user, image_set, args.timeout, **fields)
                times[with_values].append(elapsed)
                sizes[with_values] = export.size
        with_median, without_median = statistics.median(times[True]), statistics.median(times[False])
        print(
            f"  {label}: with attributes {with_median:.2f} s ({args.labels / with_median:,.0f} labels/s, "
            f"{sizes[True] / 1e6:.1f} MB), without {without_median:.2f} s "
            f"({args.labels / without_median:,.0f} labels/s, {sizes[False] / 1e6:.1f} MB): "
            f"ratio {with_median / without_median:.2f}×"
        )
        print(f"    runs with: {json.dumps([round(t, 2) for t in times[True]])}")
        print(f"    runs without: {json.dumps([round(t, 2) for t in times[False]])}")


if __name__ == "__main__":
    main()
