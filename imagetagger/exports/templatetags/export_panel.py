"""The set page's export panel (``{% load export_panel %}{% export_panel image_set permissions %}``)."""

from django import template

from .. import standard as standard_formats
from ..models import Export, StandardFormat
from ..selectors import formats_usable_by
from ..views import RECENT, status_of

register = template.Library()


@register.inclusion_tag("exports/includes/export_panel.html", takes_context=True)
def export_panel(context, image_set, permissions):
    """Choose a format (the template formats usable by me, then the standard ones), Export, and the
    set's recent exports with state, progress, report and download link (two queries)."""
    user = context["request"].user
    can_export = "create_export" in permissions
    exports = [
        status_of(export) for export in Export.objects.filter(image_set=image_set).select_related("format")[:RECENT]
    ]
    return {
        "image_set": image_set,
        "can_export": can_export,
        "formats": list(formats_usable_by(user)) if can_export else [],
        "standards": StandardFormat.choices,
        "with_images": standard_formats.with_images_text(),
        "exports": exports,
        "unfinished": any(export["state"] in ("queued", "running") for export in exports),
        "csrf_token": context.get("csrf_token"),
    }
