"""Security headers on every answer: Content-Security-Policy (django-csp), Referrer-Policy and
Permissions-Policy (base.middleware.PermissionsPolicyMiddleware), in Test, Dev and Prod (README.md
"Security headers"). test_csp.py (the browser tests) checks that no page breaks the policy."""

import json
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config

from base.tests.test_settings import environment, manage, production_environment
from imagetagger.settings import Base

EXPECTED_DIRECTIVES = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
DISABLED_FEATURES = ["camera", "microphone", "geolocation", "payment", "usb", "display-capture"]
MARKER = "HEADERS-JSON:"
# Printed by ``manage.py shell -c``: the headers of the login page (no database needed) as a browser gets it
# (static files by their plain names: Prod's manifest needs collectstatic, not the point here).
PRINT_HEADERS = f"""
import json
from django.conf import settings
from django.test import Client, override_settings
plain = {{**settings.STORAGES, "staticfiles": {{"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}}}
with override_settings(STORAGES=plain):
    response = Client().get("/user/login/", secure=True, headers={{"host": settings.ALLOWED_HOSTS[0]}})
print({MARKER!r} + json.dumps({{"status": response.status_code, **dict(response.headers)}}))
"""


def directives(header):
    """A Content-Security-Policy header as {directive: [source, …]}."""
    parsed = {}
    for part in header.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def assert_security_headers(headers, img_src=()):
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in headers["Content-Security-Policy"]
    assert "nonce-" not in headers["Content-Security-Policy"]
    assert directives(headers["Content-Security-Policy"]) == {
        **EXPECTED_DIRECTIVES,
        "img-src": [*EXPECTED_DIRECTIVES["img-src"], *img_src],
    }
    assert headers["Referrer-Policy"] == "same-origin"
    features = dict(part.strip().split("=", 1) for part in headers["Permissions-Policy"].split(","))
    for feature in DISABLED_FEATURES:
        assert features[feature] == "()", feature
    assert "fullscreen" not in features  # the annotate page's full screen keeps working


def test_the_home_page_carries_the_headers(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert_security_headers(response.headers)


def test_a_logged_in_page_carries_the_headers(client_for, make_user, make_team):
    user = make_user("alice")
    team = make_team("Robots", admins=[user])
    response = client_for(user).get(team.get_absolute_url())
    assert response.status_code == 200
    assert_security_headers(response.headers)


def test_an_api_answer_carries_the_headers(api_for, make_user):
    response = api_for(make_user("alice")).get("/api/v1/users/me/")
    assert response.status_code == 200
    assert_security_headers(response.headers)


def test_an_error_page_and_the_api_docs_carry_the_headers(client, db):
    assert_security_headers(client.get("/no/such/page/").headers)
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert_security_headers(docs.headers)
    # The split view: Swagger UI's start-up script is a file of its own, not inline.
    html = docs.content.decode()
    assert "<script>" not in html
    assert "<style" not in html
    assert 'src="/api/docs/?script="' in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


def printed_headers(env):
    """The login page's status and headers, as a ``manage.py`` process with ``env`` answers it."""
    result = manage("shell", "-c", PRINT_HEADERS, env=env)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith(MARKER))
    return json.loads(line.removeprefix(MARKER))


@pytest.mark.parametrize("configuration", ["Dev", "Prod"])
def test_dev_and_prod_send_the_headers(tmp_path, configuration):
    env = production_environment(tmp_path) if configuration == "Prod" else environment(tmp_path)
    headers = printed_headers(env)
    assert headers["status"] == 200
    assert_security_headers(headers)


def test_prod_with_a_bucket_allows_its_images(tmp_path):
    env = production_environment(
        tmp_path,
        IT_STORAGE="s3",
        IT_S3_BUCKET="tagger-images",
        IT_S3_ACCESS_KEY="key",
        IT_S3_SECRET_KEY="secret",
        IT_S3_ENDPOINT_URL="https://objects.example.org:9000",
    )
    assert_security_headers(printed_headers(env), img_src=["https://objects.example.org:9000"])


@pytest.mark.parametrize("endpoint", [None, "http://minio:9000"])
@pytest.mark.parametrize("region", ["us-east-1", "eu-central-1"])
@pytest.mark.parametrize("style", ["path", "virtual", "auto"])
def test_the_bucket_origins_are_where_boto3_signs_its_urls(endpoint, region, style):
    configuration = Base.__new__(Base)
    configuration.STORAGE = "s3"
    configuration.S3_BUCKET = "tagger-images"
    configuration.S3_ENDPOINT_URL = endpoint or ""
    configuration.S3_REGION = region
    configuration.S3_ADDRESSING_STYLE = style
    s3 = boto3.client(
        "s3",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="key",
        aws_secret_access_key="secret",
        config=Config(signature_version="s3v4", s3={"addressing_style": style}),
    )
    url = urlsplit(s3.generate_presigned_url("get_object", Params={"Bucket": "tagger-images", "Key": "a/b.png"}))
    assert f"{url.scheme}://{url.netloc}" in configuration.bucket_origins()
