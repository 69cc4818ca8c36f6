"""Registration with django-registration's two-step activation workflow."""

import re
import time

import pytest
from conftest import PASSWORD
from django.contrib.auth import get_user_model
from django.core import mail, signing
from django_registration.backends.activation import REGISTRATION_SALT

pytestmark = pytest.mark.django_db

User = get_user_model()

REGISTER_URL = "/accounts/register/"
ACTIVATE_URL = "/accounts/activate/"
LINK = re.compile(r"https?://testserver(/accounts/activate/\?activation_key=\S+)")


def form_data(**overrides):
    data = {
        "username": "newbie",
        "email": "newbie@example.org",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


def register(client, **overrides):
    return client.post(REGISTER_URL, form_data(**overrides))


def activation_path(message):
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(1)


def activation_key(path):
    return path.split("activation_key=", 1)[1]


def can_log_in(username, password=PASSWORD):
    from django.test import Client

    response = Client().post("/user/login/", {"username": username, "password": password})
    return response.status_code == 302


# --- success -------------------------------------------------------------------------------------


def test_register_page_shows_the_form(client):
    response = client.get(REGISTER_URL)

    html = response.content.decode()
    assert response.status_code == 200
    for field in ("username", "email", "password1", "password2"):
        assert f'name="{field}"' in html


def test_registration_creates_an_inactive_user_and_mails_an_activation_link(client):
    response = register(client)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/register/complete/"
    user = User.objects.get(username="newbie")
    assert user.is_active is False
    assert user.email == "newbie@example.org"
    assert user.check_password(PASSWORD)
    assert not user.is_staff
    assert not user.is_superuser

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["newbie@example.org"]
    assert message.subject == "Activate your ImageTagger account"
    assert "Hello newbie" in message.body
    assert activation_path(message).startswith(ACTIVATE_URL)

    assert "Check your mail" in client.get(response["Location"]).content.decode()
    assert not can_log_in("newbie")


def test_following_the_link_shows_a_form_and_posting_it_activates(client):
    register(client)
    path = activation_path(mail.outbox[0])

    page = client.get(path)

    # Opening the link (mail scanners do) must not activate: it shows a one-click form.
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="activate-button"' in html
    assert f'value="{activation_key(path)}"' in html
    assert User.objects.get(username="newbie").is_active is False

    response = client.post(ACTIVATE_URL, {"activation_key": activation_key(path)})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/activate/complete/"
    assert User.objects.get(username="newbie").is_active is True
    assert "Account activated" in client.get(response["Location"]).content.decode()
    assert can_log_in("newbie")


def test_activating_twice_says_the_account_is_active_already(client):
    register(client)
    key = activation_key(activation_path(mail.outbox[0]))
    client.post(ACTIVATE_URL, {"activation_key": key})

    response = client.post(ACTIVATE_URL, {"activation_key": key})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Activation failed" in html
    assert "already been activated" in html


# --- bad activation keys -------------------------------------------------------------------------


@pytest.mark.parametrize("garble", ["garbage", "", "{key}x", "x{key}", "{key_head}"])
def test_bad_or_garbled_key_shows_the_failure_message(client, garble):
    register(client)
    key = activation_key(activation_path(mail.outbox[0]))
    bad = garble.format(key=key, key_head=key[:-3])

    response = client.post(ACTIVATE_URL, {"activation_key": bad})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Activation failed" in html
    assert "activate-button" not in html
    assert User.objects.get(username="newbie").is_active is False


def test_garbled_key_message_names_the_problem(client):
    response = client.post(ACTIVATE_URL, {"activation_key": "not-a-key"})

    assert "The activation key you provided is invalid." in response.content.decode()


def test_key_signed_for_another_purpose_is_refused(client, make_user):
    make_user("victim", is_active=False)
    forged = signing.dumps(obj="victim", salt="some-other-salt")

    response = client.post(ACTIVATE_URL, {"activation_key": forged})

    assert "The activation key you provided is invalid." in response.content.decode()
    assert User.objects.get(username="victim").is_active is False


def test_key_for_an_unknown_account_is_refused(client):
    key = signing.dumps(obj="nobody", salt=REGISTRATION_SALT)

    response = client.post(ACTIVATE_URL, {"activation_key": key})

    html = response.content.decode()
    assert "Activation failed" in html
    assert "The account you attempted to activate is invalid." in html


class _EightDaysAgoSigner(signing.TimestampSigner):
    def timestamp(self):
        return signing.b62_encode(int(time.time()) - 8 * 86400)


def test_expired_key_is_refused(client, make_user, settings):
    settings.ACCOUNT_ACTIVATION_DAYS = 7
    make_user("late", is_active=False)
    old_key = _EightDaysAgoSigner(salt=REGISTRATION_SALT).sign_object("late")

    response = client.post(ACTIVATE_URL, {"activation_key": old_key})

    assert "This account has expired." in response.content.decode()
    assert User.objects.get(username="late").is_active is False


# --- refusals ------------------------------------------------------------------------------------


def assert_refused(response, field, message):
    assert response.status_code == 400
    assert message in response.context["form"].errors[field]
    assert message in response.content.decode()
    assert not User.objects.filter(email="newbie@example.org").exists()
    assert mail.outbox == []


@pytest.mark.parametrize("username", ["admin", "root", "www", "administrator", "webmaster", "Admin", "ROOT"])
def test_reserved_usernames_are_refused(client, username):
    response = register(client, username=username)

    assert_refused(response, "username", "This name is reserved and cannot be registered.")
    assert response.context["form"].errors["username"] == ["This name is reserved and cannot be registered."]


@pytest.mark.parametrize(
    "username",
    [
        "p\u0430ypal",  # Cyrillic small a
        "\u0440aypal",  # Cyrillic small er, looks like p
        "g\u043e\u043egle",  # Cyrillic small o twice
    ],
)
def test_confusable_usernames_are_refused(client, username):
    response = register(client, username=username)

    assert_refused(response, "username", "This name cannot be registered. Please choose a different name.")


@pytest.mark.parametrize("username", ["alice", "ALICE", "aLiCe"])
def test_username_differing_only_by_case_is_refused(client, make_user, username):
    make_user("Alice")

    response = register(client, username=username)

    assert_refused(response, "username", "A user with that username already exists.")
    assert User.objects.filter(username__iexact="alice").count() == 1


@pytest.mark.parametrize("email", ["taken@example.org", "TAKEN@example.org", "Taken@Example.ORG"])
def test_duplicate_email_is_refused(client, make_user, email):
    make_user("holder", email="taken@example.org")

    response = register(client, email=email)

    assert_refused(response, "email", "This email address is already in use. Please supply a different email address.")
    assert not User.objects.filter(username="newbie").exists()


def test_mismatched_passwords_are_refused(client):
    response = register(client, password2=PASSWORD + "-typo")

    assert_refused(response, "password2", "The two password fields didn’t match.")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("qwertyuiop", "This password is too common."),
        ("password123", "This password is too common."),
        ("short7", "This password is too short. It must contain at least 8 characters."),
        ("8472910365", "This password is entirely numeric."),
        ("newbie123", "The password is too similar to the username."),
    ],
)
def test_weak_passwords_are_refused(client, password, message):
    response = register(client, password1=password, password2=password)

    assert_refused(response, "password2", message)


@pytest.mark.parametrize(
    ("field", "value"),
    [("username", ""), ("email", ""), ("email", "not-an-address"), ("username", "with space")],
)
def test_missing_or_malformed_fields_are_refused(client, field, value):
    response = register(client, **{field: value})

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not User.objects.exists()
    assert mail.outbox == []


def test_closed_registration_creates_no_account(client, settings):
    settings.REGISTRATION_OPEN = False

    response = register(client)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/register/closed/"
    assert not User.objects.exists()
    assert mail.outbox == []
    assert "Registration is closed" in client.get(response["Location"]).content.decode()
