"""Attribute definitions of a type and their changes (annotations/types.py): a change that existing
labels would not survive is refused with the attribute's name and the number of labels; new defaults
reach the labels; the check reads the labels in a fixed number of queries."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations import types
from annotations.models import Annotation, AnnotationType
from annotations.tests.type_scenarios import sized_images
from images.tests.factories import make_imageset

pytestmark = pytest.mark.django_db

COLOUR = {"name": "colour", "kind": "select", "values": ["red", "green", "blue"]}
SIZE = {"name": "size", "kind": "number", "min": 0, "max": 100, "step": 1}
NOTE = {"name": "note", "kind": "text", "max_length": 20}
OCCLUDED = {"name": "occluded", "kind": "checkbox"}


@pytest.fixture
def lab(make_user, make_team):
    alice = make_user("alice")
    team = make_team("Lab", admins=[alice])
    image_set = make_imageset(team, creator=alice)
    car = types.create_type(actor=alice, team=team, name="Car", attributes=[COLOUR, SIZE, NOTE, OCCLUDED])

    def labels(*values):
        images = sized_images(image_set, len(values))
        return [
            Annotation.objects.create(
                image=image, annotation_type=car, user=alice, vector={"x1": 1, "y1": 1, "x2": 9, "y2": 9}, attributes=v
            )
            for image, v in zip(images, values, strict=True)
        ]

    return alice, car, labels


def change(lab, attributes):
    alice, car, _labels = lab
    return types.update_type(actor=alice, annotation_type=car, attributes=attributes)


def refusal(lab, attributes):
    alice, car, _labels = lab
    before = AnnotationType.objects.get(pk=car.pk).attributes
    with pytest.raises(ValidationError) as excinfo:
        change(lab, attributes)
    assert AnnotationType.objects.get(pk=car.pk).attributes == before  # nothing changed
    return excinfo.value.message_dict["attributes"]


def test_definitions_are_stored_in_canonical_form(lab):
    _alice, car, _labels = lab

    stored = AnnotationType.objects.get(pk=car.pk).attributes

    assert [definition["name"] for definition in stored] == ["colour", "size", "note", "occluded"]
    assert stored[3] == {"name": "occluded", "kind": "checkbox", "required": False, "default": False}


def test_a_bad_definition_is_refused_naming_the_attribute(lab):
    messages = refusal(lab, [COLOUR, {"name": "size", "kind": "number", "min": 5, "max": 1}])

    assert messages == ["Attribute “size”: min must not be greater than max."]


def test_removing_a_select_value_that_labels_use_is_refused_with_their_count(lab):
    *_, labels = lab
    labels(*[{"colour": "red"}] * 12, {"colour": "green"}, {"colour": "blue"})

    messages = refusal(lab, [{**COLOUR, "values": ["blue"]}, SIZE, NOTE, OCCLUDED])

    assert messages[0] == "“colour”: 12 labels use the value “red”, which would be removed."
    assert messages[1] == "“colour”: 1 label uses the value “green”, which would be removed."
    assert messages[-1] == "Change or delete those labels first, or keep the definition."


def test_removing_an_unused_select_value_is_fine(lab):
    *_, labels = lab
    labels({"colour": "red"})

    car = change(lab, [{**COLOUR, "values": ["red", "blue"]}, SIZE, NOTE, OCCLUDED])

    assert car.attributes[0]["values"] == ["red", "blue"]


def test_removing_an_attribute_that_labels_hold_is_refused(lab):
    *_, labels = lab
    labels({"note": "scratched"}, {"note": "new"}, {})

    messages = refusal(lab, [COLOUR, SIZE, OCCLUDED])

    # occluded is a checkbox: every label holds a value once saved through the service; these were
    # made directly, so only the notes count.
    assert messages[0] == "“note”: 2 labels hold a value for it, which would be removed."


def test_changing_the_kind_is_refused_while_labels_hold_values_of_the_old_kind(lab):
    *_, labels = lab
    labels({"size": 3}, {"size": 4}, {})

    messages = refusal(lab, [COLOUR, {"name": "size", "kind": "text"}, NOTE, OCCLUDED])

    assert messages[0] == "“size”: 1 label holds a value it would refuse (it must be text, not 3)."
    assert messages[1] == "“size”: 1 label holds a value it would refuse (it must be text, not 4)."


@pytest.mark.parametrize(
    ("narrowed", "message"),
    [
        ({**SIZE, "max": 10}, "“size”: 1 label holds a value it would refuse (it must be at most 10, not 50)."),
        ({**SIZE, "min": 60}, "“size”: 1 label holds a value it would refuse (it must be at least 60, not 50)."),
        (
            {**SIZE, "step": 20},
            "“size”: 1 label holds a value it would refuse (it must be 0 plus a multiple of 20, not 50).",
        ),
    ],
)
def test_narrowing_a_number_is_refused_while_labels_hold_values_outside(lab, narrowed, message):
    *_, labels = lab
    labels({"size": 50}, {"size": 40})

    messages = refusal(lab, [COLOUR, narrowed, NOTE, OCCLUDED])

    assert messages[0] == message


def test_narrowing_a_text_is_refused_while_longer_texts_exist(lab):
    *_, labels = lab
    labels({"note": "a" * 15}, {"note": "short"})

    messages = refusal(lab, [COLOUR, SIZE, {**NOTE, "max_length": 10}, OCCLUDED])

    assert (
        messages[0] == "“note”: 1 label holds a value it would refuse (it has 15 characters; at most 10 are allowed)."
    )


def test_widening_is_always_fine(lab):
    *_, labels = lab
    labels({"size": 50, "note": "x" * 20, "colour": "red"})

    car = change(lab, [{**COLOUR, "values": ["red", "green", "blue", "black"]}, {**SIZE, "max": 1000}, NOTE, OCCLUDED])

    assert car.attributes[1]["max"] == 1000


def test_making_an_attribute_required_without_default_is_refused_while_labels_lack_it(lab):
    *_, labels = lab
    labels({"colour": "red"}, {}, {})

    messages = refusal(lab, [{**COLOUR, "required": True}, SIZE, NOTE, OCCLUDED])

    assert messages[0] == "“colour”: 2 labels have no value, and it would be required without a default."


def test_making_an_attribute_required_with_a_default_gives_it_to_the_labels_lacking_it(lab):
    *_, labels = lab
    red, empty = labels({"colour": "red"}, {"size": 3})

    change(lab, [{**COLOUR, "required": True, "default": "blue"}, SIZE, NOTE, OCCLUDED])

    assert Annotation.objects.get(pk=red.pk).attributes == {"colour": "red"}
    assert Annotation.objects.get(pk=empty.pk).attributes == {"size": 3, "colour": "blue"}


def test_a_new_attribute_with_a_default_reaches_every_label_in_a_fixed_number_of_queries(lab):
    alice, car, labels = lab

    def queries(count, name):
        labels(*[{"colour": "red"}] * count)
        current = AnnotationType.objects.get(pk=car.pk).attributes
        with CaptureQueriesContext(connection) as captured:
            types.update_type(
                actor=alice,
                annotation_type=car,
                attributes=[*current, {"name": name, "kind": "number", "default": 7}],
            )
        return len(captured)

    few, many = queries(2, "weight"), queries(40, "height")

    assert few == many
    values = list(Annotation.objects.filter(annotation_type=car).values_list("attributes", flat=True))
    assert len(values) == 42
    assert all(value["height"] == 7 and value["colour"] == "red" for value in values)
    assert sum("weight" in value for value in values) == 2


def test_the_check_runs_a_fixed_number_of_queries(lab):
    alice, car, labels = lab

    def queries(count):
        labels(*[{"colour": "green", "size": 5}] * count)
        narrowed = [{**COLOUR, "values": ["green", "blue", "red"]}, {**SIZE, "max": 90}, NOTE, OCCLUDED]
        with CaptureQueriesContext(connection) as captured:
            types.update_type(actor=alice, annotation_type=car, attributes=narrowed)
        types.update_type(actor=alice, annotation_type=car, attributes=[COLOUR, SIZE, NOTE, OCCLUDED])
        return len(captured)

    assert queries(3) == queries(30)


def test_an_unchanged_definition_reads_no_labels(lab):
    alice, car, labels = lab
    labels({"colour": "red"})

    with CaptureQueriesContext(connection) as captured:
        types.update_type(actor=alice, annotation_type=car, attributes=[COLOUR, SIZE, NOTE, OCCLUDED])

    assert not any('annotations_annotation"' in query["sql"] and "attributes" in query["sql"] for query in captured)


def test_a_type_without_labels_may_change_anything(lab):
    car = change(lab, [{"name": "colour", "kind": "number", "required": True}])

    assert car.attributes == [
        {"name": "colour", "kind": "number", "required": True, "default": None, "min": None, "max": None, "step": None}
    ]
