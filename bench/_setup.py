"""Shared set-up for the benchmarks: Django with a throw-away data folder and database.

By default an SQLite database in a temporary folder; with IT_DB_HOST set, a PostgreSQL database
named by IT_DB_NAME (default ``imagetagger_bench``), dropped and re-created. Import this module
before anything from Django.
"""

import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "imagetagger"))

WORKDIR = Path(tempfile.mkdtemp(prefix="imagetagger-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imagetagger.settings")
os.environ["DJANGO_CONFIGURATION"] = "Dev"
os.environ["IT_FS_URL"] = str(WORKDIR / "data")
os.environ["IT_TMP_FS_URL"] = str(WORKDIR / "tmp")
os.environ["IT_DEBUG"] = "false"
if os.environ.get("IT_DB_HOST"):
    os.environ.setdefault("IT_DB_NAME", "imagetagger_bench")


def setup_django():
    import configurations

    configurations.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        from django.db import connections

        name = connection.settings_dict["NAME"]
        with connections["default"]._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0)


def machine():
    """One line naming the machine the figures come from."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = os.cpu_count()
    disk = subprocess.run(["df", "-h", str(WORKDIR)], capture_output=True, text=True).stdout.splitlines()[-1].split()[0]
    return f"{cpu}, {cores} cores, Python {platform.python_version()}, data on {disk}"


def add_image_rows(image_set, count, name_of, batch=10_000, prefix=""):
    """``count`` image rows without files in ``image_set``, named ``name_of(number)``; their ids in order
    (``prefix`` keeps the stored file names of a second set apart)."""
    import hashlib

    from images.models import Image

    for start in range(0, count, batch):
        Image.objects.bulk_create(
            Image(
                image_set=image_set,
                name=name_of(number),
                filename=f"{prefix}b{number}.jpg",
                checksum=hashlib.sha256(str(number).encode()).digest(),
                width=1280,
                height=960,
                format="jpeg",
            )
            for number in range(start, min(start + batch, count))
        )
    return list(Image.objects.filter(image_set=image_set).order_by("id").values_list("id", flat=True))


def stop_process(process, seconds=30):
    """SIGTERM, then SIGKILL if it has not ended after ``seconds``."""
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=seconds)


def wait_until_healthy(process, port, what="the server", seconds=30, log=None):
    """Wait until ``/healthz`` on ``port`` answers 200; else stop ``process`` and exit with its error output
    (its stderr pipe, or the file ``log`` it writes to)."""
    import time
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    output = Path(log).read_text(errors="replace") if log else process.stderr.read().decode()
    raise SystemExit(f"{what} did not start: {output[-2000:]}")
