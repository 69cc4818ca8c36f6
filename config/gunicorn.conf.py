"""gunicorn configuration of the container and of Kubernetes; every value can be changed from the environment.

    gunicorn -c config/gunicorn.conf.py imagetagger.wsgi      (the container: docker-entrypoint web)

GUNICORN_WORKERS processes (default: 2 per CPU + 1, at most 4) of GUNICORN_THREADS threads each
(default 4) serve GUNICORN_BIND (default 0.0.0.0:8000). On Kubernetes, scale with replicas and keep
the workers per pod small (the manifests set 2 workers of 4 threads).
"""

import multiprocessing
import os
from pathlib import Path


def _env_int(name, default):
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {value!r}") from None


# The Django project folder (holding manage.py): beside this file in the image (/app/imagetagger),
# one level up in the repository (config/ -> imagetagger/).
_here = Path(__file__).resolve().parent
_projects = [path for path in (_here / "imagetagger", _here.parent / "imagetagger") if (path / "manage.py").exists()]
chdir = os.environ.get("GUNICORN_CHDIR") or str(_projects[0] if _projects else Path.cwd())

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = _env_int("GUNICORN_WORKERS", min(4, multiprocessing.cpu_count() * 2 + 1))
threads = _env_int("GUNICORN_THREADS", 4)
worker_class = "gthread"
# Uploads of large archives and downloads of zips may take a while on slow links.
timeout = _env_int("GUNICORN_TIMEOUT", 300)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
# Recycle workers now and then (spread out), so that a slow leak never takes a pod down.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10
# Load Django once in the master and fork the workers from it: a recycled worker is serving again in
# milliseconds instead of importing the site anew (~1 s of CPU that stalls its neighbours on a small
# pod; seen as a 1.3 s latency spike in bench/bench_annotations_api.py's open loop). Safe here: no app
# opens a database connection or starts a thread while loading. GUNICORN_PRELOAD=0 turns it off.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"
# Heartbeat files in memory: the root file system of the pods is read-only, /dev/shm is a tmpfs.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# gunicorn's control socket (for gunicornc) would be made under $HOME, which in the image is the data
# volume shared by every pod: off unless GUNICORN_CONTROL_SOCKET names a path private to the pod.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket
# Every request is logged by the application itself (one JSON record in Prod, base/logs.py); gunicorn's
# own plain-text access log only when GUNICORN_ACCESS_LOG names a file (or "-" for standard output).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# TLS ends at the ingress; only the ingress and the probes reach the pods.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "*")


# Prometheus metrics of several workers (base/metrics.py): with PROMETHEUS_MULTIPROC_DIR set, every
# worker writes its counters into that folder; it starts empty and a dead worker's live figures go.
def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):
            if name.endswith(".db"):
                os.unlink(os.path.join(folder, name))


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
