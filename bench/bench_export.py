"""Benchmark: export of 1,000,000 annotations over 100,000 images (seconds, peak memory).

Baseline, measured in the same run: a plain streaming SELECT of the same rows (image name, type
name, vector, flags, ordered as the export orders them) through ``values_list(...).iterator()`` —
what any export has to do at least. Measured: the export job (``exports.jobs.run``: stream to a
temporary file, save into the storage, record the report) in the template format (label lines via
the template engine), the standard label-line format and COCO. Peak memory comes from a second,
traced run of each export (``tracemalloc``: Python allocations), so the timed run is not slowed down.

    .venv/bin/python bench/bench_export.py [--annotations 1000000] [--images 100000] [--no-trace]
"""

import argparse
import resource
import time
import tracemalloc
import uuid

import _setup

_setup.setup_django()

from annotations.models import Annotation, AnnotationType, VectorType  # noqa: E402
from exports import jobs  # noqa: E402
from exports.models import Export, ExportFormat  # noqa: E402
from images.services import create_imageset  # noqa: E402
from users.models import User  # noqa: E402
from users.services import create_team  # noqa: E402

BATCH = 10000


def generate(image_set, types, images, annotations):
    """``images`` image rows and ``annotations`` annotations spread evenly over them (bulk inserts)."""
    started = time.perf_counter()
    image_ids = _setup.add_image_rows(
        image_set, images, lambda number: f"run{number // 1000:03d}/frame{number:06d}.jpg", BATCH
    )
    box, polygon, point = types
    for start in range(0, annotations, BATCH):
        rows = []
        for number in range(start, min(start + BATCH, annotations)):
            image_id = image_ids[number % len(image_ids)]
            x, y = 10 + number % 900, 20 + number % 700
            kind = number % 10
            if kind < 6:
                annotation_type, vector = box, {"x1": x, "y1": y, "x2": x + 120, "y2": y + 90}
            elif kind < 9:
                annotation_type = polygon
                vector = {"x1": x, "y1": y, "x2": x + 80, "y2": y, "x3": x + 40, "y3": y + 60, "x4": x, "y4": y + 30}
            else:
                annotation_type, vector = point, {"x1": x, "y1": y}
            rows.append(
                Annotation(
                    uuid=uuid.uuid4(),
                    image_id=image_id,
                    annotation_type=annotation_type,
                    vector=vector,
                    blurred_flag=number % 7 == 0,
                )
            )
        Annotation.objects.bulk_create(rows)
    return time.perf_counter() - started


def baseline(image_set):
    started = time.perf_counter()
    count = 0
    rows = (
        Annotation.objects.filter(image__image_set=image_set)
        .order_by("image__name", "image_id", "id")
        .values_list("image__name", "annotation_type__name", "vector", "blurred_flag", "concealed_flag")
        .iterator(chunk_size=2000)
    )
    for _ in rows:
        count += 1
    return time.perf_counter() - started, count


def run_export(user, image_set, **fields):
    export = Export.objects.create(image_set=image_set, user=user, format_name="bench", **fields)
    started = time.perf_counter()
    jobs.run(export.pk)
    elapsed = time.perf_counter() - started
    export.refresh_from_db()
    assert export.state == "done", export.error
    return elapsed, export


def traced_peak(user, image_set, **fields):
    tracemalloc.start()
    run_export(user, image_set, **fields)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotations", type=int, default=1_000_000)
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--no-trace", action="store_true", help="skip the traced runs (peak memory)")
    args = parser.parse_args()

    from django.db import connection

    user = User.objects.create_user("bench", password="x")
    team = create_team(creator=user, name="bench team")
    image_set = create_imageset(actor=user, team=team, name="bench set")
    types = [
        AnnotationType.objects.create(name="car", vector_type=VectorType.BOUNDING_BOX),
        AnnotationType.objects.create(name="lane", vector_type=VectorType.POLYGON),
        AnnotationType.objects.create(name="sign", vector_type=VectorType.POINT),
    ]
    generated = generate(image_set, types, args.images, args.annotations)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    template = ExportFormat.objects.create(
        name="lines",
        team=team,
        annotation_format="%%imagename|%%type|{%%vector}|%%ifblurredb%%endif%%ifconcealedc%%endif",
        vector_format='"x%%count1": %%x,"y%%count1": %%y,',
        not_in_image_format="%%imagename|%%type|not in image",
        name_format="%%imageset_%%exportid.txt",
    )
    template.annotation_types.set(types)

    print(f"Export bench on {_setup.machine()}, database {connection.vendor}")
    print(f"{args.annotations} annotations over {args.images} images (generated in {generated:.1f} s)")
    # Twice, keeping the faster: the first run also warms the database's cache for every case.
    base, count = min(baseline(image_set), baseline(image_set))
    print(f"  baseline: streaming SELECT of the same rows: {base:.2f} s ({count / base:,.0f} rows/s)")
    cases = [
        ("template format (label lines)", {"format": template, "format_changed": template.last_change_time}),
        ("standard label lines (pipe)", {"standard": "pipe"}),
        ("COCO JSON", {"standard": "coco"}),
    ]
    rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for label, fields in cases:
        elapsed, export = run_export(user, image_set, **fields)
        line = (
            f"  {label}: {elapsed:.2f} s = {elapsed / base:.1f}× the SELECT, "
            f"{export.annotation_count / elapsed:,.0f} annotations/s, file {export.size / 1e6:.1f} MB"
        )
        if not args.no_trace:
            peak = traced_peak(user, image_set, **fields)
            line += f", peak Python memory {peak / 1e6:.1f} MB (traced run)"
        print(line)
    rss_end = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"  process max RSS: {rss_end / 1024:.0f} MB (grew by {(rss_end - rss_start) / 1024:.0f} MB during the exports)"
    )


if __name__ == "__main__":
    main()
