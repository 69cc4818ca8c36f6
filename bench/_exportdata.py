"""Data and timing helpers shared by the export benchmarks (import after ``_setup.setup_django()``)."""

import time
import uuid

import _setup

from annotations.models import Annotation, AnnotationType, VectorType
from exports import jobs
from exports.models import Export

BATCH = 10000


def bench_set():
    """A user, their team, its set and the three types ``generate`` uses: (user, team, set, types)."""
    from images.services import create_imageset
    from users.models import User
    from users.services import create_team

    user = User.objects.create_user("bench", password="x")
    team = create_team(creator=user, name="bench team")
    image_set = create_imageset(actor=user, team=team, name="bench set")
    types = [
        AnnotationType.objects.create(name="car", vector_type=VectorType.BOUNDING_BOX),
        AnnotationType.objects.create(name="lane", vector_type=VectorType.POLYGON),
        AnnotationType.objects.create(name="sign", vector_type=VectorType.POINT),
    ]
    return user, team, image_set, types


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
