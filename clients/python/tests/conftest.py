"""Fixtures of the client's tests: a site with data (pytest-django's database and live server, a
fresh data folder), a user with an API token, and generated pictures."""

import pytest


@pytest.fixture
def data_dir(settings, tmp_path):
    """Django's default storage in a fresh folder (as the site's own tests do)."""
    data, scratch = tmp_path / "data", tmp_path / "tmp"
    data.mkdir()
    scratch.mkdir()
    settings.FS_URL, settings.TMP_FS_URL = str(data), str(scratch)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(data)}},
    }
    return data


@pytest.fixture
def site(data_dir, live_server):
    """A team "Robots" with ada (admin, with an API token) and an outsider otto (token too)."""
    from django.contrib.auth import get_user_model

    from users.models import Team, TeamMembership
    from users.services import create_api_token

    users = get_user_model().objects
    ada = users.create_user("ada", email="ada@example.org", password="pw-ada-12345")
    otto = users.create_user("otto", email="otto@example.org", password="pw-otto-12345")
    team = Team.objects.create(name="Robots")
    TeamMembership.objects.create(team=team, user=ada, is_admin=True)
    return {
        "url": live_server.url,
        "ada": ada,
        "otto": otto,
        "team": team,
        "token": create_api_token(user=ada, name="client tests")[1],
        "otto_token": create_api_token(user=otto, name="client tests")[1],
    }
