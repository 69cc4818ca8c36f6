"""Helpers of the zip archive tests (test_zips.py and test_zip_daemon.py)."""

import hashlib
import io
import uuid
import zipfile

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from images import services
from images.models import Image, ImageSet


def make_set(team, creator, name="field", **fields):
    image_set = ImageSet.objects.create(name=name, team=team, creator=creator, **fields)
    image_set.path = f"{team.pk if team else 0}_{image_set.pk}"
    image_set.save(update_fields=["path"])
    return image_set


def image_bytes(seed, size=2048):
    """Deterministic, distinct, incompressible-looking bytes (a zip entry is stored as is anyway)."""
    block = hashlib.sha512(str(seed).encode()).digest()
    return (block * (size // len(block) + 1))[:size]


def add_image(image_set, name, data=None, *, changed=True):
    """Store a file and its Image row, and record the content change as the upload code does."""
    data = image_bytes(f"{image_set.pk}/{name}/{uuid.uuid4()}") if data is None else data
    filename = f"{uuid.uuid4().hex}.png"
    with transaction.atomic():
        stored = default_storage.save(f"{image_set.image_folder()}/{filename}", ContentFile(data))
        assert stored.endswith(filename)
        image = Image.objects.create(
            image_set=image_set,
            name=name,
            filename=filename,
            checksum=hashlib.sha512(data).digest(),
            width=1,
            height=1,
            format="png",
            file_size=len(data),
        )
        if changed:
            services.content_changed(image_set.pk)
    return image, data


def archive_entries(data_or_name):
    """``{entry name: bytes}`` and the ZipInfo list of an archive (bytes or a storage name)."""
    if isinstance(data_or_name, bytes):
        source = io.BytesIO(data_or_name)
    else:
        with default_storage.open(data_or_name, "rb") as stored:
            source = io.BytesIO(stored.read())
    with zipfile.ZipFile(source) as archive:
        infos = archive.infolist()
        return {info.filename: archive.read(info) for info in infos}, infos


def expected_entries(image_set):
    """What the archive of ``image_set`` must hold: every image's bytes, by unique entry name."""
    from images.zips import entry_names

    images = sorted(image_set.images.all(), key=lambda image: (image.name, image.pk))
    names = entry_names([image.name for image in images])
    result = {}
    for image, name in zip(images, names, strict=True):
        with default_storage.open(image.relative_path, "rb") as stored:
            result[name] = stored.read()
    return result


def zip_files_in(image_set):
    try:
        _folders, names = default_storage.listdir(image_set.image_folder())
    except FileNotFoundError:
        return []
    return sorted(name for name in names if ".zip" in name)
