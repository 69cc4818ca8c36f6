"""Deliveries sent by real worker processes (``manage.py runzipdaemon``) to a real receiver: a worker
killed (SIGKILL) while the receiver holds its request loses nothing — a restarted worker sends the same
delivery again once the lease has run out; two workers keep the order of each object's events.

The test and the workers share the database (PostgreSQL's test database, or a migrated SQLite file; see
``images/tests/test_zip_daemon.py``), so these tests run outside the per-test transaction.
"""

import json

import pytest

from annotations import services as annotations
from images.tests.test_zip_daemon import Daemons, shared_db, sqlite_template, wait_for  # noqa: F401
from webhooks import signing
from webhooks.models import Delivery, DeliveryState, Event

from .conftest import BOX

pytestmark = pytest.mark.django_db(transaction=True)

# The workers' delivery settings: a 3 s timeout, a 7 s lease (the least for it), retries after 1 s.
WORKER_SETTINGS = {
    "IT_WEBHOOK_TIMEOUT": "3",
    "IT_WEBHOOK_LEASE_SECONDS": "7",
    "IT_WEBHOOK_RETRY_SECONDS": "1",
}


@pytest.fixture
def workers(shared_db, tmp_path):  # noqa: F811 (the fixture imported above)
    running = Daemons({**shared_db, **WORKER_SETTINGS}, tmp_path)
    yield running
    running.close()


def vector(x):
    return {**BOX, "x1": x, "x2": x + 20}


def test_a_worker_killed_mid_send_loses_no_delivery(workers, world, hook, receiver):
    webhook = hook([Event.ANNOTATION_CREATED])
    receiver.answers = ["hold"]  # the first request is held open until the test releases it
    receiver.hang_seconds = 60
    workers.start(1)
    workers.wait_until_started()
    made, _ = annotations.create_annotation(
        actor=world["ada"], image=world["images"][0], annotation_type=world["box"], vector=BOX
    )
    (first,) = receiver.wait_for(1, timeout=30)
    held = Delivery.objects.get()
    assert (held.state, held.attempts) == (DeliveryState.PENDING, 0)
    assert held.lease_owner, "the worker holds it while it sends"

    killed, _ = workers.processes[0]
    killed.kill()  # SIGKILL: no clean-up, the request stays unanswered
    killed.wait(timeout=10)
    receiver.release()
    held.refresh_from_db()
    assert (held.state, held.attempts) == (DeliveryState.PENDING, 0), "nothing was recorded by the dead worker"

    workers.start(1)  # a new worker takes it over once the lease has run out
    (_, second) = receiver.wait_for(2, timeout=60)
    assert second.delivery == first.delivery == str(held.uuid), "the same delivery id: receivers drop the repeat"
    assert second.body == first.body
    assert signing.verify(webhook.secret, second.headers["X-ImageTagger-Signature"], second.body)
    assert json.loads(second.body)["data"]["annotation"]["id"] == made.pk
    recorded = lambda: Delivery.objects.get().state == DeliveryState.DELIVERED  # noqa: E731
    wait_for(recorded, 30, "the delivery to be recorded", workers)
    assert Delivery.objects.get().attempts == 1


def test_two_workers_keep_the_order_of_each_objects_events(workers, world, hook, receiver):
    hook([Event.ANNOTATION_CREATED, Event.ANNOTATION_UPDATED, Event.ANNOTATION_DELETED])
    workers.start(2)
    workers.wait_until_started()
    receiver.answers = [500, 500, 500]  # early failures: retried, and the object's later events wait for them
    labels = []
    for index in range(6):
        image = world["images"][index % 3]
        made, _ = annotations.create_annotation(
            actor=world["ada"], image=image, annotation_type=world["box"], vector=vector(index * 50)
        )
        labels.append(made)
    for made in labels:
        changed = annotations.update_annotation(
            actor=world["ada"], annotation=made, expected_version=1, vector=vector(made.vector["x1"] + 5)
        )
        annotations.delete_annotation(actor=world["ada"], annotation=changed)
    wanted = len(labels) * 3
    wait_for(
        lambda: Delivery.objects.filter(state=DeliveryState.DELIVERED).count() == wanted,
        90,
        "every delivery to arrive",
        workers,
    )
    by_label = {}
    for request in receiver.received:
        by_label.setdefault(request.json["data"]["annotation"]["id"], []).append(request.event)
    for made in labels:
        events = by_label[made.pk]
        # a failed attempt's repeats come right after it; an object's later event never overtakes an earlier one
        collapsed = [event for position, event in enumerate(events) if position == 0 or events[position - 1] != event]
        assert collapsed == ["annotation.created", "annotation.updated", "annotation.deleted"], events
    assert len(receiver.received) == wanted + 3
