"""The status page in the site's layout (checks for everyone, the worker's queue for staff; /readyz
stays the JSON), the API docs inside the layout, and the usual account addresses redirecting to ours."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("address", "target"),
    [
        ("/accounts/login/", "/user/login/"),
        ("/login/", "/user/login/"),
        ("/accounts/logout/", "/user/logout/"),
        ("/accounts/password_reset/", "/user/password_reset/"),
        ("/accounts/password_change/", "/user/password_change/"),
        ("/accounts/signup/", "/accounts/register/"),
        ("/register/", "/accounts/register/"),
    ],
)
def test_the_usual_account_addresses_lead_to_ours(client, address, target):
    response = client.get(address + "?next=/images/")
    assert response.status_code == 307
    assert response["Location"] == target + "?next=/images/"


def test_a_posted_logout_stays_a_post_and_logs_out(client_for, make_user):
    client = client_for(make_user("ada"))
    response = client.post("/accounts/logout/", follow=True)
    assert response.redirect_chain[0] == ("/user/logout/", 307)
    assert not response.wsgi_request.user.is_authenticated


def test_accounts_profile_opens_your_profile(client, client_for, make_user):
    ada = make_user("ada")
    assert client.get("/accounts/profile/")["Location"].startswith("/user/login/?next=")
    assert client_for(ada).get("/accounts/profile/")["Location"] == f"/users/user/{ada.pk}/"


def test_the_status_page_shows_the_checks_in_the_layout(client, storage_dir):
    response = client.get("/status/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-label="Main"' in html, "inside the site's navigation"
    assert "Everything the site needs is working." in html
    assert "Database schema (migrations)" in html
    assert 'id="status-worker"' not in html, "the queue is for staff"
    assert 'href="/readyz"' in html
    assert client.get("/readyz").json()["status"] == "ok", "the JSON stays for probes"


def test_staff_see_the_queue_and_a_hint_when_nothing_runs(client_for, make_user, storage_dir):
    from assist.jobs import run_prelabel_job

    run_prelabel_job.enqueue(999999)
    html = client_for(make_user("root", is_staff=True)).get("/status/").content.decode()
    assert 'id="status-worker"' in html
    assert 'id="status-queued">1 (the oldest since' in html
    assert "is the worker (<code>manage.py runzipdaemon</code>) running?" in html


def test_a_failing_check_makes_the_page_say_so_with_503(client, storage_dir, monkeypatch):
    from base import health

    def broken():
        raise OSError("disk gone")

    monkeypatch.setattr(health, "READINESS_CHECKS", (("storage", broken),))
    response = client.get("/status/")
    assert response.status_code == 503
    html = response.content.decode()
    assert "Something the site needs is not working" in html
    assert "error: OSError" in html


def test_the_api_docs_are_inside_the_layout_and_the_footer_links_the_status_page(client):
    html = client.get("/api/docs/").content.decode()
    assert 'aria-label="Main"' in html
    assert 'id="swagger-ui"' in html
    assert 'src="/api/docs/?script="' in html
    assert 'href="/status/">Status</a>' in html
