"""The reference model backend (``assist.reference``) as a real process on a free port, fetching its
images from a real local HTTP server: health and setup, faces found in a real photo (Grace Hopper's
portrait, shipped with matplotlib) and nothing in a plain grey image, task order, per-task errors,
bad requests, the auth token, GrabCut outlines of a disc from a box and from a point prompt, and
ImageTagger's own client reading its answers. No database: model rows are plain stand-ins."""

import functools
import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from matplotlib import cbook

from annotations.models import VectorType
from assist import client, results

IMAGETAGGER = Path(__file__).resolve().parents[2]
TIMEOUT = 30
TOKEN = "reference-s3cret-token-42"

# The face in grace_hopper.jpg (512×600 pixels), read off the photo by eye: brow below the cap's
# peak to the chin, cheek to cheek (x1, y1, x2, y2).
HOPPER_FACE = (165, 145, 360, 340)
HOPPER_SIZE = (512, 600)

# The synthetic scene of the prompt tests: a red disc on grey-green noise.
SCENE_SIZE = (320, 240)
DISC_CENTRE, DISC_RADIUS = (150, 120), 60


class QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """A local HTTP server of the test images: ``images(name)`` is the URL of one."""
    folder = tmp_path_factory.mktemp("images")
    shutil.copy(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False), folder / "hopper.jpg")
    cv2.imwrite(str(folder / "grey.png"), np.full((240, 320, 3), 128, np.uint8))
    cv2.imwrite(str(folder / "disc.png"), disc_scene())
    (folder / "notes.txt").write_text("This is not an image.\n" * 20)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietFiles, directory=str(folder)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield lambda name: f"http://127.0.0.1:{server.server_address[1]}/{name}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def disc_scene():
    width, height = SCENE_SIZE
    noise = np.random.default_rng(17).integers(0, 60, (height, width, 3), dtype=np.uint8)
    scene = (noise + np.array([70, 110, 90], np.uint8)).astype(np.uint8)
    disc = np.zeros((height, width), np.uint8)
    cv2.circle(disc, DISC_CENTRE, DISC_RADIUS, 1, -1)
    red = (noise // 3 + np.array([30, 40, 200], np.uint8)).astype(np.uint8)
    scene[disc == 1] = red[disc == 1]
    return scene


def disc_mask():
    mask = np.zeros(SCENE_SIZE[::-1], np.uint8)
    cv2.circle(mask, DISC_CENTRE, DISC_RADIUS, 1, -1)
    return mask


class Backend:
    """``python -m assist.reference --port 0`` as a subprocess; its stderr goes to ``log``."""

    def __init__(self, log, *arguments):
        env = {key: value for key, value in os.environ.items() if key != "REFERENCE_BACKEND_TOKEN"}
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "assist.reference", "--port", "0", "--fetch-timeout", "5", *arguments],
            cwd=IMAGETAGGER,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log_file,
        )
        lines = queue.Queue()
        threading.Thread(target=lambda: lines.put(self.process.stdout.readline()), daemon=True).start()
        try:
            first = lines.get(timeout=TIMEOUT).decode().strip()
        except queue.Empty:
            self.stop()
            pytest.fail(f"the backend printed no address within {TIMEOUT} s")
        if not first.startswith("listening on http://127.0.0.1:"):
            self.stop()
            pytest.fail(f"the backend did not start: {first!r}; its log: {log.read_text()[-2000:]}")
        self.url = first.removeprefix("listening on ")

    def call(self, method, path, body=None, *, headers=(), raw=None):
        """``(status, answer)`` of one request (``raw``: bytes sent as they are)."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=dict(headers))
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.loads(error.read())

    def predict(self, *urls, **body):
        tasks = [{"id": number, "data": {"image": url}} for number, url in enumerate(urls, start=1)]
        status, answer = self.call("POST", "/predict", {"tasks": tasks, **body})
        assert status == 200, answer
        assert len(answer["results"]) == len(urls)
        return answer["results"]

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process.stdout.close()
        self._log_file.close()


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    started = Backend(tmp_path_factory.mktemp("backend") / "stderr.log", "--model-version", "test-7")
    yield started
    started.stop()


@pytest.fixture
def guarded_backend(tmp_path):
    started = Backend(tmp_path / "stderr.log", "--auth-token", TOKEN)
    yield started
    started.stop()


def iou(first, second):
    """IoU of two boxes ``(x1, y1, x2, y2)``."""
    width = min(first[2], second[2]) - max(first[0], second[0])
    height = min(first[3], second[3]) - max(first[1], second[1])
    overlap = max(0, width) * max(0, height)
    area = (first[2] - first[0]) * (first[3] - first[1]) + (second[2] - second[0]) * (second[3] - second[1])
    return overlap / (area - overlap)


def pixel_box(result):
    value, width, height = result["value"], result["original_width"], result["original_height"]
    x1, y1 = value["x"] * width / 100, value["y"] * height / 100
    return x1, y1, x1 + value["width"] * width / 100, y1 + value["height"] * height / 100


def polygon_iou_with_disc(result):
    """IoU of the polygon result rasterised (cv2.fillPoly) with the scene's disc."""
    width, height = SCENE_SIZE
    points = np.array([[x * width / 100, y * height / 100] for x, y in result["value"]["points"]])
    polygon = np.zeros((height, width), np.uint8)
    cv2.fillPoly(polygon, [np.round(points).astype(np.int32)], 1)
    disc = disc_mask()
    return np.logical_and(polygon, disc).sum() / np.logical_or(polygon, disc).sum()


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_health_and_setup_name_the_model_version(backend):
    status, health = backend.call("GET", "/health")
    assert status == 200
    assert health == {
        "status": "UP",
        "model_class": "HaarReferenceModel",
        "model_version": "imagetagger-reference-test-7",
    }
    setup = {"project": "imagetagger-3", "schema": "<View/>", "hostname": "http://localhost", "access_token": "x"}
    assert backend.call("POST", "/setup", setup) == (200, {"model_version": "imagetagger-reference-test-7"})


def test_the_face_in_a_photo_is_found(backend, images):
    [prediction] = backend.predict(images("hopper.jpg"))
    assert "error" not in prediction
    faces = [result for result in prediction["result"] if result["value"]["rectanglelabels"] == ["face"]]
    assert faces, prediction
    best = max(faces, key=lambda result: result["score"])
    assert iou(pixel_box(best), HOPPER_FACE) > 0.5, pixel_box(best)
    assert (best["original_width"], best["original_height"]) == HOPPER_SIZE
    assert (best["from_name"], best["to_name"], best["type"]) == ("label", "image", "rectanglelabels")
    assert all(0 <= result["score"] <= 1 for result in prediction["result"])
    assert prediction["score"] == max(result["score"] for result in prediction["result"])
    assert prediction["model_version"] == "imagetagger-reference-test-7"


def test_the_label_config_names_the_tags_and_the_labels_wanted(backend, images):
    config = """<View>
      <Image name="photo" value="$image"/>
      <RectangleLabels name="boxes" toName="photo"><Label value="Face"/><Label value="cat"/></RectangleLabels>
    </View>"""
    [prediction] = backend.predict(images("hopper.jpg"), label_config=config)
    assert prediction["result"]
    for result in prediction["result"]:
        assert (result["from_name"], result["to_name"]) == ("boxes", "photo")
        assert result["value"]["rectanglelabels"] == ["Face"]


def test_a_plain_grey_image_has_nothing(backend, images):
    [prediction] = backend.predict(images("grey.png"))
    assert prediction["result"] == []
    assert "error" not in prediction


def test_several_tasks_are_answered_in_order(backend, images):
    predictions = backend.predict(images("grey.png"), images("hopper.jpg"), images("grey.png"), images("hopper.jpg"))
    assert [bool(prediction["result"]) for prediction in predictions] == [False, True, False, True]


def test_a_bad_image_gets_an_error_and_the_others_are_still_labelled(backend, images):
    predictions = backend.predict(
        images("hopper.jpg"),
        f"http://127.0.0.1:{closed_port()}/gone.jpg",
        images("notes.txt"),
        images("missing.png"),
        "file:///etc/passwd",
        images("hopper.jpg"),
    )
    first, unreachable, not_an_image, missing, not_http, last = predictions
    for failed in (unreachable, not_an_image, missing, not_http):
        assert failed["result"] == []
        assert failed["error"]
    assert "could not be fetched" in unreachable["error"]
    assert "not an image" in not_an_image["error"]
    assert "404" in missing["error"]
    assert "http" in not_http["error"]
    assert first["result"]
    assert "error" not in first
    assert last["result"] == first["result"]


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"task": []}', "no list of tasks"),
        (b'{"tasks": {"id": 1}}', "no list of tasks"),
    ],
)
def test_a_bad_body_is_refused(backend, raw, says):
    status, answer = backend.call("POST", "/predict", raw=raw)
    assert status == 400
    assert says in answer["error"]


def test_the_auth_token_is_required_when_set_and_never_logged(guarded_backend):
    assert guarded_backend.call("GET", "/health")[0] == 401
    assert guarded_backend.call("GET", "/health", headers={"Authorization": "Bearer wrong"})[0] == 401
    assert guarded_backend.call("POST", "/predict", {"tasks": []}, headers={"Authorization": TOKEN})[0] == 401
    status, health = guarded_backend.call("GET", "/health", headers={"Authorization": f"Bearer {TOKEN}"})
    assert (status, health["status"]) == (200, "UP")
    status, answer = guarded_backend.call(
        "POST", "/predict", {"tasks": []}, headers={"Authorization": f"Token {TOKEN}"}
    )
    assert (status, answer["results"]) == (200, [])
    guarded_backend.stop()
    log = guarded_backend.log.read_text()
    assert TOKEN not in log
    assert len([line for line in log.splitlines() if line.endswith(" ms")]) == 5
    assert '"POST /predict" 401' in log
    assert '"POST /predict" 200' in log


def prompted_outline(backend, images, prompt):
    [prediction] = backend.predict(images("disc.png"), params={"context": {"result": [prompt]}})
    assert "error" not in prediction, prediction
    [result] = prediction["result"]
    assert (result["type"], result["original_width"], result["original_height"]) == ("polygonlabels", *SCENE_SIZE)
    assert result["value"]["closed"] is True
    assert 3 <= len(result["value"]["points"]) <= 64
    return result


def test_a_box_prompt_is_outlined_with_a_polygon(backend, images):
    width, height = SCENE_SIZE
    left, top = DISC_CENTRE[0] - DISC_RADIUS - 20, DISC_CENTRE[1] - DISC_RADIUS - 20
    side = 2 * DISC_RADIUS + 40
    box = {"x": left * 100 / width, "y": top * 100 / height, "width": side * 100 / width, "height": side * 100 / height}
    prompt = {
        "type": "rectanglelabels",
        "from_name": "label",
        "to_name": "image",
        "original_width": width,
        "original_height": height,
        "value": box | {"rotation": 0, "rectanglelabels": ["ball"]},
    }
    result = prompted_outline(backend, images, prompt)
    assert result["value"]["polygonlabels"] == ["ball"]
    assert polygon_iou_with_disc(result) > 0.8


def test_a_point_prompt_is_outlined_with_a_polygon(backend, images):
    width, height = SCENE_SIZE
    point = {"x": DISC_CENTRE[0] * 100 / width, "y": DISC_CENTRE[1] * 100 / height, "keypointlabels": ["ball"]}
    prompt = {"type": "keypointlabels", "is_positive": True, "value": point}
    assert polygon_iou_with_disc(prompted_outline(backend, images, prompt)) > 0.8


def test_a_prompt_without_a_box_or_point_is_refused(backend, images):
    body = {
        "tasks": [{"id": 1, "data": {"image": images("disc.png")}}],
        "params": {"context": {"result": [{"type": "choices", "value": {"choices": ["x"]}}]}},
    }
    status, answer = backend.call("POST", "/predict", body)
    assert status == 400
    assert "no rectanglelabels box" in answer["error"]


def test_unknown_paths_and_methods(backend):
    assert backend.call("GET", "/nothing-here")[0] == 404
    assert backend.call("GET", "/predict")[0] == 405


def test_imagetaggers_own_client_reads_its_answers(backend, images):
    """``assist.client`` and ``assist.results`` as the pre-label jobs use them, against this backend."""
    face = SimpleNamespace(pk=11, name="Face", vector_type=VectorType.BOUNDING_BOX)
    ball = SimpleNamespace(pk=12, name="Ball", vector_type=VectorType.POLYGON)
    types_by_label = {"face": face, "ball": ball}
    registered = SimpleNamespace(pk=5, url=backend.url, auth_header="")
    config = results.label_config(types_by_label)
    assert client.health(registered)["status"] == "UP"
    assert client.setup(registered, config) == "imagetagger-reference-test-7"
    hopper, grey = SimpleNamespace(width=512, height=600), SimpleNamespace(width=320, height=240)
    tasks = [{"id": 1, "data": {"image": images("hopper.jpg")}}, {"id": 2, "data": {"image": images("grey.png")}}]
    found_in_hopper, found_in_grey = (
        results.proposals(prediction, image, types_by_label)
        for prediction, image in zip(client.predict(registered, tasks, config), (hopper, grey), strict=True)
    )
    assert found_in_hopper
    assert all(isinstance(found, results.Proposal) and found.type_id == face.pk for found in found_in_hopper)
    assert found_in_grey == []

    scene = SimpleNamespace(width=SCENE_SIZE[0], height=SCENE_SIZE[1])
    point = {
        "x": DISC_CENTRE[0] * 100 / scene.width,
        "y": DISC_CENTRE[1] * 100 / scene.height,
        "keypointlabels": ["ball"],
    }
    context = {"result": [{"type": "keypointlabels", "is_positive": True, "value": point}]}
    [prediction] = client.predict(
        registered, [{"id": 3, "data": {"image": images("disc.png")}}], config, context=context
    )
    [outlined] = results.proposals(prediction, scene, types_by_label)
    assert isinstance(outlined, results.Proposal), outlined
    assert outlined.type_id == ball.pk
    assert len(outlined.vector) >= 6
