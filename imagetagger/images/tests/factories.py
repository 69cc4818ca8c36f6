"""Builders for the images tests: images made with Pillow, archives made with zipfile/tarfile, sets.

make_png(8, 6, (255, 0, 0))                  -> PNG bytes
make_image_bytes("jpeg", color=(0, 0, 255))  -> JPEG (or "png", "webp") bytes
make_zip([("a/b.png", data), ...])           -> zip bytes (entries may also be (ZipInfo, data))
make_tar([("a/b.png", data), tarinfo, ...], compression="gz") -> tar (.tar.gz, ...) bytes
make_imageset(team, creator=alice, public=True) -> an ImageSet with its storage folder name
make_upload("x.png", data)                   -> a file as Django's upload handling passes it on
"""

import hashlib
import io
import itertools
import tarfile
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from images.models import ImageSet

_counter = itertools.count(1)


def make_image_bytes(format="png", width=8, height=6, color=(255, 0, 0), mode="RGB", **save_options):
    """An image file of ``format`` ("png", "jpeg", "webp", or any Pillow format name)."""
    pil_format = {"jpg": "JPEG"}.get(format.lower(), format.upper())
    image = PILImage.new(mode, (width, height), color)
    out = io.BytesIO()
    image.save(out, pil_format, **save_options)
    return out.getvalue()


def make_png(width=8, height=6, color=(255, 0, 0)):
    return make_image_bytes("png", width, height, color)


def distinct_pngs(count, width=8, height=6):
    """``count`` different small PNGs."""
    return [make_png(width, height, (index % 256, index // 256 % 256, 7)) for index in range(count)]


def make_zip(entries, *, compression=zipfile.ZIP_DEFLATED):
    """A zip archive of ``entries``: (name, bytes) pairs, (ZipInfo, bytes), or names ending in "/" (folders)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for entry in entries:
            if isinstance(entry, str):
                archive.writestr(zipfile.ZipInfo(entry), b"")
            else:
                name, data = entry
                archive.writestr(name, data)
    return out.getvalue()


def make_tar(entries, *, compression=""):
    """A tar archive (``compression`` "", "gz", "bz2" or "xz") of (name, bytes) pairs and TarInfo objects.

    A TarInfo is added as it is, without data: use it for folders, links and devices, e.g.
    ``tar_member("link.png", tarfile.SYMTYPE, linkname="real.png")``.
    """
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=f"w:{compression}", format=tarfile.PAX_FORMAT) as archive:
        for entry in entries:
            if isinstance(entry, tarfile.TarInfo):
                archive.addfile(entry)
            else:
                name, data = entry
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def tar_member(name, type=tarfile.DIRTYPE, **fields):
    """A data-less tar member: a folder by default, or a link or device with ``type`` and ``linkname``."""
    info = tarfile.TarInfo(name)
    info.type = type
    for key, value in fields.items():
        setattr(info, key, value)
    return info


def make_imageset(team, **fields):
    """An image set of ``team`` (fields as on the model), with its storage folder "<team>_<set>"."""
    fields.setdefault("name", f"set{next(_counter)}")
    fields.setdefault("created_by_team", team)
    image_set = ImageSet.objects.create(team=team, **fields)
    image_set.path = f"{team.pk if team else 0}_{image_set.pk}"
    image_set.save(update_fields=["path"])
    return image_set


def make_upload(name, data, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def add_images(image_set, count=1, *, uploader=None, names=None):
    """Store ``count`` distinct real PNGs in ``image_set`` the way an upload does; returns the Images."""
    from images.ingest import add_image_file
    from images.models import Image

    names = names or [f"image{index:04d}.png" for index in range(count)]
    results = [
        add_image_file(image_set, name=name, fileobj=io.BytesIO(data), uploader=uploader)
        for name, data in zip(names, distinct_pngs(len(names)), strict=True)
    ]
    assert all(result.status == "added" for result in results), results
    return list(Image.objects.filter(pk__in=[result.image_id for result in results]).order_by("name", "id"))


def add_image_rows(image_set, count, *, start=0, with_files=False, with_thumbnails=False):
    """``count`` Image rows named "img<number>.png" without decoding anything: fast, for metadata
    tests. ``with_files`` stores a small stand-in file for each (not a real PNG)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from images.models import Image

    images = []
    for number in range(start, start + count):
        content = f"{image_set.pk}-{number}-{image_set.name}".encode()
        image = Image.objects.create(
            image_set=image_set,
            name=f"img{number:05d}.png",
            filename=f"s{image_set.pk}_{number}.png",
            checksum=hashlib.sha512(content).digest(),
            width=4,
            height=3,
            format="png",
            file_size=len(content),
        )
        if with_files:
            default_storage.save(image.relative_path, ContentFile(content))
        if with_thumbnails:
            default_storage.save(image.thumbnail_path, ContentFile(b"thumb"))
        images.append(image)
    return images
