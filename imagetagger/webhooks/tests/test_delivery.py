"""Sending deliveries to a real HTTP receiver (the worker's part, run here in the test): the signature
checks out with the secret, retries after a 500 and after a timeout with growing delays, giving up,
automatic disabling with a notice, order per object, leases of dead workers, no redirects followed."""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from annotations import services as annotations
from tagger_messages.models import Audience, Message
from webhooks import delivery, services, signing
from webhooks.models import Delivery, DeliveryState, Event

from .conftest import BOX

pytestmark = pytest.mark.django_db


def make_label(world, image=0, *, x=10):
    vector = {**BOX, "x1": x, "x2": x + 40}
    annotation, _ = annotations.create_annotation(
        actor=world["ada"], image=world["images"][image], annotation_type=world["box"], vector=vector
    )
    return annotation


def send_until_quiet(seconds=10.0):
    """Run the sender until nothing is due (retries included) or ``seconds`` passed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        delivery.send_due(seconds=1)
        if not Delivery.objects.filter(state=DeliveryState.PENDING).exists():
            return
        time.sleep(0.05)


def test_the_signature_verifies_with_the_secret_and_the_headers_name_the_delivery(world, hook, receiver):
    webhook = hook([Event.ANNOTATION_CREATED])
    annotation = make_label(world)
    assert delivery.send_due() == 1
    (request,) = receiver.wait_for(1)
    header = request.headers["X-ImageTagger-Signature"]
    stamp, mac = dict(part.split("=", 1) for part in header.split(",")).values()
    # the receiver's own check: HMAC-SHA256 over "<t>.<body>" with the secret
    expected = hmac.new(webhook.secret.encode(), f"{stamp}.".encode() + request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(mac, expected)
    assert abs(int(stamp) - time.time()) < 60
    assert signing.verify(webhook.secret, header, request.body)
    assert not signing.verify("another-secret-of-some-length", header, request.body)
    assert not signing.verify(webhook.secret, header, request.body + b" ")
    assert not signing.verify(webhook.secret, header, request.body, now=int(stamp) + 3600), "an old timestamp"
    sent = Delivery.objects.get()
    assert request.headers["X-ImageTagger-Event"] == "annotation.created"
    assert request.headers["X-ImageTagger-Delivery"] == str(sent.uuid)
    assert request.headers["Content-Type"] == "application/json"
    body = request.json
    assert body["event"] == "annotation.created"
    assert body["team"] == world["team"].pk
    assert body["data"]["annotation"]["id"] == annotation.pk
    assert body["data"]["annotation"]["vector"] == annotation.vector
    assert body["data"]["actor"] == {"id": world["ada"].pk, "username": "ada"}
    sent.refresh_from_db()
    assert (sent.state, sent.attempts, sent.status_code, sent.error) == (DeliveryState.DELIVERED, 1, 200, "")
    assert sent.response_ms is not None
    assert sent.response_ms < 5000
    assert sent.lease_until is None


def test_a_500_is_retried_after_the_backoff_with_the_same_delivery_id(world, hook, receiver, fast_retries):
    hook([Event.ANNOTATION_CREATED])
    make_label(world)
    receiver.answers = [500, 503]
    assert delivery.send_due() == 1
    failed = Delivery.objects.get()
    assert (failed.state, failed.attempts, failed.status_code) == (DeliveryState.PENDING, 1, 500)
    assert failed.error == "The receiver answered 500."
    assert failed.next_attempt - failed.last_attempt == timedelta(seconds=0.2)
    assert delivery.send_due() == 0, "not due before its backoff"
    time.sleep(0.25)
    assert delivery.send_due() == 1
    failed.refresh_from_db()
    assert (failed.attempts, failed.status_code) == (2, 503)
    assert failed.next_attempt - failed.last_attempt == timedelta(seconds=0.4), "the delay doubles"
    time.sleep(0.45)
    assert delivery.send_due() == 1
    first, second, third = receiver.wait_for(3)
    assert first.delivery == second.delivery == third.delivery
    assert first.body == second.body == third.body, "the same bytes on every attempt"
    failed.refresh_from_db()
    assert (failed.state, failed.attempts, failed.status_code, failed.error) == (DeliveryState.DELIVERED, 3, 200, "")


def test_a_receiver_that_does_not_answer_in_time_is_tried_again(world, hook, receiver, fast_retries):
    hook([Event.ANNOTATION_CREATED])
    make_label(world)
    receiver.answers = ["hang"]
    receiver.hang_seconds = 2.0
    started = time.monotonic()
    delivery.send_due()
    assert time.monotonic() - started < 1.5, "the timeout (0.5 s) ends the attempt"
    waiting = Delivery.objects.get()
    assert (waiting.state, waiting.status_code) == (DeliveryState.PENDING, None)
    assert waiting.error == "No answer within 0.5 s."
    time.sleep(0.25)
    send_until_quiet()
    waiting.refresh_from_db()
    assert (waiting.state, waiting.attempts, waiting.status_code) == (DeliveryState.DELIVERED, 2, 200)
    assert len({request.delivery for request in receiver.wait_for(2)}) == 1


def test_no_connection_is_a_failure_that_is_retried(world, hook, fast_retries):
    hook([Event.ANNOTATION_CREATED], url="http://127.0.0.1:9/nobody-listens")
    make_label(world)
    delivery.send_due()
    waiting = Delivery.objects.get()
    assert waiting.state == DeliveryState.PENDING
    assert waiting.error.startswith("Could not connect")


def test_a_delivery_is_given_up_when_the_next_try_would_be_past_the_retry_window(world, hook, receiver, fast_retries):
    fast_retries.WEBHOOK_RETRY_FOR_SECONDS = 0.5  # attempts at 0, 0.2, 0.6 s: the third is past the window
    webhook = hook([Event.ANNOTATION_CREATED])
    make_label(world)
    receiver.status = 500
    send_until_quiet(seconds=5)
    given_up = Delivery.objects.get()
    assert (given_up.state, given_up.attempts) == (DeliveryState.FAILED, 2)
    assert given_up.finished is not None
    webhook.refresh_from_db()
    assert webhook.failures_in_a_row == 1
    assert webhook.active


def test_a_redirect_is_not_followed(world, hook, receiver, fast_retries):
    hook([Event.ANNOTATION_CREATED])
    make_label(world)
    receiver.answers = [302]
    delivery.send_due()
    assert Delivery.objects.get().error == "The receiver answered 302."
    assert len(receiver.received) == 1


def test_repeated_failures_disable_the_webhook_with_a_notice(world, hook, receiver, fast_retries):
    fast_retries.WEBHOOK_RETRY_FOR_SECONDS = 0  # given up at the first failure
    fast_retries.WEBHOOK_DISABLE_AFTER = 3
    webhook = hook([Event.ANNOTATION_CREATED, Event.ANNOTATION_DELETED])
    labels = [make_label(world, image) for image in range(2)]
    receiver.status = 500
    assert delivery.send_due() == 2
    webhook.refresh_from_db()
    assert (webhook.active, webhook.failures_in_a_row) == (True, 2)
    receiver.status = 200
    labels.append(make_label(world, 2))
    assert delivery.send_due() == 1  # a delivered one resets the count
    webhook.refresh_from_db()
    assert (webhook.active, webhook.failures_in_a_row) == (True, 0)

    receiver.status = 500
    for label in labels:
        annotations.delete_annotation(actor=world["ada"], annotation=label)
    make_label(world, 0, x=200)
    assert delivery.send_due() == 3, "the fourth is given up when the third disables the webhook"
    webhook.refresh_from_db()
    assert not webhook.active
    assert webhook.failures_in_a_row == 3
    assert "after 3 deliveries in a row were given up" in webhook.disabled_reason
    assert "The receiver answered 500." in webhook.disabled_reason
    assert Delivery.objects.filter(error="Not sent: the webhook was disabled.").count() == 1
    assert not Delivery.objects.filter(state=DeliveryState.PENDING).exists()
    make_label(world, 1, x=200)
    assert not Delivery.objects.filter(state=DeliveryState.PENDING).exists(), "nothing is queued while disabled"
    notice = Message.objects.get(team=world["team"])
    assert notice.audience == Audience.ADMINS
    assert receiver.url in notice.content
    assert "Enable it again" in notice.content

    # a test event still goes out to a disabled webhook, and enabling it starts the deliveries again
    services.send_test(actor=world["ada"], webhook=webhook)
    receiver.status = 200
    delivery.send_due()
    assert receiver.received[-1].event == "ping"
    services.enable(actor=world["ada"], webhook=webhook)
    make_label(world, 2, x=200)
    delivery.send_due()
    assert receiver.received[-1].event == "annotation.created"
    webhook.refresh_from_db()
    assert (webhook.active, webhook.disabled_reason, webhook.failures_in_a_row) == (True, "", 0)


def test_events_of_one_object_arrive_in_order_even_when_the_first_fails(world, hook, receiver, fast_retries):
    hook([Event.ANNOTATION_CREATED, Event.ANNOTATION_UPDATED, Event.ANNOTATION_DELETED])
    label = make_label(world)
    other = make_label(world, 1)
    for version in (1, 2):
        label = annotations.update_annotation(
            actor=world["ada"], annotation=label, expected_version=version, vector={**BOX, "x1": 10 + version}
        )
    annotations.delete_annotation(actor=world["ada"], annotation=label)
    receiver.answers = [500]  # the create of ``label`` fails first
    delivery.send_due()
    # meanwhile only the other object's event went out: the label's later events wait for its create
    assert [request.json["data"]["annotation"]["id"] for request in receiver.received] == [label.pk, other.pk]
    time.sleep(0.25)
    send_until_quiet()
    about_label = [request for request in receiver.received if request.json["data"]["annotation"]["id"] == label.pk]
    assert [request.event for request in about_label] == [
        "annotation.created",
        "annotation.created",
        "annotation.updated",
        "annotation.updated",
        "annotation.deleted",
    ]
    assert [request.json["data"]["annotation"]["version"] for request in about_label[2:4]] == [2, 3]


def test_a_later_event_waits_while_an_earlier_one_is_held_by_a_worker(world, hook, receiver):
    hook([Event.ANNOTATION_CREATED, Event.ANNOTATION_DELETED])
    label = make_label(world)
    held = delivery.claim("worker-1")
    assert held.event == "annotation.created"
    annotations.delete_annotation(actor=world["ada"], annotation=label)
    assert delivery.claim("worker-2") is None, "the delete waits for the create"
    assert not delivery.due().exists()


def test_the_delivery_of_a_worker_that_died_is_sent_again_after_its_lease(world, hook, receiver, fast_retries):
    hook([Event.ANNOTATION_CREATED])
    make_label(world)
    held = delivery.claim("dead-worker")  # claimed, then the worker died before sending or recording
    assert delivery.claim("live-worker") is None
    assert held.lease_until - timezone.now() <= timedelta(seconds=2.1)
    Delivery.objects.filter(pk=held.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert delivery.send_due(owner="live-worker") == 1
    held.refresh_from_db()
    assert (held.state, held.attempts, held.lease_owner) == (DeliveryState.DELIVERED, 1, "")


def test_a_late_answer_from_a_worker_whose_lease_ran_out_is_still_recorded(world, hook, receiver):
    hook([Event.ANNOTATION_CREATED])
    make_label(world)
    held = delivery.claim("slow-worker")
    Delivery.objects.filter(pk=held.pk).update(lease_owner="other-worker")
    delivery.record(held.pk, "slow-worker", status=200, elapsed=12, error="", retry=False)
    held.refresh_from_db()
    assert held.state == DeliveryState.DELIVERED
    assert held.lease_owner == "other-worker", "the other worker's hold is not ours to clear"


def test_the_lease_outlasts_the_timeout(settings):
    settings.WEBHOOK_TIMEOUT = 30
    settings.WEBHOOK_LEASE_SECONDS = 5
    assert delivery.lease_seconds() == 61, "connecting and answering may take the timeout each"


def test_private_addresses_are_refused_when_not_allowed(world, hook, receiver, settings):
    settings.WEBHOOK_PRIVATE_ADDRESSES = False
    hook([Event.ANNOTATION_CREATED])
    make_label(world)
    delivery.send_due()
    refused = Delivery.objects.get()
    assert refused.state == DeliveryState.FAILED, "refused at once, not retried"
    assert "private or local address" in refused.error
    assert not receiver.received


def test_the_sweep_queues_the_sender_only_when_something_is_due_and_none_waits(world, hook, receiver):
    from django_tasks_db.models import DBTaskResult

    assert delivery.sweep() is False
    hook([Event.ANNOTATION_CREATED])
    make_label(world)
    assert delivery.sweep() is True
    assert delivery.sweep() is False, "one waiting task is enough"
    assert DBTaskResult.objects.filter(task_path="webhooks.delivery.send_deliveries").count() == 1


def test_old_finished_deliveries_are_pruned(world, hook, receiver, settings):
    settings.WEBHOOK_LOG_DAYS = 30
    hook([Event.ANNOTATION_CREATED])
    make_label(world)
    make_label(world, 1)
    delivery.send_due()
    old, recent = Delivery.objects.order_by("pk")
    Delivery.objects.filter(pk=old.pk).update(finished=timezone.now() - timedelta(days=31))
    assert delivery.prune() == 1
    assert list(Delivery.objects.values_list("pk", flat=True)) == [recent.pk]


def test_a_test_event_names_the_webhook_and_who_sent_it(world, hook, receiver):
    webhook = hook([Event.EXPORT_FINISHED])
    services.send_test(actor=world["ada"], webhook=webhook)
    delivery.send_due()
    (request,) = receiver.wait_for(1)
    assert request.event == "ping"
    body = json.loads(request.body)
    assert body["data"]["webhook"]["id"] == webhook.pk
    assert body["data"]["actor"]["username"] == "ada"
    assert signing.verify(webhook.secret, request.headers["X-ImageTagger-Signature"], request.body)
