"""Deleting many annotations of one image set at once (the manage page's "delete the filtered rows").

Like ``services.delete_annotation`` for each one, but in a bounded number of queries: the images and
then the annotations are locked in id order (the lock order of the services: image rows → annotation
rows → votes → users), one history entry per annotation is written with ``bulk_create``, the votes
are discarded once (``votes.discard_votes`` takes the points of their accepts from the creators), and
the rows are deleted with one DELETE. Up to ``CHUNK`` annotations take one round of these queries;
more take one round per ``CHUNK`` (query parameters are limited, e.g. on SQLite).
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from images.models import Image
from images.permissions import imageset_permissions

from .models import Annotation, AnnotationHistory, HistoryAction
from .services import history_entry, snapshot
from .votes import discard_votes

CHUNK = 5000
NO_DELETE = "You may not delete annotations of this image set."


class CountChanged(Exception):
    """The annotations matching the filters are not the ones the user confirmed: nothing was deleted."""

    def __init__(self, expected, found):
        self.expected = expected
        self.found = found
        self.message = (
            f"The matching annotations changed meanwhile: {found} match now instead of {expected}. "
            "Nothing was deleted; check the count and confirm again."
        )
        super().__init__(self.message)


@transaction.atomic
def delete_annotations(actor, image_set, queryset, *, expected_count=None):
    """Delete the annotations of ``queryset`` that belong to ``image_set``; returns how many.

    Needs ``delete_annotation`` on the set (``PermissionDenied`` otherwise). When ``expected_count``
    is given and another number matches once the rows are locked, raises ``CountChanged`` and deletes
    nothing. History entries are kept (action "delete", the state before).
    """
    if "delete_annotation" not in imageset_permissions(actor, image_set):
        raise PermissionDenied(NO_DELETE)
    matching = Annotation.objects.filter(image__image_set=image_set, pk__in=queryset.order_by().values("pk"))
    # Lock the images first: no annotation of them can be created, changed or deleted until we end.
    list(
        Image.objects.select_for_update(of=("self",))
        .filter(pk__in=matching.values("image_id"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    rows = list(matching.select_for_update(of=("self",)).order_by("pk"))
    if expected_count is not None and len(rows) != expected_count:
        raise CountChanged(expected_count, len(rows))
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        AnnotationHistory.objects.bulk_create(
            [history_entry(annotation, HistoryAction.DELETE, actor, snapshot(annotation), None) for annotation in chunk]
        )
        ids = [annotation.pk for annotation in chunk]
        discard_votes(Annotation.objects.filter(pk__in=ids))
        Annotation.objects.filter(pk__in=ids).delete()
    return len(rows)
