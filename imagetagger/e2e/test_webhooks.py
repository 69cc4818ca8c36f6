"""A team admin registers a webhook with the keyboard, sends a test event to a real HTTP receiver and
watches it arrive in the delivery log; a disabled webhook shows why and is enabled again. Screenshots
at three widths go to /tmp/shots/ and the test artifacts."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from e2e.conftest import ARTIFACTS
from e2e.helpers import log_in, shoot_viewports
from webhooks import delivery, services, signing
from webhooks.models import Webhook
from webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = [Path("/tmp/shots"), ARTIFACTS / "webhooks"]


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


def test_an_admin_registers_a_webhook_and_sees_a_test_event_delivered(
    page, live_server, make_user, make_team, receiver
):
    ada = make_user("ada")
    team = make_team("Robots", admins=[ada])
    log_in(page, live_server, ada)

    page.goto(f"{live_server.url}/users/team/{team.pk}/")
    page.locator("#webhooks-link").click()
    expect(page.locator("h1")).to_have_text("Webhooks")
    expect(page.locator("#no-webhooks")).to_be_visible()
    shoot_viewports(page, "webhooks-empty", SHOTS)

    page.get_by_label("Address").focus()
    page.keyboard.type(receiver.url)
    page.keyboard.press("Tab")
    page.keyboard.type("CI server")
    page.keyboard.press("Tab")  # the first event: annotation created
    page.keyboard.press("Space")
    for _ in range(6):  # … to the seventh: export finished
        page.keyboard.press("Tab")
    page.keyboard.press("Space")
    for _ in range(3):  # past the last two events to the secret (left empty: a random one)
        page.keyboard.press("Tab")
    expect(page.get_by_label("Secret")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator(".alert-success")).to_contain_text("Webhook registered")
    secret = page.locator("#new-secret").inner_text().strip()
    webhook = Webhook.objects.get()
    assert webhook.events == ["annotation.created", "export.finished"]
    assert secret == webhook.secret
    expect(page.locator("#no-deliveries")).to_be_visible()

    page.locator("#test-button").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".alert-success")).to_contain_text("Test event queued")
    expect(page.locator("#new-secret")).to_have_count(0)  # shown once
    row = page.locator("#deliveries tr.delivery")
    expect(row.locator(".delivery-state")).to_have_text("pending")
    delivery.send_due()  # the worker's part, here in the test
    expect(row.locator(".delivery-state")).to_have_text("delivered", timeout=10_000)  # the log follows by itself
    expect(row.locator(".delivery-status")).to_have_text("200")
    expect(row.locator(".delivery-time")).to_contain_text("ms")
    (request,) = receiver.wait_for(1)
    assert request.event == "ping"
    assert signing.verify(secret, request.headers["X-ImageTagger-Signature"], request.body)
    row.locator("summary").click()
    expect(row.locator("pre")).to_contain_text('"event": "ping"')
    shoot_viewports(page, "webhook-log", SHOTS)

    page.goto(f"{live_server.url}/webhooks/team/{team.pk}/")
    expect(page.locator("#webhooks li")).to_contain_text("CI server")
    shoot_viewports(page, "webhooks-list", SHOTS)


def test_a_disabled_webhook_shows_why_and_is_enabled_again(page, live_server, make_user, make_team, receiver):
    ada = make_user("ada")
    team = make_team("Robots", admins=[ada])
    webhook = services.register(actor=ada, team=team, url=receiver.url, events=["annotation.deleted"])
    services.disable(
        webhook,
        "Disabled automatically on 2026-12-04 10:00 after 20 deliveries in a row were given up. "
        "The last one: The receiver answered 500.",
    )
    log_in(page, live_server, ada)
    page.goto(f"{live_server.url}/webhooks/{webhook.pk}/")
    expect(page.locator("#disabled-notice")).to_contain_text("20 deliveries in a row")
    expect(page.locator(".webhook-state")).to_have_text("disabled")
    shoot_viewports(page, "webhook-disabled", SHOTS)
    page.locator("#enable-button").click()
    expect(page.locator(".alert-success")).to_contain_text("Webhook enabled")
    expect(page.locator(".webhook-state")).to_have_text("active")
    expect(page.locator("#disabled-notice")).to_have_count(0)
