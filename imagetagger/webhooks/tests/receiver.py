"""A real HTTP receiver in a thread: it keeps every request (headers and the exact body bytes) and answers
as the test scripts it: a status per request, a hang, or holding the request until released."""

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    at: float = field(default_factory=time.monotonic)

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def delivery(self):
        return self.headers["X-ImageTagger-Delivery"]

    @property
    def event(self):
        return self.headers["X-ImageTagger-Event"]


class Receiver:
    """``answers``: statuses for the coming requests, in order (then ``status``, 200 by default).
    An answer ``"hang"`` waits ``hang_seconds`` before answering 200 (the sender has given up by then);
    ``"hold"`` waits until ``release()`` (or ``hang_seconds``)."""

    def __init__(self):
        self.received = []
        self.answers = []
        self.status = 200
        self.hang_seconds = 10.0
        self.arrived = threading.Condition()
        self.released = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.arrived:
                    receiver.received.append(Received(self.path, dict(self.headers), body))
                    answer = receiver.answers.pop(0) if receiver.answers else receiver.status
                    receiver.arrived.notify_all()
                if answer == "hang":
                    time.sleep(receiver.hang_seconds)
                    answer = 200
                elif answer == "hold":
                    receiver.released.wait(receiver.hang_seconds)
                    answer = 200
                payload = b"ok"
                with contextlib.suppress(OSError):  # the sender gave up waiting (or was killed)
                    self.send_response(answer)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def release(self):
        self.released.set()

    def wait_for(self, count, timeout=20.0):
        """Wait until ``count`` requests arrived (``AssertionError`` after ``timeout`` seconds)."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"{len(self.received)} of {count} requests arrived within {timeout} s")
        return self.received[:count]

    def stop(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
