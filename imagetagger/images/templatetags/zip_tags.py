"""``{% zip_status image_set permissions image_count as zip %}`` for the zip panel of the set page."""

from django import template
from django.conf import settings

from images import zips

register = template.Library()


@register.simple_tag
def zip_status(image_set, permissions, image_count=None):
    """The archive's status (see ``zips.archive_status``), or None when zip downloads are off.

    ``image_count`` saves a query when the page knows it already.
    """
    if not settings.ENABLE_ZIP_DOWNLOAD or image_set is None:
        return None
    has_images = image_set.images.exists() if image_count in (None, "") else int(image_count) > 0
    return zips.archive_status(image_set, has_images=has_images, show_error="edit_set" in (permissions or ()))
