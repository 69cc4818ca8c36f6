"""Safe ingestion of uploaded images and archives, thumbnails, and the orphan-file clean-up.

``ingest_uploads`` (and ``ingest_upload`` for one file) take what a user uploaded: a single image, or an
archive (zip, tar, tar.gz/tgz, tar.bz2, tar.xz) recognised by its content, never by its name. Every
file inside gets a ``FileResult``: "added", "duplicate" (the same SHA-512 is in the set already, also
from earlier in the same upload) or "refused" with the reason. Directories are skipped silently.

Safety rules:

- types are decided by Pillow from the content (``IT_IMAGE_EXTENSION``: png, jpeg, webp), and every
  image is decoded completely (truncated or corrupt files are refused; ``LOAD_TRUNCATED_IMAGES``
  stays off); more than ``IT_MAX_IMAGE_PIXELS`` pixels is a decompression bomb;
- archives may hold at most ``IT_ARCHIVE_MAX_ENTRIES`` entries and unpack to at most
  ``IT_ARCHIVE_MAX_BYTES``: checked against what the archive declares before anything is read, and
  again against the bytes actually read (headers are never trusted alone);
- archive bombs: every member is checked before it is inflated. A zip member declaring more than
  1 MiB may inflate at most ``IT_ARCHIVE_MAX_RATIO`` (100) times its compressed size; no member may
  declare more than any allowed image can need. Its first bytes must be the signature of an accepted
  type, or it is refused before the rest is inflated. A zip member is counted while it is read and
  refused as soon as it inflates past the size it declares. The whole archive (zip or tar, plain or
  compressed) may unpack to at most ``IT_ARCHIVE_MAX_RATIO`` times the upload's size (at least 1 MiB)
  and ``IT_ARCHIVE_MAX_BYTES``, counted against the declared sizes before each member and against the
  bytes read; a tar member that would go past it ends the archive (in a compressed stream the files
  after it can only be reached by inflating it);
- names keep their folders inside archives ("day1/cam0.png") but are made safe: backslashes become
  slashes, Unicode is NFC, control characters go, "." parts are dropped; "..", absolute paths and
  drive letters are refused, as are names longer than ``Image.name`` allows;
- links, devices and pipes in tar files are refused;
- archive members are read one at a time into a spooled temporary file: neither the archive nor
  all of its images are ever in memory at once.

Storage: the file goes through Django's default storage to
``<IT_IMAGE_PATH>/<set.path>/<uuid4 hex>.<png|jpg|webp>``, then its row is created in a transaction.
A row exists only for a file that is fully stored: a failed write leaves no row (and the partial file
is deleted), a failed insert deletes the file. A process killed between the two can leave a file
without a row; ``delete_orphan_files`` (``manage.py cleanorphans``) removes those after an hour.

Call these outside of a transaction (as views do): each image is committed on its own, so that a
large archive neither holds locks for long nor loses everything on one bad file.
"""

import bz2
import contextlib
import copy
import gzip
import hashlib
import logging
import lzma
import re
import stat
import struct
import tarfile
import tempfile
import unicodedata
import uuid
import zipfile
import zlib
from dataclasses import asdict, dataclass
from datetime import timedelta
from io import BytesIO

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from base.storage import delete_quietly
from webhooks import events as webhook_events

from .models import IMAGE_NAME_MAX_LENGTH, Image, ImageSet
from .permissions import imageset_permissions

logger = logging.getLogger(__name__)

ADDED = "added"
DUPLICATE = "duplicate"
REFUSED = "refused"

THUMBNAIL_SIZE = 256
THUMBNAIL_QUALITY = 85

# format name in IT_IMAGE_EXTENSION -> (Pillow format, stored extension)
FORMATS = {"png": ("PNG", ".png"), "jpeg": ("JPEG", ".jpg"), "webp": ("WEBP", ".webp")}
# Pillow's format of a decoded image -> our format name. MPO is the multi-picture JPEG of cameras.
PIL_FORMATS = {"PNG": "png", "JPEG": "jpeg", "MPO": "jpeg", "WEBP": "webp"}
EXTENSIONS = {name: extension for name, (_pil, extension) in FORMATS.items()}

CHUNK_SIZE = 1024 * 1024
# Archive members up to this size stay in memory while they are checked, larger ones go to disk.
SPOOL_MEMORY = 8 * 1024 * 1024
# Tar headers (pax, GNU long names) may add this much per entry to the declared member sizes.
TAR_HEADER_ALLOWANCE = 64 * 1024
# Archive members declaring at most this much are not refused for their compression ratio (a small
# image of one colour compresses very well), and no archive's limit from IT_ARCHIVE_MAX_RATIO is lower.
RATIO_EXEMPT_BYTES = 1024 * 1024
# Bytes of an archive member read to tell its type before the rest of it is inflated.
SIGNATURE_BYTES = 16
# Files in an archive the user does not mean: macOS resource forks.
IGNORED_FOLDERS = ("__MACOSX/",)

# Names this module gives to stored files (Django's storage may append "_<7 characters>").
STORED_NAME = re.compile(r"^[0-9a-f]{32}(?:_[A-Za-z0-9]{7})?\.(?:png|jpg|webp)$")
THUMBNAIL_NAME = re.compile(r"^([0-9a-f]{32}(?:_[A-Za-z0-9]{7})?)\.jpg$")

_DRIVE_LETTER = re.compile(r"^[A-Za-z]:")
_REMOVED_CATEGORIES = {"Cc", "Cf", "Cs", "Co"}


@dataclass
class FileResult:
    """What happened to one uploaded file or archive member."""

    name: str
    size: int
    status: str
    reason: str = ""
    image_id: int | None = None

    def as_dict(self):
        return asdict(self)


class _Refused(Exception):
    """This file is refused; ``args[0]`` says why."""


class _StopArchive(Exception):
    """The rest of the archive is not read; ``args[0]`` says why."""


# --- limits and settings -------------------------------------------------------------------------


def accepted_formats():
    """Our names of the accepted formats ("png", "jpeg", "webp"), from ``IT_IMAGE_EXTENSION``."""
    accepted = []
    for raw in settings.IMAGE_EXTENSION:
        name = str(raw).strip().lower().lstrip(".")
        name = "jpeg" if name == "jpg" else name
        if name in FORMATS and name not in accepted:
            accepted.append(name)
        elif name not in FORMATS:
            logger.warning("IT_IMAGE_EXTENSION: %r is not supported (use png, jpeg, webp)", raw)
    return accepted


def accepted_formats_text():
    names = [name.upper() for name in accepted_formats()]
    if len(names) <= 1:
        return "".join(names) or "no"
    return ", ".join(names[:-1]) + " or " + names[-1]


def _max_pixels():
    return int(settings.MAX_IMAGE_PIXELS)


def _max_file_bytes():
    """No image of the allowed pixel count needs more: 8 bytes a pixel plus generous metadata."""
    return _max_pixels() * 8 + 16 * 1024 * 1024


def _max_ratio():
    return int(settings.ARCHIVE_MAX_RATIO)


def _archive_limit(upload_size):
    """(bytes, why) an archive of ``upload_size`` bytes may unpack to, all of its members together.

    ``IT_ARCHIVE_MAX_RATIO`` times its size (at least ``RATIO_EXEMPT_BYTES``), at most ``IT_ARCHIVE_MAX_BYTES``.
    """
    ratio = _max_ratio()
    by_ratio = max(upload_size * ratio, RATIO_EXEMPT_BYTES)
    if by_ratio < settings.ARCHIVE_MAX_BYTES:
        return by_ratio, f"{ratio:,} times its size of {_human_bytes(upload_size)}, IT_ARCHIVE_MAX_RATIO"
    return settings.ARCHIVE_MAX_BYTES, ""


def _unpacks_to_more(limit, why=""):
    why = f" ({why})" if why else ""
    return f"The archive unpacks to more than {_human_bytes(limit)}{why}; the remaining files were not imported."


def _times(ratio):
    return f"{int(ratio):,}" if ratio >= 1000 else f"{ratio:,.1f}"


def _ratio_refusal(declared, compressed):
    """Why a zip member declaring ``declared`` bytes from ``compressed`` is refused for its ratio (None if not)."""
    limit = _max_ratio()
    if declared <= RATIO_EXEMPT_BYTES or declared <= compressed * limit:
        return None
    return (
        f"It would inflate {_times(declared / max(compressed, 1))} times ({_human_bytes(declared)} "
        f"from {_human_bytes(compressed)}); the limit is {limit:,} times (IT_ARCHIVE_MAX_RATIO)."
    )


def _too_large_text():
    return f"The file is larger than any image of at most {_max_pixels():,} pixels can be."


def _not_an_image_text():
    return f"This is not a {accepted_formats_text()} image (the type is decided by the content, not the name)."


def _human_bytes(count):
    size = float(count)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"  # pragma: no cover


# --- names ---------------------------------------------------------------------------------------


def printable_name(raw):
    """``raw`` without control characters, for reports."""
    return "".join(ch for ch in str(raw) if unicodedata.category(ch) not in _REMOVED_CATEGORIES)[:1000]


def safe_name(raw):
    """The name an image is known by: its relative path inside an archive, made safe.

    Raises ``ValueError`` with the reason for names that are refused.
    """
    name = unicodedata.normalize("NFC", printable_name(str(raw).replace("\\", "/")))
    if name.startswith("/"):
        raise ValueError("Absolute paths are not allowed in archives.")
    if _DRIVE_LETTER.match(name):
        raise ValueError("Paths with drive letters are not allowed in archives.")
    parts = [part.strip() for part in name.split("/")]
    parts = [part for part in parts if part not in ("", ".")]
    if ".." in parts:
        raise ValueError("Names containing “..” are not allowed in archives.")
    if not parts:
        raise ValueError("The name is empty.")
    name = "/".join(parts)
    if len(name) > IMAGE_NAME_MAX_LENGTH:
        raise ValueError(f"The name is longer than {IMAGE_NAME_MAX_LENGTH} characters.")
    return name


# --- decoding and thumbnails ---------------------------------------------------------------------


@dataclass
class _Decoded:
    format: str
    extension: str
    width: int
    height: int
    thumbnail: bytes | None


def _open_image(fileobj, formats):
    """Open and fully decode an image of one of ``formats``; the caller closes it."""
    if not formats:
        raise _Refused("This site accepts no image types (IT_IMAGE_EXTENSION).")
    limit = _max_pixels()
    PILImage.MAX_IMAGE_PIXELS = limit
    fileobj.seek(0)
    too_many = f"The image has too many pixels (at most {limit:,} are allowed): it may be a decompression bomb."
    try:
        image = PILImage.open(fileobj, formats=[FORMATS[name][0] for name in formats])
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
        raise _Refused(too_many) from None
    except UnidentifiedImageError:
        fileobj.seek(0)
        looks_like = _signature_format(fileobj.read(16))
        if looks_like in formats:
            raise _Refused(f"The image is damaged: it starts like a {looks_like.upper()} but cannot be read.") from None
        raise _Refused(_not_an_image_text()) from None
    except Exception as error:  # Pillow's decoders raise many kinds of errors on corrupt input.
        raise _Refused(f"The image is damaged ({error}).") from None
    try:
        width, height = image.size
        if width * height > limit:
            raise _Refused(too_many)
        if not width or not height:
            raise _Refused("The image is empty (no pixels).")
        if image.format not in PIL_FORMATS or PIL_FORMATS[image.format] not in formats:
            raise _Refused(f"This is not a {accepted_formats_text()} image.")
        try:
            image.load()
        except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
            raise _Refused(too_many) from None
        except Exception as error:
            raise _Refused(f"The image is damaged or truncated ({error}).") from None
    except BaseException:
        image.close()
        raise
    return image


def _signature_format(head):
    """The format whose signature ``head`` starts with ("png", "jpeg", "webp"), or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


_TRANSPOSE = {
    2: PILImage.Transpose.FLIP_LEFT_RIGHT,
    3: PILImage.Transpose.ROTATE_180,
    4: PILImage.Transpose.FLIP_TOP_BOTTOM,
    5: PILImage.Transpose.TRANSPOSE,
    6: PILImage.Transpose.ROTATE_270,
    7: PILImage.Transpose.TRANSVERSE,
    8: PILImage.Transpose.ROTATE_90,
}


def oriented_size(image):
    """(width, height) of ``image`` as viewers show it: EXIF orientations 5-8 turn it by 90°.

    The stored bytes stay as uploaded (browsers, OpenCV and Ultralytics apply the orientation when
    they read them), so every coordinate of a label refers to the turned picture.
    """
    orientation = image.getexif().get(0x0112, 1)
    return (image.height, image.width) if orientation in (5, 6, 7, 8) else (image.width, image.height)


def thumbnail_bytes(image):
    """A JPEG of at most 256 px on the long side, turned as the EXIF orientation says.

    ``image`` (decoded) may be changed: pass one that is not needed afterwards.
    """
    orientation = image.getexif().get(0x0112, 1)
    if image.mode.startswith("I;16") or image.mode == "I":
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    elif image.mode == "F":
        image = image.convert("L")
    elif image.mode in ("1", "P", "PA", "LA", "La", "RGBA", "RGBa"):
        has_alpha = image.mode != "1" and (image.mode != "P" or "transparency" in image.info)
        image = image.convert("RGBA" if has_alpha else "RGB")
    elif image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE), reducing_gap=3.0)
    if image.mode == "RGBA":
        background = PILImage.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        image = background
    if orientation in _TRANSPOSE:
        image = image.transpose(_TRANSPOSE[orientation])
    out = BytesIO()
    image.save(out, "JPEG", quality=THUMBNAIL_QUALITY)
    return out.getvalue()


def _decode(fileobj, formats):
    image = _open_image(fileobj, formats)
    with image:
        decoded = _Decoded(
            format=PIL_FORMATS[image.format],
            extension=EXTENSIONS[PIL_FORMATS[image.format]],
            width=oriented_size(image)[0],
            height=oriented_size(image)[1],
            thumbnail=None,
        )
        try:
            decoded.thumbnail = thumbnail_bytes(image)
        except Exception:  # A missing thumbnail is made later (ensure_thumbnail); never refuse for it.
            logger.exception("could not make a thumbnail")
    return decoded


def _save_thumbnail(path, data):
    """Store a thumbnail at ``path`` unless one is there (a concurrent maker's copy is as good)."""
    saved = default_storage.save(path, ContentFile(data))
    if saved != path:
        delete_quietly([saved])
    return path


def open_oriented(image, mode="RGB"):
    """The pixels of a stored ``image`` (an ``Image`` row) as viewers show them, as a PIL image in
    ``mode``: read with the image's own format only and within the pixel limit, then turned as its EXIF
    orientation says — the picture every label's coordinates refer to."""
    with default_storage.open(image.relative_path, "rb") as stored:
        PILImage.MAX_IMAGE_PIXELS = _max_pixels()
        with PILImage.open(stored, formats=[FORMATS[image.format][0]]) as picture:
            orientation = picture.getexif().get(0x0112, 1)
            decoded = picture.convert(mode)
    if orientation in _TRANSPOSE:
        decoded = decoded.transpose(_TRANSPOSE[orientation])
    return decoded


def ensure_thumbnail(image):
    """The storage path of ``image``'s thumbnail, made now if it is missing; None if it cannot be made."""
    path = image.thumbnail_path
    if default_storage.exists(path):
        return path
    try:
        with default_storage.open(image.relative_path, "rb") as source:
            PILImage.MAX_IMAGE_PIXELS = _max_pixels()
            with PILImage.open(source, formats=[FORMATS[image.format][0]]) as decoded:
                decoded.draft("RGB", (THUMBNAIL_SIZE * 2, THUMBNAIL_SIZE * 2))
                decoded.load()
                data = thumbnail_bytes(decoded)
    except FileNotFoundError:
        logger.error("image %s: the file %s is missing", image.pk, image.relative_path)
        return None
    except Exception:
        logger.exception("image %s: could not make a thumbnail", image.pk)
        return None
    try:
        return _save_thumbnail(path, data)
    except Exception:
        logger.exception("image %s: could not store its thumbnail", image.pk)
        return None


# --- storing -------------------------------------------------------------------------------------


class _Budget:
    """Bytes an archive may still unpack to; declaring or reading more stops the archive.

    ``limit`` and ``why`` as ``_archive_limit`` gives them: ``why`` names the ratio the limit comes
    from, if any, in the message.
    """

    def __init__(self, limit, why=""):
        self.limit = limit
        self.why = why
        self.used = 0

    def reserve(self, declared):
        """Before a member is read: stop if its declared size does not fit."""
        if self.used + declared > self.limit:
            raise _StopArchive(_unpacks_to_more(self.limit, self.why))

    def spend(self, count):
        self.used += count
        if self.used > self.limit:
            raise _StopArchive(_unpacks_to_more(self.limit, self.why))


def _read_head(source):
    """The first ``SIGNATURE_BYTES`` of ``source`` (fewer only at its end)."""
    head = b""
    while len(head) < SIGNATURE_BYTES and (chunk := source.read(SIGNATURE_BYTES - len(head))):
        head += chunk
    return head


def _spool(source, *, budget=None, declared=None, formats=None, crc=None):
    """Copy ``source`` into a temporary file, hashing it. Returns (file, size, sha512 digest).

    ``budget``: the archive's ``_Budget``, charged as bytes are read. ``declared``: the size the
    archive declares; reading more refuses the file at once. ``formats``: the file is refused after its
    first bytes unless they are the signature of one of these formats. ``crc``: the CRC-32 the
    content must have.
    """
    # Returned open to the caller, who closes it.
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY, dir=settings.FILE_UPLOAD_TEMP_DIR)  # noqa: SIM115
    digest = hashlib.sha512()
    size = running_crc = 0
    limit = _max_file_bytes()

    def take(chunk):
        nonlocal size, running_crc
        size += len(chunk)
        if declared is not None and size > declared:
            raise _Refused(
                f"It inflates past the {_human_bytes(declared)} its header declares: "
                "the archive is damaged or made to mislead."
            )
        if budget is not None:
            budget.spend(len(chunk))
        if size > limit:
            raise _Refused(_too_large_text())
        digest.update(chunk)
        if crc is not None:
            running_crc = zlib.crc32(chunk, running_crc)
        spool.write(chunk)

    try:
        if formats:
            head = _read_head(source)
            take(head)
            if _signature_format(head) not in formats:
                raise _Refused(_not_an_image_text())
        while chunk := source.read(CHUNK_SIZE):
            take(chunk)
        if crc is not None and running_crc != crc:
            raise _Refused("This file is damaged in the archive (its CRC-32 does not match).")
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool, size, digest.digest()


class _Ingest:
    """One upload request: the results so far and whether anything was added."""

    def __init__(self, image_set, uploader):
        self.image_set = image_set
        self.uploader = uploader
        self.formats = accepted_formats()
        self.results = []
        self.added_ids = set()

    def report(self, name, size, status, reason="", image_id=None):
        result = FileResult(name=printable_name(name), size=size, status=status, reason=reason, image_id=image_id)
        self.results.append(result)
        return result

    # one image ---------------------------------------------------------------------------------

    def _existing(self, digest):
        return (
            Image.objects.filter(image_set_id=self.image_set.pk, checksum=digest).values_list("pk", flat=True).first()
        )

    def _duplicate(self, name, size, existing):
        if existing in self.added_ids:
            reason = "The same image came earlier in this upload."
        else:
            reason = "This image is already in the set."
        return self.report(name, size, DUPLICATE, reason, existing)

    def add(self, name, content, size, digest):
        """Check and store one image (``content``: a seekable file). Returns its FileResult."""
        existing = self._existing(digest)
        if existing is not None:
            return self._duplicate(name, size, existing)
        try:
            decoded = _decode(content, self.formats)
        except _Refused as refusal:
            return self.report(name, size, REFUSED, refusal.args[0])
        return self._store(name, content, size, digest, decoded)

    def _store(self, name, content, size, digest, decoded):
        folder = self.image_set.image_folder()
        wanted = f"{folder}/{uuid.uuid4().hex}{decoded.extension}"
        content.seek(0)
        try:
            stored = default_storage.save(wanted, content)
        except Exception:
            logger.exception("could not store %s", wanted)
            delete_quietly([wanted])
            return self.report(name, size, REFUSED, "The image could not be stored. Please try again later.")
        written = [stored]
        fields = {
            "image_set": self.image_set,
            "name": name,
            "filename": stored.rsplit("/", 1)[-1],
            "checksum": digest,
            "width": decoded.width,
            "height": decoded.height,
            "format": decoded.format,
            "file_size": size,
            "uploader": self.uploader,
        }
        if decoded.thumbnail is not None:
            try:
                written.append(_save_thumbnail(Image(**fields).thumbnail_path, decoded.thumbnail))
            except Exception:
                logger.exception("could not store the thumbnail of %s", stored)
        try:
            with transaction.atomic():
                image = Image.objects.create(**fields)
        except IntegrityError:
            delete_quietly(written)
            existing = self._existing(digest)
            if existing is not None:  # someone uploaded the same image at the same moment
                return self._duplicate(name, size, existing)
            if not ImageSet.objects.filter(pk=self.image_set.pk).exists():
                raise _StopArchive("The image set was deleted during the upload.") from None
            logger.exception("could not save the row of %s", stored)
            return self.report(name, size, REFUSED, "The image could not be saved. Please try again later.")
        except BaseException:
            delete_quietly(written)
            raise
        self.added_ids.add(image.pk)
        return self.report(name, size, ADDED, image_id=image.pk)

    # uploads -----------------------------------------------------------------------------------

    def upload(self, uploaded_file):
        """Ingest one uploaded file: an archive or a single image."""
        upload_name = printable_name(uploaded_file.name or "upload")
        size = uploaded_file.size or 0
        try:
            uploaded_file.seek(0)
            head = uploaded_file.read(8)
            uploaded_file.seek(0)
            compressor = _compressor(head)
            if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
                self._zip(upload_name, size, uploaded_file)
            elif compressor is not None:
                self._compressed_tar(upload_name, size, uploaded_file, compressor)
            elif not self._plain_tar(upload_name, size, uploaded_file):
                uploaded_file.seek(0)
                self._single(upload_name, size, uploaded_file)
        except _StopArchive as stop:
            self.report(upload_name, size, REFUSED, stop.args[0])

    def _single(self, upload_name, size, uploaded_file):
        try:
            name = safe_name(upload_name)
        except ValueError as error:
            return self.report(upload_name, size, REFUSED, str(error))
        if size > _max_file_bytes():
            return self.report(name, size, REFUSED, _too_large_text())
        digest = hashlib.sha512()
        for chunk in uploaded_file.chunks():
            digest.update(chunk)
        return self.add(name, uploaded_file, size, digest.digest())

    def _member(self, raw_name, size, opener, budget, *, compressed=None, crc=None):
        """One regular file of an archive: check its name and declared size, read it, add it.

        ``size``: its declared size; ``compressed``, ``crc``: its compressed size and CRC-32 where the
        archive tells them (zip).
        Nothing is inflated before these checks, and reading stops at the first bytes if they are not
        an image's, or as soon as more than ``size`` comes out.
        """
        try:
            name = safe_name(raw_name)
        except ValueError as error:
            return self.report(raw_name, size, REFUSED, str(error))
        if size > _max_file_bytes():
            return self.report(name, size, REFUSED, _too_large_text())
        if compressed is not None and (refusal := _ratio_refusal(size, compressed)):
            return self.report(name, size, REFUSED, refusal)
        budget.reserve(size)
        try:
            with opener() as source:
                content, actual_size, digest = _spool(
                    source, budget=budget, declared=size, formats=self.formats, crc=crc
                )
        except _Refused as refusal:
            return self.report(name, size, REFUSED, refusal.args[0])
        except _StopArchive:
            raise
        except NotImplementedError:
            return self.report(name, size, REFUSED, "This file is compressed with a method that is not supported.")
        except (zipfile.BadZipFile, tarfile.TarError, zlib.error, lzma.LZMAError, OSError, EOFError) as error:
            return self.report(name, size, REFUSED, f"This file is damaged in the archive ({error}).")
        with content:
            return self.add(name, File(content, name=name.rsplit("/", 1)[-1]), actual_size, digest)

    # zip ---------------------------------------------------------------------------------------

    def _zip(self, upload_name, size, uploaded_file):
        max_entries = settings.ARCHIVE_MAX_ENTRIES
        max_bytes = settings.ARCHIVE_MAX_BYTES
        too_many = f"The archive has more than {max_entries:,} entries."
        declared = _zip_declared_entries(uploaded_file)
        size = _stream_size(uploaded_file, size)
        if declared is not None and declared > max_entries:
            return self.report(upload_name, size, REFUSED, too_many)
        try:
            archive = zipfile.ZipFile(uploaded_file)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
            return self.report(upload_name, size, REFUSED, f"The zip archive is damaged ({error}).")
        with archive:
            members = archive.infolist()
            if len(members) > max_entries:
                return self.report(upload_name, size, REFUSED, too_many)
            if sum(member.file_size for member in members) > max_bytes:
                return self.report(
                    upload_name, size, REFUSED, f"The archive would unpack to more than {_human_bytes(max_bytes)}."
                )
            files = [member for member in members if not member.is_dir() and not _ignored(member.filename)]
            if not files:
                return self.report(upload_name, size, REFUSED, "The archive holds no files.")
            budget = _Budget(*_archive_limit(size))
            for member in files:
                if stat.S_ISLNK(member.external_attr >> 16):
                    self.report(member.filename, member.file_size, REFUSED, "Links are not imported.")
                elif member.flag_bits & 0x1:
                    self.report(member.filename, member.file_size, REFUSED, "Encrypted files are not supported.")
                else:
                    self._member(
                        member.filename,
                        member.file_size,
                        lambda m=member: _open_zip_member(archive, m),
                        budget,
                        compressed=min(member.compress_size, size),
                        crc=member.CRC,
                    )
        return None

    # tar ---------------------------------------------------------------------------------------

    def _plain_tar(self, upload_name, size, uploaded_file):
        """Import ``uploaded_file`` if it is an uncompressed tar archive; False if it is not one."""
        size = _stream_size(uploaded_file, size)
        guard = _TarStream(uploaded_file, *_archive_limit(size))
        try:
            archive = tarfile.open(fileobj=guard, mode="r:")  # noqa: SIM115 (closed by _tar)
        except (tarfile.TarError, OSError, EOFError):
            return False
        self._tar(upload_name, size, archive, guard)
        return True

    def _compressed_tar(self, upload_name, size, uploaded_file, compressor):
        kind, opener = compressor
        size = _stream_size(uploaded_file, size)
        with opener(uploaded_file) as stream:
            guard = _TarStream(stream, *_archive_limit(size))
            try:
                archive = tarfile.open(fileobj=guard, mode="r:")  # noqa: SIM115 (closed by _tar)
            except tarfile.ReadError:
                return self.report(upload_name, size, REFUSED, f"This {kind} file does not hold a tar archive.")
            except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError) as error:
                return self.report(upload_name, size, REFUSED, f"The {kind} archive is damaged ({error}).")
            return self._tar(upload_name, size, archive, guard)

    def _tar(self, upload_name, size, archive, guard):
        max_entries = settings.ARCHIVE_MAX_ENTRIES
        budget = _Budget(*_archive_limit(size))
        limit, why = budget.limit, budget.why
        entries = declared = files = 0
        with archive:
            while True:
                try:
                    member = archive.next()
                except _StopArchive:
                    raise
                except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError) as error:
                    raise _StopArchive(
                        f"The archive is damaged ({error}); the remaining files were not imported."
                    ) from None
                if member is None:
                    break
                archive.members.clear()  # tarfile keeps every member otherwise
                entries += 1
                if entries > max_entries:
                    raise _StopArchive(
                        f"The archive has more than {max_entries:,} entries; the remaining files were not imported."
                    )
                declared += max(member.size, 0)
                imported = not member.isdir() and not _ignored(member.name)
                if declared > limit:
                    # Reaching the next member means inflating this one (in a compressed stream): stop here.
                    if why and imported and member.size > RATIO_EXEMPT_BYTES:
                        self.report(
                            member.name,
                            member.size,
                            REFUSED,
                            f"It would inflate the archive {_times(declared / max(size, 1))} times "
                            f"({_human_bytes(declared)} from {_human_bytes(size)}); "
                            f"the limit is {_max_ratio():,} times (IT_ARCHIVE_MAX_RATIO).",
                        )
                        raise _StopArchive(
                            f"The files after {printable_name(member.name)} were not imported: "
                            "they can only be reached by inflating it."
                        )
                    raise _StopArchive(_unpacks_to_more(limit, why))
                guard.allow(max(member.size, 0) + TAR_HEADER_ALLOWANCE)
                if not imported:
                    continue
                files += 1
                if member.issym() or member.islnk():
                    self.report(member.name, member.size, REFUSED, "Links are not imported.")
                elif member.isdev():
                    self.report(member.name, member.size, REFUSED, "Devices and pipes are not imported.")
                elif not member.isreg():
                    self.report(member.name, member.size, REFUSED, "Only regular files are imported.")
                else:
                    self._member(member.name, member.size, lambda m=member: archive.extractfile(m), budget)
        if not files:
            self.report(upload_name, size, REFUSED, "The archive holds no files.")


def _ignored(name):
    return name.replace("\\", "/").startswith(IGNORED_FOLDERS)


def _compressor(head):
    """(name, opener) of the compression ``head`` starts with, or None."""
    if head.startswith(b"\x1f\x8b"):
        return "gzip", lambda f: gzip.GzipFile(fileobj=f, mode="rb")
    if head.startswith(b"BZh"):
        return "bzip2", lambda f: bz2.BZ2File(f, "rb")
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz", lambda f: lzma.LZMAFile(f, "rb")
    return None


class _TarStream:
    """The (decompressed) stream a tarfile reads, refusing to go further than its members declare.

    Member sizes come from headers; pax and GNU long-name headers add data that no size declares.
    ``allow`` adds a member's declared size (plus room for its headers); reading beyond stops the
    archive before the bytes are read, so a header claiming gigabytes is never loaded into memory.
    Headers and data together may not go past ``limit`` (the archive's ``_archive_limit``, ``why``
    it is that) either, however many entries add their allowance for headers.
    """

    def __init__(self, raw, limit=None, why=""):
        self.raw = raw
        self.allowance = 1024 * 1024 + TAR_HEADER_ALLOWANCE
        self.limit = limit
        self.why = why

    def allow(self, count):
        self.allowance += count

    def _check(self, end):
        if end > self.allowance:
            raise _StopArchive(
                "The archive holds more data than its entries declare; the remaining files were not imported."
            )
        if self.limit is not None and end > self.limit + 1024 * 1024 + TAR_HEADER_ALLOWANCE:
            raise _StopArchive(_unpacks_to_more(self.limit, self.why))

    def read(self, size=-1):
        position = self.raw.tell()
        if size is None or size < 0:
            size = self.allowance - position + 1
        self._check(position + size)
        return self.raw.read(size)

    def seek(self, offset, whence=0):
        if whence == 0:
            self._check(offset)
        return self.raw.seek(offset, whence)

    def tell(self):
        return self.raw.tell()

    def readable(self):
        return True

    def seekable(self):
        return True


def _open_zip_member(archive, member):
    """``member`` of ``archive`` opened for reading, one byte past its declared size.

    zipfile stops at the declared size and then finds the checksum wrong; the one byte more lets
    ``_spool`` see a member that inflates past what its header says, and name it. zipfile does not
    check the CRC-32 of this copy (it would at the wrong size): ``_spool`` does (``crc``).
    """
    probe = copy.copy(member)
    probe.file_size = member.file_size + 1
    probe.CRC = None
    return archive.open(probe)


def _stream_size(fileobj, size):
    """The size of the seekable ``fileobj`` (``size`` if it cannot tell); its position is kept."""
    try:
        position = fileobj.tell()
        fileobj.seek(0, 2)
        measured = fileobj.tell()
        fileobj.seek(position)
    except (AttributeError, OSError, ValueError):
        return size
    return measured


def _zip_declared_entries(fileobj):
    """The entry count a zip archive's end record declares (None if there is no end record)."""
    fileobj.seek(0, 2)
    size = fileobj.tell()
    tail_size = min(size, 22 + 65535)
    fileobj.seek(size - tail_size)
    tail = fileobj.read(tail_size)
    fileobj.seek(0)
    position = tail.rfind(b"PK\x05\x06")
    if position < 0 or len(tail) - position < 22:
        return None
    fields = struct.unpack("<4s4H2LH", tail[position : position + 22])
    entries, cd_size, cd_offset = fields[4], fields[5], fields[6]
    if 0xFFFF in (entries,) or 0xFFFFFFFF in (cd_size, cd_offset):
        locator = tail[position - 20 : position] if position >= 20 else b""
        if locator[:4] == b"PK\x06\x07":
            record_offset = struct.unpack("<Q", locator[8:16])[0]
            fileobj.seek(record_offset)
            record = fileobj.read(56)
            fileobj.seek(0)
            if record[:4] == b"PK\x06\x06" and len(record) == 56:
                entries = struct.unpack("<Q", record[32:40])[0]
    return entries


# --- public functions ----------------------------------------------------------------------------


def upload_refusal(actor, image_set):
    """Why ``actor`` may not upload to ``image_set`` (None if they may)."""
    permissions = imageset_permissions(actor, image_set)
    if "upload_images" in permissions:
        return None
    if image_set.image_lock and "manage_set" in permissions:
        return "This image set is locked: no images can be added. Unlock it on its edit page first."
    if image_set.image_lock and "edit_set" in permissions:
        return "This image set is locked: no images can be added. A team admin can unlock it."
    if image_set.image_lock:
        return "This image set is locked: no images can be added."
    return "You may not upload images to this image set."


def ingest_uploads(*, actor, image_set, uploaded_files):
    """Add the images of several uploaded files (images or archives) to ``image_set``.

    Needs ``upload_images`` (``PermissionDenied`` otherwise). Returns a ``FileResult`` per image
    file (and per refused archive). The set's archive is invalidated once, if anything was added.
    """
    refusal = upload_refusal(actor, image_set)
    if refusal:
        raise PermissionDenied(refusal)
    if not image_set.path:
        raise ValidationError("This image set has no storage folder.")
    session = _Ingest(image_set, actor)
    try:
        for uploaded_file in uploaded_files:
            session.upload(uploaded_file)
    except BaseException:
        if session.added_ids:
            with contextlib.suppress(Exception):
                _content_changed(image_set, session)
        raise
    if session.added_ids:
        _content_changed(image_set, session)
    return session.results


def ingest_upload(*, actor, image_set, uploaded_file):
    """``ingest_uploads`` for one file."""
    return ingest_uploads(actor=actor, image_set=image_set, uploaded_files=[uploaded_file])


def add_image_file(image_set, *, name, fileobj, uploader=None, invalidate=True):
    """Add one image from an open file without a permission check (tests, scripts, data imports).

    ``invalidate=False``: the set's archive is left alone (for callers that add many images and
    invalidate each changed set once at the end).
    """
    session = _Ingest(image_set, uploader)
    try:
        content, size, digest = _spool(fileobj)
    except _Refused as refusal:
        return session.report(name, 0, REFUSED, refusal.args[0])
    with content:
        result = session.add(safe_name(name), File(content, name=name.rsplit("/", 1)[-1]), size, digest)
    if invalidate and session.added_ids:
        _content_changed(image_set, session)
    return result


def _content_changed(image_set, session):
    """The set's archive is stale, and ``images.added`` tells the team's webhooks what ``session`` added."""
    from .services import content_changed

    with transaction.atomic():
        content_changed(image_set.pk)
        added = [(result.image_id, result.name) for result in session.results if result.status == ADDED]
        webhook_events.images_added(image_set, session.uploader, added)


# --- orphans -------------------------------------------------------------------------------------


def _listdir(path):
    try:
        return default_storage.listdir(path)
    except (FileNotFoundError, NotADirectoryError):
        return [], []


def _old_enough(path, cutoff):
    try:
        return default_storage.get_modified_time(path) < cutoff
    except (FileNotFoundError, NotImplementedError):
        return False


def _known_filenames(candidates):
    candidates = list(candidates)
    known = set()
    for start in range(0, len(candidates), 500):
        batch = candidates[start : start + 500]
        known.update(Image.objects.filter(filename__in=batch).values_list("filename", flat=True))
    return known


def find_orphan_files(*, older_than=timedelta(hours=1)):
    """Stored image files and thumbnails without an Image row, last changed before ``older_than`` ago.

    Only names this module generates are considered, so archives and other files in the same
    folders are never touched. Files younger than ``older_than`` may belong to an upload in progress.
    """
    root = settings.IMAGE_PATH
    cutoff = timezone.now() - older_than
    orphans = []
    folders, _files = _listdir(root)
    for folder in folders:
        if folder == "thumbnails":
            continue
        _dirs, names = _listdir(f"{root}/{folder}")
        names = [name for name in names if STORED_NAME.match(name)]
        known = _known_filenames(names)
        orphans += [f"{root}/{folder}/{name}" for name in names if name not in known]
    thumbnail_folders, _files = _listdir(f"{root}/thumbnails")
    for folder in thumbnail_folders:
        _dirs, names = _listdir(f"{root}/thumbnails/{folder}")
        stems = {name: match.group(1) for name in names if (match := THUMBNAIL_NAME.match(name))}
        candidates = [stem + extension for stem in stems.values() for extension in EXTENSIONS.values()]
        known_stems = {filename.rsplit(".", 1)[0] for filename in _known_filenames(candidates)}
        orphans += [f"{root}/thumbnails/{folder}/{name}" for name, stem in stems.items() if stem not in known_stems]
    return [path for path in orphans if _old_enough(path, cutoff)]


def delete_orphan_files(*, older_than=timedelta(hours=1), dry_run=False):
    """Delete what ``find_orphan_files`` finds and return the paths.

    ``manage.py cleanorphans`` calls this; so may a periodic worker job.
    """
    orphans = find_orphan_files(older_than=older_than)
    deleted = []
    for path in orphans:
        # Check again right before deleting: a row may have been committed meanwhile.
        if _is_orphan(path):
            deleted.append(path)
            if not dry_run:
                delete_quietly([path])
    return deleted


def _is_orphan(path):
    folder, name = path.rsplit("/", 1)
    if folder.startswith(f"{settings.IMAGE_PATH}/thumbnails/"):
        match = THUMBNAIL_NAME.match(name)
        candidates = [match.group(1) + extension for extension in EXTENSIONS.values()] if match else []
        return bool(match) and not Image.objects.filter(filename__in=candidates).exists()
    return bool(STORED_NAME.match(name)) and not Image.objects.filter(filename=name).exists()
