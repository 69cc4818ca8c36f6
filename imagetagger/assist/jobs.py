"""Running pre-label jobs in the worker (``manage.py runzipdaemon``): a batch of images per
``/predict`` call, the labels saved through the annotation service (so the vector, similarity and
"not in image" rules hold for machine-made labels too), progress written after every batch.

- **Claim**: a conditional UPDATE (queued → running), so two workers never run one job.
- **Resume**: the last image done is kept (``after_name``/``after_id``); a job silent for
  ``STALE_AFTER`` is queued again by the sweeper and goes on from there.
- **Idempotent**: each label's uuid is made of (backend, model version, image, result number): an
  image labelled again (after a crash between its labels and the progress) replays, never doubles.
- **Failures are per image**: a backend error, a malformed answer, an unknown label, a shape outside
  the image is counted and reported for its images; the job goes on and finishes.
"""

import logging
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from annotations import services as annotation_services
from annotations.models import Origin
from base import background
from images.models import Image
from webhooks import events as webhook_events

from . import client, results
from .links import image_link
from .models import JobState, PrelabelJob
from .services import mapped_types

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=5)
LABEL_NAMESPACE = uuid.UUID("6f1d3c1e-5a53-4b8e-9a54-3b8f0d6c2a17")


def label_uuid(job, image_id, number):
    """The uuid of the ``number``-th result for ``image_id``: the same in every run of the same
    backend and model version, so a second run adds nothing."""
    return uuid.uuid5(LABEL_NAMESPACE, f"{job.backend_id}:{job.model_version}:{image_id}:{number}")


@task()
def run_prelabel_job(job_id):
    """The background task: run one pre-label job (see ``run``)."""
    return run(job_id)


def requeue_stale():
    """Queue again the jobs whose worker died (``base.background.requeue_silent``); they go on after
    the last image done. Called by the worker's sweeper."""
    return background.requeue_silent(
        PrelabelJob, stale_after=STALE_AFTER, enqueue=run_prelabel_job.enqueue, what="Pre-label job"
    )


def _claim(job_id):
    return bool(
        PrelabelJob.objects.filter(pk=job_id, state=JobState.QUEUED).update(
            state=JobState.RUNNING, heartbeat=timezone.now(), started=timezone.now()
        )
    )


def _finish(job_id, state, error=""):
    with transaction.atomic():
        PrelabelJob.objects.filter(pk=job_id).update(state=state, error=error[:2000], finished=timezone.now())
        job = PrelabelJob.objects.select_related("image_set").filter(pk=job_id).first()
        if job is not None:
            webhook_events.prelabel_job_finished(job)
    return {"job": job_id, "result": state}


def run(job_id):
    """Run the job ``job_id`` to its end if it is queued; a summary dict for the task result."""
    if not _claim(job_id):
        return {"job": job_id, "result": "not queued"}
    job = PrelabelJob.objects.select_related("backend__team", "image_set", "created_by").get(pk=job_id)
    if job.created_by is None:
        return _finish(job_id, JobState.FAILED, "The person who started the job no longer exists.")
    types_by_label = mapped_types(job.backend)
    config = results.label_config(types_by_label)
    if not job.model_version:
        try:
            job.model_version = client.setup(job.backend, config) or job.backend.model_version
        except client.BackendError as error:
            return _finish(job_id, JobState.FAILED, f"The backend could not be set up: {error}")
        PrelabelJob.objects.filter(pk=job_id).update(model_version=job.model_version)
    last_call = 0.0
    while True:
        state = PrelabelJob.objects.filter(pk=job_id).values_list("cancel_requested", flat=True).first()
        if state is None:  # deleted with its set or backend
            return {"job": job_id, "result": "gone"}
        if state:
            return _finish(job_id, JobState.CANCELLED)
        batch = _next_images(job)
        if not batch:
            return _finish(job_id, JobState.FINISHED)
        wait = settings.ASSIST_MIN_INTERVAL - (time.monotonic() - last_call)
        if wait > 0:
            time.sleep(wait)
        last_call = time.monotonic()
        _label_batch(job, batch, types_by_label, config)


def _next_images(job):
    images = Image.objects.filter(image_set_id=job.image_set_id).order_by("name", "id")
    if job.after_id is not None:
        images = images.filter(Q(name__gt=job.after_name) | Q(name=job.after_name, id__gt=job.after_id))
    return list(images.only("id", "name", "width", "height", "image_set_id")[: settings.ASSIST_BATCH_SIZE])


def _label_batch(job, batch, types_by_label, config):
    """One ``/predict`` call for ``batch`` and its labels; then the progress, in one UPDATE."""
    tasks = [{"id": image.pk, "data": {"image": image_link(image)}} for image in batch]
    made = refused = errors = 0
    report = []
    try:
        predictions = client.predict(job.backend, tasks, config)
    except client.BackendError as error:
        errors = len(batch)
        report = [{"image": image.name, "reason": f"backend error: {error}"} for image in batch]
    else:
        for image, prediction in zip(batch, predictions, strict=True):
            image_made, image_refused, reasons = _label_image(job, image, prediction, types_by_label)
            made, refused = made + image_made, refused + image_refused
            if prediction.get("error") or "_bad" in prediction:
                errors += 1
            report += [{"image": image.name, "reason": reason} for reason in reasons]
    last = batch[-1]
    job.after_name, job.after_id = last.name, last.pk
    room = max(0, PrelabelJob.REPORT_MAX - len(job.report))
    job.report = job.report + report[:room]
    PrelabelJob.objects.filter(pk=job.pk).update(
        images_done=F("images_done") + len(batch),
        labels_made=F("labels_made") + made,
        labels_refused=F("labels_refused") + refused,
        backend_errors=F("backend_errors") + errors,
        report=job.report,
        after_name=job.after_name,
        after_id=job.after_id,
        heartbeat=timezone.now(),
    )


def _label_image(job, image, prediction, types_by_label):
    """Save one image's proposals: ``(labels made, refused, [reasons])``. A replayed uuid (this
    image labelled by an earlier run of the same model) counts as neither."""
    made = refused = 0
    reasons = []
    model_name = job.label_model_name
    for number, found in enumerate(results.proposals(prediction, image, types_by_label)):
        if isinstance(found, results.Refusal):
            refused += 1
            reasons.append(found.reason)
            continue
        try:
            _annotation, created = annotation_services.create_annotation(
                actor=job.created_by,
                image=image.pk,
                annotation_type=found.type_id,
                vector=found.vector,
                uuid=label_uuid(job, image.pk, number),
                origin=Origin.MACHINE,
                model_name=model_name,
                confidence=found.confidence,
            )
        except annotation_services.AnnotationConflict as conflict:
            refused += 1
            reasons.append(conflict.message)
        except (ValidationError, PermissionDenied) as error:
            refused += 1
            reasons.append("; ".join(error.messages) if isinstance(error, ValidationError) else str(error))
        else:
            made += created
    return made, refused, reasons
