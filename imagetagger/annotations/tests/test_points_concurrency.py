"""Points stay exact when many users vote at once (PostgreSQL: real row locks, real parallelism).

SQLite serialises every writer on the whole database, so these tests say nothing there; CI runs them
on PostgreSQL.
"""

import random

import pytest
from django.contrib.auth import get_user_model

from annotations import services, votes
from annotations.models import Annotation, Verification
from annotations.tests.concurrency import PARALLEL_WRITERS, run_in_threads
from annotations.tests.vote_factories import build_vote_world, expected_points, label

User = get_user_model()

pytestmark = PARALLEL_WRITERS

VOTERS = 8
ROUNDS = 40


@pytest.fixture
def world(make_user, make_team):
    world = build_vote_world(make_user, make_team)
    world.voters = [make_user(f"voter{n}") for n in range(VOTERS)]
    for voter in world.voters:
        world.team.memberships.create(user=voter)
    image = world.image(world.private)
    # Few annotations, two creators: the voters collide on the same rows all the time.
    world.labels = [label(image, world.ada, world.box) for _ in range(3)] + [label(image, world.cara, world.box)]
    return world


def voter_job(voter, labels, seed, *, tolerate_gone=False):
    rng = random.Random(seed)

    def job():
        for _ in range(ROUNDS):
            annotation = rng.choice(labels)
            action = rng.choice(["accept", "accept", "reject", "withdraw"])
            try:
                if action == "withdraw":
                    votes.withdraw_vote(actor=voter, annotation=annotation)
                else:
                    votes.cast_vote(actor=voter, annotation=annotation, vote=action)
            except Annotation.DoesNotExist:
                if not tolerate_gone:
                    raise

    return job


def assert_points_exact(world):
    for user in [world.ada, world.bob, world.cara, *world.voters]:
        stored = User.objects.values_list("points", flat=True).get(pk=user.pk)
        assert stored == expected_points(user), user.username
    assert votes.recompute_points() == 0


def test_concurrent_votes_keep_points_exact(world):
    jobs = [voter_job(voter, world.labels, seed) for seed, voter in enumerate(world.voters)]

    errors = run_in_threads(jobs)

    assert errors == []
    assert Verification.objects.count() > 0
    assert_points_exact(world)
    # One vote per user and annotation, whatever the interleaving.
    assert Verification.objects.values("annotation", "user").distinct().count() == Verification.objects.count()


def test_points_stay_exact_while_annotations_are_deleted_and_points_recomputed(world):
    doomed = world.labels[:2]

    def deleter():
        for annotation in doomed:
            services.delete_annotation(actor=world.bob, annotation=annotation)

    def recounter():
        for _ in range(5):
            votes.recompute_points()

    jobs = [voter_job(voter, world.labels, seed, tolerate_gone=True) for seed, voter in enumerate(world.voters)]

    errors = run_in_threads([*jobs, deleter, recounter])

    assert errors == []
    assert not Annotation.objects.filter(pk__in=[a.pk for a in doomed]).exists()
    assert not Verification.objects.filter(annotation_id__in=[a.pk for a in doomed]).exists()
    assert_points_exact(world)
