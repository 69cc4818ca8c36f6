"""Benchmark: webhook delivery latency (issue 18) — from the event to the receiver holding the request.

Data: a throw-away database and data folder (bench/_setup.py: SQLite, or PostgreSQL with IT_DB_HOST), one
team with an image set of ``--events + --burst + 3`` image rows (1280×960, no files), a box type, and one
webhook subscribed to ``annotation.created`` whose receiver is a ``ThreadingHTTPServer`` in this process
(it answers 200 at once and notes the arrival time on the monotonic clock, which all processes share).
The worker runs as in production: ``manage.py runzipdaemon`` as its own process with its default options
(it looks for jobs every second when idle, sweeps every 5 s).

Measured, after three warm-up events:

- webhook, one at a time (``--events``): ``annotations.services.create_annotation`` (the API's create: its
  transaction commits, the delivery row is in the database and the sender task queued); the clock starts
  when the call returns and stops when the receiver has the request. A random pause of 0–2 s after each
  arrival spreads the events evenly over the worker's polling phase (twice its idle interval), as events
  that do not wait for the worker are.
- baseline, interleaved with those: the same body POSTed to the same receiver with ``urllib.request``
  from this process — what the HTTP request itself costs, without queueing and signing.
- burst (``--burst``): that many labels created back to back; each one's latency, and how long until the
  last arrived (deliveries per second).

Reported: p50 and p95 of each (milliseconds), the ratio webhook/baseline of the medians, the burst's rate.

    .venv/bin/python bench/bench_webhooks.py [--events 40] [--burst 100] [--seed 18] [--worker-interval 1]

``--worker-interval`` is passed to the worker as ``--interval`` (its idle polling, 1 s by default).

Every wait has a timeout (``--timeout`` seconds per delivery; the worker must start within 60 s).
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import _setup

_setup.setup_django()

from annotations import services as annotation_services  # noqa: E402
from annotations.models import AnnotationType, VectorType  # noqa: E402
from images.services import create_imageset  # noqa: E402
from users.models import User  # noqa: E402
from users.services import create_team  # noqa: E402
from webhooks import services as webhook_services  # noqa: E402
from webhooks.models import Delivery, DeliveryState, Event  # noqa: E402

START_SECONDS = 60


class Receiver:
    """Notes when each request arrived, by key: the annotation id of a delivery, or ``X-Bench-Key``."""

    def __init__(self):
        self.arrivals = {}
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                at = time.monotonic()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                key = self.headers.get("X-Bench-Key") or json.loads(body)["data"]["annotation"]["id"]
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with receiver.arrived:
                    receiver.arrivals.setdefault(key, at)
                    receiver.arrived.notify_all()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, keys, timeout):
        """The arrival times of ``keys``; exits with a message after ``timeout`` seconds."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: all(key in self.arrivals for key in keys), timeout):
                missing = [key for key in keys if key not in self.arrivals]
                raise SystemExit(f"{len(missing)} deliveries did not arrive within {timeout} s: {missing[:5]}")
            return [self.arrivals[key] for key in keys]


def start_worker(interval):
    """``manage.py runzipdaemon`` as in production (``--interval``: its idle polling), logging to a file."""
    log_path = _setup.WORKDIR / "worker.log"
    log = open(log_path, "w")  # noqa: SIM115 (closed by stop_worker)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runzipdaemon", "--interval", str(interval)],
        cwd=_setup.REPO / "imagetagger",
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + START_SECONDS
    while "Starting worker" not in log_path.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"the worker did not start: {log_path.read_text(errors='replace')[-2000:]}")
        time.sleep(0.1)
    return process, log


def stop_worker(process, log):
    _setup.stop_process(process)
    log.close()


class Labeller:
    """Makes one box label after another, each on its own image (no similarity with an earlier one)."""

    def __init__(self, owner, box, image_ids):
        self.owner, self.box, self.image_ids = owner, box, iter(image_ids)

    def create(self):
        vector = {"x1": 100, "y1": 100, "x2": 300, "y2": 250}
        annotation, _ = annotation_services.create_annotation(
            actor=self.owner, image=next(self.image_ids), annotation_type=self.box, vector=vector
        )
        return annotation.pk, time.monotonic()


def baseline_post(url, body, key, receiver, timeout):
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json", "X-Bench-Key": key}
    )
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()
    (arrived,) = receiver.wait([key], timeout)
    return arrived - started


def milliseconds(values):
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(values) * 1000, p95 * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=40, help="events measured one at a time (40)")
    parser.add_argument("--burst", type=int, default=100, help="events made back to back (100)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds one delivery may take to arrive")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--worker-interval", type=float, default=1.0, help="the worker's idle polling (1 s)")
    options = parser.parse_args()
    pauses = random.Random(options.seed)

    receiver = Receiver()
    owner = User.objects.create_user("bench", password="x")
    team = create_team(creator=owner, name="bench")
    image_set = create_imageset(actor=owner, team=team, name="webhooks")
    image_ids = _setup.add_image_rows(image_set, options.events + options.burst + 3, lambda n: f"img{n:06d}.jpg")
    box = AnnotationType.objects.create(name="box", team=team, vector_type=VectorType.BOUNDING_BOX)
    webhook_services.register(actor=owner, team=team, url=receiver.url, events=[Event.ANNOTATION_CREATED])
    labeller = Labeller(owner, box, image_ids)

    print(
        "webhooks, issue 18: delivery latency from the event to the receiver; "
        f"worker: runzipdaemon --interval {options.worker_interval:g}"
    )
    print(f"on {_setup.machine()}")
    process, log = start_worker(options.worker_interval)
    try:
        for _ in range(3):  # warm-up: the worker's first task, connections, prepared statements
            key, _ = labeller.create()
            receiver.wait([key], options.timeout)
        body = Delivery.objects.order_by("-pk").values_list("body", flat=True).first().encode()

        webhook, baseline = [], []
        for number in range(options.events):
            key, made = labeller.create()
            (arrived,) = receiver.wait([key], options.timeout)
            webhook.append(arrived - made)
            time.sleep(pauses.uniform(0, 2 * options.worker_interval))
            baseline.append(baseline_post(receiver.url, body, f"b{number}", receiver, options.timeout))

        started = time.monotonic()
        made = dict(labeller.create() for _ in range(options.burst))
        arrivals = receiver.wait(list(made), options.timeout + options.burst)
        burst = [arrived - made[key] for key, arrived in zip(made, arrivals, strict=True)]
        burst_seconds = max(arrivals) - started
        deadline = time.monotonic() + options.timeout  # the worker records each answer after it arrived
        while Delivery.objects.exclude(state=DeliveryState.DELIVERED).exists():
            if time.monotonic() > deadline:
                raise SystemExit("some deliveries were not recorded as delivered")
            time.sleep(0.1)
    finally:
        stop_worker(process, log)
        receiver.server.shutdown()

    webhook_p50, webhook_p95 = milliseconds(webhook)
    baseline_p50, baseline_p95 = milliseconds(baseline)
    burst_p50, burst_p95 = milliseconds(burst)
    print(f"webhook, one at a time ({options.events})   p50 {webhook_p50:8.1f} ms   p95 {webhook_p95:8.1f} ms")
    print(f"baseline urllib POST ({options.events})     p50 {baseline_p50:8.1f} ms   p95 {baseline_p95:8.1f} ms")
    print(f"webhook / baseline (p50)          {webhook_p50 / baseline_p50:8.0f}")
    print(
        f"burst of {options.burst} labels              p50 {burst_p50:8.1f} ms   p95 {burst_p95:8.1f} ms   "
        f"all delivered in {burst_seconds:.2f} s ({options.burst / burst_seconds:.0f} deliveries/s)"
    )


if __name__ == "__main__":
    main()
