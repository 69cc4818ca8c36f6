"""``{% upload_settings as upload %}`` for the upload panel of the set page."""

from django import template
from django.conf import settings
from django.utils.safestring import mark_safe

from images.ingest import accepted_formats_text

register = template.Library()


@register.simple_tag
def upload_settings():
    """The operator's notice (``IT_UPLOAD_NOTICE``, HTML) and the accepted image types."""
    return {
        # The notice is HTML written by the site's operator (README: IT_UPLOAD_NOTICE).
        "notice": mark_safe(settings.UPLOAD_NOTICE or ""),
        "accepted": accepted_formats_text(),
        "max_pixels": settings.MAX_IMAGE_PIXELS,
    }
