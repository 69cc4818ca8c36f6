"""The Webhooks pages: the team page links them for admins; admins register (the secret shown once),
change, test, disable, enable and delete; members and outsiders get 404 on every page and action."""

import pytest

from webhooks import delivery, services
from webhooks.models import Delivery, Webhook

pytestmark = pytest.mark.django_db


def form(url="https://ci.example.org/hook", events=("annotation.created", "export.finished"), **fields):
    return {"url": url, "events": list(events), "description": "", "secret": "", **fields}


def test_the_team_page_links_webhooks_for_admins_only(world, client_for):
    page = f"/users/team/{world['team'].pk}/"
    assert 'id="webhooks-link"' in client_for(world["ada"]).get(page).content.decode()
    assert 'id="webhooks-link"' not in client_for(world["bob"]).get(page).content.decode()
    assert 'id="webhooks-link"' not in client_for(world["otto"]).get(page).content.decode()


def test_an_admin_registers_a_webhook_and_sees_its_secret_once(world, client_for):
    client = client_for(world["ada"])
    listing = f"/webhooks/team/{world['team'].pk}/"
    assert 'id="no-webhooks"' in client.get(listing).content.decode()
    response = client.post(listing, form(description="CI server"))
    webhook = Webhook.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/webhooks/{webhook.pk}/"
    assert webhook.events == ["annotation.created", "export.finished"]
    first = client.get(response["Location"]).content.decode()
    assert webhook.secret in first
    assert 'id="new-secret"' in first
    again = client.get(response["Location"]).content.decode()
    assert webhook.secret not in again, "shown once"
    assert webhook.secret_hint in again
    assert "CI server" in client.get(listing).content.decode()


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"url": "ftp://example.org/"}, "http:// or https://"),
        ({"events": []}, "Choose at least one event."),
        ({"events": ["annotation.eaten"]}, "Select a valid choice"),
        ({"secret": "short"}, "16 to 200 characters"),
    ],
)
def test_bad_registrations_show_the_reason(world, client_for, fields, words):
    response = client_for(world["ada"]).post(f"/webhooks/team/{world['team'].pk}/", form(**fields))
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("user", ["bob", "otto"])
def test_members_and_outsiders_get_404_everywhere(world, client_for, hook, user):
    webhook = hook()
    client = client_for(world[user])
    assert client.get(f"/webhooks/team/{world['team'].pk}/").status_code == 404
    assert client.post(f"/webhooks/team/{world['team'].pk}/", form()).status_code == 404
    assert client.get(f"/webhooks/{webhook.pk}/").status_code == 404
    assert client.get(f"/webhooks/{webhook.pk}/edit/").status_code == 404
    for action in ("edit", "test", "enable", "disable", "secret", "delete"):
        assert client.post(f"/webhooks/{webhook.pk}/{action}/", form()).status_code == 404, action
    assert Webhook.objects.get().url == webhook.url
    assert not Delivery.objects.exists()


def test_logged_out_visitors_are_sent_to_log_in(world, client, hook):
    webhook = hook()
    assert client.get(f"/webhooks/{webhook.pk}/").status_code == 302


def test_an_admin_changes_tests_disables_enables_and_deletes(world, client_for, hook, receiver):
    webhook = hook()
    secret = webhook.secret
    client = client_for(world["ada"])
    page = f"/webhooks/{webhook.pk}/"
    edited = client.post(f"{page}edit/", form(url=receiver.url, events=["annotation.voted"], description="votes"))
    assert edited.status_code == 302
    webhook.refresh_from_db()
    assert (webhook.url, webhook.events, webhook.description, webhook.secret) == (
        receiver.url,
        ["annotation.voted"],
        "votes",
        secret,
    ), "an empty secret field keeps the secret"

    assert client.post(f"{page}test/").status_code == 302
    assert "pending" in client.get(page).content.decode()
    delivery.send_due()
    log = client.get(page).content.decode()
    assert 'data-event="ping" data-state="delivered"' in log
    assert '<td class="text-end d-none d-sm-table-cell delivery-status">200</td>' in log

    client.post(f"{page}disable/")
    webhook.refresh_from_db()
    assert not webhook.active
    shown = client.get(page).content.decode()
    assert 'id="disabled-notice"' in shown
    assert "Disabled by ada" in shown
    client.post(f"{page}enable/")
    webhook.refresh_from_db()
    assert webhook.active

    client.post(f"{page}secret/")
    webhook.refresh_from_db()
    assert webhook.secret != secret
    assert webhook.secret in client.get(page).content.decode()

    gone = client.post(f"{page}delete/")
    assert gone["Location"] == f"/webhooks/team/{world['team'].pk}/"
    assert not Webhook.objects.exists()


def test_an_automatically_disabled_webhook_shows_why_and_can_be_enabled(world, client_for, hook):
    webhook = hook()
    services.disable(webhook, "Disabled automatically after 20 deliveries in a row were given up.")
    client = client_for(world["ada"])
    listing = client.get(f"/webhooks/team/{world['team'].pk}/").content.decode()
    assert "webhook-disabled-reason" in listing
    assert "20 deliveries in a row" in listing
    page = client.get(f"/webhooks/{webhook.pk}/").content.decode()
    assert 'id="enable-button"' in page


def test_the_log_is_paged(world, client_for, hook):
    webhook = hook()
    for _ in range(30):
        services.send_test(actor=world["ada"], webhook=webhook)
    client = client_for(world["ada"])
    first = client.get(f"/webhooks/{webhook.pk}/").content.decode()
    assert first.count('class="delivery"') == 25
    assert "Page 1 of 2" in first
    assert client.get(f"/webhooks/{webhook.pk}/?page=2").content.decode().count('class="delivery"') == 5
