"""Exports of a fixed set stay byte-identical to stored outputs (exports/tests/data/golden_exports.txt).

The template engine and the COCO writer are tuned for speed (rows straight from a cursor, formats
compiled once); these tests pin their output to the bytes the straightforward implementation wrote.
The set covers every vector type, image tags, "not in image", the flags and their conditionals, votes
(scores and ``min_verifications``), relative coordinates, attributes, the image aggregation, data
containing ``%%``, braces and non-ASCII text. Database ids vary between runs and databases, so the
COCO output's ids are renumbered in order of appearance, and the templates use no id placeholders.

To write the stored file again (only after checking the difference by hand):
``IT_WRITE_GOLDEN=1 .venv/bin/pytest imagetagger/exports/tests/test_output_golden.py``.
"""

import os
import re
from pathlib import Path

import pytest

from annotations.attributes import clean_definitions
from annotations.models import AnnotationType, VectorType
from exports import jobs, template
from exports.models import Export
from exports.standard import write as write_standard
from exports.template import render_to_string

from .format_factories import box, make_annotation, make_format, make_image, make_set, points

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).parent / "data" / "golden_exports.txt"
SEPARATOR = "\n=====8<===== "

ROUND_TRIP = "%%imagename|%%type|{%%vector}|%%ifblurredb%%endif%%ifconcealedc%%endif"
VECTOR_JSON = '"x%%count1": %%x,"y%%count1": %%y,'
GEOMETRY = "|".join(f"%%{name}" for name in template.GEOMETRY)  # every geometry placeholder


def _type(name, vector_type, team=None, attributes=(), **fields):
    return AnnotationType.objects.create(
        name=name, vector_type=vector_type, team=team, attributes=clean_definitions(list(attributes)), **fields
    )


@pytest.fixture
def fixed_set(make_user, make_team):
    voters = [make_user(f"voter{number}") for number in range(3)]
    team = make_team("Team {A} %%team")
    image_set = make_set(team, "Set %%imagename {x}", description="Beschreibung: ü {y}", location="Hall 3 %%content")
    types = {
        "car": _type(
            "car",
            VectorType.BOUNDING_BOX,
            team,
            [
                {"name": "colour", "kind": "select", "values": ["red", "grün"]},
                {"name": "count", "kind": "number"},
                {"name": "occluded", "kind": "checkbox"},
                {"name": "truck type", "kind": "text"},
            ],
        ),
        "zone": _type("zone", VectorType.POLYGON, enable_blurred=False),
        "spot": _type("spot", VectorType.POINT, enable_concealed=False),
        "lane": _type("lane", VectorType.LINE),
        "path": _type("path", VectorType.MULTI_LINE),
        "night": _type("night", VectorType.TAG, team, [{"name": "level", "kind": "number"}]),
    }
    first = make_image(image_set, "b/{braces} %%type ü.png", width=640, height=480)
    second = make_image(image_set, "a|pipe.jpg", width=333, height=0)
    third = make_image(image_set, "a|pipe.jpg", width=1920, height=1080)  # the same name again
    make_image(image_set, "z-empty.png", width=10, height=10)
    up, down = True, False
    make_annotation(first, types["car"], box(10, 20, 110, 220), blurred=True, votes=[(voters[0], up)])
    make_annotation(first, types["car"], box(0, 0, 640, 480), concealed=True)
    make_annotation(first, types["zone"], points((1, 1), (50, 9), (5, 40), (3, 3)), blurred=True)
    make_annotation(first, types["spot"], points((7, 9)), concealed=True, votes=[(voters[1], down)])
    make_annotation(first, types["lane"], points((1, 2), (30, 40)), votes=[(voters[0], up), (voters[1], up)])
    make_annotation(first, types["path"], points((0, 0), (10, 5), (20, 0), (30, 5)))
    make_annotation(first, types["car"], None)
    make_annotation(first, types["night"], None, blurred=True)
    make_annotation(second, types["car"], box(1, 2, 3, 4), votes=[(v, down) for v in voters])
    make_annotation(second, types["zone"], points((0, 0), (300, 0), (150, 0)))
    make_annotation(second, types["spot"], None, votes=[(voters[2], up)])
    make_annotation(third, types["car"], box(100, 100, 1820, 980))
    make_annotation(third, types["path"], points((5, 5), (6, 6)), blurred=True, concealed=True)
    make_annotation(third, types["night"], None)
    from annotations.models import Annotation

    Annotation.objects.filter(annotation_type=types["car"], image=first).exclude(vector=None).update(
        attributes={"truck type": "tipper {x}", "colour": "grün", "count": 2.5, "occluded": True, "gone": [1, 2]}
    )
    Annotation.objects.filter(annotation_type=types["car"], image=second).update(attributes={"count": 0})
    Annotation.objects.filter(annotation_type=types["car"], vector=None).update(attributes={"colour": "red"})
    Annotation.objects.filter(annotation_type=types["night"], image=first).update(attributes={"level": 4})
    return team, image_set, types


def _formats(team, types):
    every = list(types.values())
    return {
        "round trip": make_format(
            team,
            every,
            annotation_format=ROUND_TRIP + "|%%veriamount",
            vector_format=VECTOR_JSON,
            not_in_image_format="%%imagename|%%type|not in image|%%veriamount",
        ),
        "geometry, relative points, min 1 vote": make_format(
            team,
            every,
            min_verifications=1,
            annotation_format="%%type %%imagewidth×%%imageheight " + GEOMETRY + " [%%vector]",
            vector_format="(%%count0 %%relx,%%rely %%x %%y)%%br",
            not_in_image_format="none: %%type",
        ),
        "grouped by image, without blurred and concealed, min 0 votes": make_format(
            team,
            [types["car"], types["zone"], types["spot"], types["night"]],
            image_aggregation=True,
            include_blurred=False,
            include_concealed=False,
            min_verifications=0,
            base_format="{%%team} %%imageset\n%%setdescription @%%setlocation\n%%content\nend %%content",
            image_format="<%%imagename %%imagewidth %%annoamount>\n%%annotations</image>",
            annotation_format="  %%type%%ifnotblurred nb%%endif%%ifnotconcealed nc%%endif: %%vector {}",
            vector_format="%%x/%%y;",
            not_in_image_format="  %%type absent",
        ),
        "attributes": make_format(
            team,
            every,
            annotation_format=(
                "%%type|%%attributes|%%attr:colour|%%attr:count|%%attr:{truck type}|%%attr:occluded|%%vector"
            ),
            vector_format="%%x,%%y,%%attr:colour;",
            not_in_image_format="%%type|%%attributes|%%attr:colour|%%attr:missing",
        ),
    }


def _renumbered(text):
    """COCO's ids renumbered in order of appearance: categories, images and annotations each from 1,
    and ``image_id`` / ``category_id`` through the same numbering (ids differ between databases)."""
    head, rest = text.split('"categories":[', 1)
    categories, rest = rest.split('],"images":[', 1)
    images, annotations = rest.split('],"annotations":[', 1)
    maps = {"category": {}, "image": {}, "annotation": {}}

    def number(kind, value):
        return str(maps[kind].setdefault(value, len(maps[kind]) + 1))

    def section(kind):
        def replace(match):
            field = match.group(1)
            target = {"id": kind, "image_id": "image", "category_id": "category"}[field]
            return f'"{field}":{number(target, match.group(2))}'

        return replace

    pattern = re.compile(r'"(id|image_id|category_id)":(\d+)')
    categories = pattern.sub(section("category"), categories)
    images = pattern.sub(section("image"), images)
    annotations = pattern.sub(section("annotation"), annotations)
    return f'{head}"categories":[{categories}],"images":[{images}],"annotations":[{annotations}'


def _outputs(team, image_set, types):
    outputs = {}
    for label, export_format in _formats(team, types).items():
        outputs[f"template: {label}"] = render_to_string(export_format, image_set)[0]
    for options in ({}, {"keypoints": False}, {"min_verifications": 1}):
        import io

        out = io.BytesIO()
        write_standard("coco", image_set, out, options)
        outputs[f"coco {options}"] = _renumbered(out.getvalue().decode())
    return outputs


def _stored():
    text = GOLDEN.read_text(encoding="utf-8")
    parts = text.split(SEPARATOR)[1:]
    stored = {}
    for part in parts:
        label, _, body = part.partition("\n")
        stored[label] = body
    return stored


def test_exports_of_a_fixed_set_are_byte_identical_to_the_stored_outputs(fixed_set):
    outputs = _outputs(*fixed_set)
    if os.environ.get("IT_WRITE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text("".join(f"{SEPARATOR}{label}\n{body}" for label, body in outputs.items()), encoding="utf-8")
    stored = _stored()
    assert list(outputs) == list(stored)
    for label, body in outputs.items():
        assert body == stored[label], label


def test_the_export_job_writes_the_template_output_and_counts_per_type(fixed_set, make_user, storage_dir):
    team, image_set, types = fixed_set
    export_format = _formats(team, types)["grouped by image, without blurred and concealed, min 0 votes"]
    user = make_user()
    export = Export.objects.create(image_set=image_set, user=user, format=export_format, format_name="golden")
    jobs.run(export.pk)
    export.refresh_from_db()
    from django.core.files.storage import default_storage

    expected = _stored()["template: grouped by image, without blurred and concealed, min 0 votes"]
    with default_storage.open(export.file, "rb") as stored:
        assert stored.read().decode() == expected
    # Not blurred, not concealed (where the type has the flag), score ≥ 0: the car of the second image
    # (score −3) and the spot (concealed is not a flag of spots, but its score is −1) are left out.
    assert export.report["written"] == {"car": 2, "night": 1, "spot": 1, "zone": 1}
    assert export.annotation_count == 5
