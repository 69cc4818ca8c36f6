"""The standard format writers: output, the report of what was converted or skipped, and the files
loading with the ecosystem's own readers (pycocotools for COCO; xml.etree for VOC; YOLO txt by hand)."""

import io
import json
import xml.etree.ElementTree as ET
import zipfile

import pytest
import yaml
from django.core.exceptions import ValidationError

from annotations.models import Annotation, Verification
from exports import standard
from exports.models import StandardFormat

from .helpers import BOX, LINE, POINT, POLYGON, labelled_set, make_types, sized_images


@pytest.fixture
def setup(make_user, make_team):
    user = make_user()
    team = make_team(admins=[user])
    image_set, types = labelled_set(team, user, name="Field day")
    return image_set, types, user


def export(standard_format, image_set, options=None):
    out = io.BytesIO()
    report = standard.write(standard_format, image_set, out, standard.clean_options(standard_format, options))
    return out.getvalue(), report


def test_pipe_format_lines_in_name_then_id_order(setup):
    image_set, _types, _user = setup
    data, report = export(StandardFormat.PIPE, image_set)
    assert data.decode().splitlines() == [
        'img00000.png|ball|{"x1":10,"y1":20,"x2":110,"y2":220}|b',
        'img00000.png|field|{"x1":10,"y1":10,"x2":90,"y2":10,"x3":50,"y3":80}|',
        'img00000.png|spot|{"x1":5,"y1":6}|',
        'img00000.png|line|{"x1":1,"y1":2,"x2":30,"y2":40}|c',
        'img00001.png|ball|{"x1":0,"y1":0,"x2":200,"y2":250}|',
        "img00001.png|field|not in image",
    ]
    assert report["annotations"] == 6
    assert report["written"] == {"ball": 2, "field": 2, "line": 1, "spot": 1}
    assert report["converted"] == []
    assert report["skipped"] == []


def test_pipe_format_skips_names_it_cannot_write(setup):
    image_set, _types, _user = setup
    image_set.images.filter(name="img00001.png").update(name="a|b.png")
    data, report = export(StandardFormat.PIPE, image_set)
    assert "a|b" not in data.decode()
    assert report["skipped"] == ["2 label(s) skipped: the image name “a|b.png” contains | or a line break"]


# pycocotools' mask decoding warns under NumPy 2 (its own code, harmless).
@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_coco_loads_with_pycocotools(setup, tmp_path):
    from pycocotools.coco import COCO

    image_set, types, _user = setup
    data, report = export(StandardFormat.COCO, image_set)
    path = tmp_path / "coco.json"
    path.write_bytes(data)
    coco = COCO(str(path))
    assert sorted(coco.getImgIds()) == sorted(image_set.images.values_list("pk", flat=True))
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == ["ball", "field", "line", "spot"]
    first = image_set.images.get(name="img00000.png")
    anns = {coco.loadCats(a["category_id"])[0]["name"]: a for a in coco.loadAnns(coco.getAnnIds(imgIds=[first.pk]))}
    assert anns["ball"]["bbox"] == [10, 20, 100, 200]
    assert anns["ball"]["area"] == 20000
    assert anns["ball"]["attributes"] == {"blurred": True, "concealed": False}
    assert anns["ball"]["segmentation"] == [[10, 20, 110, 20, 110, 220, 10, 220]]
    assert anns["field"]["segmentation"] == [[10, 10, 90, 10, 50, 80]]
    assert anns["field"]["bbox"] == [10, 10, 80, 70]
    assert anns["field"]["area"] == 2800
    assert anns["spot"]["keypoints"] == [5, 6, 2]
    assert anns["line"]["keypoints"] == [1, 2, 2, 30, 40, 2]
    assert coco.loadCats(types["line"].pk)[0]["keypoints"] == ["p1", "p2"]
    # The masks come out of pycocotools' own rasteriser: the polygon's, and every box's rectangle.
    assert coco.annToMask(anns["field"]).sum() > 2000
    # Points and lines: their path as a polygon without area, so that annToMask works for every label
    # (it failed with an IndexError on an empty segmentation); their masks are empty, as they have no area.
    assert anns["spot"]["segmentation"] == [[5, 6, 5, 6, 5, 6]]
    assert anns["line"]["segmentation"] == [[1, 2, 30, 40, 30, 40]]
    for annotation in coco.loadAnns(coco.getAnnIds()):
        coco.annToMask(annotation)
    assert coco.annToMask(anns["line"]).sum() == 0
    boxes = coco.loadAnns(coco.getAnnIds(catIds=[types["ball"].pk]))
    assert len(boxes) == 2
    for box in boxes:
        x, y, w, h = box["bbox"]
        assert abs(int(coco.annToMask(box).sum()) - w * h) <= w + h + 1, box
    assert report["written"] == {"ball": 2, "field": 1, "line": 1, "spot": 1}
    assert report["converted"] == ["1 point written as keypoints", "1 line written as keypoints"]
    assert report["skipped"] == [
        "1 not-in-image label(s) skipped: COCO has no way to say that an object is not in an image"
    ]


def test_coco_without_keypoints_skips_points_and_lines(setup):
    image_set, _types, _user = setup
    data, report = export(StandardFormat.COCO, image_set, {"keypoints": False})
    document = json.loads(data)
    assert len(document["annotations"]) == 3
    assert all("keypoints" not in c for c in document["categories"])
    assert "1 line skipped: keypoints were switched off for this export" in report["skipped"]
    assert "1 point skipped: keypoints were switched off for this export" in report["skipped"]


def test_coco_round_trip_of_boxes_and_polygons(setup):
    image_set, _types, _user = setup
    document = json.loads(export(StandardFormat.COCO, image_set)[0])
    back = {}
    boxes = {category["id"] for category in document["categories"] if category["name"] == "ball"}
    for item in document["annotations"]:
        if "keypoints" in item:
            continue
        if item["segmentation"] and item["category_id"] not in boxes:
            flat = item["segmentation"][0]
            back[item["id"]] = {f"{axis}{i // 2 + 1}": v for i, v in enumerate(flat) for axis in ["xy"[i % 2]]}
        else:
            x, y, w, h = item["bbox"]
            back[item["id"]] = {"x1": x, "y1": y, "x2": x + w, "y2": y + h}
    for annotation in Annotation.objects.filter(pk__in=back):
        assert back[annotation.pk] == annotation.vector


def test_voc_xml_per_image_with_report(setup):
    image_set, _types, _user = setup
    data, report = export(StandardFormat.VOC, image_set)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == [
            "Annotations/img00000.xml",
            "Annotations/img00001.xml",
            "Annotations/img00002.xml",
            "ImageSets/Main/default.txt",
            "labelmap.txt",
        ]
        # The items and the labels (with their colours), as datumaro and the devkit look for them.
        assert archive.read("ImageSets/Main/default.txt").decode().splitlines() == ["img00000", "img00001", "img00002"]
        labelmap = archive.read("labelmap.txt").decode().splitlines()
        assert labelmap[:2] == ["# label:color_rgb:parts:actions", "background:0,0,0::"]
        assert [line.split(":")[0] for line in labelmap[2:]] == ["ball", "field"]
        first = ET.fromstring(archive.read("Annotations/img00000.xml"))
        empty = ET.fromstring(archive.read("Annotations/img00002.xml"))
    assert first.findtext("filename") == "img00000.png"
    assert first.findtext("size/width") == "200"
    assert first.findtext("size/height") == "250"
    objects = [
        (o.findtext("name"), [int(o.findtext(f"bndbox/{k}")) for k in ("xmin", "ymin", "xmax", "ymax")])
        for o in first.findall("object")
    ]
    # The devkit's 1-based pixel indices: the first pixel of the box x1 + 1, its last pixel x2.
    assert objects == [("ball", [11, 21, 110, 220]), ("field", [11, 11, 90, 80])]
    assert empty.findall("object") == []
    assert report["converted"] == ["1 polygon written as boxes"]
    assert report["skipped"] == [
        "1 point skipped: not representable in Pascal VOC",
        "1 line skipped: not representable in Pascal VOC",
        "1 not-in-image label(s) skipped: Pascal VOC has no way to say that an object is not in an image",
    ]
    assert report["written"] == {"ball": 2, "field": 1}


def test_voc_escapes_names_and_keeps_entries_unique(make_user, make_team):
    user = make_user()
    team = make_team(admins=[user])
    from images.tests.factories import make_imageset

    image_set = make_imageset(team, name="<set & co>")
    types = make_types()
    images = sized_images(image_set, 2)
    image_set.images.filter(pk=images[0].pk).update(name="a<&>.png")
    image_set.images.filter(pk=images[1].pk).update(name="a<&>.jpg")
    for image in images:
        Annotation.objects.create(image=image, annotation_type=types["ball"], vector=BOX)
    data, _report = export(StandardFormat.VOC, image_set)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = [name for name in archive.namelist() if name.startswith("Annotations/")]
        assert names == ["Annotations/a<&>.xml", "Annotations/a<&> (2).xml"]
        assert archive.read("ImageSets/Main/default.txt").decode().splitlines() == ["a<&>", "a<&> (2)"]
        documents = [ET.fromstring(archive.read(name)) for name in names]
    assert {d.findtext("filename") for d in documents} == {"a<&>.png", "a<&>.jpg"}
    assert documents[0].findtext("folder") == "<set & co>"


def _yolo(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        classes = archive.read("classes.txt").decode().splitlines()
        # The same names for Darknet (obj.names) and Ultralytics (data.yaml, index -> name).
        assert archive.read("obj.names").decode().splitlines() == classes
        dataset = yaml.safe_load(archive.read("data.yaml").decode())
        assert dataset["names"] == dict(enumerate(classes))
        assert (dataset["train"], dataset["val"]) == ("images", "images")
        labels = {
            name: archive.read(name).decode().splitlines() for name in archive.namelist() if name.startswith("labels/")
        }
    return classes, labels


def test_yolo_detection(setup):
    image_set, _types, _user = setup
    data, report = export(StandardFormat.YOLO, image_set)
    classes, labels = _yolo(data)
    assert classes == ["ball", "field"]
    assert labels == {
        "labels/img00000.txt": ["0 0.300000 0.480000 0.500000 0.800000", "1 0.250000 0.180000 0.400000 0.280000"],
        "labels/img00001.txt": ["0 0.500000 0.500000 1.000000 1.000000"],
        "labels/img00002.txt": [],
    }
    # Back to pixels: the box of the first image.
    _, cx, cy, w, h = map(float, labels["labels/img00000.txt"][0].split())
    assert [round((cx - w / 2) * 200), round((cy - h / 2) * 250), round((cx + w / 2) * 200)] == [10, 20, 110]
    assert report["converted"] == ["1 polygon written as boxes"]
    assert "1 point skipped: not representable in YOLO" in report["skipped"]
    assert "1 line skipped: not representable in YOLO" in report["skipped"]


def test_yolo_segmentation(setup):
    image_set, _types, _user = setup
    data, report = export(StandardFormat.YOLO_SEGMENTATION, image_set)
    classes, labels = _yolo(data)
    assert classes == ["ball", "field"]
    assert labels["labels/img00000.txt"] == [
        "0 0.050000 0.080000 0.550000 0.080000 0.550000 0.880000 0.050000 0.880000",
        "1 0.050000 0.040000 0.450000 0.040000 0.250000 0.320000",
    ]
    polygon = [float(v) for v in labels["labels/img00000.txt"][1].split()[1:]]
    pixels = {f"{'xy'[i % 2]}{i // 2 + 1}": round(v * (200 if i % 2 == 0 else 250)) for i, v in enumerate(polygon)}
    assert pixels == POLYGON
    assert report["converted"] == ["2 boxes written as 4-point polygons"]
    assert report["written"] == {"ball": 2, "field": 1}


def test_options_select_types_and_minimum_score(setup, make_user):
    image_set, types, user = setup
    ball = Annotation.objects.get(image__name="img00000.png", annotation_type=types["ball"])
    Verification.objects.create(annotation=ball, user=make_user(), verified=False)
    data, report = export(StandardFormat.PIPE, image_set, {"types": [types["ball"].pk], "min_verifications": 0})
    assert data.decode().splitlines() == ['img00001.png|ball|{"x1":0,"y1":0,"x2":200,"y2":250}|']
    assert standard.count_selected(image_set.pk, {"types": [types["ball"].pk], "min_verifications": 0}) == 1
    assert report["written"] == {"ball": 1}


def test_options_select_by_origin_and_least_confidence(setup):
    image_set, types, user = setup
    labels = list(Annotation.objects.filter(image__image_set=image_set).order_by("id"))
    Annotation.objects.filter(pk=labels[0].pk).update(origin="machine", model_name="m", confidence=0.3)
    Annotation.objects.filter(pk=labels[1].pk).update(origin="machine", model_name="m", confidence=0.8)
    ids = lambda options: set(standard.selected_annotations(image_set.pk, options).values_list("pk", flat=True))  # noqa: E731
    everyone = {label.pk for label in labels}
    assert ids({"origin": "machine"}) == {labels[0].pk, labels[1].pk}
    assert ids({"origin": "human"}) == everyone - {labels[0].pk, labels[1].pk}
    assert ids({"min_confidence": 0.5}) == everyone - {labels[0].pk}, "people's labels stay"
    assert ids({"origin": "machine", "min_confidence": 0.5}) == {labels[1].pk}
    data, report = export(StandardFormat.COCO, image_set, {"origin": "machine", "min_confidence": 0.5})
    assert len(json.loads(data)["annotations"]) == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"origin": "robot"}, "human"),
        ({"min_confidence": 2}, "from 0 to 1"),
        ({"min_confidence": "high"}, "from 0 to 1"),
        ({"colour": 1}, "Unknown options"),
        ({"types": "all"}, "types"),
        ({"types": [999999]}, "do not exist"),
        ({"min_verifications": "x"}, "whole number"),
        ({"keypoints": "yes"}, "true or false"),
    ],
)
def test_bad_options(db, options, message):
    with pytest.raises(ValidationError, match=message):
        standard.clean_options(StandardFormat.COCO, options)


def test_keypoints_option_only_for_coco(db):
    with pytest.raises(ValidationError, match="Unknown options"):
        standard.clean_options(StandardFormat.VOC, {"keypoints": True})


def test_writers_stream_with_progress(setup):
    image_set, _types, _user = setup
    seen = []
    standard.write(StandardFormat.COCO, image_set, io.BytesIO(), {}, seen.append)
    assert seen
    assert seen[-1] == 6
    assert seen == sorted(seen)


def test_point_and_line_vectors_unchanged_in_pipe(setup):
    image_set, _types, _user = setup
    lines = export(StandardFormat.PIPE, image_set)[0].decode().splitlines()
    vectors = [json.loads(line.split("|")[2]) for line in lines if "{" in line]
    assert POINT in vectors
    assert LINE in vectors
    assert BOX in vectors
