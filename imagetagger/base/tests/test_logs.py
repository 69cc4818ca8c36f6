"""Structured logs: the JSON formatter, request ids and request records, and that Prod logs JSON
while Dev keeps readable lines."""

import json
import logging
import sys

import pytest
from django.test import Client

from base.logs import JsonFormatter, request_id_var

from .test_settings import environment, manage, production_environment

LOG_SOMETHING = """
import logging
logging.getLogger("imagetagger.check").warning("hello %s", "world", extra={"image_set": 7})
try:
    1 / 0
except ZeroDivisionError:
    logging.getLogger("imagetagger.check").exception("it failed")
"""


def record(message="hello %s", args=("world",), level=logging.INFO, exc_info=None, **extra):
    made = logging.LogRecord("images.zips", level, __file__, 1, message, args, exc_info)
    for name, value in extra.items():
        setattr(made, name, value)
    return made


def test_formatter_writes_one_json_object_per_line():
    line = JsonFormatter().format(record(image_set=3, owner="host:1"))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry.pop("time").endswith("+00:00")
    assert entry == {
        "level": "INFO",
        "logger": "images.zips",
        "message": "hello world",
        "image_set": 3,
        "owner": "host:1",
    }


def test_formatter_keeps_the_exception_text_and_odd_values():
    try:
        raise ValueError("bad value\nsecond line")
    except ValueError:
        exc_info = sys.exc_info()
    entry = json.loads(JsonFormatter().format(record("it failed", (), logging.ERROR, exc_info, when=object())))
    assert entry["level"] == "ERROR"
    assert entry["message"] == "it failed"
    assert "Traceback" in entry["exception"]
    assert "ValueError: bad value\nsecond line" in entry["exception"]
    assert entry["when"].startswith("<object object")


def test_formatter_adds_the_request_id_and_django_request_fields(rf):
    token = request_id_var.set("abc123")
    try:
        entry = json.loads(JsonFormatter().format(record(request=rf.post("/images/upload/"), status_code=403)))
    finally:
        request_id_var.reset(token)
    assert entry["request_id"] == "abc123"
    assert entry["method"] == "POST"
    assert entry["path"] == "/images/upload/"
    assert entry["status_code"] == 403
    assert "request" not in entry


def test_each_request_gets_an_id_and_one_log_record(db, caplog):
    caplog.set_level(logging.INFO, logger="imagetagger.requests")
    first = Client().get("/user/login/")
    second = Client().get("/user/login/")
    assert first.status_code == 200
    assert first["X-Request-ID"] != second["X-Request-ID"]
    records = [r for r in caplog.records if r.name == "imagetagger.requests"]
    assert [r.request_id for r in records] == [first["X-Request-ID"], second["X-Request-ID"]]
    assert [r.status for r in records] == [200, 200]
    assert records[0].route == "user/login/"
    assert records[0].path == "/user/login/"
    assert records[0].method == "GET"
    assert records[0].duration_ms >= 0
    assert records[0].user_id is None


def test_a_callers_request_id_is_kept_and_an_unsafe_one_replaced(db, caplog):
    caplog.set_level(logging.INFO, logger="imagetagger.requests")
    given = Client().get("/user/login/", HTTP_X_REQUEST_ID="trace-42.a:b")
    assert given["X-Request-ID"] == "trace-42.a:b"
    for unsafe in ("x" * 101, "two words", "new\nline"):
        replaced = Client().get("/user/login/", HTTP_X_REQUEST_ID=unsafe)
        assert replaced["X-Request-ID"] != unsafe
        assert len(replaced["X-Request-ID"]) == 32


def test_the_request_record_names_the_logged_in_user(make_user, client_for, caplog):
    caplog.set_level(logging.INFO, logger="imagetagger.requests")
    ada = make_user("ada")
    assert client_for(ada).get("/").status_code == 200
    (entry,) = [r for r in caplog.records if r.name == "imagetagger.requests"]
    assert entry.user_id == ada.pk


def test_health_probes_are_logged_at_debug_only(db, caplog, storage_dir):
    caplog.set_level(logging.DEBUG, logger="imagetagger.requests")
    Client().get("/healthz")
    (entry,) = [r for r in caplog.records if r.name == "imagetagger.requests"]
    assert entry.levelno == logging.DEBUG


def test_the_request_id_is_in_the_records_logged_during_the_request(db, caplog):
    from django.test import override_settings

    caplog.set_level(logging.INFO)
    # django.request logs the 404 after the middleware chain: the id comes from the request.
    seen = []

    class Capture(logging.Handler):
        def emit(self, record):
            seen.append(json.loads(JsonFormatter().format(record)))

    handler = Capture()
    logging.getLogger("django.request").addHandler(handler)
    try:
        with override_settings(DEBUG=False):
            response = Client().get("/no/such/page/", HTTP_X_REQUEST_ID="req-7")
    finally:
        logging.getLogger("django.request").removeHandler(handler)
    assert response.status_code == 404
    assert [entry["request_id"] for entry in seen] == ["req-7"]
    assert seen[0]["status_code"] == 404
    assert seen[0]["path"] == "/no/such/page/"


# --- which configuration logs how -------------------------------------------------------------


def test_prod_logs_json_lines(tmp_path):
    result = manage("shell", "-c", LOG_SOMETHING, env=production_environment(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert [(entry["level"], entry["logger"], entry["message"]) for entry in lines] == [
        ("WARNING", "imagetagger.check", "hello world"),
        ("ERROR", "imagetagger.check", "it failed"),
    ]
    assert lines[0]["image_set"] == 7
    assert "ZeroDivisionError" in lines[1]["exception"]
    assert all(line.startswith("{") for line in result.stderr.splitlines() if line.strip())


@pytest.mark.parametrize("configuration", ["Dev", "Test"])
def test_other_configurations_keep_readable_lines(tmp_path, configuration):
    result = manage("shell", "-c", LOG_SOMETHING, env=environment(tmp_path, DJANGO_CONFIGURATION=configuration))
    assert result.returncode == 0, result.stderr
    assert " WARNING imagetagger.check: hello world" in result.stderr
    assert not any(line.startswith("{") for line in result.stderr.splitlines())


def test_prod_logs_requests_and_other_configurations_do_not(settings):
    from django.conf import settings as live

    assert live.LOGGING["loggers"]["imagetagger.requests"]["level"] == "WARNING"
    from imagetagger.settings import Prod

    prod_logging = Prod.LOGGING.fget(Prod())
    assert prod_logging["loggers"]["imagetagger.requests"]["level"] == "INFO"
    assert prod_logging["formatters"]["json"] == {"()": "base.logs.JsonFormatter"}
    assert prod_logging["handlers"]["console"]["formatter"] == "json"
