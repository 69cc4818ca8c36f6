"""Benchmark: the annotations API under load, served by gunicorn on PostgreSQL.

N concurrent clients (default 32), each with its own API token, create, update (with the version
they saw) and list annotations over HTTP keep-alive connections. Printed: throughput and
p50/p95/p99 latency per operation. Baseline, measured in the same run: the same operations through
Django's test client in-process (no HTTP, no gunicorn), one at a time; the ratio shows what the
server, the network stack and the concurrency add.

    .venv/bin/python bench/bench_annotations_api.py [--clients 32] [--rounds 20]

Needs PostgreSQL: IT_DB_HOST (default 127.0.0.1), IT_DB_USER (default postgres).
"""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time

os.environ.setdefault("IT_DB_HOST", "127.0.0.1")
os.environ.setdefault("IT_DB_USER", "postgres")

import _setup

try:
    _setup.setup_django()
except Exception as error:
    print(f"bench_annotations_api: skipped, PostgreSQL is not reachable ({error.__class__.__name__}: {error})")
    sys.exit(0)

from django.test import Client

from annotations.models import AnnotationType
from images.models import Image
from images.services import create_imageset
from users.models import User
from users.services import add_member, create_api_token, create_team

OPERATIONS = ("create", "update", "list")


def make_world(clients, images_per_client=4):
    owner = User.objects.create_user("bench-owner", password="x")
    team = create_team(creator=owner, name="bench team")
    image_set = create_imageset(actor=owner, team=team, name="bench set")
    users, keys, images = [], [], []
    for number in range(clients + 1):
        user = User.objects.create_user(f"bench{number}", password="x")
        add_member(actor=owner, team=team, username=user.username)
        users.append(user)
        keys.append(create_api_token(user=user, name="bench")[1])
        own = []
        for index in range(images_per_client):
            own.append(
                Image.objects.create(
                    image_set=image_set,
                    name=f"c{number:03d}_{index}.jpg",
                    filename=f"bench_{number}_{index}.jpg",
                    checksum=f"{number}-{index}".encode().ljust(64, b"."),
                    width=4000,
                    height=3000,
                    format="jpeg",
                )
            )
        images.append(own)
    box = AnnotationType.objects.create(name="bench box")
    return users, keys, images, box


def box_vector(round_number, slot):
    """Boxes that never come within 5 px of each other on one image."""
    x = 10 + (round_number % 40) * 90
    y = 10 + (round_number // 40) * 90 + slot * 1500
    return {"x1": x, "y1": y, "x2": x + 50, "y2": y + 40}


class ApiClient:
    def __init__(self, port, key):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Token {key}", "Content-Type": "application/json", "Host": "localhost"}

    def call(self, method, path, body=None):
        self.connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=self.headers)
        response = self.connection.getresponse()
        data = response.read()
        if response.status >= 400:
            raise RuntimeError(f"{method} {path} answered {response.status}: {data[:200]!r}")
        return json.loads(data) if data else None


def run_client(port, key, images, box, rounds, timings, errors):
    client = ApiClient(port, key)
    try:
        for round_number in range(rounds):
            image = images[round_number % len(images)]
            started = time.perf_counter()
            created = client.call(
                "POST",
                "/api/v1/annotations/",
                {
                    "image": image.pk,
                    "annotation_type": box.pk,
                    "vector": box_vector(round_number, 0),
                    "concealed": False,
                    "blurred": False,
                },
            )
            timings["create"].append(time.perf_counter() - started)
            started = time.perf_counter()
            client.call(
                "PATCH",
                f"/api/v1/annotations/{created['id']}/",
                {"vector": box_vector(round_number, 1), "version": created["version"]},
            )
            timings["update"].append(time.perf_counter() - started)
            started = time.perf_counter()
            client.call("GET", f"/api/v1/annotations/?image={image.pk}")
            timings["list"].append(time.perf_counter() - started)
    except Exception as error:
        errors.append(repr(error))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(port):
    env = {**os.environ, "DJANGO_CONFIGURATION": "Dev", "IT_DEBUG": "false", "GUNICORN_BIND": f"127.0.0.1:{port}"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(_setup.REPO / "config" / "gunicorn.conf.py"),
            "--access-logfile",
            "/dev/null",
            "imagetagger.wsgi",
        ],
        cwd=_setup.REPO / "imagetagger",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return _setup.wait_until_healthy(process, port, "gunicorn")


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def in_process(user, images, box, rounds):
    """The same operations through Django's test client, one at a time (the baseline)."""
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    timings = {name: [] for name in OPERATIONS}
    for round_number in range(rounds):
        image = images[round_number % len(images)]
        started = time.perf_counter()
        created = client.post(
            "/api/v1/annotations/",
            {
                "image": image.pk,
                "annotation_type": box.pk,
                "vector": box_vector(round_number, 0),
                "concealed": False,
                "blurred": False,
            },
            content_type="application/json",
        ).json()
        timings["create"].append(time.perf_counter() - started)
        started = time.perf_counter()
        client.patch(
            f"/api/v1/annotations/{created['id']}/",
            {"vector": box_vector(round_number, 1), "version": created["version"]},
            content_type="application/json",
        )
        timings["update"].append(time.perf_counter() - started)
        started = time.perf_counter()
        client.get(f"/api/v1/annotations/?image={image.pk}")
        timings["list"].append(time.perf_counter() - started)
    return timings


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=20, help="create+update+list rounds per client")
    args = parser.parse_args()

    users, keys, images, box = make_world(args.clients)
    baseline = in_process(users[-1], images[-1], box, args.rounds * 2)

    port = free_port()
    server = start_gunicorn(port)
    try:
        timings = {name: [] for name in OPERATIONS}
        errors = []
        threads = [
            threading.Thread(target=run_client, args=(port, keys[n], images[n], box, args.rounds, timings, errors))
            for n in range(args.clients)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)

    workers = os.environ.get("GUNICORN_WORKERS", "default")
    print(
        f"annotations API, gunicorn (workers: {workers}, gthread) + PostgreSQL, {args.clients} clients x "
        f"{args.rounds} rounds, on {_setup.machine()}"
    )
    if errors:
        print(f"  {len(errors)} client(s) failed, first: {errors[0]}")
    total = sum(len(values) for values in timings.values())
    print(f"  all operations: {total} in {elapsed:.1f} s = {total / elapsed:.0f} requests/s")
    print(
        f"  {'operation':<8} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
        "   in-process mean ms   ratio p50/in-process"
    )
    for name in OPERATIONS:
        values = timings[name]
        if not values:
            continue
        base = statistics.mean(baseline[name])
        p50 = percentile(values, 0.50)
        print(
            f"  {name:<8} {len(values):>6} {p50 * 1000:>8.1f} {percentile(values, 0.95) * 1000:>8.1f} "
            f"{percentile(values, 0.99) * 1000:>8.1f}   {base * 1000:>18.1f}   {p50 / base:>20.1f}"
        )


if __name__ == "__main__":
    main()
