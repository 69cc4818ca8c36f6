"""Round trips: export → import into an empty copy of the set (same image names and sizes) → export
again gives the same labels, for every standard format the importer reads."""

import io
import json
import re
import zipfile

import pytest

from annotations.models import Annotation, AnnotationType, VectorType
from exports import standard
from exports.imports import import_labels
from exports.models import StandardFormat
from images.tests.factories import make_imageset

from .helpers import sized_images


@pytest.fixture
def sets(make_user, make_team, storage_dir):
    user = make_user()
    team = make_team(admins=[user])
    original = make_imageset(team, creator=user, name="original")
    copy = make_imageset(team, creator=user, name="copy")
    ball = AnnotationType.objects.create(name="ball", vector_type=VectorType.BOUNDING_BOX)
    field = AnnotationType.objects.create(name="field", vector_type=VectorType.POLYGON)
    spot = AnnotationType.objects.create(name="spot", vector_type=VectorType.POINT)
    images = sized_images(original, 4)
    sized_images(copy, 4)
    for index, image in enumerate(images[:3]):
        Annotation.objects.create(
            image=image,
            annotation_type=ball,
            vector={"x1": 10 + index, "y1": 20, "x2": 110, "y2": 220 - index},
            blurred_flag=index == 1,
        )
        Annotation.objects.create(
            image=image,
            annotation_type=field,
            vector={"x1": 10, "y1": 10, "x2": 90 + index, "y2": 10, "x3": 50, "y3": 80, "x4": 20, "y4": 60},
        )
        Annotation.objects.create(image=image, annotation_type=spot, vector={"x1": 5 + index, "y1": 6})
    Annotation.objects.create(image=images[3], annotation_type=spot, vector=None)
    return user, original, copy


def _export(standard_format, image_set, options=None):
    out = io.BytesIO()
    standard.write(standard_format, image_set, out, options or {})
    return out.getvalue()


def _round_trip(sets, standard_format, import_format, options=None):
    user, original, copy = sets
    first = _export(standard_format, original, options)
    result = import_labels(actor=user, image_set=copy, fileobj=io.BytesIO(first), format=import_format)
    assert result.state == "done", result.error
    assert result.errors == 0, result.report
    return first, _export(standard_format, copy, options), result


def test_pipe_round_trip_is_exact(sets):
    first, second, result = _round_trip(sets, StandardFormat.PIPE, "pipe")
    assert result.created == 10
    assert second == first


def _coco_labels(data):
    document = json.loads(data)
    images = {image["id"]: image["file_name"] for image in document["images"]}
    categories = {category["id"]: category["name"] for category in document["categories"]}
    return sorted(
        (
            images[item["image_id"]],
            categories[item["category_id"]],
            item["bbox"],
            item["segmentation"],
            item.get("keypoints"),
        )
        for item in document["annotations"]
    )


def test_coco_round_trip_keeps_boxes_and_polygons(sets):
    first, second, result = _round_trip(sets, StandardFormat.COCO, "coco", {"keypoints": False})
    assert result.created == 6
    assert _coco_labels(second) == _coco_labels(first)


def test_voc_round_trip_keeps_boxes(make_user, make_team, storage_dir):
    user = make_user()
    team = make_team(admins=[user])
    original = make_imageset(team, creator=user, name="o")
    copy = make_imageset(team, creator=user, name="c")
    ball = AnnotationType.objects.create(name="ball", vector_type=VectorType.BOUNDING_BOX)
    for image in sized_images(original, 3)[:2]:
        Annotation.objects.create(image=image, annotation_type=ball, vector={"x1": 1, "y1": 2, "x2": 30, "y2": 40})
    sized_images(copy, 3)
    for standard_format, import_format in [(StandardFormat.VOC, "voc"), (StandardFormat.YOLO, "yolo")]:
        Annotation.objects.filter(image__image_set=copy).delete()
        first = _export(standard_format, original)
        result = import_labels(actor=user, image_set=copy, fileobj=io.BytesIO(first), format=import_format)
        assert result.created == 2, result.report
        assert _entries(_export(standard_format, copy)) == _entries(first)


def _entries(data):
    """The archive's entries, without VOC's <folder> (the set's name, which differs between the sets)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: re.sub(rb"<folder>.*</folder>", b"", archive.read(name)) for name in archive.namelist()}
