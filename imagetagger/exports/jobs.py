"""Making exports: the ``create_export`` service and the background job that writes the file.

An export is a row (``Export``) plus a file in the default storage under
``exports/<set path>/<export id>-<file name>``. Small exports (at most ``IT_EXPORT_INLINE_LIMIT``
selected annotations) are written within the request, so they are ready at once; larger ones are
queued as a django-tasks task that ``manage.py runzipdaemon`` runs. The job streams the output to a
temporary file (never the whole text in memory or in a database column), then saves it into the
storage, and records the file, its size, the number of annotations written and the report of what
could not be represented. It claims the row with a conditional UPDATE (queued → running), so two
workers never write one export.
"""

import logging
import mimetypes
import os
import tempfile
import time
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django_tasks import task

from base import background
from images.permissions import imageset_permissions
from webhooks import events as webhook_events

from . import leftout
from . import standard as standard_formats
from . import template as templates
from .models import Export, ExportState, StandardFormat
from .selectors import formats_usable_by

logger = logging.getLogger(__name__)

# Progress is written at most this often (annotations, seconds).
PROGRESS_EVERY = 500
PROGRESS_SECONDS = 0.5
# A writer reports at least this often; an export silent for STALE_AFTER is taken as abandoned.
HEARTBEAT_SECONDS = 30
STALE_AFTER = timedelta(minutes=5)
ERROR_MAX_LENGTH = 2000


class ExportError(Exception):
    """A failure whose message is meant for the user."""


def create_export(*, actor, image_set, export_format=None, standard=None, options=None):
    """Create an export of ``image_set`` with a team's template ``export_format`` or a ``standard`` one.

    Needs ``create_export`` on the set; a template format must be public or one of the actor's teams'.
    Small exports are written at once (the returned row is done or failed), larger ones queued.
    """
    if "create_export" not in imageset_permissions(actor, image_set):
        raise PermissionDenied("You may not export this image set.")
    if (export_format is None) == (not standard):
        raise ValidationError("Choose either an export format or a standard format.")
    if export_format is not None:
        if options:
            raise ValidationError({"options": "Template formats take no options."})
        if not formats_usable_by(actor).filter(pk=export_format.pk).exists():
            raise PermissionDenied("You may not use this export format.")
        options = {}
        fields = {
            "format": export_format,
            "format_name": str(export_format),
            "format_changed": export_format.last_change_time,
        }
    else:
        if standard not in StandardFormat.values:
            raise ValidationError(
                {"standard": f"Unknown standard format; choose one of {', '.join(StandardFormat.values)}."}
            )
        options = standard_formats.clean_options(standard, options, image_set)
        fields = {"standard": standard, "format_name": StandardFormat(standard).label}
    export = Export.objects.create(image_set=image_set, user=actor, options=options, **fields)
    # Exports with the images copy every image file: always in the background.
    if not options.get("images") and selected_count(export) <= settings.EXPORT_INLINE_LIMIT:
        run(export.pk)
    else:
        Export.objects.filter(pk=export.pk).update(heartbeat=timezone.now())
        transaction.on_commit(lambda: run_export.enqueue(export.pk))
    export.refresh_from_db()
    return export


def requeue_stale():
    """Queue again the exports whose worker died (``base.background.requeue_silent``); called by the
    worker's sweeper. Returns how many were queued again."""
    return background.requeue_silent(
        Export, stale_after=STALE_AFTER, enqueue=run_export.enqueue, what="Export", reset={"progress": 0}
    )


def selected_count(export):
    """How many annotations the export will (at most) write."""
    if export.standard:
        return standard_formats.count_selected(export.image_set_id, export.options)
    return templates.count_selected(export.format, export.image_set)


# --- the job -------------------------------------------------------------------------------------------------


@task()
def run_export(export_id):
    """The background task: write one export (see ``run``)."""
    return run(export_id)


def claim(export_id):
    return bool(
        Export.objects.filter(pk=export_id, state=ExportState.QUEUED).update(
            state=ExportState.RUNNING, progress=0, heartbeat=timezone.now()
        )
    )


def run(export_id):
    """Write the export ``export_id`` if it is still queued; a summary dict for the task result."""
    if not claim(export_id):
        return {"export": export_id, "result": "not queued"}
    export = Export.objects.select_related("image_set", "image_set__team", "format").get(pk=export_id)
    started = time.monotonic()
    try:
        _write(export)
    except Exception as error:
        if isinstance(error, (ExportError, ValidationError)):
            message = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            logger.warning("Export %s failed: %s", export_id, message)
        else:
            message = f"Unexpected error while writing the export ({type(error).__name__}: {error})."
            logger.exception("Export %s failed", export_id)
        with transaction.atomic():
            Export.objects.filter(pk=export_id).update(
                state=ExportState.FAILED, error=message[:ERROR_MAX_LENGTH], finished=timezone.now()
            )
            _finished(export_id)
        return {"export": export_id, "result": "failed"}
    logger.info("Export %s written in %.2f s", export_id, time.monotonic() - started)
    return {"export": export_id, "result": "done"}


def _finished(export_id):
    """``export.finished`` for the team's webhooks (inside the transaction that ended the export)."""
    export = Export.objects.select_related("image_set").filter(pk=export_id).first()
    if export is not None:
        webhook_events.export_finished(export)


class _Progress:
    """Writes ``progress`` (percent) now and then: every few hundred annotations and half second at most."""

    def __init__(self, export_id, total):
        self.export_id = export_id
        self.total = max(total, 1)
        self.last_done = 0
        self.last_time = time.monotonic()
        self.last_beat = self.last_time
        self.last_percent = 0

    def __call__(self, done):
        if done - self.last_done < PROGRESS_EVERY:
            return
        now = time.monotonic()
        if now - self.last_time < PROGRESS_SECONDS:
            return
        percent = min(99, done * 100 // self.total)
        self.last_done, self.last_time = done, now
        if percent != self.last_percent or now - self.last_beat >= HEARTBEAT_SECONDS:
            self.last_percent, self.last_beat = percent, now
            Export.objects.filter(pk=self.export_id, state=ExportState.RUNNING).update(
                progress=percent, heartbeat=timezone.now()
            )


def _write(export):
    image_set = export.image_set
    progress = _Progress(export.pk, selected_count(export) if export.standard else 1)
    os.makedirs(settings.TMP_FS_URL, exist_ok=True)
    with tempfile.TemporaryFile(dir=settings.TMP_FS_URL, prefix="export-") as out:
        if export.standard:
            report = standard_formats.write(export.standard, image_set, out, export.options, progress)
            count = report["annotations"]
            extension = standard_formats.extension(export.standard, export.options)
            filename = f"{image_set.name.replace('/', '_')}_{export.standard}.{extension}"
        else:
            if export.format is None:
                raise ExportError("The export format was deleted.")
            written = {}
            chunks, stats = templates.render_export(export.format, image_set, written=written)
            progress.total = max(selected_count(export), 1)
            for chunk in chunks:
                out.write(chunk.encode())
                progress(stats["annotations"])
            count = stats["annotations"]
            report = _template_report(export, count, written)
            filename = render_name(export)
        size = out.tell()
        out.seek(0)
        name = storage_name(export, filename)
        saved = default_storage.save(name, File(out, name=os.path.basename(name)))
    with transaction.atomic():
        updated = Export.objects.filter(pk=export.pk, state=ExportState.RUNNING).update(
            state=ExportState.DONE,
            progress=100,
            file=saved,
            filename=filename,
            size=size,
            annotation_count=count,
            report=report,
            error="",
            finished=timezone.now(),
        )
        if updated:
            _finished(export.pk)
    if not updated:
        # Deleted (with its set) while we wrote: drop the file.
        default_storage.delete(saved)


def _template_report(export, count, written):
    """Template formats write every selected annotation as the template says: nothing is converted;
    the report counts them per type (``written``: counted while rendering, by type name; empty, as
    ``count`` is 0, for an old base format without ``%%content``, which writes no annotations)."""
    return {
        "format": export.format_name,
        "annotations": count,
        "written": dict(sorted(written.items())),
        "converted": [],
        "skipped": [],
        "left_out": [],
        "filtered": leftout.for_template(export.format, export.image_set),
    }


def storage_name(export, filename):
    folder = export.image_set.path or str(export.image_set_id)
    safe = get_valid_filename(filename)[:150] or "export"
    return f"exports/{folder}/{export.pk}-{safe}"


def render_name(export):
    """The file name of a template export from its ``name_format`` (the template engine's tokeniser:
    data is never re-substituted), made safe to be one file name."""
    name = templates.render_filename(export.format, export.image_set, export.pk)
    return name.replace("/", "_").replace("\\", "_").strip() or f"export_{export.pk}.txt"


def content_type(export):
    """The download's content type: from the file name (text files as UTF-8)."""
    guessed, _ = mimetypes.guess_type(export.filename)
    if guessed is None:
        return "application/octet-stream" if "." in export.filename else "text/plain; charset=utf-8"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed
