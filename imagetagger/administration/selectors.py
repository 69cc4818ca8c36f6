"""Reads for the administration pages, each one query whatever the number of rows."""

from django.db.models import Count, Q
from django.db.models.functions import Lower

from annotations.models import AnnotationType


def annotation_types_with_counts():
    """Every annotation type (active or not) by name, with ``annotation_count`` and
    ``not_in_image_count``."""
    return AnnotationType.objects.annotate(
        annotation_count=Count("annotations"),
        not_in_image_count=Count("annotations", filter=Q(annotations__vector__isnull=True)),
    ).order_by(Lower("name"), "id")
