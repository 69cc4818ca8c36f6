"""Every export says what its filters left out and why — template and standard formats, in the report
(API, set page): each label counted once under the first filter it fails; nothing when nothing was
left out; one query however many labels."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.models import Origin, VectorType
from exports import jobs, leftout

from .format_factories import box, make_annotation, make_format, make_image, make_set, make_type

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_user, make_team, storage_dir):
    ada, bob = make_user("ada"), make_user("bob")
    team = make_team("Robots", admins=[ada], members=[bob])
    image_set = make_set(team, "Field")
    ball, goal = make_type("ball"), make_type("goal")
    image = make_image(image_set, "a.png")
    labels = {
        "kept": make_annotation(image, ball, box(1, 1, 9, 9)),
        "rejected": make_annotation(image, ball, box(2, 2, 9, 9), votes=[(bob, False)]),
        "blurred": make_annotation(image, ball, box(3, 3, 9, 9), blurred=True),
        "other type": make_annotation(image, goal, box(4, 4, 9, 9)),
    }
    return {"ada": ada, "bob": bob, "team": team, "set": image_set, "ball": ball, "goal": goal, "labels": labels}


def test_a_template_export_names_what_its_format_left_out(world, api_for):
    export_format = make_format(world["team"], [world["ball"]], include_blurred=False, annotation_format="%%type")
    export = jobs.create_export(actor=world["ada"], image_set=world["set"], export_format=export_format)
    export.refresh_from_db()
    assert export.annotation_count == 1
    assert export.report["filtered"] == [
        "1 label left out: its type is not among the exported ones",
        "1 label left out: blurred (the format leaves blurred labels out)",
        "1 label left out: its score (accepts − rejects) is below 0",
    ]
    body = api_for(world["ada"]).get(f"/api/v1/exports/{export.pk}/").json()
    assert body["report"]["filtered"] == export.report["filtered"]


def test_the_set_page_shows_the_left_out_labels_beside_the_export(world, client_for):
    export_format = make_format(world["team"], [world["ball"], world["goal"]], annotation_format="%%type")
    jobs.create_export(actor=world["ada"], image_set=world["set"], export_format=export_format)
    html = client_for(world["ada"]).get(f"/images/imageset/{world['set'].pk}/").content.decode()
    assert "1 label left out: its score (accepts − rejects) is below 0." in html


def test_a_standard_export_names_what_its_options_left_out(world):
    labels = world["labels"]
    type(labels["kept"]).objects.filter(pk=labels["blurred"].pk).update(origin=Origin.MACHINE, confidence=0.3)
    options = {"types": [world["ball"].pk], "min_verifications": 0, "min_confidence": 0.5}
    export = jobs.create_export(actor=world["ada"], image_set=world["set"], standard="coco", options=options)
    export.refresh_from_db()
    assert export.annotation_count == 1
    assert export.report["filtered"] == [
        "1 label left out: its type is not among the exported ones",
        "1 label left out: its score (accepts − rejects) is below 0",
        "1 label left out: machine-made with a confidence below 0.5",
    ]
    by_origin = jobs.create_export(
        actor=world["ada"], image_set=world["set"], standard="pipe", options={"origin": "machine"}
    )
    by_origin.refresh_from_db()
    assert by_origin.report["filtered"] == [
        "3 labels left out: made by a person (only machine-made labels are exported)"
    ]


def test_nothing_left_out_says_nothing(world):
    export = jobs.create_export(actor=world["ada"], image_set=world["set"], standard="pipe")
    export.refresh_from_db()
    assert export.report["filtered"] == []
    assert export.annotation_count == 4


def test_one_query_however_many_labels(world):
    image = make_image(world["set"], "b.png")
    tag = make_type("sky", VectorType.TAG)
    for index in range(30):
        make_annotation(image, world["goal"], box(1, 1, 10 + index, 9))
    make_annotation(image, tag, None)
    with CaptureQueriesContext(connection) as queries:
        found = leftout.left_out(
            world["set"], type_ids=[world["ball"].pk], min_score=0, origin="human", min_confidence=0.5
        )
    assert len(queries) == 1
    assert found == [(32, "its type is not among the exported ones"), (1, "its score (accepts − rejects) is below 0")]
