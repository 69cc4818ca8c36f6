"""Work distribution, the whole-set "not in image" action, and statistics.

Work distribution ("next image to annotate", design.md §5): an annotator asks for the next image of
a set that still needs a label of one type and gets it with a short lease (``ImageLease``, one per
image and type, ``IT_ANNOTATION_LEASE_SECONDS``), so that two annotators are never sent the same
image at the same time. The browser renews the lease while the image is open (a heartbeat) and
releases it when the annotator skips the image; a lease nobody renews simply expires and the image
goes to the next one who asks.

Why two annotators never get the same image: a lease is claimed with a conditional UPDATE (only
when it is the caller's or expired) or an INSERT guarded by the unique constraint (image, type); a
caller that loses either race moves on to the next image. On PostgreSQL the candidates are also
picked with ``SELECT … FOR UPDATE SKIP LOCKED``, so simultaneous callers usually pick different
images at once instead of colliding on the first one. On SQLite, write transactions are serialised
(``transaction_mode`` IMMEDIATE).

The whole-set "not in image" action (the original's "annotate the whole set", spec §2.5 and §7.3)
marks every image that has no label of a type yet as "not in image" for it, in bulk. Unlike the
original it casts no votes, so it cannot be used to gain points (spec §14.1 item 9).

Statistics are aggregate queries: a fixed number of queries whatever the size of the set.
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, CharField, Count, Exists, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Sign
from django.utils import timezone

from images.models import Image, ImageSet
from images.permissions import imageset_permissions, memberships_by_team
from users.models import TeamMembership

from .models import (
    Annotation,
    AnnotationHistory,
    AnnotationType,
    HistoryAction,
    ImageLease,
    Origin,
    VectorType,
    Verification,
)
from .selectors import types_usable_in_set
from .services import check_type_active, check_usable, history_entry, snapshot

# How many images one request tries before giving up; each failed try means another annotator
# claimed that image at the same moment, so this bounds the work, not the answer.
MAX_CLAIM_ATTEMPTS = 50
# Rows per INSERT of the whole-set action (the database may lower it, e.g. SQLite's variable limit).
BULK_BATCH_SIZE = 500

NO_ANNOTATE = "You may not annotate images of this image set."
NO_EDIT_SET = "Only members of the set's team may mark the whole set as “not in image”."


class LeaseHeld(Exception):
    """Another annotator holds a live lease on this image for this type: HTTP 409."""

    def __init__(self, lease):
        self.lease = lease
        self.message = (
            "Another annotator is working on this image for this annotation type "
            f"(until {lease.expires.isoformat(timespec='seconds')}). Ask for the next image instead."
        )
        super().__init__(self.message)


def lease_duration():
    return datetime.timedelta(seconds=settings.ANNOTATION_LEASE_SECONDS)


def _require(actor, image_set, permission, message):
    if permission not in imageset_permissions(actor, image_set):
        raise PermissionDenied(message)


# --- leases ---------------------------------------------------------------------------------------


def _open_images(images, annotation_type, actor, now):
    """``images`` that have no annotation of ``annotation_type`` (neither a shape nor "not in image")
    and no live lease of somebody other than ``actor`` for it."""
    labelled = Annotation.objects.filter(image=OuterRef("pk"), annotation_type=annotation_type)
    held = ImageLease.objects.filter(image=OuterRef("pk"), annotation_type=annotation_type, expires__gt=now).exclude(
        user=actor
    )
    return images.filter(~Exists(labelled), ~Exists(held))


def _in_turn(images, after_image):
    """The parts of ``images`` to look at in order: those after ``after_image`` (by name, id), then
    all of them again from the start (wrapping around, ``after_image`` itself last). Two ordered
    queries rather than one with a computed sort key, so that each walks the (set, name, id) index."""
    if after_image is None:
        return [images]
    later = Q(name__gt=after_image.name) | Q(name=after_image.name, pk__gt=after_image.pk)
    return [images.filter(later), images]


def _first(images, *, skip_locked):
    images = images.order_by("name", "id")
    if skip_locked:
        # FOR NO KEY UPDATE: it keeps other pickers off the row but, unlike FOR UPDATE, does not
        # block the foreign-key check of another caller's lease INSERT for this image (that caller
        # would then hold the lease's unique-index entry while waiting for us: a deadlock).
        no_key = connection.features.has_select_for_no_key_update
        images = images.select_for_update(skip_locked=True, no_key=no_key)
    return images.first()


def _claim(image, annotation_type, actor, now):
    """Give ``actor`` the lease on ``image`` for ``annotation_type`` when it is theirs already, has
    expired or does not exist; returns the lease, or None when another annotator holds it."""
    expires = now + lease_duration()
    leases = ImageLease.objects.filter(image=image, annotation_type=annotation_type)
    # Conditional: a concurrent claim of the same row makes this update match nothing.
    if leases.filter(Q(user=actor) | Q(expires__lte=now)).update(user=actor, expires=expires):
        return leases.select_related("image").get()
    if leases.exists():
        return None
    try:
        with transaction.atomic():
            lease = ImageLease.objects.create(image=image, annotation_type=annotation_type, user=actor, expires=expires)
    except IntegrityError:  # somebody else inserted it a moment ago
        return None
    lease.image = image
    return lease


@transaction.atomic
def next_image(*, actor, image_set, annotation_type, after_image=None):
    """Lease the next image of ``image_set`` that still needs a label of ``annotation_type``.

    "Next" is by image name (then id), starting after ``after_image`` when given and wrapping
    around. Images that have an annotation of the type (a shape or "not in image") are done; images
    another annotator holds a live lease on are skipped. A lease ``actor`` holds already is renewed,
    so asking again without ``after_image`` answers the same image. Leases on earlier images are
    kept: release a skipped image with ``release_lease``.

    Needs ``annotate`` on the set and an active type. Returns the ``ImageLease`` (``lease.image``,
    ``lease.expires``), or None when no image is left.
    """
    _require(actor, image_set, "annotate", NO_ANNOTATE)
    check_type_active(annotation_type)
    if after_image is not None and after_image.image_set_id != image_set.pk:
        raise ValidationError({"after_image": "This image is not in this image set."})
    now = timezone.now()
    passed = []
    for _attempt in range(MAX_CLAIM_ATTEMPTS):
        candidates = _open_images(Image.objects.filter(image_set=image_set), annotation_type, actor, now)
        if passed:
            candidates = candidates.exclude(pk__in=passed)
        image = _pick(_in_turn(candidates, after_image))
        if image is None:
            return None
        lease = _claim(image, annotation_type, actor, now)
        if lease is not None:
            return lease
        passed.append(image.pk)
    return None


def _pick(parts):
    # First without waiting for images other callers are locking right now; if that finds nothing,
    # once more without locks (the claim itself is what keeps two callers apart).
    passes = (True, False) if connection.features.has_select_for_update_skip_locked else (False,)
    for skip_locked in passes:
        for images in parts:
            image = _first(images, skip_locked=skip_locked)
            if image is not None:
                return image
    return None


def annotatable_sets(actor):
    """Image sets ``actor`` may annotate (a superset filtered in SQL; callers confirm each with
    ``imageset_permissions``): sets of their teams, and public sets open for collaboration."""
    if not actor.is_authenticated:
        return ImageSet.objects.none()
    member = TeamMembership.objects.filter(team_id=OuterRef("team_id"), user=actor)
    return ImageSet.objects.filter(Exists(member) | Q(public=True, public_collaboration=True))


def next_image_across_sets(*, actor, annotation_type):
    """Lease the next image needing ``annotation_type`` from any set ``actor`` may annotate: sets of
    higher priority first, then newer sets first (the order of the home page); within a set as
    ``next_image``. Returns the ``ImageLease`` (``lease.image.image_set``) or None."""
    check_type_active(annotation_type)
    now = timezone.now()
    open_images = _open_images(Image.objects.filter(image_set=OuterRef("pk")), annotation_type, actor, now)
    sets = list(
        annotatable_sets(actor).filter(Exists(open_images)).order_by("-priority", "-time", "-id")[:MAX_CLAIM_ATTEMPTS]
    )
    memberships = memberships_by_team(actor, [image_set.team_id for image_set in sets])
    for image_set in sets:
        if "annotate" not in imageset_permissions(actor, image_set, membership=memberships.get(image_set.team_id)):
            continue
        lease = next_image(actor=actor, image_set=image_set, annotation_type=annotation_type)
        if lease is not None:
            lease.image.image_set = image_set
            return lease
    return None


@transaction.atomic
def renew_lease(*, actor, image, annotation_type):
    """The heartbeat: extend ``actor``'s lease on ``image`` for ``annotation_type`` by the lease
    time. When the lease has expired or was released and nobody else holds one, ``actor`` gets it
    (again); so opening an image directly and renewing claims it too. Raises ``LeaseHeld`` when
    another annotator holds a live lease. Needs ``annotate`` and an active type."""
    _require(actor, image.image_set, "annotate", NO_ANNOTATE)
    check_type_active(annotation_type)
    lease = _claim(image, annotation_type, actor, timezone.now())
    if lease is None:
        raise LeaseHeld(ImageLease.objects.get(image=image, annotation_type=annotation_type))
    return lease


def release_lease(*, actor, image, annotation_type):
    """Give up ``actor``'s lease on ``image`` for ``annotation_type`` (e.g. the image was skipped),
    so that the next annotator may get it at once. Returns whether there was one to release."""
    deleted, _ = ImageLease.objects.filter(image=image, annotation_type=annotation_type, user=actor).delete()
    return bool(deleted)


# --- the whole set "not in image" ---------------------------------------------------------------


def unlabelled_images(image_set, annotation_type):
    """Images of ``image_set`` without any annotation of ``annotation_type``."""
    labelled = Annotation.objects.filter(image=OuterRef("pk"), annotation_type=annotation_type)
    return Image.objects.filter(image_set=image_set).filter(~Exists(labelled))


def missing_counts(image_set, annotation_types, *, image_count=None):
    """``{type id: number of images of the set without an annotation of that type}`` from the maintained
    counts (``SetTypeCount``, ``ImageSet.image_count``): one query whatever the size of the set."""
    from images.selectors import labelled_images

    done = labelled_images(image_set, annotation_types)
    if image_count is None:  # read afresh: the caller's instance may predate images added since
        image_count = ImageSet.objects.filter(pk=image_set.pk).values_list("image_count", flat=True).first() or 0
    total = image_count
    return {annotation_type.pk: total - done.get(annotation_type.pk, 0) for annotation_type in annotation_types}


def check_markable(image_set, annotation_type):
    """The whole set may be marked "not in image" for an active shape type the set uses (tags are
    given image by image)."""
    check_type_active(annotation_type)
    check_usable(annotation_type, image_set)
    if annotation_type.is_tag:
        raise ValidationError(
            {
                "annotation_type": f"“{annotation_type.name}” is an image tag: images are tagged one by one, "
                "not marked “not in image”."
            }
        )


@transaction.atomic
def annotate_set_not_in_image(*, actor, image_set, annotation_type):
    """Mark every image of ``image_set`` that has no annotation of ``annotation_type`` yet (neither
    a shape nor "not in image") as "not in image" for it, made by ``actor`` by hand, each with its
    history entry. Casts no votes and so changes nobody's points. Needs ``edit_set`` and an active
    type. Returns the number of annotations created.

    A fixed number of queries plus one INSERT per ``BULK_BATCH_SIZE`` images.
    """
    _require(actor, image_set, "edit_set", NO_EDIT_SET)
    check_markable(image_set, annotation_type)
    # Annotation writers lock the image row (services._lock_image); lock the candidates too (in id
    # order, like every multi-image locker), then look again: a shape saved meanwhile must not end up
    # beside a "not in image". NO KEY UPDATE still excludes those writers but lets lease INSERTs
    # (whose foreign-key check takes KEY SHARE) go on, so "next image" never waits for this.
    no_key = connection.features.has_select_for_no_key_update
    candidates = unlabelled_images(image_set, annotation_type).order_by("pk").select_for_update(no_key=no_key)
    locked = list(candidates.values_list("pk", flat=True))
    if not locked:
        return 0
    labelled_meanwhile = set(
        Annotation.objects.filter(image_id__in=locked, annotation_type=annotation_type).values_list(
            "image_id", flat=True
        )
    )
    annotations = [
        Annotation(
            image_id=image_id,
            annotation_type=annotation_type,
            vector=None,
            user=actor,
            origin=Origin.HUMAN,
        )
        for image_id in locked
        if image_id not in labelled_meanwhile
    ]
    Annotation.objects.bulk_create(annotations, batch_size=BULK_BATCH_SIZE)
    if any(annotation.pk is None for annotation in annotations):  # a database without RETURNING
        ids = dict(
            Annotation.objects.filter(uuid__in=[a.uuid for a in annotations]).values_list("uuid", "pk").iterator()
        )
        for annotation in annotations:
            annotation.pk = ids[annotation.uuid]
    AnnotationHistory.objects.bulk_create(
        [history_entry(a, HistoryAction.CREATE, actor, None, snapshot(a)) for a in annotations],
        batch_size=BULK_BATCH_SIZE,
    )
    return len(annotations)


# --- statistics ----------------------------------------------------------------------------------

# An annotation's verification state, as ``_verification_state`` computes it.
UNVERIFIED = 2
STATES = {UNVERIFIED: "unverified", 1: "accepted", -1: "rejected", 0: "disputed"}
COUNTERS = ("annotations", "shapes", "not_in_image", "tags", "human", "machine", *STATES.values())
# A tag (a whole-image label of a tag type) has a null vector like "not in image" but is neither a
# shape nor a negative: it is counted on its own.
IS_TAG = Q(annotation_type__vector_type=VectorType.TAG)
SHAPE = Q(vector__isnull=False) & ~IS_TAG
NOT_IN_IMAGE = Q(vector__isnull=True) & ~IS_TAG


def label_counters():
    """The aggregates ``shapes``, ``not_in_image`` and ``tags`` over annotations."""
    return {
        "shapes": Count("pk", filter=SHAPE),
        "not_in_image": Count("pk", filter=NOT_IN_IMAGE),
        "tags": Count("pk", filter=IS_TAG),
    }


def _verification_state():
    """Per annotation: the sign of its score (1 accepted, -1 rejected, 0 disputed), or ``UNVERIFIED``
    when nobody voted. One correlated subquery, evaluated once per annotation."""
    score_sign = (
        Verification.objects.filter(annotation=OuterRef("pk"))
        .order_by()
        .values("annotation")
        .annotate(sign=Sign(Sum(Case(When(verified=True, then=Value(1)), default=Value(-1)))))
        .values("sign")
    )
    return Coalesce(Subquery(score_sign, output_field=IntegerField()), Value(UNVERIFIED))


def imageset_statistics(image_set):
    """Counts for one set (four queries whatever its size)::

        {"images": …, "annotated_images": …,            # images with any annotation
         "annotations": {counters},                       # all types together
         "types": [{"annotation_type": AnnotationType, "annotated_images": …, "missing_images": …,
                    **counters}, …]}   # the types the set uses (schema order), plus any others used here

    Counters: ``annotations``, ``shapes``, ``not_in_image``, ``tags``, ``human``, ``machine``, and the
    verification state ``unverified`` (no votes), ``accepted`` (score > 0), ``rejected`` (score < 0),
    ``disputed`` (votes, score 0).
    """
    any_label = Annotation.objects.filter(image=OuterRef("pk"))
    images = Image.objects.filter(image_set=image_set).aggregate(
        images=Count("pk"), annotated_images=Count("pk", filter=Q(Exists(any_label)))
    )
    annotations = Annotation.objects.filter(image__image_set=image_set).order_by()
    by_type = {
        row.pop("annotation_type"): {**row, **dict.fromkeys(STATES.values(), 0)}
        for row in annotations.values("annotation_type").annotate(
            annotated_images=Count("image", distinct=True),
            annotations=Count("pk"),
            **label_counters(),
            human=Count("pk", filter=Q(origin=Origin.HUMAN)),
            machine=Count("pk", filter=Q(origin=Origin.MACHINE)),
        )
    }
    states = (
        annotations.annotate(state=_verification_state())
        .values("annotation_type", "state")
        .annotate(count=Count("pk"))
        .values_list("annotation_type", "state", "count")
    )
    for type_id, state, count in states:
        if type_id in by_type:  # an annotation added between the two queries may be missing from the first
            by_type[type_id][STATES[state]] = count
    usable = types_usable_in_set(image_set).values("pk")
    types = AnnotationType.objects.filter(Q(pk__in=usable) | Q(pk__in=list(by_type))).in_schema_order()
    zero = dict.fromkeys(("annotated_images", *COUNTERS), 0)
    per_type = []
    for annotation_type in types:
        counts = by_type.get(annotation_type.pk, zero)
        per_type.append(
            {
                "annotation_type": annotation_type,
                **counts,
                "missing_images": images["images"] - counts["annotated_images"],
            }
        )
    totals = {name: sum(row[name] for row in by_type.values()) for name in COUNTERS}
    return {**images, "annotations": totals, "types": per_type}


def user_statistics(user, *, viewer):
    """Counts for one user (three queries)::

        {"annotations": {"total", "shapes", "not_in_image", "tags", "human", "machine"},   # made by the user
         "votes_given": {"total", "accepts", "rejects"},
         "votes_received": {"accepts", "rejects"},            # by others, on the user's annotations
         "points": user.points}

    ``viewer`` sees everything about themselves (staff about everybody); about other users only
    what happened in sets ``viewer`` may read. ``points`` is the user's public score (design.md §4).
    """
    annotations = Annotation.objects.filter(user=user)
    given = Verification.objects.filter(user=user)
    received = Verification.objects.filter(annotation__user=user).exclude(user=user)
    if viewer.pk != user.pk and not viewer.is_staff:
        readable = ImageSet.objects.visible_to(viewer).values("pk")
        annotations = annotations.filter(image__image_set__in=readable)
        given = given.filter(annotation__image__image_set__in=readable)
        received = received.filter(annotation__image__image_set__in=readable)
    made = annotations.aggregate(
        total=Count("pk"),
        **label_counters(),
        human=Count("pk", filter=Q(origin=Origin.HUMAN)),
        machine=Count("pk", filter=Q(origin=Origin.MACHINE)),
    )
    votes_given = given.aggregate(
        total=Count("pk"),
        accepts=Count("pk", filter=Q(verified=True)),
        rejects=Count("pk", filter=Q(verified=False)),
    )
    votes_received = received.aggregate(
        accepts=Count("pk", filter=Q(verified=True)),
        rejects=Count("pk", filter=Q(verified=False)),
    )
    return {
        "annotations": made,
        "votes_given": votes_given,
        "votes_received": votes_received,
        "points": user.points,
    }


# Confidence bands of the review statistics: (label, low, high), low inclusive.
CONFIDENCE_BANDS = (
    ("none", None, None),
    ("< 0.25", 0.0, 0.25),
    ("0.25–0.5", 0.25, 0.5),
    ("0.5–0.75", 0.5, 0.75),
    ("≥ 0.75", 0.75, None),
)


def _in_band(low, high):
    if low is None:
        return Q(confidence__isnull=True)
    return Q(confidence__gte=low) & (Q(confidence__lt=high) if high is not None else Q())


REVIEW_OUTCOMES = ("accepted", "edited", "rejected", "waiting")


def machine_review_statistics(image_set):
    """What people made of the machine-made labels of ``image_set``, per model and confidence band
    (one query)::

        [{"model": name, "total": n, "bands": [{"band": "< 0.25", "accepted": …, "edited": …,
          "rejected": …, "waiting": …}, …]}, …]   # models by name; every band listed

    ``accepted``: score > 0 and never edited by a person; ``edited``: a person changed it (whatever the
    votes); ``rejected``: score < 0, not edited; ``waiting``: neither (no votes, or as many against as for).
    """
    band = Case(
        *[When(_in_band(low, high), then=Value(label)) for label, low, high in CONFIDENCE_BANDS],
        output_field=CharField(),
    )
    edited = Q(last_editor__isnull=False)
    rows = (
        Annotation.objects.filter(image__image_set=image_set, origin=Origin.MACHINE)
        .order_by()
        .annotate(band=band, state=_verification_state())
        .values("model_name", "band")
        .annotate(
            edited=Count("pk", filter=edited),
            accepted=Count("pk", filter=~edited & Q(state=1)),
            rejected=Count("pk", filter=~edited & Q(state=-1)),
            total=Count("pk"),
        )
    )
    models = {}
    for row in rows:
        empty = {label: dict.fromkeys(REVIEW_OUTCOMES, 0) for label, _, _ in CONFIDENCE_BANDS}
        bands = models.setdefault(row["model_name"], empty)
        counts = bands[row["band"]]
        for outcome in ("accepted", "edited", "rejected"):
            counts[outcome] = row[outcome]
        counts["waiting"] = row["total"] - row["accepted"] - row["edited"] - row["rejected"]
    return [
        {
            "model": name or "(no model name)",
            "total": sum(sum(counts.values()) for counts in bands.values()),
            "bands": [{"band": label, **counts} for label, counts in bands.items()],
        }
        for name, bands in sorted(models.items())
    ]
