"""/api/v1/annotation-types/ with site and team types: every endpoint for staff, a team's admin, its
member, a member of another team and anonymous callers; filters; the new fields; query counts."""

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.models import Annotation, AnnotationType, VectorType
from annotations.tests.type_scenarios import make_type, sized_images
from images.tests.factories import make_imageset

pytestmark = pytest.mark.django_db

API = "/api/v1/annotation-types/"
ACTORS = ("stella", "alice", "bob", "carol", "anonymous")


@pytest.fixture
def site(make_user, make_team):
    """staff stella; "Robots": admin alice, member bob; "Vision": member carol. Types: site "Ball"
    (active) and "Old" (inactive); Robots' "Car" (active, 2 attributes) and "Wreck" (inactive);
    Vision's "Cat"."""
    stella = make_user("stella", is_staff=True)
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    robots = make_team("Robots", admins=[alice], members=[bob])
    vision = make_team("Vision", members=[carol])
    return SimpleNamespace(
        stella=stella,
        alice=alice,
        bob=bob,
        carol=carol,
        robots=robots,
        vision=vision,
        ball=make_type("Ball"),
        old=make_type("Old", active=False),
        car=make_type(
            "Car",
            team=robots,
            sort_order=1,
            shortcut=2,
            attributes=[
                {"name": "occluded", "kind": "checkbox", "required": False, "default": False},
                {"name": "colour", "kind": "select", "required": False, "default": None, "values": ["red", "blue"]},
            ],
        ),
        wreck=make_type("Wreck", team=robots, active=False),
        cat=make_type("Cat", team=vision),
    )


def client(api_for, site, who):
    return api_for(None if who == "anonymous" else getattr(site, who))


def ids(response):
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


# --- reading ---------------------------------------------------------------------------------------


def test_a_team_type_as_the_api_shows_it(api_for, site):
    body = api_for(site.bob).get(f"{API}{site.car.pk}/").json()

    assert body == {
        "id": site.car.pk,
        "name": "Car",
        "team": site.robots.pk,
        "team_name": "Robots",
        "active": True,
        "vector_type": 1,
        "vector_type_name": "Bounding Box",
        "is_tag": False,
        "node_count": 0,
        "enable_concealed": True,
        "enable_blurred": True,
        "color": site.car.color,
        "sort_order": 1,
        "shortcut": 2,
        "attributes": site.car.attributes,
    }


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("stella", ["ball"]),
        ("alice", ["car", "ball"]),
        ("bob", ["car", "ball"]),
        ("carol", ["cat", "ball"]),
    ],
)
def test_the_list_holds_the_active_types_the_caller_reads_team_types_first(api_for, site, who, expected):
    assert ids(client(api_for, site, who).get(API)) == [getattr(site, name).pk for name in expected]


def test_anonymous_callers_get_401_everywhere(api_for, site):
    api = api_for()

    assert api.get(API).status_code == 401
    assert api.get(f"{API}{site.ball.pk}/").status_code == 401
    assert api.post(API, {"name": "X", "team": site.robots.pk}, format="json").status_code == 401
    assert api.patch(f"{API}{site.car.pk}/", {"name": "X"}, format="json").status_code == 401
    assert api.delete(f"{API}{site.car.pk}/").status_code == 401
    assert AnnotationType.objects.get(pk=site.car.pk).name == "Car"


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("stella", ["ball", "old"]),  # inactive site types: staff manage them
        ("alice", ["wreck", "car", "ball"]),  # inactive types of her team: she manages them
        ("bob", ["car", "ball"]),  # a member manages nothing: active ones only
        ("carol", ["cat", "ball"]),
    ],
)
def test_all_adds_the_inactive_types_the_caller_manages(api_for, site, who, expected):
    response = client(api_for, site, who).get(API, {"all": "true"})

    assert ids(response) == [getattr(site, name).pk for name in expected]


def test_filters_team_and_site(api_for, site):
    api = api_for(site.alice)

    assert ids(api.get(API, {"team": site.robots.pk})) == [site.car.pk]
    assert ids(api.get(API, {"team": site.vision.pk})) == []  # not hers: nothing, and nothing revealed
    assert ids(api.get(API, {"site": "true"})) == [site.ball.pk]
    assert ids(api.get(API, {"site": "true", "team": site.robots.pk})) == []


def test_the_image_set_filter_gives_the_types_usable_in_the_set(api_for, site):
    own = make_imageset(site.robots, creator=site.alice)
    chosen = make_imageset(site.robots, creator=site.alice)
    chosen.annotation_types.add(site.car)
    api = api_for(site.bob)

    assert ids(api.get(API, {"image_set": own.pk})) == [site.car.pk, site.ball.pk]
    assert ids(api.get(API, {"image_set": chosen.pk})) == [site.car.pk]


def test_the_image_set_filter_answers_404_for_a_set_the_caller_may_not_read(api_for, site):
    private = make_imageset(site.robots, creator=site.alice)

    response = api_for(site.carol).get(API, {"image_set": private.pk})

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"team": "x"}, "team"),
        ({"team": "0"}, "team"),
        ({"image_set": "-3"}, "image_set"),
        ({"site": "perhaps"}, "site"),
        ({"all": "maybe"}, "all"),
    ],
)
def test_a_malformed_filter_is_a_400_naming_it(api_for, site, params, field):
    response = api_for(site.alice).get(API, params)

    assert response.status_code == 400
    assert field in response.json()["errors"]


@pytest.mark.parametrize(
    ("who", "status"), [("stella", 404), ("alice", 200), ("bob", 200), ("carol", 404), ("anonymous", 401)]
)
def test_reading_a_team_type(api_for, site, who, status):
    assert client(api_for, site, who).get(f"{API}{site.car.pk}/").status_code == status


@pytest.mark.parametrize(("who", "status"), [("stella", 200), ("alice", 200), ("bob", 200), ("anonymous", 401)])
def test_reading_an_inactive_site_type(api_for, site, who, status):
    """Everybody logged in reads it (labels made with it refer to it); only staff list it (``all``)."""
    assert client(api_for, site, who).get(f"{API}{site.old.pk}/").status_code == status


def test_the_list_runs_a_constant_number_of_queries(api_for, site):
    def queries(count, prefix):
        for index in range(count):
            make_type(f"{prefix}{index}", team=site.robots, attributes=site.car.attributes)
            make_type(f"{prefix}{index}", vector_type=VectorType.TAG)
        api = api_for(site.alice)
        with CaptureQueriesContext(connection) as captured:
            response = api.get(API, {"page_size": 500, "all": "true"})
        assert response.status_code == 200
        return len(captured), len(response.json()["results"])

    few, few_rows = queries(2, "a")
    many, many_rows = queries(25, "b")
    assert many_rows == few_rows + 50
    assert few == many


# --- creating --------------------------------------------------------------------------------------


def test_a_team_admin_creates_a_team_type_with_every_field(api_for, site):
    body = {
        "name": "Bus",
        "team": site.robots.pk,
        "vector_type": 5,
        "node_count": 4,
        "color": "#A0B0C0",
        "sort_order": 9,
        "shortcut": 3,
        "attributes": [{"name": "seats", "kind": "number", "min": 0}],
    }

    response = api_for(site.alice).post(API, body, format="json")

    assert response.status_code == 201, response.json()
    created = AnnotationType.objects.get(name="Bus")
    assert response.json()["id"] == created.pk
    assert (created.team_id, created.color, created.sort_order, created.shortcut) == (site.robots.pk, "#a0b0c0", 9, 3)
    assert created.attributes == [
        {"name": "seats", "kind": "number", "required": False, "default": None, "min": 0, "max": None, "step": None}
    ]
    assert response.json()["team_name"] == "Robots"


def test_a_tag_type_through_the_api(api_for, site):
    response = api_for(site.alice).post(API, {"name": "night", "team": site.robots.pk, "vector_type": 6}, format="json")

    assert response.status_code == 201
    assert (response.json()["is_tag"], response.json()["vector_type_name"]) == (True, "Tag")


@pytest.mark.parametrize(("who", "status"), [("stella", 403), ("bob", 403), ("carol", 403), ("anonymous", 401)])
def test_only_the_teams_admins_create_its_types(api_for, site, who, status):
    response = client(api_for, site, who).post(API, {"name": "Bus", "team": site.robots.pk}, format="json")

    assert response.status_code == status
    assert not AnnotationType.objects.filter(name="Bus").exists()


@pytest.mark.parametrize(("who", "status"), [("stella", 201), ("alice", 403), ("bob", 403), ("carol", 403)])
def test_only_staff_create_site_types(api_for, site, who, status):
    response = client(api_for, site, who).post(API, {"name": "Bus"}, format="json")

    assert response.status_code == status
    assert AnnotationType.objects.filter(name="Bus", team__isnull=True).exists() == (status == 201)


def test_an_unknown_team_is_a_400(api_for, site):
    response = api_for(site.alice).post(API, {"name": "Bus", "team": 999999}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["team"] == ["There is no team with this id."]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "car"}, "name", "Your team already has an annotation type named “Car”."),
        ({"name": "Bus", "color": "blue"}, "color", "Give the colour as #rrggbb"),
        ({"name": "Bus", "shortcut": 2}, "shortcut", "The key 2 already picks the type “Car”"),
        ({"name": "Bus", "shortcut": 10}, "shortcut", "less than or equal to 9"),
        ({"name": "Bus", "sort_order": -1}, "sort_order", "greater than or equal to 0"),
        ({"name": "Bus", "vector_type": 6, "node_count": 3}, "node_count", "a tag type takes 0"),
        ({"name": "Bus", "attributes": [{"name": "seats", "kind": "colour"}]}, "attributes", "Attribute “seats”"),
        ({"name": "Bus", "attributes": {"seats": 1}}, "attributes", "Give the attributes as a list"),
    ],
)
def test_bad_input_to_create_is_a_400_naming_the_field(api_for, site, body, field, message):
    response = api_for(site.alice).post(API, {**body, "team": site.robots.pk}, format="json")

    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"][field])
    assert AnnotationType.objects.filter(team=site.robots).count() == 2


# --- changing, deleting, migrating -----------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), [("stella", 404), ("alice", 200), ("bob", 403), ("carol", 404)])
def test_patching_a_team_type(api_for, site, who, status):
    response = client(api_for, site, who).patch(f"{API}{site.car.pk}/", {"name": "Auto"}, format="json")

    assert response.status_code == status
    assert AnnotationType.objects.get(pk=site.car.pk).name == ("Auto" if status == 200 else "Car")


@pytest.mark.parametrize(("who", "status"), [("stella", 200), ("alice", 403), ("bob", 403), ("carol", 403)])
def test_patching_a_site_type(api_for, site, who, status):
    response = client(api_for, site, who).patch(f"{API}{site.ball.pk}/", {"name": "Sphere"}, format="json")

    assert response.status_code == status
    assert AnnotationType.objects.get(pk=site.ball.pk).name == ("Sphere" if status == 200 else "Ball")


def test_patch_changes_every_new_field(api_for, site):
    body = {
        "color": "#123456",
        "sort_order": 4,
        "shortcut": None,
        "active": False,
        "attributes": [{"name": "occluded", "kind": "checkbox"}],
        "team": site.robots.pk,  # unchanged: accepted
        "vector_type": 1,
    }

    response = api_for(site.alice).patch(f"{API}{site.car.pk}/", body, format="json")

    assert response.status_code == 200, response.json()
    car = AnnotationType.objects.get(pk=site.car.pk)
    assert (car.color, car.sort_order, car.shortcut, car.active) == ("#123456", 4, None, False)
    assert [definition["name"] for definition in car.attributes] == ["occluded"]


def test_patch_cannot_move_a_type_to_another_owner(api_for, site):
    response = api_for(site.alice).patch(f"{API}{site.car.pk}/", {"team": None, "name": "X"}, format="json")

    assert response.status_code == 400
    assert "team" in response.json()["errors"]
    car = AnnotationType.objects.get(pk=site.car.pk)
    assert (car.team_id, car.name) == (site.robots.pk, "Car")


def test_patching_attributes_that_labels_use_is_a_400_naming_the_attribute(api_for, site):
    image_set = make_imageset(site.robots, creator=site.alice)
    for image in sized_images(image_set, 3):
        Annotation.objects.create(
            image=image, annotation_type=site.car, user=site.bob, vector=None, attributes={"colour": "red"}
        )
    narrowed = [site.car.attributes[0], {**site.car.attributes[1], "values": ["blue"]}]

    response = api_for(site.alice).patch(f"{API}{site.car.pk}/", {"attributes": narrowed}, format="json")

    assert response.status_code == 400
    assert (
        response.json()["errors"]["attributes"][0] == "“colour”: 3 labels use the value “red”, which would be removed."
    )
    assert AnnotationType.objects.get(pk=site.car.pk).attributes == site.car.attributes


@pytest.mark.parametrize(("who", "status"), [("stella", 404), ("alice", 204), ("bob", 403), ("carol", 404)])
def test_deleting_a_team_type(api_for, site, who, status):
    response = client(api_for, site, who).delete(f"{API}{site.car.pk}/")

    assert response.status_code == status
    assert AnnotationType.objects.filter(pk=site.car.pk).exists() == (status != 204)


@pytest.mark.parametrize(("who", "status"), [("stella", 404), ("alice", 200), ("bob", 403), ("carol", 404)])
def test_migrating_a_team_type(api_for, site, who, status):
    api = client(api_for, site, who)

    response = api.post(f"{API}{site.car.pk}/migrate-to-polygon/", {"node_count": 4}, format="json")

    assert response.status_code == status
    car = AnnotationType.objects.get(pk=site.car.pk)
    assert car.vector_type == (VectorType.POLYGON if status == 200 else VectorType.BOUNDING_BOX)
    if status == 200:
        assert response.json()["annotation_type"]["team_name"] == "Robots"


@pytest.mark.parametrize("who", ["alice", "bob", "carol"])
def test_only_staff_delete_and_migrate_site_types(api_for, site, who):
    api = client(api_for, site, who)

    assert api.post(f"{API}{site.ball.pk}/migrate-to-polygon/", {"node_count": 0}, format="json").status_code == 403
    assert api.delete(f"{API}{site.ball.pk}/").status_code == 403
    assert AnnotationType.objects.get(pk=site.ball.pk).vector_type == VectorType.BOUNDING_BOX
    assert api_for(site.stella).delete(f"{API}{site.ball.pk}/").status_code == 204


def test_the_schema_validates_without_warnings(db, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"), stderr=StringIO()
    )
    schema = (tmp_path / "schema.yaml").read_text()
    assert "team_name" in schema
    assert "is_tag" in schema
