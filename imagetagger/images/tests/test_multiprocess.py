"""Acceptance: two web servers (gunicorn) and two ``runzipdaemon`` workers on one PostgreSQL database.

Scripts upload images to several sets at once through both servers alternately; every archive must
then hold exactly the uploaded bytes, every build job must have run exactly once, no archive may
have been built twice and no set's version left unbuilt. The servers share one Prometheus multiprocess
folder, so a scrape of either counts the uploads of both. PostgreSQL only (as in production).
"""

import re
import socket
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection
from django_tasks_db.models import DBTaskResult
from prometheus_client.parser import text_string_to_metric_families

from images import zips
from images.models import ImageSet
from users.services import create_api_token

from .factories import distinct_pngs
from .test_zip_daemon import Daemons, shared_db, sqlite_template, wait_for  # noqa: F401
from .zip_helpers import archive_entries, make_set

pytestmark = pytest.mark.django_db(transaction=True)

METRICS_TOKEN = "acceptance-metrics-token"
SETS = 4
ROUNDS = 3
PER_UPLOAD = 2
BUILDING = re.compile(r"Building the zip of image set (?P<set>\d+) \(version (?P<version>\d+),")
WROTE = re.compile(r"Wrote the zip of image set (?P<set>\d+) \(version (?P<version>\d+)\): (?P<entries>\d+) entries")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class WebServers(Daemons):
    """gunicorn processes serving the site from the test database; stopped (SIGTERM) like the daemons."""

    def __init__(self, env, folder):
        super().__init__(env, folder)
        self.urls = []

    def start(self, count):
        for number in range(count):
            port = free_port()
            self.spawn(
                [
                    "-m",
                    "gunicorn",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "1",
                    "--threads",
                    "4",
                    "--worker-class",
                    "gthread",
                    "imagetagger.wsgi",
                ],
                f"web-{number}.log",
            )
            self.urls.append(f"http://127.0.0.1:{port}")
        for url in self.urls:
            wait_for(lambda url=url: self._answers(url), 60, f"the web server at {url}", self)

    @staticmethod
    def _answers(url):
        try:
            return requests.get(f"{url}/healthz", timeout=10).status_code == 200
        except requests.RequestException:
            return False


@pytest.fixture
def cluster(request, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the multi-process acceptance test runs on PostgreSQL (set IT_DB_HOST)")
    env = request.getfixturevalue("shared_db")
    metrics_folder = tmp_path / "prometheus"
    metrics_folder.mkdir()
    web_env = {
        **env,
        "DJANGO_CONFIGURATION": "Test",
        "IT_METRICS_TOKEN": METRICS_TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_folder),
    }
    web, daemons = WebServers(web_env, tmp_path), Daemons(env, tmp_path)
    try:
        yield web, daemons
    finally:
        daemons.close()
        web.close()


def test_two_servers_and_two_workers_build_every_archive_once(cluster, make_user, make_team):
    web, daemons = cluster
    ada = make_user("ada")
    team = make_team("Robots", admins=[ada])
    sets = [make_set(team, ada, f"set{number}") for number in range(SETS)]
    _, key = create_api_token(user=ada, name="acceptance")
    headers = {"Authorization": f"Token {key}"}

    daemons.start(2)
    web.start(2)
    daemons.wait_until_started()

    pngs = iter(distinct_pngs(SETS * ROUNDS * PER_UPLOAD))
    uploaded = {image_set.pk: {} for image_set in sets}
    jobs = []
    for round_ in range(ROUNDS):
        for index, image_set in enumerate(sets):
            files = {f"r{round_}-{k}.png": next(pngs) for k in range(PER_UPLOAD)}
            uploaded[image_set.pk].update(files)
            jobs.append((web.urls[(index + round_) % 2], image_set.pk, files))

    def upload(job):
        url, set_id, files = job
        response = requests.post(
            f"{url}/api/v1/imagesets/{set_id}/images/",
            files=[("files", (name, data, "image/png")) for name, data in files.items()],
            headers=headers,
            timeout=60,
        )
        return response.status_code, [entry["status"] for entry in response.json()["files"]]

    # Uploads to several sets at once, each round's sets alternating between the servers, while
    # the workers already build the archives of the earlier rounds.
    with ThreadPoolExecutor(max_workers=4) as pool:
        for round_ in range(ROUNDS):
            answers = list(pool.map(upload, jobs[round_ * SETS : (round_ + 1) * SETS]))
            assert answers == [(201, ["added"] * PER_UPLOAD)] * SETS
            time.sleep(1)

    def every_archive_ready():
        current = ImageSet.objects.filter(pk__in=uploaded)
        unfinished = DBTaskResult.objects.filter(status__in=["READY", "RUNNING"], task_path=zips.build_zip.module_path)
        return all(zips.is_ready(image_set) for image_set in current) and not unfinished.exists()

    wait_for(every_archive_ready, 45, "every archive", daemons)

    # Every archive, downloaded from either server, holds exactly the uploaded images.
    for index, image_set in enumerate(sets):
        response = requests.get(
            f"{web.urls[index % 2]}/images/imageset/{image_set.pk}/download/", headers=headers, timeout=30
        )
        assert response.status_code == 200
        assert archive_entries(response.content)[0] == uploaded[image_set.pk]

    assert daemons.stop() == [0, 0]
    logs = daemons.logs()

    # No job ran twice or failed: each build task was taken by exactly one worker and succeeded.
    results = list(DBTaskResult.objects.filter(task_path=zips.build_zip.module_path))
    assert results
    assert Counter(result.status for result in results) == {"SUCCESSFUL": len(results)}
    assert all(len(result.worker_ids) == 1 for result in results)

    # No archive built twice, no change lost. An upload commits each image, then counts the set's new
    # version once: a build that starts in between writes the new images under the old version (the
    # archive looks older than it is, images/zips.py), and the version's second archive then holds
    # more images than its first. The same archive twice would be a needless build.
    wrote = [(int(m["set"]), int(m["version"]), int(m["entries"])) for text in logs for m in WROTE.finditer(text)]
    written = Counter((set_id, version) for set_id, version, _ in wrote)
    started = Counter((int(m["set"]), int(m["version"])) for text in logs for m in BUILDING.finditer(text))
    assert written == started
    for (set_id, version), builds in written.items():
        entries = [count for other, other_version, count in wrote if (other, other_version) == (set_id, version)]
        assert len(set(entries)) == builds, f"set {set_id} version {version} built {builds}x: {entries} entries"
    for image_set in ImageSet.objects.filter(pk__in=uploaded):
        assert (image_set.pk, image_set.content_version) in written
        assert image_set.zip_lease_owner == ""
        assert image_set.zip_error == ""
    # The task summaries agree with the logs.
    assert sum(result.return_value["builds"] for result in results) == sum(written.values())

    # Both servers' requests are in one scrape (the Prometheus multiprocess folder).
    scrape = requests.get(f"{web.urls[0]}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10)
    assert scrape.status_code == 200
    uploads = sum(
        sample.value
        for family in text_string_to_metric_families(scrape.text)
        for sample in family.samples
        if sample.name == "imagetagger_http_requests_total"
        and sample.labels["method"] == "POST"
        and sample.labels["status"] == "201"
        and sample.labels["route"] == "/api/v1/imagesets/<pk>/images/"
    )
    assert uploads == SETS * ROUNDS
