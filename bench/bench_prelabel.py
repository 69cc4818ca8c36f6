"""Benchmark: pre-labelling a set with a model backend (issue 17), against calling the backend directly.

Data: the face demo set (``assist/tests/faces.py``: Grace Hopper's portrait, shipped with matplotlib,
as it is, mirrored, darker, small in a larger scene and twice side by side, plus two pictures without a
face), ``--copies`` times over, stored as ImageTagger images (bench/_setup.py: a throw-away database
and data folder). The reference backend (``python -m assist.reference``: OpenCV's Haar cascades) runs
as its own process; ImageTagger's image links are served by Django in a thread of this process.

Measured in alternating rounds (``--rounds``; the order flips every round), each over every image:

- direct: ``assist.client.predict`` in a loop, batches of ``--batch`` tasks whose image URLs point at
  a plain file server (``http.server``) holding the same files — what any client pays for the model;
- pre-label job: ``assist.jobs.run`` of a new job over a fresh copy of the set (same batches; the
  backend fetches each image through its signed link; labels checked and written, progress saved).

Reported: images/s of each (median of the rounds) and their ratio; the job's labels that a reviewer
would accept (those covering a known face, IoU ≥ 0.5) as a share of the labels made, and the faces
found as a share of the faces in the set.

    .venv/bin/python bench/bench_prelabel.py [--copies 4] [--rounds 3] [--batch 8]

Every wait has a timeout (``--timeout`` seconds per backend call; the backend must start in 30 s).
"""

import argparse
import functools
import io
import queue
import statistics
import subprocess
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import _setup
import cv2
import numpy

_setup.setup_django()

from django.conf import settings  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402
from django.test.testcases import LiveServerThread  # noqa: E402

from annotations.models import Annotation, AnnotationType, VectorType  # noqa: E402
from assist import client, jobs, results, services  # noqa: E402
from assist.models import JobState  # noqa: E402
from assist.tests.faces import covers_a_face, face_pictures  # noqa: E402
from images.ingest import add_image_file  # noqa: E402
from images.services import create_imageset  # noqa: E402
from users.models import User  # noqa: E402
from users.services import create_team  # noqa: E402

START_SECONDS = 30


class QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def start_reference_backend():
    process = subprocess.Popen(
        [sys.executable, "-m", "assist.reference", "--port", "0"],
        cwd=_setup.REPO / "imagetagger",
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    lines = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()
    try:
        first = lines.get(timeout=START_SECONDS).decode().strip()
    except queue.Empty:
        process.kill()
        raise SystemExit(f"the reference backend printed no address within {START_SECONDS} s") from None
    if not first.startswith("listening on "):
        process.kill()
        raise SystemExit(f"the reference backend did not start: {first!r}")
    return process, first.removeprefix("listening on ")


def start_site():
    """ImageTagger in a thread (for the backend to fetch the image links), like the test live server."""
    server = LiveServerThread("127.0.0.1", lambda handler: handler, connections_override=None, port=0)
    server.daemon = True
    server.start()
    if not server.is_ready.wait(START_SECONDS) or server.error:
        raise SystemExit(f"the site did not start: {server.error}")
    return server, f"http://127.0.0.1:{server.port}"


def start_file_server(folder):
    handler = functools.partial(QuietFiles, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def marked(data, number):
    """The picture with its corner pixel changed by ``number`` (copies are not duplicates of each other)."""
    pixels = cv2.imdecode(numpy.frombuffer(data, numpy.uint8), cv2.IMREAD_COLOR)
    pixels[0, 0] = (number * 37 % 256, number * 11 % 256, number % 256)
    return cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()


def make_set(owner, team, copies, number):
    image_set = create_imageset(actor=owner, team=team, name=f"faces {number}")
    faces = {}
    for copy in range(copies):
        for picture in face_pictures():
            name = f"{copy}-{picture.name}"
            added = add_image_file(image_set, name=name, fileobj=io.BytesIO(marked(picture.data, copy)), uploader=owner)
            if added.status != "added":
                raise SystemExit(f"{name}: {added}")
            faces[name] = picture.faces
    return image_set, faces


def direct_round(backend, image_set, files_url, config, batch):
    images = list(image_set.images.order_by("name", "id"))
    started = time.perf_counter()
    for index in range(0, len(images), batch):
        tasks = [
            {"id": image.pk, "data": {"image": f"{files_url}/{image.relative_path}"}}
            for image in images[index : index + batch]
        ]
        predictions = client.predict(backend, tasks, config)
        if any(prediction.get("error") for prediction in predictions):
            raise SystemExit(f"the backend failed: {predictions}")
    return len(images) / (time.perf_counter() - started)


def job_round(owner, backend, image_set):
    job, _ = services.start_prelabel(actor=owner, backend=backend, image_set=image_set)
    started = time.perf_counter()
    jobs.run(job.pk)
    elapsed = time.perf_counter() - started
    job.refresh_from_db()
    if job.state != JobState.FINISHED or job.backend_errors:
        raise SystemExit(f"the job did not finish cleanly: {job.state} {job.error} {job.report[:3]}")
    return job.images_done / elapsed, job


def box_of(label):
    return tuple(label.vector[key] for key in ("x1", "y1", "x2", "y2"))


def rounds(rates):
    return ", ".join(f"{rate:.2f}" for rate in rates)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=4, help="copies of the 7-picture demo set (4)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=8, help="tasks per /predict call (IT_ASSIST_BATCH_SIZE)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per backend call")
    options = parser.parse_args()
    settings.ASSIST_BATCH_SIZE = options.batch
    settings.ASSIST_TIMEOUT = options.timeout
    settings.ASSIST_MIN_INTERVAL = 0.0

    process, backend_url = start_reference_backend()
    site, site_url = start_site()
    files, files_url = start_file_server(default_storage.location)
    settings.ASSIST_IMAGE_BASE_URL = site_url
    try:
        owner = User.objects.create_user("bench", password="x")
        team = create_team(creator=owner, name="bench")
        face = AnnotationType.objects.create(name="face", team=team, vector_type=VectorType.BOUNDING_BOX)
        backend = services.register_backend(
            actor=owner, team=team, name="reference", url=backend_url, label_map={"face": face.pk}
        )
        config = results.label_config(services.mapped_types(backend))
        sets = [make_set(owner, team, options.copies, number) for number in range(options.rounds)]
        count = sets[0][0].images.count()
        print(f"pre-label, issue 17: {count} images ({options.copies} × the face demo set), batches of {options.batch}")
        print(f"on {_setup.machine()}")
        direct_round(backend, sets[0][0], files_url, config, options.batch)  # warm-up: cascades loaded
        direct, job_rates, found = [], [], []
        for number, (image_set, faces) in enumerate(sets):
            order = ("direct", "job") if number % 2 == 0 else ("job", "direct")
            for variant in order:
                if variant == "direct":
                    direct.append(direct_round(backend, image_set, files_url, config, options.batch))
                else:
                    rate, job = job_round(owner, backend, image_set)
                    job_rates.append(rate)
                    labels = Annotation.objects.filter(image__image_set=image_set).select_related("image")
                    boxes = [(label.image.name, box_of(label)) for label in labels]
                    accepted = sum(covers_a_face(box, faces[name]) for name, box in boxes)
                    faces_found = sum(
                        any(covers_a_face(box, (face_box,)) for other, box in boxes if other == name)
                        for name, face_boxes in faces.items()
                        for face_box in face_boxes
                    )
                    found.append((len(boxes), accepted, faces_found, sum(len(f) for f in faces.values())))
            print(f"  round {number + 1}: direct {direct[-1]:6.2f} images/s   job {job_rates[-1]:6.2f} images/s")
        direct_median, job_median = statistics.median(direct), statistics.median(job_rates)
        made, accepted, faces_found, faces_total = found[0]
        print(f"direct /predict loop   {direct_median:6.2f} images/s   (rounds: {rounds(direct)})")
        print(f"pre-label job          {job_median:6.2f} images/s   (rounds: {rounds(job_rates)})")
        print(f"job / direct           {job_median / direct_median:6.2f}")
        print(
            f"labels a reviewer accepts (IoU >= 0.5 with a known face): {accepted} of {made} "
            f"({100 * accepted / max(made, 1):.0f} %); faces found: {faces_found} of {faces_total} "
            f"({100 * faces_found / faces_total:.0f} %)"
        )
    finally:
        files.shutdown()
        site.terminate()
        process.kill()
        process.wait(timeout=START_SECONDS)


if __name__ == "__main__":
    main()
