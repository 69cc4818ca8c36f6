"""Zip archives of image sets, built in the background by ``manage.py runzipdaemon``.

How a set's archive stays correct while several workers run at once:

- ``ImageSet.content_version`` grows with every change of the set's images (``services.content_changed``);
  the archive in ``zip_file`` holds the images of ``zip_built_version``. The archive is *stale* when the
  two differ (or when it is missing although the set has images).
- A build first claims a *lease* on the set with one conditional UPDATE (only when the archive is stale,
  nobody holds a live lease and the back-off after a failure has passed). Two workers therefore never
  build one set at once. The lease is renewed while the build runs; a crashed worker's lease simply
  expires and the sweeper of ``runzipdaemon`` enqueues the set again.
- The builder reads ``content_version`` *before* it lists the images, streams every image (stored, no
  recompression) into a new archive under a new unique name, and swaps it in with a second conditional
  UPDATE (only while it still holds the lease). Readers only ever see a complete archive of the version
  recorded with it; the previous file is deleted once the swap is committed.
- When the content changed during the build, the swapped-in archive is already stale and the builder
  claims the set again and rebuilds, so a change during a build is never lost.
- A failing build records ``zip_error`` (shown to the set's admins), counts ``zip_failures``, waits an
  exponential back-off (``zip_retry_at``) and schedules its own retry.
"""

import contextlib
import logging
import os
import secrets
import shutil
import socket
import tempfile
import threading
import time
import zipfile
from datetime import timedelta
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from base.storage import delete_quietly, is_object_storage, list_prefix, open_stream

from .models import Image, ImageSet

logger = logging.getLogger(__name__)

# A content change asks for a build this much later, so that a burst of uploads gives one build.
SCHEDULE_DELAY = timedelta(seconds=2)
# Back-off after the n-th consecutive failure: 10 s · 2^(n-1), at most one hour.
RETRY_BASE_SECONDS = 10
RETRY_MAX_SECONDS = 3600
# One task rebuilds a set at most this often in a row (the content kept changing); then it hands over
# to a fresh task so that one busy set cannot occupy a worker for ever.
MAX_ROUNDS = 5
COPY_CHUNK = 1024 * 1024
ZIP_ERROR_MAX_LENGTH = 2000


class LeaseLost(Exception):
    """Another worker took the set over (our lease expired), or the set was deleted."""


class BuildError(Exception):
    """A build failure whose message is meant for the set's admins."""


def lease_duration():
    return timedelta(seconds=settings.ZIP_LEASE_SECONDS)


def retry_delay(failures):
    """Seconds to wait after the ``failures``-th consecutive failure (1, 2, …)."""
    return min(RETRY_BASE_SECONDS * 2 ** max(failures - 1, 0), RETRY_MAX_SECONDS)


# --- state queries ---------------------------------------------------------------------------------


def stale_q():
    """Sets whose archive does not match their content."""
    has_images = Exists(Image.objects.filter(image_set_id=OuterRef("pk")))
    return (
        Q(zip_built_version__isnull=True)
        | ~Q(zip_built_version=F("content_version"))
        | (Q(zip_file="") & has_images)
        | (~Q(zip_file="") & ~has_images)
    )


def free_q(now):
    """Sets nobody is building (no live lease) whose back-off, if any, has passed."""
    return (Q(zip_lease_until__isnull=True) | Q(zip_lease_until__lte=now)) & (
        Q(zip_retry_at__isnull=True) | Q(zip_retry_at__lte=now)
    )


def is_ready(image_set):
    """The archive in ``zip_file`` holds exactly the set's current images."""
    return bool(image_set.zip_file) and image_set.zip_built_version == image_set.content_version


def forget_missing_archive(image_set):
    """The recorded archive is gone from the storage: mark the set stale so that it is rebuilt."""
    ImageSet.objects.filter(pk=image_set.pk, zip_file=image_set.zip_file).update(zip_built_version=None)
    image_set.zip_built_version = None
    logger.warning(
        "The zip of image set %s (%s) is missing from the storage; rebuilding it", image_set.pk, image_set.zip_file
    )


def lease_is_live(image_set, now=None):
    return bool(image_set.zip_lease_until and image_set.zip_lease_until > (now or timezone.now()))


def archive_status(image_set, *, has_images, show_error):
    """What the set page shows about the archive: the JSON of ``zip_status`` (and the panel's state)."""
    now = timezone.now()
    if not has_images:
        state = "empty"
    elif is_ready(image_set):
        state = "ready"
    elif image_set.zip_error and not lease_is_live(image_set, now):
        state = "failed"
    else:
        state = "processing"
    status = {
        "state": state,
        "size": image_set.zip_size if state == "ready" else None,
        "download_url": reverse("images:download_imageset", args=[image_set.pk]),
    }
    if state == "failed" and image_set.zip_retry_at:
        status["retry_at"] = image_set.zip_retry_at.isoformat()
    if show_error:
        status["error"] = image_set.zip_error or None
    return status


# --- scheduling --------------------------------------------------------------------------------------


def _pending_build_sets(image_set_ids=None, *, within=SCHEDULE_DELAY):
    """Ids of sets for which a build task is queued and will start within ``within``."""
    from django_tasks_db.models import DBTaskResult, get_date_max

    pending = DBTaskResult.objects.filter(status="READY", task_path=build_zip.module_path).filter(
        Q(run_after__lte=timezone.now() + within) | Q(run_after=get_date_max())
    )
    if image_set_ids is not None:
        pending = pending.filter(args_kwargs__args__0__in=list(image_set_ids))
    ids = set()
    for args_kwargs in pending.values_list("args_kwargs", flat=True):
        args = (args_kwargs or {}).get("args") or []
        if args:
            ids.add(args[0])
    return ids


def _enqueue(image_set_id, *, run_after=None):
    task_ = build_zip.using(run_after=run_after) if run_after else build_zip
    task_.enqueue(image_set_id)


def schedule_build(image_set_id):
    """Ask the background worker to (re)build the archive of a set. Called after commit.

    A content change cancels the back-off of an earlier failure (the change may well have fixed it).
    A build that is already queued covers the change: it reads the content when it starts.
    """
    if not settings.ENABLE_ZIP_DOWNLOAD:
        return
    ImageSet.objects.filter(pk=image_set_id, zip_retry_at__isnull=False).update(zip_retry_at=None)
    if image_set_id not in _pending_build_sets([image_set_id]):
        _enqueue(image_set_id, run_after=timezone.now() + SCHEDULE_DELAY)


def request_build(image_set):
    """Make sure a build of a stale set is under way or queued (for downloads and status polls)."""
    if not settings.ENABLE_ZIP_DOWNLOAD:
        return False
    now = timezone.now()
    due = ImageSet.objects.filter(pk=image_set.pk).filter(stale_q()).filter(free_q(now)).exists()
    if due and image_set.pk not in _pending_build_sets([image_set.pk]):
        _enqueue(image_set.pk)
        return True
    return False


def sweep():
    """Enqueue a build for every stale set nobody is building and no queued task covers.

    Run every few seconds by ``runzipdaemon``: it picks up sets whose builder crashed (their lease
    expired), whose retry task got lost, or whose change was never enqueued. Returns the set ids.
    """
    now = timezone.now()
    due = list(ImageSet.objects.filter(stale_q()).filter(free_q(now)).order_by("pk").values_list("pk", flat=True))
    if not due:
        return []
    pending = _pending_build_sets(due)
    enqueued = [pk for pk in due if pk not in pending]
    for pk in enqueued:
        _enqueue(pk)
    if enqueued:
        logger.info("Zip sweeper queued builds for image sets %s", ", ".join(map(str, enqueued)))
    return enqueued


# --- the build ---------------------------------------------------------------------------------------


def new_owner():
    """A lease owner token: which host and process holds the lease, plus a random part."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(6)}"


def claim(image_set_id, owner):
    """Take the build lease of a set if it needs a build and nobody holds it. True on success.

    One conditional UPDATE: PostgreSQL re-checks its condition on the row it locked, SQLite runs one
    writer at a time, so of two workers claiming at once exactly one succeeds.
    """
    now = timezone.now()
    return bool(
        ImageSet.objects.filter(pk=image_set_id)
        .filter(stale_q())
        .filter(free_q(now))
        .update(zip_lease_owner=owner, zip_lease_until=now + lease_duration())
    )


def renew(image_set_id, owner):
    """Extend our lease; raise ``LeaseLost`` when it is no longer ours."""
    renewed = ImageSet.objects.filter(pk=image_set_id, zip_lease_owner=owner).update(
        zip_lease_until=timezone.now() + lease_duration()
    )
    if not renewed:
        raise LeaseLost(image_set_id)


def swap(image_set_id, owner, *, name, version, size, previous):
    """Make ``name`` the set's archive of ``version`` if we still hold the lease, releasing it."""
    swapped = ImageSet.objects.filter(pk=image_set_id, zip_lease_owner=owner).update(
        zip_file=name,
        zip_built_version=version,
        zip_size=size,
        zip_lease_owner="",
        zip_lease_until=None,
        zip_failures=0,
        zip_retry_at=None,
        zip_error="",
    )
    if swapped and previous and previous != name:
        transaction.on_commit(lambda: retire(previous))
    return bool(swapped)


# A superseded archive in a bucket stays this much longer than the signed URLs handed out for it.
RETIRE_MARGIN = timedelta(seconds=60)


def retire(name):
    """Delete a superseded archive: from a folder at once (open downloads keep reading it); from a
    bucket once the signed URLs given out for it have expired, so that a running or resumed download
    (the same URL with a Range header) still finds it."""
    if not is_object_storage():
        delete_quietly([name])
        return
    delay = timedelta(seconds=settings.S3_URL_EXPIRY_SECONDS) + RETIRE_MARGIN
    delete_archive.using(run_after=timezone.now() + delay).enqueue(name)


@task()
def delete_archive(name):
    """The background task of ``retire``."""
    delete_quietly([name])
    return {"deleted": name}


def _retiring():
    """Names of archives whose deletion is queued (``retire``)."""
    from django_tasks_db.models import DBTaskResult

    pending = DBTaskResult.objects.filter(status="READY", task_path=delete_archive.module_path)
    return {((stored or {}).get("args") or [None])[0] for stored in pending.values_list("args_kwargs", flat=True)}


def record_failure(image_set_id, owner, message, failures):
    """Store the error, back off and release the lease. Returns when to retry (or None: lost)."""
    retry_at = timezone.now() + timedelta(seconds=retry_delay(failures))
    recorded = ImageSet.objects.filter(pk=image_set_id, zip_lease_owner=owner).update(
        zip_error=message[:ZIP_ERROR_MAX_LENGTH],
        zip_failures=failures,
        zip_retry_at=retry_at,
        zip_lease_owner="",
        zip_lease_until=None,
    )
    return retry_at if recorded else None


def release(image_set_id, owner):
    ImageSet.objects.filter(pk=image_set_id, zip_lease_owner=owner).update(zip_lease_owner="", zip_lease_until=None)


@task()
def build_zip(image_set_id):
    """The background task: bring the archive of one set up to date (see the module docstring)."""
    return build(image_set_id)


def build(image_set_id, *, owner=None):
    """Build the set's archive until it matches the content; a summary dict for the task result."""
    owner = owner or new_owner()
    summary = {"image_set": image_set_id, "builds": 0, "result": "up to date"}
    for _ in range(MAX_ROUNDS):
        if not claim(image_set_id, owner):
            return summary
        try:
            _build_once(image_set_id, owner)
        except LeaseLost:
            logger.warning(
                "Zip build of image set %s stopped: another worker took it over or the set was deleted", image_set_id
            )
            summary["result"] = "taken over"
            return summary
        except Exception as error:
            _fail(image_set_id, owner, error)
            summary["result"] = "failed"
            return summary
        except BaseException:
            # The worker is being stopped: let another one start at once instead of after the lease.
            release(image_set_id, owner)
            raise
        summary["builds"] += 1
        summary["result"] = "built"
    # The content kept changing: let a fresh task (and maybe another worker) go on.
    _enqueue(image_set_id)
    summary["result"] = "handed over"
    return summary


def _fail(image_set_id, owner, error):
    if isinstance(error, BuildError):
        message = str(error)
        logger.warning("Zip build of image set %s failed: %s", image_set_id, message)
    else:
        message = f"Unexpected error while building the archive ({type(error).__name__}: {error})."
        logger.exception("Zip build of image set %s failed", image_set_id)
    failures = (ImageSet.objects.filter(pk=image_set_id).values_list("zip_failures", flat=True).first() or 0) + 1
    retry_at = record_failure(image_set_id, owner, message, failures)
    if retry_at is not None:
        _enqueue(image_set_id, run_after=retry_at)


def _build_once(image_set_id, owner):
    # The version first, then the images: a change committed in between makes the archive look
    # older than it is (one needless rebuild), never newer (a lost change).
    row = (
        ImageSet.objects.filter(pk=image_set_id, zip_lease_owner=owner)
        .values("content_version", "path", "zip_file")
        .first()
    )
    if row is None:
        raise LeaseLost(image_set_id)
    version = row["content_version"]
    images = sorted(
        Image.objects.filter(image_set_id=image_set_id).values_list("pk", "name", "filename", "time", "file_size"),
        key=lambda image: (image[1], image[0]),
    )
    started = time.monotonic()
    logger.info(
        "Building the zip of image set %s (version %s, %s images) as %s", image_set_id, version, len(images), owner
    )
    if not images:
        name, size = "", 0
    else:
        folder = f"{settings.IMAGE_PATH}/{row['path'] or image_set_id}"
        name = f"{folder}/imageset_{image_set_id}-{secrets.token_hex(8)}.zip"
        renewer = _Renewer(image_set_id, owner)
        size = _write_to_storage(name, lambda out: write_archive(out, folder, images, renewer), renewer)
    logger.info(
        "Wrote the zip of image set %s (version %s): %s entries, %s bytes in %.2f s as %s",
        image_set_id,
        version,
        len(images),
        size,
        time.monotonic() - started,
        owner,
    )
    if not swap(image_set_id, owner, name=name, version=version, size=size, previous=row["zip_file"]):
        if name:
            delete_quietly([name])
        raise LeaseLost(image_set_id)
    logger.info("The zip of image set %s is ready (version %s)", image_set_id, version)
    if name:
        _remove_leftovers(name)


class _Renewer:
    """Renews the lease now and then from the building thread (cheap to call per entry)."""

    def __init__(self, image_set_id, owner):
        self.image_set_id = image_set_id
        self.owner = owner
        self.every = max(settings.ZIP_LEASE_SECONDS / 4, 0.5)
        self.last = time.monotonic()

    def __call__(self, force=False):
        if force or time.monotonic() - self.last >= self.every:
            renew(self.image_set_id, self.owner)
            self.last = time.monotonic()


class _KeepAlive:
    """Renews the lease from a helper thread during one long blocking call (an upload to storage)."""

    def __init__(self, renewer):
        self.renewer = renewer
        self.stop = threading.Event()
        self.lost = False
        self.thread = threading.Thread(target=self._run, name="zip-lease", daemon=True)

    def _run(self):
        try:
            while not self.stop.wait(self.renewer.every):
                try:
                    self.renewer(force=True)
                except LeaseLost:
                    self.lost = True
                    return
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        if self.lost and exc[0] is None:
            raise LeaseLost(self.renewer.image_set_id)


def _local_path(name):
    """The file system path of ``name`` when the default storage is a local folder, else None."""
    if isinstance(default_storage, FileSystemStorage):
        return default_storage.path(name)
    return None


def _write_to_storage(name, write, renewer):
    """Create the storage file ``name`` with ``write(binary_file)``; return its size.

    Local storage: written next to its final place under a ``.part`` name and renamed, so the final
    name only ever holds a complete archive. Other storages: written to a temporary file in
    ``IT_TMP_FS_URL`` and then saved to the storage.
    """
    path = _local_path(name)
    if path is not None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        part = f"{path}.part"
        try:
            with open(part, "w+b") as out:
                write(out)
                out.flush()
                os.fsync(out.fileno())
                size = out.tell()
            if default_storage.file_permissions_mode is not None:
                os.chmod(part, default_storage.file_permissions_mode)
            os.replace(part, path)
            _fsync_folder(os.path.dirname(path))
        except BaseException:
            _unlink_quietly(part)
            raise
        return size
    os.makedirs(settings.TMP_FS_URL, exist_ok=True)
    with tempfile.TemporaryFile(dir=settings.TMP_FS_URL, prefix="imageset-", suffix=".zip") as out:
        write(out)
        size = out.tell()
        out.seek(0)
        renewer(force=True)
        with _KeepAlive(renewer):
            saved = default_storage.save(name, File(out, name=os.path.basename(name)))
    if saved != name:
        default_storage.delete(saved)
        raise BuildError("The storage refused the archive's name; please tell the site's operators.")
    return size


def _fsync_folder(folder):
    """Make the rename durable before the database points at the new name."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _unlink_quietly(path):
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def write_archive(out, folder, images, renew=None):
    """Write the images (``(pk, name, filename, time, file_size)`` rows) as a stored zip into ``out``.

    Entries are the images' names made unique (see ``entry_names``); ``renew()`` is called before
    each entry (it renews the build lease now and then).
    """
    names = entry_names([image[1] for image in images])
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for image, arcname in zip(images, names, strict=True):
            if renew is not None:
                renew()
            add_entry(archive, folder, image, arcname)


def add_entry(archive, folder, image, arcname):
    """Copy one image file from the storage into the archive (stored, streamed in chunks)."""
    pk, name, filename, created, file_size = image
    info = zipfile.ZipInfo(arcname, date_time=_zip_time(created))
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    info.file_size = file_size or 0
    try:
        source = open_stream(f"{folder}/{filename}")
    except FileNotFoundError:
        if not Image.objects.filter(pk=pk).exists():
            # Deleted during the build: its deletion made the archive stale, a rebuild follows.
            return
        raise BuildError(f"The file of the image “{name}” (id {pk}) is missing from the storage.") from None
    with source, archive.open(info, "w", force_zip64=(file_size or 0) > 2**31) as entry:
        shutil.copyfileobj(source, entry, COPY_CHUNK)


def _zip_time(moment):
    if moment is None:
        return (1980, 1, 1, 0, 0, 0)
    stamp = timezone.localtime(moment).timetuple()[:6] if timezone.is_aware(moment) else moment.timetuple()[:6]
    return max(stamp, (1980, 1, 1, 0, 0, 0))


def _clean_name(name):
    """A relative POSIX path without empty, ``.`` or ``..`` parts (names are made safe at upload)."""
    parts = [part.strip() for part in str(name).replace("\\", "/").split("/")]
    parts = [part for part in parts if part not in ("", ".", "..")]
    return "/".join(parts) or "image"


def entry_names(names):
    """Unique archive entry names for ``names`` (in this order), deterministically.

    Duplicates get a counter before the extension: "a.png", "a (2).png", "a (3).png"; names are
    compared case-insensitively so that the archive also unpacks on case-insensitive file systems.
    Folders are kept ("day1/cam0.png"). A name whose folder clashes with an earlier file name is
    flattened ("a/b.png" → "a_b.png") before the counter is applied.
    """
    files, folders, result = set(), set(), []

    def prefixes(key):
        parts = key.split("/")[:-1]
        return ["/".join(parts[: i + 1]) for i in range(len(parts))]

    for raw in names:
        name = _clean_name(raw)
        if any(prefix in files for prefix in prefixes(name.casefold())):
            name = name.replace("/", "_")
        path = PurePosixPath(name)
        leaf = path.name
        stem, dot, suffix = leaf.rpartition(".")
        if not stem:
            stem, dot, suffix = leaf, "", ""
        parent = "" if str(path.parent) == "." else f"{path.parent}/"
        candidate, counter = name, 1
        while candidate.casefold() in files or candidate.casefold() in folders:
            counter += 1
            candidate = f"{parent}{stem} ({counter}){dot}{suffix}"
        key = candidate.casefold()
        files.add(key)
        folders.update(prefixes(key))
        result.append(candidate)
    return result


def _remove_leftovers(current):
    """Delete archives of crashed or superseded builds of the same set (older than two leases)."""
    path = _local_path(current)
    if path is None:
        _remove_stored_leftovers(current)
        return
    folder, own = os.path.split(path)
    prefix = own.rsplit("-", 1)[0] + "-"
    limit = time.time() - 2 * settings.ZIP_LEASE_SECONDS
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.name == own or not entry.name.startswith(prefix):
            continue
        if not (entry.name.endswith(".zip") or entry.name.endswith(".zip.part")):
            continue
        try:
            if entry.stat().st_mtime < limit:
                os.unlink(entry.path)
                logger.info("Removed the left-over archive %s", entry.path)
        except OSError:
            pass


def _remove_stored_leftovers(current):
    """``_remove_leftovers`` for a bucket: the set's archives are found by their key prefix."""
    prefix = current.rsplit("-", 1)[0] + "-"
    limit = timezone.now() - timedelta(seconds=2 * settings.ZIP_LEASE_SECONDS)
    try:
        found = list_prefix(prefix)
    except Exception:
        logger.exception("Could not list the archives of %s", prefix)
        return
    retiring = _retiring() if found else set()
    for name, modified in found:
        if name != current and name not in retiring and name.endswith(".zip") and modified < limit:
            delete_quietly([name])
            logger.info("Removed the left-over archive %s", name)


# --- orphaned files (a sweep of the worker: base/background.py, registered in apps.py) -----------------


def sweep_orphans():
    """Remove stored image files whose upload died before their row was saved."""
    from .ingest import delete_orphan_files

    deleted = delete_orphan_files()
    if deleted:
        logger.info("Removed %d orphaned image files", len(deleted))
    return deleted
