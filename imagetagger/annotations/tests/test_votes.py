"""Votes and points through the service (annotations.votes), updatepoints and the leaderboard."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from annotations import services, votes
from annotations.models import Annotation, Verification
from annotations.tests.vote_factories import build_vote_world, expected_points, label
from images import services as image_services

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def world(make_user, make_team):
    return build_vote_world(make_user, make_team)


@pytest.fixture
def ada_label(world):
    """An annotation by ada on the private set of her team."""
    return label(world.image(world.private), world.ada, world.box)


def points(user):
    return User.objects.values_list("points", flat=True).get(pk=user.pk)


# --- casting, changing, withdrawing ---------------------------------------------------------------


def test_accept_counts_and_gives_the_creator_a_point(world, ada_label):
    state = votes.cast_vote(actor=world.bob, annotation=ada_label, vote="accept")

    assert state == votes.VoteState(ada_label.pk, "accept", accepts=1, rejects=0)
    assert state.score == 1
    assert points(world.ada) == 1
    assert points(world.bob) == 0
    assert Verification.objects.get().verified is True


def test_reject_counts_against_the_score_and_gives_no_point(world, ada_label):
    state = votes.cast_vote(actor=world.bob, annotation=ada_label, vote="reject")

    assert (state.vote, state.accepts, state.rejects, state.score) == ("reject", 0, 1, -1)
    assert points(world.ada) == 0


def test_a_user_has_one_vote_that_they_can_change(world, ada_label):
    votes.cast_vote(actor=world.bob, annotation=ada_label, vote="accept")
    state = votes.cast_vote(actor=world.bob, annotation=ada_label, vote="reject")

    assert (state.vote, state.accepts, state.rejects) == ("reject", 0, 1)
    assert Verification.objects.filter(annotation=ada_label).count() == 1
    assert points(world.ada) == 0


def test_repeating_a_vote_changes_nothing(world, ada_label):
    votes.cast_vote(actor=world.bob, annotation=ada_label, vote="accept")
    state = votes.cast_vote(actor=world.bob, annotation=ada_label, vote="accept")

    assert (state.vote, state.accepts) == ("accept", 1)
    assert points(world.ada) == 1


def test_withdrawing_removes_the_vote(world, ada_label):
    votes.cast_vote(actor=world.bob, annotation=ada_label, vote="accept")

    state = votes.withdraw_vote(actor=world.bob, annotation=ada_label)

    assert state == votes.VoteState(ada_label.pk, None, accepts=0, rejects=0)
    assert not Verification.objects.exists()
    assert points(world.ada) == 0


def test_withdrawing_without_a_vote_is_harmless(world, ada_label):
    state = votes.withdraw_vote(actor=world.bob, annotation=ada_label)

    assert state.vote is None
    assert points(world.ada) == 0


@pytest.mark.parametrize(
    ("steps", "final_points", "final_vote"),
    [
        (["accept"], 1, "accept"),
        (["reject"], 0, "reject"),
        (["accept", "reject"], 0, "reject"),
        (["reject", "accept"], 1, "accept"),
        (["accept", "withdraw"], 0, None),
        (["reject", "withdraw"], 0, None),
        (["accept", "accept"], 1, "accept"),
        (["reject", "reject", "accept", "withdraw", "accept"], 1, "accept"),
        (["accept", "reject", "accept", "reject", "withdraw", "withdraw"], 0, None),
    ],
)
def test_points_follow_every_transition(world, ada_label, steps, final_points, final_vote):
    ada_before = points(world.ada)
    for step in steps:
        if step == "withdraw":
            state = votes.withdraw_vote(actor=world.bob, annotation=ada_label)
        else:
            state = votes.cast_vote(actor=world.bob, annotation=ada_label, vote=step)
        assert points(world.ada) - ada_before == expected_points(world.ada)

    assert points(world.ada) == final_points
    assert state.vote == final_vote


def test_score_is_accepts_minus_rejects_over_all_voters(world, ada_label, make_user, make_team):
    extra = [make_user() for _ in range(3)]
    world.team.memberships.create(user=extra[0])
    world.team.memberships.create(user=extra[1])
    world.team.memberships.create(user=extra[2])
    for voter, vote in [(world.bob, "accept"), (world.cara, "accept"), (extra[0], "reject"), (extra[1], "accept")]:
        votes.cast_vote(actor=voter, annotation=ada_label, vote=vote)

    state = votes.vote_state(ada_label, extra[2])
    assert (state.accepts, state.rejects, state.score, state.vote) == (3, 1, 2, None)
    assert votes.vote_state(ada_label, extra[0]).vote == "reject"
    assert Annotation.objects.with_score().get(pk=ada_label.pk).score == 2
    assert points(world.ada) == 3


def test_votes_on_several_annotations_add_up_per_creator(world):
    image = world.image(world.private)
    ada_labels = [label(image, world.ada, world.box) for _ in range(3)]
    bob_label = label(image, world.bob, world.box)

    for annotation in ada_labels:
        votes.cast_vote(actor=world.bob, annotation=annotation, vote="accept")
        votes.cast_vote(actor=world.cara, annotation=annotation, vote="accept")
    votes.cast_vote(actor=world.cara, annotation=ada_labels[0], vote="reject")
    votes.cast_vote(actor=world.ada, annotation=bob_label, vote="accept")

    assert points(world.ada) == 5
    assert points(world.bob) == 1
    assert points(world.cara) == 0


def test_an_unknown_vote_is_a_programming_error(world, ada_label):
    with pytest.raises(ValueError, match="vote must be one of"):
        votes.cast_vote(actor=world.bob, annotation=ada_label, vote=True)


# --- who may vote ---------------------------------------------------------------------------------


def test_nobody_votes_on_their_own_annotation(world, ada_label):
    with pytest.raises(votes.OwnAnnotation, match="You cannot vote on your own annotation."):
        votes.cast_vote(actor=world.ada, annotation=ada_label, vote="accept")
    with pytest.raises(votes.OwnAnnotation):
        votes.withdraw_vote(actor=world.ada, annotation=ada_label)

    assert not Verification.objects.exists()
    assert points(world.ada) == 0


def test_creating_an_annotation_casts_no_vote(world):
    image = world.image(world.private)

    annotation, created = services.create_annotation(
        actor=world.ada, image=image, annotation_type=world.box, vector={"x1": 0, "y1": 0, "x2": 2, "y2": 2}
    )

    assert created
    assert not Verification.objects.exists()
    assert votes.vote_state(annotation, world.ada) == votes.VoteState(annotation.pk, None, 0, 0)
    assert points(world.ada) == 0


def test_team_members_may_vote_on_each_others_labels(world, ada_label):
    votes.cast_vote(actor=world.cara, annotation=ada_label, vote="accept")

    assert points(world.ada) == 1


def test_anybody_may_vote_on_a_public_collaborative_set(world):
    annotation = label(world.image(world.collaborative), world.ada, world.box)

    state = votes.cast_vote(actor=world.otto, annotation=annotation, vote="accept")

    assert state.accepts == 1
    assert points(world.ada) == 1


def test_a_plain_public_reader_may_not_vote(world):
    annotation = label(world.image(world.public), world.ada, world.box)

    with pytest.raises(PermissionDenied, match="You may not verify") as refused:
        votes.cast_vote(actor=world.otto, annotation=annotation, vote="accept")
    with pytest.raises(PermissionDenied):
        votes.withdraw_vote(actor=world.otto, annotation=annotation)

    assert not isinstance(refused.value, votes.OwnAnnotation)
    assert not Verification.objects.exists()


def test_an_outsider_does_not_find_a_private_annotation(world, ada_label):
    with pytest.raises(Annotation.DoesNotExist):
        votes.cast_vote(actor=world.otto, annotation=ada_label, vote="accept")

    assert not Verification.objects.exists()


def test_a_deleted_annotation_cannot_be_voted_on(world, ada_label):
    Annotation.objects.filter(pk=ada_label.pk).delete()

    with pytest.raises(Annotation.DoesNotExist):
        votes.cast_vote(actor=world.bob, annotation=ada_label, vote="accept")


# --- deleted users --------------------------------------------------------------------------------


def test_votes_of_a_deleted_user_keep_counting(world, ada_label):
    votes.cast_vote(actor=world.bob, annotation=ada_label, vote="accept")
    world.bob.delete()

    assert Verification.objects.get().user is None
    assert points(world.ada) == 1
    assert votes.vote_state(ada_label, world.cara).accepts == 1
    assert votes.recompute_points() == 0


def test_labels_of_a_deleted_creator_can_be_voted_on_and_earn_nobody_points(world, ada_label):
    world.ada.delete()
    ada_label.refresh_from_db()

    state = votes.cast_vote(actor=world.bob, annotation=ada_label, vote="accept")

    assert state.accepts == 1
    assert sorted(User.objects.values_list("points", flat=True)) == [0, 0, 0]


# --- deleting annotations and images ---------------------------------------------------------------


def test_deleting_an_annotation_takes_its_accepted_points_away(world):
    image = world.image(world.private)
    doomed, kept = label(image, world.ada, world.box), label(image, world.ada, world.box)
    votes.cast_vote(actor=world.bob, annotation=doomed, vote="accept")
    votes.cast_vote(actor=world.cara, annotation=doomed, vote="accept")
    votes.cast_vote(actor=world.bob, annotation=kept, vote="accept")
    votes.cast_vote(actor=world.cara, annotation=kept, vote="reject")
    assert points(world.ada) == 3

    services.delete_annotation(actor=world.bob, annotation=doomed)

    assert points(world.ada) == 1
    assert not Verification.objects.filter(annotation_id=doomed.pk).exists()
    assert Verification.objects.filter(annotation=kept).count() == 2
    assert votes.recompute_points() == 0


def test_deleting_a_rejected_annotation_costs_nothing(world, ada_label):
    votes.cast_vote(actor=world.bob, annotation=ada_label, vote="reject")

    services.delete_annotation(actor=world.bob, annotation=ada_label)

    assert points(world.ada) == 0
    assert not Verification.objects.exists()


def test_a_refused_delete_keeps_votes_and_points(world):
    annotation = label(world.image(world.public), world.ada, world.box)
    votes.cast_vote(actor=world.bob, annotation=annotation, vote="accept")

    with pytest.raises(PermissionDenied):
        services.delete_annotation(actor=world.otto, annotation=annotation)

    assert points(world.ada) == 1
    assert Verification.objects.count() == 1


def test_deleting_images_takes_the_points_of_their_labels_away(world, storage_dir):
    doomed_image, kept_image = world.image(world.private, 2)
    for image in (doomed_image, kept_image):
        votes.cast_vote(actor=world.bob, annotation=label(image, world.ada, world.box), vote="accept")
        votes.cast_vote(actor=world.ada, annotation=label(image, world.cara, world.box), vote="accept")
    assert (points(world.ada), points(world.cara)) == (2, 2)

    image_services.delete_images(actor=world.ada, image_set=world.private, image_ids=[doomed_image.pk])

    assert (points(world.ada), points(world.cara)) == (1, 1)
    assert votes.recompute_points() == 0


def test_deleting_an_image_set_takes_the_points_of_its_labels_away(world, storage_dir):
    elsewhere = label(world.image(world.collaborative), world.ada, world.box)
    votes.cast_vote(actor=world.bob, annotation=elsewhere, vote="accept")
    for image in world.image(world.private, 3):
        votes.cast_vote(actor=world.bob, annotation=label(image, world.ada, world.box), vote="accept")
        votes.cast_vote(actor=world.cara, annotation=label(image, world.bob, world.box), vote="accept")
    assert (points(world.ada), points(world.bob)) == (4, 3)

    image_services.delete_imageset(actor=world.ada, image_set=world.private)

    assert (points(world.ada), points(world.bob)) == (1, 0)
    assert Verification.objects.count() == 1
    assert votes.recompute_points() == 0


@pytest.mark.parametrize("labels", [2, 20])
def test_discarding_votes_takes_a_fixed_number_of_queries(world, labels):
    image = world.image(world.private)
    annotations = [label(image, world.ada if n % 2 else world.cara, world.box) for n in range(labels)]
    for annotation in annotations:
        voter = world.bob
        votes.cast_vote(actor=voter, annotation=annotation, vote="accept")

    with CaptureQueriesContext(connection) as queries:
        deleted = votes.discard_votes(Annotation.objects.filter(image=image))

    assert deleted == labels
    assert (points(world.ada), points(world.cara)) == (0, 0)
    # lock, count per creator, delete, update (+ savepoint statements)
    assert len([q for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]) == 4


def test_discarding_nothing_is_harmless(world):
    assert votes.discard_votes(Annotation.objects.none()) == 0
    assert votes.discard_votes_of_images([]) == 0


# --- updatepoints ---------------------------------------------------------------------------------


def _spread_votes(world, voters):
    image = world.image(world.private)
    creators = [world.ada, world.bob, world.cara]
    for index, voter in enumerate(voters):
        creator = creators[index % 3]
        annotation = label(image, creator, world.box)
        Verification.objects.create(annotation=annotation, user=voter, verified=index % 4 != 0)


@pytest.mark.parametrize("user_count", [3, 30])
def test_updatepoints_repairs_corrupt_points_in_a_fixed_number_of_queries(world, make_user, user_count):
    voters = [make_user() for _ in range(user_count)]
    _spread_votes(world, voters)
    correct = {user.pk: expected_points(user) for user in User.objects.all()}
    User.objects.update(points=777)  # corrupt every row
    out = io.StringIO()

    with CaptureQueriesContext(connection) as queries:
        call_command("updatepoints", stdout=out)

    assert dict(User.objects.values_list("pk", "points")) == correct
    assert out.getvalue().strip() == f"Points recomputed: {user_count + 4} users changed."
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    # One UPDATE (and, on PostgreSQL, the table lock), whatever the number of users.
    assert len(statements) == (2 if connection.vendor == "postgresql" else 1)
    assert statements[-1].startswith("UPDATE")


def test_updatepoints_reports_only_the_users_it_changed(world, ada_label):
    votes.cast_vote(actor=world.bob, annotation=ada_label, vote="accept")
    User.objects.filter(pk=world.cara.pk).update(points=5)
    out = io.StringIO()

    call_command("updatepoints", stdout=out)
    assert out.getvalue().strip() == "Points recomputed: 1 user changed."
    assert (points(world.ada), points(world.cara)) == (1, 0)

    out = io.StringIO()
    call_command("updatepoints", stdout=out)
    assert out.getvalue().strip() == "Points recomputed: 0 users changed."


def test_updatepoints_ignores_legacy_self_votes_and_counts_deleted_voters(world, ada_label):
    # The original counted its automatic self-verifications; imported data may contain them.
    Verification.objects.create(annotation=ada_label, user=world.ada, verified=True)
    Verification.objects.create(annotation=ada_label, user=None, verified=True)
    Verification.objects.create(annotation=ada_label, user=world.bob, verified=False)

    votes.recompute_points()

    assert points(world.ada) == 1


# --- leaderboard ----------------------------------------------------------------------------------


def _accept(voter, annotation, days_ago=0):
    vote = Verification.objects.create(annotation=annotation, user=voter, verified=True)
    # ``time`` is auto_now: backdate with an UPDATE.
    Verification.objects.filter(pk=vote.pk).update(time=timezone.now() - timedelta(days=days_ago))


def test_leaderboard_all_time_orders_by_points(world):
    User.objects.filter(pk=world.ada.pk).update(points=5)
    User.objects.filter(pk=world.bob.pk).update(points=9)
    User.objects.filter(pk=world.cara.pk).update(points=5)

    with CaptureQueriesContext(connection) as queries:
        board = [(user.username, user.leaderboard_points) for user in votes.leaderboard(User.objects.all())]

    assert board == [("bob", 9), ("ada", 5), ("cara", 5)]  # otto has none
    assert len(queries) == 1
    assert [user.username for user in votes.leaderboard(User.objects.all(), limit=2)] == ["bob", "ada"]
    assert [user.username for user in votes.leaderboard(User.objects.exclude(username="bob"))] == ["ada", "cara"]


def test_leaderboard_of_the_last_30_days_counts_recent_accepts_only(world, make_user):
    image = world.image(world.private)
    ada_label, bob_label, cara_label = (label(image, user, world.box) for user in (world.ada, world.bob, world.cara))
    voters = [make_user() for _ in range(4)]
    for voter in voters[:3]:
        _accept(voter, ada_label, days_ago=45)  # too old
    _accept(voters[3], ada_label, days_ago=1)
    _accept(voters[0], bob_label, days_ago=29)
    _accept(voters[1], bob_label, days_ago=2)
    _accept(world.cara, cara_label, days_ago=0)  # a legacy self-vote: not a point
    Verification.objects.create(annotation=cara_label, user=voters[2], verified=False)  # a reject
    since = timezone.now() - timedelta(days=30)

    with CaptureQueriesContext(connection) as queries:
        board = [
            (user.username, user.leaderboard_points) for user in votes.leaderboard(User.objects.all(), since=since)
        ]

    assert board == [("bob", 2), ("ada", 1)]
    assert len(queries) == 1
    assert [u.username for u in votes.leaderboard(User.objects.all(), since=since, limit=1)] == ["bob"]
    votes.recompute_points()
    all_time = [(user.username, user.leaderboard_points) for user in votes.leaderboard(User.objects.all())]
    assert all_time == [("ada", 4), ("bob", 2)]
