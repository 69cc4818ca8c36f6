"""Attribute values and image tags in every export and import format, and type ownership in export
formats and label imports (issue 12)."""

import io
import json
import xml.etree.ElementTree as ET
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations.attributes import clean_definitions
from annotations.models import Annotation, AnnotationType, VectorType
from exports import importers, standard
from exports.forms_formats import ExportFormatForm
from exports.imports import import_labels
from exports.models import ExportFormat, StandardFormat
from exports.template import render_to_string, validate_templates
from images.tests.factories import make_imageset

from .format_factories import make_format
from .helpers import sized_images

pytestmark = pytest.mark.django_db

UNICODE_TEXT = 'Straße – 東京 "quoted" | pipe, {braces} %%type\\ end'
CAR_ATTRIBUTES = [
    {"name": "occluded", "kind": "checkbox"},
    {"name": "count", "kind": "number", "min": 0, "max": 10, "step": 1},
    {"name": "speed", "kind": "number"},
    {"name": "note", "kind": "text", "max_length": 80},
    {"name": "colour", "kind": "select", "values": ["red", "grün"], "required": True},
    {"name": "truck type", "kind": "text"},
]
CAR_VALUES = [
    {"occluded": False, "count": 0, "speed": -0.125, "note": UNICODE_TEXT, "colour": "grün", "truck type": ""},
    {"occluded": True, "count": 7, "speed": 2.5, "note": "", "colour": "red", "truck type": "tipper"},
    {"occluded": False, "count": 10, "speed": 0, "note": "ü", "colour": "red", "truck type": "x y"},
]


def _type(name, vector_type, team=None, attributes=()):
    return AnnotationType.objects.create(
        name=name, vector_type=vector_type, team=team, attributes=clean_definitions(list(attributes))
    )


@pytest.fixture
def world(make_user, make_team, storage_dir):
    """Two sets of the team with the same 4 images: ``original`` labelled with attribute values
    (cars with all four kinds, zones, a tag per image, a site type without attributes), ``copy`` empty."""
    user = make_user()
    team = make_team(admins=[user])
    original = make_imageset(team, creator=user, name="original")
    copy = make_imageset(team, creator=user, name="copy")
    types = {
        "car": _type("car", VectorType.BOUNDING_BOX, team, CAR_ATTRIBUTES),
        "zone": _type(
            "zone", VectorType.POLYGON, team, [{"name": "kind", "kind": "select", "values": ["grass", "road"]}]
        ),
        "night": _type("night", VectorType.TAG, team, [{"name": "level", "kind": "number", "min": 0, "max": 5}]),
        "ball": _type("ball", VectorType.BOUNDING_BOX),
    }
    images = sized_images(original, 4)
    sized_images(copy, 4)
    create = Annotation.objects.create
    for index, (image, values) in enumerate(zip(images, CAR_VALUES, strict=False)):
        box = {"x1": 10 + index, "y1": 20, "x2": 110, "y2": 220 - index}
        create(image=image, annotation_type=types["car"], vector=box, attributes=values, concealed_flag=index == 1)
        polygon = {"x1": 10, "y1": 10, "x2": 90 + index, "y2": 10, "x3": 50, "y3": 80}
        create(image=image, annotation_type=types["zone"], vector=polygon, attributes={"kind": "road"})
    create(image=images[0], annotation_type=types["night"], vector=None, attributes={"level": 0})
    create(image=images[1], annotation_type=types["night"], vector=None, attributes={"level": 4.5}, blurred_flag=True)
    create(image=images[2], annotation_type=types["ball"], vector={"x1": 1, "y1": 2, "x2": 3, "y2": 4})
    create(image=images[3], annotation_type=types["ball"], vector=None)
    return user, team, original, copy, types


def _export(standard_format, image_set, options=None):
    out = io.BytesIO()
    report = standard.write(standard_format, image_set, out, options or {})
    return out.getvalue(), report


def _import(user, image_set, data, format):
    result = import_labels(actor=user, image_set=image_set, fileobj=io.BytesIO(data), format=format)
    assert result.state == "done", result.error
    return result


def _labels(image_set, *, types=None, shapes_only=False):
    """The set's labels as comparable tuples: image name, type, vector, flags, attribute values."""
    annotations = Annotation.objects.filter(image__image_set=image_set).select_related("image", "annotation_type")
    if types is not None:
        annotations = annotations.filter(annotation_type__name__in=types)
    if shapes_only:
        annotations = annotations.exclude(vector=None)
    return sorted(
        (
            a.image.name,
            a.annotation_type.name,
            json.dumps(a.vector, sort_keys=True),
            a.blurred_flag,
            a.concealed_flag,
            json.dumps(a.attributes, sort_keys=True, ensure_ascii=False),
        )
        for a in annotations
    )


def _types_of(values):
    return {name: type(value).__name__ for name, value in values.items()}


# --- round trips --------------------------------------------------------------------------------------------


def test_pipe_round_trip_keeps_values_tags_and_kinds(world):
    user, _, original, copy, _ = world
    first, report = _export(StandardFormat.PIPE, original)
    text = first.decode()
    assert 'img00000.png|car|{"x1":10,"y1":20,"x2":110,"y2":220}||{"occluded":false,"count":0,' in text
    assert 'img00000.png|night|tag||{"level":0}\n' in text
    assert 'img00001.png|night|tag|b|{"level":4.5}\n' in text
    assert "img00003.png|ball|not in image\n" in text  # no values: the original 3 fields
    result = _import(user, copy, first, "pipe")
    assert (result.created, result.errors) == (10, 0), result.report
    assert _labels(copy) == _labels(original)
    # Kinds survive exactly: 0 stays an int, false a bool, floats floats.
    imported = Annotation.objects.get(image__image_set=copy, image__name="img00000.png", annotation_type__name="car")
    assert imported.attributes == CAR_VALUES[0]
    assert _types_of(imported.attributes) == _types_of(CAR_VALUES[0])
    second, _ = _export(StandardFormat.PIPE, copy)
    assert second == first
    assert report["written"] == {"ball": 2, "car": 3, "night": 2, "zone": 3}


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_coco_round_trip_and_pycocotools_sees_the_attributes(world, tmp_path):
    from pycocotools.coco import COCO

    user, _, original, copy, types = world
    first, report = _export(StandardFormat.COCO, original)
    path = tmp_path / "coco.json"
    path.write_bytes(first)
    coco = COCO(str(path))
    cars = coco.loadAnns(coco.getAnnIds(catIds=[types["car"].pk]))
    assert len(cars) == 3
    by_count = {ann["attributes"]["count"]: ann["attributes"] for ann in cars}
    assert by_count[0] == {"blurred": False, "concealed": False, **CAR_VALUES[0]}
    assert list(by_count[7]) == ["blurred", "concealed", *(d["name"] for d in CAR_ATTRIBUTES)]
    # Image tags and "not in image" have no COCO form: left out and reported.
    assert report["skipped"] == [
        "2 image tags skipped: COCO has no whole-image labels",
        "1 not-in-image label(s) skipped: COCO has no way to say that an object is not in an image",
    ]
    result = _import(user, copy, first, "coco")
    assert (result.created, result.errors) == (7, 0), result.report
    assert _labels(copy) == _labels(original, shapes_only=True)
    imported = Annotation.objects.get(image__image_set=copy, image__name="img00001.png", annotation_type__name="car")
    assert imported.attributes == CAR_VALUES[1]
    assert imported.concealed_flag


def test_voc_round_trip_with_attribute_elements(world):
    user, _, original, copy, types = world
    options = {"types": [types["car"].pk, types["ball"].pk]}
    first, report = _export(StandardFormat.VOC, original, options)
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        root = ET.fromstring(archive.read("Annotations/img00000.xml"))
    car = next(obj for obj in root.iter("object") if obj.findtext("name") == "car")
    pairs = [(a.findtext("name"), a.findtext("value")) for a in car.find("attributes").findall("attribute")]
    assert pairs == [
        ("occluded", "false"),
        ("count", "0"),
        ("speed", "-0.125"),
        ("note", UNICODE_TEXT),
        ("colour", "grün"),
        ("truck type", ""),
    ]
    # A label without values has no <attributes> element.
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        objects = ET.fromstring(archive.read("Annotations/img00002.xml")).findall("object")
    assert [obj.findtext("name") for obj in objects] == ["car", "ball"]
    assert objects[0].find("attributes") is not None
    assert objects[1].find("attributes") is None
    assert "1 not-in-image label(s) skipped" in report["skipped"][0]
    result = _import(user, copy, first, "voc")
    assert (result.created, result.errors) == (4, 0), result.report
    assert _labels(copy) == _labels(original, types=["car", "ball"], shapes_only=True)


def test_template_export_round_trips_through_the_label_import(world):
    user, team, original, copy, types = world
    export_format = make_format(
        team,
        types.values(),
        annotation_format="%%imagename|%%type|{%%vector}|%%ifblurredb%%endif%%ifconcealedc%%endif|%%attributes",
        vector_format='"x%%count1": %%x,"y%%count1": %%y,',
        not_in_image_format="%%imagename|%%type|not in image||%%attributes",
    )
    text, stats = render_to_string(export_format, original)
    assert stats == {"annotations": 10}
    assert 'img00000.png|night|{}||{"level":0}' in text.splitlines()
    result = _import(user, copy, text.encode(), "pipe")
    assert (result.created, result.errors) == (10, 0), result.report
    assert _labels(copy) == _labels(original)


def test_yolo_reports_values_and_tags_it_left_out(world):
    _, _, original, _, _ = world
    _, report = _export(StandardFormat.YOLO, original)
    # 3 cars and 3 zones (polygons written as boxes) had values.
    assert report["left_out"] == ["6 labels: attribute values left out (YOLO cannot carry attributes)"]
    assert "2 image tags skipped: YOLO has no whole-image labels" in report["skipped"]
    _, report = _export(StandardFormat.YOLO_SEGMENTATION, original)
    assert report["left_out"] == ["6 labels: attribute values left out (YOLO segmentation cannot carry attributes)"]
    _, report = _export(StandardFormat.PIPE, original)
    assert report["left_out"] == []
    assert report["skipped"] == []


def test_coco_leaves_out_an_attribute_named_like_a_flag(make_user, make_team, storage_dir):
    user = make_user()
    team = make_team(admins=[user])
    image_set = make_imageset(team, creator=user)
    odd = _type("odd", VectorType.BOUNDING_BOX, team, [{"name": "blurred", "kind": "text"}])
    (image,) = sized_images(image_set, 1)
    Annotation.objects.create(
        image=image, annotation_type=odd, vector={"x1": 1, "y1": 2, "x2": 3, "y2": 4}, attributes={"blurred": "a"}
    )
    data, report = _export(StandardFormat.COCO, image_set)
    assert json.loads(data)["annotations"][0]["attributes"] == {"blurred": False, "concealed": False}
    assert report["left_out"] == [
        "1 label: attribute “blurred” left out (COCO's attributes use this name for ImageTagger's flag)"
    ]


# --- template placeholders ----------------------------------------------------------------------------------


def test_attribute_placeholders_in_every_label_context(world):
    _, team, original, _, types = world
    export_format = make_format(
        team,
        [types["car"], types["ball"], types["night"]],
        annotation_format=(
            "%%imagename %%type [%%vector] %%attr:occluded/%%attr:count/%%attr:speed/%%attr:colour/"
            "%%attr:{truck type}/%%attr:note%%ifconcealed C%%endif %%attributes %%minx"
        ),
        vector_format="(%%x,%%y %%attr:colour)",
        not_in_image_format="%%imagename %%type NOT %%attributes <%%attr:colour>",
    )
    lines = render_to_string(export_format, original)[0].splitlines()
    car_json = json.dumps(CAR_VALUES[0], ensure_ascii=False, separators=(",", ":"))
    assert lines[1] == (
        f"img00000.png car [(10,20 grün)(110,220 grün)] false/0/-0.125/grün//{UNICODE_TEXT} {car_json} 10"
    )
    # An image tag: the annotation format with the vector and geometry empty (not "not in image").
    assert lines[2] == 'img00000.png night [] ///// {"level":0} '
    assert lines[3].startswith("img00001.png car [(11,20 red)(110,219 red)] true/7/2.5/red/tipper/ C ")
    assert lines[6] == "img00002.png ball [(1,2 )(3,4 )] ///// {} 1"  # no values: empty, {}
    assert lines[7] == "img00003.png ball NOT {} <>"


def test_attributes_json_follows_the_definition_order(make_user, make_team):
    team = make_team()
    image_set = make_imageset(team)
    kind = _type("kind", VectorType.BOUNDING_BOX, team, [{"name": "z", "kind": "text"}, {"name": "a", "kind": "text"}])
    (image,) = sized_images(image_set, 1)
    # Stored in another order (PostgreSQL's jsonb sorts keys); a value of a removed definition comes last.
    Annotation.objects.create(
        image=image,
        annotation_type=kind,
        vector={"x1": 1, "y1": 2, "x2": 3, "y2": 4},
        attributes={"a": "1", "old": 2, "z": "2"},
    )
    export_format = make_format(team, [kind], annotation_format="%%attributes|%%attr:z%%attr:a")
    assert render_to_string(export_format, image_set)[0] == '\n{"z":"2","a":"1","old":2}|21\n'


def test_attribute_placeholder_syntax_is_validated():
    errors = validate_templates({"annotation_format": "%%attr %%attr:{} %%attr:ok %%attr:{a b} %%attributes"})
    assert errors == {
        "annotation_format": [
            "Unknown placeholder here: %%attr.",
            "%%attr needs an attribute name: %%attr:NAME (letters, digits, _ and -) or %%attr:{NAME}.",
        ]
    }
    assert validate_templates({"vector_format": "%%attr:x %%attributes"}) == {}
    assert validate_templates({"not_in_image_format": "%%attr:x %%attributes"}) == {}
    assert "Unknown placeholder" in validate_templates({"base_format": "%%content %%attributes"})["base_format"][0]


def test_format_form_refuses_attribute_names_no_chosen_type_has(world, make_user):
    _, team, _, _, types = world
    data = {
        "name": "f",
        "team": team.pk,
        "name_format": "x.txt",
        "min_verifications": "0",
        "annotation_types": [types["car"].pk],
        "base_format": "%%content",
        "annotation_format": "%%attr:colour %%attr:{truck type} %%attr:wheels %%attr:{a b}",
    }
    form = ExportFormatForm(data, teams=team.__class__.objects.filter(pk=team.pk))
    assert not form.is_valid()
    assert form.errors["annotation_format"] == [
        "No chosen type has an attribute “wheels”, “a b” (%%attr:NAME takes letters, digits, _ and -; "
        "write other names as %%attr:{NAME})."
    ]


# --- bad input ----------------------------------------------------------------------------------------------


def _report(result):
    return {entry["line"]: (entry["status"], entry["message"]) for entry in result.report}


def test_pipe_import_names_the_bad_attribute_and_saves_nothing_of_that_line(world):
    user, _, _, copy, _ = world
    box = '{"x1":10,"y1":20,"x2":110,"y2":220}'
    lines = [
        f'img00000.png|car|{box}||{{"colour":"red","wheels":4}}',  # unknown attribute
        f'img00000.png|car|{box}||{{"colour":"red","occluded":"yes"}}',  # wrong kind
        f'img00000.png|car|{box}||{{"colour":"red","count":11}}',  # out of range
        f'img00000.png|car|{box}||{{"count":1}}',  # missing required
        f'img00000.png|car|{box}||{{"colour":"red"',  # not JSON
        f"img00000.png|car|{box}||[1,2]",  # not an object
        f'img00000.png|car|{box}||{{"colour":"red","count":1.5}}',  # off the step
        "img00000.png|night|not in image||{}",  # a tag needs "tag"
        "img00000.png|ball|tag",  # not a tag type
        f'img00000.png|car|{box}||{{"colour":"red","note":"a|b"}}',  # good: | inside the fifth column
    ]
    result = _import(user, copy, "\n".join(lines).encode(), "pipe")
    report = _report(result)
    assert (result.created, result.errors) == (1, 9), result.report
    assert report[1][1].startswith('Unknown attribute "wheels" of type “car”')
    assert report[2][1] == 'Attribute “occluded” must be true or false, not "yes".'
    assert report[3][1] == "Attribute “count” must be at most 10, not 11."
    assert report[4][1] == "Attribute “colour” is required."
    assert report[5][1].startswith("The fifth column (attribute values) is not valid JSON")
    assert report[6][1].startswith("The fifth column (attribute values) must be a JSON object")
    assert "Attribute “count” must be 0 plus a multiple of 1" in report[7][1]
    assert report[8][1] == "The type “night” is an image tag: write “tag” in place of the vector."
    assert report[9][1].startswith("The type “ball” is not an image tag")
    assert report[10][0] == "created"
    (created,) = Annotation.objects.filter(image__image_set=copy)
    assert created.attributes == {"occluded": False, "colour": "red", "note": "a|b"}


def test_pipe_import_of_a_tag_twice_is_a_duplicate(world):
    user, _, _, copy, _ = world
    result = _import(user, copy, b'img00000.png|night|tag||{"level":1}\nimg00000.png|night|{}\n', "pipe")
    assert (result.created, result.duplicates) == (1, 1), result.report
    assert "already has the tag night (line 1 of this file)" in _report(result)[2][1]


def test_voc_and_coco_imports_name_the_bad_attribute(world):
    user, _, original, copy, types = world
    voc, _ = _export(StandardFormat.VOC, original, {"types": [types["car"].pk]})
    with zipfile.ZipFile(io.BytesIO(voc)) as archive:
        xml = archive.read("Annotations/img00000.xml").decode()
    bad = xml.replace("<value>false</value>", "<value>maybe</value>").replace("<value>grün</value>", "<value>x</value>")
    result = _import(user, copy, bad.encode(), "voc")
    assert result.errors == 1
    message = result.report[0]["message"]
    assert 'Attribute “occluded” must be true or false, not "maybe".' in message
    assert "Attribute “colour” must be one of" in message
    coco, _ = _export(StandardFormat.COCO, original, {"types": [types["car"].pk]})
    document = json.loads(coco)
    document["annotations"][0]["attributes"]["count"] = "many"
    document["annotations"][1]["attributes"]["secret"] = 1
    # CVAT's fixed keys are understood: occluded → the concealed flag, rotation 0 dropped.
    document["annotations"][2]["attributes"].update({"rotation": 0.0})
    result = _import(user, copy, json.dumps(document).encode(), "coco")
    report = _report(result)
    assert report[1] == ("error", 'Attribute “count” must be a number, not "many".')
    assert report[2][0] == "error"
    assert 'Unknown attribute "secret" of type “car”' in report[2][1]
    assert report[3][0] == "created"
    assert Annotation.objects.filter(image__image_set=copy).count() == 1


def test_coco_text_values_and_cvat_occluded_are_read_by_kind(world):
    user, _, original, copy, types = world
    coco, _ = _export(StandardFormat.COCO, original, {"types": [types["car"].pk]})
    document = json.loads(coco)
    first = document["annotations"][0]["attributes"]
    del first["concealed"]
    first.update({"occluded": "true", "count": "3", "speed": "1.5"})  # CVAT writes some values as text
    document["annotations"] = [document["annotations"][0]]
    result = _import(user, copy, json.dumps(document).encode(), "coco")
    assert result.created == 1, result.report
    (created,) = Annotation.objects.filter(image__image_set=copy)
    assert created.attributes["occluded"] is True
    assert created.attributes["count"] == 3
    assert created.attributes["speed"] == 1.5
    # occluded is an attribute of "car", so it is not read as the flag.
    assert not created.concealed_flag


def test_parser_keeps_text_values_for_voc():
    xml = (
        b"<annotation><filename>a.png</filename><object><name>car</name><occluded>1</occluded>"
        b"<bndbox><xmin>1</xmin><ymin>2</ymin><xmax>3</xmax><ymax>4</ymax></bndbox>"
        b"<attributes><attribute><name>n</name><value> 1 </value></attribute>"
        b"<attribute><name>n</name><value>2</value></attribute></attributes></object></annotation>"
    )
    (record,) = importers.parse("voc", io.BytesIO(xml))
    assert record.concealed
    assert record.error == "Attribute “n” is given twice."


# --- ownership ------------------------------------------------------------------------------------------------


@pytest.fixture
def teams(make_user, make_team, storage_dir):
    alice, eve = make_user("alice"), make_user("eve")
    robots = make_team("Robots", admins=[alice])
    others = make_team("Others", admins=[eve])
    site = _type("ball", VectorType.BOUNDING_BOX)
    own = _type("goal", VectorType.BOUNDING_BOX, robots)
    foreign = _type("secret", VectorType.BOUNDING_BOX, others)
    return alice, eve, robots, others, site, own, foreign


def _form_data(team, type_ids):
    return {
        "name": "labels",
        "team": team.pk,
        "name_format": "export_%%exportid.txt",
        "min_verifications": "0",
        "annotation_types": type_ids,
        "base_format": "%%content",
        "annotation_format": "%%imagename|%%type",
    }


def test_format_pages_offer_only_site_and_own_types(teams, client_for):
    alice, eve, robots, others, site, own, foreign = teams
    url = reverse("exports:create_format") + f"?team={robots.pk}"
    page = client_for(alice).get(url)
    offered = set(page.context["form"].fields["annotation_types"].queryset)
    assert offered == {site, own}
    response = client_for(alice).post(url, _form_data(robots, [site.pk, foreign.pk]))
    assert response.status_code == 400
    assert "annotation_types" in response.context["form"].errors
    assert not ExportFormat.objects.exists()
    assert client_for(alice).post(url, _form_data(robots, [site.pk, own.pk])).status_code == 302
    export_format = ExportFormat.objects.get()
    edit = reverse("exports:edit_format", args=[export_format.pk])
    assert set(client_for(alice).get(edit).context["form"].fields["annotation_types"].queryset) == {site, own}
    data = _form_data(robots, [foreign.pk])
    del data["team"]
    assert client_for(alice).post(edit, data).status_code == 400
    assert set(export_format.annotation_types.all()) == {site, own}
    # The other side: Others' admin is offered Others' types, not Robots'.
    page = client_for(eve).get(reverse("exports:create_format") + f"?team={others.pk}")
    assert set(page.context["form"].fields["annotation_types"].queryset) == {site, foreign}


def test_a_user_of_two_teams_cannot_mix_their_types(teams, make_team):
    alice, _, robots, _, site, own, foreign = teams
    both = make_team("Both", admins=[alice])
    theirs = _type("theirs", VectorType.BOUNDING_BOX, both)
    team_queryset = robots.__class__.objects.filter(pk__in=[robots.pk, both.pk])
    form = ExportFormatForm(_form_data(robots, [own.pk, theirs.pk]), teams=team_queryset)
    assert set(form.fields["annotation_types"].queryset) == {site, own, theirs}
    assert not form.is_valid()
    assert form.errors["annotation_types"] == [
        "theirs: type(s) of another team; a format of Robots may export only site types and its own."
    ]
    assert ExportFormatForm(_form_data(robots, [own.pk, site.pk]), teams=team_queryset).is_valid()


def test_import_matches_only_types_usable_in_the_set(teams):
    alice, eve, robots, others, site, own, foreign = teams
    image_set = make_imageset(robots, creator=alice)
    sized_images(image_set, 1)
    team_ball = _type("ball", VectorType.BOUNDING_BOX, robots)  # same name as the site type: the team's wins
    box = '{"x1":1,"y1":2,"x2":30,"y2":40}'
    lines = [f"img00000.png|secret|{box}", f"img00000.png|goal|{box}", f"img00000.png|ball|{box}"]
    result = _import(alice, image_set, "\n".join(lines).encode(), "pipe")
    report = _report(result)
    assert report[1] == ("error", "There is no annotation type “secret” usable in this image set.")
    assert report[2][0] == report[3][0] == "created"
    assert set(Annotation.objects.values_list("annotation_type_id", flat=True)) == {own.pk, team_ball.pk}
    # The other side: in Others' set, "secret" is theirs and "goal" (Robots') is unknown.
    their_set = make_imageset(others, creator=eve)
    sized_images(their_set, 1)
    result = _import(eve, their_set, "\n".join(lines[:2]).encode(), "pipe")
    report = _report(result)
    assert report[1][0] == "created"
    assert report[2] == ("error", "There is no annotation type “goal” usable in this image set.")
    # A set that chose its types: another usable type is named as not chosen.
    image_set.annotation_types.set([own])
    result = _import(alice, image_set, f"img00000.png|ball|{box}".encode(), "pipe")
    assert _report(result)[1] == ("error", "The annotation type “ball” is not one of the types this image set uses.")


def test_standard_export_options_refuse_another_teams_type(teams):
    alice, _, robots, _, site, own, foreign = teams
    image_set = make_imageset(robots, creator=alice)
    assert standard.clean_options(StandardFormat.COCO, {"types": [own.pk, site.pk]}, image_set) == {
        "types": sorted([own.pk, site.pk])
    }
    with pytest.raises(ValidationError) as error:
        standard.clean_options(StandardFormat.COCO, {"types": [foreign.pk]}, image_set)
    assert "do not exist" in str(error.value)


# --- query counts -----------------------------------------------------------------------------------------------


def test_exports_with_attributes_read_a_constant_number_of_queries(make_team):
    team = make_team()
    car = _type("car", VectorType.BOUNDING_BOX, team, CAR_ATTRIBUTES)
    night = _type("night", VectorType.TAG, team, [{"name": "level", "kind": "number"}])
    export_format = make_format(
        team, [car, night], annotation_format="%%imagename|%%type|%%attributes|%%attr:colour|%%attr:{truck type}"
    )

    def build(count):
        image_set = make_imageset(team)
        for index, image in enumerate(sized_images(image_set, count)):
            box = {"x1": 1, "y1": 2, "x2": 30, "y2": 40}
            Annotation.objects.create(image=image, annotation_type=car, vector=box, attributes=CAR_VALUES[index % 3])
            Annotation.objects.create(image=image, annotation_type=night, vector=None, attributes={"level": index})
        return image_set

    counts = {"template": [], "coco": [], "voc": [], "pipe": []}
    for image_set in (build(2), build(25)):
        with CaptureQueriesContext(connection) as queries:
            text, stats = render_to_string(export_format, image_set)
        counts["template"].append(len(queries))
        assert stats["annotations"] == 2 * image_set.images.count()
        assert text.count("|grün|") == len([i for i in range(image_set.images.count()) if i % 3 == 0])
        for name in ("coco", "voc", "pipe"):
            with CaptureQueriesContext(connection) as queries:
                _export(name, image_set)
            counts[name].append(len(queries))
    for name, (small, large) in counts.items():
        assert small == large, (name, counts)
