"""Datumaro JSON: our export (labels with attributes, every shape, tags, flags), its import back, a file
as datumaro 1.13 writes it (read from COCO: each polygon also as its box, in one group) and bad files.
datumaro itself cannot be installed beside the site (it requires Pillow 12); our export was loaded with
datumaro 1.13.12 from another interpreter while it was built (see DATUMARO_WROTE for its own output)."""

import io
import json
import zipfile

import pytest
from django.core.exceptions import ValidationError

from annotations.models import Annotation
from exports.imports import import_labels
from exports.models import StandardFormat

from .helpers import empty_copy, schema_set, written

pytestmark = pytest.mark.django_db

# What datumaro 1.13.12 wrote for a COCO file with a box (occluded, colour red) and a polygon.
DATUMARO_WROTE = {
    "dm_format_version": "1.0",
    "media_type": 2,
    "infos": {},
    "categories": {
        "label": {
            "labels": [
                {"name": "ball", "parent": "", "attributes": []},
                {"name": "field", "parent": "", "attributes": []},
            ],
            "label_groups": [],
            "attributes": [],
        }
    },
    "items": [
        {
            "id": "img00000",
            "annotations": [
                {"id": 6, "type": "polygon", "attributes": {"is_crowd": False}, "group": 6, "label_id": 1,
                 "points": [1.0, 2.0, 40.0, 2.0, 40.0, 60.0], "z_order": 0},
                {"id": 6, "type": "bbox", "attributes": {"is_crowd": False}, "group": 6, "label_id": 1, "z_order": 0,
                 "bbox": [1.0, 2.0, 39.0, 58.0]},
                {"id": 5, "type": "bbox", "attributes": {"occluded": True, "colour": "red", "is_crowd": False},
                 "group": 5, "label_id": 0, "z_order": 0, "bbox": [10.0, 20.0, 30.0, 40.0]},
            ],
            "attr": {"id": 1},
            "image": {"path": "/tmp/dataset/images/default/img00000.png", "size": [250, 200]},
        }
    ],
}  # fmt: skip


@pytest.fixture
def setup(make_user, make_team):
    user = make_user()
    team = make_team(admins=[user])
    colour = [{"name": "colour", "kind": "select", "values": ["red", "blue"], "default": "red"}]
    image_set, types = schema_set(user, team, colour, {"colour": "blue"}, tag=True)
    return image_set, types, user, team


def export(image_set):
    data, report = written(StandardFormat.DATUMARO, image_set)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return data, json.loads(archive.read("annotations/default.json")), report


def run(user, image_set, data):
    return import_labels(actor=user, image_set=image_set, fileobj=io.BytesIO(data), format="datumaro")


def test_datumaro_export(setup):
    image_set, _types, _user, _team = setup
    _data, document, report = export(image_set)
    labels = [label["name"] for label in document["categories"]["label"]["labels"]]
    assert labels == ["ball", "field", "line", "night", "spot"]
    item = next(item for item in document["items"] if item["id"] == "img00000")
    assert item["image"] == {"path": "img00000.png", "size": [250, 200]}
    by_type = {(labels[a["label_id"]], a["type"]): a for a in item["annotations"]}
    ball = by_type[("ball", "bbox")]
    assert ball["bbox"] == [10, 20, 100, 200]
    assert ball["attributes"] == {"occluded": False, "blurred": True, "colour": "blue"}
    assert by_type[("field", "polygon")]["points"] == [10, 10, 90, 10, 50, 80]
    assert by_type[("spot", "points")]["visibility"] == [2]
    assert by_type[("line", "polyline")]["attributes"]["occluded"] is True
    assert ("night", "label") in by_type
    assert report["skipped"] == [
        "1 not-in-image label(s) skipped: Datumaro has no way to say that an object is not in an image"
    ]


def test_datumaro_export_imports_back_into_a_copy(setup):
    image_set, _types, user, team = setup
    data, _document, _report = export(image_set)
    copy = empty_copy(image_set, user)
    result = run(user, copy, data)
    assert (result.created, result.errors) == (6, 0), result.report

    def labels(of):
        return sorted(
            (a.image.name, a.annotation_type.name, a.vector or {}, a.blurred_flag, a.concealed_flag, a.attributes)
            for a in Annotation.objects.filter(image__image_set=of)
            .exclude(vector__isnull=True, annotation_type__name="field")
            .select_related("image", "annotation_type")
        )

    assert labels(copy) == labels(image_set)


def test_a_file_as_datumaro_writes_it(setup):
    image_set, types, user, _team = setup
    target = empty_copy(image_set, user, name="target")
    result = run(user, target, json.dumps(DATUMARO_WROTE).encode())
    assert (result.created, result.errors) == (2, 0), result.report
    field = Annotation.objects.get(image__image_set=target, annotation_type=types["field"])
    assert field.vector == {"x1": 1, "y1": 2, "x2": 40, "y2": 2, "x3": 40, "y3": 60}, "the polygon of the group"
    ball = Annotation.objects.get(image__image_set=target, annotation_type=types["ball"])
    assert (ball.vector, ball.concealed_flag, ball.attributes) == (
        {"x1": 10, "y1": 20, "x2": 40, "y2": 60}, True, {"colour": "red"},
    )  # fmt: skip


def test_bad_datumaro_files(setup):
    image_set, _types, user, _team = setup
    with pytest.raises(ValidationError, match="not valid JSON"):
        run(user, image_set, b"{")
    with pytest.raises(ValidationError, match="“categories” and “items”"):
        run(user, image_set, b"[]")
    empty = io.BytesIO()
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("other/x.json", "{}")
    with pytest.raises(ValidationError, match="annotations/<subset>.json"):
        run(user, image_set, empty.getvalue())
    document = {
        "categories": {"label": {"labels": [{"name": "ball"}]}},
        "items": [
            {
                "id": "img00002",
                "annotations": [
                    {"type": "mask", "label_id": 0},
                    {"type": "bbox", "label_id": 7, "bbox": [1, 2, 3, 4]},
                    {"type": "bbox", "label_id": 0, "bbox": [1, 2, 3]},
                    {"type": "polygon", "label_id": 0, "points": [1, 2, 3]},
                ],
            }
        ],
    }
    result = run(user, image_set, json.dumps(document).encode())
    messages = [entry["message"] for entry in result.report]
    assert [entry["status"] for entry in result.report] == ["error"] * 4
    assert "mask annotations cannot be imported" in messages[0]
    assert "label_id 7" in messages[1]
    assert "[x, y, width, height]" in messages[2]
    assert "x, y pairs" in messages[3]
