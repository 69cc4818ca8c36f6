"""The container's roles, run here without Docker: the image's steps with the repository's files.

``config/docker-entrypoint.sh`` is run as the image runs it (IMAGETAGGER_APP_DIR and GUNICORN_CONFIG
point at the repository instead of /app), in the Prod configuration, against PostgreSQL:
collectstatic as at build time, ``web`` (gunicorn with config/gunicorn.conf.py), ``migrate`` and
``worker`` (runzipdaemon, which waits for the migrations). PostgreSQL only, like production: on
SQLite these tests are skipped.
"""

import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from base.tests.test_deploy import dockerfile_stages

REPO_DIR = Path(__file__).resolve().parents[3]
ENTRYPOINT = REPO_DIR / "config" / "docker-entrypoint.sh"
HOST = "tagger.example.org"

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (set IT_DB_HOST): the Prod configuration the container runs uses nothing else",
    ),
    # The containers use pytest-django's test database (migrated), through their own connections.
    pytest.mark.django_db,
]


def prod_environment(tmp_path, database_name, **values):
    """The environment of a container: Prod, PostgreSQL, the image's folders under ``tmp_path``."""
    database = connection.settings_dict
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("IT_", "DJANGO_", "GUNICORN_", "PYTHONPATH"))
    }
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
        DJANGO_SETTINGS_MODULE="imagetagger.settings",
        DJANGO_CONFIGURATION="Prod",
        IMAGETAGGER_APP_DIR=str(REPO_DIR),
        GUNICORN_CONFIG=str(REPO_DIR / "config" / "gunicorn.conf.py"),
        IT_SECRET_KEY=secrets.token_urlsafe(50),
        IT_ALLOWED_HOSTS=HOST,
        IT_DB_HOST=database["HOST"],
        IT_DB_PORT=str(database["PORT"] or 5432),
        IT_DB_USER=database["USER"],
        IT_DB_PASSWORD=database["PASSWORD"] or "",
        IT_DB_NAME=database_name,
        IT_FS_URL=str(tmp_path / "data"),
        IT_TMP_FS_URL=str(tmp_path / "tmp"),
        IT_STATIC_ROOT=str(tmp_path / "static"),
    )
    env.update(values)
    return env


def entrypoint(*args, env, timeout=300):
    return subprocess.run(
        [str(ENTRYPOINT), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def start(*args, env, log):
    """Start the entry point in the background, its output going to ``log``."""
    with open(log, "wb") as output:
        return subprocess.Popen([str(ENTRYPOINT), *args], env=env, stdout=output, stderr=subprocess.STDOUT)


def wait_for(condition, process, log, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        if process.poll() is not None:
            pytest.fail(f"exited with {process.returncode} before {what}:\n{Path(log).read_text()}")
        time.sleep(0.3)
    pytest.fail(f"no {what} within {seconds} s:\n{Path(log).read_text()}")


def stop(process, seconds=30):
    """SIGTERM, as Kubernetes and ``docker stop`` send; returns the exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(port, path, headers=None):
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        client.request("GET", path, headers=headers or {})
        response = client.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        client.close()


def answers(port, path):
    try:
        return get(port, path)[0] == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def test_database(django_db_setup):
    """The name of pytest-django's PostgreSQL test database (migrated)."""
    return connection.settings_dict["NAME"]


def dockerfile_collectstatic():
    """The Dockerfile's collectstatic step: its variables and its arguments."""
    (run,) = [arguments for instruction, arguments in dockerfile_stages()[-1] if "collectstatic" in arguments]
    command = re.search(r"((?:IT_\w+=\S+\s+)+)python manage\.py (collectstatic[^&]*)", run)
    assert command, run
    variables = dict(re.findall(r"(IT_\w+)=(\S+)", command.group(1)))
    return variables, command.group(2).split()


@pytest.fixture(scope="module")
def collected(tmp_path_factory, test_database):
    """A folder whose static/ was filled by the Dockerfile's step: collectstatic with Prod's storage
    (hashed, compressed names) and the step's placeholder values, its folders moved here."""
    folder = tmp_path_factory.mktemp("container")
    variables, arguments = dockerfile_collectstatic()
    assert {"IT_SECRET_KEY", "IT_ALLOWED_HOSTS", "IT_DB_HOST"} <= set(variables)
    for name, value in variables.items():
        if value.startswith("/tmp/"):
            variables[name] = str(folder / Path(value).name)
    env = prod_environment(folder, test_database, **variables)
    result = entrypoint("manage.py", *arguments, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (folder / "static" / "staticfiles.json").exists()
    return folder


def test_web_serves_probes_pages_and_static_files(collected, test_database):
    port = free_port()
    env = prod_environment(
        collected, test_database, GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="2", GUNICORN_THREADS="2"
    )
    log = collected / "web.log"
    web = start("web", env=env, log=log)
    try:
        wait_for(lambda: answers(port, "/healthz"), web, log, 90, "answer on /healthz")

        # The probes answer the pod's own address over plain HTTP.
        status, headers, body = get(port, "/healthz")
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        status, headers, body = get(port, "/readyz")
        assert status == 200, body
        assert json.loads(body) == {"status": "ok", "database": "ok", "storage": "ok", "migrations": "ok"}

        https = {"Host": HOST, "X-Forwarded-Proto": "https"}
        # A static file collected at build time, under its hashed name, compressed, cached for good.
        manifest = json.loads((collected / "static" / "staticfiles.json").read_text())["paths"]
        hashed = manifest["vendor/bootstrap/css/bootstrap.min.css"]
        assert hashed != "vendor/bootstrap/css/bootstrap.min.css"
        status, headers, body = get(port, f"/static/{hashed}", {**https, "Accept-Encoding": "gzip"})
        assert status == 200
        assert headers["Content-Type"].startswith("text/css")
        assert headers["Content-Encoding"] == "gzip"
        assert "immutable" in headers["Cache-Control"]

        # Pages: Prod's HTTPS redirect, host check and the page itself from the database.
        status, headers, body = get(port, "/", {**https})
        assert status == 200
        assert b"ImageTagger" in body
        status, headers, _body = get(port, "/", {"Host": HOST})
        assert status == 301
        assert headers["Location"] == f"https://{HOST}/"
        status, _headers, _body = get(port, "/", {"Host": "elsewhere.example", "X-Forwarded-Proto": "https"})
        assert status == 400
    finally:
        returncode = stop(web)
    output = log.read_text()
    # The configuration's processes and threads, and a clean stop on SIGTERM.
    assert output.count("Booting worker") >= 2, output
    assert "gthread" in output, output
    assert returncode == 0, output


@pytest.fixture
def empty_database(test_database):
    """A new, empty PostgreSQL database beside the test database (dropped afterwards)."""
    name = f"{test_database}_entrypoint"[:63]
    database = connection.settings_dict
    admin = psycopg.connect(
        host=database["HOST"],
        port=database["PORT"] or 5432,
        user=database["USER"],
        password=database["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield name
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_worker_waits_for_the_migration_job_then_runs(tmp_path, empty_database):
    env = prod_environment(tmp_path, empty_database, WAIT_INTERVAL="1")
    log = tmp_path / "worker.log"
    worker = start("worker", env=env, log=log)
    try:
        # A fresh database (as on a first install, or an upgrade before the job ran): it waits, saying why.
        wait_for(lambda: "Waiting for the database migrations" in log.read_text(), worker, log, 120, "wait message")
        assert worker.poll() is None

        migrated = entrypoint("migrate", env=env, timeout=600)
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        assert "Applying users.0001_initial... OK" in migrated.stdout

        wait_for(lambda: "Starting worker" in log.read_text(), worker, log, 120, "worker start")
        assert "Every migration is applied." in log.read_text()
    finally:
        returncode = stop(worker)
    assert returncode == 0, log.read_text()

    # Running the job again (every upgrade does) changes nothing.
    again = entrypoint("migrate", env=env)
    assert again.returncode == 0, again.stderr
    assert "No migrations to apply." in again.stdout


def test_migrate_says_what_is_missing_in_prod(tmp_path, test_database):
    env = prod_environment(tmp_path, test_database)
    del env["IT_SECRET_KEY"]
    result = entrypoint("migrate", env=env)
    assert result.returncode != 0
    assert "IT_SECRET_KEY" in result.stderr


def test_manage_py_role_runs_management_commands(tmp_path, test_database):
    result = entrypoint("manage.py", "check", env=prod_environment(tmp_path, test_database))
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_healthcheck_role_passes_outside_a_web_container(tmp_path, test_database):
    # Here process 1 is no gunicorn (as in a worker container): nothing to probe, healthy.
    result = entrypoint("healthcheck", env=prod_environment(tmp_path, test_database))
    assert result.returncode == 0, result.stderr
