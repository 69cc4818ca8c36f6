"""Benchmark: the pages and lists of an image set at 200, 20,000 and 100,000 images (issue 16).

Data (bulk inserts, no image files: none of these pages reads one): one team, three sets of ``--sizes``
images (default 200, 20,000 and 100,000) in the same database, one label of the set's main type on every
image (made by another member), and the measuring user's vote on the first 50 labels of each set (so
"the first label I may still vote on" is not simply the first one).

Measured in process with Django's test client, as the set's team admin, in alternating rounds (the
order of the sizes flips every round; ``--rounds`` rounds after ``--warmup``), medians in ms:

- set page           ``GET /images/imageset/<id>/``
- verify (set link)  ``GET /annotations/imageset/<id>/verify/`` (the redirect to the first unvoted label)
- verify page        ``GET /annotations/<first label>/verify/``
- images API         ``GET /api/v1/imagesets/<id>/images/`` (first page of 50, and the page after the
  image in the middle of the set)
- annotations API    ``GET /api/v1/annotations/?image_set=<id>`` (first page of 50), the page after
  the label in the middle of the set (``after=``), and the first page ``not_voted_by_me``

and for each the ratio to the smallest set plus the number of SQL statements of one request. The goal
(issue 16): ratio ≤ 1.3 at 100,000 images, equal query counts.

    .venv/bin/python bench/bench_pages.py [--sizes 200,20000,100000] [--rounds 15] [--repo DIR]

``--repo DIR`` imports the project from another checkout (e.g. ``git worktree add /tmp/before HEAD``)
to measure the code before a change on the same machine. With ``IT_DB_HOST`` set it runs on PostgreSQL
(database ``IT_DB_NAME``, default ``imagetagger_bench_pages``, dropped and re-created).
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path


def _early_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,20000,100000", help="set sizes in images, comma separated")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repo", type=Path, default=None, help="import the project from this checkout")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds one request may take")
    return parser.parse_args()


ARGS = _early_args()
os.environ.setdefault("IT_DB_NAME", "imagetagger_bench_pages")

import _setup  # noqa: E402

if ARGS.repo is not None:
    project = str(ARGS.repo.resolve() / "imagetagger")
    sys.path[:] = [entry for entry in sys.path if entry != str(_setup.REPO / "imagetagger")]
    sys.path.insert(0, project)

_setup.setup_django()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from annotations.models import Annotation, AnnotationType, VectorType, Verification  # noqa: E402
from images.models import ImageSet  # noqa: E402
from images.services import create_imageset  # noqa: E402
from users.models import User  # noqa: E402
from users.services import add_member, create_team  # noqa: E402

BATCH = 10_000
VOTED = 50


def make_set(team, owner, maker, annotation_type, size, number):
    image_set = create_imageset(actor=owner, team=team, name=f"bench set {number}", public=False)
    ImageSet.objects.filter(pk=image_set.pk).update(main_annotation_type=annotation_type)
    image_ids = _setup.add_image_rows(image_set, size, lambda n: f"frame{n:07d}.jpg", BATCH, prefix=f"s{number}")
    for start in range(0, size, BATCH):
        Annotation.objects.bulk_create(
            Annotation(
                uuid=uuid.uuid4(),
                image_id=image_id,
                annotation_type=annotation_type,
                vector={"x1": 10, "y1": 10, "x2": 60, "y2": 50},
                user=maker,
            )
            for image_id in image_ids[start : start + BATCH]
        )
    first = list(
        Annotation.objects.filter(image__image_set=image_set)
        .order_by("image__name", "image_id", "id")
        .values_list("pk", flat=True)[: VOTED + 1]
    )
    Verification.objects.bulk_create(Verification(annotation_id=pk, user=owner, verified=True) for pk in first[:VOTED])
    image_set.refresh_from_db()
    ordered = Annotation.objects.filter(image__image_set=image_set).order_by("image__name", "image_id", "id")
    images = image_set.images.order_by("name", "id").values_list("pk", flat=True)
    return image_set, first[0], ordered.values_list("pk", flat=True)[size // 2], images[size // 2]


def pages(image_set, first_label, middle_label, middle_image):
    return {
        "set page": f"/images/imageset/{image_set.pk}/",
        "verify (set link)": f"/annotations/imageset/{image_set.pk}/verify/",
        "verify page": f"/annotations/{first_label}/verify/",
        "images API": f"/api/v1/imagesets/{image_set.pk}/images/",
        "images API, middle": f"/api/v1/imagesets/{image_set.pk}/images/?after={middle_image}",
        "annotations API": f"/api/v1/annotations/?image_set={image_set.pk}",
        "annotations, middle": f"/api/v1/annotations/?image_set={image_set.pk}&after={middle_label}",
        "annotations to vote": f"/api/v1/annotations/?image_set={image_set.pk}&not_voted_by_me=true",
    }


def fetch(client, url):
    started = time.perf_counter()
    response = client.get(url, SERVER_NAME="localhost")
    elapsed = time.perf_counter() - started
    if response.status_code not in (200, 302):
        raise SystemExit(f"{url} answered {response.status_code}")
    if elapsed > ARGS.timeout:
        raise SystemExit(f"{url} took {elapsed:.1f} s, more than --timeout {ARGS.timeout} s")
    return elapsed


def main():
    sizes = [int(size) for size in ARGS.sizes.split(",")]
    started = time.perf_counter()
    owner = User.objects.create_user("bench-owner", password="x")
    maker = User.objects.create_user("bench-maker", password="x")
    team = create_team(creator=owner, name="bench team")
    add_member(actor=owner, team=team, username=maker.username)
    car = AnnotationType.objects.create(name="car", vector_type=VectorType.BOUNDING_BOX)
    AnnotationType.objects.create(name="person", vector_type=VectorType.BOUNDING_BOX)
    sets = {size: make_set(team, owner, maker, car, size, number) for number, size in enumerate(sizes)}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    generated = time.perf_counter() - started

    client = Client()
    client.force_login(owner)
    urls = {size: pages(*sets[size]) for size in sizes}
    names = list(urls[sizes[0]])
    times = {(size, name): [] for size in sizes for name in names}
    for round_number in range(ARGS.warmup + ARGS.rounds):
        order = sizes if round_number % 2 == 0 else list(reversed(sizes))
        for size in order:
            for name in names:
                elapsed = fetch(client, urls[size][name])
                if round_number >= ARGS.warmup:
                    times[size, name].append(elapsed)

    queries = {}  # after the warm-up: caches of the first requests (content types, sessions) are filled
    for size in sizes:
        for name, url in urls[size].items():
            with CaptureQueriesContext(connection) as captured:
                fetch(client, url)
            queries[size, name] = len(captured)

    code = ARGS.repo.resolve() if ARGS.repo else _setup.REPO
    print(f"machine: {_setup.machine()}; database: {connection.vendor}; code: {code}")
    print(
        f"data: sets of {', '.join(f'{size:,}' for size in sizes)} images, one label each "
        f"(generated in {generated:.1f} s)"
    )
    print(f"medians of {ARGS.rounds} alternating rounds, ms (ratio to {sizes[0]:,} images) [SQL statements]")
    header = f"{'':20}" + "".join(f"{f'{size:,} images':>26}" for size in sizes)
    print(header)
    for name in names:
        base = statistics.median(times[sizes[0], name])
        cells = []
        for size in sizes:
            median = statistics.median(times[size, name])
            cells.append(f"{median * 1000:8.1f} ({median / base:4.2f}x) [{queries[size, name]:2d}]")
        print(f"{name:20}" + "".join(f"{cell:>26}" for cell in cells))


if __name__ == "__main__":
    main()
