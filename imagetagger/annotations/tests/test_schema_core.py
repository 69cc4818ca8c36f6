"""The label schema's core: attribute definitions and values, colours, who may use and manage a type,
which types a set uses, and what the annotation services make of attributes and tags."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from annotations import attributes, palette, services
from annotations.models import Annotation, AnnotationHistory, AnnotationType, VectorType
from annotations.permissions import annotation_type_permissions, type_usable_in_set
from annotations.selectors import types_usable_in_set, types_visible_to
from annotations.services import AnnotationConflict
from images.models import Image
from images.tests.factories import add_image_rows, make_imageset

DEFINITIONS = [
    {"name": "occluded", "kind": "checkbox"},
    {"name": "truncation", "kind": "number", "min": 0, "max": 1, "step": 0.25},
    {"name": "pose", "kind": "select", "values": ["front", "back"], "required": True},
    {"name": "note", "kind": "text", "max_length": 5},
    {"name": "lane", "kind": "number", "min": 1, "default": 2},
]


# --- definitions --------------------------------------------------------------------------------


def test_definitions_come_out_canonical():
    cleaned = attributes.clean_definitions(DEFINITIONS)

    assert [definition["name"] for definition in cleaned] == ["occluded", "truncation", "pose", "note", "lane"]
    assert cleaned[0] == {"name": "occluded", "kind": "checkbox", "required": False, "default": False}
    assert cleaned[1] == {
        "name": "truncation",
        "kind": "number",
        "required": False,
        "min": 0,
        "max": 1,
        "step": 0.25,
        "default": None,
    }
    assert cleaned[2]["values"] == ["front", "back"]
    assert cleaned[3]["max_length"] == 5
    assert attributes.clean_definitions(None) == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"name": "x"}, "list of definitions"),
        ([{"kind": "text"}], "Attribute 1: give it a name"),
        ([{"name": "a", "kind": "colour"}], "“a”: the kind must be one of"),
        ([{"name": "a", "kind": "text"}, {"name": "A", "kind": "text"}], "“A”: another attribute"),
        ([{"name": "a", "kind": "select", "values": []}], "“a”: a select needs a list of values"),
        ([{"name": "a", "kind": "select", "values": ["x", "x"]}], "listed twice"),
        ([{"name": "a", "kind": "number", "min": 3, "max": 1}], "min must not be greater than max"),
        ([{"name": "a", "kind": "number", "step": 0}], "step must be greater than 0"),
        ([{"name": "a", "kind": "number", "max": "9"}], "max must be a number"),
        ([{"name": "a", "kind": "text", "max_length": 0}], "max_length must be a whole number"),
        ([{"name": "a", "kind": "checkbox", "values": ["x"]}], "unknown key(s) for a checkbox: values"),
        ([{"name": "a", "kind": "number", "max": 5, "default": 6}], "the default must be at most 5"),
        ([{"name": "a", "kind": "select", "values": ["x"], "default": "y"}], "the default must be one of"),
        ([{"name": "a", "kind": "checkbox", "required": "yes"}], "required must be true or false"),
        ([{"name": "a\x00", "kind": "text"}], "control characters"),
        ([{"name": "n" * 41, "kind": "text"}], "at most 40 characters"),
        ([{"name": f"a{n}", "kind": "text"} for n in range(51)], "at most 50 attributes"),
    ],
)
def test_bad_definitions_are_refused_naming_the_attribute(raw, expected):
    with pytest.raises(ValidationError) as refused:
        attributes.clean_definitions(raw)

    assert expected in " ".join(refused.value.message_dict["attributes"])


# --- values -------------------------------------------------------------------------------------


def test_values_are_checked_and_defaults_filled_in():
    definitions = attributes.clean_definitions(DEFINITIONS)

    values = attributes.clean_values({"pose": "back", "truncation": 0.5, "note": "ok"}, definitions)

    assert values == {"occluded": False, "truncation": 0.5, "pose": "back", "note": "ok", "lane": 2}
    # whole floats are stored as ints, so 1.0 and 1 are one value
    assert attributes.clean_values({"pose": "front", "truncation": 1.0}, definitions)["truncation"] == 1


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"pose": "front", "colour": "red"}, 'Unknown attribute "colour" of type “car”'),
        ({"pose": "side"}, "Attribute “pose” must be one of"),
        ({}, "Attribute “pose” is required."),
        ({"pose": "front", "occluded": "yes"}, "Attribute “occluded” must be true or false"),
        ({"pose": "front", "truncation": 2}, "Attribute “truncation” must be at most 1"),
        ({"pose": "front", "truncation": 0.3}, "Attribute “truncation” must be 0 plus a multiple of 0.25"),
        ({"pose": "front", "truncation": True}, "Attribute “truncation” must be a number"),
        ({"pose": "front", "truncation": float("nan")}, "Attribute “truncation” must be a number"),
        ({"pose": "front", "lane": 0}, "Attribute “lane” must be at least 1"),
        ({"pose": "front", "note": "too long"}, "Attribute “note” has 8 characters; at most 5"),
        ({"pose": "front", "note": 5}, "Attribute “note” must be text"),
        (["pose"], "Give the attributes as an object"),
    ],
)
def test_bad_values_are_refused_naming_the_attribute(values, expected):
    definitions = attributes.clean_definitions(DEFINITIONS)

    with pytest.raises(ValidationError) as refused:
        attributes.clean_values(values, definitions, type_name="car")

    assert expected in " ".join(refused.value.message_dict["attributes"])


def test_every_bad_value_is_reported_at_once():
    definitions = attributes.clean_definitions(DEFINITIONS)

    with pytest.raises(ValidationError) as refused:
        attributes.clean_values({"occluded": 1, "note": "far too long", "x": 1}, definitions)

    assert len(refused.value.message_dict["attributes"]) == 4  # x, occluded, pose (required), note


def test_summary_follows_the_definition_order():
    definitions = attributes.clean_definitions(DEFINITIONS)

    assert attributes.summary({"pose": "back", "occluded": True}, definitions) == "occluded: yes, pose: back"


# --- colours ------------------------------------------------------------------------------------


def test_the_palette_hands_out_unused_colours_first():
    assert palette.next_color([]) == palette.PALETTE[0]
    assert palette.next_color([palette.PALETTE[0].upper()]) == palette.PALETTE[1]
    assert palette.next_color(list(palette.PALETTE) + [palette.PALETTE[0]]) == palette.PALETTE[1]
    assert palette.normalize_color("#A0B1C2") == "#a0b1c2"
    assert palette.normalize_color("red") is None
    assert len(set(palette.PALETTE)) == len(palette.PALETTE)


@pytest.mark.django_db
def test_types_get_distinct_colours_per_owner(make_team):
    robots, rivals = make_team("Robots"), make_team("Rivals")

    first = AnnotationType.objects.create(name="a", team=robots)
    second = AnnotationType.objects.create(name="b", team=robots)
    other_team = AnnotationType.objects.create(name="a", team=rivals)
    site = AnnotationType.objects.create(name="a")
    chosen = AnnotationType.objects.create(name="c", team=robots, color="#123456")

    assert first.color == palette.PALETTE[0]
    assert second.color == palette.PALETTE[1]
    assert other_team.color == palette.PALETTE[0]  # owners pick independently
    assert site.color == palette.PALETTE[0]
    assert chosen.color == "#123456"


# --- names per owner ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_names_are_unique_case_insensitively_within_their_owner(make_team):
    robots, rivals = make_team("Robots"), make_team("Rivals")
    AnnotationType.objects.create(name="Ball", team=robots)
    AnnotationType.objects.create(name="ball", team=rivals)  # another owner: allowed
    AnnotationType.objects.create(name="BALL")  # the site: allowed

    for duplicate in ({"name": "bAll", "team": robots}, {"name": "Ball"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            AnnotationType.objects.create(**duplicate)


# --- permissions --------------------------------------------------------------------------------


@pytest.fixture
def teams(make_user, make_team):
    ada, bob, rita, stella = make_user("ada"), make_user("bob"), make_user("rita"), make_user("stella", is_staff=True)
    robots = make_team("Robots", admins=[ada], members=[bob])
    rivals = make_team("Rivals", admins=[rita])
    return {
        "ada": ada,
        "bob": bob,
        "rita": rita,
        "stella": stella,
        "robots": robots,
        "rivals": rivals,
        "own": AnnotationType.objects.create(name="ball", team=robots),
        "theirs": AnnotationType.objects.create(name="secret", team=rivals),
        "site": AnnotationType.objects.create(name="person"),
        "retired": AnnotationType.objects.create(name="old", active=False),
    }


@pytest.mark.django_db
def test_who_may_do_what_with_a_type(teams):
    from django.contrib.auth.models import AnonymousUser

    def allowed(user, name):
        return set(annotation_type_permissions(user, teams[name]))

    assert allowed(teams["ada"], "own") == {"read", "use", "manage"}
    assert allowed(teams["bob"], "own") == {"read", "use"}
    assert allowed(teams["rita"], "own") == set()  # another team's schema is invisible
    assert allowed(teams["stella"], "own") == set()  # staff included
    assert allowed(AnonymousUser(), "own") == set()
    assert allowed(teams["bob"], "site") == {"read", "use"}
    assert allowed(teams["ada"], "site") == {"read", "use"}  # team admins do not manage site types
    assert allowed(teams["stella"], "site") == {"read", "use", "manage"}
    assert allowed(teams["bob"], "retired") == {"read"}  # its labels still refer to it
    assert allowed(teams["stella"], "retired") == {"read", "use", "manage"}


@pytest.mark.django_db
def test_an_inactive_team_type_is_read_but_not_used(teams):
    teams["own"].active = False
    teams["own"].save()

    assert set(annotation_type_permissions(teams["ada"], teams["own"])) == {"read", "manage"}


@pytest.mark.django_db
def test_the_types_a_user_sees(teams):
    assert [t.name for t in types_visible_to(teams["bob"])] == ["ball", "person"]
    assert [t.name for t in types_visible_to(teams["rita"])] == ["secret", "person"]
    assert [t.name for t in types_visible_to(teams["stella"])] == ["old", "person"]


# --- a set's types ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_set_uses_site_types_and_its_teams_types_unless_it_chose(teams, django_assert_num_queries):
    image_set = make_imageset(teams["robots"])

    with django_assert_num_queries(1):
        assert [t.name for t in types_usable_in_set(image_set)] == ["ball", "person"]
    assert type_usable_in_set(teams["own"], image_set)
    assert not type_usable_in_set(teams["theirs"], image_set)
    assert not type_usable_in_set(teams["retired"], image_set)

    image_set.annotation_types.set([teams["site"]])
    assert [t.name for t in types_usable_in_set(image_set)] == ["person"]
    assert not type_usable_in_set(teams["own"], image_set)


@pytest.mark.django_db
def test_a_set_set_free_keeps_the_types_of_the_team_that_made_it(teams):
    image_set = make_imageset(teams["robots"])
    image_set.team = None
    image_set.save()

    assert [t.name for t in types_usable_in_set(image_set)] == ["ball", "person"]


# --- annotations with attributes and tags -------------------------------------------------------


@pytest.fixture
def labelled(teams):
    image_set = make_imageset(teams["robots"])
    image = add_image_rows(image_set, 1)[0]
    Image.objects.filter(pk=image.pk).update(width=100, height=80)
    image.refresh_from_db()
    car = AnnotationType.objects.create(name="car", team=teams["robots"], attributes=DEFINITIONS)
    night = AnnotationType.objects.create(
        name="night", team=teams["robots"], vector_type=VectorType.TAG, attributes=DEFINITIONS[:1]
    )
    return {**teams, "set": image_set, "image": image, "car": car, "night": night}


BOX = {"x1": 1, "y1": 1, "x2": 5, "y2": 5}


@pytest.mark.django_db
def test_a_label_keeps_its_checked_values_in_its_history(labelled):
    annotation, created = services.create_annotation(
        actor=labelled["bob"],
        image=labelled["image"],
        annotation_type=labelled["car"],
        vector=BOX,
        attributes={"pose": "back", "occluded": True},
    )

    assert created
    annotation.refresh_from_db()
    assert annotation.attributes == {"occluded": True, "pose": "back", "lane": 2}
    assert AnnotationHistory.objects.get(annotation=annotation).after["attributes"] == annotation.attributes

    services.update_annotation(
        actor=labelled["bob"], annotation=annotation, expected_version=1, attributes={"pose": "front"}
    )
    entry = AnnotationHistory.objects.filter(annotation=annotation).latest("id")
    assert (entry.action, entry.before["attributes"]["pose"], entry.after["attributes"]["pose"]) == (
        "update",
        "back",
        "front",
    )


@pytest.mark.django_db
def test_bad_values_save_nothing(labelled):
    with pytest.raises(ValidationError) as refused:
        services.create_annotation(
            actor=labelled["bob"],
            image=labelled["image"],
            annotation_type=labelled["car"],
            vector=BOX,
            attributes={"pose": "side"},
        )

    assert "“pose”" in refused.value.message_dict["attributes"][0]
    assert not Annotation.objects.exists()
    assert not AnnotationHistory.objects.exists()


@pytest.mark.django_db
def test_attributes_never_make_a_label_different(labelled):
    first, _ = services.create_annotation(
        actor=labelled["bob"],
        image=labelled["image"],
        annotation_type=labelled["car"],
        vector=BOX,
        attributes={"pose": "back"},
    )

    with pytest.raises(AnnotationConflict) as conflict:
        services.create_annotation(
            actor=labelled["ada"],
            image=labelled["image"],
            annotation_type=labelled["car"],
            vector={"x1": 2, "y1": 2, "x2": 6, "y2": 6},
            attributes={"pose": "front", "occluded": True},
        )
    assert conflict.value.other_id == first.pk


@pytest.mark.django_db
def test_a_tag_is_a_whole_image_label_given_once(labelled):
    tag, _ = services.create_annotation(
        actor=labelled["bob"], image=labelled["image"], annotation_type=labelled["night"], vector=None
    )

    assert tag.is_tag
    assert not tag.not_in_image
    assert tag.attributes == {"occluded": False}
    with pytest.raises(AnnotationConflict) as conflict:
        services.create_annotation(
            actor=labelled["ada"], image=labelled["image"], annotation_type=labelled["night"], vector=None
        )
    assert "already has the tag night" in conflict.value.message
    with pytest.raises(ValidationError) as refused:
        services.create_annotation(
            actor=labelled["ada"], image=labelled["image"], annotation_type=labelled["night"], vector=BOX
        )
    assert "image tag" in refused.value.message_dict["vector"][0]


@pytest.mark.django_db
def test_another_teams_type_cannot_be_used_and_is_not_revealed(labelled):
    with pytest.raises(ValidationError) as refused:
        services.create_annotation(
            actor=labelled["ada"], image=labelled["image"], annotation_type=labelled["theirs"], vector=BOX
        )

    assert refused.value.message_dict["annotation_type"] == ["There is no annotation type with this id."]
    assert not Annotation.objects.exists()


@pytest.mark.django_db
def test_a_type_the_set_did_not_choose_is_refused_by_name(labelled):
    labelled["set"].annotation_types.set([labelled["night"]])

    with pytest.raises(ValidationError) as refused:
        services.create_annotation(
            actor=labelled["ada"], image=labelled["image"], annotation_type=labelled["car"], vector=BOX
        )

    assert "does not use the type “car”" in refused.value.message_dict["annotation_type"][0]


@pytest.mark.django_db
def test_changing_the_type_rechecks_the_values(labelled):
    plain = AnnotationType.objects.create(name="plain", team=labelled["robots"])
    annotation, _ = services.create_annotation(
        actor=labelled["bob"],
        image=labelled["image"],
        annotation_type=labelled["car"],
        vector=BOX,
        attributes={"pose": "back"},
    )

    with pytest.raises(ValidationError) as refused:
        services.update_annotation(
            actor=labelled["bob"], annotation=annotation, expected_version=1, annotation_type=plain
        )
    assert "Unknown attribute" in refused.value.message_dict["attributes"][0]

    services.update_annotation(
        actor=labelled["bob"], annotation=annotation, expected_version=1, annotation_type=plain, attributes={}
    )
    annotation.refresh_from_db()
    assert (annotation.annotation_type_id, annotation.attributes) == (plain.pk, {})


@pytest.mark.django_db
def test_a_user_without_annotate_permission_is_refused_before_the_values(labelled):
    with pytest.raises(PermissionDenied):
        services.create_annotation(
            actor=labelled["rita"],
            image=labelled["image"],
            annotation_type=labelled["car"],
            vector=BOX,
            attributes={"pose": "nonsense"},
        )
