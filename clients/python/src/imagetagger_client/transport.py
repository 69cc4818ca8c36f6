"""HTTP with the token, retries and clear errors (httpx underneath).

Retried, with exponential backoff (0.5 s doubling, at most ``max_wait`` each, ``Retry-After`` obeyed):
- a connection that could not be made (nothing was sent: always safe);
- 429 (too many requests) and 502/503/504 (a proxy or a restarting server), for every request;
- other 5xx and a connection lost mid-request only for requests the server treats idempotently:
  GET/PUT/DELETE, and the POSTs the caller marks ``idempotent`` (uploads are de-duplicated by checksum,
  label creates by uuid).
Anything else raises at once with the server's reason (``errors``).
"""

import random
import time
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx

from . import errors

ALWAYS_RETRIED = {429, 502, 503, 504}
IDEMPOTENT_METHODS = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}


def _retry_after(response):
    value = response.headers.get("Retry-After", "")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


class Transport:
    def __init__(self, url, token=None, *, timeout=60.0, retries=8, max_wait=30.0, user_agent=None, transport=None):
        if not url:
            raise errors.ImageTaggerError(
                "No server address: pass url=, set IMAGETAGGER_URL or run `imagetagger login`."
            )
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        if user_agent:
            headers["User-Agent"] = user_agent
        self.base_url = url.rstrip("/")
        self.retries = retries
        self.max_wait = max_wait
        self.sleep = time.sleep  # tests replace it
        self.http = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=httpx.Timeout(timeout, connect=10.0), transport=transport
        )

    def close(self):
        self.http.close()

    def _wait(self, attempt, response=None):
        told = _retry_after(response) if response is not None else None
        wait = told if told is not None else min(self.max_wait, 0.5 * 2**attempt) * (0.8 + 0.4 * random.random())
        self.sleep(min(wait, self.max_wait))

    def request(self, method, path, *, idempotent=None, expect=(200, 201, 202, 204), **kwargs):
        """The ``httpx.Response`` of ``method path`` (``path`` relative to the server, or absolute).
        ``kwargs`` go to httpx (``params``, ``json``, ``files``, ``data``…); ``files`` may be a callable
        returning them, called anew for every attempt (an upload's file objects are read again)."""
        method = method.upper()
        idempotent = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        make_files = kwargs.pop("files", None)
        for attempt in range(self.retries + 1):
            if make_files is not None:
                kwargs["files"] = make_files() if callable(make_files) else make_files
            try:
                response, failure = self._attempt(method, path, idempotent, kwargs), None
            except errors.ConnectionFailed as error:
                response, failure = None, error
            finally:
                if callable(make_files):
                    _close(kwargs["files"])
            if response is not None:
                if response.status_code in expect:
                    return response
                retry = response.status_code in ALWAYS_RETRIED or (response.status_code >= 500 and idempotent)
                if not retry or attempt == self.retries:
                    raise errors.error_for(response.status_code, _json_or_none(response))
            elif attempt == self.retries or not failure.retryable:
                raise failure
            self._wait(attempt, response)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _attempt(self, method, path, idempotent, kwargs):
        """One request, read to its end; ConnectionFailed (``retryable`` or not) when it got no answer."""
        try:
            response = self.http.request(method, path, **kwargs)
            response.read()
            return response
        except httpx.ConnectError as error:  # nothing was sent
            raise errors.ConnectionFailed(f"Cannot reach {self.base_url}: {error}", retryable=True) from error
        except (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError, httpx.TimeoutException) as error:
            if idempotent:
                raise errors.ConnectionFailed(
                    f"The connection to {self.base_url} broke: {error}", retryable=True
                ) from error
            raise errors.ConnectionFailed(
                f"The connection to {self.base_url} broke during {method} {path}: {error}; "
                "it was not repeated, since it might have been done",
                retryable=False,
            ) from error

    def download(self, path, target, *, params=None):
        """GET ``path`` streamed into the file ``target`` when the answer is 200: ``(200, None)``; a
        202 or 204 (not ready, nothing there) writes nothing: ``(status, its JSON or None)``. The file
        appears whole or not at all (written beside it, then renamed)."""
        target = Path(target)
        partial = target.with_name(target.name + ".part")
        for attempt in range(self.retries + 1):
            try:
                with self.http.stream("GET", path, params=params) as response:
                    if response.status_code == 200:
                        with open(partial, "wb") as out:
                            for chunk in response.iter_bytes(1024 * 1024):
                                out.write(chunk)
                        partial.replace(target)
                        return 200, None
                    response.read()
            except (httpx.TransportError, httpx.StreamError) as error:
                partial.unlink(missing_ok=True)
                if attempt == self.retries:
                    raise errors.ConnectionFailed(f"The download from {self.base_url} broke: {error}") from error
                self._wait(attempt)
                continue
            if response.status_code in (202, 204):
                return response.status_code, _json_or_none(response)
            if response.status_code not in ALWAYS_RETRIED and response.status_code < 500 or attempt == self.retries:
                raise errors.error_for(response.status_code, _json_or_none(response))
            self._wait(attempt, response)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def json(self, method, path, **kwargs):
        response = self.request(method, path, **kwargs)
        return None if response.status_code == 204 else response.json()

    def pages(self, path, params=None):
        """Every result of a paginated list, following ``next`` (page numbers and keyset pages alike)."""
        url, query = path, dict(params or {})
        while url:
            body = self.json("GET", url, params=query)
            if isinstance(body, list):  # an unpaginated list
                yield from body
                return
            yield from body.get("results", [])
            url, query = body.get("next"), None


def _close(files):
    for item in files or ():
        content = item[1][1] if isinstance(item, tuple) and isinstance(item[1], tuple) else None
        if hasattr(content, "close"):
            content.close()


def _json_or_none(response):
    try:
        return response.json()
    except ValueError:
        return None
