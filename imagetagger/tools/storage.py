"""Where tool files live: Django's default storage (local folder or S3), each under a generated name.

``<IT_TOOLS_PATH>/<uuid4 hex>/<ASCII-safe form of the uploaded name>``: the random folder makes every
stored name new, so no upload can replace another tool's file, whatever its name. The uploaded
name itself is kept (cleaned, ``clean_filename``) only to be shown and sent on download.
"""

import contextlib
import logging
import mimetypes
import os
import posixpath
import unicodedata
import uuid

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import transaction
from django.utils.text import get_valid_filename

from .models import FILENAME_MAX_LENGTH

logger = logging.getLogger(__name__)

# Characters that never belong in a file name: controls (newlines…), format characters (such as the
# right-to-left override that disguises "exe.txt" as "txt.exe") and line/paragraph separators.
_FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}
STORED_NAME_MAX_LENGTH = 100
# Compressions mimetypes reports as an "encoding" of the inner type (x.tar.gz: tar, gzip).
_COMPRESSED_TYPES = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "compress": "application/x-compress",
    "br": "application/x-brotli",
}
OCTET_STREAM = "application/octet-stream"
# Python's built-in table only, so that the types do not depend on the machine's /etc/mime.types.
_MIME_TYPES = mimetypes.MimeTypes()


def _shorten(name, limit):
    """``name`` cut to ``limit`` characters, keeping its extension when that is short."""
    if len(name) <= limit:
        return name
    stem, ext = posixpath.splitext(name)
    if len(ext) > limit // 2:
        ext = ""
    return stem[: limit - len(ext)] + ext


def clean_filename(name):
    """The uploaded file name as it will be shown and downloaded: the last path component, without
    control or invisible format characters, at most 255 characters. Refuses names left empty."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = "".join(" " if unicodedata.category(char) in _FORBIDDEN_CATEGORIES else char for char in name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if name in ("", ".", ".."):
        raise ValidationError(
            {"file": "The file has no usable name (it is empty or only path separators); rename it and try again."},
            code="filename",
        )
    return _shorten(name, FILENAME_MAX_LENGTH)


def _storage_component(filename):
    """An ASCII form of ``filename`` safe as the last part of a storage key."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    try:
        safe = get_valid_filename(ascii_name)
    except SuspiciousFileOperation:  # names like "" or ".." after cleaning
        safe = ""
    safe = safe.lstrip(".") or "file"
    return _shorten(safe, STORED_NAME_MAX_LENGTH)


def guess_content_type(filename):
    """The media type for ``filename``'s extension; application/octet-stream when unknown."""
    content_type, encoding = _MIME_TYPES.guess_type(filename, strict=False)
    if encoding:
        return _COMPRESSED_TYPES.get(encoding, OCTET_STREAM)
    return content_type or OCTET_STREAM


def new_storage_name(filename):
    folder = settings.TOOLS_PATH.strip("/") or "tools"
    for _ in range(5):
        name = f"{folder}/{uuid.uuid4().hex}/{_storage_component(filename)}"
        if not default_storage.exists(name):
            return name
    raise RuntimeError("Could not find a free storage name for a tool file.")  # pragma: no cover


def store(upload, filename):
    """Save ``upload`` under a new generated name; returns the name the storage used."""
    name = new_storage_name(filename)
    if hasattr(upload, "seek"):
        upload.seek(0)
    return default_storage.save(name, upload)


def delete_quietly(name):
    try:
        default_storage.delete(name)
    except Exception:
        logger.exception("Could not delete the tool file %s", name)
        return
    if isinstance(default_storage, FileSystemStorage):
        # The file's own generated folder (object stores have no folders).
        with contextlib.suppress(OSError):
            os.rmdir(os.path.dirname(default_storage.path(name)))


def delete_after_commit(name):
    transaction.on_commit(lambda: delete_quietly(name))
