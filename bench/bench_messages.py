"""Benchmark: messages at the size of the original's test generator (5,000 users, 30 teams,
50,000 team messages, 5,000 announcements, start and expiry within ±200 days of now).

Measured for a member of several teams:
- the navbar's unread count (one query on every page), against a baseline measured in the same run:
  a plain count of the in-range messages of the member's teams (no read state, no audiences);
- the overview's unread page (whole request through Django's test client, queries counted), against
  the same client fetching the change-password form (same layout and navbar badge, no list);
- "mark all as read" of every unread message, against a plain ``bulk_create`` of the same read rows.

    .venv/bin/python bench/bench_messages.py [--users 5000 --teams 30 --messages 50000 --announcements 5000]
"""

import argparse
import os
import random
import shutil
import statistics
import time
from datetime import timedelta

if os.environ.get("IT_DB_HOST"):
    os.environ.setdefault("IT_DB_NAME", "imagetagger_bench_messages")

import _setup

_setup.setup_django()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from tagger_messages import selectors, services  # noqa: E402
from tagger_messages.models import Audience, Kind, Message, MessageRead  # noqa: E402
from users.models import Team, TeamMembership, User  # noqa: E402


def best_median(function, repeat=30):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def populate(args, rng):
    users = User.objects.bulk_create(
        [User(username=f"user{number}", email=f"user{number}@example.org") for number in range(args.users)],
        batch_size=2000,
    )
    teams = Team.objects.bulk_create([Team(name=f"team {number}") for number in range(args.teams)])
    memberships = {}
    for user in users:
        for team in rng.sample(teams, rng.randint(1, 3)):
            memberships[team.pk, user.pk] = TeamMembership(team=team, user=user, is_admin=rng.random() < 0.05)
    TeamMembership.objects.bulk_create(memberships.values(), batch_size=5000)
    now = timezone.now()

    def span():
        start = now + timedelta(days=rng.uniform(-200, 200))
        return start, start + timedelta(days=rng.uniform(1, 200))

    messages = []
    for number in range(args.messages):
        start, expire = span()
        team = rng.choice(teams)
        messages.append(
            Message(
                kind=Kind.TEAM,
                team=team,
                audience=Audience.ADMINS if number % 10 == 0 else Audience.ALL,
                title=f"team message {number}",
                content="Lorem ipsum " * 20,
                creator=rng.choice(users),
                start_time=start,
                expire_time=expire,
            )
        )
    for number in range(args.announcements):
        start, expire = span()
        messages.append(
            Message(
                kind=Kind.ANNOUNCEMENT,
                audience=[Audience.ALL, Audience.ADMINS, Audience.STAFF][number % 3],
                title=f"announcement {number}",
                content="Lorem ipsum " * 20,
                start_time=start,
                expire_time=expire,
            )
        )
    Message.objects.bulk_create(messages, batch_size=2000)
    # A tenth of the users have read a fifth of the messages of one of their teams.
    ids_by_team = {}
    for pk, team_id in Message.objects.filter(kind=Kind.TEAM).values_list("pk", "team_id"):
        ids_by_team.setdefault(team_id, []).append(pk)
    reads = []
    for team_id, user_id in list(memberships)[: args.users // 10]:
        for pk in rng.sample(ids_by_team[team_id], len(ids_by_team[team_id]) // 5):
            reads.append(MessageRead(message_id=pk, user_id=user_id))
    MessageRead.objects.bulk_create(reads, batch_size=10000, ignore_conflicts=True)
    return users


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--teams", type=int, default=30)
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--announcements", type=int, default=5000)
    args = parser.parse_args()
    rng = random.Random(7)

    started = time.perf_counter()
    populate(args, rng)
    setup = time.perf_counter() - started
    member = (
        User.objects.filter(team_memberships__is_admin=False)
        .annotate(team_count=Count("team_memberships"))
        .order_by("-team_count", "pk")
        .first()
    )
    team_ids = list(TeamMembership.objects.filter(user=member).values_list("team_id", flat=True))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    unread = selectors.unread_count(member)
    badge = best_median(lambda: selectors.unread_count(member, limit=10))
    full_count = best_median(lambda: selectors.unread_count(member))
    baseline = best_median(lambda: Message.objects.in_range().filter(team_id__in=team_ids).count())

    client = Client(HTTP_HOST="localhost")
    client.force_login(member)
    client.get("/tagger_messages/overview/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/tagger_messages/overview/").status_code == 200
    page_queries = len(queries)  # now: the next request clears the log the context reads from
    page = best_median(lambda: client.get("/tagger_messages/overview/"), repeat=15)
    page_all_last = best_median(lambda: client.get("/tagger_messages/overview/all/?page=last"), repeat=15)
    bare = best_median(lambda: client.get("/user/password_change/"), repeat=15)

    ids = list(selectors.unread_ids(member))
    started = time.perf_counter()
    MessageRead.objects.bulk_create([MessageRead(message_id=pk, user=member) for pk in ids])
    plain_insert = time.perf_counter() - started
    MessageRead.objects.filter(user=member, message_id__in=ids).delete()
    started = time.perf_counter()
    marked = services.mark_all_read(user=member)
    mark_all = time.perf_counter() - started
    assert marked == len(ids) == unread, (marked, len(ids), unread)

    rows = [
        ("plain in-range count of the member's teams (baseline)", baseline, None),
        ("navbar badge (unread, counting stops at 10)", badge, baseline),
        ("full unread count", full_count, baseline),
        ("a form page with the same layout (baseline)", bare, None),
        (f"overview, unread, page 1 ({page_queries} queries)", page, bare),
        ("overview, all, last page", page_all_last, bare),
        (f"plain bulk_create of {len(ids)} read rows (baseline)", plain_insert, None),
        (f"mark all as read ({marked})", mark_all, plain_insert),
    ]
    print(
        f"messages: {args.messages} team messages, {args.announcements} announcements, {args.users} users, "
        f"{args.teams} teams ({connection.vendor}; set-up {setup:.0f} s) on {_setup.machine()}"
    )
    print(f"  member of {len(team_ids)} teams with {unread} unread messages")
    for label, seconds, against in rows:
        ratio = f"  ({seconds / against:.1f}x)" if against else ""
        print(f"  {label + ':':56} {seconds * 1000:8.2f} ms{ratio}")
    shutil.rmtree(_setup.WORKDIR, ignore_errors=True)


if __name__ == "__main__":
    main()
