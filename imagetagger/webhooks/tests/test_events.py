"""Every service that changes state queues its event in its own transaction, with the body the OpenAPI
schema documents (``payloads``); only the owning team's webhooks that chose the event get it; a team
without a webhook costs the label create no statement at all."""

import io
import json
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers

from annotations import services as annotations
from annotations import votes
from assist import services as assist_services
from assist.jobs import _finish
from assist.models import JobState, ModelBackend, PrelabelJob
from exports.imports import import_labels
from exports.jobs import create_export
from images import services as images
from images.ingest import ingest_uploads
from images.tests.factories import make_png, make_upload, make_zip
from webhooks import events, payloads
from webhooks.models import Delivery, Event

from .conftest import BOX

pytestmark = pytest.mark.django_db


def check_documented(serializer, value, where="body"):
    """``value`` has exactly the keys ``serializer`` documents (the optional ones may be missing), at every level."""
    if isinstance(serializer, serializers.ListSerializer):
        for index, item in enumerate(value):
            check_documented(serializer.child, item, f"{where}[{index}]")
        return
    fields = serializer.fields
    required = {name for name, field in fields.items() if field.required}
    assert required <= set(value) <= set(fields), f"{where}: {sorted(value)} vs {sorted(fields)}"
    for name, field in fields.items():
        if isinstance(field, serializers.BaseSerializer) and value.get(name) is not None:
            check_documented(field, value[name], f"{where}.{name}")


def sent(event=None):
    """The bodies queued so far (of ``event``), oldest first, each checked against its documentation."""
    rows = Delivery.objects.order_by("pk")
    if event:
        rows = rows.filter(event=event)
    bodies = []
    for row in rows:
        body = json.loads(row.body)
        assert body["event"] == row.event
        check_documented(payloads.ENVELOPES[row.event](), body)
        bodies.append(body)
    return bodies


def label(world, image=0, x=10, actor="ada"):
    vector = {**BOX, "x1": x, "x2": x + 40}
    made, _ = annotations.create_annotation(
        actor=world[actor], image=world["images"][image], annotation_type=world["box"], vector=vector
    )
    return made


def test_annotation_events_carry_the_annotation_and_who_changed_it(world, hook):
    hook()
    made = label(world)
    changed = annotations.update_annotation(
        actor=world["bob"], annotation=made.pk, expected_version=1, vector={**BOX, "x2": 90}, concealed=True
    )
    annotations.update_annotation(actor=world["bob"], annotation=made.pk, expected_version=2)  # no change: no event
    annotations.delete_annotation(actor=world["ada"], annotation=made.pk)
    created, updated, deleted = sent()
    assert [created["event"], updated["event"], deleted["event"]] == [
        "annotation.created",
        "annotation.updated",
        "annotation.deleted",
    ]
    data = created["data"]["annotation"]
    assert data["id"] == made.pk
    assert data["uuid"] == str(made.uuid)
    assert (data["image"], data["image_name"], data["image_set"]) == (
        world["images"][0].pk,
        world["images"][0].name,
        world["set"].pk,
    )
    assert (data["annotation_type"], data["annotation_type_name"]) == (world["box"].pk, "car")
    assert (data["version"], data["origin"], data["created_by"]) == (1, "human", world["ada"].pk)
    assert updated["data"]["annotation"]["vector"] == changed.vector
    assert updated["data"]["annotation"]["concealed"] is True
    assert updated["data"]["actor"]["username"] == "bob"
    assert deleted["data"]["annotation"]["version"] == 2
    assert {body["team"] for body in (created, updated, deleted)} == {world["team"].pk}
    assert len({body["id"] for body in (created, updated, deleted)}) == 3
    assert set(Delivery.objects.values_list("object_key", flat=True)) == {f"annotation:{made.pk}"}


def test_votes_send_the_tally_and_a_repeated_vote_sends_nothing(world, hook):
    hook([Event.ANNOTATION_VOTED])
    made = label(world)
    votes.cast_vote(actor=world["bob"], annotation=made, vote="accept")
    votes.cast_vote(actor=world["bob"], annotation=made, vote="accept")
    votes.cast_vote(actor=world["bob"], annotation=made, vote="reject")
    votes.withdraw_vote(actor=world["bob"], annotation=made)
    votes.withdraw_vote(actor=world["bob"], annotation=made)
    bodies = sent()
    tallies = [(body["data"]["vote"], body["data"]["score"]) for body in bodies]
    assert tallies == [("accept", 1), ("reject", -1), (None, 0)]
    assert bodies[0]["data"]["annotation"]["id"] == made.pk
    assert bodies[0]["data"]["actor"]["username"] == "bob"


def test_a_bulk_create_sends_an_event_per_label(world, hook):
    hook([Event.ANNOTATION_CREATED])
    items = [
        {"image": world["images"][index], "annotation_type": world["box"], "vector": BOX, "uuid": uuid.uuid4()}
        for index in range(3)
    ]
    annotations.bulk_create_annotations(actor=world["ada"], items=items)
    assert sorted(body["data"]["annotation"]["uuid"] for body in sent()) == sorted(str(item["uuid"]) for item in items)


def test_a_failed_bulk_create_sends_nothing(world, hook):
    hook([Event.ANNOTATION_CREATED])
    items = [
        {"image": world["images"][0], "annotation_type": world["box"], "vector": BOX},
        {"image": world["images"][1], "annotation_type": world["box"], "vector": {"x1": 1}},
    ]
    with pytest.raises(annotations.BulkError):
        annotations.bulk_create_annotations(actor=world["ada"], items=items)
    assert not Delivery.objects.exists(), "the deliveries went with the rolled-back labels"


def test_only_the_chosen_events_are_sent(world, hook):
    hook([Event.ANNOTATION_DELETED])
    made = label(world)
    assert not Delivery.objects.exists()
    annotations.delete_annotation(actor=world["ada"], annotation=made)
    assert [body["event"] for body in sent()] == ["annotation.deleted"]


def test_events_of_another_team_never_reach_a_webhook(world, hook, receiver):
    ours = hook(team=world["team"])
    theirs = hook(team=world["others"])
    annotations.create_annotation(
        actor=world["otto"], image=world["other_images"][0], annotation_type=world["box"], vector=BOX
    )
    images.update_imageset(actor=world["otto"], image_set=world["other_set"], description="theirs")
    assert set(Delivery.objects.values_list("webhook_id", flat=True)) == {theirs.pk}
    label(world)
    assert Delivery.objects.filter(webhook=ours).count() == 1
    for body in (json.loads(row.body) for row in Delivery.objects.filter(webhook=ours)):
        assert body["team"] == world["team"].pk
        assert body["data"]["annotation"]["image_set"] == world["set"].pk


def test_a_collaborator_from_another_team_makes_events_for_the_sets_team(world, hook, make_user):
    hook(team=world["others"])
    mine = hook(team=world["team"])
    images.update_imageset(actor=world["ada"], image_set=world["set"], public=True, public_collaboration=True)
    image = world["images"][0]
    annotations.create_annotation(actor=world["otto"], image=image, annotation_type=world["box"], vector=BOX)
    created = Delivery.objects.get(event="annotation.created")
    assert created.webhook_id == mine.pk, "the set's team, not the annotator's"


def test_a_disabled_webhook_gets_no_events(world, hook):
    webhook = hook()
    annotations_before = Delivery.objects.count()
    from webhooks import services

    services.update(actor=world["ada"], webhook=webhook, active=False)
    label(world)
    assert Delivery.objects.count() == annotations_before


def _create_statements(world, x):
    with CaptureQueriesContext(connection) as captured:
        label(world, x=x)
    return [query["sql"] for query in captured.captured_queries]


def test_a_team_without_a_webhook_costs_a_label_create_no_statement(world, hook):
    label(world, x=300)  # warm up (prepared statements)
    alone = _create_statements(world, x=10)
    hook(team=world["others"])  # a webhook elsewhere changes nothing here
    elsewhere = _create_statements(world, x=100)
    assert len(elsewhere) == len(alone), "\n".join(elsewhere)
    assert not Delivery.objects.exists()
    hook(team=world["team"])
    with_hook = _create_statements(world, x=200)
    assert len(with_hook) == len(alone) + 2, "the webhooks read and the deliveries' insert"
    assert Delivery.objects.count() == 1


def test_votes_without_a_webhook_cost_no_statement(world, hook):
    made = label(world)
    votes.cast_vote(actor=world["bob"], annotation=made, vote="reject")
    with CaptureQueriesContext(connection) as before:
        votes.cast_vote(actor=world["bob"], annotation=made, vote="accept")
    hook(team=world["others"])
    with CaptureQueriesContext(connection) as after:
        votes.cast_vote(actor=world["bob"], annotation=made, vote="reject")
    assert len(after) == len(before)


def test_one_task_is_queued_per_transaction(world, hook, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    hook([Event.ANNOTATION_CREATED])
    items = [{"image": image, "annotation_type": world["box"], "vector": BOX} for image in world["images"]]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        annotations.bulk_create_annotations(actor=world["ada"], items=items)
    kicks = [callback for callback in callbacks if callback is events._kick]
    assert len(kicks) == 1
    assert DBTaskResult.objects.filter(task_path="webhooks.delivery.send_deliveries").count() == 1


def test_image_set_changes_name_what_changed(world, hook):
    hook([Event.IMAGESET_CHANGED])
    image_set = world["set"]
    images.update_imageset(actor=world["ada"], image_set=image_set, name="avenue", priority=0)
    images.update_imageset(actor=world["ada"], image_set=image_set, name="avenue")  # nothing changed
    images.set_annotation_types(actor=world["ada"], image_set=image_set, annotation_types=[world["box"]])
    images.add_tag(actor=world["ada"], image_set=image_set, name="night")
    images.remove_tag(actor=world["ada"], image_set=image_set, name="night")
    gone = world["images"][0].pk
    images.delete_images(actor=world["ada"], image_set=image_set, image_ids=[gone])
    bodies = sent()
    assert [body["data"]["changes"] for body in bodies] == [
        ["name"],
        ["annotation_types"],
        ["tags"],
        ["tags"],
        ["images_deleted"],
    ]
    assert bodies[0]["data"]["image_set"]["name"] == "avenue"
    assert bodies[-1]["data"]["images_deleted"] == [gone]
    assert bodies[-1]["data"]["image_set"]["image_count"] == 2
    assert set(Delivery.objects.values_list("object_key", flat=True)) == {f"imageset:{image_set.pk}"}


def test_a_set_created_set_free_and_deleted_is_told_to_its_team(world, hook):
    hook([Event.IMAGESET_CHANGED])
    made = images.create_imageset(actor=world["ada"], team=world["team"], name="new one")
    images.set_free(actor=world["ada"], image_set=made)
    images.delete_imageset(actor=world["ada"], image_set=world["set"])
    bodies = sent()
    assert [body["data"]["changes"] for body in bodies] == [["created"], ["set_free"], ["deleted"]]
    assert {body["team"] for body in bodies} == {world["team"].pk}


def test_an_upload_sends_one_images_added_event(world, hook, storage_dir):
    hook([Event.IMAGES_ADDED])
    archive = make_zip([("a.png", make_png(color=(1, 2, 3))), ("b.png", make_png(color=(4, 5, 6)))])
    ingest_uploads(
        actor=world["ada"],
        image_set=world["set"],
        uploaded_files=[make_upload("c.png", make_png(color=(7, 8, 9))), make_upload("more.zip", archive)],
    )
    again = [make_upload("c.png", make_png(color=(7, 8, 9)))]
    ingest_uploads(actor=world["ada"], image_set=world["set"], uploaded_files=again)
    (body,) = sent()  # the second upload added nothing: no event
    data = body["data"]
    assert data["count"] == 3
    assert sorted(image["name"] for image in data["images"]) == ["a.png", "b.png", "c.png"]
    assert data["image_set"]["image_count"] == 6
    assert data["actor"]["username"] == "ada"


def test_an_export_sends_export_finished(world, hook, storage_dir):
    hook([Event.EXPORT_FINISHED])
    label(world)
    export = create_export(actor=world["ada"], image_set=world["set"], standard="coco")
    (body,) = sent()
    data = body["data"]["export"]
    assert (data["id"], data["state"], data["annotation_count"]) == (export.pk, "done", 1)
    assert data["download_url"].endswith(f"/api/v1/exports/{export.pk}/download/")
    assert Delivery.objects.get().object_key == f"export:{export.pk}"


def test_a_label_import_sends_one_event_not_one_per_label(world, hook, storage_dir):
    hook([Event.LABEL_IMPORT_FINISHED, Event.ANNOTATION_CREATED])
    name = world["images"][0].name
    lines = f"{name}|car|{json.dumps(BOX)}|\n{name}|car|{json.dumps({**BOX, 'x1': 100, 'x2': 140})}|\n"
    done = import_labels(actor=world["ada"], image_set=world["set"], fileobj=io.BytesIO(lines.encode()), format="pipe")
    (body,) = sent()
    assert body["event"] == "label_import.finished"
    assert (body["data"]["label_import"]["id"], body["data"]["label_import"]["created"]) == (done.pk, 2)
    assert body["data"]["label_import"]["state"] == "done"


def test_a_pre_label_job_sends_its_end(world, hook):
    hook([Event.PRELABEL_JOB_FINISHED])
    backend = ModelBackend.objects.create(team=world["team"], name="faces", url="http://127.0.0.1:9", label_map={})
    finished = PrelabelJob.objects.create(backend=backend, image_set=world["set"], state=JobState.RUNNING)
    _finish(finished.pk, JobState.FAILED, "The backend could not be set up.")
    queued = PrelabelJob.objects.create(backend=backend, image_set=world["set"], created_by=world["bob"])
    assist_services.cancel_prelabel(actor=world["bob"], job=queued)
    first, second = sent()
    assert (first["data"]["prelabel_job"]["state"], first["data"]["prelabel_job"]["error"]) == (
        "failed",
        "The backend could not be set up.",
    )
    assert first["data"]["actor"] is None
    assert (second["data"]["prelabel_job"]["id"], second["data"]["prelabel_job"]["state"]) == (queued.pk, "cancelled")
    assert second["data"]["actor"]["username"] == "bob"
