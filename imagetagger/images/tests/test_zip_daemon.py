"""Real ``manage.py runzipdaemon`` processes against the test database.

Both the test and the daemons must see the same committed data, so these tests run outside the
usual per-test transaction (``transaction=True``). On PostgreSQL (CI) the daemons connect to the test
database; on SQLite the test switches its own connection to a migrated database file in the
test's data folder (``<IT_FS_URL>/imagetagger.sqlite3``), which is where the daemons look for it.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pytest
from django.db import connection, connections
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper

from base.tests.s3 import fetched
from images import zips
from images.models import ImageSet

from .zip_helpers import add_image, archive_entries, expected_entries, image_bytes, make_set

PROJECT_DIR = Path(__file__).resolve().parents[2]  # the folder holding manage.py

pytestmark = pytest.mark.django_db(transaction=True)


def daemon_environment(tmp_root, storage_environment):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "imagetagger.settings",
        "DJANGO_CONFIGURATION": "Test",
        "IT_FS_URL": str(Path(tmp_root) / "data"),
        "IT_TMP_FS_URL": str(Path(tmp_root) / "tmp"),
        "IT_ENABLE_ZIP_DOWNLOAD": "true",
        "IT_LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
        **storage_environment,
    }
    if connection.vendor == "postgresql":
        settings_dict = connection.settings_dict
        env.update(
            IT_DB_HOST=str(settings_dict["HOST"]),
            IT_DB_PORT=str(settings_dict["PORT"] or 5432),
            IT_DB_NAME=settings_dict["NAME"],  # the test database
            IT_DB_USER=str(settings_dict["USER"]),
            IT_DB_PASSWORD=str(settings_dict["PASSWORD"] or ""),
        )
    else:
        env.pop("IT_DB_HOST", None)
    return env


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite database file, made once per module by ``manage.py migrate``."""
    folder = tmp_path_factory.mktemp("zip-daemon-template")
    env = {**os.environ, "DJANGO_CONFIGURATION": "Test", "IT_FS_URL": str(folder), "IT_TMP_FS_URL": str(folder)}
    env.pop("IT_DB_HOST", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=PROJECT_DIR, env=env, check=True, timeout=120
    )
    return folder / "imagetagger.sqlite3"


@pytest.fixture
def shared_db(request, tmp_path, settings, storage_dir, storage_environment):
    """Storage and database shared with daemon processes; returns their environment."""
    assert storage_dir == tmp_path / "data"
    settings.ENABLE_ZIP_DOWNLOAD = True
    settings.USE_NGINX_IMAGE_PROVISION = False
    if connection.vendor == "postgresql":
        yield daemon_environment(tmp_path, storage_environment)
        return
    template = request.getfixturevalue("sqlite_template")
    database = tmp_path / "data" / "imagetagger.sqlite3"
    shutil.copyfile(template, database)
    original = connections["default"]
    shared = SQLiteWrapper({**original.settings_dict, "NAME": str(database)}, "default")
    connections["default"] = shared
    try:
        yield daemon_environment(tmp_path, storage_environment)
    finally:
        shared.close()
        connections["default"] = original


class Daemons:
    """Start ``manage.py runzipdaemon`` processes; stop them (SIGTERM) and keep their logs."""

    def __init__(self, env, folder):
        self.env = env
        self.folder = folder
        self.processes = []

    def start(self, count=1):
        for _ in range(count):
            self.spawn(
                [
                    "manage.py",
                    "runzipdaemon",
                    "--interval",
                    "0.1",
                    "--sweep-interval",
                    "1",
                    "--no-startup-delay",
                    "--no-reload",
                    "--verbosity",
                    "1",
                ],
                f"daemon-{len(self.processes)}.log",
            )

    def spawn(self, arguments, log_name):
        """Run ``python <arguments>`` in the project folder, its output going to ``log_name``."""
        log = open(self.folder / log_name, "w+")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, *arguments], cwd=PROJECT_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self.processes.append((process, log))

    def wait_until_started(self, timeout=20):
        def started():
            return all("Starting worker" in text for text in self.logs())

        wait_for(started, timeout, "the daemons to start", self)

    def stop(self):
        codes = []
        for process, _ in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, _ in self.processes:
            try:
                codes.append(process.wait(timeout=15))
            except subprocess.TimeoutExpired:
                process.kill()
                codes.append(process.wait())
        return codes

    def logs(self):
        texts = []
        for _, log in self.processes:
            log.flush()
            log.seek(0)
            texts.append(log.read())
        return texts

    def close(self):
        self.stop()
        for _, log in self.processes:
            log.close()


@pytest.fixture
def daemons(shared_db, tmp_path):
    running = Daemons(shared_db, tmp_path)
    yield running
    running.close()


def wait_for(condition, timeout, what, daemons=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    logs = "\n".join(daemons.logs()) if daemons else ""
    pytest.fail(f"timed out after {timeout} s waiting for {what}\n{logs}")


def downloaded(client, image_set):
    """The archive the client downloads (from the bucket when the site redirects there), or None."""
    status, _headers, data = fetched(client.get(f"/images/imageset/{image_set.pk}/download/"))
    return data if status == 200 else None


LOG_LINE = re.compile(
    r"^(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) INFO images\.zips: "
    r"(?:(?P<start>Building)|(?P<end>Wrote)) the zip of image set (?P<set>\d+) .* as (?P<owner>\S+)$"
)


def build_intervals(logs):
    """``{set id: [(start, end, owner), …]}`` from the daemons' logs (claim … archive written)."""
    starts, intervals = {}, defaultdict(list)
    for text in logs:
        for line in text.splitlines():
            match = LOG_LINE.match(line)
            if not match:
                continue
            at = datetime.strptime(match["at"], "%Y-%m-%d %H:%M:%S,%f")
            key = (int(match["set"]), match["owner"])
            if match["start"]:
                starts[key] = at
            else:
                intervals[key[0]].append((starts.pop(key), at, key[1]))
    assert not starts, f"builds that never finished: {starts}"
    return intervals


@pytest.mark.storages("filesystem", "s3")  # the daemon gets the bucket through IT_STORAGE=s3 and IT_S3_*
def test_a_daemon_process_builds_the_archive_202_then_ready(daemons, make_user, make_team, client_for):
    ada = make_user("ada")
    image_set = make_set(make_team("Robots", admins=[ada]), ada)
    client = client_for(ada)
    assert client.get(f"/images/imageset/{image_set.pk}/download/").status_code == 204
    for number in range(3):
        add_image(image_set, f"img{number}.png", image_bytes(number, 50_000))

    assert client.get(f"/images/imageset/{image_set.pk}/download/").status_code == 202
    daemons.start()
    data = wait_for(lambda: downloaded(client, image_set), 20, "the archive", daemons)
    assert archive_entries(data)[0] == expected_entries(image_set)

    # A change makes the archive stale at once; the daemon rebuilds it.
    add_image(image_set, "img3.png", image_bytes(3, 50_000))
    assert client.get(f"/images/imageset/{image_set.pk}/download/").status_code == 202
    data = wait_for(lambda: downloaded(client, image_set), 20, "the rebuilt archive", daemons)
    entries = archive_entries(data)[0]
    assert sorted(entries) == ["img0.png", "img1.png", "img2.png", "img3.png"]
    assert entries == expected_entries(image_set)

    assert daemons.stop() == [0]


def test_two_daemons_racing_on_several_sets(daemons, make_user, make_team, client_for):
    ada = make_user("ada")
    team = make_team("Robots", admins=[ada])
    sets = [make_set(team, ada, f"set{number}") for number in range(6)]
    daemons.start(2)
    daemons.wait_until_started()

    # Uploads arrive while both daemons poll the queue; each set is asked for several times at once.
    for image_set in sets:
        for number in range(8):
            add_image(image_set, f"img{number}.png", image_bytes(f"{image_set.pk}/{number}", 300_000))
        for _ in range(3):
            zips.build_zip.enqueue(image_set.pk)

    def ready_sets():
        return [s for s in ImageSet.objects.filter(pk__in=[s.pk for s in sets]) if zips.is_ready(s)]

    # More changes while some archives are built and others are not yet: none may be lost.
    wait_for(lambda: len(ready_sets()) >= 1, 20, "a first archive", daemons)
    for image_set in sets[::2]:
        add_image(image_set, "late.png", image_bytes(f"{image_set.pk}/late", 300_000))
    wait_for(lambda: len(ready_sets()) == len(sets), 20, "every archive", daemons)
    assert daemons.stop() == [0, 0]

    client = client_for(ada)
    for image_set in sets:
        entries = archive_entries(downloaded(client, image_set))[0]
        assert entries == expected_entries(image_set)
        assert ("late.png" in entries) == (image_set in sets[::2])
        assert ImageSet.objects.get(pk=image_set.pk).zip_lease_owner == ""

    # No set was ever built by two daemons at once.
    intervals = build_intervals(daemons.logs())
    assert set(intervals) == {image_set.pk for image_set in sets}
    for set_id, builds in intervals.items():
        builds.sort()
        for (_, end, owner), (start, _, other) in zip(builds, builds[1:], strict=False):
            assert end <= start, f"set {set_id} was built by {owner} and {other} at the same time"
