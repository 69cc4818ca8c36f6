"""Site-wide pages: health check, error pages, layout, welcome and home pages, static files.

The first-start page (/setup/) is covered by users/tests/test_first_start.py.
"""

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.db import connections
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import path

import imagetagger.urls
from users.models import Team


# A URLconf for the 500 page: the site's URLs plus one that fails.
def _failing_view(request):
    raise RuntimeError("boom")


urlpatterns = [path("test-failure/", _failing_view), *imagetagger.urls.urlpatterns]


def navbar(html):
    return re.search(r'<nav class="navbar[^>]*aria-label="Main"', html)


def footer(html):
    return html[html.index("<footer") : html.index("</footer>")]


# --- health checks: base/tests/test_health.py ------------------------------------------------


# --- error pages ------------------------------------------------------------------------------


def test_404_page_uses_the_site_layout(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Not found</h1>" in html
    assert navbar(html)
    assert "Log in" in html
    assert "<footer" in html


def test_404_page_for_a_logged_in_user(client_for, make_user):
    user = make_user("wanderer")
    response = client_for(user).get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Not found" in html
    assert navbar(html)
    assert "wanderer" in html


@override_settings(ROOT_URLCONF=__name__)
def test_500_page_renders_without_the_database():
    # No database fixture: any query while rendering would fail the test.
    client = Client(raise_request_exception=False)
    response = client.get("/test-failure/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    assert 'class="navbar' in html
    assert "Traceback" not in html
    assert "boom" not in html


# --- layout: footer and navbar --------------------------------------------------------------


def test_no_imprint_link_by_default(client, db):
    html = client.get("/").content.decode()
    assert "imprint-link" not in html


@pytest.mark.parametrize(
    ("overrides", "shown"),
    [
        ({"USE_IMPRINT": True, "IMPRINT_URL": "https://example.org/imprint"}, True),
        ({"USE_IMPRINT": True, "IMPRINT_URL": None}, False),
        ({"USE_IMPRINT": True, "IMPRINT_URL": ""}, False),
        ({"USE_IMPRINT": False, "IMPRINT_URL": "https://example.org/imprint"}, False),
    ],
)
def test_imprint_link_needs_use_imprint_and_a_url(client, db, overrides, shown):
    with override_settings(IMPRINT_NAME=None, **overrides):
        html = client.get("/").content.decode()
    assert ('id="imprint-link"' in footer(html)) is shown
    if shown:
        assert '<a href="https://example.org/imprint" id="imprint-link">Imprint</a>' in footer(html)


def test_imprint_link_uses_the_imprint_name_on_every_page(client_for, make_user):
    client = client_for(make_user())
    with override_settings(USE_IMPRINT=True, IMPRINT_URL="https://example.org/legal", IMPRINT_NAME="Legal notice"):
        for url in ("/", "/no-such-page/"):
            html = client.get(url).content.decode()
            assert '<a href="https://example.org/legal" id="imprint-link">Legal notice</a>' in footer(html), url


def test_footer_links_to_api_docs_and_status(client, db):
    html = footer(client.get("/").content.decode())
    assert 'href="/api/docs/"' in html
    assert 'href="/status/"' in html, "the status page inside the site, not raw JSON"


# --- welcome page (anonymous) ------------------------------------------------------------------


def test_welcome_page_for_anonymous_visitors(client, make_user):
    make_user()
    response = client.get("/")
    assert response.status_code == 200
    assert [template.name for template in response.templates][0] == "base/welcome.html"
    html = response.content.decode()
    assert 'href="/user/login/"' in html
    assert 'href="/accounts/register/"' in html
    assert "first-start" not in html
    assert "Teams" not in html  # no team menu for visitors
    assert "logout-button" not in html


@override_settings(REGISTRATION_OPEN=False)
def test_welcome_page_without_registration(client, make_user):
    make_user()
    html = client.get("/").content.decode()
    assert 'href="/user/login/"' in html
    assert "/accounts/register/" not in html


def test_site_name_in_title_and_navbar(client, db):
    with override_settings(SITE_NAME="Robot Tagger"):
        html = client.get("/").content.decode()
    assert "<title>Welcome · Robot Tagger</title>" in html
    assert "Robot Tagger</a>" in html


# --- home page (logged in) ---------------------------------------------------------------------


def test_home_lists_my_teams_and_offers_to_create_one(client_for, make_user, make_team):
    alice = make_user("alice")
    bob = make_user("bob")
    make_team("zebra crossing", admins=[alice], members=[bob])
    make_team("Alpha", members=[alice])
    make_team("Not mine", admins=[bob])
    response = client_for(alice).get("/")
    assert response.status_code == 200
    assert response.templates[0].name == "base/home.html"
    html = response.content.decode()
    teams = html[html.index('id="my-teams"') : html.index("</ul>", html.index('id="my-teams"'))]
    assert re.findall(r'<a href="/users/team/\d+/">([^<]+)</a>', teams) == ["Alpha", "zebra crossing"]
    assert "2 members · admin" in teams
    assert "1 member</span>" in teams
    assert "Not mine" not in html
    # The create-team form posts to the create view with a CSRF token.
    form = html[html.index('action="/users/team/create/"') :]
    assert 'name="name"' in form
    assert "csrfmiddlewaretoken" in form
    assert 'minlength="3" maxlength="30"' in form
    # The navbar knows the user.
    assert "logout-button" in html
    assert "alice" in html


def test_home_without_teams(client_for, make_user):
    html = client_for(make_user()).get("/").content.decode()
    assert "You are not in a team yet" in html
    assert "No teams yet" in html


def test_home_escapes_team_names(client_for, make_user, make_team):
    user = make_user()
    make_team("<b>bold</b>", members=[user])
    html = client_for(user).get("/").content.decode()
    assert "<b>bold</b>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_home_query_count_is_constant(client_for, make_user, make_team, db):
    user = make_user()
    client = client_for(user)

    def count():
        with CaptureQueriesContext(connections["default"]) as queries:
            assert client.get("/").status_code == 200
        return len(queries)

    for _ in range(2):
        make_team(members=[user, make_user()])
    few = count()
    for _ in range(18):
        make_team(admins=[user], members=[make_user()])
    many = count()
    assert Team.objects.filter(memberships__user=user).count() == 20
    assert few == many


def test_home_refuses_post(client_for, make_user):
    assert client_for(make_user()).post("/").status_code == 405


# --- static files --------------------------------------------------------------------------------

VENDOR_FILES = {
    "vendor/jquery/jquery.min.js": "javascript",
    "vendor/bootstrap/css/bootstrap.min.css": "text/css",
    "vendor/bootstrap/js/bootstrap.bundle.min.js": "javascript",
    "vendor/bootstrap-icons/bootstrap-icons.min.css": "text/css",
    "base/js/site.js": "javascript",
}


def test_layout_references_only_our_static_files(client, db):
    html = client.get("/").content.decode()
    assets = set(re.findall(r"""(?:src|href)=["']([^"']+\.(?:js|css))["']""", html))
    assert assets == {f"/static/{name}" for name in [*VENDOR_FILES, "base/css/site.css"]}


def test_static_files_are_served_from_the_packages(db):
    # As in development: WhiteNoise finds the files in node_modules and the apps.
    with override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True):
        client = Client()
        for name, content_type in VENDOR_FILES.items():
            response = client.get(f"/static/{name}")
            assert response.status_code == 200, name
            assert content_type in response["Content-Type"], name
            assert b"".join(response.streaming_content), name
        assert client.get("/static/vendor/jquery/no-such-file.js").status_code == 404


def test_collected_static_files_are_served(tmp_path, db):
    # As in production: collectstatic with the production storage (hashed names; every file a page
    # or style sheet refers to must exist), served by WhiteNoise.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    # Compressing every file takes seconds and is WhiteNoise's business, not ours: skip it.
    extensions = {
        name.rsplit(".", 1)[-1] for finder in finders.get_finders() for name, _ in finder.list([]) if "." in name
    }
    with override_settings(
        STATIC_ROOT=str(tmp_path), STORAGES=storages, WHITENOISE_SKIP_COMPRESS_EXTENSIONS=sorted(extensions)
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
        client = Client()
        html = client.get("/").content.decode()
        for name, content_type in VENDOR_FILES.items():
            root, extension = name.rsplit(".", 1)
            match = re.search(rf"""["'](/static/{re.escape(root)}\.[0-9a-f]{{12}}\.{extension})["']""", html)
            assert match, f"{name} is not linked with a hashed name"
            response = client.get(match.group(1))
            assert response.status_code == 200, name
            assert content_type in response["Content-Type"], name
            assert "immutable" in response["Cache-Control"]
