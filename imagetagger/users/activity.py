"""A user's recent activity for their profile page: the last annotations they made and the last votes
they cast, each one query whatever their number.

Viewers see everything about themselves (staff about everybody); about other users only what happened
in image sets the viewer may read (``ImageSet.objects.visible_to``), like ``annotations.work.user_statistics``.
"""

from annotations.models import Annotation, Verification
from images.models import ImageSet

RECENT_LIMIT = 10


def _newest(queryset, *, annotation, own_fields, user, viewer, limit):
    """``queryset`` restricted to what ``viewer`` may see of ``user``, newest first, with the annotation's
    image, set and type; ``annotation`` is the path from the rows to their annotation ("" for itself)."""
    if viewer.pk != user.pk and not viewer.is_staff:
        readable = ImageSet.objects.visible_to(viewer).values("pk")
        queryset = queryset.filter(**{f"{annotation}image__image_set__in": readable})
    fields = ("image__name", "image__image_set__name", "annotation_type__name")
    return list(
        queryset.select_related(f"{annotation}image__image_set", f"{annotation}annotation_type")
        .only("id", "time", *own_fields, *(annotation + field for field in fields))
        .order_by("-time", "-id")[:limit]
    )


def recent_annotations(user, *, viewer, limit=RECENT_LIMIT):
    """The newest annotations ``user`` made."""
    queryset = Annotation.objects.filter(user=user)
    own = ("vector", "origin")
    return _newest(queryset, annotation="", own_fields=own, user=user, viewer=viewer, limit=limit)


def recent_votes(user, *, viewer, limit=RECENT_LIMIT):
    """The newest votes ``user`` cast (or changed)."""
    queryset = Verification.objects.filter(user=user)
    own = ("verified",)
    return _newest(queryset, annotation="annotation__", own_fields=own, user=user, viewer=viewer, limit=limit)
