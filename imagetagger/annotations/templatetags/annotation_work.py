"""``{% not_in_image_choices image_set permissions image_count as choices %}`` for the set page's
"mark the whole set as not in image" panel."""

from django import template

from annotations import work
from annotations.selectors import types_usable_in_set

register = template.Library()


@register.simple_tag
def not_in_image_choices(image_set, permissions, image_count=None):
    """``[(annotation type, images that would be marked), …]`` of the set's shape types (tags are given
    image by image), or None when the
    caller may not use the action (``edit_set``) or the set has no images. One query when
    ``image_count`` is given."""
    if image_set is None or "edit_set" not in (permissions or ()):
        return None
    image_count = None if image_count in (None, "") else int(image_count)
    if image_count == 0:
        return None
    types = [annotation_type for annotation_type in types_usable_in_set(image_set) if not annotation_type.is_tag]
    if not types:
        return None
    missing = work.missing_counts(image_set, types, image_count=image_count)
    return [(annotation_type, missing[annotation_type.pk]) for annotation_type in types]
