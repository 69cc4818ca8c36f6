"""CVAT for images 1.1 XML: our export (every shape, flags, attributes, tags), its import back, CVAT's
zip, bad files; globox (a real reader, pinned in requirements-dev) reads our boxes and we import its."""

import io
import xml.etree.ElementTree as ET
import zipfile

import pytest
from django.core.exceptions import ValidationError

from annotations.models import Annotation
from exports import standard
from exports.imports import import_labels
from exports.models import StandardFormat

from .helpers import BOX, LINE, POINT, POLYGON, empty_copy, schema_set, written

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(make_user, make_team):
    user = make_user()
    team = make_team(admins=[user])
    colour = [{"name": "colour", "kind": "select", "values": ["red", "blue"], "default": "red"}]
    image_set, types = schema_set(user, team, colour, {"colour": "red"}, tag=True)  # red: the default
    first = image_set.images.get(name="img00000.png")
    Annotation.objects.filter(annotation_type=types["ball"], image=first).update(attributes={"colour": "blue"})
    return image_set, types, user, team


def export(image_set, options=None):
    return written(StandardFormat.CVAT, image_set, options)


def test_cvat_export_holds_every_shape_flag_attribute_and_tag(setup):
    image_set, _types, _user, _team = setup
    data, report = export(image_set)
    root = ET.fromstring(data)
    assert root.findtext("version") == "1.1"
    labels = {label.findtext("name"): label for label in root.iter("label")}
    assert {name: label.findtext("type") for name, label in labels.items()} == {
        "ball": "rectangle",
        "field": "polygon",
        "line": "polyline",
        "night": "tag",
        "spot": "points",
    }
    ball_attributes = [a.findtext("name") for a in labels["ball"].iter("attribute")]
    assert ball_attributes == ["colour", "blurred"]
    assert labels["ball"].find("attributes/attribute/values").text.split("\n") == ["red", "blue"]
    first = next(image for image in root.iter("image") if image.get("name") == "img00000.png")
    assert (first.get("width"), first.get("height")) == ("200", "250")
    box = first.find("box")
    assert [box.get(k) for k in ("label", "xtl", "ytl", "xbr", "ybr", "occluded")] == [
        "ball", "10.00", "20.00", "110.00", "220.00", "0",
    ]  # fmt: skip
    assert {a.get("name"): a.text for a in box.findall("attribute")} == {"colour": "blue", "blurred": "true"}
    assert first.find("polygon").get("points") == "10.00,10.00;90.00,10.00;50.00,80.00"
    assert first.find("points").get("points") == "5.00,6.00"
    line = first.find("polyline")
    assert (line.get("points"), line.get("occluded")) == ("1.00,2.00;30.00,40.00", "1")
    assert first.find("tag").get("label") == "night"
    assert report["skipped"] == [
        "1 not-in-image label(s) skipped: CVAT has no way to say that an object is not in an image"
    ]


def test_cvat_export_imports_back_into_a_copy(setup):
    image_set, types, user, team = setup
    data, _ = export(image_set)
    copy = empty_copy(image_set, user)
    result = import_labels(actor=user, image_set=copy, fileobj=io.BytesIO(data), format="cvat")
    assert (result.created, result.errors) == (6, 0), result.report

    def labels(of):
        return sorted(
            (a.image.name, a.annotation_type.name, a.vector, a.blurred_flag, a.concealed_flag, a.attributes)
            for a in Annotation.objects.filter(image__image_set=of, vector__isnull=False).select_related(
                "image", "annotation_type"
            )
        )

    assert labels(copy) == labels(image_set)
    assert {(a.annotation_type.name, tuple(sorted(a.vector.items()))) for a in Annotation.objects.filter(
        image__image_set=copy, image__name="img00000.png", vector__isnull=False
    )} == {(name, tuple(sorted(vector.items()))) for name, vector in [
        ("ball", BOX), ("field", POLYGON), ("spot", POINT), ("line", LINE)
    ]}  # fmt: skip
    tag = Annotation.objects.get(image__image_set=copy, annotation_type=types["night"])
    assert (tag.image.name, tag.vector) == ("img00000.png", None)


def test_cvat_zip_with_images_and_cvat_s_own_zip_import(setup):
    image_set, _types, user, team = setup
    out = io.BytesIO()
    standard.write(StandardFormat.CVAT, image_set, out, {"images": True})
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        names = archive.namelist()
    assert names[0] == "annotations.xml"
    assert standard.extension("cvat", {"images": True}) == "zip"
    # (The images of this set are rows without files: each is reported, the XML is complete.)
    copy = empty_copy(image_set, user)
    result = import_labels(actor=user, image_set=copy, fileobj=io.BytesIO(out.getvalue()), format="cvat")
    assert (result.created, result.errors) == (6, 0), result.report


def test_bad_cvat_files(setup):
    image_set, _types, user, _team = setup

    def run(data):
        return import_labels(actor=user, image_set=image_set, fileobj=io.BytesIO(data), format="cvat")

    with pytest.raises(ValidationError, match="Not valid XML"):
        run(b"<annotations><image")
    with pytest.raises(ValidationError, match="root element is <annotations>"):
        run(b"<annotation><filename>a.png</filename></annotation>")
    with pytest.raises(ValidationError, match="CVAT for video"):
        run(b'<annotations><track id="0" label="ball"/></annotations>')
    with pytest.raises(ValidationError, match="DOCTYPE"):
        run(b'<!DOCTYPE a [<!ENTITY e "x">]><annotations/>')
    empty_zip = io.BytesIO()
    with zipfile.ZipFile(empty_zip, "w") as archive:
        archive.writestr("other.xml", "<annotations/>")
    with pytest.raises(ValidationError, match="annotations.xml"):
        run(empty_zip.getvalue())
    result = run(
        b'<annotations><image name="img00002.png">'
        b'<skeleton label="ball"><points label="nose" points="1,2"/></skeleton>'
        b'<polygon label="field" points="1,2;3"/>'
        b'<box label="ball" xtl="a" ytl="1" xbr="5" ybr="5"/>'
        b'<box label="ball" xtl="1" ytl="1" xbr="50" ybr="50" rotation="30"/>'
        b"</image></annotations>"
    )
    assert [entry["status"] for entry in result.report] == ["error", "error", "error", "created"]
    messages = [entry["message"] for entry in result.report]
    assert "skeleton shapes cannot be imported" in messages[0]
    assert "points must be" in messages[1]
    assert "numeric xtl" in messages[2]
    assert "rotation was left out" in messages[3]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_globox_reads_our_cvat_boxes_and_we_import_what_globox_writes(setup, tmp_path):
    from globox import AnnotationSet

    image_set, _types, user, team = setup
    path = tmp_path / "annotations.xml"
    path.write_bytes(export(image_set)[0])
    read = AnnotationSet.from_cvat(path)
    boxes = sorted((a.image_id, b.label, b.ltrb) for a in read for b in a.boxes)
    assert boxes == [("img00000.png", "ball", (10.0, 20.0, 110.0, 220.0)), ("img00001.png", "ball", (0, 0, 200, 250))]
    written = tmp_path / "globox.xml"
    read.save_cvat(written)
    copy = empty_copy(image_set, user)
    result = import_labels(actor=user, image_set=copy, fileobj=io.BytesIO(written.read_bytes()), format="cvat")
    assert (result.created, result.errors) == (2, 0), result.report
    assert sorted(a.vector["x2"] for a in Annotation.objects.filter(image__image_set=copy)) == [110, 200]
