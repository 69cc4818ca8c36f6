"""Zip build with the files in an S3-compatible bucket, as a ratio to the same build from a local folder.

    .venv/bin/python bench/bench_s3.py [--images 200] [--kib 500] [--rounds 2]

Starts a local S3-compatible server (moto's server mode, in a process of its own), stores a set of
``--images`` files of ``--kib`` KiB both in a throw-away data folder and in the bucket, then builds
the set's archive ``--rounds`` times from each (the builder of ``manage.py runzipdaemon``: each image
read as a stream, the archive written to IT_TMP_FS_URL and uploaded in parts). Prints the best round
of each, and the peak of Python memory allocations of one build (tracemalloc), which stays far below
the size of one archive: nothing is loaded whole. The server runs on this machine and keeps the
objects in memory, so the figures show the overhead of the S3 protocol, not a real object store's speed.
"""

import argparse
import os
import shutil
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _setup  # sets up the environment before Django is imported


def create_set(count, size):
    """The set of bench_zip.py (its files in the local folder), and ``{storage name: bytes}`` of them."""
    from bench_zip import create_set as create_local_set

    image_set, folder = create_local_set(count, size)
    return image_set, {f"{image_set.image_folder()}/{path.name}": path.read_bytes() for path in folder.iterdir()}


def store(files):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    for name, data in files.items():
        assert default_storage.save(name, ContentFile(data)) == name


def time_build(image_set, rounds):
    from images import zips
    from images.models import ImageSet

    times = []
    for _ in range(rounds):
        ImageSet.objects.filter(pk=image_set.pk).update(zip_built_version=None)
        started = time.perf_counter()
        summary = zips.build(image_set.pk)
        times.append(time.perf_counter() - started)
        assert summary["builds"] == 1, summary
    ImageSet.objects.filter(pk=image_set.pk).update(zip_built_version=None)
    tracemalloc.start()
    zips.build(image_set.pk)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return min(times), peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--kib", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()

    _setup.setup_django()
    import logging

    logging.getLogger("images.zips").setLevel(logging.WARNING)
    from django.conf import settings
    from django.test import override_settings

    from base.tests.s3 import LocalS3
    from images.models import ImageSet

    server = LocalS3(separate_process=True)
    try:
        image_set, files = create_set(options.images, options.kib * 1024)
        local_time, local_peak = time_build(image_set, options.rounds)
        bucket = {**settings.STORAGES, "default": server.storage_settings("bench")}
        with override_settings(STORAGES=bucket):
            store(files)
            s3_time, s3_peak = time_build(image_set, options.rounds)
            archive = ImageSet.objects.get(pk=image_set.pk).zip_size / 1e6
    finally:
        server.stop()

    megabytes = options.images * options.kib * 1024 / 1e6
    print(f"machine: {_setup.machine()} (nproc {os.cpu_count()})")
    print(f"set: {options.images} images of {options.kib} KiB = {megabytes:.0f} MB; archive {archive:.0f} MB")
    print(
        f"zip build, local folder:      {local_time:6.2f} s  {megabytes / local_time:7.1f} MB/s  "
        f"peak Python memory {local_peak / 1e6:5.1f} MB  (best of {options.rounds})"
    )
    print(
        f"zip build, bucket (local S3): {s3_time:6.2f} s  {megabytes / s3_time:7.1f} MB/s  "
        f"peak Python memory {s3_peak / 1e6:5.1f} MB  (best of {options.rounds})"
    )
    print(f"ratio bucket / local folder (time): {s3_time / local_time:.2f}")
    shutil.rmtree(_setup.WORKDIR, ignore_errors=True)


if __name__ == "__main__":
    main()
