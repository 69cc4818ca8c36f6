"""Benchmark: ingest of a 1,000-image zip archive (images/s, peak memory).

Baseline, measured in the same run: unpacking the same archive with Python's zipfile to a folder
(what any upload has to do at least). ImageTagger additionally checks every entry, decodes every
image fully, hashes it, writes it through the storage API and makes a thumbnail.

    .venv/bin/python bench/bench_ingest.py [--images 1000]
"""

import argparse
import io
import random
import resource
import shutil
import time
import tracemalloc
import zipfile

import _setup

_setup.setup_django()

from django.core.files.uploadedfile import TemporaryUploadedFile  # noqa: E402
from PIL import Image as PILImage  # noqa: E402

from images.ingest import ingest_upload  # noqa: E402
from images.services import create_imageset  # noqa: E402
from users.models import User  # noqa: E402
from users.services import create_team  # noqa: E402


def camera_like_jpeg(seed, width=640, height=480):
    """A JPEG with noise over gradients, about the size of a small camera frame."""
    rng = random.Random(seed)
    image = PILImage.effect_noise((width, height), 40).convert("RGB")
    overlay = PILImage.new("RGB", (width, height), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    image = PILImage.blend(image, overlay, 0.5)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    args = parser.parse_args()

    archive_path = _setup.WORKDIR / "upload.zip"
    with zipfile.ZipFile(archive_path, "w", zipfile.ZIP_STORED) as archive:
        for number in range(args.images):
            archive.writestr(f"run1/frame{number:05d}.jpg", camera_like_jpeg(number))
    size_mb = archive_path.stat().st_size / 1e6

    # Baseline: plain extraction of the same archive.
    target = _setup.WORKDIR / "extracted"
    started = time.perf_counter()
    with zipfile.ZipFile(archive_path) as archive:
        archive.extractall(target)
    baseline = time.perf_counter() - started
    shutil.rmtree(target)

    user = User.objects.create_user("bench", password="x")
    team = create_team(creator=user, name="bench team")
    image_set = create_imageset(actor=user, team=team, name="bench set")
    upload = TemporaryUploadedFile("upload.zip", "application/zip", archive_path.stat().st_size, None)
    with archive_path.open("rb") as source:
        shutil.copyfileobj(source, upload)
    upload.seek(0)

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    results = ingest_upload(actor=user, image_set=image_set, uploaded_file=upload)
    elapsed = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    # Python allocations, in a second (traced, hence slower) run on a fresh set.
    second_set = create_imageset(actor=user, team=team, name="bench set 2")
    upload.seek(0)
    tracemalloc.start()
    ingest_upload(actor=user, image_set=second_set, uploaded_file=upload)
    _, python_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    added = sum(result.status == "added" for result in results)
    assert added == args.images, f"only {added} of {args.images} images were added"
    print(f"ingest of a {args.images}-image zip ({size_mb:.0f} MB, 640x480 JPEG) on {_setup.machine()}")
    print(f"  plain unzip (baseline):  {baseline:7.2f} s  {args.images / baseline:8.0f} images/s")
    print(f"  ImageTagger ingest:      {elapsed:7.2f} s  {args.images / elapsed:8.0f} images/s")
    print(f"  ratio ingest / unzip:    {elapsed / baseline:7.1f}x")
    print(
        f"  peak memory: Python heap {python_peak / 1e6:.1f} MB during ingest; process max RSS "
        f"{rss_after / 1024:.0f} MB, grown by {(rss_after - rss_before) / 1024:.1f} MB during ingest "
        f"(archive: {size_mb:.0f} MB)"
    )
    shutil.rmtree(_setup.WORKDIR, ignore_errors=True)


if __name__ == "__main__":
    main()
