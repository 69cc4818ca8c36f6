"""Benchmark: the home page's site-wide statistics and the leaderboards over 1,000,000 annotations.

Data (bulk inserts): ``--annotations`` labels (default 1,000,000) over ``--images`` images (100,000) and
eight types, made over the past year, and a vote on every fifth label by one of 50 users (about 200,000
votes, four in five accepts), cast over the past 60 days.

Baseline, measured in the same run: a plain ``SELECT count(*)`` of the annotation table (the least any
statistics over every label must do). Measured (best of ``--repeat``): the statistics computed afresh
(``annotations.statistics.compute_site_statistics``: eight aggregate queries) and each of its parts; the
same through the cache (what a home page view costs while the numbers are fresh); the home page itself
with a cold and a warm cache; and the two site-wide leaderboards (all time, last 30 days).

    .venv/bin/python bench/bench_statistics.py [--annotations 1000000] [--images 100000] [--repeat 3]
"""

import argparse
import time
import uuid

import _setup

_setup.setup_django()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from annotations import statistics  # noqa: E402
from annotations.models import Annotation, AnnotationType, VectorType, Verification  # noqa: E402
from images.services import create_imageset  # noqa: E402
from users import leaderboards  # noqa: E402
from users.models import User  # noqa: E402
from users.services import add_member, create_team  # noqa: E402

BATCH = 10000
VOTERS = 50
TYPE_NAMES = ("car", "person", "bike", "lane", "sign", "light", "dog", "cone")


def generate(image_set, types, voters, images, annotations):
    """Rows in bulk; then the times are spread in SQL (``time`` is set on insert)."""
    started = time.perf_counter()
    image_ids = _setup.add_image_rows(image_set, images, lambda number: f"frame{number:07d}.jpg", BATCH)
    for start in range(0, annotations, BATCH):
        Annotation.objects.bulk_create(
            Annotation(
                uuid=uuid.uuid4(),
                image_id=image_ids[number % len(image_ids)],
                # Skewed: the first types are used most, so the chart has top types and "other".
                annotation_type=types[min(len(types) - 1, (number * 7919 % 1000) // 150)],
                vector={"x1": number % 900, "y1": number % 700, "x2": number % 900 + 50, "y2": number % 700 + 40},
                user=voters[number % len(voters)],
                origin="machine" if number % 10 == 0 else "human",
            )
            for number in range(start, min(start + BATCH, annotations))
        )
    first_id = Annotation.objects.order_by("id").values_list("id", flat=True).first()
    for start in range(0, annotations, 5 * BATCH):
        Verification.objects.bulk_create(
            Verification(
                annotation_id=first_id + number,
                user=voters[(number // 5 + 1) % len(voters)],  # never the label's maker
                verified=number % 25 != 0,
            )
            for number in range(start, min(start + 5 * BATCH, annotations), 5)
        )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("UPDATE annotations_annotation SET time = now() - (id % 365) * interval '1 day'")
            cursor.execute("UPDATE annotations_verification SET time = now() - (id % 60) * interval '1 day'")
            cursor.execute("ANALYZE")
        else:
            cursor.execute("UPDATE annotations_annotation SET time = datetime('now', '-' || (id % 365) || ' days')")
            cursor.execute("UPDATE annotations_verification SET time = datetime('now', '-' || (id % 60) || ' days')")
            cursor.execute("ANALYZE")
    from annotations.votes import recompute_points

    recompute_points()
    return time.perf_counter() - started


def best(function, repeat):
    """Best wall time of ``repeat`` runs, and the last result."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return min(times), result


def count_all():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM annotations_annotation")
        return cursor.fetchone()[0]


def uncached():
    cache.clear()
    return statistics.site_statistics()


def home(client, *, cold):
    if cold:
        cache.clear()
    response = client.get("/", SERVER_NAME="localhost")
    assert response.status_code == 200, response.status_code
    return response


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotations", type=int, default=1_000_000)
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    voters = [User.objects.create_user(f"voter{number}", password="x") for number in range(VOTERS)]
    team = create_team(creator=voters[0], name="bench team")
    for voter in voters[1:10]:
        add_member(actor=voters[0], team=team, username=voter.username)
    image_set = create_imageset(actor=voters[0], team=team, name="bench set", public=True)
    types = [AnnotationType.objects.create(name=name, vector_type=VectorType.BOUNDING_BOX) for name in TYPE_NAMES]
    generated = generate(image_set, types, voters, args.images, args.annotations)
    repeat = args.repeat

    count_all()  # warm the table into the page cache before the baseline
    baseline, counted = best(count_all, repeat)
    fresh, numbers = best(statistics.compute_site_statistics, repeat)
    now = timezone.now()
    parts = {"top types": statistics._top_types, "labels per day, 90 days": lambda: statistics._daily(now)}
    part_times = {name: best(function, repeat)[0] for name, function in parts.items()}
    cached, _ = best(statistics.site_statistics, repeat)
    client = Client()
    client.force_login(voters[0])
    home(client, cold=True)
    home_cold, _ = best(lambda: home(client, cold=True), repeat)
    home_warm, _ = best(lambda: home(client, cold=False), repeat)
    board_all, _ = best(lambda: leaderboards.leaderboard(leaderboards.ALL_TIME), repeat)
    board_30, board = best(lambda: leaderboards.leaderboard(leaderboards.LAST_30_DAYS), repeat)
    team_30, _ = best(lambda: leaderboards.leaderboard(leaderboards.LAST_30_DAYS, team=team), repeat)

    print(f"machine: {_setup.machine()}; database: {connection.vendor}")
    print(
        f"data: {counted:,} annotations, {args.images:,} images, {Verification.objects.count():,} votes, "
        f"{len(TYPE_NAMES)} types (generated in {generated:.1f} s)"
    )
    print(f"baseline SELECT count(*) of the annotations: {baseline * 1000:9.1f} ms")
    print(f"site statistics, computed afresh:             {fresh * 1000:9.1f} ms  ({fresh / baseline:.1f}x baseline)")
    for name, seconds in part_times.items():
        print(f"  of which {name + ':':<35}{seconds * 1000:9.1f} ms  ({seconds / baseline:.1f}x)")
    print(f"site statistics from the cache:               {cached * 1000:9.3f} ms  ({cached / baseline:.4f}x)")
    print(f"home page, cold cache (statistics computed):  {home_cold * 1000:9.1f} ms  ({home_cold / baseline:.1f}x)")
    print(f"home page, warm cache:                        {home_warm * 1000:9.1f} ms  ({home_warm / baseline:.2f}x)")
    print(f"leaderboard all time (site):                  {board_all * 1000:9.1f} ms  ({board_all / baseline:.2f}x)")
    print(f"leaderboard last 30 days (site):              {board_30 * 1000:9.1f} ms  ({board_30 / baseline:.2f}x)")
    print(f"leaderboard last 30 days (team of 10):        {team_30 * 1000:9.1f} ms  ({team_30 / baseline:.2f}x)")
    assert numbers["annotations"]["all"] == counted
    assert board, "the 30-day board should not be empty"


if __name__ == "__main__":
    main()
