"""The probes: /healthz (liveness) and /readyz (readiness), answered before the host and HTTPS checks."""

import contextlib

import pytest
from django.conf import settings
from django.db import OperationalError, connection, connections
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext


def storages_at(location):
    return {**settings.STORAGES, "default": {**settings.STORAGES["default"], "OPTIONS": {"location": str(location)}}}


@contextlib.contextmanager
def database_outage(monkeypatch):
    """Every new cursor fails as when the database went away; the views' own code runs unchanged."""

    def outage(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(type(connections["default"]), "cursor", outage)
        yield


# --- /healthz ---------------------------------------------------------------------------------


def test_healthz_answers_without_touching_database_or_storage(client, db):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert len(queries) == 0


def test_healthz_stays_ok_during_a_database_outage(client, db, monkeypatch, tmp_path):
    # A liveness probe that failed here would make Kubernetes restart every healthy web pod.
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with database_outage(monkeypatch), override_settings(STORAGES=storages_at(blocker / "data")):
        response = client.get("/healthz")
    assert response.status_code == 200


def test_healthz_is_read_only(client, db):
    assert client.post("/healthz").status_code == 405


# --- /readyz ----------------------------------------------------------------------------------


def test_readyz_reports_ok(client, db, tmp_path):
    with override_settings(STORAGES=storages_at(tmp_path)):
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "storage": "ok", "migrations": "ok"}
    assert "no-cache" in response["Cache-Control"]
    # The probe cleans up after itself.
    assert list(tmp_path.iterdir()) == []


def test_readyz_needs_no_login(db, tmp_path):
    with override_settings(STORAGES=storages_at(tmp_path)):
        assert Client().get("/readyz").status_code == 200


def test_readyz_reports_broken_storage(client, db, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where the data folder should be")
    with override_settings(STORAGES=storages_at(blocker / "data")):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "ok"
    assert body["migrations"] == "ok"
    assert body["storage"].startswith("error: ")


def test_readyz_reports_a_database_outage(client, db, monkeypatch, tmp_path):
    with database_outage(monkeypatch), override_settings(STORAGES=storages_at(tmp_path)):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "error: OperationalError",
        "storage": "ok",
        "migrations": "error: OperationalError",
    }


def test_readyz_names_unapplied_migrations(client, db, tmp_path):
    # As right after an upgrade, before the migration job has run: the newest migration of two apps
    # is not recorded as applied.
    recorder = MigrationRecorder(connection)
    applied = recorder.migration_qs
    latest = {}
    for app in ("users", "images"):
        latest[app] = applied.filter(app=app).order_by("-applied", "-id").first().name
        applied.filter(app=app, name=latest[app]).delete()
    with override_settings(STORAGES=storages_at(tmp_path)):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["storage"] == "ok"
    assert body["migrations"].startswith("error: ")
    assert f"users.{latest['users']}" in body["migrations"]
    assert f"images.{latest['images']}" in body["migrations"]


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
@override_settings(ALLOWED_HOSTS=["tagger.example.org"], SECURE_SSL_REDIRECT=True)
def test_probes_answer_the_pod_address_over_plain_http(db, tmp_path, path):
    # Kubernetes probes http://<pod IP>:8000/...: neither an allowed host nor HTTPS.
    with override_settings(STORAGES=storages_at(tmp_path)):
        response = Client().get(path, HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200
    # Any other page on that address is refused (the probes are the exception, not the rule).
    refused = Client(raise_request_exception=False).get("/", HTTP_HOST="10.1.2.3:8000")
    assert refused.status_code == 400


def test_readyz_is_read_only(client, db):
    assert client.post("/readyz").status_code == 405
