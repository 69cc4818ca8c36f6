"""A built set archive is a valid zip for Info-ZIP's ``unzip -t`` and for Python's zipfile: every entry
stored (JPEG/PNG do not deflate), CRCs right, contents equal to the images, also with entries larger
than the copy buffer and empty files."""

import shutil
import subprocess
import zipfile

import pytest
from django.core.files.storage import default_storage

from images import zips
from images.models import ImageSet

from .zip_helpers import add_image, archive_entries, expected_entries, image_bytes, make_set

pytestmark = [pytest.mark.django_db, pytest.mark.storages("filesystem", "s3")]


@pytest.fixture(autouse=True)
def storage(settings, storage_dir):
    settings.ENABLE_ZIP_DOWNLOAD = True
    return storage_dir


def test_a_built_archive_passes_unzip_t_and_zipfile(make_user, make_team, tmp_path):
    user = make_user()
    image_set = make_set(make_team(admins=[user]), user, "valid")
    add_image(image_set, "big.jpg", image_bytes("big", zips.COPY_CHUNK * 2 + 17))  # several buffers
    add_image(image_set, "exact.png", image_bytes("exact", zips.COPY_CHUNK))
    add_image(image_set, "Big.JPG", image_bytes("Big", 5))  # a case-insensitive duplicate
    add_image(image_set, "day1/a.png", image_bytes("a", 1000))
    add_image(image_set, "tiny.png", image_bytes("t", 1))

    assert zips.build_zip.call(image_set.pk)["result"] == "built"

    image_set = ImageSet.objects.get(pk=image_set.pk)
    entries, infos = archive_entries(image_set.zip_file)
    assert entries == expected_entries(image_set)
    assert {info.compress_type for info in infos} == {zipfile.ZIP_STORED}
    local = tmp_path / "set.zip"
    with default_storage.open(image_set.zip_file, "rb") as stored, open(local, "wb") as out:
        shutil.copyfileobj(stored, out)
    assert local.stat().st_size == image_set.zip_size
    with zipfile.ZipFile(local) as archive:
        assert archive.testzip() is None
    if shutil.which("unzip"):
        checked = subprocess.run(["unzip", "-t", str(local)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "No errors detected" in checked.stdout
