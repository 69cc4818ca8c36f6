"""Export-format pages (spec §3.5): create, edit, view, delete, and the live preview.

Team members (``manage_export_formats``) manage their team's formats; everybody else gets 403.
Public formats of other teams can be looked at read-only; private formats of other teams are 404.
Opened from a set page (``?imageset=<id>``) the form previews the format on the set's first images.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from base.ids import parse_id
from images.models import ImageSet
from images.permissions import imageset_permissions
from users.models import Team
from users.permissions import team_permissions

from . import outputs
from .forms_formats import PRESETS, TEMPLATE_FIELDS, ExportFormatForm, normalise_newlines
from .models import ExportFormat
from .selectors import manageable_teams
from .template import render_export

PREVIEW_LINES = 20
PREVIEW_ANNOTATIONS = 50


def _can_manage(user, team):
    return "manage_export_formats" in team_permissions(user, team)


def _readable_set(request, set_id):
    """The set named by ``?imageset=`` (or None), 404 when the user may not read it."""
    if not set_id:
        return None
    try:
        image_set = ImageSet.objects.select_related("team").get(pk=int(set_id))
    except (ValueError, ImageSet.DoesNotExist):
        raise Http404("No such image set.") from None
    if "read" not in imageset_permissions(request.user, image_set):
        raise Http404("No such image set.")
    return image_set


def _back_url(image_set, team):
    if image_set is not None:
        return reverse("images:imageset", args=[image_set.pk]) + "#export-formats"
    return reverse("users:team", args=[team.pk]) + "#export-formats"


def _form_page(request, form, *, export_format, image_set, team, status=200):
    return render(
        request,
        "exports/format_form.html",
        {
            "form": form,
            "export_format": export_format,
            "image_set": image_set,
            "team": team,
            "back_url": _back_url(image_set, team) if team else reverse("base:home"),
            "presets": PRESETS,
        },
        status=400 if form.errors else status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def create_format(request):
    image_set = _readable_set(request, request.GET.get("imageset"))
    teams = manageable_teams(request.user)
    wanted_team = request.GET.get("team") or (image_set.team_id if image_set else None)
    initial = {}
    if wanted_team:
        team = get_object_or_404(Team, pk=parse_id(wanted_team)) if parse_id(wanted_team) else None
        if team is None:
            raise Http404("No such team.")
        if request.GET.get("team") and not _can_manage(request.user, team):
            raise PermissionDenied("Only members of this team may create its export formats.")
        initial["team"] = team.pk
    if not teams.exists():
        raise PermissionDenied("Join a team to create export formats.")
    if request.method == "POST":
        form = ExportFormatForm(request.POST, teams=teams)
        if form.is_valid():
            team = form.cleaned_data["team"]
            if not _can_manage(request.user, team):  # the queryset already limits it; belt and braces
                raise PermissionDenied("Only members of this team may create its export formats.")
            with transaction.atomic():
                export_format = form.save()
            messages.success(request, f"Export format {export_format.name} created.")
            return redirect(_back_url(image_set, team))
    else:
        form = ExportFormatForm(teams=teams, initial=initial)
    team = Team.objects.filter(pk=initial.get("team")).first()
    return _form_page(request, form, export_format=None, image_set=image_set, team=team)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def edit_format(request, format_id):
    export_format = get_object_or_404(ExportFormat.objects.select_related("team"), pk=format_id)
    if not _can_manage(request.user, export_format.team):
        raise PermissionDenied("Only members of the format's team may change it.")
    image_set = _readable_set(request, request.GET.get("imageset"))
    if request.method == "POST":
        form = ExportFormatForm(request.POST, instance=export_format)
        if form.is_valid():
            with transaction.atomic():
                form.save()
            messages.success(request, f"Export format {export_format.name} saved.")
            return redirect(_back_url(image_set, export_format.team))
    else:
        form = ExportFormatForm(instance=export_format)
    return _form_page(request, form, export_format=export_format, image_set=image_set, team=export_format.team)


@login_required
@require_safe
def view_format(request, format_id):
    export_format = get_object_or_404(
        ExportFormat.objects.select_related("team").prefetch_related("annotation_types"), pk=format_id
    )
    can_manage = _can_manage(request.user, export_format.team)
    if not (export_format.public or can_manage):
        raise Http404("No such export format.")
    form = ExportFormatForm(instance=export_format)
    for field in form.fields.values():
        field.disabled = True
    return render(
        request,
        "exports/format_view.html",
        {"export_format": export_format, "form": form, "can_manage": can_manage},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def delete_format(request, format_id):
    export_format = get_object_or_404(ExportFormat.objects.select_related("team"), pk=format_id)
    if not _can_manage(request.user, export_format.team):
        raise PermissionDenied("Only members of the format's team may delete it.")
    image_set = _readable_set(request, request.GET.get("imageset"))
    if request.method == "POST":
        name, team = export_format.name, export_format.team
        export_format.delete()
        messages.success(request, f"Export format {name} deleted. Exports made with it stay downloadable.")
        return redirect(_back_url(image_set, team))
    return render(
        request,
        "exports/format_confirm_delete.html",
        {
            "export_format": export_format,
            "export_count": export_format.exports.count(),
            "back_url": _back_url(image_set, export_format.team),
        },
    )


@login_required
@require_POST
def preview_format(request, set_id):
    """The format in the POSTed form rendered on the set's first annotations: JSON
    ``{"lines": [...], "truncated": bool, "errors": {field: [messages]}}``."""
    image_set = get_object_or_404(ImageSet.objects.select_related("team"), pk=set_id)
    if "read" not in imageset_permissions(request.user, image_set):
        raise Http404("No such image set.")
    instance = None
    if parse_id(request.POST.get("format_id")):
        instance = ExportFormat.objects.filter(pk=parse_id(request.POST["format_id"])).select_related("team").first()
        if instance is not None and not _can_manage(request.user, instance.team):
            raise PermissionDenied("Only members of the format's team may change it.")
    teams = None if instance is not None else manageable_teams(request.user)
    form = ExportFormatForm(request.POST, instance=instance, teams=teams)
    form.is_valid()
    errors = {name: [str(message) for message in messages_] for name, messages_ in form.errors.items()}
    data = form.cleaned_data
    # Invalid templates are previewed too (as typed): the errors say what is wrong with them.
    templates = {name: normalise_newlines(request.POST.get(name, "")) for name in TEMPLATE_FIELDS}
    output = data.get("output") or "text"
    preview = ExportFormat(
        **templates,
        output=output,
        min_verifications=data.get("min_verifications") or 0,
        image_aggregation=bool(data.get("image_aggregation")),
        include_blurred=bool(data.get("include_blurred")),
        include_concealed=bool(data.get("include_concealed")),
    )
    type_ids = [annotation_type.pk for annotation_type in data.get("annotation_types") or []]
    chunks, stats = render_export(preview, image_set, limit=PREVIEW_ANNOTATIONS, type_ids=type_ids)
    lines = []
    buffer = ""
    for chunk in chunks:
        buffer += chunk
        if buffer.count("\n") > PREVIEW_LINES:
            break
    lines = buffer.split("\n")
    truncated = len(lines) > PREVIEW_LINES or stats["annotations"] >= PREVIEW_ANNOTATIONS
    shown = "\n".join(lines[:PREVIEW_LINES])
    ok, message = outputs.check(
        shown if not truncated else shown.rsplit("\n", 1)[0] + "\n", output, complete=not truncated
    )
    return JsonResponse(
        {
            "lines": lines[:PREVIEW_LINES],
            "truncated": truncated,
            "errors": errors,
            "annotations": stats["annotations"],
            "check": {"ok": ok, "message": message},
        }
    )
