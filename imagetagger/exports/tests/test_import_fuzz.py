"""Label import never fails with anything but a clear refusal or a per-record report, whatever the file
(hypothesis, per format): raw bytes, and files shaped like each format with random content."""

import io
import json
import zipfile

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotations.models import AnnotationType, VectorType
from exports import importers
from exports.imports import import_labels
from exports.models import LabelImport
from images.tests.factories import add_image_rows, make_imageset

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5000), st.floats(allow_nan=True), st.text(max_size=8))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
names = st.sampled_from(["img00000.png", "img00001.png", "nope.png", "", "../x.png", "day1/img00000.png"])
labels = st.sampled_from(["ball", "field", "spot", "night", "", "unknown"])
numbers = st.one_of(st.integers(-10, 500), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=3))


@pytest.fixture
def target(make_user, make_team):
    user = make_user()
    team = make_team(admins=[user])
    image_set = make_imageset(team, creator=user)
    for image in add_image_rows(image_set, 2):
        image.width, image.height = 200, 100
        image.save(update_fields=["width", "height"])
    AnnotationType.objects.create(name="ball")
    AnnotationType.objects.create(name="field", vector_type=VectorType.POLYGON)
    AnnotationType.objects.create(name="spot", vector_type=VectorType.POINT)
    AnnotationType.objects.create(name="night", vector_type=VectorType.TAG)
    return user, image_set


def survives(target, data, format):
    """The import refuses the whole file with a reason, or reports every record."""
    user, image_set = target
    try:
        result = import_labels(actor=user, image_set=image_set, fileobj=io.BytesIO(data), format=format)
    except ValidationError as refusal:
        messages = refusal.messages
    else:
        messages = None
    if messages is not None:
        assert messages, "a refusal says why"
        assert all(messages)
        return
    assert isinstance(result, LabelImport)
    assert all(entry["status"] in ("created", "duplicate", "error") for entry in result.report)
    assert all(entry["message"] for entry in result.report if entry["status"] == "error")


def zipped(files):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in files.items():
            archive.writestr(name or "x", text)
    return out.getvalue()


@pytest.mark.parametrize("format", list(importers.FORMATS))
@FUZZ
@given(data=st.binary(max_size=300))
def test_any_bytes(target, format, data):
    survives(target, data, format)


@FUZZ
@given(
    annotations=st.lists(
        st.dictionaries(
            st.sampled_from(["image_id", "category_id", "bbox", "segmentation", "keypoints", "attributes"]), values
        ),
        max_size=5,
    )
)
def test_coco_shaped(target, annotations):
    document = {"images": [{"id": 1, "file_name": "img00000.png"}], "categories": [{"id": 1, "name": "ball"}]}
    survives(target, json.dumps({**document, "annotations": annotations}).encode(), "coco")


@FUZZ
@given(
    size=st.lists(st.integers(-2, 40), max_size=3),
    counts=st.one_of(st.lists(st.integers(-2, 400), max_size=8), st.text(max_size=12)),
    cvat=st.tuples(st.integers(-1, 12), st.integers(-1, 12), st.lists(st.integers(-1, 50), max_size=6)),
)
def test_masks_shaped(target, size, counts, cvat):
    document = {"images": [{"id": 1, "file_name": "img00000.png"}], "categories": [{"id": 1, "name": "field"}]}
    rle = {"image_id": 1, "category_id": 1, "segmentation": {"size": size, "counts": counts}}
    survives(target, json.dumps({**document, "annotations": [rle]}).encode(), "coco")
    width, height, runs = cvat
    mask = f'<mask label="field" rle="{", ".join(map(str, runs))}" left="1" top="2" width="{width}" height="{height}"/>'
    survives(target, f'<annotations><image name="img00000.png">{mask}</image></annotations>'.encode(), "cvat")


@FUZZ
@given(name=names, objects=st.lists(st.tuples(labels, numbers, numbers, numbers, numbers), max_size=4))
def test_voc_shaped(target, name, objects):
    parts = "".join(
        f"<object><name>{label}</name><bndbox><xmin>{a}</xmin><ymin>{b}</ymin><xmax>{c}</xmax><ymax>{d}</ymax></bndbox></object>"
        for label, a, b, c, d in objects
    )
    survives(target, f"<annotation><filename>{name}</filename>{parts}</annotation>".encode(), "voc")


@FUZZ
@given(
    rows=st.lists(st.lists(numbers, max_size=9), max_size=5),
    name=st.sampled_from(["labels/img00000.txt", "train.txt", "a.txt"]),
)
def test_yolo_shaped(target, rows, name):
    text = "\n".join(" ".join(str(v) for v in row) for row in rows)
    survives(target, zipped({"classes.txt": "ball\nfield\n", name: text}), "yolo")


@FUZZ
@given(
    name=names,
    shapes=st.lists(
        st.tuples(
            st.sampled_from(["box", "polygon", "polyline", "points", "tag", "mask"]),
            labels,
            numbers,
            numbers,
            st.text(max_size=12),
        ),
        max_size=4,
    ),
)
def test_cvat_shaped(target, name, shapes):
    from xml.sax.saxutils import quoteattr

    parts = "".join(
        f'<{kind} label={quoteattr(label)} xtl={quoteattr(str(a))} ytl="1" xbr={quoteattr(str(b))} ybr="9" points={quoteattr(points)}/>'  # noqa: E501
        for kind, label, a, b, points in shapes
    )
    survives(target, f"<annotations><image name={quoteattr(name)}>{parts}</image></annotations>".encode(), "cvat")


@FUZZ
@given(
    path=names,
    shapes=st.lists(
        st.dictionaries(st.sampled_from(["label", "points", "shape_type", "flags", "attributes"]), values), max_size=4
    ),
)
def test_labelme_shaped(target, path, shapes):
    survives(target, json.dumps({"imagePath": path, "shapes": shapes}).encode(), "labelme")


@FUZZ
@given(
    image=names,
    results=st.lists(
        st.dictionaries(st.sampled_from(["id", "type", "value", "score", "from_name"]), values), max_size=4
    ),
)
def test_label_studio_shaped(target, image, results):
    tasks = [{"data": {"image": image}, "annotations": [{"result": results}], "predictions": [{"result": results}]}]
    survives(target, json.dumps(tasks).encode(), "labelstudio")
