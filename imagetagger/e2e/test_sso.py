"""Single sign-on in a real browser against a real OpenID Connect provider (django-oauth-toolkit in its
own process): sign in on the provider's page, land logged in, log out, sign in again into the same
account. Screenshots of the login page at three widths go to /tmp/shots/ and the test artifacts."""

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from e2e.conftest import ARTIFACTS
from e2e.helpers import shoot_viewports
from users.models import OidcIdentity
from users.tests.oidc_provider import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = [Path("/tmp/shots"), ARTIFACTS / "sso"]


def sign_in_at_the_provider(page, sso, username):
    """On the provider's pages: log in (if its session has ended) and consent (if it asks)."""
    expect(page).to_have_url(re.compile("^" + re.escape(sso.url)))
    if page.get_by_label("Password").count():
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Password").press("Enter")
    authorize = page.get_by_role("button", name="Authorize")
    authorize.wait_for()
    authorize.click()


def test_sign_in_with_the_provider_log_out_and_sign_in_again(page, live_server, sso):
    sso.set_claims("alice", email_verified=True, email="alice@example.org")

    page.goto("/user/login/?next=/users/leaderboard/")
    button = page.get_by_role("link", name="Sign in with Test ID")
    expect(button).to_be_visible()
    shoot_viewports(page, "login-sso-and-password", SHOTS)
    button.focus()
    page.keyboard.press("Enter")  # the keyboard is enough
    sign_in_at_the_provider(page, sso, "alice")

    expect(page).to_have_url(f"{live_server.url}/users/leaderboard/")
    expect(page.locator(".alert-success")).to_contain_text("Welcome, alice! Your account was made from your Test ID")
    alice = get_user_model().objects.get()
    assert alice.username == "alice"
    assert OidcIdentity.objects.get().user == alice

    # Log out from the user menu.
    page.get_by_role("button", name="alice").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()

    # Again, on a phone: the same account, nothing new made.
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("link", name="Log in").first.click()
    page.get_by_role("link", name="Sign in with Test ID").click()
    sign_in_at_the_provider(page, sso, "alice")
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    page.get_by_role("button", name="Toggle navigation").click()
    expect(page.get_by_role("button", name="alice")).to_be_visible()
    assert get_user_model().objects.count() == 1
    assert OidcIdentity.objects.count() == 1


def test_with_passwords_off_the_login_page_is_one_button(page, live_server, sso, settings):
    settings.PASSWORD_LOGIN = False

    page.goto("/user/login/")

    expect(page.get_by_role("link", name="Sign in with Test ID")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_count(0)
    expect(page.get_by_role("link", name="Register")).to_have_count(0)
    shoot_viewports(page, "login-sso-only", SHOTS)


def test_a_tampered_answer_leaves_the_browser_logged_out(page, live_server, sso, monkeypatch):
    from users.oidc import OidcBackend

    real = OidcBackend.get_token

    def get_token(self, payload):
        answer = real(self, payload)
        header, claims, signature = answer["id_token"].split(".")
        answer["id_token"] = f"{header}.{claims}.{signature[:10]}{'A' if signature[10] != 'A' else 'B'}{signature[11:]}"
        return answer

    monkeypatch.setattr(OidcBackend, "get_token", get_token)

    page.goto("/user/login/")
    page.get_by_role("link", name="Sign in with Test ID").click()
    sign_in_at_the_provider(page, sso, "bob")

    expect(page).to_have_url(f"{live_server.url}/user/login/")
    expect(page.locator(".alert-danger")).to_contain_text("signature does not verify")
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()
    assert not get_user_model().objects.exists()
    shoot_viewports(page, "login-sso-refused", SHOTS)
