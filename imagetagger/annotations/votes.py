"""Votes (verifications) on annotations, and the points they earn (design.md §4 "Verification").

Rules:
- one vote per user and annotation, accept or reject; it can be changed and withdrawn;
- score = accepts − rejects; nobody votes on their own annotation, and creating one casts no vote;
- voting needs ``vote`` from ``annotation_permissions`` (``verify`` on somebody else's annotation);
- the points of a user are the accept votes that *other* users gave to annotations that user created.
  A vote whose voter was deleted (``user`` NULL) still counts; a deleted creator has no points.

``User.points`` is kept exact under concurrency: every change runs in one transaction that first locks
the annotation's row (so votes on one annotation, and its deletion, are serialised), then writes the
vote, then moves the creator's points with one atomic ``points = points ± 1``. Code that deletes
annotations or votes calls ``discard_votes``/``discard_votes_of_images`` first, which takes the points
of the accepts away in one UPDATE. ``recompute_points`` (``manage.py updatepoints``) rebuilds every
user's points from the votes in one UPDATE.

Lock order everywhere: image rows → annotation rows → verification rows → user rows.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce

from images.models import Image
from webhooks import events as webhook_events

from .models import Annotation, Verification
from .permissions import annotation_permissions

ACCEPT = "accept"
REJECT = "reject"
VOTES = (ACCEPT, REJECT)

OWN_ANNOTATION_MESSAGE = "You cannot vote on your own annotation."
NO_VERIFY_MESSAGE = "You may not verify annotations of this image set."


class OwnAnnotation(PermissionDenied):
    """The voter created the annotation: HTTP 403."""

    def __init__(self, message=OWN_ANNOTATION_MESSAGE):
        super().__init__(message)


@dataclass(frozen=True)
class VoteState:
    """An annotation's tally and one user's vote on it (``"accept"``, ``"reject"`` or ``None``)."""

    annotation: int
    vote: str | None
    accepts: int
    rejects: int

    @property
    def score(self):
        return self.accepts - self.rejects


def _vote_name(verified):
    if verified is None:
        return None
    return ACCEPT if verified else REJECT


def vote_state(annotation, user):
    """The tally of ``annotation`` and ``user``'s vote on it, in one query."""
    counts = Verification.objects.filter(annotation_id=annotation.pk).aggregate(
        accepts=Count("pk", filter=Q(verified=True)),
        rejects=Count("pk", filter=Q(verified=False)),
        my_accepts=Count("pk", filter=Q(verified=True, user_id=user.pk)),
        my_rejects=Count("pk", filter=Q(verified=False, user_id=user.pk)),
    )
    mine = True if counts["my_accepts"] else False if counts["my_rejects"] else None
    return VoteState(annotation.pk, _vote_name(mine), counts["accepts"], counts["rejects"])


def _lock(annotation):
    """The annotation's row, locked for the rest of the transaction (only that row: ``of``)."""
    return (
        Annotation.objects.select_for_update(of=("self",))
        .select_related("image__image_set")
        # Whether the set's team has a webhook: the vote's event then costs no query without one.
        .annotate(team_has_webhooks=webhook_events.has_webhooks("image__image_set__team_id"))
        .get(pk=annotation.pk)  # Annotation.DoesNotExist if it was deleted meanwhile
    )


def _check(actor, annotation):
    """Raise unless ``actor`` may vote on ``annotation``; ``Annotation.DoesNotExist`` if they may not
    even read it (objects the caller may not read are not found)."""
    granted = annotation_permissions(actor, annotation)
    if "read" not in granted:
        raise Annotation.DoesNotExist("No annotation matches the given query.")
    if annotation.user_id is not None and annotation.user_id == actor.pk:
        raise OwnAnnotation()
    if "vote" not in granted:
        raise PermissionDenied(NO_VERIFY_MESSAGE)


def _credit(creator_id, delta):
    """Move a creator's points atomically in the database (never read-modify-write in Python)."""
    if creator_id is not None and delta:
        get_user_model().objects.filter(pk=creator_id).update(points=F("points") + delta)


def _parse(vote):
    if vote not in VOTES:
        raise ValueError(f"vote must be one of {VOTES}, not {vote!r}")
    return vote == ACCEPT


@transaction.atomic
def cast_vote(*, actor, annotation, vote):
    """Vote ``"accept"`` or ``"reject"`` on an annotation, or change one's vote; returns the ``VoteState``.

    Raises ``Annotation.DoesNotExist`` (not readable or deleted), ``OwnAnnotation`` or
    ``PermissionDenied``. Repeating the same vote changes nothing.
    """
    accept = _parse(vote)
    annotation = _lock(annotation)
    _check(actor, annotation)
    existing = Verification.objects.filter(annotation=annotation, user=actor).first()
    if existing is not None and existing.verified == accept:
        return vote_state(annotation, actor)
    if existing is None:
        Verification.objects.create(annotation=annotation, user=actor, verified=accept)
        _credit(annotation.user_id, 1 if accept else 0)
    else:
        existing.verified = accept
        existing.save(update_fields=["verified", "time"])
        _credit(annotation.user_id, 1 if accept else -1)
    return _voted(annotation, actor)


def _voted(annotation, actor):
    """The ``VoteState`` after a vote changed, and its ``annotation.voted`` event."""
    state = vote_state(annotation, actor)
    webhook_events.annotation_voted(annotation, actor, state, known=annotation.team_has_webhooks)
    return state


@transaction.atomic
def withdraw_vote(*, actor, annotation):
    """Take one's vote back (nothing happens when there is none); returns the ``VoteState``.

    Raises like ``cast_vote``: withdrawing needs the same right as voting.
    """
    annotation = _lock(annotation)
    _check(actor, annotation)
    existing = Verification.objects.filter(annotation=annotation, user=actor).first()
    if existing is None:
        return vote_state(annotation, actor)
    existing.delete()
    _credit(annotation.user_id, -1 if existing.verified else 0)
    return _voted(annotation, actor)


def accepts_from_others():
    """Accept votes that count as points: the annotation has a creator and the voter is somebody
    else (or a deleted user)."""
    return Verification.objects.filter(verified=True, annotation__user__isnull=False).exclude(
        user=F("annotation__user")
    )


@transaction.atomic
def discard_votes(annotations):
    """Delete the votes on ``annotations`` (a queryset) and take their points from the creators.

    Call it, inside the deleting transaction, before deleting annotations (their votes would cascade
    without touching points) or before resetting their votes. Locks the annotations' rows first, so
    no vote on them can be cast until the transaction ends. Returns the number of votes deleted.
    A fixed number of queries, whatever the number of annotations.
    """
    annotations = annotations.order_by()
    if not list(annotations.order_by("pk").select_for_update(of=("self",)).values_list("pk", flat=True)):
        return 0
    lost = dict(
        accepts_from_others()
        .filter(annotation__in=annotations.values("pk"))
        .order_by()
        .values_list("annotation__user")
        .annotate(count=Count("pk"))
    )
    deleted, _ = Verification.objects.filter(annotation__in=annotations.values("pk")).delete()
    if lost:
        get_user_model().objects.filter(pk__in=lost).update(
            points=F("points")
            - Case(*(When(pk=user_id, then=Value(count)) for user_id, count in lost.items()), default=Value(0))
        )
    return deleted


@transaction.atomic
def discard_votes_of_images(image_ids):
    """``discard_votes`` for every annotation of these images, before the images are deleted.

    The images' rows are locked first, so no annotation can be added to them meanwhile.
    """
    images = Image.objects.filter(pk__in=list(image_ids))
    if not list(images.order_by("pk").select_for_update().values_list("pk", flat=True)):
        return 0
    return discard_votes(Annotation.objects.filter(image__in=images.values("pk")))


def _points_expression():
    received = (
        accepts_from_others()
        .filter(annotation__user=OuterRef("pk"))
        .order_by()
        .values("annotation__user")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(received, output_field=IntegerField()), Value(0))


@transaction.atomic
def recompute_points():
    """Set every user's points to the count from the votes, in one UPDATE; returns how many changed.

    On PostgreSQL the votes table is locked in SHARE mode first: votes being written finish before it,
    new ones wait until the recount is committed, so it never overwrites a concurrent vote's point.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {connection.ops.quote_name(Verification._meta.db_table)} IN SHARE MODE")
    correct = _points_expression()
    return get_user_model().objects.exclude(points=correct).update(points=correct)


def leaderboard(users, *, since=None, limit=25):
    """The best of ``users`` (a queryset), each with ``leaderboard_points``, as a list, in one query.

    All time (``since`` None): by ``points``. Otherwise by the accepts received from others on votes
    cast (or last changed) at or after ``since``, e.g. ``timezone.now() - timedelta(days=30)``; those
    users are read as id and username only. Users without any are left out; ties by username.
    """
    if since is None:
        ranked = users.filter(points__gt=0).annotate(leaderboard_points=F("points"))
        return list(ranked.order_by("-leaderboard_points", "username", "pk")[:limit])
    # Driven from the votes of the window (the ``time`` index) and grouped once: a count per user in a
    # correlated subquery would read the window once per ranked user (26 s at 100,000 votes on PostgreSQL).
    rows = (
        accepts_from_others()
        .filter(time__gte=since, annotation__user__in=users.values("pk"))
        .order_by()
        .values_list("annotation__user", "annotation__user__username")
        .annotate(points=Count("pk"))
        .order_by("-points", "annotation__user__username", "annotation__user")[:limit]
    )
    board = []
    for pk, username, points in rows:
        user = users.model(pk=pk, username=username)
        user.leaderboard_points = points
        board.append(user)
    return board
