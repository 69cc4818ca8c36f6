"""Benchmark: the `imagetagger upload` command against the same uploads as plain HTTP requests (issue 18).

Data: ``--images`` JPEG files (640 × 480, noisy gradients, about 60 KB each, all different) in a
folder; the site served by gunicorn with its own configuration (config/gunicorn.conf.py) on PostgreSQL
(bench/_setup.py: a throw-away database and data folder). Every round uploads the folder into a fresh
image set three ways, the order rotating from round to round:

- cli: the installed command, ``imagetagger --quiet upload SET FOLDER`` (2 parallel requests of up to
  16 files, after listing the set and hashing the files to skip what it holds);
- plain: one ``POST /api/v1/imagesets/<id>/images/`` per file, one after the other, with httpx — what
  a hand-written script does;
- plain batched: the same requests with 16 files each, one after the other.

Reported: images/s of each (median of ``--rounds``) and the ratios of the command to the plain ways.

    IT_DB_HOST=127.0.0.1 .venv/bin/python bench/bench_client_upload.py [--images 1000] [--rounds 3]

Every request and the command have a timeout (``--timeout`` seconds).
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("IT_DB_HOST", "127.0.0.1")
os.environ.setdefault("IT_DB_USER", "postgres")
os.environ.setdefault("IT_DB_NAME", "imagetagger_bench_upload")

import _setup
import httpx
import numpy
from bench_annotations_api import start_gunicorn, stop  # sets Django up (PostgreSQL) when imported
from PIL import Image as PILImage

from images.services import create_imageset
from users.models import User
from users.services import create_api_token, create_team

IMAGETAGGER = Path(sys.executable).parent / "imagetagger"


def make_pictures(folder, count):
    folder.mkdir(parents=True, exist_ok=True)
    rng = numpy.random.default_rng(11)
    ramp = numpy.linspace(0, 200, 640, dtype=numpy.float32)
    for index in range(count):
        noise = rng.integers(0, 40, (480, 640, 3)).astype(numpy.float32)
        pixels = (noise + ramp[None, :, None] * (0.5 + (index % 7) / 10)).clip(0, 255).astype(numpy.uint8)
        PILImage.fromarray(pixels).save(folder / f"img{index:04d}.jpg", quality=85)
    return sorted(folder.iterdir())


def cli_round(url, token, set_id, folder, timeout, workers):
    started = time.perf_counter()
    done = subprocess.run(
        [
            *(str(IMAGETAGGER), "--url", url, f"--token={token}", "--quiet"),
            *("upload", str(set_id), str(folder), "--workers", str(workers)),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"imagetagger upload failed: {done.stderr[-2000:]}")
    return elapsed


def plain_round(url, token, set_id, files, timeout, per_request):
    endpoint = f"{url}/api/v1/imagesets/{set_id}/images/"
    started = time.perf_counter()
    with httpx.Client(headers={"Authorization": f"Token {token}"}, timeout=timeout) as http:
        for start in range(0, len(files), per_request):
            group = files[start : start + per_request]
            handles = [path.open("rb") for path in group]
            try:
                answer = http.post(
                    endpoint, files=[("files", (p.name, h)) for p, h in zip(group, handles, strict=True)]
                )
            finally:
                for handle in handles:
                    handle.close()
            if answer.status_code != 201:
                raise SystemExit(f"upload answered {answer.status_code}: {answer.text[:500]}")
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="the command's parallel requests (its default: 2)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per request and per command")
    options = parser.parse_args()

    files = make_pictures(_setup.WORKDIR / "pictures", options.images)
    size = sum(path.stat().st_size for path in files)
    owner = User.objects.create_user("bench", password="x")
    team = create_team(creator=owner, name="bench")
    token = create_api_token(user=owner, name="bench")[1]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = start_gunicorn(port)
    url = f"http://127.0.0.1:{port}"
    print(f"upload, issue 18: {len(files)} JPEG files, {size / 1e6:.1f} MB; gunicorn, PostgreSQL")
    print(f"on {_setup.machine()}")
    ways = {
        "cli": lambda set_id: cli_round(url, token, set_id, files[0].parent, options.timeout, options.workers),
        "plain": lambda set_id: plain_round(url, token, set_id, files, options.timeout, 1),
        "plain batched": lambda set_id: plain_round(url, token, set_id, files, options.timeout, 16),
    }
    rates = {name: [] for name in ways}
    try:
        for number in range(options.rounds):
            names = list(ways)
            order = names[number % len(names) :] + names[: number % len(names)]
            for name in order:
                image_set = create_imageset(actor=owner, team=team, name=f"{name} {number}")
                elapsed = ways[name](image_set.pk)
                if image_set.images.count() != len(files):
                    raise SystemExit(f"{name}: {image_set.images.count()} images stored, not {len(files)}")
                rates[name].append(len(files) / elapsed)
            print("  round {}: {}".format(number + 1, ", ".join(f"{name} {rates[name][-1]:.1f}/s" for name in names)))
    finally:
        stop(server)
    medians = {name: statistics.median(values) for name, values in rates.items()}
    for name, value in medians.items():
        print(f"{name:<14} {value:7.1f} images/s  ({size / 1e6 * value / len(files):.1f} MB/s)")
    print(f"cli / plain          {medians['cli'] / medians['plain']:.2f}")
    print(f"cli / plain batched  {medians['cli'] / medians['plain batched']:.2f}")


if __name__ == "__main__":
    main()
