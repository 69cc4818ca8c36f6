"""A local S3-compatible server for the tests (moto's server mode), and storage settings pointing at it.

``imagetagger/conftest.py`` starts one per test session (fixture ``s3_server``) when a test needs it;
every test then gets its own key prefix, so that it sees only the files it stored itself.
"""

import logging
import socket
import subprocess
import sys
import time
import types
import uuid

BUCKET = "imagetagger-test"
ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key"
REGION = "us-east-1"


class LocalS3:
    """moto's S3 on a free port of 127.0.0.1, with an empty bucket: in a thread of this process, or
    with ``separate_process=True`` in a process of its own (so that its memory is not ours)."""

    def __init__(self, *, separate_process=False):
        self.server = self.process = None
        self._client = None
        if separate_process:
            port = _free_port()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            self.endpoint_url = f"http://127.0.0.1:{port}"
            self._wait_until_up()
        else:
            from moto.server import ThreadedMotoServer

            logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
            self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            self.server.start()
            host, port = self.server.get_host_and_port()
            self.endpoint_url = f"http://{host}:{port}"
        self.client().create_bucket(Bucket=BUCKET)

    def _wait_until_up(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", int(self.endpoint_url.rsplit(":", 1)[1])), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("moto's server did not start") from None
                time.sleep(0.1)
        raise RuntimeError("moto's server did not start in time")

    def stop(self):
        if self.server is not None:
            self.server.stop()
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def client(self):
        if self._client is None:
            import boto3

            self._client = boto3.client(
                "s3",
                endpoint_url=self.endpoint_url,
                aws_access_key_id=ACCESS_KEY,
                aws_secret_access_key=SECRET_KEY,
                region_name=REGION,
            )
        return self._client

    def environment(self, prefix):
        """The ``IT_*`` variables that make a process (a worker) use this server, under ``prefix``."""
        return {
            "IT_STORAGE": "s3",
            "IT_S3_ENDPOINT_URL": self.endpoint_url,
            "IT_S3_BUCKET": BUCKET,
            "IT_S3_ACCESS_KEY": ACCESS_KEY,
            "IT_S3_SECRET_KEY": SECRET_KEY,
            "IT_S3_REGION": REGION,
            "IT_S3_PREFIX": prefix,
        }

    def storage_settings(self, prefix, *, expiry=300):
        """``STORAGES["default"]`` for this server, made by the settings' own code (``Base.default_storage``)."""
        from imagetagger.settings import Base

        values = types.SimpleNamespace(
            STORAGE="s3",
            S3_ENDPOINT_URL=self.endpoint_url,
            S3_BUCKET=BUCKET,
            S3_ACCESS_KEY=ACCESS_KEY,
            S3_SECRET_KEY=SECRET_KEY,
            S3_REGION=REGION,
            S3_ADDRESSING_STYLE="path",
            S3_PREFIX=prefix,
            S3_URL_EXPIRY_SECONDS=expiry,
            FS_URL="",
        )
        return Base.default_storage(values)

    def keys(self, prefix):
        """Every key below ``prefix`` (the whole name in the bucket)."""
        paginator = self.client().get_paginator("list_objects_v2")
        return [
            entry["Key"]
            for page in paginator.paginate(Bucket=BUCKET, Prefix=prefix)
            for entry in page.get("Contents", ())
        ]

    def clear(self, prefix):
        """Delete every key below ``prefix``."""
        client = self.client()
        keys = self.keys(prefix)
        for start in range(0, len(keys), 1000):
            client.delete_objects(
                Bucket=BUCKET, Delete={"Objects": [{"Key": key} for key in keys[start : start + 1000]], "Quiet": True}
            )


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def new_prefix():
    return f"test-{uuid.uuid4().hex[:12]}"


def fetch(url, method="GET"):
    """``method`` ``url`` (a signed URL of the local server): ``(status, headers, body)``."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=30) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def fetched(response, method="GET"):
    """``(status, headers, body)`` that a client finally gets for a download ``response``: the response
    itself, or, for a redirect to a signed URL of the bucket, what the bucket answers there."""
    if response.status_code == 302 and "X-Amz-Signature=" in response.get("Location", ""):
        return fetch(response["Location"], method)
    data = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, response.headers, data


def downloaded(response):
    """The bytes a client downloads with ``response`` (following a redirect to the bucket)."""
    status, _headers, data = fetched(response)
    assert status == 200, (status, data[:500])
    return data
