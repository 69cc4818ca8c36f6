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


# --- measuring other checkouts (``--repo``) -----------------------------------------------------------
#
# The benchmark sets up the data with its own checkout, then runs each measuring round in a fresh
# process per checkout (the script ``WORKER``, given REPO SET_ID USER_ID CASES_JSON): the process
# imports that checkout's code, reads the same database and data folder (the environment of
# ``_setup``), measures the baseline SELECT (the faster of two) and each export once, and prints JSON.


WORKER = r"""
import sys
import time
def worker(repo, image_set_id, user_id, payload):
    import json
    import logging
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(repo).resolve() / "imagetagger"))
    import configurations

    configurations.setup()
    logging.disable(logging.INFO)
    from exports import jobs as their_jobs
    from exports.models import Export as TheirExport
    from exports.models import ExportFormat
    from images.models import ImageSet
    from users.models import User

    image_set = ImageSet.objects.get(pk=image_set_id)
    user = User.objects.get(pk=user_id)
    base = min(_baseline_rows(image_set) for _ in range(2))
    found = {}
    for label, fields in json.loads(payload):
        if "format" in fields:
            export_format = ExportFormat.objects.get(pk=fields.pop("format"))
            fields.update(format=export_format, format_changed=export_format.last_change_time)
        export = TheirExport.objects.create(image_set=image_set, user=user, format_name="bench", **fields)
        started = time.perf_counter()
        their_jobs.run(export.pk)
        found[label] = time.perf_counter() - started
        export.refresh_from_db()
        assert export.state == "done", export.error
    print(json.dumps({"baseline": base, "cases": found}))


def _baseline_rows(image_set):
    from annotations.models import Annotation as TheirAnnotation

    started = time.perf_counter()
    rows = (
        TheirAnnotation.objects.filter(image__image_set=image_set)
        .order_by("image__name", "image_id", "id")
        .values_list("image__name", "annotation_type__name", "vector", "blurred_flag", "concealed_flag")
        .iterator(chunk_size=2000)
    )
    for _ in rows:
        pass
    return time.perf_counter() - started


worker(*sys.argv[1:5])
"""


def measure_in(repo, image_set, user, cases):
    """``{"baseline": s, "cases": {label: s}}`` measured by ``repo``'s code in a fresh process.
    ``cases``: ``[(label, fields)]`` with the fields of ``Export`` (``format`` as a pk)."""
    import json
    import subprocess
    import sys

    payload = json.dumps([(label, _plain(fields)) for label, fields in cases])
    done = subprocess.run(
        [sys.executable, "-c", WORKER, str(repo), str(image_set.pk), str(user.pk), payload],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"measuring {repo} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _plain(fields):
    return {key: (value.pk if key == "format" else value) for key, value in fields.items() if key != "format_changed"}


def report_repos(results, cases):
    """Print per checkout: median baseline, and per case the median time and its ratio to that baseline."""
    import statistics
    import subprocess

    for repo, found in results.items():
        commit = subprocess.run(
            ["git", "-C", str(repo), "log", "-1", "--format=%h %s"], capture_output=True, text=True
        ).stdout.strip()
        base = statistics.median(found["baseline"])
        print(f"- {repo} ({commit[:70]})")
        print(f"    baseline streaming SELECT: median {base:.2f} s over {len(found['baseline'])} processes")
        for label, _fields in cases:
            median = statistics.median(found[label])
            print(f"    {label}: median {median:.2f} s = {median / base:.2f}× the SELECT")


def measure_repos(repos, image_set, user, cases, rounds):
    """Every round, each checkout in a fresh process, the order alternating; ``{repo: {key: [s, …]}}``."""
    results = {repo: {"baseline": [], **{label: [] for label, _ in cases}} for repo in repos}
    for round_number in range(rounds):
        order = repos if round_number % 2 == 0 else list(reversed(repos))
        for repo in order:
            found = measure_in(repo, image_set, user, cases)
            results[repo]["baseline"].append(found["baseline"])
            for label, elapsed in found["cases"].items():
                results[repo][label].append(elapsed)
    return results
