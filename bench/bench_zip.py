"""Zip build throughput, as a ratio to copying the same files with ``cp`` in the same run.

    .venv/bin/python bench/bench_zip.py [--images 1000] [--kib 200] [--rounds 3] [--repo DIR ...]

Creates an image set of ``--images`` files of ``--kib`` KiB (random bytes, like compressed images)
in a throw-away data folder and database (bench/_setup.py), then, ``--rounds`` times: copies the
set's folder with ``cp -r`` and flushes it to disk (``sync -f``), and rebuilds the set's archive with
the builder of ``manage.py runzipdaemon`` (which also flushes its archive before swapping it in).
Both read the images from the page cache (a first pass warms it). Prints the best round and the
median of each, and the ratio of the builder's throughput to cp's measured in the same run.

``--repo DIR`` (repeatable) measures the builder of another checkout too (e.g. a ``git worktree`` of an
older commit with the same migrations): every round copies with cp and then rebuilds with each
checkout's builder in a process of its own (the order alternating; the build is timed inside it),
on the same set and data folder.
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _setup  # sets up the environment before Django is imported


def create_set(count, size):
    import hashlib

    from django.core.files.storage import default_storage

    from images.models import Image, ImageSet
    from users.models import Team

    team = Team.objects.create(name="bench")
    image_set = ImageSet.objects.create(name="zip bench", team=team)
    image_set.path = f"{team.pk}_{image_set.pk}"
    image_set.save(update_fields=["path"])
    folder = Path(default_storage.path(image_set.image_folder()))
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for number in range(count):
        data = os.urandom(size)
        filename = f"img{number:05d}_{hashlib.sha1(data).hexdigest()[:8]}.png"
        (folder / filename).write_bytes(data)
        rows.append(
            Image(
                image_set=image_set,
                # Every tenth name repeats, as happens when several archives are uploaded.
                name=f"day{number % 3}/img{number - number % 10 if number % 10 == 9 else number:05d}.png",
                filename=filename,
                checksum=hashlib.sha512(data).digest(),
                width=1,
                height=1,
                format="png",
                file_size=size,
            )
        )
    Image.objects.bulk_create(rows, batch_size=500)
    return image_set, folder


def time_cp(folder, target):
    shutil.rmtree(target, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run(["cp", "-r", str(folder), str(target)], check=True)
    subprocess.run(["sync", "-f", str(target)], check=True)
    return time.perf_counter() - started


def forget_archive(image_set):
    """Delete the set's current archive before a timed build, as ``time_cp`` removes its copy before
    timing: otherwise the build would also pay for deleting the previous archive (retiring it)."""
    from django.core.files.storage import default_storage

    from images.models import ImageSet

    current = ImageSet.objects.filter(pk=image_set.pk).values_list("zip_file", flat=True).first()
    if current:
        default_storage.delete(current)
    ImageSet.objects.filter(pk=image_set.pk).update(zip_built_version=None, zip_file="")


def time_build(image_set):
    from images import zips

    forget_archive(image_set)
    started = time.perf_counter()
    summary = zips.build(image_set.pk)
    elapsed = time.perf_counter() - started
    assert summary["builds"] == 1, summary
    return elapsed


BUILD_IN = r"""
import json, sys, time, logging
from pathlib import Path
sys.path.insert(0, str(Path(sys.argv[1]).resolve() / "imagetagger"))
import configurations
configurations.setup()
logging.disable(logging.WARNING)
from images import zips
from images.models import ImageSet
pk = int(sys.argv[2])
started = time.perf_counter()
summary = zips.build(pk)
elapsed = time.perf_counter() - started
assert summary["builds"] == 1, summary
print(json.dumps({"seconds": elapsed}))
"""


def time_build_in(repo, image_set):
    done = subprocess.run(
        [sys.executable, "-c", BUILD_IN, str(repo), str(image_set.pk)], capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"building with {repo} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])["seconds"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--kib", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repo", action="append", default=[], type=Path, help="another checkout to measure too")
    options = parser.parse_args()

    _setup.setup_django()
    import logging

    logging.getLogger("images.zips").setLevel(logging.WARNING)
    from images.models import ImageSet

    image_set, folder = create_set(options.images, options.kib * 1024)
    total = options.images * options.kib * 1024
    copy_target = _setup.WORKDIR / "cp-copy"
    for path in folder.iterdir():  # warm the page cache for both contenders
        path.read_bytes()

    repos = [_setup.REPO, *(repo.resolve() for repo in options.repo)]
    cp_times, build_times = [], {repo: [] for repo in repos}
    for round_number in range(options.rounds):
        cp_times.append(time_cp(folder, copy_target))
        if not options.repo:
            build_times[_setup.REPO].append(time_build(image_set))
            continue
        for repo in repos if round_number % 2 == 0 else list(reversed(repos)):
            forget_archive(image_set)
            build_times[repo].append(time_build_in(repo, image_set))
    image_set = ImageSet.objects.get(pk=image_set.pk)

    megabytes = total / 1e6
    cp_rate = megabytes / min(cp_times)
    cp_median = megabytes / statistics.median(cp_times)
    print(f"machine: {_setup.machine()} (nproc {os.cpu_count()})")
    archive = image_set.zip_size / 1e6
    print(f"set: {options.images} images of {options.kib} KiB = {megabytes:.0f} MB; archive {archive:.0f} MB")
    print(
        f"cp -r + sync:        best {min(cp_times):6.2f} s  {cp_rate:7.1f} MB/s;  "
        f"median {statistics.median(cp_times):6.2f} s  {cp_median:7.1f} MB/s  ({options.rounds} rounds)"
    )
    for repo, times in build_times.items():
        rate, median = megabytes / min(times), megabytes / statistics.median(times)
        where = f" [{repo}]" if options.repo else ""
        print(
            f"zip build (stored):  best {min(times):6.2f} s  {rate:7.1f} MB/s;  "
            f"median {statistics.median(times):6.2f} s  {median:7.1f} MB/s{where}"
        )
        print(f"  ratio zip build / cp: best {rate / cp_rate:.2f}, median {median / cp_median:.2f}")
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    shutil.rmtree(_setup.WORKDIR, ignore_errors=True)


if __name__ == "__main__":
    main()
