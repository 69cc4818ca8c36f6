"""Statistics per image set and per user: correct counts, fixed query counts, permissions."""

import itertools

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import work
from annotations.models import Annotation, AnnotationType, Origin, Verification
from images.tests.factories import add_image_rows, make_imageset

_offsets = itertools.count(0)


def label(image, annotation_type, user, *, vector="box", votes=(), **fields):
    """An annotation made directly (no rules) with ``votes``: ``[(voter, accept?), …]``."""
    if vector == "box":
        offset = next(_offsets) % 1000
        vector = {"x1": offset, "y1": 0, "x2": offset + 2, "y2": 2}
    annotation = Annotation.objects.create(
        image=image, annotation_type=annotation_type, vector=vector, user=user, **fields
    )
    for voter, accept in votes:
        Verification.objects.create(annotation=annotation, user=voter, verified=accept)
    return annotation


@pytest.fixture
def world(make_user, make_team):
    class World:
        pass

    w = World()
    w.ada, w.bob, w.cara, w.otto = (make_user(name) for name in ("ada", "bob", "cara", "otto"))
    w.team = make_team("Stats", admins=[w.ada], members=[w.bob, w.cara])
    w.ball = AnnotationType.objects.create(name="stat-ball")
    w.goal = AnnotationType.objects.create(name="stat-goal")
    w.old = AnnotationType.objects.create(name="stat-old", active=False)
    w.unused_old = AnnotationType.objects.create(name="stat-gone", active=False)
    w.set = make_imageset(w.team, creator=w.ada)
    i0, i1, i2, i3 = w.images = add_image_rows(w.set, 4)
    add_image_rows(w.set, 1, start=10)  # an image without any label
    label(i0, w.ball, w.cara, votes=[(w.bob, True), (w.ada, True)])  # accepted
    label(i0, w.ball, w.cara, origin=Origin.MACHINE, model_name="m", confidence=0.5, votes=[(w.bob, False)])  # rejected
    label(i1, w.ball, w.bob, vector=None, votes=[(w.cara, True), (w.ada, False)])  # disputed
    label(i2, w.ball, w.bob)  # unverified
    label(i3, w.old, w.ada, votes=[(w.bob, True)])  # accepted, inactive type
    # Elsewhere: never counted for this set.
    other = make_imageset(w.team)
    label(add_image_rows(other, 1, start=20)[0], w.ball, w.cara, votes=[(w.bob, True)])
    return w


def mine(statistics, world):
    """The per-type rows of the world's types, by name."""
    names = {"stat-ball", "stat-goal", "stat-old", "stat-gone"}
    return {row["annotation_type"].name: row for row in statistics["types"] if row["annotation_type"].name in names}


ZERO = dict.fromkeys(work.COUNTERS, 0)


def test_set_statistics(world):
    statistics = work.imageset_statistics(world.set)
    assert statistics["images"] == 5
    assert statistics["annotated_images"] == 4
    assert statistics["annotations"] == {
        "annotations": 5,
        "shapes": 4,
        "not_in_image": 1,
        "tags": 0,
        "human": 4,
        "machine": 1,
        "unverified": 1,
        "accepted": 2,
        "rejected": 1,
        "disputed": 1,
    }
    rows = mine(statistics, world)
    assert list(rows) == ["stat-ball", "stat-goal", "stat-old"]  # the unused inactive type is left out
    assert rows["stat-ball"] == {
        "annotation_type": world.ball,
        "annotated_images": 3,
        "missing_images": 2,
        "annotations": 4,
        "shapes": 3,
        "not_in_image": 1,
        "tags": 0,
        "human": 3,
        "machine": 1,
        "unverified": 1,
        "accepted": 1,
        "rejected": 1,
        "disputed": 1,
    }
    assert rows["stat-goal"] == {"annotation_type": world.goal, "annotated_images": 0, "missing_images": 5, **ZERO}
    assert rows["stat-old"] == {
        "annotation_type": world.old,
        "annotated_images": 1,
        "missing_images": 4,
        **ZERO,
        "annotations": 1,
        "shapes": 1,
        "human": 1,
        "accepted": 1,
    }


def test_set_statistics_of_an_empty_set(world):
    statistics = work.imageset_statistics(make_imageset(world.team))
    assert statistics["images"] == 0
    assert statistics["annotated_images"] == 0
    assert statistics["annotations"] == ZERO
    assert mine(statistics, world)["stat-ball"]["missing_images"] == 0


def test_set_statistics_run_a_fixed_number_of_queries(world):
    def queries(count):
        image_set = make_imageset(world.team)
        for index, image in enumerate(add_image_rows(image_set, count, start=1000 * count)):
            annotation_type = world.ball if index % 2 else world.old
            label(image, annotation_type, world.cara, votes=[(world.bob, index % 3 == 0)])
            label(image, world.goal, world.bob, vector=None)
        with CaptureQueriesContext(connection) as captured:
            statistics = work.imageset_statistics(image_set)
        assert statistics["annotations"]["annotations"] == 2 * count
        return len(captured)

    assert queries(3) == queries(30) <= 4


def test_user_statistics(world, make_user, make_team):
    # cara also labels in a private set of another team; only who may read it sees that.
    others = make_team("Others", admins=[world.otto], members=[world.cara])
    hidden = make_imageset(others)
    label(add_image_rows(hidden, 1, start=30)[0], world.ball, world.cara, votes=[(world.otto, True)])
    get_user_model().objects.filter(pk=world.cara.pk).update(points=4)
    world.cara.refresh_from_db()

    as_bob = work.user_statistics(world.cara, viewer=world.bob)
    assert as_bob == {
        "annotations": {"total": 3, "shapes": 3, "not_in_image": 0, "tags": 0, "human": 2, "machine": 1},
        "votes_given": {"total": 1, "accepts": 1, "rejects": 0},
        "votes_received": {"accepts": 3, "rejects": 1},
        "points": 4,
    }
    as_herself = work.user_statistics(world.cara, viewer=world.cara)
    assert as_herself["annotations"]["total"] == 4
    assert as_herself["votes_received"] == {"accepts": 4, "rejects": 1}
    staff = make_user(is_staff=True)
    assert work.user_statistics(world.cara, viewer=staff) == as_herself
    as_otto = work.user_statistics(world.cara, viewer=world.otto)
    assert as_otto["annotations"]["total"] == 1  # only the set otto may read
    assert as_otto["points"] == 4


def test_user_statistics_count_votes_given_and_received(world):
    bob = work.user_statistics(world.bob, viewer=world.bob)
    assert bob["annotations"] == {"total": 2, "shapes": 1, "not_in_image": 1, "tags": 0, "human": 2, "machine": 0}
    assert bob["votes_given"] == {"total": 4, "accepts": 3, "rejects": 1}
    assert bob["votes_received"] == {"accepts": 1, "rejects": 1}


def test_user_statistics_run_a_fixed_number_of_queries(world, make_user):
    def queries(count):
        user = make_user()
        image_set = make_imageset(world.team)
        for image in add_image_rows(image_set, count, start=1000 * count):
            label(image, world.ball, user, votes=[(world.bob, True)])
        with CaptureQueriesContext(connection) as captured:
            statistics = work.user_statistics(user, viewer=world.otto)
        assert statistics["annotations"]["total"] == 0  # otto may read none of them
        with CaptureQueriesContext(connection) as captured_own:
            statistics = work.user_statistics(user, viewer=user)
        assert statistics["votes_received"]["accepts"] == count
        return len(captured), len(captured_own)

    assert queries(3) == queries(30)


# --- API ------------------------------------------------------------------------------------------


def test_api_set_statistics(world, api_for):
    answer = api_for(world.bob).get(reverse("api:imageset-statistics", args=[world.set.pk]))
    assert answer.status_code == 200
    body = answer.json()
    assert body["image_set"] == world.set.pk
    assert body["images"] == 5
    assert body["annotations"]["disputed"] == 1
    ball = next(row for row in body["types"] if row["annotation_type"]["name"] == "stat-ball")
    assert ball["annotation_type"] == {
        "id": world.ball.pk,
        "name": "stat-ball",
        "active": True,
        "color": world.ball.color,
    }
    assert ball["shapes"] == 3
    assert ball["missing_images"] == 2


def test_api_set_statistics_permissions(world, api_for):
    url = reverse("api:imageset-statistics", args=[world.set.pk])
    assert api_for().get(url).status_code == 401
    assert api_for(world.otto).get(url).status_code == 404
    assert api_for(world.bob).get(reverse("api:imageset-statistics", args=[999999])).status_code == 404
    public = make_imageset(world.team, public=True)
    assert api_for(world.otto).get(reverse("api:imageset-statistics", args=[public.pk])).status_code == 200


def test_api_set_statistics_queries_do_not_grow(world, api_for):
    def queries(count):
        image_set = make_imageset(world.team)
        for image in add_image_rows(image_set, count, start=1000 * count):
            label(image, world.ball, world.cara, votes=[(world.bob, True)])
        api = api_for(world.bob)
        with CaptureQueriesContext(connection) as captured:
            assert api.get(reverse("api:imageset-statistics", args=[image_set.pk])).status_code == 200
        return len(captured)

    assert queries(3) == queries(30)


def test_api_user_statistics(world, api_for):
    url = reverse("api:user-statistics", args=[world.cara.pk])
    answer = api_for(world.bob).get(url)
    assert answer.status_code == 200
    body = answer.json()
    assert body["user"] == world.cara.pk
    assert body["username"] == "cara"
    assert body["annotations"]["total"] == 3
    assert body["votes_received"] == {"accepts": 3, "rejects": 1}
    assert body["points"] == 0
    assert api_for().get(url).status_code == 401
    assert api_for(world.bob).get(reverse("api:user-statistics", args=[999999])).status_code == 404


def test_machine_review_statistics_per_model_and_confidence_band(world, client_for):
    i0, i1, i2, i3 = world.images
    machine = {"origin": Origin.MACHINE}
    label(i1, world.goal, world.cara, model_name="yolo v8", confidence=0.9, votes=[(world.bob, True)], **machine)
    label(i1, world.goal, world.cara, model_name="yolo v8", confidence=0.8, last_editor=world.bob, **machine)
    label(i2, world.goal, world.cara, model_name="yolo v8", confidence=0.1, votes=[(world.bob, False)], **machine)
    label(i2, world.goal, world.cara, model_name="yolo v8", confidence=None, **machine)
    label(
        i3,
        world.goal,
        world.cara,
        model_name="yolo v8",
        confidence=0.3,
        votes=[(world.bob, True), (world.ada, False)],
        **machine,
    )

    found = {model["model"]: model for model in work.machine_review_statistics(world.set)}
    assert set(found) == {"m", "yolo v8"}  # "m": the fixture's rejected label at 0.5
    yolo = {band["band"]: band for band in found["yolo v8"]["bands"]}
    assert found["yolo v8"]["total"] == 5
    assert yolo["≥ 0.75"] == {"band": "≥ 0.75", "accepted": 1, "edited": 1, "rejected": 0, "waiting": 0}
    assert yolo["< 0.25"]["rejected"] == 1
    assert yolo["none"]["waiting"] == 1
    assert yolo["0.25–0.5"]["waiting"] == 1, "as many votes for as against: still waiting"
    assert {band["band"]: band["rejected"] for band in found["m"]["bands"]}["0.5–0.75"] == 1

    html = client_for(world.bob).get(reverse("annotations:imageset_statistics", args=[world.set.pk])).content.decode()
    assert "Machine-made labels under review" in html
    assert "What people made of yolo v8" in html


def test_no_review_section_without_machine_labels(world, client_for):
    Annotation.objects.filter(origin=Origin.MACHINE).delete()
    html = client_for(world.bob).get(reverse("annotations:imageset_statistics", args=[world.set.pk])).content.decode()
    assert "Machine-made labels under review" not in html
    assert work.machine_review_statistics(world.set) == []
