"""Single sign-on against a real OpenID Connect provider (django-oauth-toolkit, its own process):
the Django test client starts the sign-in, a requests session logs in at the provider's pages and
consents, the provider's answer comes back to our callback, which fetches and checks the tokens over HTTP."""

import base64
from urllib.parse import urlsplit

import jwt
import pytest
from conftest import PASSWORD
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import authenticate, get_user_model
from django.test import Client

from users.models import OidcIdentity, Team, TeamMembership
from users.oidc import OidcBackend
from users.tests.html_helpers import flashes
from users.tests.oidc_provider import OTHER_CLIENT_ID, OTHER_CLIENT_SECRET, REDIRECT_URIS

pytestmark = pytest.mark.django_db

User = get_user_model()

LOGIN_URL = "/user/login/"
START_URL = "/user/oidc/login/"
CALLBACK_URL = "/user/oidc/callback/"


def start(client, next_url=None):
    response = client.get(START_URL, {"next": next_url} if next_url else {})
    assert response.status_code == 302, response.status_code
    return response["Location"]


def sign_in(client, provider, username, *, next_url=None, allow=True):
    """The whole round trip for ``username``; returns our callback's response."""
    back = provider.authorize(start(client, next_url), username, allow=allow)
    parts = urlsplit(back)
    assert parts.path == CALLBACK_URL, back
    return client.get(f"{parts.path}?{parts.query}")


def logged_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def refused(response, reason):
    """The callback refused: back to the login page with ``reason`` in the message, nobody logged in."""
    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    messages = flashes(response)
    assert any(reason in message and "You are not logged in" in message for message in messages), messages
    assert response.wsgi_request.user.is_authenticated is False


# --- off ----------------------------------------------------------------------------------------


def test_without_oidc_settings_there_is_no_button_and_no_oidc_pages(client):
    page = client.get(LOGIN_URL).content.decode()

    assert "Sign in with" not in page
    assert 'name="password"' in page
    assert client.get(START_URL).status_code == 404
    assert client.get(CALLBACK_URL, {"code": "x", "state": "y"}).status_code == 404


def test_the_login_page_offers_the_provider_and_keeps_where_to_go(client, sso):
    page = client.get(LOGIN_URL, {"next": "/users/leaderboard/"}).content.decode()

    assert "Sign in with Test ID" in page
    assert f'href="{START_URL}?next=%2Fusers%2Fleaderboard%2F"' in page
    assert 'name="password"' in page


def test_the_sign_in_starts_with_state_nonce_and_pkce(client, sso):
    location = start(client)

    assert location.startswith(f"{sso.issuer}/authorize/?")
    query = urlsplit(location).query
    for parameter in (
        "state=",
        "nonce=",
        "code_challenge=",
        "code_challenge_method=S256",
        "client_id=imagetagger-test",
    ):
        assert parameter in query
    assert "redirect_uri=http%3A%2F%2Ftestserver%2Fuser%2Foidc%2Fcallback%2F" in query


# --- accounts -----------------------------------------------------------------------------------


def test_a_first_sign_in_makes_an_account_without_a_password(client, sso):
    sso.set_claims("alice", email_verified=True)

    response = sign_in(client, sso, "alice")

    assert response.status_code == 302
    assert response["Location"] == "/"
    alice = logged_in_user(client)
    assert alice.username == "alice"
    assert alice.email == "alice@example.org"
    assert not alice.has_usable_password()
    identity = OidcIdentity.objects.get(user=alice)
    assert identity.issuer == sso.issuer
    assert identity.last_login is not None
    assert "Welcome, alice! Your account was made from your Test ID sign-in." in flashes(response)
    assert client.get("/").status_code == 200


def test_a_second_sign_in_opens_the_same_account_even_with_a_new_address(client, sso):
    sign_in(client, sso, "alice")
    first = logged_in_user(client)
    assert client.post("/user/logout/").status_code == 302
    assert logged_in_user(client) is None
    sso.set_claims("alice", email="alice.new@example.org", email_verified=True, preferred_username="alice2000")

    response = sign_in(client, sso, "alice")

    assert response["Location"] == "/"
    assert logged_in_user(client) == first
    assert User.objects.count() == 1
    assert OidcIdentity.objects.count() == 1
    assert not any("Welcome" in message for message in flashes(response))


def test_the_sign_in_goes_back_to_the_page_asked_for(client, sso, make_user):
    response = sign_in(client, sso, "alice", next_url="/users/leaderboard/")

    assert response["Location"] == "/users/leaderboard/"


def test_the_sign_in_never_goes_back_to_another_site(client, sso):
    response = sign_in(client, sso, "alice", next_url="https://evil.example/")

    assert response["Location"] == "/"


def test_a_verified_address_links_to_the_one_account_with_it(client, sso, make_user):
    ada = make_user("ada", email="Alice@Example.org")
    sso.set_claims("alice", email_verified=True)

    response = sign_in(client, sso, "alice")

    assert logged_in_user(client) == ada
    assert User.objects.count() == 1
    assert OidcIdentity.objects.get().user == ada
    assert "Your Test ID sign-in is now linked to your account ada." in flashes(response)
    ada.refresh_from_db()
    assert ada.check_password(PASSWORD)  # the password stays


def test_an_unverified_address_links_to_nothing(client, sso, make_user):
    ada = make_user("ada", email="alice@example.org")
    sso.set_claims("alice", email_verified=False)

    sign_in(client, sso, "alice")

    alice = logged_in_user(client)
    assert alice != ada
    assert alice.username == "alice"
    assert alice.email == ""  # an address nobody vouched for would later let someone else's account link to it
    assert not ada.oidc_identities.exists()


def test_an_address_two_accounts_share_links_to_neither(client, sso, make_user):
    first, second = make_user("ada", email="alice@example.org"), make_user("ann", email="ALICE@example.org")
    sso.set_claims("alice", email_verified=True)

    sign_in(client, sso, "alice")

    assert logged_in_user(client) not in (first, second)
    assert User.objects.count() == 3


def test_an_account_linked_to_another_person_at_the_provider_is_not_linked_again(client, sso, make_user):
    sso.set_claims("alice", email_verified=True)
    sign_in(client, sso, "alice")
    alice = logged_in_user(client)
    client.post("/user/logout/")
    sso.set_claims("bob", email="alice@example.org", email_verified=True)  # the address moved on to bob

    sign_in(client, sso, "bob")

    assert logged_in_user(client) not in (None, alice)
    assert logged_in_user(client).username == "bob"


def test_inactive_accounts_are_not_linked_or_opened(client, sso, make_user):
    make_user("ada", email="alice@example.org", is_active=False)
    sso.set_claims("alice", email_verified=True)
    sign_in(client, sso, "alice")
    alice = logged_in_user(client)
    assert alice.username == "alice"
    client.post("/user/logout/")
    User.objects.filter(pk=alice.pk).update(is_active=False)

    response = sign_in(client, sso, "alice")

    refused(response, "the account alice is deactivated")


def test_a_taken_username_gets_a_number(client, sso, make_user):
    make_user("Alice", email="someone@example.org")

    sign_in(client, sso, "alice")

    assert logged_in_user(client).username == "alice2"


@pytest.mark.parametrize(
    ("claims", "username"),
    [
        ({"preferred_username": "carol.smith@corp.example"}, "carol.smith"),
        ({"preferred_username": "admin"}, "admin2"),  # reserved names are never handed out
        ({"preferred_username": None, "email": "c.d@example.org"}, "c.d"),
        ({"preferred_username": "Ωmega user!"}, "Ωmegauser"),
        ({"preferred_username": None, "email": None}, "member"),
    ],
)
def test_usernames_come_from_the_claims(client, sso, claims, username):
    sso.set_claims("carol", **claims)

    sign_in(client, sso, "carol")

    assert logged_in_user(client).username == username


def test_logging_out_after_a_sign_in_works(client, sso):
    sign_in(client, sso, "alice")

    response = client.post("/user/logout/")

    assert response.status_code == 302
    assert logged_in_user(client) is None
    assert client.get("/users/leaderboard/").status_code == 302


# --- teams from a claim -----------------------------------------------------------------------------


def test_the_team_claim_adds_to_existing_teams_and_takes_away_what_it_added(
    client, sso, settings, make_user, make_team
):
    settings.OIDC_TEAM_CLAIM = "groups"
    owner = make_user("owner")
    make_team("Robots", admins=[owner])
    vision = make_team("Vision", admins=[owner])
    sso.set_claims("alice", groups=["robots", "/Vision", "Nonexistent"])

    sign_in(client, sso, "alice")

    alice = logged_in_user(client)
    memberships = TeamMembership.objects.filter(user=alice)
    assert {m.team.name for m in memberships} == {"Robots", "Vision"}
    assert all(m.granted_by_sso and not m.is_admin for m in memberships)
    assert not Team.objects.filter(name__iexact="Nonexistent").exists()  # teams are not made from claims

    # A membership made on the site stays whatever the claim says.
    hand_made = make_team("Hand", admins=[owner])
    TeamMembership.objects.create(team=hand_made, user=alice)
    client.post("/user/logout/")
    sso.set_claims("alice", groups=["Robots"])
    sign_in(client, sso, "alice")

    assert set(TeamMembership.objects.filter(user=alice).values_list("team__name", flat=True)) == {"Robots", "Hand"}
    assert vision.members.filter(pk=owner.pk).exists()


def test_without_the_claim_in_the_answer_teams_stay(client, sso, settings, make_user, make_team):
    settings.OIDC_TEAM_CLAIM = "groups"
    make_team("Robots", admins=[make_user("owner")])
    sso.set_claims("alice", groups=["Robots"])
    sign_in(client, sso, "alice")
    client.post("/user/logout/")
    sso.set_claims("alice", groups=None)

    sign_in(client, sso, "alice")

    assert logged_in_user(client).teams.filter(name="Robots").exists()


def test_the_claim_never_dissolves_a_team_by_taking_its_last_member(client, sso, settings, make_team):
    settings.OIDC_TEAM_CLAIM = "groups"
    team = make_team("Solo")
    sso.set_claims("alice", groups=["Solo"])
    sign_in(client, sso, "alice")
    client.post("/user/logout/")
    sso.set_claims("alice", groups=[])

    sign_in(client, sso, "alice")

    assert Team.objects.filter(pk=team.pk).exists()
    assert team.members.filter(pk=logged_in_user(client).pk).exists()


def test_without_a_team_claim_setting_groups_are_ignored(client, sso, make_user, make_team):
    make_team("Robots", admins=[make_user("owner")])
    sso.set_claims("alice", groups=["Robots"])

    sign_in(client, sso, "alice")

    assert not logged_in_user(client).teams.exists()


# --- refused answers ----------------------------------------------------------------------------------


def _flip_signature_byte(token):
    header, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[len(raw) // 2] ^= 0x01
    return f"{header}.{payload}.{base64.urlsafe_b64encode(bytes(raw)).rstrip(b'=').decode()}"


def _signed_by_another_key(token):
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": header["kid"]})


def _unsigned(token):
    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.encode(claims, None, algorithm="none")


def _tamper_tokens(monkeypatch, change):
    """The token endpoint's real answer, with its ID token changed on the way (a man in the middle)."""
    real = OidcBackend.get_token

    def get_token(self, payload):
        answer = real(self, payload)
        answer["id_token"] = change(answer["id_token"])
        return answer

    monkeypatch.setattr(OidcBackend, "get_token", get_token)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_flip_signature_byte, "the identity token's signature does not verify"),
        (_signed_by_another_key, "the identity token's signature does not verify"),
        (_unsigned, "the identity token is signed with 'none', not RS256"),
        (lambda token: token.split(".", 1)[1], "the identity token is not a valid JWT"),
    ],
    ids=["flipped-signature-byte", "another-key", "unsigned", "garbage"],
)
def test_a_tampered_id_token_is_refused(client, sso, monkeypatch, change, reason):
    _tamper_tokens(monkeypatch, change)

    response = sign_in(client, sso, "alice")

    refused(response, reason)
    assert not User.objects.exists()
    assert client.get("/users/leaderboard/").status_code == 302


def test_a_token_issued_to_another_application_is_refused(client, sso, monkeypatch):
    foreign = sso.id_token_for(OTHER_CLIENT_ID, OTHER_CLIENT_SECRET, "alice", REDIRECT_URIS[0])
    assert jwt.decode(foreign, options={"verify_signature": False})["aud"] == OTHER_CLIENT_ID
    _tamper_tokens(monkeypatch, lambda token: foreign)

    response = sign_in(client, sso, "alice")

    refused(response, "the identity token was issued for another application")
    assert not User.objects.exists()


def test_a_replayed_id_token_is_refused(client, sso, monkeypatch):
    seen = []
    _tamper_tokens(monkeypatch, lambda token: seen.append(token) or token)
    sign_in(client, sso, "alice")
    client.post("/user/logout/")
    _tamper_tokens(monkeypatch, lambda token: seen[0])

    response = sign_in(client, sso, "alice")

    refused(response, "the identity token belongs to another sign-in (its nonce differs)")


def test_a_token_from_another_issuer_is_refused(client, sso, settings, monkeypatch):
    real_issuer = sso.issuer
    monkeypatch.setattr("users.oidc.provider", _provider_with_issuer(real_issuer + "-elsewhere"))

    response = sign_in(client, sso, "alice")

    refused(response, "the identity token was issued by another provider")


def _provider_with_issuer(issuer):
    from dataclasses import replace

    from users import oidc

    real = oidc.provider

    def provider():
        return replace(real(), issuer=issuer)

    return provider


def test_an_answer_with_an_unknown_state_is_refused(client, sso):
    back = sso.authorize(start(client), "alice")
    parts = urlsplit(back)
    query = parts.query.replace("state=", "state=x")

    response = client.get(f"{parts.path}?{query}")

    refused(response, "this answer belongs to no sign-in started in this browser")


def test_an_answer_in_another_browser_is_refused(client, sso):
    back = urlsplit(sso.authorize(start(client), "alice"))

    response = Client().get(f"{back.path}?{back.query}")

    refused(response, "this answer belongs to no sign-in started in this browser")


def test_an_answer_used_twice_is_refused_the_second_time(client, sso):
    back = urlsplit(sso.authorize(start(client), "alice"))
    assert client.get(f"{back.path}?{back.query}")["Location"] == "/"
    client.post("/user/logout/")

    response = client.get(f"{back.path}?{back.query}")

    refused(response, "this answer belongs to no sign-in started in this browser")


def test_cancelling_at_the_provider_logs_nobody_in(client, sso):
    response = sign_in(client, sso, "alice", allow=False)

    refused(response, "Test ID answered: ")


def test_a_provider_that_cannot_be_reached_is_a_clear_message(client, sso, settings):
    settings.OIDC_ISSUER = "http://127.0.0.1:9/nowhere"

    response = client.get(START_URL)

    assert response["Location"] == LOGIN_URL
    assert "Sign-in with Test ID failed: Test ID could not be reached (its discovery document)." in " ".join(
        flashes(response)
    )


# --- password log-in switched off ------------------------------------------------------------------------------


@pytest.fixture
def no_passwords(sso, settings):
    settings.PASSWORD_LOGIN = False
    return sso


def test_without_passwords_the_login_page_has_only_the_button(client, no_passwords):
    page = client.get(LOGIN_URL).content.decode()

    assert "Sign in with Test ID" in page
    assert 'name="password"' not in page
    assert "Forgot your password" not in page
    assert "Register" not in page


def test_without_passwords_a_posted_password_is_refused_with_a_message(client, no_passwords, make_user):
    make_user("ada")

    response = client.post(LOGIN_URL, {"username": "ada", "password": PASSWORD})

    assert response.status_code == 403
    assert "Logging in with a password is turned off on this site. Sign in with Test ID instead." in (
        response.content.decode()
    )
    assert logged_in_user(client) is None


def test_without_passwords_no_backend_accepts_one(no_passwords, make_user, rf):
    make_user("ada")

    assert authenticate(rf.post("/"), username="ada", password=PASSWORD) is None


def test_without_passwords_the_admin_login_sends_to_the_login_page(client, no_passwords, make_user):
    make_user("root", is_staff=True, is_superuser=True)

    response = client.get("/admin/login/", {"next": "/admin/users/"})
    posted = client.post("/admin/login/", {"username": "root", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/user/login/?next=/admin/users/"
    assert posted["Location"] == "/user/login/?next=/admin/"
    assert logged_in_user(client) is None


def test_without_passwords_staff_reach_the_admin_through_single_sign_on(client, no_passwords, make_user):
    root = make_user("root", email="alice@example.org", is_staff=True, is_superuser=True)
    no_passwords.set_claims("alice", email_verified=True)

    sign_in(client, no_passwords, "alice", next_url="/admin/")

    assert logged_in_user(client) == root
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/login/")["Location"] == "/admin/"


@pytest.mark.parametrize("url", ["/user/password_reset/", "/user/password_change/", "/accounts/register/"])
def test_without_passwords_the_password_pages_are_gone(client, no_passwords, make_user, url):
    client.force_login(make_user("ada"))

    response = client.get(url, follow=True)

    assert response.status_code == 404 or "closed" in response.content.decode().lower()


def test_with_passwords_the_admin_login_is_unchanged(client, make_user):
    make_user("root", is_staff=True, is_superuser=True)

    response = client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD, "next": "/admin/"})

    assert response["Location"] == "/admin/"


# --- the account page of a single sign-on account ---------------------------------------------------------------


def test_an_sso_account_has_no_password_link_and_is_deleted_by_its_username(client, sso):
    sign_in(client, sso, "alice")
    alice = logged_in_user(client)
    page = client.get(f"/users/user/{alice.pk}/").content.decode()
    assert "You sign in with Test ID" in page
    assert "Change password" not in page
    assert 'name="username"' in client.get(f"/users/user/{alice.pk}/delete/").content.decode()

    wrong = client.post(f"/users/user/{alice.pk}/delete/", {"username": "bob"})
    right = client.post(f"/users/user/{alice.pk}/delete/", {"username": "alice"})

    assert wrong.status_code == 400
    assert right.status_code == 302
    assert not User.objects.filter(pk=alice.pk).exists()
    assert not OidcIdentity.objects.exists()


def test_explicit_endpoints_need_no_discovery(client, sso, settings, monkeypatch):
    settings.OIDC_AUTHORIZATION_ENDPOINT = f"{sso.issuer}/authorize/"
    settings.OIDC_TOKEN_ENDPOINT = f"{sso.issuer}/token/"
    settings.OIDC_USERINFO_ENDPOINT = f"{sso.issuer}/userinfo/"
    settings.OIDC_JWKS_ENDPOINT = f"{sso.issuer}/.well-known/jwks.json"

    def no_discovery(issuer):
        raise AssertionError("discovery is not needed")

    monkeypatch.setattr("users.oidc._discovery_document", no_discovery)

    response = sign_in(client, sso, "alice")

    assert response["Location"] == "/"
    assert logged_in_user(client).username == "alice"


def test_a_discovery_document_of_another_issuer_is_refused(client, sso, settings):
    from users import oidc

    oidc._discovered.clear()
    settings.OIDC_ISSUER = f"{sso.issuer}/../o"  # the same document, which names another issuer

    response = client.get(START_URL)

    assert response["Location"] == LOGIN_URL
    assert "discovery document names another issuer than this site expects" in " ".join(flashes(response))


def test_id_tokens_signed_with_the_client_secret_work_with_hs256(client, sso, settings):
    from users.tests.oidc_provider import HS256_CLIENT_ID, HS256_CLIENT_SECRET

    settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET = HS256_CLIENT_ID, HS256_CLIENT_SECRET
    settings.OIDC_SIGN_ALGO = "HS256"

    response = sign_in(client, sso, "bob")

    assert response["Location"] == "/"
    assert logged_in_user(client).username == "bob"


def test_an_rs256_token_is_refused_where_hs256_is_expected(client, sso, settings):
    settings.OIDC_SIGN_ALGO = "HS256"

    response = sign_in(client, sso, "bob")

    refused(response, "the identity token is signed with 'RS256', not HS256")


def test_signing_in_as_someone_else_switches_the_account_and_keeps_where_to_go(client, sso, make_user):
    ada = make_user("ada")
    client.force_login(ada)

    response = sign_in(client, sso, "alice", next_url="/users/leaderboard/")

    assert response["Location"] == "/users/leaderboard/"
    assert logged_in_user(client).username == "alice"
