"""Fixtures of the images tests."""

import pytest


@pytest.fixture
def storage_dir(settings, tmp_path):
    """Point Django's default storage (and ``FS_URL``/``TMP_FS_URL``) at fresh folders; returns the data folder.

    Every test using it sees only the files it stored itself.
    """
    data, tmp = tmp_path / "data", tmp_path / "tmp"
    data.mkdir()
    tmp.mkdir()
    settings.FS_URL = str(data)
    settings.TMP_FS_URL = str(tmp)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(data)}},
    }
    return data
