"""The ready-made export formats write files their readers load as downloaded: JSON lines parse line by
line with json.loads, the CSV loads with csv.DictReader under its header, the label lines read back
through the label import — also with names holding quotes, commas and line breaks, tags, "not in
image" labels, attributes and polygons. And the output kinds' escaping and the %%sep placeholder."""

import csv
import io
import json

import pytest

from annotations.models import VectorType
from exports import outputs
from exports.forms_formats import PRESETS
from exports.template import count_selected, render_to_string

from .format_factories import box, make_annotation, make_format, make_image, make_set, make_type, points

pytestmark = pytest.mark.django_db


@pytest.fixture
def labelled(make_team):
    team = make_team("Robots")
    image_set = make_set(team, 'Yard "east", 2')
    car = make_type('car, "red"')
    area = make_type("area", VectorType.POLYGON)
    weather = make_type("weather", VectorType.TAG)
    first = make_image(image_set, 'a "quoted", name.png')
    second = make_image(image_set, "b.png")
    make_annotation(first, car, box(1, 2, 30, 40), blurred=True)
    make_annotation(first, area, points((5, 5), (50, 5), (30, 40)))
    make_annotation(second, car, None)
    make_annotation(second, weather, None)
    return team, image_set, [car, area, weather]


def _format(team, types, preset):
    return make_format(team, types, **PRESETS[preset]["fields"])


def test_json_lines_parse_line_by_line(labelled):
    team, image_set, types = labelled
    text, stats = render_to_string(_format(team, types, "jsonl"), image_set)
    assert not text.startswith("\n"), "no empty first line"
    records = [json.loads(line) for line in text.splitlines()]
    assert stats["annotations"] == len(records) == 4
    by_type = {record["type"]: record for record in records}
    assert by_type['car, "red"']["image"] in {'a "quoted", name.png', "b.png"}
    polygon = by_type["area"]["vector"]
    assert polygon == {"x1": 5, "y1": 5, "x2": 50, "y2": 5, "x3": 30, "y3": 40}
    assert by_type["weather"]["vector"] == {}, "a tag has no vertices"
    cars = [record for record in records if record["type"] == 'car, "red"']
    assert sorted(str(record["vector"]) for record in cars) == sorted(
        ["None", str({"x1": 1, "y1": 2, "x2": 30, "y2": 40})]
    )
    assert any(record.get("blurred") is True for record in cars)
    assert outputs.check(text, "jsonl")[0] is True


def test_csv_loads_under_its_header(labelled):
    team, image_set, types = labelled
    text, _ = render_to_string(_format(team, types, "csv"), image_set)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == 4
    assert {row["type"] for row in rows} == {'car, "red"', "area", "weather"}
    box_row = next(row for row in rows if row["type"] == 'car, "red"' and row["min_x"])
    assert (box_row["image"], box_row["min_x"], box_row["max_y"], box_row["blurred"]) == (
        'a "quoted", name.png',
        "1",
        "40",
        "true",
    )
    assert outputs.check(text, "csv") == (True, "Valid CSV: 5 rows of 9 fields.")


def test_label_lines_read_back_through_the_import(labelled, make_user):
    from annotations.models import Annotation
    from exports import imports

    team, image_set, types = labelled
    text, _ = render_to_string(_format(team, types[:2], "lines"), image_set)
    assert '|{"x1": 1, "y1": 2, "x2": 30, "y2": 40 }|b' in text
    Annotation.objects.all().delete()
    ada = make_user("ada")
    team.memberships.create(user=ada, is_admin=True)
    done = imports.import_labels(
        actor=ada, image_set=image_set, fileobj=io.BytesIO(text.encode()), format="pipe", filename="labels.txt"
    )
    assert done.errors == 0, done.report
    assert Annotation.objects.filter(image__image_set=image_set).count() == 3


def test_sep_is_a_comma_between_vertices_only(make_team):
    team = make_team("Robots")
    image_set = make_set(team, "Field")
    line = make_type("line", VectorType.LINE)
    make_annotation(make_image(image_set, "a.png"), line, points((1, 2), (3, 4)))
    export_format = make_format(
        team, [line], base_format="%%content", annotation_format="[%%vector]", vector_format="[%%x,%%y]%%sep"
    )
    text, _ = render_to_string(export_format, image_set)
    assert text == "\n[[1,2],[3,4]]\n", "plain text: the original's leading empty line stays"


def test_a_json_document_is_checked_whole():
    assert outputs.check('{"a": [1, 2]}', "json") == (True, "Valid JSON.")
    ok, message = outputs.check('{"a": [1, 2,]}', "json")
    assert ok is False
    assert message.startswith("Not JSON:")
    assert outputs.check("{", "json", complete=False)[0] is None, "a preview's start of a document is not judged"


def test_csv_rows_of_another_width_are_named():
    assert outputs.check("a,b\n1,2\n3\n", "csv") == (False, "CSV row 3 has 1 fields, the first row 2.")


def test_the_default_format_of_the_demo_set_parses_line_by_line(storage_dir):
    from django.core.management import call_command

    from annotations.models import Annotation
    from images.models import ImageSet

    call_command("loaddemo", verbosity=0)
    image_set = ImageSet.objects.get()
    types = {annotation.annotation_type for annotation in Annotation.objects.filter(image__image_set=image_set)}
    export_format = _format(image_set.team, types, "jsonl")
    text, stats = render_to_string(export_format, image_set)
    records = [json.loads(line) for line in text.splitlines()]
    # Labels people voted below the format's least score (0) are left out (the demo has some).
    assert len(records) == stats["annotations"] == count_selected(export_format, image_set) > 0
    assert {record["type"] for record in records} == {annotation_type.name for annotation_type in types}
    # The export of it says which labels the format's least score left out.
    from django.contrib.auth import get_user_model

    from exports import jobs

    admin = get_user_model().objects.get(username="demo-admin")
    export = jobs.create_export(actor=admin, image_set=image_set, export_format=export_format)
    export.refresh_from_db()
    left = Annotation.objects.filter(image__image_set=image_set).count() - len(records)
    assert export.report["filtered"] == [f"{left} labels left out: its score (accepts − rejects) is below 0"]
