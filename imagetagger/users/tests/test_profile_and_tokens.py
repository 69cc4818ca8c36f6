"""Profile pages and API tokens managed through the HTML views (the key is shown once; only its
sha256 digest is stored)."""

import hashlib
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from users import services
from users.models import ApiToken
from users.tests.html_helpers import assert_login_redirect, flashes

pytestmark = pytest.mark.django_db

CREATE_URL = "/users/tokens/create/"


def profile_url(user):
    return f"/users/user/{user.pk}/"


def shown_key(html):
    found = re.search(r'id="new-token-key" value="([^"]+)"', html)
    return found.group(1) if found else None


def every_stored_text():
    """Every value of every column of the tokens table, as text."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")
        return [str(value) for row in cursor.fetchall() for value in row]


# --- profile pages -------------------------------------------------------------------------------


def test_profile_pages_need_login(client, make_user):
    alice = make_user()

    assert_login_redirect(client.get(profile_url(alice)), profile_url(alice))


def test_own_profile_shows_teams_tokens_and_account_actions(client_for, make_user, make_team):
    alice = make_user("alice")
    make_team("Robots", admins=[alice])
    make_team("Painters", members=[alice])
    services.create_api_token(user=alice, name="nightly import")

    html = client_for(alice).get(profile_url(alice)).content.decode()

    assert "Profile of alice" in html
    assert "Robots</a> (admin)" in html
    assert "Painters</a></li>" in html
    assert 'id="api-tokens"' in html
    assert "nightly import" in html
    assert f'href="/users/user/{alice.pk}/delete/"' in html


def test_someone_elses_profile_shows_no_tokens_and_no_account_actions(client_for, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    services.create_api_token(user=bob, name="bob's secret script")

    response = client_for(alice).get(profile_url(bob))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Profile of bob" in html
    assert 'id="api-tokens"' not in html
    assert "bob&#x27;s secret script" not in html
    assert "/delete/" not in html


def test_profile_page_query_count_does_not_grow_with_teams_and_tokens(client_for, make_user, make_team):
    few, many = make_user(), make_user()
    make_team(admins=[few])
    services.create_api_token(user=few, name="one")
    for number in range(12):
        make_team(admins=[many] if number % 2 else [], members=[] if number % 2 else [many])
        services.create_api_token(user=many, name=f"token {number}")
    few_client, many_client = client_for(few), client_for(many)
    few_client.get(profile_url(few))
    many_client.get(profile_url(many))

    with CaptureQueriesContext(connection) as few_queries:
        assert few_client.get(profile_url(few)).status_code == 200
    with CaptureQueriesContext(connection) as many_queries:
        assert many_client.get(profile_url(many)).status_code == 200

    assert len(many_queries) == len(few_queries)


@pytest.mark.parametrize("user_id", [0, 999999, 2**63, 10**30])
def test_unknown_profiles_answer_404(client_for, make_user, user_id):
    assert client_for(make_user()).get(f"/users/user/{user_id}/").status_code == 404


def test_inactive_users_have_no_profile_page(client_for, make_user):
    sleeper = make_user(is_active=False)

    assert client_for(make_user()).get(profile_url(sleeper)).status_code == 404


def test_profile_page_is_get_only(client_for, make_user):
    alice = make_user()

    assert client_for(alice).post(profile_url(alice)).status_code == 405


# --- creating tokens -----------------------------------------------------------------------------


def test_creating_a_token_shows_its_key_once_and_stores_only_its_digest(client_for, make_user):
    alice = make_user()
    client = client_for(alice)

    response = client.post(CREATE_URL, {"name": "  training pipeline "})

    assert response.status_code == 302
    assert response["Location"] == f"{profile_url(alice)}#api-tokens"
    assert flashes(response) == ["Token “training pipeline” created. Copy it now: it will not be shown again."]
    token = ApiToken.objects.get()
    assert token.user == alice
    assert token.name == "training pipeline"

    key = shown_key(client.get(profile_url(alice)).content.decode())
    assert key
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[: ApiToken.PREFIX_LENGTH]
    assert all(key not in value for value in every_stored_text())

    # Shown once only.
    assert shown_key(client.get(profile_url(alice)).content.decode()) is None


def test_the_shown_key_authenticates_its_owner(client_for, make_user):
    alice = make_user("alice")
    client = client_for(alice)
    client.post(CREATE_URL, {"name": "script"})
    key = shown_key(client.get(profile_url(alice)).content.decode())

    response = Client().get("/api/v1/users/me/", headers={"Authorization": f"Token {key}"})

    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_two_tokens_get_different_keys(client_for, make_user):
    alice = make_user()
    client = client_for(alice)
    keys = []
    for name in ("one", "two"):
        client.post(CREATE_URL, {"name": name})
        keys.append(shown_key(client.get(profile_url(alice)).content.decode()))

    assert keys[0] != keys[1]
    assert ApiToken.objects.filter(user=alice).count() == 2


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Token name: This field is required."),
        ("   ", "Token name: This field is required."),
        ("x" * 101, "Token name: Ensure this value has at most 100 characters (it has 101)."),
    ],
)
def test_bad_token_names_give_a_message_and_create_nothing(client_for, make_user, name, message):
    alice = make_user()
    client = client_for(alice)

    response = client.post(CREATE_URL, {"name": name})

    assert response.status_code == 302
    assert flashes(response) == [message]
    assert not ApiToken.objects.exists()


def test_token_pages_need_login(client, make_user):
    token, _key = services.create_api_token(user=make_user(), name="script")

    assert_login_redirect(client.post(CREATE_URL, {"name": "x"}), CREATE_URL)
    revoke_url = f"/users/tokens/{token.pk}/revoke/"
    assert_login_redirect(client.post(revoke_url), revoke_url)
    assert list(ApiToken.objects.all()) == [token]


def test_token_pages_are_post_only(client_for, make_user):
    alice = make_user()
    token, _key = services.create_api_token(user=alice, name="script")
    client = client_for(alice)

    assert client.get(CREATE_URL).status_code == 405
    assert client.get(f"/users/tokens/{token.pk}/revoke/").status_code == 405
    assert list(ApiToken.objects.all()) == [token]


# --- revoking tokens -----------------------------------------------------------------------------


def test_revoking_your_token(client_for, make_user):
    alice = make_user()
    token, _key = services.create_api_token(user=alice, name="script")

    response = client_for(alice).post(f"/users/tokens/{token.pk}/revoke/")

    assert response.status_code == 302
    assert response["Location"] == f"{profile_url(alice)}#api-tokens"
    assert flashes(response) == ["Token revoked. Scripts using it are refused from now on."]
    assert not ApiToken.objects.exists()


def test_revoked_key_no_longer_authenticates(client_for, make_user):
    alice = make_user()
    token, key = services.create_api_token(user=alice, name="script")
    client_for(alice).post(f"/users/tokens/{token.pk}/revoke/")

    response = Client().get("/api/v1/users/me/", headers={"Authorization": f"Token {key}"})

    # 403 rather than 401 because session authentication is listed first (API helper's concern).
    assert response.status_code in (401, 403)
    assert response.json()["detail"] == "Invalid token."


def test_revoking_someone_elses_token_fails_and_keeps_it(client_for, make_user):
    alice, bob = make_user(), make_user()
    bobs_token, _key = services.create_api_token(user=bob, name="bob's script")

    response = client_for(alice).post(f"/users/tokens/{bobs_token.pk}/revoke/")

    assert response.status_code == 302
    assert flashes(response) == ["This token does not exist (any more)."]
    assert ApiToken.objects.filter(pk=bobs_token.pk, user=bob).exists()


@pytest.mark.parametrize("token_id", [0, 999999, 2**63, 10**30])
def test_revoking_an_unknown_token_gives_a_message(client_for, make_user, token_id):
    alice = make_user()
    own, _key = services.create_api_token(user=alice, name="script")

    response = client_for(alice).post(f"/users/tokens/{token_id}/revoke/")

    assert response.status_code == 302
    assert flashes(response) == ["This token does not exist (any more)."]
    assert list(ApiToken.objects.all()) == [own]


# --- the services behind them --------------------------------------------------------------------


def test_create_api_token_service_returns_the_key_and_stores_its_digest(make_user):
    alice = make_user()

    token, key = services.create_api_token(user=alice, name="  pipeline  ")

    assert token.name == "pipeline"
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert len(key) >= 40
    assert ApiToken.objects.for_key(key).get() == token
    assert not ApiToken.objects.for_key(key + "x").exists()


@pytest.mark.parametrize("name", ["", "   ", None, "x" * 101])
def test_create_api_token_service_refuses_bad_names(make_user, name):
    with pytest.raises(services.ValidationError) as raised:
        services.create_api_token(user=make_user(), name=name)

    assert list(raised.value.message_dict) == ["name"]
    assert not ApiToken.objects.exists()


def test_revoke_api_token_service_only_touches_the_owners_tokens(make_user):
    alice, bob = make_user(), make_user()
    alices, _ = services.create_api_token(user=alice, name="a")
    bobs, _ = services.create_api_token(user=bob, name="b")

    with pytest.raises(services.ValidationError, match="This token does not exist"):
        services.revoke_api_token(user=alice, token_id=bobs.pk)
    services.revoke_api_token(user=alice, token_id=alices.pk)

    assert list(ApiToken.objects.all()) == [bobs]
