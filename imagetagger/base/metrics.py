"""Prometheus metrics at ``/metrics`` (README.md, "Operations").

- Requests: ``imagetagger_http_requests_total`` (method, route, status) and the latency histogram
  ``imagetagger_http_request_duration_seconds`` (method, route), recorded by ``MetricsMiddleware``.
  ``route`` is the URL pattern that answered (``images/imageset/<int:pk>/``), never the raw path, so
  the number of series stays bounded.
- Background jobs, read from the database when scraped (so every web replica reports the same
  figures): jobs by task and state, the queue depth (jobs due now), image sets whose zip build
  failed, exports by state.

``/metrics`` answers only with ``Authorization: Bearer <IT_METRICS_TOKEN>``: without the variable it
does not exist (404), a missing or wrong token gets 401. It is answered before the host and HTTPS
checks, like ``/healthz``, since Prometheus scrapes the pod's own address over plain HTTP.

Under gunicorn with several workers, set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder: every
worker then writes its counters there and a scrape adds them up (``config/gunicorn.conf.py`` removes
the files of exited workers).
"""

import functools
import hmac
import logging
import os
import re
import time

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotFound
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from .middleware import HEALTH_PATHS

logger = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
UNMATCHED = "<unmatched>"
NAMED_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")

REQUESTS = Counter(
    "imagetagger_http_requests",
    "HTTP requests answered, by method, URL route and status code.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "imagetagger_http_request_duration_seconds",
    "Time to answer an HTTP request (until the response starts), by method and URL route.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)


def route_of(request):
    """The URL pattern that answered the request, a fixed path for health probes, else ``<unmatched>``."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        return "/" + readable_route(match.route)
    if request.path in HEALTH_PATHS:
        return request.path
    return UNMATCHED


@functools.lru_cache(maxsize=1024)
def readable_route(route):
    """A regular-expression route (DRF's routers) written like a path route:
    ``api/v1/imagesets/(?P<pk>[^/.]+)/images/$`` → ``api/v1/imagesets/<pk>/images/``.

    Cached: the site has a fixed set of routes and this runs for every request."""
    route = NAMED_GROUP.sub(r"<\1>", route).replace("/?", "/")
    return route.replace("^", "").replace("$", "").replace("\\", "")


class MetricsMiddleware:
    """Serve ``/metrics`` (token-protected) and count and time every other request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == METRICS_PATH:
            return metrics_view(request)
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in METHODS else "other"
        route = route_of(request)
        LATENCY.labels(method, route).observe(time.perf_counter() - started)
        REQUESTS.labels(method, route, str(response.status_code)).inc()
        return response


def metrics_view(request):
    token = settings.METRICS_TOKEN
    if not token:
        return HttpResponseNotFound("Not found.", content_type="text/plain")
    given = request.headers.get("Authorization", "")
    scheme, _, credentials = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(credentials.strip().encode(), token.encode()):
        response = HttpResponse("A valid bearer token is required.", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    response = HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response


def scrape_registry():
    """This process's metrics (or every gunicorn worker's, in multiprocess mode) plus the job figures."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Forward(REGISTRY))
    registry.register(JobCollector())
    return registry


class _Forward:
    """A collector yielding another registry's metrics."""

    def __init__(self, source):
        self.source = source

    def collect(self):
        yield from self.source.collect()


class JobCollector:
    """Gauges of the background work, computed from the database at scrape time.

    When the database does not answer, the scrape still gives the request metrics, and
    ``imagetagger_jobs_scrape_error`` is 1.
    """

    def collect(self):
        from django.db import DatabaseError

        try:
            families = list(self._collect())
            error = 0
        except DatabaseError as exc:
            logger.warning("Could not read the job figures for /metrics: %s", exc)
            families, error = [], 1
        yield from families
        yield GaugeMetricFamily(
            "imagetagger_jobs_scrape_error", "1 when the job figures could not be read from the database.", value=error
        )

    def _collect(self):
        from django.db.models import Count, Q
        from django.utils import timezone
        from django_tasks_db.models import DBTaskResult, get_date_max

        from exports.models import Export
        from images.models import ImageSet

        jobs = GaugeMetricFamily(
            "imagetagger_jobs", "Background jobs in the job table, by task and state.", labels=["task", "state"]
        )
        due = Q(run_after__lte=timezone.now()) | Q(run_after=get_date_max())
        queue = GaugeMetricFamily(
            "imagetagger_job_queue_depth",
            "Background jobs waiting to run now (due, not yet taken by a worker), by task.",
            labels=["task"],
        )
        waiting = {}
        rows = DBTaskResult.objects.values_list("task_path", "status").annotate(
            n=Count("pk"), due=Count("pk", filter=Q(status="READY") & due)
        )
        for task_path, status, count, due_count in rows.order_by("task_path", "status"):
            task = task_path.rsplit(".", 1)[-1]
            jobs.add_metric([task, status.lower()], count)
            waiting[task] = waiting.get(task, 0) + due_count
        for task, count in sorted(waiting.items()):
            queue.add_metric([task], count)
        yield jobs
        yield queue

        failed_sets = ImageSet.objects.exclude(zip_error="").count()
        yield GaugeMetricFamily(
            "imagetagger_zip_failed_sets",
            "Image sets whose last zip build failed (they are retried with back-off).",
            value=failed_sets,
        )
        exports = GaugeMetricFamily("imagetagger_exports", "Exports by state.", labels=["state"])
        for state, count in Export.objects.order_by().values_list("state").annotate(n=Count("pk")).order_by("state"):
            exports.add_metric([state], count)
        yield exports
