"""Benchmark: the annotations API under load, served by gunicorn on PostgreSQL.

Default (issue 16's report), for this checkout and every ``--repo DIR`` (e.g. a ``git worktree`` of
the commit before a change), all in one run, rounds alternating between them:

- CPU per create in process: ``time.process_time`` of N token-authenticated creates through Django's
  test client (a child process per checkout, so each runs its own code), against the bare view;
- create-only throughput: ``--clients`` closed-loop clients on keep-alive connections for
  ``--seconds`` per round, against the bare view under the same gunicorn configuration and clients,
  with the CPU each request cost the gunicorn processes and the PostgreSQL processes (from /proc);
- open loop: ``--rate`` creates/s for ``--seconds`` sent on a schedule by ``--senders`` threads;
  latency is measured from each request's scheduled send time (not from the previous answer), so a
  queue in the server shows in the percentiles instead of slowing the clients down.

The bare view (bench/bare_urls.py, loaded through bench/bare_settings.py; never a route of the site)
does one ORM INSERT behind the site's middleware. Every wait has a timeout (``--timeout``).

    .venv/bin/python bench/bench_annotations_api.py [--repo DIR ...] [--clients 16] [--seconds 10]
        [--rounds 3] [--rate 50] [--senders 8] [--creates 300]
    .venv/bin/python bench/bench_annotations_api.py --mixed [--clients 32] [--rounds 20]

``--mixed``: the former benchmark: N clients create, update (with the version they saw) and list,
with p50/p95/p99 per operation, against the same operations in process.

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
from pathlib import Path

os.environ.setdefault("IT_DB_HOST", "127.0.0.1")
os.environ.setdefault("IT_DB_USER", "postgres")

import _setup

BENCH = _setup.REPO / "bench"


def child_in_process(repo, world_file, creates):
    """In a child process: CPU per create of ``repo``'s code, and of the bare view, in process.
    The database is the parent's (already made); prints one JSON line."""
    sys.path.insert(0, str(repo / "imagetagger"))
    sys.path.insert(1, str(BENCH))
    import configurations

    configurations.setup()
    from django.test import Client, override_settings

    world = json.loads(open(world_file).read())  # noqa: SIM115 (read once)
    client = Client(SERVER_NAME="localhost", HTTP_AUTHORIZATION=f"Token {world['key']}")
    images, box = world["images"], world["box"]

    def create(number):
        body = {
            "image": images[number % len(images)],
            "annotation_type": box,
            "vector": box_vector(number, len(images)),
        }
        response = client.post("/api/v1/annotations/", body, content_type="application/json")
        if response.status_code != 201:
            raise SystemExit(f"create answered {response.status_code}: {response.content[:200]!r}")

    def bare(_number):
        response = client.post("/bare/insert/", {}, content_type="application/json")
        if response.status_code != 201:
            raise SystemExit(f"bare answered {response.status_code}: {response.content[:200]!r}")

    def cpu_per_call(call, start, count):
        for number in range(start, start + 20):  # warm up
            call(number)
        begun = time.process_time()
        for number in range(start + 20, start + 20 + count):
            call(number)
        return (time.process_time() - begun) / count

    results = {"create": [], "bare": []}
    with override_settings(ROOT_URLCONF="bare_urls"):
        bare(0)
    for round_number in range(3):  # alternate, keep the median
        results["create"].append(cpu_per_call(create, round_number * (creates + 20), creates))
        with override_settings(ROOT_URLCONF="bare_urls"):
            results["bare"].append(cpu_per_call(bare, 0, creates))
    print(json.dumps({name: statistics.median(values) for name, values in results.items()}))


def box_vector(number, images):
    """The ``number``-th box of one client: never within 5 px of another on the same image (1,320
    places per image of 4000×3000, ``images`` images)."""
    place = number // images
    x = 10 + (place % 40) * 90
    y = 10 + (place // 40) * 90
    return {"x1": x, "y1": y, "x2": x + 50, "y2": y + 40}


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "--child-in-process":
    child_in_process(Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
    sys.exit(0)

try:
    _setup.setup_django()
except Exception as error:
    print(f"bench_annotations_api: skipped, PostgreSQL is not reachable ({error.__class__.__name__}: {error})")
    sys.exit(0)

from django.test import Client  # noqa: E402 (after the database is made)

from annotations.models import AnnotationType  # noqa: E402 (after the database is made)
from images.models import Image  # noqa: E402 (after the database is made)
from images.services import create_imageset  # noqa: E402 (after the database is made)
from users.models import User  # noqa: E402 (after the database is made)
from users.services import add_member, create_api_token, create_team  # noqa: E402 (after the database is made)

OPERATIONS = ("create", "update", "list")


def make_team_set():
    """The bench's owner, team and image set: ``(owner, team, image_set)``."""
    owner = User.objects.create_user("bench-owner", password="x")
    team = create_team(creator=owner, name="bench team")
    return owner, team, create_imageset(actor=owner, team=team, name="bench set")


def make_world(clients):
    """The mixed run's members (``clients`` + 1 for the in-process baseline) and its box type id."""
    owner, team, image_set = make_team_set()
    members = make_clients(owner, team, image_set, "bench", clients + 1)
    return members, AnnotationType.objects.create(name="bench box").pk


def mixed_box_vector(round_number, slot):
    """Boxes that never come within 5 px of each other on one image (the mixed run)."""
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
                    "image": image,
                    "annotation_type": box,
                    "vector": mixed_box_vector(round_number, 0),
                    "concealed": False,
                    "blurred": False,
                },
            )
            timings["create"].append(time.perf_counter() - started)
            started = time.perf_counter()
            client.call(
                "PATCH",
                f"/api/v1/annotations/{created['id']}/",
                {"vector": mixed_box_vector(round_number, 1), "version": created["version"]},
            )
            timings["update"].append(time.perf_counter() - started)
            started = time.perf_counter()
            client.call("GET", f"/api/v1/annotations/?image={image}")
            timings["list"].append(time.perf_counter() - started)
    except Exception as error:
        errors.append(repr(error))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(port, repo=None, *, bare=False):
    """gunicorn with the site's configuration (config/gunicorn.conf.py of ``repo``) serving ``repo``'s
    code; ``bare``: the same, with the bare baseline's URLconf (bench/bare_settings.py)."""
    repo = repo or _setup.REPO
    env = {**os.environ, "DJANGO_CONFIGURATION": "Dev", "IT_DEBUG": "false", "GUNICORN_BIND": f"127.0.0.1:{port}"}
    extra = []
    if bare:
        env.update(DJANGO_SETTINGS_MODULE="bare_settings", DJANGO_CONFIGURATION="BareDev")
        extra = ["--pythonpath", str(BENCH)]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(repo / "config" / "gunicorn.conf.py"),
            "--access-logfile",
            "/dev/null",
            *extra,
            "imagetagger.wsgi",
        ],
        cwd=repo / "imagetagger",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return _setup.wait_until_healthy(process, port, "gunicorn")


stop = _setup.stop_process


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def in_process(key, images, box, rounds):
    """The same operations through Django's test client, one at a time (the baseline)."""
    client = Client(SERVER_NAME="localhost", HTTP_AUTHORIZATION=f"Token {key}")
    timings = {name: [] for name in OPERATIONS}
    for round_number in range(rounds):
        image = images[round_number % len(images)]
        started = time.perf_counter()
        created = client.post(
            "/api/v1/annotations/",
            {
                "image": image,
                "annotation_type": box,
                "vector": mixed_box_vector(round_number, 0),
                "concealed": False,
                "blurred": False,
            },
            content_type="application/json",
        ).json()
        timings["create"].append(time.perf_counter() - started)
        started = time.perf_counter()
        client.patch(
            f"/api/v1/annotations/{created['id']}/",
            {"vector": mixed_box_vector(round_number, 1), "version": created["version"]},
            content_type="application/json",
        )
        timings["update"].append(time.perf_counter() - started)
        started = time.perf_counter()
        client.get(f"/api/v1/annotations/?image={image}")
        timings["list"].append(time.perf_counter() - started)
    return timings


def mixed_main(args):
    members, box = make_world(args.clients)
    baseline = in_process(*members[-1], box, args.rounds * 2)

    port = free_port()
    server = start_gunicorn(port)
    try:
        timings = {name: [] for name in OPERATIONS}
        errors = []
        threads = [
            threading.Thread(target=run_client, args=(port, key, images, box, args.rounds, timings, errors))
            for key, images in members[:-1]
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        stop(server)

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


class Sender:
    """One keep-alive connection, one token; every call with a timeout."""

    def __init__(self, port, key, timeout):
        self.port, self.timeout = port, timeout
        self.headers = {"Content-Type": "application/json", "Host": "localhost"}
        if key:
            self.headers["Authorization"] = f"Token {key}"
        self.connection = None

    def post(self, path, body):
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            self.connection.request("POST", path, body=json.dumps(body), headers=self.headers)
            response = self.connection.getresponse()
            data = response.read()
        except Exception:
            self.connection.close()
            self.connection = None
            raise
        if response.status != 201:
            raise RuntimeError(f"POST {path} answered {response.status}: {data[:200]!r}")


class Target:
    """What one load run posts to: a checkout's create (with its clients' tokens and images) or the
    bare view."""

    def __init__(self, name, port, clients=None, box=None):
        self.name, self.port, self.clients, self.box = name, port, clients, box
        self.counters = [0] * len(clients or [None])

    def request(self, slot):
        """``(key, path, body)`` of the next request of client ``slot``."""
        if self.clients is None:
            return None, "/bare/insert/", {}
        key, images = self.clients[slot]
        number = self.counters[slot]
        self.counters[slot] += 1
        body = {
            "image": images[number % len(images)],
            "annotation_type": self.box,
            "vector": box_vector(number, len(images)),
        }
        return key, "/api/v1/annotations/", body


def _process_table():
    """``{pid: (parent pid, command name, CPU seconds)}`` of every process, from /proc (Linux)."""
    table, tick = {}, os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:  # ended meanwhile
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        own, ended_children = int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])
        table[int(entry.name)] = (int(fields[1]), name, own / tick, ended_children / tick)
    return table


def cpu_split(server):
    """CPU seconds so far of ``server``'s gunicorn processes (with the workers that ended: gunicorn
    replaces a worker after ``max_requests``) and of every PostgreSQL process."""
    table = _process_table()
    master = table.get(server.pid, (0, "", 0.0, 0.0))
    workers = sum(cpu for parent, _, cpu, _ in table.values() if parent == server.pid)
    return (
        master[2] + master[3] + workers,
        sum(cpu + ended for _, name, cpu, ended in table.values() if name.startswith("postgres")),
    )


def closed_loop(target, clients, seconds, timeout):
    """``clients`` threads post back to back for ``seconds``; returns (requests/s, errors)."""
    done, errors = [0] * clients, []
    deadline = time.monotonic() + seconds

    def run(slot):
        key = target.request(slot)[0]
        sender = Sender(target.port, key, timeout)
        while time.monotonic() < deadline:
            _key, path, body = target.request(slot)
            try:
                sender.post(path, body)
                done[slot] += 1
            except Exception as error:
                errors.append(repr(error))

    threads = [threading.Thread(target=run, args=(slot,), daemon=True) for slot in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + timeout + 5)
    elapsed = time.monotonic() - started
    if any(thread.is_alive() for thread in threads):
        errors.append("a client did not finish in time")
    return sum(done) / elapsed, errors


def open_loop(target, rate, seconds, senders, timeout):
    """``rate`` requests/s for ``seconds``, request i scheduled at start + i/rate, taken in order by
    ``senders`` threads; latency from the scheduled time. Returns (latencies, late sends, errors)."""
    total = int(rate * seconds)
    lock = threading.Lock()
    next_index = [0]
    latencies, errors = [], []
    start = time.monotonic() + 0.5

    def run(slot):
        key = target.request(slot)[0]
        sender = Sender(target.port, key, timeout)
        while True:
            with lock:
                index = next_index[0]
                next_index[0] += 1
            if index >= total:
                return
            scheduled = start + index / rate
            wait = scheduled - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            _key, path, body = target.request(slot)
            try:
                sender.post(path, body)
                latencies.append(time.monotonic() - scheduled)
            except Exception as error:
                errors.append(repr(error))

    threads = [threading.Thread(target=run, args=(slot,), daemon=True) for slot in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 2 * timeout + 10)
    if any(thread.is_alive() for thread in threads):
        errors.append("a sender did not finish in time")
    return latencies, errors


def make_clients(owner, team, image_set, label, count, images_per_client=4):
    """``count`` members of ``team`` with a token and images of their own: ``[(key, [image ids])]``."""
    clients = []
    for number in range(count):
        user = User.objects.create_user(f"{label}{number}", password="x")
        add_member(actor=owner, team=team, username=user.username)
        key = create_api_token(user=user, name="bench")[1]
        images = [
            Image.objects.create(
                image_set=image_set,
                name=f"{label}{number:03d}_{index}.jpg",
                filename=f"{label}_{number}_{index}.jpg",
                checksum=f"{label}-{number}-{index}".encode().ljust(64, b"."),
                width=4000,
                height=3000,
                format="jpeg",
            ).pk
            for index in range(images_per_client)
        ]
        clients.append((key, images))
    return clients


def in_process_cpu(repo, clients, box, creates, timeout):
    """CPU per create and per bare INSERT of ``repo``'s code in process (a child process)."""
    import tempfile

    key, images = clients[0]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as world_file:
        json.dump({"key": key, "images": images, "box": box}, world_file)
    found = subprocess.run(
        [sys.executable, __file__, "--child-in-process", str(repo), world_file.name, str(creates)],
        capture_output=True,
        text=True,
        timeout=timeout * 20,
        env={**os.environ, "BENCH_BARE_IMAGE": str(images[0])},
    )
    os.unlink(world_file.name)
    if found.returncode != 0:
        raise SystemExit(f"in-process measure of {repo} failed: {found.stderr[-2000:]}{found.stdout[-500:]}")
    return json.loads(found.stdout.strip().splitlines()[-1])


def commit_of(repo):
    found = subprocess.run(["git", "-C", str(repo), "log", "-1", "--format=%h %s"], capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
    )
    return found.stdout.strip()[:70] + (" + uncommitted changes" if dirty.stdout.strip() else "")


def label(repo):
    """A checkout's short name in the report (this one: "this checkout")."""
    return "this checkout" if repo == _setup.REPO else repo.name


def report_main(args):
    repos = [_setup.REPO, *(repo.resolve() for repo in args.repo)]
    owner, team, image_set = make_team_set()
    box = AnnotationType.objects.create(name="bench box").pk
    # Separate clients (users, images) per checkout and measure: no label is ever similar to another.
    needed = max(args.clients, args.senders)
    world = {
        repo: {
            what: make_clients(owner, team, image_set, f"r{number}{what[:2]}", needed if what != "cpu" else 1)
            for what in ("cpu", "closed", "open")
        }
        for number, repo in enumerate(repos)
    }
    bare_image = world[repos[0]]["cpu"][0][1][0]
    os.environ["BENCH_BARE_IMAGE"] = str(bare_image)

    print(
        f"annotations API, issue 16 report: PostgreSQL, gunicorn (config/gunicorn.conf.py, workers: "
        f"{os.environ.get('GUNICORN_WORKERS', 'default')}), on {_setup.machine()}"
    )
    for repo in repos:
        print(f"- {label(repo)} = {repo}: {commit_of(repo)}")

    cpu = {}
    for repo in repos:
        cpu[repo] = in_process_cpu(repo, world[repo]["cpu"], box, args.creates, args.timeout)
    print(f"\nCPU per request in process (Django test client, {args.creates} creates, median of 3 alternating runs):")
    for repo in repos:
        create, bare = cpu[repo]["create"], cpu[repo]["bare"]
        print(
            f"  {label(repo):<24} create {create * 1000:6.2f} ms   bare INSERT {bare * 1000:5.2f} ms"
            f"   ratio {create / bare:5.1f}x"
        )

    servers, ports = {}, {}
    try:
        for repo in repos:
            ports[repo] = free_port()
            servers[repo] = start_gunicorn(ports[repo], repo)
        ports["bare"] = free_port()
        servers["bare"] = start_gunicorn(ports["bare"], _setup.REPO, bare=True)
        targets = {repo: Target(str(repo), ports[repo], world[repo]["closed"], box) for repo in repos}
        targets["bare"] = Target("bare", ports["bare"])
        # Warm every worker up.
        for target in targets.values():
            closed_loop(target, args.clients, 1, args.timeout)

        throughput = {name: [] for name in targets}
        split = {name: [] for name in targets}  # (gunicorn, PostgreSQL) CPU ms per request
        failures = []
        names = list(targets)
        for round_number in range(args.rounds):
            order = names if round_number % 2 == 0 else list(reversed(names))
            for name in order:
                before = cpu_split(servers[name])
                rate, errors = closed_loop(targets[name], args.clients, args.seconds, args.timeout)
                after = cpu_split(servers[name])
                handled = rate * args.seconds
                used = (late - early for early, late in zip(before, after, strict=True))
                split[name].append(tuple(seconds / handled * 1000 for seconds in used))
                throughput[name].append(rate)
                failures += [f"{name}: {error}" for error in errors[:3]]
        print(
            f"\nCreate-only throughput, {args.clients} closed-loop clients x {args.seconds} s, "
            f"median of {args.rounds} rounds:"
        )
        bare_rate = statistics.median(throughput["bare"])
        print(
            f"  {'bare INSERT view':<24} {bare_rate:7.0f} requests/s   "
            f"(rounds: {', '.join(f'{r:.0f}' for r in throughput['bare'])})"
        )
        for repo in repos:
            rate = statistics.median(throughput[repo])
            rounds = ", ".join(f"{r:.0f}" for r in throughput[repo])
            print(f"  {label(repo):<24} {rate:7.0f} creates/s    {rate / bare_rate:5.0%} of bare   (rounds: {rounds})")
        print("  CPU per request during those rounds (medians): gunicorn processes / PostgreSQL processes")
        for name in ["bare", *repos]:
            web, database = (statistics.median(values) for values in zip(*split[name], strict=True))
            print(f"  {'bare INSERT view' if name == 'bare' else label(name):<24} {web:5.2f} ms / {database:5.2f} ms")

        print(
            f"\nOpen loop: {args.rate} requests/s for {args.seconds} s, {args.senders} senders, "
            "latency from the schedule:"
        )
        open_targets = {repo: Target(str(repo), ports[repo], world[repo]["open"], box) for repo in repos}
        open_targets["bare"] = targets["bare"]
        for name in [*repos, "bare"]:
            latencies, errors = open_loop(open_targets[name], args.rate, args.seconds, args.senders, args.timeout)
            failures += [f"open {name}: {error}" for error in errors[:3]]
            name_of = "bare INSERT view" if name == "bare" else label(name)
            if not latencies:
                print(f"  {name_of:<24} no answer")
                continue
            print(
                f"  {name_of:<24} {len(latencies):5d} answered, {len(errors)} failed"
                f"   p50 {percentile(latencies, 0.5) * 1000:6.1f} ms   p95 {percentile(latencies, 0.95) * 1000:6.1f} ms"
                f"   p99 {percentile(latencies, 0.99) * 1000:6.1f} ms"
                f"   max {max(latencies) * 1000:6.1f} ms"
            )
        if failures:
            print(f"\n{len(failures)} failure(s), first: {failures[0]}")
    finally:
        for server in servers.values():
            stop(server)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mixed", action="store_true", help="the create+update+list closed-loop run")
    parser.add_argument("--repo", action="append", default=[], type=Path, help="another checkout to measure too")
    parser.add_argument("--clients", type=int, default=None, help="closed-loop clients (16; --mixed: 32)")
    parser.add_argument("--rounds", type=int, default=None, help="throughput rounds (3; --mixed: 20 per client)")
    parser.add_argument(
        "--seconds", type=float, default=10, help="length of each throughput round and of the open loop"
    )
    parser.add_argument("--rate", type=float, default=50, help="open loop: requests per second")
    parser.add_argument("--senders", type=int, default=8, help="open loop: sender threads")
    parser.add_argument("--creates", type=int, default=300, help="in process: creates per measure")
    parser.add_argument("--timeout", type=float, default=30, help="seconds any one request may take")
    args = parser.parse_args()
    if args.mixed:
        args.clients = args.clients or 32
        args.rounds = args.rounds or 20
        mixed_main(args)
    else:
        args.clients = args.clients or 16
        args.rounds = args.rounds or 3
        report_main(args)


if __name__ == "__main__":
    main()
