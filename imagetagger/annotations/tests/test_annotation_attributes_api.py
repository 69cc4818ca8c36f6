"""Attribute values and tags through /api/v1/annotations/: read and write (create, change, bulk,
uuid replays), a 400 naming each bad attribute with nothing saved, history, similarity, the
``attribute=name:value`` filter (run this module on SQLite and on PostgreSQL) and query counts."""

import uuid
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations import types
from annotations.models import Annotation, AnnotationHistory, VectorType
from annotations.tests.type_scenarios import make_type, sized_images
from images.tests.factories import make_imageset

pytestmark = pytest.mark.django_db

URL = "/api/v1/annotations/"
BOX = {"x1": 10, "y1": 10, "x2": 40, "y2": 30}
DEFINITIONS = [
    {"name": "colour", "kind": "select", "values": ["red", "green", "blue"], "required": True},
    {"name": "size", "kind": "number", "min": 0, "max": 100, "step": 0.5},
    {"name": "occluded", "kind": "checkbox"},
    {"name": "note", "kind": "text", "max_length": 10},
]


@pytest.fixture
def lab(make_user, make_team):
    """Team "Lab" (admin alice, member bob), a set with 4 images; the team's box type "Car" with
    DEFINITIONS, its tag type "night" (a checkbox "rain"), and the site type "Ball"."""
    alice, bob = make_user("alice"), make_user("bob")
    team = make_team("Lab", admins=[alice], members=[bob])
    image_set = make_imageset(team, creator=alice)
    car = types.create_type(actor=alice, team=team, name="Car", attributes=DEFINITIONS)
    night = types.create_type(
        actor=alice,
        team=team,
        name="night",
        vector_type=VectorType.TAG,
        attributes=[{"name": "rain", "kind": "checkbox"}],
    )
    return SimpleNamespace(
        alice=alice, bob=bob, team=team, image_set=image_set, images=sized_images(image_set, 4), car=car, night=night
    )


def item(lab, image=0, annotation_type=None, vector=BOX, **fields):
    return {
        "image": lab.images[image].pk,
        "annotation_type": (annotation_type or lab.car).pk,
        "vector": vector,
        **fields,
    }


def post(api_for, lab, body, user=None):
    return api_for(user or lab.bob).post(URL, body, format="json")


# --- create and read -------------------------------------------------------------------------------


def test_create_with_values_fills_in_the_defaults_and_reads_them_back(api_for, lab):
    response = post(api_for, lab, item(lab, attributes={"colour": "red", "size": 2.5}))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["attributes"] == {"colour": "red", "size": 2.5, "occluded": False}
    assert (body["is_tag"], body["not_in_image"]) == (False, False)
    assert body["annotation_type"] == {
        "id": lab.car.pk,
        "name": "Car",
        "vector_type": 1,
        "color": lab.car.color,
        "is_tag": False,
    }
    assert Annotation.objects.get().attributes == {"colour": "red", "size": 2.5, "occluded": False}
    assert api_for(lab.alice).get(f"{URL}{body['id']}/").json()["attributes"] == body["attributes"]


def test_whole_numbers_are_stored_as_integers(api_for, lab):
    response = post(api_for, lab, item(lab, attributes={"colour": "red", "size": 4.0}))

    assert response.json()["attributes"]["size"] == 4
    assert isinstance(Annotation.objects.get().attributes["size"], int)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"colour": "red", "speed": 3}, 'Unknown attribute "speed" of type “Car”'),
        ({"colour": "pink"}, 'Attribute “colour” must be one of "red", "green", "blue", not "pink".'),
        ({"colour": 1}, "Attribute “colour” must be one of"),
        ({}, "Attribute “colour” is required."),
        ({"colour": "red", "size": 101}, "Attribute “size” must be at most 100, not 101."),
        ({"colour": "red", "size": -1}, "Attribute “size” must be at least 0, not -1."),
        ({"colour": "red", "size": 0.3}, "Attribute “size” must be 0 plus a multiple of 0.5, not 0.3."),
        ({"colour": "red", "size": "3"}, 'Attribute “size” must be a number, not "3".'),
        ({"colour": "red", "size": True}, "Attribute “size” must be a number, not true."),
        ({"colour": "red", "occluded": "yes"}, 'Attribute “occluded” must be true or false, not "yes".'),
        ({"colour": "red", "note": "x" * 11}, "Attribute “note” has 11 characters; at most 10 are allowed."),
        ({"colour": "red", "note": 5}, "Attribute “note” must be text, not 5."),
        (["colour", "red"], "Give the attributes as an object"),
        ("red", "Give the attributes as an object"),
    ],
)
def test_every_bad_value_is_a_400_naming_the_attribute_and_nothing_is_saved(api_for, lab, values, message):
    response = post(api_for, lab, item(lab, attributes=values))

    assert response.status_code == 400
    body = response.json()
    assert any(message in reason for reason in body["errors"]["attributes"]), body
    assert body["detail"].startswith("attributes: ")
    assert not Annotation.objects.exists()
    assert not AnnotationHistory.objects.exists()


def test_several_bad_values_give_one_reason_each(api_for, lab):
    response = post(api_for, lab, item(lab, attributes={"colour": "pink", "size": 500, "wheels": 4}))

    reasons = response.json()["errors"]["attributes"]
    assert len(reasons) == 3
    assert reasons[0].startswith('Unknown attribute "wheels"')
    assert reasons[1].startswith("Attribute “colour” must be one of")
    assert reasons[2] == "Attribute “size” must be at most 100, not 500."


def test_history_rows_carry_the_attributes(api_for, lab):
    created = post(api_for, lab, item(lab, attributes={"colour": "red"})).json()

    changed = api_for(lab.bob).patch(
        f"{URL}{created['id']}/", {"version": 1, "attributes": {"colour": "blue", "note": "dent"}}, format="json"
    )

    assert changed.status_code == 200, changed.json()
    assert changed.json()["attributes"] == {"colour": "blue", "note": "dent", "occluded": False}
    assert changed.json()["version"] == 2
    history = api_for(lab.bob).get(f"{URL}{created['id']}/history/").json()
    assert [entry["action"] for entry in history] == ["create", "update"]
    assert history[0]["after"]["attributes"] == {"colour": "red", "occluded": False}
    assert history[1]["before"]["attributes"] == {"colour": "red", "occluded": False}
    assert history[1]["after"]["attributes"] == {"colour": "blue", "note": "dent", "occluded": False}


def test_a_bad_change_of_values_is_a_400_and_changes_nothing(api_for, lab):
    created = post(api_for, lab, item(lab, attributes={"colour": "red"})).json()

    response = api_for(lab.bob).patch(
        f"{URL}{created['id']}/", {"version": 1, "attributes": {"colour": "red", "size": 1000}}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"]["attributes"] == ["Attribute “size” must be at most 100, not 1000."]
    stored = Annotation.objects.get()
    assert (stored.version, stored.attributes) == (1, {"colour": "red", "occluded": False})
    assert AnnotationHistory.objects.count() == 1


def test_a_change_without_attributes_keeps_them(api_for, lab):
    created = post(api_for, lab, item(lab, attributes={"colour": "green", "size": 3})).json()

    response = api_for(lab.bob).patch(
        f"{URL}{created['id']}/", {"version": 1, "vector": BOX | {"x2": 50}}, format="json"
    )

    assert response.json()["attributes"] == {"colour": "green", "size": 3, "occluded": False}


def test_a_uuid_replay_answers_the_first_annotation(api_for, lab):
    key = str(uuid.uuid4())
    first = post(api_for, lab, item(lab, uuid=key, attributes={"colour": "red"}))

    again = post(api_for, lab, item(lab, uuid=key, attributes={"colour": "red"}))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["attributes"] == first.json()["attributes"]
    assert Annotation.objects.count() == 1


def test_attributes_never_make_a_label_different(api_for, lab):
    first = post(api_for, lab, item(lab, attributes={"colour": "red"}))

    second = post(api_for, lab, item(lab, attributes={"colour": "blue", "occluded": True}))

    assert second.status_code == 409
    assert (second.json()["code"], second.json()["conflicting_annotation"]) == ("similar", first.json()["id"])
    assert Annotation.objects.count() == 1


# --- tags ------------------------------------------------------------------------------------------


def test_a_tag_has_no_vector_and_comes_once_per_image(api_for, lab):
    tag = post(api_for, lab, item(lab, annotation_type=lab.night, vector=None, attributes={"rain": True}))

    assert tag.status_code == 201, tag.json()
    assert (tag.json()["is_tag"], tag.json()["not_in_image"], tag.json()["vector"]) == (True, False, None)
    assert tag.json()["attributes"] == {"rain": True}
    again = post(api_for, lab, item(lab, annotation_type=lab.night, vector=None))
    assert again.status_code == 409
    assert (again.json()["code"], again.json()["conflicting_annotation"]) == ("similar", tag.json()["id"])
    other_image = post(api_for, lab, item(lab, image=1, annotation_type=lab.night, vector=None))
    assert other_image.status_code == 201


def test_a_tag_with_a_vector_is_a_400(api_for, lab):
    response = post(api_for, lab, item(lab, annotation_type=lab.night, vector=BOX))

    assert response.status_code == 400
    assert "vector" in response.json()["errors"]
    assert not Annotation.objects.exists()


# --- bulk ------------------------------------------------------------------------------------------


def test_bulk_create_carries_values(api_for, lab):
    items = [
        item(lab, 0, attributes={"colour": "red"}),
        item(lab, 1, attributes={"colour": "green", "size": 7}),
        item(lab, 2, annotation_type=lab.night, vector=None),
    ]

    response = api_for(lab.bob).post(f"{URL}bulk/", {"annotations": items}, format="json")

    assert response.status_code == 201, response.json()
    assert [row["attributes"] for row in response.json()] == [
        {"colour": "red", "occluded": False},
        {"colour": "green", "size": 7, "occluded": False},
        {"rain": False},
    ]


def test_bulk_create_is_all_or_nothing_with_a_reason_per_bad_item(api_for, lab):
    items = [
        item(lab, 0, attributes={"colour": "red"}),
        item(lab, 1, attributes={"colour": "red", "size": 200}),
        item(lab, 2, attributes={}),
    ]

    response = api_for(lab.bob).post(f"{URL}bulk/", {"annotations": items}, format="json")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"1", "2"}
    assert "Attribute “size” must be at most 100" in errors["1"]
    assert "Attribute “colour” is required." in errors["2"]
    assert not Annotation.objects.exists()
    assert not AnnotationHistory.objects.exists()


# --- filtering by value ----------------------------------------------------------------------------


@pytest.fixture
def labelled(lab):
    """Labels on 4 images: colour red/red/blue/green, size 5/2.5/5/-, occluded T/F/F/F, note "5" on the
    fourth; plus a site type "Ball" with a checkbox "occluded" (true) and a text "size" ("5")."""
    values = [
        {"colour": "red", "size": 5, "occluded": True},
        {"colour": "red", "size": 2.5, "occluded": False},
        {"colour": "blue", "size": 5, "occluded": False},
        {"colour": "green", "occluded": False, "note": "5"},
    ]
    labels = [
        Annotation.objects.create(image=image, annotation_type=lab.car, user=lab.bob, vector=BOX, attributes=value)
        for image, value in zip(lab.images, values, strict=True)
    ]
    ball = make_type("Ball", attributes=[{"name": "occluded", "kind": "checkbox"}, {"name": "size", "kind": "text"}])
    other = Annotation.objects.create(
        image=lab.images[0], annotation_type=ball, user=lab.bob, vector=BOX, attributes={"occluded": True, "size": "5"}
    )
    return labels, other


def listed(api_for, lab, params):
    response = api_for(lab.bob).get(URL, params)
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_filter_by_one_value_with_the_type_reads_it_as_its_kind(api_for, lab, labelled):
    labels, _other = labelled
    car = lab.car.pk

    assert listed(api_for, lab, {"annotation_type": car, "attribute": "colour:red"}) == [labels[0].pk, labels[1].pk]
    assert listed(api_for, lab, {"annotation_type": car, "attribute": "size:5"}) == [labels[0].pk, labels[2].pk]
    assert listed(api_for, lab, {"annotation_type": car, "attribute": "size:2.5"}) == [labels[1].pk]
    assert listed(api_for, lab, {"annotation_type": car, "attribute": "occluded:true"}) == [labels[0].pk]
    assert listed(api_for, lab, {"annotation_type": car, "attribute": "occluded:FALSE"}) == [
        labels[1].pk,
        labels[2].pk,
        labels[3].pk,
    ]
    assert listed(api_for, lab, {"annotation_type": car, "attribute": "note:5"}) == [labels[3].pk]


def test_filters_are_anded(api_for, lab, labelled):
    labels, _other = labelled

    params = {"annotation_type": lab.car.pk, "attribute": ["colour:red", "size:5"]}

    assert listed(api_for, lab, params) == [labels[0].pk]
    assert listed(api_for, lab, {"attribute": ["colour:red", "colour:blue"]}) == []


def test_without_a_type_values_match_as_json_boolean_number_or_text(api_for, lab, labelled):
    labels, other = labelled

    assert listed(api_for, lab, {"attribute": "occluded:true"}) == [labels[0].pk, other.pk]
    # "5": the number 5 of Car's size, the text "5" of Ball's size and of Car's note (another name)
    assert listed(api_for, lab, {"attribute": "size:5"}) == [labels[0].pk, other.pk, labels[2].pk]
    assert listed(api_for, lab, {"attribute": "note:5"}) == [labels[3].pk]
    assert listed(api_for, lab, {"attribute": "colour:green"}) == [labels[3].pk]
    assert listed(api_for, lab, {"attribute": "colour:purple"}) == []


def test_a_text_value_never_matches_a_boolean_or_a_number_of_a_typed_filter(api_for, lab, labelled):
    _labels, other = labelled

    ball = other.annotation_type_id
    assert listed(api_for, lab, {"annotation_type": ball, "attribute": "size:5"}) == [other.pk]
    assert listed(api_for, lab, {"annotation_type": ball, "attribute": "size:5.0"}) == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"attribute": "colour"}, "Give each attribute filter as name:value"),
        ({"attribute": ":red"}, "Give each attribute filter as name:value"),
        ({"attribute": ["a:1"] * 11}, "At most 10 attribute filters"),
        ({"attribute": "wheels:4", "annotation_type": "CAR"}, "The type “Car” has no attribute “wheels”"),
        ({"attribute": "size:big", "annotation_type": "CAR"}, "Attribute “size” of “Car” is a number, not 'big'."),
        ({"attribute": "size:nan", "annotation_type": "CAR"}, "is a number"),
        ({"attribute": "occluded:maybe", "annotation_type": "CAR"}, "Attribute “occluded” of “Car” is true or false"),
    ],
)
def test_a_malformed_filter_is_a_400(api_for, lab, labelled, params, message):
    if params.get("annotation_type") == "CAR":
        params = {**params, "annotation_type": lab.car.pk}

    response = api_for(lab.bob).get(URL, params)

    assert response.status_code == 400
    assert message in response.json()["errors"]["attribute"][0]


# --- query counts ----------------------------------------------------------------------------------


def test_the_list_runs_a_constant_number_of_queries_with_attributes_and_tags(api_for, lab):
    api = api_for(lab.bob)

    def queries(count):
        images = sized_images(lab.image_set, count)
        for index, image in enumerate(images):
            Annotation.objects.create(
                image=image,
                annotation_type=lab.car,
                user=lab.alice,
                vector=BOX,
                attributes={"colour": "red", "size": index},
            )
            Annotation.objects.create(image=image, annotation_type=lab.night, user=lab.alice, attributes={"rain": True})
        with CaptureQueriesContext(connection) as captured:
            response = api.get(URL, {"page_size": 500, "attribute": "colour:red"})
        assert response.status_code == 200
        return len(captured), len(response.json()["results"])

    few, few_rows = queries(2)
    many, many_rows = queries(25)
    assert (few_rows, many_rows) == (2, 27)
    assert few == many
    with CaptureQueriesContext(connection) as captured:
        response = api.get(URL, {"page_size": 500})
    assert len(response.json()["results"]) == 54
    assert len(captured) == few


# --- another team's types --------------------------------------------------------------------------


def test_another_teams_member_can_neither_use_nor_filter_by_the_teams_types(api_for, lab, make_user, make_team):
    carol = make_user("carol")
    vision = make_team("Vision", admins=[carol])
    her_images = sized_images(make_imageset(vision, creator=carol), 1)
    body = {"image": her_images[0].pk, "annotation_type": lab.car.pk, "vector": BOX, "attributes": {"colour": "red"}}
    Annotation.objects.create(image=lab.images[0], annotation_type=lab.car, user=lab.bob, vector=BOX)

    single = api_for(carol).post(URL, body, format="json")
    bulk = api_for(carol).post(f"{URL}bulk/", {"annotations": [body]}, format="json")
    listed_for_her = api_for(carol).get(URL, {"annotation_type": lab.car.pk, "attribute": "colour:red"})

    assert single.status_code == 400
    assert single.json()["errors"]["annotation_type"] == ["There is no annotation type with this id."]
    assert bulk.status_code == 400
    assert bulk.json()["errors"] == {"0": "There is no annotation type with this id."}
    assert Annotation.objects.filter(image=her_images[0]).count() == 0
    assert listed_for_her.status_code == 200
    assert listed_for_her.json()["results"] == []
