from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from base.ids import parse_id
from images.models import Image, ImageSet
from images.permissions import imageset_permissions
from images.views_files import serve_image
from users.models import Team
from users.permissions import team_permissions

from . import results, services
from .forms import BackendForm
from .links import image_id_of
from .models import ModelBackend, PrelabelJob
from .permissions import backend_permissions


@require_safe
def linked_image(request, token):
    """An image for a model backend holding a valid link (``assist.links``); no login."""
    image_id = image_id_of(token)
    if image_id is None:
        raise Http404("This image link is not valid (any more).")
    return serve_image(request, get_object_or_404(Image, pk=image_id))


# --- a team's model backends --------------------------------------------------------------------------


def _team_for_member(request, team_id):
    team = get_object_or_404(Team, pk=team_id)
    rights = team_permissions(request.user, team)
    if "create_set" not in rights:  # members only; others do not learn what the team runs
        raise Http404("No such page.")
    return team, rights


def _apply_errors(form, error):
    for field, messages_ in error.message_dict.items():
        target = field if field in form.fields else None
        if field == "label_map":
            target = None
        for message in messages_:
            form.add_error(target, message)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def team_backends(request, team_id):
    """The team's model backends: list, check, delete; the register form for its admins."""
    team, rights = _team_for_member(request, team_id)
    may_manage = "user_management" in rights
    usable = list(services.types_usable_by(team).filter(vector_type__in=list(results.KIND_OF_TYPE)))
    form = BackendForm(request.POST or None, types=usable) if may_manage else None
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied("Only the team's admins may register model backends.")
        if form.is_valid():
            try:
                backend = services.register_backend(
                    actor=request.user, team=team, auth_header=form.cleaned_data["auth_header"], **form.backend_fields()
                )
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, f"Model backend “{backend.name}” registered. Check it to see if it answers.")
                return redirect("assist:team_backends", team.pk)
    backends = list(ModelBackend.objects.filter(team=team))
    names = {annotation_type.pk: annotation_type.name for annotation_type in usable}
    rows = [
        {
            "backend": backend,
            "labels": [
                (label, names.get(type_id, "(a type no longer usable)")) for label, type_id in backend.label_map.items()
            ],
        }
        for backend in backends
    ]
    context = {"team": team, "rows": rows, "form": form, "may_manage": may_manage}
    return render(
        request, "assist/team_backends.html", context, status=400 if form is not None and form.errors else 200
    )


def _managed_backend(request, backend_id):
    backend = get_object_or_404(ModelBackend.objects.select_related("team"), pk=backend_id)
    rights = backend_permissions(request.user, backend)
    if "read" not in rights:
        raise Http404("No such model backend.")
    if "manage" not in rights:
        raise PermissionDenied("Only the team's admins may change its model backends.")
    return backend


@login_required
@require_POST
def check_backend(request, backend_id):
    backend = _managed_backend(request, backend_id)
    ok, status = services.check_backend(actor=request.user, backend=backend)
    (messages.success if ok else messages.error)(request, f"“{backend.name}”: {status}")
    return redirect("assist:team_backends", backend.team_id)


@login_required
@require_POST
def delete_backend(request, backend_id):
    backend = _managed_backend(request, backend_id)
    services.delete_backend(actor=request.user, backend=backend)
    messages.success(request, f"Model backend “{backend.name}” deleted; the labels it made stay.")
    return redirect("assist:team_backends", backend.team_id)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def edit_backend(request, backend_id):
    backend = _managed_backend(request, backend_id)
    usable = list(services.types_usable_by(backend.team).filter(vector_type__in=list(results.KIND_OF_TYPE)))
    initial = {"name": backend.name, "url": backend.url, "interactive": backend.interactive}
    form = BackendForm(
        request.POST or None, types=usable, label_map=backend.label_map, initial=initial, keep_auth_hint=True
    )
    if request.method == "POST" and form.is_valid():
        header = form.cleaned_data["auth_header"].strip()
        changes = {"auth_header": "" if header == "-" else header} if header else {}
        try:
            services.update_backend(actor=request.user, backend=backend, **form.backend_fields(), **changes)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, f"Model backend “{form.cleaned_data['name']}” saved.")
            return redirect("assist:team_backends", backend.team_id)
    context = {"team": backend.team, "backend": backend, "form": form}
    return render(request, "assist/backend_edit.html", context, status=400 if form.errors else 200)


# --- pre-label jobs from the set page ----------------------------------------------------------------


@login_required
@require_POST
def start_prelabel(request, set_id):
    image_set = get_object_or_404(ImageSet, pk=set_id)
    if "read" not in imageset_permissions(request.user, image_set):
        raise Http404("No such image set.")
    backend = ModelBackend.objects.filter(pk=parse_id(request.POST.get("backend")), team_id=image_set.team_id).first()
    if backend is None or "use" not in backend_permissions(request.user, backend):
        messages.error(request, "Choose one of the team's model backends.")
    else:
        try:
            job, created = services.start_prelabel(actor=request.user, backend=backend, image_set=image_set)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if created:
                messages.success(request, f"“{backend.name}” is labelling the set; the progress shows below.")
            else:
                messages.info(request, f"“{backend.name}” is labelling this set already.")
    return redirect(f"{image_set.get_absolute_url()}#prelabel-panel")


@login_required
@require_POST
def cancel_prelabel(request, job_id):
    job = get_object_or_404(PrelabelJob.objects.select_related("backend__team", "image_set"), pk=job_id)
    if "read" not in backend_permissions(request.user, job.backend):
        raise Http404("No such job.")
    services.cancel_prelabel(actor=request.user, job=job)
    messages.info(request, "The job stops after the batch it is on.")
    return redirect(f"{job.image_set.get_absolute_url()}#prelabel-panel")
