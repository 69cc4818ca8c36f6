"""LabelMe JSON: our export (a JSON per image; rectangles, polygons, lines, linestrips, points; flags and
attribute values), its import back, bad files; globox (a real reader) reads our files and we import
what it writes."""

import io
import json
import zipfile

import pytest

from annotations.models import Annotation
from exports.imports import import_labels
from exports.models import StandardFormat

from .helpers import empty_copy, schema_set, written

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(make_user, make_team):
    user = make_user()
    team = make_team(admins=[user])
    colour = [{"name": "colour", "kind": "text", "max_length": 40, "default": ""}]
    image_set, types = schema_set(user, team, colour, {"colour": "dark red"})
    image_set.images.filter(name="img00001.png").update(name="day1/img.with.dots.png")
    return image_set, types, user, team


def export(image_set):
    return written(StandardFormat.LABELME, image_set)


def files(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: json.loads(archive.read(name)) for name in archive.namelist()}


def copy_of(image_set, user, team):
    copy = empty_copy(image_set, user)
    copy.images.filter(name="img00001.png").update(name="day1/img.with.dots.png")
    return copy


def labels(image_set):
    return sorted(
        (a.image.name, a.annotation_type.name, a.vector, a.blurred_flag, a.concealed_flag, a.attributes)
        for a in Annotation.objects.filter(image__image_set=image_set, vector__isnull=False).select_related(
            "image", "annotation_type"
        )
    )


def test_labelme_export_is_a_json_per_image_beside_where_the_image_goes(setup):
    image_set, _types, _user, _team = setup
    data, report = export(image_set)
    found = files(data)
    assert sorted(found) == ["day1/img.with.dots.json", "img00000.json", "img00002.json"]
    first = found["img00000.json"]
    assert (first["imagePath"], first["imageWidth"], first["imageHeight"]) == ("img00000.png", 200, 250)
    assert found["day1/img.with.dots.json"]["imagePath"] == "img.with.dots.png"
    shapes = {shape["label"]: shape for shape in first["shapes"]}
    assert shapes["ball"]["shape_type"] == "rectangle"
    assert shapes["ball"]["points"] == [[10, 20], [110, 220]]
    assert shapes["ball"]["flags"] == {"concealed": False, "blurred": True}
    assert shapes["ball"]["attributes"] == {"colour": "dark red"}
    assert shapes["field"]["shape_type"] == "polygon"
    assert shapes["spot"] == {**shapes["spot"], "shape_type": "point", "points": [[5, 6]]}
    assert shapes["line"]["shape_type"] == "line"
    assert shapes["line"]["flags"]["concealed"] is True
    assert found["img00002.json"]["shapes"] == []
    assert report["skipped"] == [
        "1 not-in-image label(s) skipped: LabelMe has no way to say that an object is not in an image"
    ]


def test_labelme_export_imports_back_into_a_copy(setup):
    image_set, _types, user, team = setup
    data, _ = export(image_set)
    copy = copy_of(image_set, user, team)
    result = import_labels(actor=user, image_set=copy, fileobj=io.BytesIO(data), format="labelme")
    assert (result.created, result.errors) == (5, 0), result.report
    assert labels(copy) == labels(image_set)


def test_a_single_labelme_file_and_bad_ones(setup):
    image_set, _types, user, _team = setup

    def run(document, name="x.json"):
        data = document if isinstance(document, bytes) else json.dumps(document).encode()
        return import_labels(actor=user, image_set=image_set, fileobj=io.BytesIO(data), format="labelme")

    shapes = [
        {"label": "ball", "shape_type": "rectangle", "points": [[150, 200], [120, 100]]},  # corners any way round
        {"label": "ball", "shape_type": "circle", "points": [[1, 1], [5, 5]]},
        {"label": "ball", "shape_type": "rectangle", "points": [[1, 1], [5, 5], [9, 9]]},
        {"label": "field", "shape_type": "polygon", "points": [[1, "a"]]},
        {"label": "ball", "shape_type": "rectangle", "points": [[1, 1], [5, 5]], "attributes": ["red"]},
    ]
    result = run({"imagePath": "../images/img00002.png", "shapes": shapes})
    assert [entry["status"] for entry in result.report] == ["created", "error", "error", "error", "error"]
    messages = [entry["message"] for entry in result.report]
    assert "circle shapes cannot be imported" in messages[1]
    assert "2 points" in messages[2]
    assert "[x, y] pairs" in messages[3]
    assert "“attributes” must be a JSON object" in messages[4]
    assert Annotation.objects.get(image__name="img00002.png").vector == {"x1": 120, "y1": 100, "x2": 150, "y2": 200}
    bad = run(b"{not json")
    assert bad.report[0]["status"] == "error"
    assert "The file is not valid JSON (" in bad.report[0]["message"]
    assert "“shapes”" in run({"imagePath": "a.png"}).report[0]["message"]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_globox_reads_our_labelme_files_and_we_import_what_it_writes(setup, tmp_path):
    from globox import AnnotationSet

    image_set, _types, user, team = setup
    folder = tmp_path / "labelme"
    with zipfile.ZipFile(io.BytesIO(export(image_set)[0])) as archive:
        archive.extractall(folder)
    read = AnnotationSet.from_labelme(folder, recursive=True)
    boxes = sorted((a.image_id, b.label, b.ltrb) for a in read for b in a.boxes)
    assert boxes == [("img.with.dots.png", "ball", (0, 0, 200, 250)), ("img00000.png", "ball", (10, 20, 110, 220))]
    written = tmp_path / "globox"
    read.save_labelme(written)
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        for path in sorted(written.iterdir()):
            archive.write(path, path.name)
    copy = copy_of(image_set, user, team)
    result = import_labels(actor=user, image_set=copy, fileobj=io.BytesIO(zipped.getvalue()), format="labelme")
    assert (result.created, result.errors) == (2, 0), result.report
    assert [(name, vector) for name, _type, vector, *_ in labels(copy)] == [
        ("day1/img.with.dots.png", {"x1": 0, "y1": 0, "x2": 200, "y2": 250}),
        ("img00000.png", {"x1": 10, "y1": 20, "x2": 110, "y2": 220}),
    ]
