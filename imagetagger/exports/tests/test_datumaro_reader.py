"""datumaro (the converter behind CVAT) loads our exports as downloaded, and what it writes imports back.

datumaro cannot share the site's virtualenv (it requires Pillow 12; the site pins 13), so ``make test``
installs it into ``.venv-readers`` (requirements-readers.txt) and these tests run it as a separate
process through ``datumaro_driver.py``, which prints what datumaro read as JSON. Under CI a missing
interpreter fails the tests; elsewhere they skip and say how to install it.

The set is the readers' set (``conftest.dataset``: dotted name, EXIF-rotated JPEG, non-ASCII type name)
plus an image in a folder with a box (concealed), a point and a line. What each format holds:
COCO every label (datumaro reads each as its box and its polygon), CVAT and Datumaro every label with
its kind and the concealed flag as ``occluded``, Pascal VOC and YOLO the boxes and polygons (as boxes).
datumaro takes a Pascal VOC box's numbers as they are, so our devkit-style 1-based first pixel comes
out one pixel further right and down (as in globox). Not checked here: LabelMe (datumaro's ``label_me``
is MIT LabelMe's XML, not the LabelMe JSON we write), Label Studio (datumaro has no reader) and YOLO
segmentation (datumaro 1.13 reads YOLO boxes only; supervision reads ours in test_readers.py).
"""

import io
import json
import os
import subprocess
from pathlib import Path

import pytest
from e2e.helpers import png_bytes

from annotations.models import Annotation, AnnotationType, VectorType
from exports.imports import import_labels
from images.ingest import add_image_file

from .readers import LABELS, box_of, copy_of, export_with_images, zipped

pytestmark = [pytest.mark.django_db]

DRIVER = Path(__file__).with_name("datumaro_driver.py")
READERS_PYTHON = Path(
    os.environ.get("IT_READERS_PYTHON", Path(__file__).resolve().parents[3] / ".venv-readers/bin/python")
)
FOLDER_IMAGE = ("night/b.png", 100, 80)
FOLDER_LABELS = [
    ("night/b.png", "car", {"x1": 5, "y1": 6, "x2": 50, "y2": 60}),
    ("night/b.png", "pole", {"x1": 7, "y1": 8}),
    ("night/b.png", "kerb", {"x1": 1, "y1": 2, "x2": 30, "y2": 40}),
]
ALL_LABELS = LABELS + FOLDER_LABELS
KINDS = {"car": "bbox", "Fußgänger": "bbox", "lane": "polygon", "pole": "points", "kerb": "polyline"}
BOXES_AND_POLYGONS = [label for label in ALL_LABELS if label[1] not in ("pole", "kerb")]
BOXES = [label for label in ALL_LABELS if KINDS[label[1]] == "bbox"]


@pytest.fixture(scope="module")
def datumaro_python():
    if not READERS_PYTHON.exists():
        message = (
            f"datumaro's interpreter {READERS_PYTHON} is missing: `make test` installs it "
            "(.venv-readers from requirements-readers.txt)"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return READERS_PYTHON


def datumaro(python, *args):
    """What datumaro read (``{"items": [...], "annotations": [...]}``), run in its own interpreter."""
    done = subprocess.run([str(python), str(DRIVER), *map(str, args)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.fixture
def full_set(dataset):
    user, types = dataset["user"], dataset["types"]
    types["pole"] = AnnotationType.objects.create(team=dataset["team"], name="pole", vector_type=VectorType.POINT)
    types["kerb"] = AnnotationType.objects.create(
        team=dataset["team"], name="kerb", vector_type=VectorType.LINE, node_count=2
    )
    add_folder_image(dataset["set"], user)
    image = dataset["set"].images.get(name=FOLDER_IMAGE[0])
    for _name, type_name, vector in FOLDER_LABELS:
        Annotation.objects.create(
            image=image, annotation_type=types[type_name], vector=vector, user=user, concealed_flag=type_name == "car"
        )
    return dataset


def add_folder_image(image_set, user):
    name, width, height = FOLDER_IMAGE
    add_image_file(image_set, name=name, fileobj=io.BytesIO(png_bytes(width, height, 5)), uploader=user)


def item_of(name, flat=False):
    stem = name.rsplit(".", 1)[0]
    return stem.replace("/", "__") if flat else stem


def read_boxes(found, kind="bbox"):
    return sorted((a["item"], a["label"], tuple(a["points"])) for a in found["annotations"] if a["kind"] == kind)


def expected_boxes(labels, flat=False, shift=0):
    return sorted(
        (
            item_of(name, flat),
            type_name,
            tuple(float(v + (shift if i < 2 else 0)) for i, v in enumerate(box_of(vector))),
        )
        for name, type_name, vector in labels
    )


def close(found, expected, tolerance=0.0):
    assert [(item, label) for item, label, _ in found] == [(item, label) for item, label, _ in expected], found
    for (_, _, got), (_, _, want) in zip(found, expected, strict=True):
        assert all(abs(a - b) <= tolerance for a, b in zip(got, want, strict=True)), (found, expected)


def test_datumaro_loads_our_coco_with_every_label(full_set, datumaro_python):
    folder = export_with_images(full_set, "coco")
    found = datumaro(datumaro_python, "read", "coco_instances", folder)
    assert found["items"] == ["a", "img.with.dots", "night/b", "portrait"]
    # Every label comes as its box (COCO's bbox) and its polygon (COCO's segmentation).
    close(read_boxes(found), expected_boxes(ALL_LABELS))
    lane = next(a for a in found["annotations"] if a["label"] == "lane" and a["kind"] == "polygon")
    assert lane["points"] == [10, 10, 90, 10, 50, 80]
    portrait = next(a for a in found["annotations"] if a["item"] == "portrait")
    assert portrait["size"] == [300, 200]  # the EXIF-rotated JPEG as viewers show it: 200 wide, 300 high


@pytest.mark.parametrize("format", ["cvat", "datumaro"])
def test_datumaro_loads_our_cvat_and_datumaro_files_with_every_shape_and_flag(full_set, datumaro_python, format):
    folder = export_with_images(full_set, format)
    found = datumaro(datumaro_python, "read", format, folder)
    assert found["items"] == ["a", "img.with.dots", "night/b", "portrait"]
    got = sorted((a["item"], a["label"], a["kind"], a["points"]) for a in found["annotations"])
    want = []
    for name, type_name, vector in ALL_LABELS:
        points = [float(v) for i in range(1, len(vector) // 2 + 1) for v in (vector[f"x{i}"], vector[f"y{i}"])]
        if type_name in ("car", "Fußgänger"):
            x1, y1, x2, y2 = box_of(vector)
            points = [float(x1), float(y1), float(x2), float(y2)]
        want.append((item_of(name), type_name, KINDS[type_name], points))
    assert got == sorted(want)
    occluded = [(a["item"], a["label"]) for a in found["annotations"] if a["attributes"].get("occluded")]
    assert occluded == [("night/b", "car")]


def test_datumaro_loads_our_voc_boxes_one_based_as_the_devkit_writes_them(full_set, datumaro_python):
    folder = export_with_images(full_set, "voc")
    found = datumaro(datumaro_python, "read", "voc", folder)
    assert found["items"] == ["a", "img.with.dots", "night__b", "portrait"]
    close(read_boxes(found), expected_boxes(BOXES_AND_POLYGONS, flat=True, shift=1))


def test_datumaro_loads_our_yolo_as_downloaded(full_set, datumaro_python):
    folder = export_with_images(full_set, "yolo")
    found = datumaro(datumaro_python, "read", "yolo", folder)
    assert found["items"] == ["a", "img.with.dots", "night__b", "portrait"]
    close(read_boxes(found), expected_boxes(BOXES_AND_POLYGONS, flat=True), tolerance=0.5)


@pytest.mark.parametrize(
    ("written", "ours", "holds", "tolerance"),
    [
        ("coco_instances", "coco", BOXES_AND_POLYGONS, 0),
        # datumaro writes polygons into VOC's masks, not as boxes, and leaves them out of YOLO.
        ("voc", "voc", BOXES, 0),
        ("yolo", "yolo", BOXES, 1),
        ("cvat", "cvat", ALL_LABELS, 0),
        ("datumaro", "datumaro", ALL_LABELS, 0),
    ],
)
def test_what_datumaro_writes_imports_back(full_set, datumaro_python, tmp_path, written, ours, holds, tolerance):
    """datumaro reads our CVAT export (every shape) and writes it in each format; we import that with
    every label the format holds (COCO: datumaro leaves points and lines out of instances files)."""
    folder = export_with_images(full_set, "cvat")
    out = tmp_path / f"datumaro-{written}"
    datumaro(datumaro_python, "convert", "cvat", folder, written, out)
    copy = copy_of(full_set)
    add_folder_image(copy, full_set["user"])
    result = import_labels(actor=full_set["user"], image_set=copy, fileobj=io.BytesIO(zipped(out)), format=ours)
    labels = Annotation.objects.filter(image__image_set=copy).select_related("image", "annotation_type")
    found = sorted((a.image.name, a.annotation_type.name, box_of(a.vector)) for a in labels)
    want = sorted((name, type_name, box_of(vector)) for name, type_name, vector in holds)
    assert [(n, t) for n, t, _ in found] == [(n, t) for n, t, _ in want], json.dumps(result.report, indent=0)
    for (_, _, got), (_, _, expected) in zip(found, want, strict=True):
        assert all(abs(a - b) <= tolerance for a, b in zip(got, expected, strict=True)), (found, want)
    if ours in ("cvat", "datumaro"):
        assert Annotation.objects.get(
            image__image_set=copy, image__name="night/b.png", annotation_type__name="car"
        ).concealed_flag
