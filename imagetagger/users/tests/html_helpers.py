"""Small helpers for the HTML tests of the users app."""

from django.contrib.messages import get_messages

LOGIN_URL = "/user/login/"


def flashes(response):
    """The texts of the flash messages a response queued (or showed)."""
    return [str(message) for message in get_messages(response.wsgi_request)]


def assert_login_redirect(response, url):
    """``response`` sends an anonymous visitor to the login page, coming back to ``url``."""
    assert response.status_code == 302, response.status_code
    assert response["Location"] == f"{LOGIN_URL}?next={url}"
