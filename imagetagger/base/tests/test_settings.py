"""The configurations (Dev, Prod, custom classes), IT_* environment values and the system checks.

Settings are read once per process, so most of these tests run ``manage.py`` in a subprocess with a
controlled environment.
"""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.checks import Error, Warning
from django.test import override_settings

from base.checks import check_download_base_url, check_storage_writable

PROJECT_DIR = Path(__file__).resolve().parents[2]  # the folder holding manage.py
REQUIRED = ("IT_SECRET_KEY", "IT_ALLOWED_HOSTS", "IT_DB_HOST")
MARKER = "SETTINGS-JSON:"

# Printed by ``manage.py shell -c`` in the subprocess.
PRINT_SETTINGS = f"""
import json
from django.conf import settings
db = settings.DATABASES["default"]
print({MARKER!r} + json.dumps({{
    "configuration": settings.CONFIGURATION,
    "engine": db["ENGINE"],
    "name": db["NAME"],
    "host": db.get("HOST"),
    "port": db.get("PORT"),
    "user": db.get("USER"),
    "db_options": db.get("OPTIONS"),
    "debug": settings.DEBUG,
    "allowed_hosts": settings.ALLOWED_HOSTS,
    "time_zone": settings.TIME_ZONE,
    "image_extension": settings.IMAGE_EXTENSION,
    "use_imprint": settings.USE_IMPRINT,
    "imprint_url": settings.IMPRINT_URL,
    "site_name": settings.SITE_NAME,
    "autocomplete_limit": settings.AUTOCOMPLETE_LIMIT,
    "storage": settings.STORAGES["default"]["OPTIONS"]["location"],
    "email_backend": settings.EMAIL_BACKEND,
}}))
"""


def environment(tmp_path, **values):
    """This process's environment without any IT_*/DJANGO_* variable, plus ``values``.

    The data folders always point into ``tmp_path`` so that no test touches the developer's data.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("IT_", "DJANGO_")) and name != "PYTHONPATH"
    }
    env["IT_FS_URL"] = str(tmp_path / "data")
    env["IT_TMP_FS_URL"] = str(tmp_path / "tmp")
    env.update(values)
    return env


def run(args, env):
    return subprocess.run(
        [sys.executable, *args], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def manage(*args, env):
    return run(["manage.py", *args], env)


def printed_settings(env):
    result = manage("shell", "-c", PRINT_SETTINGS, env=env)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith(MARKER))
    return json.loads(line.removeprefix(MARKER))


def production_environment(tmp_path, **values):
    """The documented minimal production configuration."""
    production = {
        "DJANGO_CONFIGURATION": "Prod",
        "IT_SECRET_KEY": secrets.token_urlsafe(64),
        "IT_ALLOWED_HOSTS": "tagger.example.org",
        "IT_DB_HOST": "127.0.0.1",
        "IT_DB_USER": "postgres",
        "IT_DOWNLOAD_BASE_URL": "https://tagger.example.org",
    }
    return environment(tmp_path, **{**production, **values})


def missing_names(stderr):
    """The variable names the Prod configuration says are missing."""
    match = re.search(r"which are not set: ([A-Z_, ]+)\.", stderr)
    assert match, stderr
    return {name.strip() for name in match.group(1).split(",")}


# --- Prod refuses to start without its required variables -----------------------------------


def test_prod_without_required_variables_names_each_of_them(tmp_path):
    result = manage("check", env=environment(tmp_path, DJANGO_CONFIGURATION="Prod"))
    assert result.returncode != 0
    assert missing_names(result.stderr) == set(REQUIRED)
    assert "Minimal production configuration" in result.stderr


@pytest.mark.parametrize("missing", REQUIRED)
def test_prod_names_the_one_missing_variable(tmp_path, missing):
    env = production_environment(tmp_path)
    del env[missing]
    result = manage("migrate", "--check", env=env)
    assert result.returncode != 0
    assert missing_names(result.stderr) == {missing}


def test_empty_value_counts_as_missing(tmp_path):
    result = manage("check", env=production_environment(tmp_path, IT_SECRET_KEY=""))
    assert result.returncode != 0
    assert missing_names(result.stderr) == {"IT_SECRET_KEY"}


def test_wsgi_entry_point_uses_prod(tmp_path):
    # No DJANGO_CONFIGURATION: the WSGI module (gunicorn, the container) picks Prod by itself.
    result = run(["-c", "import imagetagger.wsgi"], environment(tmp_path))
    assert result.returncode != 0
    assert missing_names(result.stderr) == set(REQUIRED)


def test_loading_the_wsgi_module_loads_every_view(tmp_path):
    """gunicorn forks its workers after loading the WSGI module (preload_app): what it loads, a new
    or recycled worker need not load on its first request (half a second before)."""
    code = (
        "import sys, imagetagger.wsgi; "
        "print(sorted(name for name in ('annotations.api', 'images.api', 'assist.api') if name in sys.modules))"
    )
    result = run(["-c", code], environment(tmp_path, DJANGO_CONFIGURATION="Dev"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "['annotations.api', 'assist.api', 'images.api']"


def test_prod_deploy_check_is_clean(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_environment(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr.upper()
    assert (tmp_path / "data").is_dir()


# --- Dev: the database follows IT_DB_HOST; IT_* values override the defaults ------------------


def test_dev_is_the_default_and_uses_sqlite_under_the_data_folder(tmp_path):
    # No DJANGO_CONFIGURATION: manage.py picks Dev.
    values = printed_settings(environment(tmp_path))
    assert values["configuration"] == "imagetagger.settings.Dev"
    assert values["engine"] == "django.db.backends.sqlite3"
    assert Path(values["name"]).parent == tmp_path / "data"
    assert values["storage"] == str(tmp_path / "data")
    # The defaults.
    assert values["debug"] is True
    assert values["time_zone"] == "Europe/Berlin"
    assert values["image_extension"] == ["png", "jpeg"]
    assert values["use_imprint"] is False
    assert values["imprint_url"] is None
    assert values["email_backend"] == "django.core.mail.backends.console.EmailBackend"
    # The data folders are made on start.
    assert (tmp_path / "data").is_dir()
    assert (tmp_path / "tmp").is_dir()


def test_dev_uses_postgresql_and_environment_values(tmp_path):
    env = environment(
        tmp_path,
        DJANGO_CONFIGURATION="Dev",
        IT_DB_HOST="db.example.org",
        IT_DB_PORT="6543",
        IT_DB_NAME="tagger",
        IT_DB_USER="tagger-user",
        IT_DEBUG="false",
        IT_ALLOWED_HOSTS="a.example.org,b.example.org",
        IT_TIME_ZONE="UTC",
        IT_IMAGE_EXTENSION="png,jpeg,webp",
        IT_USE_IMPRINT="true",
        IT_IMPRINT_URL="https://example.org/imprint",
    )
    values = printed_settings(env)
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["host"] == "db.example.org"
    assert values["port"] == 6543
    assert values["name"] == "tagger"
    assert values["user"] == "tagger-user"
    assert values["db_options"] == {"prepare_threshold": 5}  # prepared statements (base/prepared.py)
    assert values["debug"] is False
    assert values["allowed_hosts"] == ["a.example.org", "b.example.org"]
    assert values["time_zone"] == "UTC"
    assert values["image_extension"] == ["png", "jpeg", "webp"]
    assert values["use_imprint"] is True
    assert values["imprint_url"] == "https://example.org/imprint"


def test_prepared_statements_can_be_turned_off_for_a_pooler(tmp_path):
    env = environment(tmp_path, DJANGO_CONFIGURATION="Dev", IT_DB_HOST="db.example.org")
    values = printed_settings({**env, "IT_DB_PREPARED_STATEMENTS": "false"})
    assert values["db_options"] == {}  # Django's default: nothing prepared


def test_invalid_environment_value_is_refused(tmp_path):
    result = manage("check", env=environment(tmp_path, IT_DB_PORT="not-a-port"))
    assert result.returncode != 0
    assert "IT_DB_PORT: Cannot interpret value 'not-a-port'" in result.stderr


# --- a custom configuration class, as the README describes ------------------------------------


def test_custom_settings_module(tmp_path):
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "tagger_local.py").write_text(
        "from imagetagger.settings import Dev\n"
        "\n"
        "\n"
        "class Custom(Dev):\n"
        '    SITE_NAME = "Robot Vision Tagger"\n'
        "    AUTOCOMPLETE_LIMIT = 3\n"
    )
    env = environment(
        tmp_path,
        PYTHONPATH=str(folder),
        DJANGO_SETTINGS_MODULE="tagger_local",
        DJANGO_CONFIGURATION="Custom",
        IT_TIME_ZONE="America/New_York",
    )
    values = printed_settings(env)
    assert values["configuration"] == "tagger_local.Custom"
    assert values["site_name"] == "Robot Vision Tagger"
    assert values["autocomplete_limit"] == 3
    # Everything else is inherited, environment values included.
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["time_zone"] == "America/New_York"


# --- the Test configuration and the system checks (in this process) ---------------------------


def test_tests_use_their_own_data_folder():
    assert settings.CONFIGURATION == "imagetagger.settings.Test"
    repository_data = Path(__file__).resolve().parents[3] / "data"
    assert Path(settings.FS_URL) != repository_data
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"


def test_storage_check_passes_on_a_writable_folder(tmp_path):
    storages = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": str(tmp_path)}},
    }
    with override_settings(STORAGES=storages):
        assert check_storage_writable(None) == []
    assert list(tmp_path.iterdir()) == []


def test_storage_check_reports_an_unwritable_folder(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    storages = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": str(blocker / "data")}},
    }
    with override_settings(STORAGES=storages):
        errors = check_storage_writable(None)
    assert len(errors) == 1
    assert isinstance(errors[0], Error)
    assert errors[0].id == "imagetagger.E001"
    assert "IT_FS_URL" in errors[0].hint


def test_download_base_url_check():
    with override_settings(DOWNLOAD_BASE_URL=""):
        warnings = check_download_base_url(None)
    assert [(type(warning), warning.id) for warning in warnings] == [(Warning, "imagetagger.W001")]
    with override_settings(DOWNLOAD_BASE_URL="https://tagger.example.org"):
        assert check_download_base_url(None) == []
