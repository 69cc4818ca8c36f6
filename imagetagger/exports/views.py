"""Export pages: create an export from the set page, download it, poll its state.

Every view asks ``imageset_permissions``: an export of a set the caller may not read answers 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from base.ids import parse_id
from base.storage import download
from images.models import ImageSet
from images.permissions import imageset_permissions
from users.authentication import token_or_login_required

from . import jobs
from . import standard as standard_formats
from .models import Export, ExportState
from .selectors import formats_usable_by

RETRY_AFTER = 2


def readable_export(user, export_id):
    """The export if ``user`` may read its set; 404 otherwise (also for unknown ids)."""
    export = Export.objects.select_related("image_set", "format", "user").filter(pk=export_id).first()
    if export is None or "read" not in imageset_permissions(user, export.image_set):
        raise Http404("No such export.")
    return export


def status_of(export):
    """What the set page's panel shows about one export."""
    return {
        "id": export.pk,
        "format_name": export.format_name,
        "state": export.state,
        "progress": export.progress,
        "annotation_count": export.annotation_count,
        "report": export.report,
        "error": export.error,
        "filename": export.filename,
        "size": export.size,
        "deprecated": export.deprecated,
        "download_url": reverse("exports:download_export", args=[export.pk])
        if export.state == ExportState.DONE
        else None,
    }


def serve(export, method="GET"):
    """The export's file as a streamed attachment (from a bucket: a redirect to a short-lived signed URL
    of it); a JSON 202 while it is being written, 409 when it failed."""
    if export.state in (ExportState.QUEUED, ExportState.RUNNING):
        response = JsonResponse(
            {"detail": "The export is being written; try again in a few seconds.", **status_of(export)}, status=202
        )
        response["Retry-After"] = str(RETRY_AFTER)
        return response
    if export.state == ExportState.FAILED:
        return JsonResponse({"detail": f"The export failed: {export.error}", **status_of(export)}, status=409)
    try:
        return download(
            export.file,
            filename=export.filename,
            content_type=jobs.content_type(export),
            method=method,
            size=export.size,
        )
    except FileNotFoundError:
        raise Http404("The export's file is gone; please export again.") from None


@never_cache
@require_safe
@token_or_login_required
def download_export(request, export_id):
    return serve(readable_export(request.user, export_id), request.method)


@never_cache
@require_safe
@login_required
def export_status(request, export_id):
    return JsonResponse(status_of(readable_export(request.user, export_id)))


@never_cache
@require_safe
@login_required
def set_exports(request, set_id):
    """The set's recent exports (the panel polls this while some are unfinished)."""
    image_set = ImageSet.objects.filter(pk=set_id).first()
    if image_set is None or "read" not in imageset_permissions(request.user, image_set):
        raise Http404("No such image set.")
    exports = Export.objects.filter(image_set=image_set).select_related("format")[:RECENT]
    return JsonResponse({"exports": [status_of(export) for export in exports]})


RECENT = 10


def _filter_options(form):
    """The set page's export filters (origin, least votes, least confidence) as standard options."""
    options = {}
    if form.get("origin") in ("human", "machine"):
        options["origin"] = form["origin"]
    for name, kind in (("min_verifications", int), ("min_confidence", float)):
        text = (form.get(name) or "").strip()
        if text:
            try:
                options[name] = kind(text)
            except ValueError:
                raise ValidationError(
                    f"{name.replace('_', ' ').capitalize()}: “{text[:20]}” is not a number."
                ) from None
    return options


@require_POST
@login_required
def create_export(request, set_id):
    """The set page's Export button: ``export_format`` is ``"standard:<name>"`` or ``"format:<id>"``."""
    image_set = ImageSet.objects.filter(pk=set_id).first()
    if image_set is None or "read" not in imageset_permissions(request.user, image_set):
        raise Http404("No such image set.")
    back = image_set.get_absolute_url() + "#exports"
    choice = request.POST.get("export_format", "")
    kind, _, value = choice.partition(":")
    with_images = request.POST.get("images") == "on"
    try:
        if with_images and not (kind == "standard" and value in standard_formats.WITH_IMAGES):
            raise ValidationError(f"Only {standard_formats.with_images_text()} exports can hold the images.")
        if kind == "standard":
            options = _filter_options(request.POST)
            if with_images:
                options["images"] = True
            export = jobs.create_export(actor=request.user, image_set=image_set, standard=value, options=options)
        elif kind == "format" and parse_id(value):
            export_format = formats_usable_by(request.user).filter(pk=parse_id(value)).first()
            if export_format is None:
                raise PermissionDenied("You may not use this export format.")
            export = jobs.create_export(actor=request.user, image_set=image_set, export_format=export_format)
        else:
            raise ValidationError("Choose an export format.")
    except (PermissionDenied, ValidationError) as error:
        text = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, text or "You may not export this image set.")
        return redirect(back)
    if export.state == ExportState.DONE:
        messages.success(request, f"The export “{export.filename}” is ready.")
    elif export.state == ExportState.FAILED:
        messages.error(request, f"The export failed: {export.error}")
    else:
        messages.info(request, "The export is being written in the background; its progress is shown below.")
    return redirect(back)
