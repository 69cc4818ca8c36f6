"""Registering model backends and starting or cancelling pre-label jobs (each one transaction).
The jobs themselves run in the worker: ``assist.jobs``."""

from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from annotations.models import AnnotationType
from images.permissions import imageset_permissions
from users.permissions import team_permissions
from webhooks import events as webhook_events

from . import client, results
from .models import JobState, ModelBackend, PrelabelJob
from .permissions import backend_permissions

UNSET = object()
MAX_LABELS = 200


def _require(actor, backend, permission, message):
    if permission not in backend_permissions(actor, backend):
        raise PermissionDenied(message)


def _clean_name(team, name, exclude_pk=None):
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise ValidationError({"name": "Give a name of 1 to 100 characters."})
    taken = ModelBackend.objects.filter(team=team, name__iexact=name).exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"name": f"The team has a model backend named “{name}” already."})
    return name


def _clean_url(url):
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"url": "Give the backend's address starting with http:// or https://."})
    if parts.username or parts.password:
        raise ValidationError({"url": "Put credentials in the auth header, not in the address."})
    if len(url) > 500:
        raise ValidationError({"url": "The address is longer than 500 characters."})
    return url.rstrip("/")


def _clean_auth_header(value):
    value = (value or "").strip()
    if len(value) > 1000 or any(char in value for char in "\r\n\x00"):
        raise ValidationError(
            {"auth_header": "Give one header value (e.g. “Bearer <token>”) of at most 1000 characters."}
        )
    return value


def types_usable_by(team):
    """The active types a team's backend may label with: the team's own and the site's."""
    return AnnotationType.objects.filter(Q(team=team) | Q(team__isnull=True), active=True)


def _clean_label_map(team, label_map):
    if not isinstance(label_map, dict) or not label_map:
        raise ValidationError({"label_map": 'Map at least one of the backend\'s labels to a type: {"label": type id}.'})
    if len(label_map) > MAX_LABELS:
        raise ValidationError({"label_map": f"Map at most {MAX_LABELS} labels."})
    usable = {annotation_type.pk: annotation_type for annotation_type in types_usable_by(team)}
    cleaned = {}
    for label, type_id in label_map.items():
        if not isinstance(label, str) or not 1 <= len(label.strip()) <= 100:
            raise ValidationError({"label_map": "Label names are texts of 1 to 100 characters."})
        if isinstance(type_id, bool) or not isinstance(type_id, int) or type_id not in usable:
            raise ValidationError(
                {"label_map": f"“{label.strip()}” maps to {type_id!r}: no active type of this team or the site."}
            )
        if results.KIND_OF_TYPE.get(usable[type_id].vector_type) is None:
            raise ValidationError(
                {
                    "label_map": f"“{usable[type_id].name}” is a {usable[type_id].get_vector_type_display()} type, "
                    "which model backends cannot fill (boxes, polygons, points and tags can)."
                }
            )
        cleaned[label.strip()] = type_id
    return cleaned


@transaction.atomic
def register_backend(*, actor, team, name, url, label_map, auth_header="", interactive=False):
    """Register a model backend for ``team`` (its admins only)."""
    if "user_management" not in team_permissions(actor, team):
        raise PermissionDenied("Only the team's admins may register model backends.")
    return ModelBackend.objects.create(
        team=team,
        name=_clean_name(team, name),
        url=_clean_url(url),
        auth_header=_clean_auth_header(auth_header),
        label_map=_clean_label_map(team, label_map),
        interactive=bool(interactive),
        created_by=actor,
    )


@transaction.atomic
def update_backend(*, actor, backend, name=UNSET, url=UNSET, label_map=UNSET, auth_header=UNSET, interactive=UNSET):
    """Change a backend (admins). ``auth_header`` left out keeps it; an empty one removes it."""
    backend = ModelBackend.objects.select_for_update().select_related("team").get(pk=backend.pk)
    _require(actor, backend, "manage", "Only the team's admins may change its model backends.")
    if name is not UNSET:
        backend.name = _clean_name(backend.team, name, exclude_pk=backend.pk)
    if url is not UNSET:
        backend.url = _clean_url(url)
    if label_map is not UNSET:
        backend.label_map = _clean_label_map(backend.team, label_map)
    if auth_header is not UNSET:
        backend.auth_header = _clean_auth_header(auth_header)
    if interactive is not UNSET:
        backend.interactive = bool(interactive)
    backend.save()
    return backend


@transaction.atomic
def delete_backend(*, actor, backend):
    _require(actor, backend, "manage", "Only the team's admins may delete its model backends.")
    backend.delete()


def mapped_types(backend):
    """``{backend label: AnnotationType}`` of the backend's map, for the types still usable."""
    usable = {annotation_type.pk: annotation_type for annotation_type in types_usable_by(backend.team)}
    return {label: usable[type_id] for label, type_id in backend.label_map.items() if type_id in usable}


def check_backend(*, actor, backend):
    """Ask the backend for ``/health`` and ``/setup`` (admins); records and returns ``(ok, status)``.
    Not one transaction: the calls may take the whole timeout, no row is held meanwhile."""
    _require(actor, backend, "manage", "Only the team's admins may check its model backends.")
    try:
        client.health(backend)
        version = client.setup(backend, results.label_config(mapped_types(backend)))
    except client.BackendError as error:
        ok, status, version = False, str(error)[:500], None
    else:
        ok, status = True, "UP" + (f", model version {version}" if version else "")
    fields = {"last_checked": timezone.now(), "last_status": status}
    if version is not None:
        fields["model_version"] = version
    ModelBackend.objects.filter(pk=backend.pk).update(**fields)
    return ok, status


@transaction.atomic
def start_prelabel(*, actor, backend, image_set):
    """Queue a pre-label job of ``image_set`` with ``backend``: needs ``use`` on the backend and
    ``annotate`` on the set, which must be one of the backend's team. One active job per backend
    and set: starting again while one runs returns that one."""
    _require(actor, backend, "use", "Only the team's members may use its model backends.")
    if "annotate" not in imageset_permissions(actor, image_set):
        raise PermissionDenied("You may not add annotations to this image set.")
    if image_set.team_id != backend.team_id:
        raise ValidationError({"image_set": "A team's model backend labels that team's image sets only."})
    if not mapped_types(backend):
        raise ValidationError({"backend": "None of the backend's labels maps to an active type; change its label map."})
    active = PrelabelJob.objects.select_for_update().filter(
        backend=backend, image_set=image_set, state__in=[JobState.QUEUED, JobState.RUNNING]
    )
    running = active.first()
    if running is not None:
        return running, False
    job = PrelabelJob.objects.create(
        backend=backend,
        image_set=image_set,
        created_by=actor,
        images_total=image_set.image_count,
        heartbeat=timezone.now(),
    )
    from .jobs import run_prelabel_job  # the task module imports this one

    transaction.on_commit(lambda: run_prelabel_job.enqueue(job.pk))
    return job, True


@transaction.atomic
def cancel_prelabel(*, actor, job):
    """Stop a job (``use`` on its backend): a queued one at once, a running one after its batch."""
    job = PrelabelJob.objects.select_for_update().select_related("backend__team").get(pk=job.pk)
    _require(actor, job.backend, "use", "Only the team's members may cancel its pre-label jobs.")
    ended = job.state == JobState.QUEUED
    if ended:
        job.state, job.finished = JobState.CANCELLED, timezone.now()
    elif job.state == JobState.RUNNING:
        job.cancel_requested = True
    job.save(update_fields=["state", "finished", "cancel_requested"])
    if ended:
        webhook_events.prelabel_job_finished(job)
    return job
