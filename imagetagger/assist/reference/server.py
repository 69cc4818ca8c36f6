"""The HTTP server: ``GET /health``, ``POST /setup`` and ``POST /predict`` of the Label Studio ML
backend protocol, on the standard library's ``ThreadingHTTPServer``.

``/predict`` answers one entry per task, in task order. A task whose image cannot be fetched or
decoded gets an empty ``result`` and an ``error``: one bad image never fails the batch. With a prompt
in ``params.context.result`` each task gets a polygon outlining the prompted object instead of the
detected boxes."""

import hmac
import json
import socket
import sys
import time
import traceback
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import protocol
from .detect import Detector
from .fetch import FetchError, fetch_image
from .segment import outline

MODEL_NAME = "imagetagger-reference"
MODEL_CLASS = "HaarReferenceModel"
MAX_BODY_BYTES = 16 * 1024 * 1024
MAX_TASKS = 1000
FETCH_WORKERS = 4


@dataclass
class Settings:
    model_version: str = "1.0"
    auth_token: str | None = None
    fetch_timeout: float = 10.0


class ReferenceBackend:
    """What the handlers answer with: the model, its version and the token requests must carry."""

    def __init__(self, settings):
        self.settings = settings
        self.version = f"{MODEL_NAME}-{settings.model_version}"
        self.detector = Detector()
        self.pool = ThreadPoolExecutor(max_workers=FETCH_WORKERS, thread_name_prefix="task")

    def authorized(self, header):
        """Whether the ``Authorization`` header carries the token (as ``Bearer`` or ``Token``)."""
        token = self.settings.auth_token
        if not token:
            return True
        scheme, _, given = (header or "").strip().partition(" ")
        return scheme.lower() in ("bearer", "token") and hmac.compare_digest(given.strip().encode(), token.encode())

    def health(self, body):
        return 200, {"status": "UP", "model_class": MODEL_CLASS, "model_version": self.version}

    def setup(self, body):
        return 200, {"model_version": self.version}

    def predict(self, body):
        tasks = body.get("tasks")
        if not isinstance(tasks, list):
            raise protocol.BadRequest("the body holds no list of tasks")
        if len(tasks) > MAX_TASKS:
            raise protocol.BadRequest(f"more than {MAX_TASKS} tasks in one request")
        config = protocol.parse_label_config(body.get("label_config"))
        prompt = protocol.prompt_of(body.get("params"))
        results = list(self.pool.map(lambda task: self.predict_task_safely(task, config, prompt), tasks))
        return 200, {"results": results, "model_version": self.version}

    def predict_task_safely(self, task, config, prompt):
        """``predict_task``, or an entry with an ``error`` when it fails: one image never fails the batch."""
        try:
            return self.predict_task(task, config, prompt)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return {
                "result": [],
                "error": "the backend failed on this image; its log says why",
                "model_version": self.version,
            }

    def predict_task(self, task, config, prompt):
        """One task's entry: its boxes (or the prompted outline), or an ``error`` saying why there are none."""
        try:
            image = fetch_image(protocol.image_url(task, config), timeout=self.settings.fetch_timeout)
        except FetchError as error:
            return {"result": [], "error": str(error), "model_version": self.version}
        height, width = image.shape[:2]
        if prompt is not None:
            items, label = prompt
            points = outline(image, protocol.pixel_prompt(items, width, height))
            found = [protocol.polygon_result(points, label, config, width, height)] if len(points) >= 3 else []
            return {"result": found, "model_version": self.version}
        spelled = dict(config.labels)
        detections = self.detector.detect(image, labels=set(spelled))
        found = [protocol.box_result(d, spelled[d.label], config, width, height) for d in detections]
        return {
            "result": found,
            "score": max((result["score"] for result in found), default=0.0),
            "model_version": self.version,
        }


ROUTES = {
    ("GET", "/"): ReferenceBackend.health,
    ("GET", "/health"): ReferenceBackend.health,
    ("POST", "/setup"): ReferenceBackend.setup,
    ("POST", "/predict"): ReferenceBackend.predict,
}


class Handler(BaseHTTPRequestHandler):
    server_version = "ImageTaggerReferenceBackend/1"

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def _handle(self, method):
        started = time.monotonic()
        path = urllib.parse.urlsplit(self.path).path
        try:
            status, answer = self._answer(method, path)
        except Exception:  # a bug here must not kill the thread silently
            traceback.print_exc(file=sys.stderr)
            status, answer = 500, {"error": "the backend failed on this request; its log says why"}
        elapsed = (time.monotonic() - started) * 1000
        # Logged before the answer goes out, so a client that has its answer finds the line written.
        sys.stderr.write(f'{self.address_string()} "{method} {path}" {status} {elapsed:.0f} ms\n')
        self._send(status, answer)

    def _answer(self, method, path):
        backend = self.server.backend
        if not backend.authorized(self.headers.get("Authorization")):
            return 401, {"error": "a valid Authorization header (Bearer <token>) is needed"}
        route = ROUTES.get((method, path))
        if route is None:
            known = any(known_path == path for _, known_path in ROUTES)
            return (405, {"error": f"{method} is not allowed here"}) if known else (404, {"error": "no such path"})
        body = {}
        if method == "POST":
            body, problem = self._json_body()
            if problem:
                return problem
        try:
            return route(backend, body)
        except protocol.BadRequest as error:
            return 400, {"error": str(error)}

    def _json_body(self):
        """``(body, None)`` or ``(None, (status, answer))`` when the body is too large or not a JSON object."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return None, (400, {"error": "the Content-Length is not a number"})
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            return None, (413, {"error": f"the body is larger than {MAX_BODY_BYTES // 1024 // 1024} MB"})
        try:
            body = json.loads(self.rfile.read(length))
        except (ValueError, UnicodeDecodeError):
            return None, (400, {"error": "the body is not JSON"})
        if not isinstance(body, dict):
            return None, (400, {"error": "the body is not a JSON object"})
        return body, None

    def _send(self, status, answer):
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if status == 401:
            self.send_header("WWW-Authenticate", "Bearer")
        self.end_headers()
        try:
            self.wfile.write(payload)
        except OSError:  # the client gave up waiting
            self.close_connection = True

    def log_request(self, code="-", size="-"):
        """``_handle`` logs one line per request (without any header)."""

    def log_message(self, format, *args):
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, backend):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.backend = backend
        super().__init__(address, Handler)


def make_server(host, port, settings):
    """A bound server (``port`` 0: a free one; ``server.server_address[1]`` says which)."""
    return Server((host, port), ReferenceBackend(settings))
