"""Fixtures shared by every test: users, teams and logged-in clients."""

import itertools

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from users.models import Team, TeamMembership

_counter = itertools.count(1)
PASSWORD = "a-Long-test-password-7"


@pytest.fixture
def make_user(db):
    """``make_user("alice", is_staff=True)``; the password is ``conftest.PASSWORD``."""

    def make(username=None, *, password=PASSWORD, **fields):
        username = username or f"user{next(_counter)}"
        fields.setdefault("email", f"{username}@example.org")
        return get_user_model().objects.create_user(username=username, password=password, **fields)

    return make


@pytest.fixture
def make_team(db):
    """``make_team("Robots", admins=[alice], members=[bob])``."""

    def make(name=None, *, admins=(), members=()):
        team = Team.objects.create(name=name or f"team{next(_counter)}")
        for user in admins:
            TeamMembership.objects.create(team=team, user=user, is_admin=True)
        for user in members:
            TeamMembership.objects.create(team=team, user=user, is_admin=False)
        return team

    return make


@pytest.fixture
def client_for(client):
    """``client_for(user)``: a Django test client logged in as ``user`` (a fresh one each call)."""
    from django.test import Client

    def make(user):
        new_client = Client()
        new_client.force_login(user)
        return new_client

    return make


@pytest.fixture
def api_for():
    """``api_for(user)``: a DRF APIClient authenticated as ``user`` (session-less, CSRF-free)."""

    def make(user=None):
        api = APIClient()
        if user is not None:
            api.force_authenticate(user)
        return api

    return make


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "storages(*backends): run the test once per storage backend ('filesystem', 's3'); see storage_dir",
    )


def pytest_generate_tests(metafunc):
    """Tests (or modules) marked ``storages("filesystem", "s3")`` that use ``storage_dir`` run once per backend."""
    marker = metafunc.definition.get_closest_marker("storages")
    if marker is not None and "storage_backend" in metafunc.fixturenames:
        metafunc.parametrize("storage_backend", marker.args, indirect=True)


@pytest.fixture
def storage_backend(request):
    """The backend ``storage_dir`` sets up: "filesystem", or "s3" under the marker ``storages``."""
    return getattr(request, "param", "filesystem")


@pytest.fixture(scope="session")
def s3_server():
    """A local S3-compatible server (moto's server mode) with an empty bucket, for the whole session."""
    from base.tests.s3 import LocalS3

    server = LocalS3()
    yield server
    server.stop()


@pytest.fixture
def storage_dir(settings, tmp_path, storage_backend, request):
    """Point Django's default storage (and ``FS_URL``/``TMP_FS_URL``) at fresh folders; returns the data folder.

    Every test using it sees only the files it stored itself. With ``storage_backend`` "s3" the
    default storage is a fresh key prefix in the bucket of ``s3_server`` instead (the folders stay,
    for the database and scratch files); ``storage_environment`` gives the variables for a worker.
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
    if storage_backend == "s3":
        from base.tests.s3 import new_prefix

        server, prefix = request.getfixturevalue("s3_server"), new_prefix()
        settings.STORAGE = "s3"
        settings.STORAGES = {**settings.STORAGES, "default": server.storage_settings(prefix)}
        yield data
        server.clear(prefix)
        return
    yield data


@pytest.fixture
def storage_environment(storage_dir, storage_backend, settings, request):
    """The ``IT_*`` variables that give a subprocess (a worker) the storage of ``storage_dir``."""
    if storage_backend != "s3":
        return {"IT_STORAGE": "filesystem", "IT_FS_URL": str(storage_dir)}
    prefix = settings.STORAGES["default"]["OPTIONS"]["location"]
    return {"IT_FS_URL": str(storage_dir), **request.getfixturevalue("s3_server").environment(prefix)}
