"""Prometheus metrics at /metrics: the token, request counters and latency, the job gauges, and
gunicorn's multiprocess mode."""

import os
import subprocess
import sys

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult
from prometheus_client.parser import text_string_to_metric_families

from base.metrics import readable_route
from exports.models import Export, ExportState
from images import zips
from images.tests.factories import make_imageset

from .test_settings import PROJECT_DIR, environment

TOKEN = "s3cret-metrics-token"


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(token=TOKEN, **headers):
    client = Client()
    return client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}", **headers)


def samples(response):
    """``{(name, ((label, value), …)): value}`` of a scrape."""
    assert response.status_code == 200, response.content
    result = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            result[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return result


def value(response_or_samples, name, **labels):
    found = response_or_samples if isinstance(response_or_samples, dict) else samples(response_or_samples)
    return found.get((name, tuple(sorted(labels.items()))), 0)


# --- who may read /metrics --------------------------------------------------------------------


def test_metrics_do_not_exist_without_a_token_setting(db, settings):
    settings.METRICS_TOKEN = ""
    assert Client().get("/metrics").status_code == 404
    assert scrape("anything").status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Token {TOKEN}", "Bearer", f"Bearer {TOKEN}x", f"Basic {TOKEN}"],
)
def test_metrics_refuse_a_missing_or_wrong_token(db, metrics_token, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = Client().get("/metrics", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"imagetagger_" not in response.content


def test_metrics_with_the_token(db, metrics_token):
    response = scrape()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert response["Cache-Control"] == "no-store"
    names = {family.name for family in text_string_to_metric_families(response.content.decode())}
    assert {
        "imagetagger_http_requests",
        "imagetagger_http_request_duration_seconds",
        "imagetagger_jobs",
        "imagetagger_job_queue_depth",
        "imagetagger_zip_failed_sets",
        "imagetagger_exports",
    } <= names


def test_metrics_are_answered_before_host_and_https_checks(db, metrics_token, settings):
    # Prometheus scrapes the pod's own address over plain HTTP.
    settings.ALLOWED_HOSTS = ["tagger.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    assert scrape(HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert scrape("wrong", HTTP_HOST="10.1.2.3:8000").status_code == 401
    # Other pages still get both checks.
    assert Client().get("/", HTTP_HOST="10.1.2.3:8000").status_code == 400


# --- request metrics --------------------------------------------------------------------------


def test_requests_are_counted_and_timed_by_route(metrics_token, make_user, make_team, client_for):
    ada = make_user("ada")
    sets = [make_imageset(make_team(admins=[ada])) for _ in range(2)]
    client = client_for(ada)
    route = "/images/imageset/<int:set_id>/"
    assert client.get(f"/images/imageset/{sets[0].pk}/").status_code == 200, "route changed?"
    before = samples(scrape())
    for image_set in sets:
        assert client.get(f"/images/imageset/{image_set.pk}/").status_code == 200
    client.get("/no/such/page/")
    client.get("/another/unknown/path/")
    after = samples(scrape())

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    # Both sets count under one route: the label is the URL pattern, not the path.
    assert moved("imagetagger_http_requests_total", method="GET", route=route, status="200") == 2
    assert moved("imagetagger_http_request_duration_seconds_count", method="GET", route=route) == 2
    assert moved("imagetagger_http_request_duration_seconds_sum", method="GET", route=route) > 0
    assert moved("imagetagger_http_requests_total", method="GET", route="<unmatched>", status="404") == 2
    assert not any(str(set_.pk) in labels for (_, labels) in after for set_ in sets if "route" in dict(labels))


def test_api_requests_are_counted_by_their_route(metrics_token, make_user, api_for):
    ada = make_user("ada")
    unauthenticated = api_for(None).get("/api/v1/imagesets/").status_code
    assert unauthenticated == 401
    before = samples(scrape())
    assert api_for(ada).get("/api/v1/imagesets/999999/").status_code == 404
    assert api_for(ada).get("/api/v1/imagesets/999998/").status_code == 404
    assert api_for(None).get("/api/v1/imagesets/").status_code == 401
    after = samples(scrape())
    name = "imagetagger_http_requests_total"
    detail = {"method": "GET", "route": "/api/v1/imagesets/<pk>/", "status": "404"}
    listing = {"method": "GET", "route": "/api/v1/imagesets/", "status": "401"}
    assert value(after, name, **detail) - value(before, name, **detail) == 2
    assert value(after, name, **listing) - value(before, name, **listing) == 1


@pytest.mark.parametrize(
    ("route", "readable"),
    [
        ("api/v1/imagesets/(?P<pk>[^/.]+)/images/$", "api/v1/imagesets/<pk>/images/"),
        (r"api/v1/imagesets\.(?P<format>[a-z0-9]+)/?$", "api/v1/imagesets.<format>/"),
        ("^api/v1/teams/$", "api/v1/teams/"),
        ("images/imageset/<int:imageset_id>/download/", "images/imageset/<int:imageset_id>/download/"),
    ],
)
def test_regular_expression_routes_read_like_path_routes(route, readable):
    assert readable_route(route) == readable


def test_unknown_methods_share_one_label(db, metrics_token):
    before = samples(scrape())
    Client().generic("BREW", "/no/such/page/")
    after = samples(scrape())
    labels = {"method": "other", "route": "<unmatched>", "status": "404"}
    name = "imagetagger_http_requests_total"
    assert value(after, name, **labels) - value(before, name, **labels) == 1
    assert not any(dict(labels).get("method") == "BREW" for (_, labels) in after)


# --- job gauges -------------------------------------------------------------------------------


def test_job_gauges_follow_the_job_table(metrics_token, settings, make_user, make_team):
    settings.ENABLE_ZIP_DOWNLOAD = True
    ada = make_user("ada")
    team = make_team(admins=[ada])
    empty = samples(scrape())
    assert value(empty, "imagetagger_job_queue_depth", task="build_zip") == 0
    assert value(empty, "imagetagger_zip_failed_sets") == 0
    assert value(empty, "imagetagger_jobs_scrape_error") == 0

    sets = [make_imageset(team) for _ in range(3)]
    for image_set in sets:
        zips.build_zip.enqueue(image_set.pk)
    # A retry after a failure waits: it is queued but not due, so it is no part of the queue depth.
    from datetime import timedelta

    from django.utils import timezone

    zips.build_zip.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(sets[0].pk)
    failed = DBTaskResult.objects.order_by("enqueued_at").first()
    DBTaskResult.objects.filter(pk=failed.pk).update(status="FAILED")
    sets[1].zip_error = "The file of the image “a.png” is missing."
    sets[1].save(update_fields=["zip_error"])
    Export.objects.create(image_set=sets[2], user=ada, standard="coco", format_name="COCO", state=ExportState.FAILED)
    Export.objects.create(image_set=sets[2], user=ada, standard="coco", format_name="COCO", state=ExportState.QUEUED)

    found = samples(scrape())
    assert value(found, "imagetagger_jobs", task="build_zip", state="ready") == 3
    assert value(found, "imagetagger_jobs", task="build_zip", state="failed") == 1
    assert value(found, "imagetagger_job_queue_depth", task="build_zip") == 2
    assert value(found, "imagetagger_zip_failed_sets") == 1
    assert value(found, "imagetagger_exports", state="failed") == 1
    assert value(found, "imagetagger_exports", state="queued") == 1
    assert value(found, "imagetagger_exports", state="done") == 0


def test_job_scrape_needs_constant_queries(metrics_token, settings, make_user, make_team, django_assert_num_queries):
    settings.ENABLE_ZIP_DOWNLOAD = True
    team = make_team(admins=[make_user("ada")])
    with django_assert_num_queries(3):
        scrape()
    for _ in range(5):
        zips.build_zip.enqueue(make_imageset(team).pk)
    with django_assert_num_queries(3):
        scrape()


# --- several gunicorn workers -----------------------------------------------------------------

REQUEST_AND_SCRAPE = """
import sys
import configurations
configurations.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
if sys.argv[-1] == "scrape":
    response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer {token}")
    sys.stdout.write(response.content.decode())
else:
    for _ in range({count}):
        Client().get("/no/such/page/")
"""


def test_multiprocess_mode_adds_up_every_worker(tmp_path):
    """With PROMETHEUS_MULTIPROC_DIR set (gunicorn with several workers) a scrape served by one
    process reports the requests of every process."""
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = environment(
        tmp_path, DJANGO_CONFIGURATION="Test", IT_METRICS_TOKEN=TOKEN, PROMETHEUS_MULTIPROC_DIR=str(folder)
    )

    def run(count, *extra):
        script = REQUEST_AND_SCRAPE.format(token=TOKEN, count=count)
        result = subprocess.run(
            [sys.executable, "-c", f"import sys; sys.argv += {list(extra)!r}; exec({script!r})"],
            cwd=PROJECT_DIR,
            env={**env, "DJANGO_SETTINGS_MODULE": "imagetagger.settings", "PYTHONSTARTUP": ""},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    run(2)
    run(3)
    text = run(0, "scrape")
    totals = {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.labels.get("route") == "<unmatched>" and sample.labels.get("status") == "404"
    }
    assert totals["imagetagger_http_requests_total"] == 5
    # That folder's database was never migrated: the job figures are missing, the scrape still works.
    assert "imagetagger_jobs_scrape_error 1.0" in text
    assert os.listdir(folder)


def test_gunicorn_empties_the_metrics_folder_and_forgets_exited_workers(tmp_path, monkeypatch):
    import runpy
    from types import SimpleNamespace

    folder = tmp_path / "prometheus"
    folder.mkdir()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    config = runpy.run_path(str(PROJECT_DIR.parent / "config" / "gunicorn.conf.py"))
    for name in ("counter_11.db", "gauge_livesum_11.db", "keep.txt"):
        (folder / name).write_bytes(b"")
    config["on_starting"](SimpleNamespace())
    assert os.listdir(folder) == ["keep.txt"]

    for name in ("counter_12.db", "gauge_livesum_12.db", "gauge_livesum_13.db"):
        (folder / name).write_bytes(b"")
    config["child_exit"](SimpleNamespace(), SimpleNamespace(pid=12))
    # The exited worker's live gauges go; its counters stay part of the totals.
    assert sorted(os.listdir(folder)) == ["counter_12.db", "gauge_livesum_13.db", "keep.txt"]
