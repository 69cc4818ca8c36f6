"""How scripts and pages authenticate to the API (tokens, sessions with CSRF) and its OpenAPI schema."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from conftest import PASSWORD
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import URLPattern, get_resolver
from django.utils import timezone
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from users.models import ApiToken, Team, TeamMembership
from users.services import create_api_token, revoke_api_token

API = "/api/v1"


def token_client(key, keyword="Token"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {key}")
    return client


def assert_refused(response):
    assert response.status_code in (401, 403), response.content
    assert response["Content-Type"].startswith("application/json")
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert detail
    return detail


# --- token authentication -----------------------------------------------------------------------


def test_token_authenticates_a_script(make_user):
    user = make_user("scripted")
    _, key = create_api_token(user=user, name="training pipeline")
    client = token_client(key)
    response = client.get(f"{API}/users/me/")
    assert response.status_code == 200
    assert response.json()["username"] == "scripted"
    # No session is opened for a token request.
    assert "sessionid" not in response.cookies


def test_token_keyword_is_case_insensitive(make_user):
    user = make_user()
    _, key = create_api_token(user=user, name="lower")
    assert token_client(key, keyword="token").get(f"{API}/users/me/").status_code == 200


def test_token_requests_need_no_csrf_token(make_user):
    user = make_user("writer")
    _, key = create_api_token(user=user, name="writer")
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.post(f"{API}/teams/", {"name": "Scripted team"}, format="json")
    assert response.status_code == 201, response.content
    team = Team.objects.get(name="Scripted team")
    assert TeamMembership.objects.get(team=team).user == user


def test_each_token_acts_as_its_owner(make_user, make_team):
    alice = make_user("alice")
    bob = make_user("bob")
    team = make_team("Robots", admins=[alice], members=[bob])
    _, alice_key = create_api_token(user=alice, name="a")
    _, bob_key = create_api_token(user=bob, name="b")
    url = f"{API}/teams/{team.pk}/members/{bob.pk}/"
    assert token_client(bob_key).patch(url, {"is_admin": True}, format="json").status_code == 403
    assert token_client(alice_key).patch(url, {"is_admin": True}, format="json").status_code == 200
    assert TeamMembership.objects.get(team=team, user=bob).is_admin


def test_the_key_itself_is_not_stored(make_user):
    token, key = create_api_token(user=make_user(), name="hashed")
    token.refresh_from_db()
    assert key not in (token.digest, token.prefix)
    assert key.startswith(token.prefix)
    assert not ApiToken.objects.filter(digest=key).exists()


def test_wrong_key_is_refused(make_user):
    user = make_user()
    _, key = create_api_token(user=user, name="real")
    for wrong in ("not-a-key", key[:-1], key + "x", key.upper()):
        detail = assert_refused(token_client(wrong).get(f"{API}/users/me/"))
        assert "Invalid token" in detail


@pytest.mark.parametrize("header", ["Token", "Token a b", "Token  "])
def test_malformed_token_header_is_refused(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    detail = assert_refused(client.get(f"{API}/users/me/"))
    assert "token" in detail.lower()


def test_other_schemes_do_not_authenticate(make_user):
    _, key = create_api_token(user=make_user(), name="bearer")
    assert_refused(token_client(key, keyword="Bearer").get(f"{API}/users/me/"))
    assert_refused(token_client(key, keyword="Basic").get(f"{API}/users/me/"))


def test_revoked_token_is_refused(make_user):
    user = make_user()
    token, key = create_api_token(user=user, name="short-lived")
    client = token_client(key)
    assert client.get(f"{API}/users/me/").status_code == 200
    revoke_api_token(user=user, token_id=token.pk)
    detail = assert_refused(client.get(f"{API}/users/me/"))
    assert "Invalid token" in detail
    # Nor can it change anything.
    assert_refused(client.post(f"{API}/teams/", {"name": "Too late"}, format="json"))
    assert not Team.objects.filter(name="Too late").exists()


def test_inactive_users_token_is_refused(make_user):
    user = make_user()
    _, key = create_api_token(user=user, name="dormant")
    user.is_active = False
    user.save()
    detail = assert_refused(token_client(key).get(f"{API}/users/me/"))
    assert "inactive" in detail.lower()
    assert_refused(token_client(key).post(f"{API}/teams/", {"name": "Ghost team"}, format="json"))
    assert not Team.objects.filter(name="Ghost team").exists()


def test_deleted_users_token_is_refused(make_user):
    user = make_user()
    _, key = create_api_token(user=user, name="orphan")
    user.delete()
    assert_refused(token_client(key).get(f"{API}/users/me/"))


def test_last_used_is_recorded(make_user):
    user = make_user()
    token, key = create_api_token(user=user, name="tracked")
    assert token.last_used is None
    before = timezone.now()
    assert token_client(key).get(f"{API}/users/me/").status_code == 200
    token.refresh_from_db()
    assert token.last_used is not None
    assert before <= token.last_used <= timezone.now()


def test_last_used_is_written_at_most_once_a_minute(make_user):
    user = make_user()
    token, key = create_api_token(user=user, name="busy")
    recent = timezone.now() - timedelta(seconds=20)
    ApiToken.objects.filter(pk=token.pk).update(last_used=recent)
    assert token_client(key).get(f"{API}/users/me/").status_code == 200
    token.refresh_from_db()
    assert token.last_used == recent
    stale = timezone.now() - timedelta(minutes=5)
    ApiToken.objects.filter(pk=token.pk).update(last_used=stale)
    assert token_client(key).get(f"{API}/users/me/").status_code == 200
    token.refresh_from_db()
    assert token.last_used > stale + timedelta(minutes=4)


def test_failed_token_is_not_marked_used(make_user):
    user = make_user()
    token, key = create_api_token(user=user, name="idle")
    user.is_active = False
    user.save()
    assert_refused(token_client(key).get(f"{API}/users/me/"))
    token.refresh_from_db()
    assert token.last_used is None


# --- session authentication and CSRF -------------------------------------------------------------


@pytest.fixture(params=["login", "force_login"])
def csrf_client(request, make_user):
    """An APIClient that checks CSRF like a browser's session, logged in as ``sessionuser``."""
    user = make_user("sessionuser")
    client = APIClient(enforce_csrf_checks=True)
    if request.param == "login":
        # django-axes needs the request to check and count login attempts.
        assert client.login(request=RequestFactory().get("/"), username="sessionuser", password=PASSWORD)
    else:
        client.force_login(user)
    client.user = user
    return client


def test_session_reads_need_no_csrf_token(csrf_client, make_team):
    make_team("Readable", members=[csrf_client.user])
    assert csrf_client.get(f"{API}/users/me/").json()["username"] == "sessionuser"
    assert csrf_client.get(f"{API}/teams/").json()["count"] == 1


def test_session_writes_without_csrf_token_are_refused(csrf_client, make_user, make_team):
    user = csrf_client.user
    other = make_user("other")
    team = make_team("Guarded", admins=[user], members=[other])
    attempts = [
        csrf_client.post(f"{API}/teams/", {"name": "Forged"}, format="json"),
        csrf_client.post(f"{API}/teams/{team.pk}/members/", {"username": "sessionuser"}, format="json"),
        csrf_client.patch(f"{API}/teams/{team.pk}/members/{other.pk}/", {"is_admin": True}, format="json"),
        csrf_client.delete(f"{API}/teams/{team.pk}/members/{other.pk}/"),
    ]
    for response in attempts:
        assert response.status_code == 403
        assert "CSRF" in response.json()["detail"]
    assert not Team.objects.filter(name="Forged").exists()
    assert not TeamMembership.objects.get(team=team, user=other).is_admin
    assert team.memberships.count() == 2


def test_session_writes_with_csrf_token_work(csrf_client):
    # Any page sets the CSRF cookie; the page scripts send it back in X-CSRFToken.
    assert csrf_client.get("/").status_code == 200
    token = csrf_client.cookies["csrftoken"].value
    response = csrf_client.post(f"{API}/teams/", {"name": "Honest"}, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201, response.content
    assert Team.objects.get(name="Honest").memberships.get().user == csrf_client.user
    response = csrf_client.post(f"{API}/teams/", {"name": "Wrong token"}, format="json", HTTP_X_CSRFTOKEN="x" * 32)
    assert response.status_code == 403


def test_logged_out_session_is_anonymous(csrf_client):
    csrf_client.logout()
    assert_refused(csrf_client.get(f"{API}/users/me/"))


# --- OpenAPI schema and docs ------------------------------------------------------------------


def api_v1_routes():
    """Every route under /api/v1/ as an OpenAPI path template (``{id}`` for the router's ``pk``)."""
    prefix, resolver = get_resolver().namespace_dict["api"]
    assert prefix == "api/v1/"
    routes = set()
    for pattern in resolver.url_patterns:
        assert isinstance(pattern, URLPattern)
        regex = str(pattern.pattern)
        if pattern.name == "api-root" or "<format>" in regex:
            continue  # the browsable root and the ".json" suffix variants of the same routes
        template = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", regex.lstrip("^").rstrip("$"))
        template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", template)  # path() converters: <int:set_id>
        routes.add("/api/v1/" + template.replace("{pk}", "{id}"))
    return routes


@pytest.fixture
def schema(db):
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


EXPECTED_OPERATIONS = {
    "/api/v1/users/me/": {"get"},
    "/api/v1/teams/": {"get", "post"},
    "/api/v1/teams/{id}/": {"get"},
    "/api/v1/teams/{id}/members/": {"get", "post"},
    "/api/v1/teams/{id}/members/{user_id}/": {"patch", "delete"},
    "/api/v1/teams/{id}/member-candidates/": {"get"},
}


def test_schema_lists_every_api_path(schema):
    routes = api_v1_routes()
    assert set(EXPECTED_OPERATIONS) <= routes
    assert set(schema["paths"]) == routes
    for path, methods in EXPECTED_OPERATIONS.items():
        documented = {method for method in schema["paths"][path] if method != "parameters"}
        assert documented == methods, path


def test_schema_is_valid_openapi(schema):
    validate_schema(schema)
    assert schema["info"]["title"] == "ImageTagger API"
    operation_ids = [
        operation["operationId"] for operations in schema["paths"].values() for operation in operations.values()
    ]
    assert len(operation_ids) == len(set(operation_ids))


def test_schema_documents_both_authentication_methods(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": schemes["tokenAuth"]["description"],
    }
    assert "cookieAuth" in schemes
    for operations in schema["paths"].values():
        for operation in operations.values():
            names = {name for requirement in operation["security"] for name in requirement}
            assert {"tokenAuth", "cookieAuth"} <= names


def test_schema_describes_request_bodies(schema):
    patch = schema["paths"]["/api/v1/teams/{id}/members/{user_id}/"]["patch"]
    body = patch["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    fields = schema["components"]["schemas"][body]["properties"]
    assert fields["is_admin"]["type"] == "boolean"
    candidates = schema["paths"]["/api/v1/teams/{id}/member-candidates/"]["get"]
    query = [parameter for parameter in candidates["parameters"] if parameter["in"] == "query"]
    assert [(parameter["name"], parameter["required"]) for parameter in query] == [("q", True)]


def test_spectacular_command_validates_without_warnings(db, tmp_path):
    target = tmp_path / "schema.yaml"
    stderr = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target), stderr=stderr)
    assert "/api/v1/teams/{id}/members/{user_id}/" in target.read_text()
    assert "Warning" not in stderr.getvalue()


def test_docs_page_is_served_without_a_cdn(db):
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger" in html.lower()
    # Swagger UI's start-up script is a file of its own (the Content-Security-Policy allows no inline script).
    script = APIClient().get("/api/docs/?script=").content.decode()
    assert "/api/schema/" in script
    for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs", "googleapis", "://"):
        assert cdn not in html, cdn
        assert cdn not in script, cdn
    assets = re.findall(r"""(?:src|href)=["'](/static/[^"']+)["']""", html)
    assert any("swagger-ui-bundle" in asset for asset in assets)
    for asset in assets:
        path = asset.removeprefix("/static/").split("?")[0]
        assert finders.find(path), f"{asset} is not among the static files"
