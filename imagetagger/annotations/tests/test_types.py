"""Annotation types: the staff services (annotations/types.py) and the REST API (annotations/api_types.py)."""

import os

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from annotations import types
from annotations.models import Annotation, AnnotationHistory, AnnotationType, HistoryAction, VectorType, Verification
from annotations.tests.type_scenarios import add_boxes, expected_points, make_type
from annotations.vectors import validate_vector
from images.tests.factories import make_imageset

pytestmark = pytest.mark.django_db

API = "/api/v1/annotation-types/"


def error_text(excinfo):
    return " ".join(excinfo.value.messages)


# --- create_type ---------------------------------------------------------------------------------


def test_staff_create_a_type_with_every_field(staff):
    created = types.create_type(
        actor=staff,
        name="  Goalpost ",
        vector_type=VectorType.POLYGON,
        node_count=5,
        enable_concealed=False,
        enable_blurred=True,
        active=False,
    )

    stored = AnnotationType.objects.get(pk=created.pk)
    assert (stored.name, stored.vector_type, stored.node_count) == ("Goalpost", VectorType.POLYGON, 5)
    assert (stored.enable_concealed, stored.enable_blurred, stored.active) == (False, True, False)


def test_create_defaults_to_an_active_box_type_with_both_flags(staff):
    created = types.create_type(actor=staff, name="Ball")

    assert (created.vector_type, created.node_count, created.active) == (VectorType.BOUNDING_BOX, 0, True)
    assert created.enable_concealed
    assert created.enable_blurred


@pytest.mark.parametrize("actor_kind", ["user", "anonymous", "none"])
def test_only_staff_create_types(user, actor_kind):
    from django.contrib.auth.models import AnonymousUser

    actor = {"user": user, "anonymous": AnonymousUser(), "none": None}[actor_kind]

    with pytest.raises(PermissionDenied, match="staff"):
        types.create_type(actor=actor, name="Ball")

    assert not AnnotationType.objects.exists()


def test_a_name_of_20_characters_is_fine_21_is_refused(staff):
    types.create_type(actor=staff, name="x" * 20)

    with pytest.raises(ValidationError) as excinfo:
        types.create_type(actor=staff, name="y" * 21)

    assert excinfo.value.message_dict["name"] == ["The name has 21 characters; at most 20 are allowed."]
    assert AnnotationType.objects.count() == 1


@pytest.mark.parametrize("name", ["", "   ", None, 12, "tab\there", "nul\x00"])
def test_empty_or_odd_names_are_refused(staff, name):
    with pytest.raises(ValidationError) as excinfo:
        types.create_type(actor=staff, name=name)

    assert "name" in excinfo.value.message_dict
    assert not AnnotationType.objects.exists()


@pytest.mark.parametrize("other", ["Ball", "ball", "BALL", " bAlL "])
def test_names_are_unique_whatever_their_case(staff, other):
    make_type("Ball")

    with pytest.raises(ValidationError) as excinfo:
        types.create_type(actor=staff, name=other)

    assert excinfo.value.message_dict["name"] == ["There is already an annotation type named “Ball”."]
    assert AnnotationType.objects.count() == 1


@pytest.mark.parametrize("vector_type", [0, 7, -1, True, "1", None, 1.0])
def test_unknown_vector_types_are_refused(staff, vector_type):
    with pytest.raises(ValidationError) as excinfo:
        types.create_type(actor=staff, name="Ball", vector_type=vector_type)

    assert "1 (Bounding Box)" in excinfo.value.message_dict["vector_type"][0]
    assert not AnnotationType.objects.exists()


@pytest.mark.parametrize(
    ("vector_type", "node_count"),
    [
        (VectorType.POLYGON, 0),
        (VectorType.POLYGON, 3),
        (VectorType.POLYGON, 1000),
        (VectorType.MULTI_LINE, 0),
        (VectorType.MULTI_LINE, 2),
        (VectorType.BOUNDING_BOX, 0),
        (VectorType.POINT, 0),
        (VectorType.LINE, 0),
    ],
)
def test_meaningful_node_counts_are_accepted(staff, vector_type, node_count):
    created = types.create_type(actor=staff, name="T", vector_type=vector_type, node_count=node_count)

    assert AnnotationType.objects.get(pk=created.pk).node_count == node_count


@pytest.mark.parametrize(
    ("vector_type", "node_count", "message"),
    [
        (VectorType.POLYGON, 1, "A polygon has at least 3 nodes"),
        (VectorType.POLYGON, 2, "A polygon has at least 3 nodes"),
        (VectorType.MULTI_LINE, 1, "A multi-line has at least 2 nodes"),
        (VectorType.BOUNDING_BOX, 4, "only to polygons and multi-lines; a bounding box type takes 0"),
        (VectorType.POINT, 1, "a point type takes 0"),
        (VectorType.LINE, 2, "a line type takes 0"),
        (VectorType.POLYGON, -1, "from 0 (any number) to 1000"),
        (VectorType.POLYGON, 1001, "from 0 (any number) to 1000"),
        (VectorType.POLYGON, 2**63, "from 0 (any number) to 1000"),
        (VectorType.POLYGON, "4", "whole number"),
        (VectorType.POLYGON, 4.0, "whole number"),
        (VectorType.POLYGON, True, "whole number"),
        (VectorType.POLYGON, None, "whole number"),
    ],
)
def test_meaningless_node_counts_are_refused_with_the_reason(staff, vector_type, node_count, message):
    with pytest.raises(ValidationError) as excinfo:
        types.create_type(actor=staff, name="T", vector_type=vector_type, node_count=node_count)

    assert message in excinfo.value.message_dict["node_count"][0]
    assert not AnnotationType.objects.exists()


@pytest.mark.parametrize("field", ["active", "enable_concealed", "enable_blurred"])
def test_switches_must_be_booleans(staff, field):
    with pytest.raises(ValidationError) as excinfo:
        types.create_type(actor=staff, name="T", **{field: "yes"})

    assert excinfo.value.message_dict[field] == ["Must be true or false."]
    assert not AnnotationType.objects.exists()


# --- update_type, activate/deactivate, delete ----------------------------------------------------


def test_staff_rename_and_switch(staff):
    ball = make_type("Ball")

    updated = types.update_type(
        actor=staff, annotation_type=ball, name="Football", active=False, enable_concealed=False, enable_blurred=False
    )

    stored = AnnotationType.objects.get(pk=ball.pk)
    assert updated.name == stored.name == "Football"
    assert (stored.active, stored.enable_concealed, stored.enable_blurred) == (False, False, False)


def test_update_changes_only_what_is_given(staff):
    ball = make_type("Ball", enable_blurred=False)

    types.update_type(actor=staff, annotation_type=ball, enable_concealed=False)

    stored = AnnotationType.objects.get(pk=ball.pk)
    assert (stored.name, stored.active, stored.enable_concealed, stored.enable_blurred) == ("Ball", True, False, False)


def test_a_type_may_change_the_case_of_its_own_name(staff):
    ball = make_type("ball")

    types.update_type(actor=staff, annotation_type=ball, name="Ball")

    assert AnnotationType.objects.get(pk=ball.pk).name == "Ball"


def test_renaming_to_another_types_name_in_any_case_is_refused(staff):
    make_type("Ball")
    goal = make_type("Goal")

    with pytest.raises(ValidationError) as excinfo:
        types.update_type(actor=staff, annotation_type=goal, name="BALL", active=False)

    assert excinfo.value.message_dict["name"] == ["There is already an annotation type named “Ball”."]
    stored = AnnotationType.objects.get(pk=goal.pk)
    assert (stored.name, stored.active) == ("Goal", True)  # nothing half-done


def test_update_cannot_change_the_geometry(staff):
    ball = make_type("Ball")

    with pytest.raises(TypeError):
        types.update_type(actor=staff, annotation_type=ball, vector_type=VectorType.POLYGON)

    assert AnnotationType.objects.get(pk=ball.pk).vector_type == VectorType.BOUNDING_BOX


def test_only_staff_update_activate_and_deactivate(user):
    ball = make_type("Ball")

    for change in (
        lambda: types.update_type(actor=user, annotation_type=ball, name="Other"),
        lambda: types.deactivate_type(actor=user, annotation_type=ball),
        lambda: types.activate_type(actor=user, annotation_type=ball),
    ):
        with pytest.raises(PermissionDenied):
            change()

    stored = AnnotationType.objects.get(pk=ball.pk)
    assert (stored.name, stored.active) == ("Ball", True)


def test_deactivate_hides_a_type_and_keeps_its_annotations(world):
    types.deactivate_type(actor=world.stella, annotation_type=world.ball)

    assert not AnnotationType.objects.get(pk=world.ball.pk).active
    assert world.ball not in AnnotationType.objects.active()
    assert Annotation.objects.filter(annotation_type=world.ball).count() == 4
    assert Verification.objects.filter(annotation__annotation_type=world.ball).count() == 8

    types.activate_type(actor=world.stella, annotation_type=world.ball)

    assert AnnotationType.objects.get(pk=world.ball.pk).active


def test_an_unused_type_may_be_deleted(staff):
    ball = make_type("Ball")

    types.delete_type(actor=staff, annotation_type=ball)

    assert not AnnotationType.objects.filter(pk=ball.pk).exists()


def test_a_used_type_is_never_deleted(world):
    with pytest.raises(ValidationError) as excinfo:
        types.delete_type(actor=world.stella, annotation_type=world.lane)

    assert "used by 1 annotation(s)" in error_text(excinfo)
    assert "Deactivate it instead" in error_text(excinfo)
    assert AnnotationType.objects.filter(pk=world.lane.pk).exists()
    assert Annotation.objects.filter(annotation_type=world.lane).count() == 1


def test_a_type_used_only_by_not_in_image_is_used_too(world):
    Annotation.objects.filter(annotation_type=world.ball).exclude(pk=world.nii.pk).delete()

    with pytest.raises(ValidationError):
        types.delete_type(actor=world.stella, annotation_type=world.ball)

    assert AnnotationType.objects.filter(pk=world.ball.pk).exists()


def test_only_staff_delete(user):
    ball = make_type("Ball")

    with pytest.raises(PermissionDenied):
        types.delete_type(actor=user, annotation_type=ball)

    assert AnnotationType.objects.filter(pk=ball.pk).exists()


# --- box → polygon migration ---------------------------------------------------------------------


def corners(box):
    x1, y1, x2, y2 = box["x1"], box["y1"], box["x2"], box["y2"]
    return {"x1": x1, "y1": y1, "x2": x2, "y2": y1, "x3": x2, "y3": y2, "x4": x1, "y4": y2}


def state_of(world):
    """Everything the migration must not touch when it is refused."""
    return (
        list(AnnotationType.objects.order_by("pk").values_list("pk", "vector_type", "node_count")),
        list(Annotation.objects.order_by("pk").values_list("pk", "vector", "version")),
        Verification.objects.count(),
        AnnotationHistory.objects.count(),
        dict(get_user_model().objects.values_list("pk", "points")),
    )


@pytest.mark.parametrize("node_count", [0, 4])
def test_migration_turns_every_box_into_its_four_corners(world, node_count):
    before = {box.pk: box.vector for box in world.boxes}

    result = types.migrate_boxes_to_polygons(actor=world.stella, annotation_type=world.ball, node_count=node_count)

    ball = AnnotationType.objects.get(pk=world.ball.pk)
    assert (ball.vector_type, ball.node_count) == (VectorType.POLYGON, node_count)
    for box in world.boxes:
        stored = Annotation.objects.select_related("image").get(pk=box.pk)
        assert stored.vector == corners(before[box.pk])
        assert stored.annotation_type_id == ball.pk
        # The polygons obey the polygon rules of the type they now belong to.
        assert validate_vector(stored.vector, ball, stored.image) == stored.vector
    assert Annotation.objects.get(pk=world.a1.pk).vector == {
        "x1": 10, "y1": 20, "x2": 30, "y2": 20, "x3": 30, "y3": 40, "x4": 10, "y4": 40,
    }  # fmt: skip
    assert (result.annotations, result.votes, result.points, result.users) == (3, 7, 4, 2)


def test_migration_bumps_versions_and_keeps_everything_else(world):
    types.migrate_boxes_to_polygons(actor=world.stella, annotation_type=world.ball, node_count=0)

    a1, a2, a3 = (Annotation.objects.get(pk=box.pk) for box in world.boxes)
    assert (a1.version, a2.version, a3.version) == (2, 2, 5)
    assert a1.concealed_flag
    assert (a1.user_id, a1.uuid) == (world.alice.pk, world.a1.uuid)
    assert a1.last_editor_id is None  # a type migration is nobody's edit of the label


def test_migration_records_one_history_entry_per_converted_annotation(world):
    types.migrate_boxes_to_polygons(actor=world.stella, annotation_type=world.ball, node_count=4)

    entries = list(AnnotationHistory.objects.order_by("annotation_id"))
    assert [entry.annotation_id for entry in entries] == [box.pk for box in world.boxes]
    for entry, box in zip(entries, world.boxes, strict=True):
        assert entry.action == HistoryAction.UPDATE
        assert entry.user_id == world.stella.pk
        assert entry.annotation_uuid == box.uuid
        assert entry.image_id == box.image_id
        assert entry.before["vector"] == box.vector
        assert entry.before["version"] == box.version
        assert entry.after["vector"] == corners(box.vector)
        assert entry.after["version"] == box.version + 1
        assert entry.after["annotation_type"] == world.ball.pk
    assert entries[0].before["concealed"] is True
    assert entries[0].after["concealed"] is True


def test_migration_deletes_the_votes_on_converted_annotations_only(world):
    types.migrate_boxes_to_polygons(actor=world.stella, annotation_type=world.ball, node_count=0)

    assert not Verification.objects.filter(annotation__in=[box.pk for box in world.boxes]).exists()
    assert set(Verification.objects.values_list("annotation_id", "user_id", "verified")) == {
        (world.nii.pk, world.dave.pk, True),
        (world.goal_box.pk, world.carol.pk, True),
        (world.lane_line.pk, world.dave.pk, True),
    }


def test_migration_takes_exactly_the_lost_accepts_off_the_creators_points(world):
    def points():
        return dict(get_user_model().objects.exclude(is_staff=True).values_list("username", "points"))

    assert points() == {"alice": 3, "bob": 3, "carol": 1, "dave": 0}

    types.migrate_boxes_to_polygons(actor=world.stella, annotation_type=world.ball, node_count=0)

    # alice: −2 (carol's and dave's accepts on a1; her own accept on a3 never counted);
    # bob: −2 (alice's and a deleted user's accepts on a2); rejects cost nothing.
    assert points() == {"alice": 1, "bob": 1, "carol": 1, "dave": 0}
    for person in get_user_model().objects.all():
        assert person.points == expected_points(person)


def test_not_in_image_annotations_stay_as_they_are(world):
    types.migrate_boxes_to_polygons(actor=world.stella, annotation_type=world.ball, node_count=4)

    nii = Annotation.objects.get(pk=world.nii.pk)
    assert (nii.vector, nii.version, nii.annotation_type_id) == (None, 1, world.ball.pk)
    assert nii.verifications.count() == 1
    assert not AnnotationHistory.objects.filter(annotation=nii).exists()


def test_migration_leaves_other_types_alone(world):
    goal_before = Annotation.objects.get(pk=world.goal_box.pk)

    types.migrate_boxes_to_polygons(actor=world.stella, annotation_type=world.ball, node_count=0)

    goal_after = Annotation.objects.get(pk=world.goal_box.pk)
    assert (goal_after.vector, goal_after.version) == (goal_before.vector, goal_before.version)
    assert AnnotationType.objects.get(pk=world.goal.pk).vector_type == VectorType.BOUNDING_BOX


def test_an_unused_box_type_migrates_too(staff):
    ball = make_type("Ball")

    result = types.migrate_boxes_to_polygons(actor=staff, annotation_type=ball, node_count=4)

    assert (result.annotations, result.votes, result.points, result.users) == (0, 0, 0, 0)
    assert AnnotationType.objects.get(pk=ball.pk).vector_type == VectorType.POLYGON


def test_the_preview_tells_what_the_migration_will_do(world):
    preview = types.migration_preview(world.ball)

    assert preview == types.MigrationPreview(annotations=3, not_in_image=1, votes=7, points=4, users=2)
    assert Verification.objects.count() == 10  # a preview changes nothing


@pytest.mark.parametrize("which", ["lane", "polygon", "point", "multi_line", "migrated"])
def test_only_box_types_migrate(world, which):
    if which == "lane":
        target = world.lane
    elif which == "migrated":
        types.migrate_boxes_to_polygons(actor=world.stella, annotation_type=world.ball, node_count=4)
        target = world.ball
    else:
        target = make_type(which, vector_type=getattr(VectorType, which.upper()))
    before = state_of(world)

    with pytest.raises(ValidationError) as excinfo:
        types.migrate_boxes_to_polygons(actor=world.stella, annotation_type=target, node_count=0)

    assert "Only bounding-box types can be migrated to polygons" in error_text(excinfo)
    assert state_of(world) == before


@pytest.mark.parametrize("node_count", [1, 3, 5, -4, "4", None, True, 4.5])
def test_migration_takes_node_count_0_or_4_only(world, node_count):
    before = state_of(world)

    with pytest.raises(ValidationError) as excinfo:
        types.migrate_boxes_to_polygons(actor=world.stella, annotation_type=world.ball, node_count=node_count)

    assert excinfo.value.message_dict["node_count"] == ["Choose 0 (any number of nodes) or 4."]
    assert state_of(world) == before


def test_only_staff_migrate(world):
    before = state_of(world)

    with pytest.raises(PermissionDenied):
        types.migrate_boxes_to_polygons(actor=world.alice, annotation_type=world.ball, node_count=0)

    assert state_of(world) == before


def test_a_failing_migration_leaves_nothing_half_done(world, monkeypatch):
    before = state_of(world)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(AnnotationHistory.objects, "bulk_create", broken)

    with pytest.raises(RuntimeError):
        types.migrate_boxes_to_polygons(actor=world.stella, annotation_type=world.ball, node_count=0)

    assert state_of(world) == before


def migration_queries(make_user, make_team, count, name):
    staff = make_user(f"staff-{name}", is_staff=True)
    creators = [make_user(f"{name}-c1"), make_user(f"{name}-c2")]
    voters = [make_user(f"{name}-v1"), make_user(f"{name}-v2")]
    team = make_team(f"team-{name}", admins=creators, members=voters)
    ball = make_type(name)
    image_set = make_imageset(team)
    add_boxes(ball, image_set, creators[0], voters, count - count // 2)
    add_boxes(ball, image_set, creators[1], voters, count // 2)
    with CaptureQueriesContext(connection) as queries:
        result = types.migrate_boxes_to_polygons(actor=staff, annotation_type=ball, node_count=4)
    assert (result.annotations, result.votes, result.points, result.users) == (count, 2 * count, 2 * count, 2)
    assert AnnotationHistory.objects.filter(annotation__annotation_type=ball).count() == count
    return len(queries)


def test_the_migration_runs_a_fixed_number_of_queries(make_user, make_team):
    few = migration_queries(make_user, make_team, 3, "few")
    many = migration_queries(make_user, make_team, 30, "many")

    assert few == many
    assert few <= 15


# --- REST API ------------------------------------------------------------------------------------


def type_json(annotation_type):
    return {
        "id": annotation_type.pk,
        "name": annotation_type.name,
        "active": annotation_type.active,
        "vector_type": annotation_type.vector_type,
        "vector_type_name": annotation_type.get_vector_type_display(),
        "node_count": annotation_type.node_count,
        "enable_concealed": annotation_type.enable_concealed,
        "enable_blurred": annotation_type.enable_blurred,
        "team": annotation_type.team_id,
        "team_name": annotation_type.team.name if annotation_type.team_id else None,
        "is_tag": annotation_type.is_tag,
        "color": annotation_type.color,
        "sort_order": annotation_type.sort_order,
        "shortcut": annotation_type.shortcut,
        "attributes": annotation_type.attributes,
    }


def test_anonymous_callers_are_refused(api_for):
    make_type("Ball")

    assert api_for().get(API).status_code == 401
    assert api_for().post(API, {"name": "Goal"}, format="json").status_code == 401
    assert AnnotationType.objects.count() == 1


def test_everybody_logged_in_lists_the_active_types_by_name(api_for, user):
    goal = make_type("goal")
    ball = make_type("Ball", vector_type=VectorType.POLYGON, node_count=4)
    make_type("Old", active=False)

    response = api_for(user).get(API)

    assert response.status_code == 200
    assert response.json()["results"] == [type_json(ball), type_json(goal)]


def test_staff_may_list_inactive_types_too(api_for, staff):
    ball, old = make_type("Ball"), make_type("Old", active=False)

    assert [row["id"] for row in api_for(staff).get(API).json()["results"]] == [ball.pk]
    assert [row["id"] for row in api_for(staff).get(API, {"all": "true"}).json()["results"]] == [ball.pk, old.pk]
    assert [row["id"] for row in api_for(staff).get(API, {"all": "false"}).json()["results"]] == [ball.pk]


def test_non_staff_asking_for_inactive_types_get_only_the_active_site_types(api_for, user):
    ball = make_type("Ball")
    make_type("Old", active=False)

    response = api_for(user).get(API, {"all": "true"})

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [ball.pk]


def test_a_malformed_all_flag_is_a_400(api_for, staff):
    response = api_for(staff).get(API, {"all": "maybe"})

    assert response.status_code == 400
    assert response.json()["errors"] == {"all": ["Use true or false."]}


def test_the_list_runs_a_constant_number_of_queries(api_for, user):
    def queries(count, prefix):
        for index in range(count):
            make_type(f"{prefix}{index}")
        api = api_for(user)
        with CaptureQueriesContext(connection) as captured:
            response = api.get(API, {"page_size": 500})
        assert response.status_code == 200
        return len(captured)

    few = queries(3, "a")
    many = queries(30, "b")
    assert few == many


def test_anyone_logged_in_reads_a_site_type_active_or_not(api_for, user, staff):
    old = make_type("Old", active=False)

    for reader in (staff, user):  # labels made with it still refer to it
        response = api_for(reader).get(f"{API}{old.pk}/")
        assert response.status_code == 200
        assert response.json() == type_json(old)
    assert api_for().get(f"{API}{old.pk}/").status_code == 401


@pytest.mark.parametrize("pk", ["0", "999999", "abc", str(2**63), str(10**30)])
def test_unknown_types_are_404(api_for, staff, pk):
    api = api_for(staff)

    assert api.get(f"{API}{pk}/").status_code == 404
    assert api.patch(f"{API}{pk}/", {"name": "x"}, format="json").status_code == 404
    assert api.post(f"{API}{pk}/migrate-to-polygon/", {"node_count": 0}, format="json").status_code == 404
    assert api.delete(f"{API}{pk}/").status_code == 404


def test_staff_create_a_type(api_for, staff):
    response = api_for(staff).post(
        API, {"name": "Goal", "vector_type": 5, "node_count": 4, "enable_blurred": False}, format="json"
    )

    assert response.status_code == 201
    created = AnnotationType.objects.get(name="Goal")
    assert response.json() == type_json(created)
    assert (created.vector_type, created.node_count, created.enable_blurred, created.active) == (5, 4, False, True)


def test_non_staff_cannot_create(api_for, user):
    response = api_for(user).post(API, {"name": "Goal"}, format="json")

    assert response.status_code == 403
    assert not AnnotationType.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "name", "This field is required."),
        ({"name": "x" * 21}, "name", "Ensure this field has no more than 20 characters."),
        ({"name": "ball"}, "name", "There is already an annotation type named “Ball”."),
        ({"name": "Goal", "vector_type": 9}, "vector_type", "“9” is not a valid choice."),
        ({"name": "Goal", "vector_type": 5, "node_count": 2}, "node_count", "A polygon has at least 3 nodes"),
        ({"name": "Goal", "vector_type": 4, "node_count": 1}, "node_count", "A multi-line has at least 2 nodes"),
        ({"name": "Goal", "node_count": 4}, "node_count", "a bounding box type takes 0"),
        ({"name": "Goal", "node_count": -1}, "node_count", "greater than or equal to 0"),
        ({"name": "Goal", "node_count": 10**30}, "node_count", "less than or equal to 1000"),
        ({"name": "Goal", "node_count": "many"}, "node_count", "A valid integer is required."),
        ({"name": "Goal", "active": "perhaps"}, "active", "Must be a valid boolean."),
        ({"name": {"nested": 1}}, "name", "Not a valid string."),
    ],
)
def test_bad_input_to_create_is_a_400_with_the_reason(api_for, staff, body, field, message):
    make_type("Ball")

    response = api_for(staff).post(API, body, format="json")

    assert response.status_code == 400
    assert message.replace("“9”", '"9"') in " ".join(response.json()["errors"][field])
    assert field in response.json()["detail"] or message in response.json()["detail"]
    assert AnnotationType.objects.count() == 1


def test_staff_patch_the_name_and_switches(api_for, staff):
    ball = make_type("Ball")

    response = api_for(staff).patch(
        f"{API}{ball.pk}/", {"name": "Football", "active": False, "enable_concealed": False}, format="json"
    )

    assert response.status_code == 200
    ball.refresh_from_db()
    assert response.json() == type_json(ball)
    assert (ball.name, ball.active, ball.enable_concealed, ball.enable_blurred) == ("Football", False, False, True)


def test_patch_accepts_the_geometry_unchanged(api_for, staff):
    poly = make_type("Poly", vector_type=VectorType.POLYGON, node_count=4)

    response = api_for(staff).patch(
        f"{API}{poly.pk}/", {"name": "Polygon4", "vector_type": 5, "node_count": 4}, format="json"
    )

    assert response.status_code == 200
    assert AnnotationType.objects.get(pk=poly.pk).name == "Polygon4"


@pytest.mark.parametrize("change", [{"vector_type": 5}, {"node_count": 4}, {"vector_type": 1, "node_count": 3}])
def test_patching_the_geometry_is_a_400_and_changes_nothing(api_for, staff, change):
    ball = make_type("Ball")

    response = api_for(staff).patch(f"{API}{ball.pk}/", {"name": "Renamed", **change}, format="json")

    assert response.status_code == 400
    for field in change:
        if getattr(ball, field) != change[field]:
            assert "cannot be changed" in response.json()["errors"][field][0]
    stored = AnnotationType.objects.get(pk=ball.pk)
    assert (stored.name, stored.vector_type, stored.node_count) == ("Ball", VectorType.BOUNDING_BOX, 0)


def test_patch_refuses_a_taken_name(api_for, staff):
    make_type("Ball")
    goal = make_type("Goal")

    response = api_for(staff).patch(f"{API}{goal.pk}/", {"name": "BALL"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"name": ["There is already an annotation type named “Ball”."]}


def test_non_staff_cannot_patch(api_for, user):
    ball = make_type("Ball")

    response = api_for(user).patch(f"{API}{ball.pk}/", {"name": "Mine"}, format="json")

    assert response.status_code == 403
    assert AnnotationType.objects.get(pk=ball.pk).name == "Ball"


def test_put_is_not_offered(api_for, staff):
    ball = make_type("Ball")

    assert api_for(staff).put(f"{API}{ball.pk}/", {"name": "Mine"}, format="json").status_code == 405


def test_staff_migrate_a_box_type_through_the_api(api_for, world):
    response = api_for(world.stella).post(f"{API}{world.ball.pk}/migrate-to-polygon/", {"node_count": 4}, format="json")

    assert response.status_code == 200
    ball = AnnotationType.objects.get(pk=world.ball.pk)
    assert response.json() == {
        "annotation_type": type_json(ball),
        "annotations": 3,
        "votes": 7,
        "points": 4,
        "users": 2,
    }
    assert (ball.vector_type, ball.node_count) == (VectorType.POLYGON, 4)


@pytest.mark.parametrize("body", [{}, {"node_count": 3}, {"node_count": "all"}, {"node_count": None}])
def test_migration_needs_node_count_0_or_4(api_for, world, body):
    before = state_of(world)

    response = api_for(world.stella).post(f"{API}{world.ball.pk}/migrate-to-polygon/", body, format="json")

    assert response.status_code == 400
    assert "node_count" in response.json()["errors"]
    assert state_of(world) == before


def test_migrating_a_non_box_type_is_a_400(api_for, world):
    before = state_of(world)

    response = api_for(world.stella).post(f"{API}{world.lane.pk}/migrate-to-polygon/", {"node_count": 0}, format="json")

    assert response.status_code == 400
    assert "Only bounding-box types can be migrated" in response.json()["detail"]
    assert state_of(world) == before


def test_non_staff_cannot_migrate(api_for, world):
    before = state_of(world)

    response = api_for(world.alice).post(f"{API}{world.ball.pk}/migrate-to-polygon/", {"node_count": 0}, format="json")

    assert response.status_code == 403
    assert state_of(world) == before


def test_migration_is_post_only(api_for, world):
    assert api_for(world.stella).get(f"{API}{world.ball.pk}/migrate-to-polygon/").status_code == 405
    assert AnnotationType.objects.get(pk=world.ball.pk).vector_type == VectorType.BOUNDING_BOX


def test_staff_delete_an_unused_type_but_never_a_used_one(api_for, world):
    unused = make_type("Unused")
    api = api_for(world.stella)

    assert api.delete(f"{API}{unused.pk}/").status_code == 204
    response = api.delete(f"{API}{world.lane.pk}/")

    assert response.status_code == 400
    assert "cannot be deleted" in response.json()["detail"]
    assert not AnnotationType.objects.filter(pk=unused.pk).exists()
    assert AnnotationType.objects.filter(pk=world.lane.pk).exists()


def test_non_staff_cannot_delete(api_for, user):
    ball = make_type("Ball")

    assert api_for(user).delete(f"{API}{ball.pk}/").status_code == 403
    assert AnnotationType.objects.filter(pk=ball.pk).exists()


def test_the_schema_describes_the_endpoints(api_for, user):
    schema = api_for(user).get("/api/schema/", {"format": "json"}).json()

    assert set(schema["paths"]) >= {
        "/api/v1/annotation-types/",
        "/api/v1/annotation-types/{id}/",
        "/api/v1/annotation-types/{id}/migrate-to-polygon/",
    }
    assert set(schema["paths"]["/api/v1/annotation-types/{id}/"]) >= {"get", "patch", "delete"}


# --- fuzzing the endpoints as staff --------------------------------------------------------------
# base/tests/test_api_fuzz.py fuzzes the whole API as a non-staff user (who gets 403 here); this
# fuzzes the annotation-type endpoints as staff, so that generated input reaches the services.


def _types_schema():
    import json

    import schemathesis
    from django.core.wsgi import get_wsgi_application
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    loaded = schemathesis.openapi.from_dict(document).include(path_regex="^/api/v1/annotation-types/")
    loaded.app = get_wsgi_application()
    return loaded


_schema = _types_schema()


@pytest.fixture
def staff_token(db, make_user, keep_request_connection):
    from users.services import create_api_token

    staff = make_user("fuzzing-staff", is_staff=True)
    for vector_type in VectorType:
        make_type(f"type{vector_type.value}", vector_type=vector_type)
    _, key = create_api_token(user=staff, name="fuzz")
    return key


@pytest.fixture
def keep_request_connection():
    """The requests run inside the test's transaction: the WSGI handler must not close the
    connection at the end of each request (as Django's test client arranges)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@_schema.parametrize()
@settings(
    max_examples=int(os.environ.get("IT_FUZZ_EXAMPLES", "15")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_staff_request_answers_with_a_server_error(case, staff_token):
    case.call_and_validate(headers={"Authorization": f"Token {staff_token}"}, checks=[not_a_server_error])
