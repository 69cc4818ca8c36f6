"""``{% set_has_annotations image_set as has_annotations %}`` for the set page's "Manage annotations" link
(one query)."""

from django import template

from annotations.models import Annotation

register = template.Library()


@register.simple_tag
def set_has_annotations(image_set):
    return image_set is not None and Annotation.objects.filter(image__image_set=image_set).exists()
