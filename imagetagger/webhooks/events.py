"""Emitting events: one small call from each service that changes state, inside its transaction.

``emit(team_id, event, object_key, data)`` writes a ``Delivery`` for every active webhook of the team
that subscribed to ``event``, in the caller's transaction (so a delivery exists exactly when its event
was committed), and queues the worker's task once that transaction commits. Events go to the team that
owns the image set they are about, never to another team. A team without an active webhook costs one
indexed query — or none: the annotation services read ``has_webhooks`` in the statement that locks
the image (``team_has_webhooks``) and pass it as ``known``.

Every body is ``{"id", "event", "created", "team", "data"}``; ``data`` per event is described in
``payloads`` (and in the OpenAPI schema through it). The helpers below build ``data`` from the
objects the services hold, without further queries.
"""

import json
import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from .models import Delivery, Event, Webhook


def has_webhooks(team_field):
    """An expression: whether the team in ``team_field`` (a field path of the outer query) has an
    active webhook. For lock statements that also read the team: the emit then needs no query."""
    return Exists(Webhook.objects.filter(team_id=OuterRef(team_field), active=True))


def body_text(event, team_id, data, now=None):
    """The JSON text a delivery sends."""
    body = {
        "id": str(uuid.uuid4()),
        "event": str(event),
        "created": (now or timezone.now()).isoformat(),
        "team": team_id,
        "data": data,
    }
    return json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def emit(team_id, event, object_key, data, *, known=None):
    """Queue ``event`` about ``object_key`` (``"annotation:12"``) for the webhooks of ``team_id``;
    ``data``: the event's data, or a function making it (called only when a webhook wants it).
    ``known`` False: the caller knows the team has no active webhook (nothing is read)."""
    if team_id is None or known is False:
        return 0
    subscribed = Webhook.objects.filter(team_id=team_id, active=True).values_list("pk", "events")
    hooks = [pk for pk, events in subscribed if event in events]
    if not hooks:
        return 0
    now = timezone.now()
    text = body_text(event, team_id, data() if callable(data) else data, now)
    Delivery.objects.bulk_create(
        [
            Delivery(webhook_id=pk, event=str(event), object_key=object_key, body=text, created=now, next_attempt=now)
            for pk in hooks
        ]
    )
    kick_after_commit()
    return len(hooks)


def _kick():
    from .delivery import send_deliveries

    send_deliveries.enqueue()


def kick_after_commit():
    """Queue the worker's task when the current transaction commits — once per transaction, however
    many events it made. Should queueing fail, the worker's sweep finds the deliveries anyway."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(callback is _kick for _, callback, _ in connection.run_on_commit):
        return
    transaction.on_commit(_kick, robust=True)


def api_url(path):
    """``path`` (``/api/v1/…``) on the site's public address (``IT_DOWNLOAD_BASE_URL``) when it is known."""
    return f"{(settings.DOWNLOAD_BASE_URL or '').rstrip('/')}{path}"


def _actor(user):
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return {"id": user.pk, "username": user.username}


# --- annotations ---------------------------------------------------------------------------------------


def annotation_ids(annotation, image):
    """An annotation named by its ids, as vote events describe it (``image``: its image)."""
    return {
        "id": annotation.pk,
        "uuid": annotation.uuid,
        "image": image.pk,
        "image_set": image.image_set_id,
        "annotation_type": annotation.annotation_type_id,
        "created_by": annotation.user_id,
    }


def annotation_data(annotation, image):
    """An annotation as events describe it (``image``: its image, with the image set loaded)."""
    return {
        **annotation_ids(annotation, image),
        "image_name": image.name,
        "annotation_type_name": annotation.annotation_type.name,
        "vector": annotation.vector,
        "concealed": annotation.concealed_flag,
        "blurred": annotation.blurred_flag,
        "attributes": annotation.attributes,
        "version": annotation.version,
        "origin": annotation.origin,
        "model_name": annotation.model_name,
        "confidence": annotation.confidence,
    }


def annotation_changed(event, annotation, image, actor, *, known=None):
    """``annotation.created``/``updated``/``deleted`` (for a delete: call it before the row goes)."""
    if known is False:
        return 0
    data = {"annotation": annotation_data(annotation, image), "actor": _actor(actor)}
    return emit(image.image_set.team_id, event, f"annotation:{annotation.pk}", data)


def annotation_voted(annotation, actor, state, *, known=None):
    """``annotation.voted``: ``state`` is the ``votes.VoteState`` after the vote (``vote`` None: withdrawn)."""
    if known is False:
        return 0
    data = {
        "annotation": annotation_ids(annotation, annotation.image),
        "vote": state.vote,
        "accepts": state.accepts,
        "rejects": state.rejects,
        "score": state.score,
        "actor": _actor(actor),
    }
    return emit(annotation.image.image_set.team_id, Event.ANNOTATION_VOTED, f"annotation:{annotation.pk}", data)


# --- image sets ----------------------------------------------------------------------------------------


def imageset_data(image_set):
    return {
        "id": image_set.pk,
        "name": image_set.name,
        "description": image_set.description,
        "location": image_set.location,
        "public": image_set.public,
        "public_collaboration": image_set.public_collaboration,
        "image_lock": image_set.image_lock,
        "priority": image_set.priority,
        "image_count": image_set.image_count,
    }


def imageset_changed(image_set, actor, changes, *, team_id=None, extra=None):
    """``imageset.changed``: ``changes`` names what changed (fields, ``annotation_types``, ``tags``,
    ``images_deleted``, ``created``, ``set_free``, ``deleted``); ``team_id``: the team to tell when the
    set has just left it; ``extra``: more keys of ``data``."""

    def data():
        if "images_deleted" in changes:
            image_set.refresh_from_db(fields=["image_count"])
        return {
            "image_set": imageset_data(image_set),
            "changes": sorted(changes),
            **(extra or {}),
            "actor": _actor(actor),
        }

    team_id = image_set.team_id if team_id is None else team_id
    return emit(team_id, Event.IMAGESET_CHANGED, f"imageset:{image_set.pk}", data)


# At most this many of the added images are listed by id and name (``count`` has them all).
IMAGES_LISTED = 1000


def images_added(image_set, actor, images):
    """``images.added``: ``images`` are ``(id, name)`` pairs of the images one upload added."""

    def data():
        image_set.refresh_from_db(fields=["image_count"])
        listed = [{"id": pk, "name": name} for pk, name in images[:IMAGES_LISTED]]
        return {"image_set": imageset_data(image_set), "count": len(images), "images": listed, "actor": _actor(actor)}

    return emit(image_set.team_id, Event.IMAGES_ADDED, f"imageset:{image_set.pk}", data)


# --- jobs ----------------------------------------------------------------------------------------------


def export_finished(export):
    """``export.finished``: ``export`` (read after it finished, with its image set) is done or failed."""

    def data():
        done = export.state == "done"
        return {
            "export": {
                "id": export.pk,
                "image_set": export.image_set_id,
                "format_name": export.format_name,
                "standard": export.standard,
                "state": export.state,
                "annotation_count": export.annotation_count,
                "size": export.size,
                "filename": export.filename,
                "error": export.error,
                "finished": export.finished,
                "url": api_url(f"/api/v1/exports/{export.pk}/"),
                "download_url": api_url(f"/api/v1/exports/{export.pk}/download/") if done else None,
            },
            "actor": _actor(export.user),
        }

    return emit(export.image_set.team_id, Event.EXPORT_FINISHED, f"export:{export.pk}", data)


def label_import_finished(label_import):
    """``label_import.finished``: ``label_import`` (with its image set) is done or failed."""

    def data():
        return {
            "label_import": {
                "id": label_import.pk,
                "image_set": label_import.image_set_id,
                "format": label_import.format,
                "filename": label_import.filename,
                "state": label_import.state,
                "records": label_import.records,
                "created": label_import.created,
                "duplicates": label_import.duplicates,
                "errors": label_import.errors,
                "error": label_import.error,
                "finished": label_import.finished,
                "url": api_url(f"/api/v1/label-imports/{label_import.pk}/"),
            },
            "actor": _actor(label_import.user),
        }

    key = f"label_import:{label_import.pk}"
    return emit(label_import.image_set.team_id, Event.LABEL_IMPORT_FINISHED, key, data)


def prelabel_job_finished(job):
    """``prelabel_job.finished``: ``job`` (read after it ended, with its image set) finished, failed or
    was cancelled."""

    def data():
        return {
            "prelabel_job": {
                "id": job.pk,
                "image_set": job.image_set_id,
                "backend": job.backend_id,
                "state": job.state,
                "model_version": job.model_version,
                "images_total": job.images_total,
                "images_done": job.images_done,
                "labels_made": job.labels_made,
                "labels_refused": job.labels_refused,
                "backend_errors": job.backend_errors,
                "error": job.error,
                "finished": job.finished,
                "url": api_url(f"/api/v1/prelabel-jobs/{job.pk}/"),
            },
            "actor": _actor(job.created_by),
        }

    return emit(job.image_set.team_id, Event.PRELABEL_JOB_FINISHED, f"prelabel_job:{job.pk}", data)
