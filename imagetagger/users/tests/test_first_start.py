"""The first-start page /setup/: creates the first administrator while the site has no user at all."""

import pytest
from conftest import PASSWORD
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from users.services import SetupClosed, create_first_admin

pytestmark = pytest.mark.django_db

User = get_user_model()

SETUP_URL = "/setup/"


def admin_data(**overrides):
    data = {"username": "boss", "email": "boss@example.org", "password1": PASSWORD, "password2": PASSWORD}
    data.update(overrides)
    return data


def test_setup_page_is_offered_while_there_is_no_user(client):
    response = client.get(SETUP_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Create the first administrator" in html
    assert 'name="username"' in html


def test_welcome_page_links_to_setup_while_there_is_no_user(client):
    html = client.get("/").content.decode()

    assert 'id="first-start"' in html
    assert f'href="{SETUP_URL}"' in html


def test_creating_the_first_admin_makes_a_logged_in_superuser(client):
    response = client.post(SETUP_URL, admin_data())

    assert response.status_code == 302
    assert response["Location"] == "/"
    boss = User.objects.get()
    assert boss.username == "boss"
    assert boss.email == "boss@example.org"
    assert boss.is_active
    assert boss.is_staff
    assert boss.is_superuser
    assert boss.check_password(PASSWORD)
    assert client.session["_auth_user_id"] == str(boss.pk)
    assert mail.outbox == []  # no activation needed
    home = client.get("/").content.decode()
    assert "Welcome, boss! You are this site&#x27;s administrator." in home
    assert "boss" in home


def test_setup_is_gone_once_the_first_admin_exists(client):
    client.post(SETUP_URL, admin_data())
    stranger = Client()

    assert stranger.get(SETUP_URL).status_code == 404
    assert stranger.post(SETUP_URL, admin_data(username="mallory", email="m@example.org")).status_code == 404
    assert client.get(SETUP_URL).status_code == 404
    assert list(User.objects.values_list("username", flat=True)) == ["boss"]
    assert 'id="first-start"' not in stranger.get("/").content.decode()


def test_setup_is_gone_when_any_user_exists(client, make_user):
    make_user("someone")

    assert client.get(SETUP_URL).status_code == 404
    assert client.post(SETUP_URL, admin_data()).status_code == 404
    assert not User.objects.filter(username="boss").exists()
    html = client.get("/").content.decode()
    assert 'id="first-start"' not in html
    assert SETUP_URL not in html


def test_setup_is_gone_even_when_the_only_user_is_inactive(client, make_user):
    make_user("pending", is_active=False)

    assert client.get(SETUP_URL).status_code == 404
    assert client.post(SETUP_URL, admin_data()).status_code == 404


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password2": "something-else-1"}, "password2"),
        ({"password1": "password", "password2": "password"}, "password2"),
        ({"username": ""}, "username"),
        ({"username": "root"}, "username"),
        ({"email": "not-an-address"}, "email"),
    ],
)
def test_bad_input_creates_no_admin_and_keeps_the_page(client, overrides, field):
    response = client.post(SETUP_URL, admin_data(**overrides))

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not User.objects.exists()
    assert client.get(SETUP_URL).status_code == 200


def test_empty_post_is_refused_with_field_errors(client):
    response = client.post(SETUP_URL, {})

    assert response.status_code == 400
    assert set(response.context["form"].errors) >= {"username", "email", "password1", "password2"}
    assert not User.objects.exists()


def test_setup_refuses_other_methods(client):
    assert client.put(SETUP_URL).status_code == 405
    assert not User.objects.exists()


def test_create_first_admin_service_refuses_once_a_user_exists(make_user):
    make_user("first")

    with pytest.raises(SetupClosed):
        create_first_admin(username="second", email="s@example.org", password=PASSWORD)

    assert not User.objects.filter(username="second").exists()
