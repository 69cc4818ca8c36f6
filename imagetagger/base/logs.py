"""Structured logs: one JSON object per line (``Prod``), and a log line per request with its id.

``JsonFormatter`` turns every record into ``{"time", "level", "logger", "message", …}`` plus the
request id of the request being served, the fields passed with ``extra=`` and the exception text.
``RequestLogMiddleware`` gives every request an id (the caller's ``X-Request-ID`` when it is a short
token, a new one otherwise), sends it back in ``X-Request-ID`` and logs one record per request on the
``imagetagger.requests`` logger (method, path, route, status, duration). ``Prod`` logs those at INFO;
the other configurations only from WARNING on, as ``runserver`` prints its own access log.

This module is loaded while logging is configured, before the apps are: it imports no models.
"""

import contextvars
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from django.utils.functional import empty

request_id_var = contextvars.ContextVar("request_id", default=None)
request_logger = logging.getLogger("imagetagger.requests")

REQUEST_ID_HEADER = "X-Request-ID"
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
# Paths probed every few seconds: logged at DEBUG only.
QUIET_PATHS = {"/healthz", "/readyz", "/metrics"}

# Attributes every LogRecord has; anything else was passed with ``extra=``.
RECORD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request id, extras."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for name, value in vars(record).items():
            if name in RECORD_ATTRIBUTES or name.startswith("_"):
                continue
            if name == "request":  # django.request passes the request object itself
                if getattr(value, "request_id", None):
                    entry.setdefault("request_id", value.request_id)
                entry.setdefault("method", getattr(value, "method", None))
                entry.setdefault("path", getattr(value, "path", None))
                continue
            entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class RequestLogMiddleware:
    """Tag the request with an id (``X-Request-ID``) and log it once it is answered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = given if VALID_REQUEST_ID.match(given) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            match = getattr(request, "resolver_match", None)
            request_logger.log(
                logging.DEBUG if request.path in QUIET_PATHS else logging.INFO,
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "request_id": request_id,
                    "method": request.method,
                    "path": request.path,
                    "route": match.route if match else None,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": _user_id(request),
                },
            )
            return response
        finally:
            request_id_var.reset(token)


def _user_id(request):
    """The id of the user the request was made by, if the request looked it up (never a new query)."""
    user = getattr(request, "user", None)
    if getattr(user, "_wrapped", None) is empty:
        return None
    return getattr(user, "pk", None)
