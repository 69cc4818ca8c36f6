"""/api/v1/webhooks/: team admins register, change, delete, test and read the delivery log; members and
outsiders find nothing (404); the secret is shown once; every bad input answers 400 with the reason."""

import pytest

from webhooks import delivery
from webhooks.models import Delivery, DeliveryState, Event, Webhook

pytestmark = pytest.mark.django_db
URL = "/api/v1/webhooks/"


def register(world, api_for, user="ada", **fields):
    body = {"team": world["team"].pk, "url": "https://ci.example.org/hook", "events": ["annotation.created"], **fields}
    return api_for(world[user]).post(URL, body, format="json")


def test_an_admin_registers_a_webhook_and_sees_the_secret_once(world, api_for):
    response = register(world, api_for, description="CI")
    assert response.status_code == 201, response.json()
    body = response.json()
    webhook = Webhook.objects.get()
    assert body["secret"] == webhook.secret
    assert len(webhook.secret) >= 32
    assert body["secret_hint"] == f"••••{webhook.secret[-4:]}"
    assert (body["events"], body["active"], body["description"]) == (["annotation.created"], True, "CI")
    again = api_for(world["ada"]).get(f"{URL}{webhook.pk}/")
    assert "secret" not in again.json()
    assert webhook.secret not in again.content.decode()
    listed = api_for(world["ada"]).get(URL).json()["results"]
    assert webhook.secret not in str(listed)


def test_a_chosen_secret_is_kept_and_a_new_one_is_shown_once(world, api_for):
    created = register(world, api_for, secret="my-receivers-shared-secret").json()
    assert created["secret"] == "my-receivers-shared-secret"
    rotated = api_for(world["ada"]).post(f"{URL}{created['id']}/rotate-secret/")
    assert rotated.status_code == 200
    assert rotated.json()["secret"] not in ("my-receivers-shared-secret", "")
    assert Webhook.objects.get().secret == rotated.json()["secret"]


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"url": "ftp://files.example.org/hook"}, "url", "http:// or https://"),
        ({"url": "not an address"}, "url", "http:// or https://"),
        ({"url": "https://user:pw@example.org/hook"}, "url", "user name and password"),
        ({"url": "https://example.org/" + "x" * 520}, "url", "longer than 500"),
        ({"events": []}, "events", "may not be empty"),
        ({"events": ["annotation.eaten"]}, "events", "is not a valid choice"),
        ({"events": ["ping"]}, "events", "is not a valid choice"),
        ({"events": "annotation.created"}, "events", "list"),
        ({"secret": "short"}, "secret", "16 to 200 characters"),
        ({"secret": "with a space inside it here"}, "secret", "without spaces"),
        ({"description": "d" * 201}, "description", "200 characters"),
    ],
)
def test_bad_registrations_answer_400_with_the_reason(world, api_for, fields, field, words):
    response = register(world, api_for, **fields)
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert words in response.json()["detail"]
    assert not Webhook.objects.exists()


def test_a_missing_event_list_or_address_is_named(world, api_for):
    response = api_for(world["ada"]).post(URL, {"team": world["team"].pk}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"url", "events"}


def test_a_member_may_not_register_and_an_outsider_finds_no_team(world, api_for):
    member = register(world, api_for, user="bob")
    assert member.status_code == 403
    assert "admins" in member.json()["detail"]
    outsider = register(world, api_for, user="otto")
    assert outsider.status_code == 400
    assert "team" in outsider.json()["errors"]
    assert not Webhook.objects.exists()


def test_the_number_of_webhooks_per_team_is_limited(world, api_for):
    from webhooks.services import MAX_PER_TEAM

    for _ in range(MAX_PER_TEAM):
        assert register(world, api_for).status_code == 201
    response = register(world, api_for)
    assert response.status_code == 400
    assert f"at most {MAX_PER_TEAM} webhooks" in response.json()["detail"]


@pytest.mark.parametrize("user", ["bob", "otto"])
def test_members_and_outsiders_find_no_webhook(world, api_for, user):
    created = register(world, api_for).json()
    api = api_for(world[user])
    detail = f"{URL}{created['id']}/"
    assert api.get(URL).json()["results"] == []
    assert api.get(detail).status_code == 404
    assert api.patch(detail, {"url": "https://evil.example.org/"}, format="json").status_code == 404
    assert api.delete(detail).status_code == 404
    assert api.post(f"{detail}test/").status_code == 404
    assert api.post(f"{detail}rotate-secret/").status_code == 404
    assert api.get(f"{detail}deliveries/").status_code == 404
    webhook = Webhook.objects.get()
    assert (webhook.url, webhook.secret) == ("https://ci.example.org/hook", created["secret"])
    assert not Delivery.objects.exists()


def test_anonymous_callers_are_refused(world, api_for):
    assert api_for().get(URL).status_code in (401, 403)
    assert api_for().post(URL, {}, format="json").status_code in (401, 403)


def test_an_admin_changes_a_webhook(world, api_for):
    created = register(world, api_for).json()
    api = api_for(world["ada"])
    response = api.patch(
        f"{URL}{created['id']}/",
        {"url": "https://other.example.org/in", "events": ["export.finished", "annotation.voted"]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["events"] == ["annotation.voted", "export.finished"], "the catalogue's order"
    assert Webhook.objects.get().url == "https://other.example.org/in"
    assert api.patch(f"{URL}{created['id']}/", {"events": []}, format="json").status_code == 400
    moved = api.patch(f"{URL}{created['id']}/", {"team": world["others"].pk}, format="json")
    assert moved.status_code == 400
    assert Webhook.objects.get().team == world["team"]


def test_an_admin_disables_and_enables_a_webhook(world, api_for):
    created = register(world, api_for).json()
    api = api_for(world["ada"])
    off = api.patch(f"{URL}{created['id']}/", {"active": False}, format="json").json()
    assert off["active"] is False
    assert "Disabled by ada" in off["disabled_reason"]
    on = api.patch(f"{URL}{created['id']}/", {"active": True}, format="json").json()
    assert (on["active"], on["disabled_reason"], on["failures_in_a_row"]) == (True, "", 0)


def test_an_admin_deletes_a_webhook_with_its_log(world, api_for):
    created = register(world, api_for).json()
    api_for(world["ada"]).post(f"{URL}{created['id']}/test/")
    assert api_for(world["ada"]).delete(f"{URL}{created['id']}/").status_code == 204
    assert not Webhook.objects.exists()
    assert not Delivery.objects.exists()


def test_a_test_event_is_queued_and_the_log_shows_its_answer(world, api_for, receiver):
    created = register(world, api_for, url=receiver.url).json()
    api = api_for(world["ada"])
    queued = api.post(f"{URL}{created['id']}/test/")
    assert queued.status_code == 202
    assert (queued.json()["event"], queued.json()["state"], queued.json()["attempts"]) == ("ping", "pending", 0)
    assert queued.json()["payload"]["data"]["webhook"]["id"] == created["id"]
    delivery.send_due()
    (request,) = receiver.wait_for(1)
    log = api.get(f"{URL}{created['id']}/deliveries/").json()
    (row,) = log["results"]
    assert row["id"] == request.delivery == queued.json()["id"]
    assert (row["state"], row["status_code"], row["attempts"], row["next_attempt"]) == ("delivered", 200, 1, None)
    assert row["response_ms"] >= 0
    assert row["payload"]["event"] == "ping"
    assert api.get(f"{URL}{created['id']}/deliveries/", {"state": "failed"}).json()["results"] == []
    bad = api.get(f"{URL}{created['id']}/deliveries/", {"state": "lost"})
    assert bad.status_code == 400
    assert "pending" in bad.json()["detail"]


def test_the_log_shows_the_next_retry_of_a_failing_delivery(world, api_for, receiver, settings):
    settings.WEBHOOK_RETRY_SECONDS = 60
    created = register(world, api_for, url=receiver.url).json()
    receiver.status = 500
    api_for(world["ada"]).post(f"{URL}{created['id']}/test/")
    delivery.send_due()
    (row,) = api_for(world["ada"]).get(f"{URL}{created['id']}/deliveries/").json()["results"]
    assert (row["state"], row["status_code"], row["error"]) == ("pending", 500, "The receiver answered 500.")
    assert row["next_attempt"] is not None
    assert Delivery.objects.get().state == DeliveryState.PENDING


def test_the_event_catalogue(world, api_for):
    response = api_for(world["bob"]).get(f"{URL}events/")
    assert response.status_code == 200
    names = [entry["name"] for entry in response.json()]
    assert names == [*Event.values, "ping"]
    assert all(entry["description"] for entry in response.json())


def test_a_team_filter_lists_only_that_team(world, api_for, make_team):
    second = make_team("Second", admins=[world["ada"]])
    register(world, api_for)
    register(world, api_for, team=second.pk)
    api = api_for(world["ada"])
    assert len(api.get(URL).json()["results"]) == 2
    assert [row["team"] for row in api.get(URL, {"team": second.pk}).json()["results"]] == [second.pk]
    assert api.get(URL, {"team": "x"}).status_code == 400


def test_the_schema_documents_each_event_payload(db):
    from rest_framework.test import APIClient

    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    mapping = components["WebhookEvent"]["discriminator"]["mapping"]
    assert set(mapping) == {*Event.values, "ping"}
    created = components["WebhookAnnotationCreatedEvent"]["properties"]
    assert set(created) == {"id", "event", "created", "team", "data"}
    description = schema["paths"]["/api/v1/webhooks/"]["get"]["description"]
    assert "X-ImageTagger-Signature" in description
    for event in Event.values:
        assert f"`{event}`" in description
