"""A real HTTP server in a thread that answers the ML backend protocol as a test scripts it: good
results, errors, malformed answers, hangs. Every request it received is kept (with its headers)."""

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ScriptedBackend:
    """``predict(body) -> (status, answer)`` decides each ``/predict`` answer (``answer``: an object
    sent as JSON, or bytes sent as they are); ``delay`` seconds pass before any answer."""

    def __init__(self):
        self.requests = []
        self.delay = 0.0
        self.health = {"status": "UP", "model_class": "Scripted"}
        self.version = "v1"
        self.predict = lambda body: (200, {"results": [{"result": []} for _ in body["tasks"]]})
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status, answer):
                payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                with contextlib.suppress(OSError):  # the client gave up waiting
                    self.wfile.write(payload)

            def do_GET(self):
                backend.requests.append(("GET", self.path, dict(self.headers), None))
                time.sleep(backend.delay)
                self._answer(200, backend.health)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                backend.requests.append(("POST", self.path, dict(self.headers), body))
                time.sleep(backend.delay)
                if self.path == "/setup":
                    self._answer(200, {"model_version": backend.version})
                else:
                    self._answer(*backend.predict(body))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def predicted_tasks(self):
        return [body["tasks"] for method, path, _, body in self.requests if path == "/predict"]


def box_result(label, x, y, width, height, score=0.9):
    """A Label Studio rectangle result in percent."""
    return {
        "from_name": "rectanglelabels",
        "to_name": "image",
        "type": "rectanglelabels",
        "value": {"x": x, "y": y, "width": width, "height": height, "rotation": 0, "rectanglelabels": [label]},
        "score": score,
    }
