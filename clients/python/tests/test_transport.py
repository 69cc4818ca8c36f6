"""The client's HTTP layer against a real local HTTP server that answers as scripted: retries with
backoff on 429/5xx (Retry-After obeyed), no repeat of a refused or non-idempotent request, the server's
reason in every exception, unreachable servers, downloads that appear whole or not at all."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from imagetagger_client import errors
from imagetagger_client.transport import Transport


class Scripted:
    """Answers each request with the next of ``answers`` ((status, body, headers)); records requests."""

    def __init__(self):
        self.answers = []
        self.requests = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                owner.requests.append((self.command, self.path, dict(self.headers), self.rfile.read(length)))
                status, body, headers = owner.answers.pop(0) if owner.answers else (200, {}, {})
                payload = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server():
    scripted = Scripted()
    yield scripted
    scripted.stop()


@pytest.fixture
def transport(server):
    made = Transport(server.url, "s3cret-token", retries=3)
    made.waits = []
    made.sleep = made.waits.append  # no real sleeping; the waits are checked
    yield made
    made.close()


def test_the_token_is_sent_and_json_comes_back(server, transport):
    server.answers = [(200, {"username": "ada"}, {})]
    assert transport.json("GET", "/api/v1/users/me/") == {"username": "ada"}
    assert server.requests[0][2]["Authorization"] == "Token s3cret-token"


def test_503_and_429_are_retried_with_backoff_and_retry_after(server, transport):
    server.answers = [
        (503, {"detail": "restarting"}, {}),
        (429, {"detail": "slow down"}, {"Retry-After": "7"}),
        (200, [1], {}),
    ]
    assert transport.json("POST", "/api/v1/things/", json={}) == [1]
    assert len(server.requests) == 3, "even a POST: these answers say nothing was done"
    assert 0.3 < transport.waits[0] < 0.7
    assert transport.waits[1] == 7


def test_500_is_retried_only_where_a_repeat_is_harmless(server, transport):
    server.answers = [(500, {"detail": "boom"}, {}), (200, {"ok": True}, {})]
    assert transport.json("GET", "/x/") == {"ok": True}
    server.answers = [(500, {"detail": "boom"}, {})]
    with pytest.raises(errors.ServerError, match="boom") as refused:
        transport.json("POST", "/x/", json={})
    assert refused.value.status == 500
    server.answers = [(500, {}, {}), (201, {"made": 1}, {})]
    assert transport.json("POST", "/x/", json={}, idempotent=True) == {"made": 1}


def test_retries_end_with_the_last_error(server, transport):
    server.answers = [(502, {"detail": "bad gateway"}, {})] * 4
    with pytest.raises(errors.ServerError, match="bad gateway"):
        transport.json("GET", "/x/")
    assert len(server.requests) == 4
    assert transport.waits == sorted(transport.waits), "the waits grow"


@pytest.mark.parametrize(
    ("status", "body", "kind", "message"),
    [
        (400, {"name": ["This field is required."]}, errors.BadRequest, "name: This field is required."),
        (401, {"detail": "Invalid token."}, errors.AuthenticationFailed, "Invalid token."),
        (403, {"detail": "You may not export this set."}, errors.PermissionDenied, "You may not export this set."),
        (404, {"detail": "Not found."}, errors.NotFound, "Not found."),
        (409, {"detail": "A similar annotation exists."}, errors.Conflict, "A similar annotation exists."),
        (418, b"<html>teapot</html>", errors.ImageTaggerError, "The server answered 418."),
    ],
)
def test_refusals_raise_at_once_with_the_servers_reason(server, transport, status, body, kind, message):
    server.answers = [(status, body, {})]
    with pytest.raises(kind) as refused:
        transport.json("GET", "/x/")
    assert str(refused.value) == message
    assert refused.value.status == status
    assert len(server.requests) == 1, "a refusal is not repeated"
    if kind is errors.BadRequest:
        assert refused.value.fields == {"name": ["This field is required."]}


def test_an_unreachable_server_is_tried_again_then_named():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    transport = Transport(f"http://127.0.0.1:{port}", retries=2)
    transport.sleep = lambda seconds: None
    with pytest.raises(errors.ConnectionFailed, match=f"Cannot reach http://127.0.0.1:{port}"):
        transport.json("GET", "/x/")


def test_no_server_address_says_how_to_give_one():
    with pytest.raises(errors.ImageTaggerError, match="IMAGETAGGER_URL"):
        Transport("", "token")


def test_pages_follow_next_links(server, transport):
    server.answers = [
        (200, {"results": [1, 2], "next": f"{server.url}/list/?after=2"}, {}),
        (200, {"results": [3], "next": None}, {}),
    ]
    assert list(transport.pages("/list/", {"count": "true"})) == [1, 2, 3]
    assert server.requests[0][1] == "/list/?count=true"
    assert server.requests[1][1] == "/list/?after=2"


def test_uploaded_files_are_opened_anew_for_a_retry_and_closed(server, transport, tmp_path):
    picture = tmp_path / "a.png"
    picture.write_bytes(b"\x89PNG fake")
    opened = []

    def files():
        handle = picture.open("rb")
        opened.append(handle)
        return [("files", ("a.png", handle))]

    server.answers = [(503, {}, {}), (201, {"files": []}, {})]
    transport.json("POST", "/up/", files=files, idempotent=True)
    assert len(opened) == 2
    assert all(handle.closed for handle in opened)
    assert b"\x89PNG fake" in server.requests[1][3]


def test_a_download_appears_whole_or_not_at_all(server, transport, tmp_path):
    target = tmp_path / "archive.zip"
    server.answers = [(202, {"detail": "being built"}, {})]
    assert transport.download("/zip/", target) == (202, {"detail": "being built"})
    assert not target.exists()
    server.answers = [(503, {}, {}), (200, b"PK" + b"x" * 5000, {})]
    assert transport.download("/zip/", target) == (200, None)
    assert target.read_bytes() == b"PK" + b"x" * 5000
    assert not (tmp_path / "archive.zip.part").exists()
    server.answers = [(404, {"detail": "No such set."}, {})]
    with pytest.raises(errors.NotFound, match="No such set."):
        transport.download("/zip/", tmp_path / "other.zip")
    assert not (tmp_path / "other.zip").exists()
