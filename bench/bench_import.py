"""Benchmark: label import of 100,000 pipe-format lines over 10,000 images (lines/s).

Baseline, measured in the same run: a plain ``bulk_create`` of the same 100,000 annotation rows
(no parsing, no checks, no history) into a second set with the same images. ImageTagger additionally
parses every line, matches images and types, checks every vector (``validate_vector``), checks
similarity against the existing labels and the file's earlier lines, writes a history entry per label
and a per-line CSV report.

    .venv/bin/python bench/bench_import.py [--lines 100000 --images 10000]
"""

import argparse
import hashlib
import io
import shutil
import time

import _setup

_setup.setup_django()

from django.conf import settings  # noqa: E402

from annotations.models import Annotation, AnnotationType  # noqa: E402
from exports.imports import import_labels  # noqa: E402
from images.models import Image  # noqa: E402
from images.services import create_imageset  # noqa: E402
from users.models import User  # noqa: E402
from users.services import create_team  # noqa: E402


def make_images(image_set, count):
    Image.objects.bulk_create(
        [
            Image(
                image_set=image_set,
                name=f"run{number // 1000}/frame{number:06d}.png",
                filename=f"b{image_set.pk}_{number}.png",
                checksum=hashlib.sha512(f"{image_set.pk}-{number}".encode()).digest(),
                width=1920,
                height=1080,
                format="png",
            )
            for number in range(count)
        ],
        batch_size=2000,
    )


def box(index):
    x, y = 20 + (index % 10) * 150, 30 + (index % 7) * 100
    return {"x1": x, "y1": y, "x2": x + 100, "y2": y + 80}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--images", type=int, default=10_000)
    args = parser.parse_args()
    per_image = max(1, args.lines // args.images)

    user = User.objects.create_user("bench", password="x")
    team = create_team(creator=user, name="bench team")
    target = create_imageset(actor=user, team=team, name="import target")
    baseline_set = create_imageset(actor=user, team=team, name="baseline target")
    make_images(target, args.images)
    make_images(baseline_set, args.images)
    ball = AnnotationType.objects.create(name="ball")

    names = [f"run{number // 1000}/frame{number:06d}.png" for number in range(args.images)]
    lines = []
    for index in range(args.lines):
        vector = box(index // args.images if per_image > 1 else index)
        vector_text = "{" + ", ".join(f'"{key}": {value}' for key, value in vector.items()) + "}"
        lines.append(f"{names[index % args.images]}|ball|{vector_text}{'|b' if index % 5 == 0 else ''}")
    data = ("\r\n".join(lines) + "\r\n").encode()

    # Baseline: the same rows, plain bulk_create.
    images = dict(Image.objects.filter(image_set=baseline_set).values_list("name", "pk"))
    rows = [
        Annotation(
            image_id=images[names[index % args.images]],
            annotation_type=ball,
            vector=box(index // args.images if per_image > 1 else index),
            user=user,
        )
        for index in range(args.lines)
    ]
    started = time.perf_counter()
    Annotation.objects.bulk_create(rows, batch_size=1000)
    baseline = time.perf_counter() - started

    settings.IMPORT_INLINE_LIMIT = args.lines + 1  # in this process, not through the worker
    started = time.perf_counter()
    result = import_labels(actor=user, image_set=target, fileobj=io.BytesIO(data), format="pipe")
    elapsed = time.perf_counter() - started
    assert result.created == args.lines, result.summary

    # A second import of the same file: every line is a similarity duplicate.
    started = time.perf_counter()
    again = import_labels(actor=user, image_set=target, fileobj=io.BytesIO(data), format="pipe")
    duplicates = time.perf_counter() - started
    assert again.duplicates == args.lines, again.summary

    from django.db import connection

    print(
        f"label import of {args.lines} pipe lines over {args.images} images ({len(data) / 1e6:.1f} MB, "
        f"{connection.vendor}) on {_setup.machine()}"
    )
    print(f"  plain bulk_create (baseline):   {baseline:7.2f} s  {args.lines / baseline:8.0f} rows/s")
    print(f"  ImageTagger import:             {elapsed:7.2f} s  {args.lines / elapsed:8.0f} lines/s")
    print(f"  ratio import / bulk_create:     {elapsed / baseline:7.1f}x")
    print(f"  re-import, all duplicates:      {duplicates:7.2f} s  {args.lines / duplicates:8.0f} lines/s")
    shutil.rmtree(_setup.WORKDIR, ignore_errors=True)


if __name__ == "__main__":
    main()
