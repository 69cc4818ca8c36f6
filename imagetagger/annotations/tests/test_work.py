"""Work distribution (next image + leases) and the whole-set "not in image" action: services, API, page."""

import datetime
import functools

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotations import work
from annotations.models import (
    Annotation,
    AnnotationHistory,
    AnnotationType,
    HistoryAction,
    ImageLease,
    Origin,
    Verification,
)
from annotations.tests.concurrency import run_in_threads
from images.models import Priority
from images.tests.factories import add_image_rows, make_imageset

BOX = {"x1": 0, "y1": 0, "x2": 2, "y2": 2}


@pytest.fixture
def world(make_user, make_team):
    class World:
        pass

    w = World()
    w.ada, w.bob, w.cara, w.otto = (make_user(name) for name in ("ada", "bob", "cara", "otto"))
    w.team = make_team("Robots", admins=[w.ada], members=[w.bob, w.cara])
    w.ball = AnnotationType.objects.create(name="work-ball")
    w.goal = AnnotationType.objects.create(name="work-goal")
    w.old = AnnotationType.objects.create(name="work-old", active=False)
    w.private = make_imageset(w.team, creator=w.ada)
    w.images = add_image_rows(w.private, 5)  # img00000 … img00004
    return w


def label(image, annotation_type, user=None, vector=BOX, **fields):
    return Annotation.objects.create(image=image, annotation_type=annotation_type, vector=vector, user=user, **fields)


def expire(image, annotation_type):
    ImageLease.objects.filter(image=image, annotation_type=annotation_type).update(
        expires=timezone.now() - datetime.timedelta(seconds=1)
    )


def next_for(w, user, after=None, image_set=None, annotation_type=None):
    return work.next_image(
        actor=user,
        image_set=image_set or w.private,
        annotation_type=annotation_type or w.ball,
        after_image=after,
    )


# --- next image and leases (services) -------------------------------------------------------------


def test_next_image_is_the_first_by_name_and_leased_for_the_lease_time(world, settings):
    settings.ANNOTATION_LEASE_SECONDS = 45
    before = timezone.now()
    lease = next_for(world, world.bob)
    assert lease.image == world.images[0]
    assert lease.user == world.bob
    stored = ImageLease.objects.get(image=world.images[0], annotation_type=world.ball)
    assert stored.user == world.bob
    assert before + datetime.timedelta(seconds=45) <= stored.expires <= timezone.now() + datetime.timedelta(seconds=45)


def test_default_lease_time_is_two_minutes(settings):
    assert settings.ANNOTATION_LEASE_SECONDS == 120


def test_asking_again_renews_the_same_image(world):
    first = next_for(world, world.bob)
    expire(first.image, world.ball)
    again = next_for(world, world.bob)
    assert again.image == first.image
    assert again.expires > timezone.now()
    assert ImageLease.objects.count() == 1


def test_two_annotators_get_different_images(world):
    assert next_for(world, world.bob).image == world.images[0]
    assert next_for(world, world.cara).image == world.images[1]
    assert next_for(world, world.ada).image == world.images[2]


def test_leases_are_per_type(world):
    assert next_for(world, world.bob).image == world.images[0]
    assert next_for(world, world.cara, annotation_type=world.goal).image == world.images[0]


def test_images_with_a_label_of_the_type_are_skipped(world):
    label(world.images[0], world.ball)  # a shape
    label(world.images[1], world.ball, vector=None)  # not in image
    label(world.images[2], world.goal)  # another type: still open for ball
    assert next_for(world, world.bob).image == world.images[2]


def test_after_image_starts_after_it_and_wraps_around(world):
    assert next_for(world, world.bob, after=world.images[2]).image == world.images[3]
    assert next_for(world, world.bob, after=world.images[4]).image == world.images[0]  # wraps
    label(world.images[1], world.ball)
    assert next_for(world, world.cara, after=world.images[3]).image == world.images[4]
    # After images[3] everything is leased now: wrap to the start, past bob's lease and the labelled one.
    assert next_for(world, world.ada, after=world.images[3]).image == world.images[2]


def test_after_image_itself_comes_last(world):
    for image in world.images[1:]:
        label(image, world.ball)
    assert next_for(world, world.bob, after=world.images[0]).image == world.images[0]


def test_same_names_are_ordered_by_id(world):
    other = make_imageset(world.team)
    first, second = add_image_rows(other, 2)
    second.name = first.name
    second.save()
    assert next_for(world, world.bob, image_set=other).image == first
    assert next_for(world, world.bob, image_set=other, after=first).image == second


def test_none_when_everything_is_labelled(world):
    for image in world.images:
        label(image, world.ball, vector=None)
    assert next_for(world, world.bob) is None
    assert not ImageLease.objects.exists()


def test_none_when_the_rest_is_leased_to_others(world):
    for image in world.images[:3] + world.images[4:]:
        label(image, world.ball)
    assert next_for(world, world.bob).image == world.images[3]
    assert next_for(world, world.cara) is None


def test_expired_lease_is_handed_over(world):
    lease = next_for(world, world.bob)
    expire(lease.image, world.ball)
    taken = next_for(world, world.cara)
    assert taken.image == lease.image
    stored = ImageLease.objects.get(image=lease.image, annotation_type=world.ball)
    assert stored.user == world.cara
    assert stored.expires > timezone.now()
    # bob's next request moves on: the image is cara's now.
    assert next_for(world, world.bob).image == world.images[1]


def test_short_lease_setting_expires(world, settings):
    settings.ANNOTATION_LEASE_SECONDS = 1
    lease = next_for(world, world.bob)
    assert lease.expires <= timezone.now() + datetime.timedelta(seconds=1)
    ImageLease.objects.update(expires=timezone.now())  # the second has passed
    assert next_for(world, world.cara).image == lease.image


def test_heartbeat_extends_the_lease(world):
    lease = next_for(world, world.bob)
    soon = timezone.now() + datetime.timedelta(seconds=5)
    ImageLease.objects.update(expires=soon)
    renewed = work.renew_lease(actor=world.bob, image=lease.image, annotation_type=world.ball)
    assert renewed.expires > soon + datetime.timedelta(seconds=100)
    assert ImageLease.objects.get().expires == renewed.expires


def test_heartbeat_after_expiry_takes_the_lease_back_when_nobody_took_it(world):
    lease = next_for(world, world.bob)
    expire(lease.image, world.ball)
    renewed = work.renew_lease(actor=world.bob, image=lease.image, annotation_type=world.ball)
    assert renewed.expires > timezone.now()
    assert next_for(world, world.cara).image == world.images[1]


def test_heartbeat_refused_when_another_annotator_holds_the_image(world):
    lease = next_for(world, world.bob)
    with pytest.raises(work.LeaseHeld):
        work.renew_lease(actor=world.cara, image=lease.image, annotation_type=world.ball)
    expire(lease.image, world.ball)
    next_for(world, world.cara)  # cara takes the expired lease over
    with pytest.raises(work.LeaseHeld):
        work.renew_lease(actor=world.bob, image=lease.image, annotation_type=world.ball)
    assert ImageLease.objects.get().user == world.cara


def test_heartbeat_takes_a_free_image(world):
    lease = work.renew_lease(actor=world.bob, image=world.images[2], annotation_type=world.ball)
    assert lease.user == world.bob
    assert next_for(world, world.cara, after=world.images[1]).image == world.images[3]


def test_heartbeat_needs_annotate_and_an_active_type(world):
    with pytest.raises(PermissionDenied):
        work.renew_lease(actor=world.otto, image=world.images[0], annotation_type=world.ball)
    with pytest.raises(ValidationError):
        work.renew_lease(actor=world.bob, image=world.images[0], annotation_type=world.old)
    assert not ImageLease.objects.exists()


def test_release_frees_the_image(world):
    lease = next_for(world, world.bob)
    assert work.release_lease(actor=world.bob, image=lease.image, annotation_type=world.ball) is True
    assert next_for(world, world.cara).image == lease.image


def test_release_of_somebody_elses_lease_does_nothing(world):
    lease = next_for(world, world.bob)
    assert work.release_lease(actor=world.cara, image=lease.image, annotation_type=world.ball) is False
    assert ImageLease.objects.get().user == world.bob


def test_next_image_needs_annotate(world, make_team):
    with pytest.raises(PermissionDenied):
        next_for(world, world.otto)  # not in the team
    public = make_imageset(world.team, public=True)
    add_image_rows(public, 1)
    with pytest.raises(PermissionDenied):
        next_for(world, world.otto, image_set=public)  # public, but not open for collaboration
    collaborative = make_imageset(world.team, public=True, public_collaboration=True)
    (image,) = add_image_rows(collaborative, 1)
    assert next_for(world, world.otto, image_set=collaborative).image == image
    assert ImageLease.objects.filter(user=world.otto).count() == 1


def test_next_image_refuses_an_inactive_type(world):
    with pytest.raises(ValidationError, match="not active"):
        next_for(world, world.bob, annotation_type=world.old)
    assert not ImageLease.objects.exists()


def test_after_image_must_be_in_the_set(world):
    other = make_imageset(world.team)
    (stranger,) = add_image_rows(other, 1, start=100)
    with pytest.raises(ValidationError):
        next_for(world, world.bob, after=stranger)


# --- across sets, by priority ---------------------------------------------------------------------


def test_across_sets_highest_priority_first(world, make_team):
    low = make_imageset(world.team, priority=Priority.LOW)
    high = make_imageset(world.team, priority=Priority.HIGH)
    (low_image,) = add_image_rows(low, 1, start=10)
    high_images = add_image_rows(high, 2, start=20)
    # A high-priority set bob may not annotate is never offered.
    foreign = make_imageset(make_team(admins=[world.otto]), priority=Priority.HIGH)
    add_image_rows(foreign, 1, start=30)

    def take():
        lease = work.next_image_across_sets(actor=world.bob, annotation_type=world.ball)
        return lease.image if lease else None

    assert take() == high_images[0]
    label(high_images[0], world.ball)
    assert take() == high_images[1]
    label(high_images[1], world.ball)
    assert take() == world.images[0]  # the normal-priority set
    for image in world.images:
        label(image, world.ball)
    assert take() == low_image
    label(low_image, world.ball)
    assert take() is None


def test_across_sets_includes_public_collaboration_sets_and_skips_taken_images(world, make_team):
    other_team = make_team(admins=[world.otto])
    collaborative = make_imageset(other_team, public=True, public_collaboration=True, priority=Priority.HIGH)
    (image,) = add_image_rows(collaborative, 1, start=40)
    public_only = make_imageset(other_team, public=True, priority=Priority.HIGH)
    add_image_rows(public_only, 1, start=50)
    first = work.next_image_across_sets(actor=world.bob, annotation_type=world.ball)
    assert first.image == image
    assert first.image.image_set == collaborative
    # cara is sent elsewhere: bob holds the only image of the high-priority set.
    assert work.next_image_across_sets(actor=world.cara, annotation_type=world.ball).image == world.images[0]


def test_across_sets_refuses_an_inactive_type(world):
    with pytest.raises(ValidationError):
        work.next_image_across_sets(actor=world.bob, annotation_type=world.old)


# --- concurrency (PostgreSQL) ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("annotators", "image_count"), [(8, 20), (8, 3)])
def test_simultaneous_requests_get_distinct_images(make_user, make_team, annotators, image_count):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time (IMMEDIATE), so there is no race to test.")
    users = [make_user() for _ in range(annotators)]
    team = make_team(members=users)
    image_set = make_imageset(team)
    add_image_rows(image_set, image_count)
    annotation_type = AnnotationType.objects.create(name="race")
    results = {}

    def ask(user):
        lease = work.next_image(actor=user, image_set=image_set, annotation_type=annotation_type)
        results[user.pk] = lease.image.pk if lease else None

    errors = run_in_threads([functools.partial(ask, user) for user in users])
    assert errors == []
    given = [image_id for image_id in results.values() if image_id is not None]
    assert len(given) == len(set(given)) == min(annotators, image_count)
    leases = ImageLease.objects.filter(annotation_type=annotation_type)
    assert sorted(leases.values_list("image_id", flat=True)) == sorted(given)
    assert {lease.image_id: lease.user_id for lease in leases} == {
        image_id: user_id for user_id, image_id in results.items() if image_id is not None
    }


@pytest.mark.django_db(transaction=True)
def test_annotators_working_through_a_set_together_label_each_image_once(make_user, make_team):
    """Several annotators loop "next image → label it" at once, with the real annotation service
    (which locks the image row): every image ends up labelled exactly once, nobody fails."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time (IMMEDIATE), so there is no race to test.")
    from annotations.services import create_annotation

    users = [make_user() for _ in range(6)]
    image_set = make_imageset(make_team(members=users))
    add_image_rows(image_set, 40)
    annotation_type = AnnotationType.objects.create(name="relay")
    labelled = []

    def work_through(user):
        after = None
        while (
            lease := work.next_image(
                actor=user, image_set=image_set, annotation_type=annotation_type, after_image=after
            )
        ) is not None:
            create_annotation(actor=user, image=lease.image, annotation_type=annotation_type, vector=None)
            labelled.append(lease.image.pk)
            after = lease.image

    errors = run_in_threads([functools.partial(work_through, user) for user in users])
    assert errors == []
    assert len(labelled) == len(set(labelled)) == 40
    assert Annotation.objects.filter(annotation_type=annotation_type).count() == 40


# --- API: next image and leases -------------------------------------------------------------------


def next_url(image_set):
    return reverse("api:imageset-next-image", args=[image_set.pk])


def test_api_next_image(world, api_for):
    answer = api_for(world.bob).post(next_url(world.private), {"annotation_type": world.ball.pk}, format="json")
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["image"]["id"] == world.images[0].pk
    assert body["image"]["name"] == "img00000.png"
    assert body["annotation_type"] == world.ball.pk
    assert datetime.datetime.fromisoformat(body["lease_expires"]) > timezone.now()
    after = api_for(world.bob).post(
        next_url(world.private), {"annotation_type": world.ball.pk, "after_image": world.images[0].pk}, format="json"
    )
    assert after.json()["image"]["id"] == world.images[1].pk


def test_api_next_image_204_when_nothing_is_left(world, api_for):
    for image in world.images:
        label(image, world.ball)
    answer = api_for(world.bob).post(next_url(world.private), {"annotation_type": world.ball.pk}, format="json")
    assert answer.status_code == 204
    assert answer.content == b""


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({}, "annotation_type", "required"),
        ({"annotation_type": "x"}, "annotation_type", "valid integer"),
        ({"annotation_type": 999999}, "annotation_type", "no annotation type"),
        ("old", "annotation_type", "not active"),
        ("after:999999", "after_image", "no image"),
    ],
)
def test_api_next_image_bad_input(world, api_for, payload, field, message):
    if payload == "old":
        payload = {"annotation_type": world.old.pk}
    elif payload == "after:999999":
        payload = {"annotation_type": world.ball.pk, "after_image": 999999}
    answer = api_for(world.bob).post(next_url(world.private), payload, format="json")
    assert answer.status_code == 400
    body = answer.json()
    assert field in body["errors"]
    assert message in body["detail"]
    assert not ImageLease.objects.exists()


def test_api_next_image_after_image_of_another_set_is_400(world, api_for):
    other = make_imageset(world.team)
    (stranger,) = add_image_rows(other, 1, start=100)
    answer = api_for(world.bob).post(
        next_url(world.private), {"annotation_type": world.ball.pk, "after_image": stranger.pk}, format="json"
    )
    assert answer.status_code == 400
    assert "after_image" in answer.json()["errors"]


def test_api_next_image_permissions(world, api_for):
    payload = {"annotation_type": world.ball.pk}
    assert api_for().post(next_url(world.private), payload, format="json").status_code == 401
    assert api_for(world.otto).post(next_url(world.private), payload, format="json").status_code == 404
    public = make_imageset(world.team, public=True)
    add_image_rows(public, 1, start=60)
    refused = api_for(world.otto).post(next_url(public), payload, format="json")
    assert refused.status_code == 403
    assert "detail" in refused.json()
    missing = reverse("api:imageset-next-image", args=[999999])
    assert api_for(world.bob).post(missing, payload, format="json").status_code == 404
    assert not ImageLease.objects.exists()


def test_api_next_image_across_sets(world, api_for):
    high = make_imageset(world.team, priority=Priority.HIGH)
    (image,) = add_image_rows(high, 1, start=70)
    url = reverse("api:next-image")
    answer = api_for(world.bob).post(url, {"annotation_type": world.ball.pk}, format="json")
    assert answer.status_code == 200
    assert answer.json()["image"]["id"] == image.pk
    assert answer.json()["image"]["image_set"] == high.pk
    assert api_for(world.otto).post(url, {"annotation_type": world.ball.pk}, format="json").status_code == 204
    assert api_for(world.bob).post(url, {"annotation_type": world.old.pk}, format="json").status_code == 400


def test_api_renew_and_release(world, api_for):
    bob, cara = api_for(world.bob), api_for(world.cara)
    lease = next_for(world, world.bob)
    ImageLease.objects.update(expires=timezone.now() + datetime.timedelta(seconds=3))
    payload = {"image": lease.image.pk, "annotation_type": world.ball.pk}
    renewed = bob.post(reverse("api:lease-renew"), payload, format="json")
    assert renewed.status_code == 200
    assert renewed.json()["image"] == lease.image.pk
    assert datetime.datetime.fromisoformat(renewed.json()["lease_expires"]) > timezone.now() + datetime.timedelta(
        seconds=60
    )
    held = cara.post(reverse("api:lease-renew"), payload, format="json")
    assert held.status_code == 409
    assert "Another annotator" in held.json()["detail"]
    # cara releasing bob's lease changes nothing; bob releasing it frees the image.
    assert cara.post(reverse("api:lease-release"), payload, format="json").status_code == 204
    assert ImageLease.objects.get().user == world.bob
    assert bob.post(reverse("api:lease-release"), payload, format="json").status_code == 204
    assert not ImageLease.objects.exists()
    assert cara.post(next_url(world.private), {"annotation_type": world.ball.pk}, format="json").json()["image"][
        "id"
    ] == (lease.image.pk)


def test_api_lease_permissions_and_bad_input(world, api_for):
    payload = {"image": world.images[0].pk, "annotation_type": world.ball.pk}
    for name in ("api:lease-renew", "api:lease-release"):
        assert api_for(world.otto).post(reverse(name), payload, format="json").status_code == 404
        assert (
            api_for(world.bob).post(reverse(name), {"image": 999999, "annotation_type": world.ball.pk}).status_code
            == 404
        )
        bad = api_for(world.bob).post(reverse(name), {"image": world.images[0].pk}, format="json")
        assert bad.status_code == 400
        assert "annotation_type" in bad.json()["errors"]
    public = make_imageset(world.team, public=True)
    (image,) = add_image_rows(public, 1, start=80)
    refused = api_for(world.otto).post(
        reverse("api:lease-renew"), {"image": image.pk, "annotation_type": world.ball.pk}, format="json"
    )
    assert refused.status_code == 403
    inactive = api_for(world.bob).post(
        reverse("api:lease-renew"), {"image": world.images[0].pk, "annotation_type": world.old.pk}, format="json"
    )
    assert inactive.status_code == 400
    assert not ImageLease.objects.exists()


# --- the whole set "not in image" (service) -------------------------------------------------------


def test_whole_set_creates_only_where_missing(world):
    shape = label(world.images[0], world.ball, user=world.cara)
    negative = label(world.images[1], world.ball, user=world.cara, vector=None)
    label(world.images[2], world.goal, user=world.cara)  # another type does not count
    created = work.annotate_set_not_in_image(actor=world.bob, image_set=world.private, annotation_type=world.ball)
    assert created == 3
    marked = Annotation.objects.filter(annotation_type=world.ball).exclude(pk__in=[shape.pk, negative.pk])
    assert sorted(marked.values_list("image_id", flat=True)) == [image.pk for image in world.images[2:]]
    for annotation in marked:
        assert annotation.vector is None
        assert annotation.user == world.bob
        assert annotation.origin == Origin.HUMAN
        assert annotation.version == 1
    # Untouched: the existing shape and "not in image".
    assert Annotation.objects.get(pk=shape.pk).vector == BOX
    history = AnnotationHistory.objects.filter(annotation__in=marked)
    assert history.count() == 3
    for entry in history:
        assert entry.action == HistoryAction.CREATE
        assert entry.user == world.bob
        assert entry.before is None
        assert entry.after["vector"] is None
        assert entry.after["annotation_type"] == world.ball.pk
        assert entry.annotation_uuid == entry.annotation.uuid
        assert entry.image_id == entry.annotation.image_id
    assert work.annotate_set_not_in_image(actor=world.bob, image_set=world.private, annotation_type=world.ball) == 0
    assert Annotation.objects.filter(annotation_type=world.ball).count() == 5


def test_whole_set_casts_no_votes_and_changes_no_points(world):
    annotation = label(world.images[0], world.ball, user=world.cara)
    Verification.objects.create(annotation=annotation, user=world.bob, verified=True)
    get_user_model().objects.filter(pk=world.cara.pk).update(points=1)
    points = dict(get_user_model().objects.values_list("pk", "points"))
    work.annotate_set_not_in_image(actor=world.bob, image_set=world.private, annotation_type=world.ball)
    assert Verification.objects.count() == 1
    assert dict(get_user_model().objects.values_list("pk", "points")) == points


def test_whole_set_runs_a_fixed_number_of_queries(world):
    def queries(count):
        image_set = make_imageset(world.team)
        add_image_rows(image_set, count, start=1000 * count)
        with CaptureQueriesContext(connection) as captured:
            created = work.annotate_set_not_in_image(actor=world.bob, image_set=image_set, annotation_type=world.ball)
        assert created == count
        return len(captured)

    assert queries(3) == queries(30)


def test_whole_set_needs_edit_set(world):
    collaborative = make_imageset(world.team, public=True, public_collaboration=True)
    add_image_rows(collaborative, 2, start=90)
    with pytest.raises(PermissionDenied):  # may annotate, but not edit the set
        work.annotate_set_not_in_image(actor=world.otto, image_set=collaborative, annotation_type=world.ball)
    with pytest.raises(PermissionDenied):
        work.annotate_set_not_in_image(actor=world.otto, image_set=world.private, annotation_type=world.ball)
    assert work.annotate_set_not_in_image(actor=world.cara, image_set=collaborative, annotation_type=world.ball) == 2


def test_whole_set_refuses_an_inactive_type(world):
    with pytest.raises(ValidationError, match="not active"):
        work.annotate_set_not_in_image(actor=world.bob, image_set=world.private, annotation_type=world.old)
    assert not Annotation.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_whole_set_racing_with_annotators_never_puts_a_shape_beside_not_in_image(make_user, make_team):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time (IMMEDIATE), so there is no race to test.")
    from annotations.services import AnnotationConflict, create_annotation

    admin, *annotators = [make_user() for _ in range(4)]
    image_set = make_imageset(make_team(admins=[admin], members=annotators))
    images = add_image_rows(image_set, 30)
    annotation_type = AnnotationType.objects.create(name="race-nii")

    def mark():
        work.annotate_set_not_in_image(actor=admin, image_set=image_set, annotation_type=annotation_type)

    def draw(user, mine):
        for image in mine:
            try:
                create_annotation(actor=user, image=image, annotation_type=annotation_type, vector=BOX)
            except AnnotationConflict as conflict:  # marked "not in image" first: refused, fine
                if conflict.code != "not_in_image":
                    raise

    drawers = [functools.partial(draw, user, images[index :: len(annotators)]) for index, user in enumerate(annotators)]
    errors = run_in_threads([mark, *drawers])
    assert errors == []
    for image in images:
        kinds = {vector is None for vector in image.annotations.values_list("vector", flat=True)}
        assert len(kinds) == 1, f"{image.name} has a shape and “not in image”"


# --- the whole set "not in image" (API) -----------------------------------------------------------


def nii_url(image_set):
    return reverse("api:imageset-not-in-image", args=[image_set.pk])


def test_api_whole_set(world, api_for):
    label(world.images[0], world.ball)
    answer = api_for(world.bob).post(nii_url(world.private), {"annotation_type": world.ball.pk}, format="json")
    assert answer.status_code == 200
    assert answer.json() == {"created": 4}
    again = api_for(world.bob).post(nii_url(world.private), {"annotation_type": world.ball.pk}, format="json")
    assert again.json() == {"created": 0}


def test_api_whole_set_refusals(world, api_for):
    payload = {"annotation_type": world.ball.pk}
    assert api_for().post(nii_url(world.private), payload, format="json").status_code == 401
    assert api_for(world.otto).post(nii_url(world.private), payload, format="json").status_code == 404
    collaborative = make_imageset(world.team, public=True, public_collaboration=True)
    add_image_rows(collaborative, 1, start=95)
    refused = api_for(world.otto).post(nii_url(collaborative), payload, format="json")
    assert refused.status_code == 403
    assert "detail" in refused.json()
    inactive = api_for(world.bob).post(nii_url(world.private), {"annotation_type": world.old.pk}, format="json")
    assert inactive.status_code == 400
    assert "not active" in inactive.json()["detail"]
    missing = api_for(world.bob).post(nii_url(world.private), {}, format="json")
    assert missing.status_code == 400
    assert "annotation_type" in missing.json()["errors"]
    assert not Annotation.objects.exists()


# --- the whole set "not in image" (set page) ------------------------------------------------------


def annotate_set_url(image_set):
    return reverse("annotations:annotate_set", args=[image_set.pk])


def test_set_page_offers_the_action_to_members_with_counts(world, client_for):
    label(world.images[0], world.ball)
    page = client_for(world.bob).get(world.private.get_absolute_url())
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="not-in-image-panel"' in html
    assert annotate_set_url(world.private) in html
    assert "work-ball (4 images without a label)" in html
    assert "work-goal (5 images without a label)" in html
    assert "work-old" not in html  # inactive types are not offered


def test_set_page_hides_the_action_without_edit_set(world, client_for):
    collaborative = make_imageset(world.team, public=True, public_collaboration=True)
    add_image_rows(collaborative, 1, start=96)
    page = client_for(world.otto).get(collaborative.get_absolute_url())
    assert page.status_code == 200
    assert 'id="not-in-image-panel"' not in page.content.decode()


def test_set_page_hides_the_action_for_an_empty_set(world, client_for):
    empty = make_imageset(world.team)
    page = client_for(world.bob).get(empty.get_absolute_url())
    assert 'id="not-in-image-panel"' not in page.content.decode()


def test_page_action_asks_for_confirmation_then_marks(world, client_for):
    label(world.images[0], world.ball)
    client = client_for(world.bob)
    confirm = client.post(annotate_set_url(world.private), {"annotation_type": world.ball.pk})
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "<strong>4 images</strong> of 5 will be marked" in html
    assert 'name="confirmed" value="1"' in html
    assert not Annotation.objects.filter(vector__isnull=True).exists()  # nothing yet
    done = client.post(
        annotate_set_url(world.private), {"annotation_type": world.ball.pk, "confirmed": "1"}, follow=True
    )
    assert done.redirect_chain[-1][0] == world.private.get_absolute_url()
    assert "4 images marked “not in image” for work-ball." in done.content.decode()
    assert Annotation.objects.filter(vector__isnull=True, annotation_type=world.ball).count() == 4
    nothing = client.post(annotate_set_url(world.private), {"annotation_type": world.ball.pk})
    assert "there is nothing to mark" in nothing.content.decode()


def test_page_action_refusals(world, client_for):
    url = annotate_set_url(world.private)
    assert client_for(world.bob).get(url).status_code == 405
    assert client_for(world.otto).post(url, {"annotation_type": world.ball.pk, "confirmed": "1"}).status_code == 404
    collaborative = make_imageset(world.team, public=True, public_collaboration=True)
    add_image_rows(collaborative, 1, start=97)
    refused = client_for(world.otto).post(
        annotate_set_url(collaborative), {"annotation_type": world.ball.pk, "confirmed": "1"}
    )
    assert refused.status_code == 403
    inactive = client_for(world.bob).post(url, {"annotation_type": world.old.pk, "confirmed": "1"}, follow=True)
    assert "is not active" in inactive.content.decode()
    unknown = client_for(world.bob).post(url, {"annotation_type": "abc", "confirmed": "1"}, follow=True)
    assert "Choose an annotation type" in unknown.content.decode()
    assert not Annotation.objects.exists()
    anonymous = client_for(world.bob)
    anonymous.logout()
    assert anonymous.post(url, {"annotation_type": world.ball.pk}).status_code == 302  # to the log-in page
