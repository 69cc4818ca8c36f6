"""Benchmark: every standard export format against a plain streaming SELECT, and the COCO import, with
datumaro converting the same COCO file as the outside reference.

Data: ``--annotations`` labels (60 % boxes, 30 % polygons, 10 % points) over ``--images`` images.
Measured in one run, in process, through the export job (``exports.jobs.run``: stream to a temporary
file, save into the storage, record the report): each standard format, the formats alternating in
order every round, medians over ``--rounds``; the baseline is a streaming SELECT of the same rows
(the faster of two). Then the COCO export imported into a second set with the same image names
(``exports.imports``, in process; one round: it creates every label).

With datumaro's interpreter (``--datumaro PYTHON``; by default ``.venv-readers/bin/python``, which
``make test`` installs: datumaro cannot share our environment, as it requires Pillow 12), the same
COCO file is read by datumaro (``Dataset.import_from(…, "coco_instances")``,
every item's annotations touched) and written back as COCO by it, in a subprocess with a time limit;
the figures are printed beside ours as ratios.

    .venv/bin/python bench/bench_formats.py [--annotations 100000] [--images 10000] [--rounds 3]
        [--datumaro /path/to/venv/bin/python] [--timeout 900] [--repo DIR ...]

``--repo DIR`` (repeatable) compares checkouts instead: every round, this checkout and each other one
(e.g. ``git worktree add /tmp/before HEAD``, with the same migrations) run the baseline and every
format in a fresh process of their own on the same data, the order alternating; medians per
checkout, as ratios to the SELECT measured in its own processes (no import, no datumaro).

SQLite by default; PostgreSQL with IT_DB_HOST set (database IT_DB_NAME, default imagetagger_bench).
"""

import argparse
import io
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _setup

_setup.setup_django()

from _exportdata import baseline, bench_set, generate, measure_repos, report_repos, run_export  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402

from annotations.models import Annotation  # noqa: E402
from exports.imports import import_labels  # noqa: E402
from exports.models import StandardFormat  # noqa: E402
from images.models import Image  # noqa: E402
from images.services import create_imageset  # noqa: E402

DATUMARO = r"""
import json, sys, time
import datumaro as dm
source, target = sys.argv[1], sys.argv[2]
started = time.perf_counter()
dataset = dm.Dataset.import_from(source, "coco_instances")
count = sum(len(item.annotations) for item in dataset)
read = time.perf_counter() - started
started = time.perf_counter()
dataset.export(target, "coco_instances", save_media=False)
written = time.perf_counter() - started
print(json.dumps({"read": read, "written": written, "annotations": count}))
"""


def datumaro_times(python, coco_bytes, timeout):
    """datumaro reading our COCO file (annotations/instances_default.json) and writing it again."""
    folder = Path(tempfile.mkdtemp(prefix="bench-datumaro-"))
    try:
        (folder / "in" / "annotations").mkdir(parents=True)
        (folder / "in" / "images" / "default").mkdir(parents=True)  # datumaro wants the folder, even empty
        (folder / "in" / "annotations" / "instances_default.json").write_bytes(coco_bytes)
        done = subprocess.run(
            [python, "-c", DATUMARO, str(folder / "in"), str(folder / "out")],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode:
            raise SystemExit(f"datumaro failed:\n{done.stderr[-2000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotations", type=int, default=100_000)
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    readers = Path(__file__).resolve().parents[1] / ".venv-readers" / "bin" / "python"
    parser.add_argument(
        "--datumaro",
        default=str(readers) if readers.exists() else None,
        help="a Python interpreter with datumaro installed (default: .venv-readers/bin/python)",
    )
    parser.add_argument("--timeout", type=int, default=900, help="seconds datumaro may take")
    parser.add_argument("--repo", action="append", default=[], type=Path, help="another checkout to measure too")
    args = parser.parse_args()

    from django.db import connection

    user, team, image_set, types = bench_set()
    generated = generate(image_set, types, args.images, args.annotations)
    Image.objects.filter(image_set=image_set).update(width=1920, height=1080)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    print(f"Formats bench on {_setup.machine()}, database {connection.vendor}")
    print(f"{args.annotations} labels over {args.images} images (generated in {generated:.1f} s); {args.rounds} rounds")
    base, count = min(baseline(image_set), baseline(image_set))
    print(f"  baseline: streaming SELECT of the same rows: {base:.2f} s ({count / base:,.0f} rows/s)")

    formats = list(StandardFormat.values)
    if args.repo:
        repos = [_setup.REPO, *(repo.resolve() for repo in args.repo)]
        cases = [(StandardFormat(name).label, {"standard": name}) for name in formats]
        print(f"{args.rounds} rounds, each checkout in a fresh process per round, alternating:")
        report_repos(measure_repos(repos, image_set, user, cases, args.rounds), cases)
        return
    times = {name: [] for name in formats}
    sizes = {}
    for round_number in range(args.rounds):
        order = formats if round_number % 2 == 0 else list(reversed(formats))
        for name in order:
            elapsed, export = run_export(user, image_set, standard=name)
            times[name].append(elapsed)
            sizes[name] = (export.size, export.annotation_count)
    for name in formats:
        median = statistics.median(times[name])
        size, written = sizes[name]
        print(
            f"  export {StandardFormat(name).label}: median {median:.2f} s = {median / base:.1f}× the SELECT, "
            f"{written:,} labels written ({written / median:,.0f}/s), {size / 1e6:.1f} MB"
        )

    _, coco = run_export(user, image_set, standard="coco")
    with default_storage.open(coco.file, "rb") as stored:
        coco_bytes = stored.read()
    copy = create_imageset(actor=user, team=team, name="bench copy")
    names = list(Image.objects.filter(image_set=image_set).values_list("name", flat=True))
    _setup.add_image_rows(copy, len(names), lambda number: names[number], prefix="copy-")
    Image.objects.filter(image_set=copy).update(width=1920, height=1080)
    settings.IMPORT_INLINE_LIMIT = 10**9  # in process, not queued for the worker
    started = time.perf_counter()
    result = import_labels(actor=user, image_set=copy, fileobj=io.BytesIO(coco_bytes), format="coco")
    imported = time.perf_counter() - started
    assert result.errors == 0, result.report[:3]
    created = Annotation.objects.filter(image__image_set=copy).count()
    print(
        f"  import of that COCO file ({len(coco_bytes) / 1e6:.1f} MB): {imported:.2f} s, "
        f"{created:,} labels created ({created / imported:,.0f}/s)"
    )
    export_median = statistics.median(times["coco"])
    if args.datumaro:
        found = datumaro_times(args.datumaro, coco_bytes, args.timeout)
        print(
            f"  datumaro {found['annotations']:,} annotations: reads the file in {found['read']:.2f} s "
            f"(our import, which also checks and stores every label: {imported / found['read']:.2f}× that), "
            f"writes it as COCO in {found['written']:.2f} s "
            f"(our COCO export from the database: {export_median / found['written']:.2f}× that)"
        )
    else:
        print("  datumaro: not measured (`make test` installs .venv-readers; or --datumaro PYTHON)", file=sys.stderr)


if __name__ == "__main__":
    main()
