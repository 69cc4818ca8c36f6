"""Team types and the new type fields in the services (annotations/types.py): who may create and
manage site and team types, names per owner, colours, tags, sort order, shortcuts, and what becomes of
a dissolved team's types (users.services.dissolve_team)."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError

from annotations import types
from annotations.models import Annotation, AnnotationType, VectorType
from annotations.palette import PALETTE
from annotations.tests.type_scenarios import make_type, sized_images
from images.models import ImageSet
from images.tests.factories import make_imageset
from users.services import remove_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user, make_team):
    """staff stella; team "Robots" with admin alice and member bob; carol admin of team "Vision"."""
    stella = make_user("stella", is_staff=True)
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    robots = make_team("Robots", admins=[alice], members=[bob])
    vision = make_team("Vision", admins=[carol])
    return SimpleNamespace(stella=stella, alice=alice, bob=bob, carol=carol, robots=robots, vision=vision)


# --- who creates -----------------------------------------------------------------------------------


def test_team_admins_create_their_teams_types(people):
    created = types.create_type(actor=people.alice, team=people.robots, name="Car")

    stored = AnnotationType.objects.get(pk=created.pk)
    assert (stored.team_id, stored.name, stored.active) == (people.robots.pk, "Car", True)


@pytest.mark.parametrize("who", ["bob", "carol", "stella", "anonymous"])
def test_members_outsiders_staff_and_anonymous_cannot_create_a_teams_type(people, who):
    actor = AnonymousUser() if who == "anonymous" else getattr(people, who)

    with pytest.raises(PermissionDenied, match="Only the admins of the team “Robots”"):
        types.create_type(actor=actor, team=people.robots, name="Car")

    assert not AnnotationType.objects.exists()


@pytest.mark.parametrize("who", ["alice", "bob", "anonymous"])
def test_only_staff_create_site_types(people, who):
    actor = AnonymousUser() if who == "anonymous" else getattr(people, who)

    with pytest.raises(PermissionDenied, match="staff"):
        types.create_type(actor=actor, name="Car")

    assert types.create_type(actor=people.stella, name="Car").team_id is None
    assert AnnotationType.objects.count() == 1


# --- who manages -----------------------------------------------------------------------------------


def _changes(annotation_type):
    return {
        "update": lambda actor: types.update_type(actor=actor, annotation_type=annotation_type, name="Other"),
        "deactivate": lambda actor: types.deactivate_type(actor=actor, annotation_type=annotation_type),
        "delete": lambda actor: types.delete_type(actor=actor, annotation_type=annotation_type),
        "migrate": lambda actor: types.migrate_boxes_to_polygons(
            actor=actor, annotation_type=annotation_type, node_count=0
        ),
    }


@pytest.mark.parametrize("change", ["update", "deactivate", "delete", "migrate"])
@pytest.mark.parametrize("who", ["bob", "carol", "stella", "anonymous"])
def test_only_the_teams_admins_manage_a_teams_type(people, change, who):
    car = make_type("Car", team=people.robots)
    actor = AnonymousUser() if who == "anonymous" else getattr(people, who)

    with pytest.raises(PermissionDenied, match="admins of the team “Robots”"):
        _changes(car)[change](actor)

    stored = AnnotationType.objects.get(pk=car.pk)
    assert (stored.name, stored.active, stored.vector_type) == ("Car", True, VectorType.BOUNDING_BOX)


@pytest.mark.parametrize("change", ["update", "deactivate", "delete", "migrate"])
def test_the_teams_admin_manages_a_teams_type(people, change):
    car = make_type("Car", team=people.robots)

    _changes(car)[change](people.alice)

    stored = AnnotationType.objects.filter(pk=car.pk).first()
    expected = {
        "update": lambda: stored.name == "Other",
        "deactivate": lambda: stored.active is False,
        "delete": lambda: stored is None,
        "migrate": lambda: stored.vector_type == VectorType.POLYGON,
    }
    assert expected[change]()


@pytest.mark.parametrize("change", ["update", "deactivate", "delete", "migrate"])
def test_team_admins_do_not_manage_site_types(people, change):
    ball = make_type("Ball")

    with pytest.raises(PermissionDenied, match="staff"):
        _changes(ball)[change](people.alice)

    assert AnnotationType.objects.get(pk=ball.pk).name == "Ball"


# --- names per owner -------------------------------------------------------------------------------


def test_a_name_is_unique_within_its_owner_only(people):
    make_type("Car")  # a site type
    make_type("Car", team=people.vision)

    mine = types.create_type(actor=people.alice, team=people.robots, name="car")

    assert mine.name == "car"
    with pytest.raises(ValidationError) as excinfo:
        types.create_type(actor=people.alice, team=people.robots, name=" CAR ")
    assert excinfo.value.message_dict["name"] == ["Your team already has an annotation type named “car”."]
    with pytest.raises(ValidationError) as excinfo:
        types.create_type(actor=people.stella, name="cAr")
    assert excinfo.value.message_dict["name"] == ["There is already an annotation type named “Car”."]
    assert AnnotationType.objects.count() == 3


def test_renaming_clashes_only_within_the_owner(people):
    make_type("Bike")  # a site type of that name does not matter
    make_type("Truck", team=people.robots)
    car = make_type("Car", team=people.robots)

    assert types.update_type(actor=people.alice, annotation_type=car, name="bike").name == "bike"
    with pytest.raises(ValidationError) as excinfo:
        types.update_type(actor=people.alice, annotation_type=car, name="TRUCK")
    assert excinfo.value.message_dict["name"] == ["Your team already has an annotation type named “Truck”."]


def test_a_name_taken_in_a_race_answers_the_same_message(people, monkeypatch):
    make_type("Car", team=people.robots)
    # The check before the insert sees no clash (as when another request inserts meanwhile); the
    # database's constraint then refuses the row.
    monkeypatch.setattr(types, "_clean_name", lambda name, **kwargs: name)

    with pytest.raises(ValidationError) as excinfo:
        types.create_type(actor=people.alice, team=people.robots, name="car")

    assert excinfo.value.message_dict["name"] == ["Your team already has an annotation type named “car”."]
    assert AnnotationType.objects.filter(team=people.robots).count() == 1


def test_the_database_refuses_duplicate_names_per_owner(people):
    make_type("Car", team=people.robots)

    with pytest.raises(IntegrityError):
        make_type("CAR", team=people.robots)


# --- colours, tags, order, shortcuts ---------------------------------------------------------------


def test_colours_come_from_the_owners_palette_unless_given(people):
    first = types.create_type(actor=people.alice, team=people.robots, name="A")
    second = types.create_type(actor=people.alice, team=people.robots, name="B")
    given = types.create_type(actor=people.alice, team=people.robots, name="C", color="#ABCDEF")
    other_team = types.create_type(actor=people.carol, team=people.vision, name="A")

    assert (first.color, second.color) == (PALETTE[0], PALETTE[1])
    assert AnnotationType.objects.get(pk=given.pk).color == "#abcdef"
    assert other_team.color == PALETTE[0]  # another owner's palette starts afresh


@pytest.mark.parametrize("color", ["red", "#abc", "#12345g", "123456", 123456, "#1234567", ""])
def test_a_bad_colour_is_refused(people, color):
    with pytest.raises(ValidationError) as excinfo:
        types.create_type(actor=people.alice, team=people.robots, name="Car", color=color)

    assert excinfo.value.message_dict["color"] == [types.COLOR_FORMAT]
    assert not AnnotationType.objects.exists()


def test_a_colour_can_be_changed_or_reset_to_the_palette(people):
    car = types.create_type(actor=people.alice, team=people.robots, name="Car", color="#000000")

    assert types.update_type(actor=people.alice, annotation_type=car, color="#FF0000").color == "#ff0000"
    assert types.update_type(actor=people.alice, annotation_type=car, color=None).color == PALETTE[0]


def test_a_tag_type_has_no_node_count(people):
    night = types.create_type(actor=people.alice, team=people.robots, name="night", vector_type=VectorType.TAG)

    assert night.is_tag
    assert night.node_count == 0
    with pytest.raises(ValidationError) as excinfo:
        types.create_type(actor=people.alice, team=people.robots, name="dusk", vector_type=6, node_count=3)
    assert "a tag type takes 0" in excinfo.value.message_dict["node_count"][0]


def test_sort_order_defaults_to_after_the_owners_last_type(people):
    make_type("Site", sort_order=40)  # another owner's order does not count
    first = types.create_type(actor=people.alice, team=people.robots, name="A")
    placed = types.create_type(actor=people.alice, team=people.robots, name="B", sort_order=7)
    after = types.create_type(actor=people.alice, team=people.robots, name="C")

    assert (first.sort_order, placed.sort_order, after.sort_order) == (0, 7, 8)


@pytest.mark.parametrize("sort_order", [-1, 1.5, "3", True, types.MAX_SORT_ORDER + 1])
def test_a_bad_sort_order_is_refused(people, sort_order):
    with pytest.raises(ValidationError) as excinfo:
        types.create_type(actor=people.alice, team=people.robots, name="Car", sort_order=sort_order)

    assert "sort_order" in excinfo.value.message_dict
    assert not AnnotationType.objects.exists()


@pytest.mark.parametrize("shortcut", [0, 10, -1, 2.0, "3", True])
def test_a_shortcut_is_a_key_from_1_to_9(people, shortcut):
    with pytest.raises(ValidationError) as excinfo:
        types.create_type(actor=people.alice, team=people.robots, name="Car", shortcut=shortcut)

    assert excinfo.value.message_dict["shortcut"] == [
        "Give the keyboard number as a whole number from 1 to 9, or none."
    ]


def test_a_shortcut_is_unique_among_the_owners_active_types(people):
    car = types.create_type(actor=people.alice, team=people.robots, name="Car", shortcut=3)
    make_type("Site", shortcut=3)  # another owner's key does not count
    make_type("Old", team=people.robots, shortcut=4, active=False)  # an inactive type's key neither

    with pytest.raises(ValidationError) as excinfo:
        types.create_type(actor=people.alice, team=people.robots, name="Bus", shortcut=3)
    assert excinfo.value.message_dict["shortcut"] == [
        "The key 3 already picks the type “Car”; choose another key or none."
    ]
    bus = types.create_type(actor=people.alice, team=people.robots, name="Bus", shortcut=4)
    assert bus.shortcut == 4
    assert types.update_type(actor=people.alice, annotation_type=car, shortcut=None).shortcut is None


def test_activating_a_type_whose_key_is_taken_meanwhile_is_refused(people):
    old = make_type("Old", team=people.robots, shortcut=4, active=False)
    make_type("New", team=people.robots, shortcut=4)

    with pytest.raises(ValidationError) as excinfo:
        types.activate_type(actor=people.alice, annotation_type=old)

    assert "“New”" in excinfo.value.message_dict["shortcut"][0]
    assert not AnnotationType.objects.get(pk=old.pk).active


def test_update_changes_the_new_fields(people):
    car = types.create_type(actor=people.alice, team=people.robots, name="Car")

    types.update_type(actor=people.alice, annotation_type=car, sort_order=5, shortcut=2, enable_blurred=False)

    stored = AnnotationType.objects.get(pk=car.pk)
    assert (stored.sort_order, stored.shortcut, stored.enable_blurred, stored.name) == (5, 2, False, "Car")


# --- a dissolved team ------------------------------------------------------------------------------


def test_a_dissolved_teams_used_types_become_inactive_site_types_and_unused_ones_go(people, make_user, make_team):
    lone = make_user("lone")
    team = make_team("Lab", admins=[lone])
    image_set = make_imageset(team, creator=lone)
    image = sized_images(image_set, 1)[0]
    car = make_type("Car", team=team, shortcut=1)
    truck = make_type("Truck", team=team)
    unused = make_type("Unused", team=team)
    make_type("car")  # a site type with the used type's name
    make_type("Car (Lab)")  # and with the first variant too
    label = Annotation.objects.create(image=image, annotation_type=car, user=lone, vector=None)
    Annotation.objects.create(image=image, annotation_type=truck, user=lone, vector=None)
    image_set.annotation_types.add(car, unused)

    remove_member(actor=lone, team=team, user=lone)  # the last member leaves: the team is dissolved

    assert not AnnotationType.objects.filter(pk=unused.pk).exists()
    car, truck = AnnotationType.objects.get(pk=car.pk), AnnotationType.objects.get(pk=truck.pk)
    assert (car.team_id, car.active, car.name, car.shortcut) == (None, False, "Car (2)", None)
    assert (truck.team_id, truck.active, truck.name) == (None, False, "Truck")
    assert Annotation.objects.get(pk=label.pk).annotation_type_id == car.pk
    freed = ImageSet.objects.get(pk=image_set.pk)
    assert freed.team_id is None
    assert list(freed.annotation_types.all()) == [car]


def test_free_site_names_stay_within_20_characters():
    taken = {"a" * 20, f"{'a' * 20} (lab)".lower()}

    name = types._free_site_name("a" * 20, {"a" * 20}, "Lab")
    assert name == f"{'a' * 14} (Lab)"
    assert len(name) == 20
    assert types._free_site_name("a" * 20, taken | {name.lower()}, "Lab") == f"{'a' * 16} (2)"


# --- statistics ------------------------------------------------------------------------------------


def test_set_statistics_count_tags_apart_and_list_the_sets_types_with_colours(people):
    from annotations import work

    image_set = make_imageset(people.robots, creator=people.alice)
    images = sized_images(image_set, 3)
    car = make_type("Car", team=people.robots, color="#112233")
    night = make_type("night", team=people.robots, vector_type=VectorType.TAG)
    make_type("Cat", team=people.vision)  # another team's: never listed for this set
    ball = make_type("Ball")
    Annotation.objects.create(
        image=images[0], annotation_type=car, user=people.bob, vector={"x1": 1, "y1": 1, "x2": 5, "y2": 5}
    )
    Annotation.objects.create(image=images[1], annotation_type=car, user=people.bob, vector=None)
    Annotation.objects.create(image=images[0], annotation_type=night, user=people.bob, vector=None)
    Annotation.objects.create(image=images[2], annotation_type=night, user=people.bob, vector=None)

    statistics = work.imageset_statistics(image_set)

    totals = statistics["annotations"]
    assert (totals["annotations"], totals["shapes"], totals["not_in_image"], totals["tags"]) == (4, 1, 1, 2)
    rows = {row["annotation_type"].name: row for row in statistics["types"]}
    assert list(rows) == ["Car", "night", "Ball"]  # team types first, in schema order
    assert (rows["night"]["tags"], rows["night"]["not_in_image"], rows["night"]["shapes"]) == (2, 0, 0)
    assert (rows["Car"]["tags"], rows["Car"]["not_in_image"], rows["Car"]["shapes"]) == (0, 1, 1)
    assert rows["Car"]["annotation_type"].color == "#112233"
    assert rows["Ball"]["annotations"] == 0
    assert rows["Ball"]["annotation_type"] == ball
    user = work.user_statistics(people.bob, viewer=people.bob)["annotations"]
    assert (user["shapes"], user["not_in_image"], user["tags"]) == (1, 1, 2)


def test_site_statistics_name_site_types_only(people):
    from annotations import statistics

    image_set = make_imageset(people.robots, creator=people.alice)
    images = sized_images(image_set, 2)
    secret = make_type("Secret", team=people.robots)
    ball = make_type("Ball", color="#445566")
    night = make_type("night", vector_type=VectorType.TAG)
    for image in images:
        Annotation.objects.create(image=image, annotation_type=secret, user=people.bob, vector=None)
    Annotation.objects.create(image=images[0], annotation_type=ball, user=people.bob, vector=None)
    Annotation.objects.create(image=images[0], annotation_type=night, user=people.bob, vector=None)

    numbers = statistics.compute_site_statistics()

    assert numbers["annotations"]["not_in_image"] == 3
    assert numbers["annotations"]["tags"] == 1
    assert numbers["top_types"] == [
        {"name": "Ball", "color": "#445566", "count": 1},
        {"name": "night", "color": night.color, "count": 1},
    ]
    series = {entry["name"]: entry for entry in numbers["daily"]["series"]}
    assert set(series) == {"team types", "Ball", "night"}
    assert (series["team types"]["total"], series["team types"]["color"]) == (2, None)
    assert series["Ball"]["color"] == "#445566"
