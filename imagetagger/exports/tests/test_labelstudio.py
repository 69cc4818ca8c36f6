"""Label Studio JSON: our export (tasks with people's annotations and models' predictions; boxes,
polygons, key points and image tags in percent; flags and attribute values as per-region results),
its import back, files as Label Studio writes them (renamed uploads, local files, cancelled
annotations) and bad ones."""

import io
import json

import pytest
from django.core.exceptions import ValidationError

from annotations.models import Annotation, Origin
from exports import standard
from exports.imports import import_labels
from exports.models import StandardFormat

from .helpers import empty_copy, schema_set, written

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(make_user, make_team):
    user = make_user()
    team = make_team(admins=[user])
    attributes = [
        {"name": "colour", "kind": "select", "values": ["red", "blue"], "default": "red"},
        {"name": "size", "kind": "number", "min": 0, "max": 10, "default": 1},
        {"name": "seen", "kind": "checkbox", "default": False},
        {"name": "note", "kind": "text", "max_length": 40, "default": ""},
    ]
    values = {"colour": "blue", "size": 3, "seen": True, "note": "by the goal"}
    image_set, types = schema_set(user, team, attributes, values, tag=True)
    Annotation.objects.create(
        image=image_set.images.get(name="img00002.png"),
        annotation_type=types["field"],
        vector={"x1": 20, "y1": 25, "x2": 180, "y2": 25, "x3": 100, "y3": 200},
        origin=Origin.MACHINE,
        model_name="segformer-v2",
        confidence=0.75,
    )
    return image_set, types, user, team


def export(image_set):
    data, report = written(StandardFormat.LABEL_STUDIO, image_set)
    return json.loads(data), report


def test_label_studio_export_holds_tasks_with_annotations_and_predictions(setup):
    image_set, _types, _user, _team = setup
    tasks, report = export(image_set)
    by_image = {task["data"]["image"]: task for task in tasks}
    assert sorted(by_image) == ["img00000.png", "img00001.png", "img00002.png"]
    results = by_image["img00000.png"]["annotations"][0]["result"]
    box = next(r for r in results if r["type"] == "rectanglelabels")
    assert box["value"] == {
        "x": 5.0,
        "y": 8.0,
        "width": 50.0,
        "height": 80.0,
        "rotation": 0,
        "rectanglelabels": ["ball"],
    }
    assert (box["original_width"], box["original_height"]) == (200, 250)
    extras = {r["from_name"]: r["value"] for r in results if r["id"] == box["id"] and r is not box}
    assert extras == {
        "flags": {"choices": ["blurred"]},
        "colour": {"choices": ["blue"]},
        "size": {"number": 3},
        "seen": {"choices": ["true"]},
        "note": {"text": ["by the goal"]},
    }
    assert any(r["type"] == "choices" and r["value"] == {"choices": ["night"]} for r in results)
    assert next(r for r in results if r["type"] == "keypointlabels")["value"]["keypointlabels"] == ["spot"]
    prediction = by_image["img00002.png"]["predictions"]
    assert [p["model_version"] for p in prediction] == ["segformer-v2"]
    assert prediction[0]["result"][0]["score"] == 0.75
    assert by_image["img00002.png"]["annotations"] == []
    assert "1 line skipped: Label Studio has no lines on images" in report["skipped"]


def test_label_studio_export_imports_back_into_a_copy(setup):
    image_set, types, user, team = setup
    out = io.BytesIO()
    standard.write(StandardFormat.LABEL_STUDIO, image_set, out, {})
    copy = empty_copy(image_set, user)
    result = import_labels(actor=user, image_set=copy, fileobj=io.BytesIO(out.getvalue()), format="labelstudio")
    assert (result.created, result.errors) == (6, 0), result.report

    def labels(of):
        return sorted(
            (
                a.image.name, a.annotation_type.name, a.vector, a.blurred_flag, a.concealed_flag, a.attributes,
                a.origin, a.model_name, a.confidence,
            )
            for a in Annotation.objects.filter(image__image_set=of)
            .exclude(annotation_type=types["line"])
            .exclude(vector__isnull=True, annotation_type=types["field"])
            .select_related("image", "annotation_type")
        )  # fmt: skip

    assert labels(copy) == labels(image_set)


def test_files_as_label_studio_writes_them(setup):
    image_set, types, user, _team = setup
    Annotation.objects.all().delete()
    tasks = [
        {
            "data": {"image": "/data/upload/3/8f2a1b3c-img00000.png"},
            "annotations": [
                {"was_cancelled": True, "result": [{"id": "x", "type": "rectanglelabels", "value": {}}]},
                {
                    "result": [
                        {
                            "id": "a1",
                            "type": "rectanglelabels",
                            "value": {"x": 10, "y": 20, "width": 30, "height": 40, "rotation": 15,
                                      "rectanglelabels": ["ball"]},
                        },
                        {"id": "b1", "type": "brushlabels", "value": {"rle": [1, 2], "brushlabels": ["field"]}},
                        {"id": "c1", "type": "polygonlabels",
                         "value": {"points": [[1, 2], "x"], "polygonlabels": ["field"]}},
                    ]
                },
            ],
        },
        {"data": {"image": "/data/local-files/?d=pictures/img00001.png"}, "predictions": [
            {"model_version": "yolo11", "score": 0.5, "result": [
                {"id": "p", "type": "keypointlabels",
                 "value": {"x": 50, "y": 50, "width": 1, "keypointlabels": ["spot"]}}
            ]}
        ]},
        "not a task",
    ]  # fmt: skip
    result = import_labels(
        actor=user, image_set=image_set, fileobj=io.BytesIO(json.dumps(tasks).encode()), format="labelstudio"
    )
    assert [entry["status"] for entry in result.report] == ["created", "error", "error", "created", "error"]
    messages = [entry["message"] for entry in result.report]
    assert "rotation was left out" in messages[0]
    assert "brushlabels results cannot be imported" in messages[1]
    assert "[x, y] pairs" in messages[2]
    assert "“data”" in messages[4]
    box = Annotation.objects.get(annotation_type=types["ball"])
    assert (box.image.name, box.vector) == ("img00000.png", {"x1": 20, "y1": 50, "x2": 80, "y2": 150})
    spot = Annotation.objects.get(annotation_type=types["spot"])
    assert (spot.image.name, spot.vector, spot.origin, spot.model_name, spot.confidence) == (
        "img00001.png", {"x1": 100, "y1": 125}, Origin.MACHINE, "yolo11", 0.5,
    )  # fmt: skip


def test_bad_label_studio_files(setup):
    image_set, _types, user, _team = setup
    for data, message in [(b"[{", "not valid JSON"), (b'"text"', "JSON list of tasks")]:
        with pytest.raises(ValidationError, match=message):
            import_labels(actor=user, image_set=image_set, fileobj=io.BytesIO(data), format="labelstudio")
