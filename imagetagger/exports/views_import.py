"""Pages of label import: the form on the set page posts here; the result page shows the summary and
the first report lines, and the full report downloads as CSV."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from images.models import ImageSet
from images.permissions import imageset_permissions

from . import importers, imports
from .api_imports import report_response


@login_required
@require_POST
def import_labels(request, set_id):
    image_set = ImageSet.objects.filter(pk=set_id).first()
    if image_set is None or "read" not in imageset_permissions(request.user, image_set):
        raise Http404
    upload = request.FILES.get("file")
    format = request.POST.get("format", "pipe")
    if upload is None:
        messages.error(request, "Choose a file to import.")
        return redirect(image_set)
    try:
        label_import = imports.import_labels(
            actor=request.user,
            image_set=image_set,
            fileobj=upload,
            format=format,
            machine_made=request.POST.get("machine_made") in ("on", "true", "1"),
            model_name=request.POST.get("model_name", ""),
            filename=upload.name,
        )
    except PermissionDenied as error:
        raise PermissionDenied(str(error) or imports.NO_ANNOTATE) from None
    except ValidationError as error:
        messages.error(request, "The labels were not imported: " + " ".join(error.messages))
        return redirect(image_set)
    return redirect("imports:label_import", label_import.pk)


@login_required
@require_safe
def view_label_import(request, import_id):
    label_import = imports.visible_import(request.user, import_id)
    if label_import is None:
        raise Http404
    return render(
        request,
        "exports/label_import.html",
        {
            "label_import": label_import,
            "image_set": label_import.image_set,
            "format_name": importers.FORMATS.get(label_import.format, label_import.format),
            "report_limit": imports.REPORT_LIMIT,
        },
    )


@login_required
@require_safe
def download_report(request, import_id):
    return report_response(imports.visible_import(request.user, import_id))
