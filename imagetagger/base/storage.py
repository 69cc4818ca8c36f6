"""Storage helpers shared by images, zips and exports: what differs between a local folder and a bucket.

With ``IT_STORAGE=s3`` the default storage is django-storages' ``S3Storage``. Then:

- downloads are answered, after the permission check, with a redirect (302) to a signed URL that is
  valid for ``IT_S3_URL_EXPIRY_SECONDS`` (``redirect_to``); the file never passes through the site;
- large files are read as a stream straight from the bucket (``open_stream``), never loaded whole;
- files are found by key prefix (``list_prefix``), one listing request per thousand keys.

With a local folder (the default) nothing changes: files are served by the site (or nginx).
"""

import logging
import posixpath
import threading

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage

logger = logging.getLogger(__name__)

_sessions = {}
# boto3 sessions are not thread-safe: sessions, and resources from them, are made one at a time.
_lock = threading.RLock()


class BucketStorage(S3Storage):
    """django-storages' S3 storage, with one boto3 session per process and credentials instead of one
    per storage object and thread: each new session loads the S3 service description again (about
    half a second)."""

    def get_default_settings(self):
        defaults = super().get_default_settings()
        from boto3.s3.transfer import TransferConfig

        # Large files (archives, exports) go up in parts of 8 MiB, four at a time: at most about
        # 32 MiB of a file is in memory while it is sent, whatever its size.
        config = TransferConfig(multipart_chunksize=8 * 1024 * 1024, max_concurrency=4)
        config.max_in_memory_upload_chunks = 4  # s3transfer's setting, not offered by boto3's constructor
        defaults["transfer_config"] = config
        return defaults

    def _create_session(self):
        key = (self.session_profile, self.access_key, self.secret_key, self.security_token)
        with _lock:
            if key not in _sessions:
                _sessions[key] = super()._create_session()
            return _sessions[key]

    @property
    def connection(self):
        if getattr(self._connections, "connection", None) is None:
            with _lock:
                return S3Storage.connection.fget(self)
        return self._connections.connection


def is_object_storage(storage=None):
    """True when ``storage`` (the default storage) is an S3-compatible bucket."""
    return isinstance(storage if storage is not None else default_storage, S3Storage)


def nginx_serves_files():
    """True when nginx sends stored files (``X-Accel-Redirect``): ``IT_USE_NGINX_IMAGE_PROVISION`` with a
    local folder; a bucket's files are never behind nginx."""
    return settings.USE_NGINX_IMAGE_PROVISION and not is_object_storage()


def signed_url(name, *, filename=None, as_attachment=False, content_type=None, method="GET", storage=None):
    """A short-lived signed URL of ``name`` for ``method`` (GET or HEAD); the bucket answers with this
    file name and type."""
    storage = storage if storage is not None else default_storage
    parameters = {}
    if filename is not None or as_attachment:
        parameters["ResponseContentDisposition"] = content_disposition_header(as_attachment, filename or "")
    if content_type:
        parameters["ResponseContentType"] = content_type
    return storage.url(
        name,
        parameters=parameters,
        expire=settings.S3_URL_EXPIRY_SECONDS,
        http_method="HEAD" if method == "HEAD" else None,
    )


def redirect_to(name, *, method="GET", filename=None, as_attachment=False, content_type=None, max_age=0):
    """302 to the signed URL of ``name``, signed for the request's ``method`` (GET, or HEAD).

    ``max_age``: seconds the browser may keep the redirect (at most half the URL's lifetime, so that a
    kept redirect never leads to an expired URL); 0 means it is never kept.
    """
    url = signed_url(name, filename=filename, as_attachment=as_attachment, content_type=content_type, method=method)
    response = HttpResponseRedirect(url)
    max_age = min(max_age, settings.S3_URL_EXPIRY_SECONDS // 2)
    response["Cache-Control"] = f"private, max-age={max_age}" if max_age > 0 else "private, no-store"
    return response


def download(name, *, filename, content_type, method="GET", size=None):
    """The stored file ``name`` as an attachment: from a bucket a redirect to its signed URL (for the
    request's ``method``), otherwise the file streamed by the site.

    ``FileNotFoundError`` when the file is missing (in a bucket checked first, so that the caller can
    answer instead of the bucket's 404). ``size``: the Content-Length when the storage does not give one.
    """
    if is_object_storage():
        if not default_storage.exists(name):
            raise FileNotFoundError(name)
        return redirect_to(name, method=method, filename=filename, as_attachment=True, content_type=content_type)
    response = FileResponse(
        default_storage.open(name, "rb"), as_attachment=True, filename=filename, content_type=content_type
    )
    if "Content-Length" not in response and size is not None:
        response["Content-Length"] = str(size)
    return response


def delete_quietly(names):
    """Delete these stored files; a failure (OSError locally, botocore's errors from a bucket) is logged."""
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:
            logger.exception("could not delete %s", name)


def delete_after_commit(names):
    """``delete_quietly`` once the current transaction is committed (nothing is deleted on a rollback)."""
    names = list(names)
    transaction.on_commit(lambda: delete_quietly(names))


def _key(storage, name):
    from storages.utils import clean_name

    return storage._normalize_name(clean_name(name))


def open_stream(name, storage=None):
    """A binary stream of ``name`` for reading it once from start to end (close it when done).

    From a bucket this is the body of one GET request, read as it arrives; ``storage.open`` would
    first copy the whole object. ``FileNotFoundError`` when there is no such file.
    """
    storage = storage if storage is not None else default_storage
    if not is_object_storage(storage):
        return storage.open(name, "rb")
    from botocore.exceptions import ClientError

    try:
        return storage.bucket.Object(_key(storage, name)).get()["Body"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            raise FileNotFoundError(f"No such file in the storage: {name}") from None
        raise


def list_prefix(prefix, storage=None):
    """``(name, modified)`` of every file whose name starts with ``prefix`` (in its folder, not below).

    Bucket: keys listed by prefix, so only the matching keys are fetched. Other storages: the folder
    is listed. ``modified`` is an aware datetime (``USE_TZ``).
    """
    storage = storage if storage is not None else default_storage
    if not is_object_storage(storage):
        folder, start = posixpath.split(prefix)
        try:
            _folders, names = storage.listdir(folder)
        except (FileNotFoundError, NotADirectoryError):
            return []
        found = []
        for name in names:
            if name.startswith(start):
                path = f"{folder}/{name}" if folder else name
                try:
                    found.append((path, storage.get_modified_time(path)))
                except FileNotFoundError:  # deleted meanwhile
                    continue
        return found
    key_prefix = _key(storage, prefix)
    location = storage.location.strip("/")
    found = []
    paginator = storage.connection.meta.client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=storage.bucket_name, Prefix=key_prefix, Delimiter="/"):
        for entry in page.get("Contents", ()):
            key = entry["Key"]
            name = key[len(location) :].lstrip("/") if location else key
            found.append((name, entry["LastModified"]))
    return found
