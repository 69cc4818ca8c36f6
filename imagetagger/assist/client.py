"""Talking to a model backend with the Label Studio ML backend protocol (``/health``, ``/setup``,
``/predict``). Every call has a connect and a read timeout and no retries of its own (the job decides);
every failure becomes a ``BackendError`` whose message says what went wrong in words a team admin can
act on, without the auth header."""

import json

import urllib3
from django.conf import settings

# Larger answers are refused: a result for a batch of images is a few kilobytes per image.
MAX_ANSWER_BYTES = 32 * 1024 * 1024

_POOL = urllib3.PoolManager(num_pools=16, maxsize=4, retries=False)


class BackendError(Exception):
    """The backend could not be reached or did not answer as the protocol says."""


def _url(backend, path):
    return backend.url.rstrip("/") + path


def call(backend, method, path, body=None, *, timeout=None):
    """The backend's JSON answer to ``method path`` (with the JSON ``body``), or a ``BackendError``."""
    headers = {"Accept": "application/json"}
    if backend.auth_header:
        headers["Authorization"] = backend.auth_header
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    read = timeout or settings.ASSIST_TIMEOUT
    try:
        response = _POOL.request(
            method,
            _url(backend, path),
            body=data,
            headers=headers,
            timeout=urllib3.Timeout(connect=min(5.0, read), read=read),
            preload_content=False,
            redirect=False,
        )
    except urllib3.exceptions.TimeoutError:
        raise BackendError(f"{path}: no answer within {read:g} s.") from None
    except urllib3.exceptions.HTTPError as error:
        reason = getattr(error, "reason", None) or error
        raise BackendError(f"{path}: could not connect ({type(reason).__name__}).") from None
    try:
        payload = response.read(MAX_ANSWER_BYTES + 1)
    except urllib3.exceptions.HTTPError:
        raise BackendError(f"{path}: the answer broke off.") from None
    finally:
        response.release_conn()
    if len(payload) > MAX_ANSWER_BYTES:
        raise BackendError(f"{path}: the answer is larger than {MAX_ANSWER_BYTES // 1024 // 1024} MB.")
    if response.status >= 400:
        snippet = payload[:200].decode("utf-8", "replace").strip()
        raise BackendError(f"{path}: the backend answered {response.status}" + (f": {snippet}" if snippet else "."))
    try:
        return json.loads(payload) if payload.strip() else {}
    except ValueError:
        raise BackendError(f"{path}: the answer is not JSON.") from None


def health(backend):
    """The backend's ``/health`` answer (a dict); a ``BackendError`` unless it says it is up."""
    answer = call(backend, "GET", "/health", timeout=min(10.0, settings.ASSIST_TIMEOUT))
    status = answer.get("status") if isinstance(answer, dict) else None
    if status not in ("UP", "up", "ok", "OK"):
        raise BackendError(f"/health: the backend says its status is {status!r}, not UP.")
    return answer


def setup(backend, label_config):
    """``/setup`` with our label config: the model version the backend names (may be empty)."""
    answer = call(backend, "POST", "/setup", {"project": f"imagetagger-{backend.pk}", "schema": label_config})
    version = answer.get("model_version") if isinstance(answer, dict) else None
    return str(version or "")[:200]


def predict(backend, tasks, label_config, *, context=None, timeout=None):
    """``/predict`` for ``tasks`` (``[{"id": …, "data": {"image": url}}]``): one prediction per task,
    in task order (each a dict with ``result``, maybe ``score``, ``model_version``, ``error``)."""
    body = {"tasks": tasks, "label_config": label_config, "project": f"imagetagger-{backend.pk}", "params": {}}
    if context is not None:
        body["params"]["context"] = context
    answer = call(backend, "POST", "/predict", body, timeout=timeout)
    predictions = answer.get("results") if isinstance(answer, dict) else answer
    if not isinstance(predictions, list):
        raise BackendError("/predict: the answer holds no list of results.")
    if len(predictions) != len(tasks):
        raise BackendError(f"/predict: {len(predictions)} results for {len(tasks)} images.")
    return [prediction if isinstance(prediction, dict) else {"_bad": prediction} for prediction in predictions]
