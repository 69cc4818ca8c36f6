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
