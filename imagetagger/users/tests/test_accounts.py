"""Logging in and out, login rate limiting, password change and reset, deleting your account."""

import re
from datetime import timedelta

import pytest
from conftest import PASSWORD
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from users.models import Team, TeamMembership
from users.permissions import team_permissions
from users.tests.html_helpers import assert_login_redirect, flashes

pytestmark = pytest.mark.django_db

User = get_user_model()

LOGIN_URL = "/user/login/"
NEW_PASSWORD = "another-Long-password-9"


def log_in(client, username, password, address="10.0.0.1"):
    return client.post(LOGIN_URL, {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


# --- logging in ----------------------------------------------------------------------------------


def test_login_page_is_shown(client):
    response = client.get(LOGIN_URL)

    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()


def test_login_with_the_right_password_works(client, make_user):
    alice = make_user("alice")

    response = log_in(client, "alice", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert logged_in_user_id(client) == str(alice.pk)


def test_login_goes_back_to_the_page_asked_for(client, make_user, make_team):
    alice = make_user("alice")
    team = make_team(admins=[alice])
    url = f"/users/team/{team.pk}/"
    assert_login_redirect(client.get(url), url)

    response = client.post(f"{LOGIN_URL}?next={url}", {"username": "alice", "password": PASSWORD, "next": url})

    assert response["Location"] == url
    assert client.get(url).status_code == 200


def test_login_does_not_redirect_to_other_sites(client, make_user):
    make_user("alice")

    response = client.post(LOGIN_URL, {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"})

    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize(("username", "password"), [("alice", "wrong"), ("nobody", PASSWORD), ("alice", "")])
def test_login_with_wrong_credentials_is_refused(client, make_user, username, password):
    make_user("alice")

    response = log_in(client, username, password)

    assert response.status_code == 200
    assert response.context["form"].errors
    assert logged_in_user_id(client) is None


def test_inactive_user_cannot_log_in(client, make_user):
    make_user("sleeper", is_active=False)

    response = log_in(client, "sleeper", PASSWORD)

    assert response.status_code == 200
    assert logged_in_user_id(client) is None


# --- login rate limiting (users/throttle.py: 5 per account and address, ceilings of 50 per address
# and per account) ---------------------------------------------------------------------------------


def test_four_failures_do_not_lock_the_account(client, make_user):
    alice = make_user("alice")
    for _attempt in range(4):
        assert log_in(Client(), "alice", "wrong", address="10.0.1.1").status_code == 200

    response = log_in(client, "alice", PASSWORD, address="10.0.1.1")

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(alice.pk)


def test_five_failures_lock_the_account_on_that_address_only(client, make_user):
    make_user("alice")
    make_user("bob")
    for _attempt in range(5):
        log_in(Client(), "alice", "wrong", address="10.0.2.1")

    response = log_in(client, "alice", PASSWORD, address="10.0.2.1")

    html = response.content.decode()
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in html
    assert 'href="/user/password_reset/"' in html
    assert logged_in_user_id(client) is None
    # The same account from another address, and other accounts from that address, still get in.
    elsewhere = Client()
    assert log_in(elsewhere, "alice", PASSWORD, address="10.0.2.2").status_code == 302
    colleague = Client()
    assert log_in(colleague, "bob", PASSWORD, address="10.0.2.1").status_code == 302
    assert logged_in_user_id(colleague) is not None


def test_a_lab_behind_one_address_keeps_working_while_one_account_is_attacked(client, make_user, settings):
    """The issue's case: six failures with made-up names from a NAT address locked every account."""
    make_user("alice")
    for number in range(6):
        log_in(Client(), f"made-up-{number}", "wrong", address="10.0.6.1")
    for _attempt in range(20):
        log_in(Client(), "alice", "wrong", address="10.0.6.1")  # alice is attacked (or forgot)
    for number in range(5):
        colleague = make_user(f"lab{number}")
        lab = Client()
        assert log_in(lab, f"lab{number}", PASSWORD, address="10.0.6.1").status_code == 302
        assert logged_in_user_id(lab) == str(colleague.pk)
    assert log_in(Client(), "alice", PASSWORD, address="10.0.6.1").status_code == 429


def test_guessing_spread_over_many_addresses_pauses_the_account_at_its_ceiling(client, make_user, settings):
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 12
    make_user("alice")
    for attempt in range(11):
        log_in(Client(), "alice", "wrong", address=f"10.0.7.{attempt}")
    assert log_in(Client(), "alice", PASSWORD, address="10.0.7.100").status_code == 302
    log_in(Client(), "alice", "wrong", address="10.0.7.11")  # the 12th failure (the success reset only its pair)

    assert log_in(client, "alice", PASSWORD, address="10.0.7.200").status_code == 429


@pytest.mark.parametrize(("minutes", "text"), [(15, "Try again in 15 minutes,"), (1, "Try again in 1 minute,")])
def test_lockout_page_says_how_long_to_wait_in_words(client, make_user, settings, minutes, text):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=minutes)
    make_user("alice")
    for _attempt in range(5):
        log_in(Client(), "alice", "wrong", address="10.0.3.1")

    html = log_in(client, "alice", PASSWORD, address="10.0.3.1").content.decode()

    assert text in html
    assert "PT" not in html.split("Try again", 1)[1][:20]


def test_one_address_failing_on_many_accounts_is_paused_at_its_ceiling(client, make_user, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    for number in range(8):
        make_user(f"victim{number}")
    make_user("carol")
    for number in range(7):
        log_in(Client(), f"victim{number}", "wrong", address="10.0.4.66")
    assert log_in(Client(), "carol", PASSWORD, address="10.0.4.66").status_code == 302  # 7: below
    log_in(Client(), "victim7", "wrong", address="10.0.4.66")

    locked = log_in(client, "carol", PASSWORD, address="10.0.4.66")

    assert locked.status_code == 429
    assert logged_in_user_id(client) is None
    # The same account from another address still gets in.
    elsewhere = Client()
    assert log_in(elsewhere, "carol", PASSWORD, address="10.0.4.67").status_code == 302
    assert logged_in_user_id(elsewhere) is not None


def test_a_successful_login_resets_the_failure_count(client, make_user):
    make_user("alice")
    for _attempt in range(4):
        log_in(Client(), "alice", "wrong", address="10.0.5.1")
    assert log_in(Client(), "alice", PASSWORD, address="10.0.5.1").status_code == 302

    for _attempt in range(4):
        log_in(Client(), "alice", "wrong", address="10.0.5.1")

    assert log_in(client, "alice", PASSWORD, address="10.0.5.1").status_code == 302


# --- logging out ---------------------------------------------------------------------------------


def test_logout_by_get_is_refused(client_for, make_user):
    alice = make_user()
    client = client_for(alice)

    response = client.get("/user/logout/")

    assert response.status_code == 405
    assert logged_in_user_id(client) == str(alice.pk)


def test_logout_by_post_logs_out(client_for, make_user):
    client = client_for(make_user())

    response = client.post("/user/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert logged_in_user_id(client) is None
    assert_login_redirect(client.get("/users/team/create/"), "/users/team/create/")


# --- password change -----------------------------------------------------------------------------


def test_password_change_needs_login(client):
    assert_login_redirect(client.get("/user/password_change/"), "/user/password_change/")


def test_password_change_with_the_wrong_old_password_is_refused(client_for, make_user):
    alice = make_user()

    response = client_for(alice).post(
        "/user/password_change/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["old_password"]
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_password_change_refuses_a_weak_new_password(client_for, make_user):
    alice = make_user()

    response = client_for(alice).post(
        "/user/password_change/",
        {"old_password": PASSWORD, "new_password1": "password", "new_password2": "password"},
    )

    assert response.status_code == 200
    assert "This password is too common." in response.context["form"].errors["new_password2"]
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_password_change_works_and_keeps_you_logged_in(client_for, make_user):
    alice = make_user("alice")
    client = client_for(alice)
    assert client.get("/user/password_change/").status_code == 200

    response = client.post(
        "/user/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == "/user/password_change/done/"
    assert client.get("/users/team/create/").status_code == 200
    assert log_in(Client(), "alice", NEW_PASSWORD).status_code == 302
    assert log_in(Client(), "alice", PASSWORD).status_code == 200


# --- password reset ------------------------------------------------------------------------------

RESET_LINK = re.compile(r"https?://testserver(/user/reset/[^/\s]+/[^/\s]+/)")


def test_password_reset_mails_a_link_that_sets_a_new_password(client, make_user):
    make_user("alice", email="alice@example.org")

    response = client.post("/user/password_reset/", {"email": "alice@example.org"})

    assert response.status_code == 302
    assert response["Location"] == "/user/password_reset/done/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.org"]
    assert '"alice"' in message.body
    link = RESET_LINK.search(message.body)
    assert link, message.body

    confirm = client.get(link.group(1), follow=True)
    assert confirm.status_code == 200
    assert "Choose a new password" in confirm.content.decode()
    set_password_url = confirm.redirect_chain[-1][0]

    done = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert done.status_code == 302
    assert done["Location"] == "/user/reset/done/"
    assert log_in(Client(), "alice", NEW_PASSWORD).status_code == 302
    assert log_in(Client(), "alice", PASSWORD).status_code == 200

    # The link works once.
    again = Client().get(link.group(1), follow=True)
    assert "Link expired" in again.content.decode()


def test_password_reset_for_an_unknown_address_sends_nothing_and_tells_nothing(client, make_user):
    make_user("alice", email="alice@example.org")

    response = client.post("/user/password_reset/", {"email": "stranger@example.org"})

    assert response.status_code == 302
    assert response["Location"] == "/user/password_reset/done/"
    assert mail.outbox == []


def test_tampered_reset_link_is_refused(client, make_user):
    alice = make_user("alice", email="alice@example.org")
    client.post("/user/password_reset/", {"email": "alice@example.org"})
    path = RESET_LINK.search(mail.outbox[0].body).group(1)
    tampered = path[:-2] + ("a/" if path[-2] != "a" else "b/")

    response = client.get(tampered, follow=True)

    assert response.status_code == 200
    assert "Link expired" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


# --- deleting your account -----------------------------------------------------------------------


def test_delete_page_needs_login(client, make_user):
    alice = make_user()
    url = f"/users/user/{alice.pk}/delete/"

    assert_login_redirect(client.get(url), url)
    assert_login_redirect(client.post(url, {"password": PASSWORD}), url)
    assert User.objects.filter(pk=alice.pk).exists()


def test_delete_page_asks_for_the_password(client_for, make_user):
    alice = make_user()

    response = client_for(alice).get(f"/users/user/{alice.pk}/delete/")

    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()


@pytest.mark.parametrize("data", [{"password": "wrong"}, {"password": ""}, {}])
def test_deleting_with_a_wrong_or_missing_password_keeps_the_account(client_for, make_user, make_team, data):
    alice = make_user()
    team = make_team(admins=[alice])
    client = client_for(alice)

    response = client.post(f"/users/user/{alice.pk}/delete/", data)

    assert response.status_code == 400
    assert response.context["form"].errors["password"]
    assert User.objects.filter(pk=alice.pk).exists()
    assert TeamMembership.objects.filter(team=team, user=alice).exists()
    assert logged_in_user_id(client) == str(alice.pk)


def test_wrong_password_message_is_clear(client_for, make_user):
    alice = make_user()

    response = client_for(alice).post(f"/users/user/{alice.pk}/delete/", {"password": "wrong"})

    assert "This is not your password." in response.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_deleting_someone_elses_account_is_forbidden(client_for, make_user, method):
    alice, bob = make_user(), make_user()

    response = getattr(client_for(alice), method)(f"/users/user/{bob.pk}/delete/", {"password": PASSWORD})

    assert response.status_code == 403
    assert User.objects.filter(pk=bob.pk).exists()
    assert User.objects.filter(pk=alice.pk).exists()


@pytest.mark.parametrize("user_id", [0, 999999, 2**63, 10**30])
def test_deleting_an_unknown_account_is_forbidden_not_an_error(client_for, make_user, user_id):
    alice = make_user()

    response = client_for(alice).post(f"/users/user/{user_id}/delete/", {"password": PASSWORD})

    assert response.status_code == 403
    assert User.objects.filter(pk=alice.pk).exists()


def test_deleting_your_account_removes_memberships_and_dissolves_teams_you_were_alone_in(
    client_for, make_user, make_team
):
    alice, bob = make_user("alice"), make_user("bob")
    alone = make_team("Alone", admins=[alice])
    shared = make_team("Shared", admins=[alice], members=[bob])
    foreign = make_team("Foreign", admins=[bob])
    client = client_for(alice)

    response = client.post(f"/users/user/{alice.pk}/delete/", {"password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert flashes(response) == ["Your account has been deleted."]
    assert not User.objects.filter(pk=alice.pk).exists()
    assert not TeamMembership.objects.filter(user_id=alice.pk).exists()
    assert not Team.objects.filter(pk=alone.pk).exists()
    assert set(Team.objects.all()) == {shared, foreign}
    assert [m.user for m in shared.memberships.all()] == [bob]
    assert "claim_admin" in team_permissions(bob, shared)
    # Logged out, and the old login is gone for good.
    assert logged_in_user_id(client) is None
    assert_login_redirect(client.get("/users/team/create/"), "/users/team/create/")
    assert log_in(Client(), "alice", PASSWORD).status_code == 200
