"""Label import: the four formats, bad lines, duplicates, permissions, no votes, machine-made labels,
large imports through the worker, the API and the set page panel."""

import csv
import io
import json
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage

from annotations.models import Annotation, AnnotationHistory, AnnotationType, Origin, VectorType, Verification
from base.tests.s3 import fetched
from exports import importers
from exports.imports import import_labels
from exports.models import LabelImport
from images.models import Image
from images.tests.factories import add_image_rows, make_imageset

# Every test runs with the local folder and with a bucket (moto's S3 server, see conftest.storage_dir).
pytestmark = [pytest.mark.django_db, pytest.mark.storages("filesystem", "s3")]


def sized(image_set, names, width=1000, height=800, start=0):
    images = add_image_rows(image_set, len(names), start=start)
    for image, name in zip(images, names, strict=True):
        image.name, image.width, image.height = name, width, height
    Image.objects.bulk_update(images, ["name", "width", "height"])
    return {image.name: image for image in images}


@pytest.fixture
def world(make_user, make_team, storage_dir):
    ada, bob, otto, reader = make_user("ada"), make_user("bob"), make_user("otto"), make_user("reader")
    team = make_team("Robots", admins=[ada], members=[bob])
    image_set = make_imageset(team, creator=ada)
    images = sized(image_set, ["a.png", "b.png", "day1/c.png", "day2/c.png", "d.jpg"])
    public = make_imageset(team, creator=ada, public=True)
    collab = make_imageset(team, creator=ada, public=True, public_collaboration=True)
    sized(collab, ["x.png"])
    types = {
        "ball": AnnotationType.objects.create(name="ball"),
        "goal": AnnotationType.objects.create(name="goal", vector_type=VectorType.POLYGON),
        "spot": AnnotationType.objects.create(name="spot", vector_type=VectorType.POINT),
        "old": AnnotationType.objects.create(name="old", active=False),
    }
    return {
        "ada": ada,
        "bob": bob,
        "otto": otto,
        "reader": reader,
        "set": image_set,
        "public": public,
        "collab": collab,
        "images": images,
        "types": types,
    }


def run(world, text, *, format="pipe", actor=None, **options):
    data = text.encode() if isinstance(text, str) else text
    return import_labels(
        actor=actor or world["ada"], image_set=world["set"], fileobj=io.BytesIO(data), format=format, **options
    )


def statuses(label_import):
    return [(entry["line"], entry["status"]) for entry in label_import.report]


def messages(label_import):
    return {entry["line"]: entry["message"] for entry in label_import.report}


BOX = '{"x1": 10, "y1": 20, "x2": 40, "y2": 50}'


# --- pipe format ------------------------------------------------------------------------------------


def test_pipe_lines_create_labels_with_flags_and_paths(world):
    text = "\n".join(
        [
            f"a.png|ball|{BOX}",
            f"day1/c.png|ball|{BOX}|bc",
            "b.png|ball|not in image",
            "d.jpg|ball|{}",
            'a.png|goal|{"x1": 1, "y1": 1, "x2": "50", "y2": 1, "x3": 20.4, "y3": 30,}',
        ]
    )
    result = run(world, text)
    assert result.state == LabelImport.State.DONE
    assert (result.created, result.duplicates, result.errors) == (5, 0, 0)
    assert result.summary == "5 created, 0 duplicates, 0 errors"
    labels = {(a.image.name, a.annotation_type.name): a for a in Annotation.objects.select_related("image")}
    assert labels[("a.png", "ball")].vector == {"x1": 10, "y1": 20, "x2": 40, "y2": 50}
    flagged = labels[("day1/c.png", "ball")]
    assert flagged.blurred_flag
    assert flagged.concealed_flag
    assert labels[("b.png", "ball")].vector is None
    assert labels[("d.jpg", "ball")].vector is None
    assert labels[("a.png", "goal")].vector == {"x1": 1, "y1": 1, "x2": 50, "y2": 1, "x3": 20, "y3": 30}
    assert all(a.user == world["ada"] and a.origin == Origin.HUMAN for a in labels.values())
    assert AnnotationHistory.objects.filter(action="create").count() == 5
    assert not Verification.objects.exists()


def test_crlf_blank_lines_bom_and_trailing_commas_are_tolerated(world):
    text = f"\ufeffa.png|ball|{BOX}\r\n\r\n   \r\nb.png|ball|" + '{"x1": 1, "y1": 2, "x2": 3, "y2": 4, }\r\n\n'
    result = run(world, text)
    assert (result.created, result.errors) == (2, 0)
    assert statuses(result) == [(1, "created"), (4, "created")]


def test_bad_lines_are_reported_and_good_ones_kept(world):
    lines = [
        f"nowhere.png|ball|{BOX}",  # 1 unknown image
        f"a.png|nothing|{BOX}",  # 2 unknown type
        f"a.png|old|{BOX}",  # 3 inactive type
        'a.png|ball|{"x1": 10, "y1": 20, "x2": 5, "y2": 50}',  # 4 invalid box
        'a.png|ball|{"x1": 10, "y1": 20, "x2": 5000, "y2": 50}',  # 5 outside the image
        'a.png|ball|{"x1": 10, "y1": 20 "x2": 5}',  # 6 bad JSON
        "a.png|ball|[1, 2]",  # 7 not an object
        "a.png|ball",  # 8 too few fields
        f"b.png|ball|{BOX}|bxz",  # 9 unknown flags, still created
        f"b.png|ball|{BOX}",  # 10 duplicate within the file
        'b.png|ball|{"x1": 12, "y1": 22, "x2": 42, "y2": 52}',  # 11 similar within the file
        "b.png|ball|not in image",  # 12 not in image beside shapes
        'a.png|ball|{"x1": "ten", "y1": 1, "x2": 3, "y2": 4}',  # 13 not a number
    ]
    result = run(world, "\n".join(lines))
    assert (result.created, result.duplicates, result.errors, result.warnings) == (1, 2, 10, 1)
    found = dict(statuses(result))
    assert found == {
        **dict.fromkeys((1, 2, 3, 4, 5, 6, 7, 8, 12, 13), "error"),
        9: "created",
        10: "duplicate",
        11: "duplicate",
    }
    text = messages(result)
    assert "“nowhere.png” does not exist" in text[1]
    assert "no annotation type “nothing”" in text[2]
    assert "“old” is not active" in text[3]
    assert "x1 < x2" in text[4]
    assert "outside the image" in text[5]
    assert "not valid JSON" in text[6]
    assert "JSON object" in text[7]
    assert "fewer than 3 fields" in text[8]
    assert "Unknown flag(s) “xz”" in text[9]
    assert "line 9 of this file" in text[10]
    assert "cannot be “not in image”" in text[12]
    assert "must be a number" in text[13]
    assert Annotation.objects.count() == 1


def test_duplicates_against_existing_labels_are_skipped_and_counted(world):
    first = run(world, f"a.png|ball|{BOX}\nb.png|ball|not in image")
    assert first.created == 2
    existing = Annotation.objects.get(image__name="a.png")
    second = run(world, f"a.png|ball|{BOX}\nb.png|ball|not in image\nb.png|ball|{BOX}", actor=world["bob"])
    assert (second.created, second.duplicates, second.errors) == (0, 2, 1)
    assert f"annotation {existing.pk}" in messages(second)[1]
    assert "marked “not in image”" in messages(second)[3]
    assert Annotation.objects.count() == 2


def test_ambiguous_stem_and_names_with_folders(world):
    voc = _voc("c.png", [("ball", 1, 2, 30, 40)])
    result = run(world, voc, format="voc")
    assert result.errors == 1
    assert "fits 2 images" in result.report[0]["message"]
    result = run(world, _voc("day2/c.png", [("ball", 1, 2, 30, 40)]), format="voc")
    assert result.created == 1
    assert Annotation.objects.get().image == world["images"]["day2/c.png"]


def test_images_named_by_base_name_or_below_another_folder_are_found_when_only_one_fits(world):
    sized(world["set"], ["night/e.png"], start=100)
    files = {
        "e.png": "night/e.png",  # a base name, as supervision writes COCO
        "images/a.png": "a.png",  # below the reader's own folder
        "export/day1/c.png": "day1/c.png",  # the longest common end decides between day1 and day2
    }
    annotations = [
        {"id": number, "image_id": number, "category_id": 1, "bbox": [1, 2, 30, 40]}
        for number in range(1, len(files) + 2)
    ]
    images = [{"id": number, "file_name": name} for number, name in enumerate([*files, "c.png"], start=1)]
    text = json.dumps({"images": images, "categories": [{"id": 1, "name": "ball"}], "annotations": annotations})
    result = run(world, text, format="coco")
    assert statuses(result) == [(1, "created"), (2, "created"), (3, "created"), (4, "error")]
    assert "fits 2 images" in messages(result)[4], "c.png is day1/c.png or day2/c.png: not guessed"
    assert sorted(Annotation.objects.values_list("image__name", flat=True)) == sorted(files.values())


def test_machine_made_marking_and_model_name(world):
    result = run(world, f"a.png|ball|{BOX}", machine_made=True, model_name="yolov8n")
    assert result.created == 1
    label = Annotation.objects.get()
    assert (label.origin, label.model_name, label.user) == (Origin.MACHINE, "yolov8n", world["ada"])
    with pytest.raises(ValidationError):
        run(world, f"a.png|ball|{BOX}", model_name="human with a model?")


def test_unknown_format_and_unreadable_files_are_refused_whole(world):
    with pytest.raises(ValidationError, match="Choose one of"):
        run(world, "x", format="csv")
    with pytest.raises(ValidationError, match="not valid JSON"):
        run(world, "{nope", format="coco")
    with pytest.raises(ValidationError, match="not a zip"):
        run(world, "plain text", format="yolo")
    assert not LabelImport.objects.exists()


def test_non_utf8_line_is_an_error(world):
    result = run(world, b"a\xff.png|ball|{}\n" + f"a.png|ball|{BOX}".encode())
    assert statuses(result) == [(1, "error"), (2, "created")]
    assert "UTF-8" in result.report[0]["message"]


def test_full_report_is_a_csv_in_storage(world):
    result = run(world, f"a.png|ball|{BOX}\nzzz.png|ball|{BOX}")
    with default_storage.open(result.report_file, "rb") as handle:
        rows = list(csv.reader(io.StringIO(handle.read().decode())))
    assert rows[0] == ["line", "source", "status", "message", "image", "type"]
    assert [row[:3] for row in rows[1:]] == [["1", "line 1", "created"], ["2", "line 2", "error"]]


# --- permissions -------------------------------------------------------------------------------------


def test_permissions_of_the_service(world):
    with pytest.raises(PermissionDenied):
        run(world, f"a.png|ball|{BOX}", actor=world["otto"])
    assert run(world, f"a.png|ball|{BOX}", actor=world["bob"]).created == 1


def _post(api, image_set, text, name="labels.txt", **fields):
    upload = io.BytesIO(text.encode() if isinstance(text, str) else text)
    upload.name = name
    return api.post(f"/api/v1/imagesets/{image_set.pk}/label-imports/", {"file": upload, **fields}, format="multipart")


def test_api_permissions_outsider_404_reader_403_collaborator_allowed(world, api_for):
    assert _post(api_for(world["otto"]), world["set"], f"a.png|ball|{BOX}").status_code == 404
    response = _post(api_for(world["reader"]), world["public"], f"a.png|ball|{BOX}")
    assert response.status_code == 403
    assert "detail" in response.json()
    response = _post(api_for(world["reader"]), world["collab"], f"x.png|ball|{BOX}")
    assert response.status_code == 201, response.json()
    assert response.json()["created"] == 1
    assert _post(api_for(), world["set"], "x").status_code in (401, 403)
    assert Annotation.objects.count() == 1


def test_api_import_report_status_and_csv(world, api_for):
    api = api_for(world["bob"])
    response = _post(api, world["set"], f"a.png|ball|{BOX}\nnone.png|ball|{BOX}", machine_made="true", model_name="m1")
    assert response.status_code == 201
    body = response.json()
    assert body["summary"] == "1 created, 0 duplicates, 1 error"
    assert body["report"][1] == {
        "line": 2,
        "source": "line 2",
        "status": "error",
        "message": "The image “none.png” does not exist in this image set.",
    }
    assert Annotation.objects.get().origin == Origin.MACHINE
    assert api.get(body["status_url"]).json()["id"] == body["id"]
    status, headers, data = fetched(api.get(body["report_url"]))
    assert (status, headers["Content-Type"]) == (200, "text/csv")
    assert b"none.png" in data
    assert api_for(world["otto"]).get(body["status_url"]).status_code == 404
    bad = _post(api, world["set"], "x", format="nope")
    assert bad.status_code == 400
    assert "format" in bad.json()["errors"]
    bad_json = _post(api, world["set"], "{oops", format="coco", name="c.json")
    assert bad_json.status_code == 400
    assert "not valid JSON" in bad_json.json()["detail"]


# --- other formats -----------------------------------------------------------------------------------


def _coco(world, annotations, categories=None):
    return json.dumps(
        {
            "images": [
                {"id": 1, "file_name": "a.png", "width": 1000, "height": 800},
                {"id": 2, "file_name": "day1/c.png"},
            ],
            "categories": categories
            or [{"id": 1, "name": "ball"}, {"id": 2, "name": "goal"}, {"id": 3, "name": "spot"}],
            "annotations": annotations,
        }
    )


def test_coco_boxes_polygons_points_and_bad_records(world):
    text = _coco(
        world,
        [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10.2, 20, 30, 30.4]},
            {"id": 2, "image_id": 2, "category_id": 2, "bbox": [0, 0, 9, 9], "segmentation": [[1, 1, 50, 1, 20, 30]]},
            {"id": 3, "image_id": 1, "category_id": 3, "keypoints": [5, 6, 2]},
            {"id": 4, "image_id": 9, "category_id": 1, "bbox": [1, 1, 2, 2]},
            {"id": 5, "image_id": 1, "category_id": 2, "bbox": [1, 1, 2, 2]},
            {"id": 6, "image_id": 1, "category_id": 1, "bbox": [10, 20, 30, 30]},
        ],
    )
    result = run(world, text, format="coco")
    assert statuses(result) == [
        (1, "created"),
        (2, "created"),
        (3, "created"),
        (4, "error"),
        (5, "error"),
        (6, "duplicate"),
    ]
    labels = {(a.image.name, a.annotation_type.name): a.vector for a in Annotation.objects.select_related("image")}
    assert labels[("a.png", "ball")] == {"x1": 10, "y1": 20, "x2": 40, "y2": 50}
    assert labels[("day1/c.png", "goal")] == {"x1": 1, "y1": 1, "x2": 50, "y2": 1, "x3": 20, "y3": 30}
    assert labels[("a.png", "spot")] == {"x1": 5, "y1": 6}
    assert "image_id 9" in messages(result)[4]
    assert "polygon" in messages(result)[5]


def _voc(filename, objects, flag="occluded"):
    parts = [f"<annotation><filename>{filename}</filename><size><width>1000</width><height>800</height></size>"]
    for name, xmin, ymin, xmax, ymax in objects:
        parts.append(
            f"<object><name>{name}</name><{flag}>1</{flag}><bndbox><xmin>{xmin}</xmin><ymin>{ymin}</ymin>"
            f"<xmax>{xmax}</xmax><ymax>{ymax}</ymax></bndbox></object>"
        )
    parts.append("</annotation>")
    return "".join(parts)


def test_voc_single_file_and_zip(world):
    result = run(world, _voc("a.png", [("ball", 10, 20, 40, 50), ("nothing", 1, 1, 2, 2)]), format="voc")
    assert statuses(result) == [(1, "created"), (2, "error")]
    assert Annotation.objects.get().concealed_flag
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("Annotations/b.xml", _voc("b.jpg", [("ball", 1, 2, 30, 40)]))  # by stem
        out.writestr("Annotations/d.xml", _voc("d.jpg", [("ball", 1, 2, "x", 40)]))
        out.writestr("Annotations/broken.xml", "<annotation><filename>")
        out.writestr("Annotations/evil.xml", '<!DOCTYPE a [<!ENTITY e "x">]><annotation/>')
    result = run(world, archive.getvalue(), format="voc")
    assert (result.created, result.errors) == (1, 3)
    assert Annotation.objects.filter(image__name="b.png").exists()


def test_voc_pixel_indices_from_1_as_the_devkit_writes_them_or_from_0(world):
    # The devkit (and supervision, CVAT, our export): xmin 11 is the 11th pixel, x = 10 from 0.
    run(world, _voc("a.png", [("ball", 11, 21, 40, 50)]), format="voc")
    assert Annotation.objects.get().vector == {"x1": 10, "y1": 20, "x2": 40, "y2": 50}
    Annotation.objects.all().delete()
    # A file with a box at 0 counts from 0 (datumaro's default): every box of it is taken as written.
    run(world, _voc("a.png", [("ball", 0, 5, 40, 50), ("ball", 100, 200, 300, 400)]), format="voc")
    assert sorted(a.vector["x1"] for a in Annotation.objects.all()) == [0, 100]


def test_voc_truncated_is_not_the_concealed_flag(world):
    run(world, _voc("a.png", [("ball", 11, 21, 40, 50)], flag="truncated"), format="voc")
    assert not Annotation.objects.get().concealed_flag


def test_voc_export_imports_back_into_a_copy(world):
    from exports import standard

    run(world, f"a.png|ball|{BOX}|c\nday1/c.png|ball|" + '{"x1": 0, "y1": 0, "x2": 777, "y2": 799}')
    out = io.BytesIO()
    standard.write("voc", world["set"], out)
    copy = make_imageset(world["set"].team, creator=world["ada"], name="copy")
    sized(copy, ["a.png", "day1/c.png"], start=300)
    result = import_labels(actor=world["ada"], image_set=copy, fileobj=io.BytesIO(out.getvalue()), format="voc")
    assert (result.created, result.errors) == (2, 0), result.report
    for image_set in (world["set"], copy):
        labels = Annotation.objects.filter(image__image_set=image_set).order_by("image__name")
        assert [(a.image.name, a.vector, a.concealed_flag) for a in labels] == [
            ("a.png", json.loads(BOX), True),
            ("day1/c.png", {"x1": 0, "y1": 0, "x2": 777, "y2": 799}, False),
        ]


def test_yolo_boxes_and_polygons_in_pixels(world):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("classes.txt", "ball\ngoal\n")
        out.writestr("labels/a.txt", "0 0.5 0.5 0.1 0.2\n\n1 0.1 0.1 0.5 0.1 0.3 0.5\n7 0.5 0.5 0.1 0.1\n0 0.5 0.5\n")
        out.writestr("labels/day1/c.txt", "0 0.25 0.25 0.1 0.1\n")
        out.writestr("labels/zzz.txt", "0 0.25 0.25 0.1 0.1\n")
    result = run(world, archive.getvalue(), format="yolo")
    assert [entry["status"] for entry in result.report] == ["created", "created", "error", "error", "created", "error"]
    labels = {(a.image.name, a.annotation_type.name): a.vector for a in Annotation.objects.select_related("image")}
    assert labels[("a.png", "ball")] == {"x1": 450, "y1": 320, "x2": 550, "y2": 480}
    assert labels[("a.png", "goal")] == {"x1": 100, "y1": 80, "x2": 500, "y2": 80, "x3": 300, "y3": 400}
    assert labels[("day1/c.png", "ball")] == {"x1": 200, "y1": 160, "x2": 300, "y2": 240}
    empty = io.BytesIO()
    with zipfile.ZipFile(empty, "w") as out:
        out.writestr("a.txt", "0 0.5 0.5 0.1 0.1")
    with pytest.raises(ValidationError, match="classes.txt"):
        run(world, empty.getvalue(), format="yolo")  # the message names every kind of class file


def _zip(files):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as out:
        for name, text in files.items():
            out.writestr(name, text)
    return archive.getvalue()


@pytest.mark.parametrize(
    "names",
    [
        {"data.yaml": "path: .\ntrain: images/train\nnames:\n  0: ball\n  1: goal\n"},
        {"data.yaml": "names: [ball, goal]\nnc: 2\n"},
        {"obj.names": "ball\ngoal\n", "obj.data": "classes = 2\nnames = obj.names\n"},
        {"classes.txt": "ball\ngoal\n"},
    ],
    ids=["ultralytics-mapping", "ultralytics-list", "darknet", "plain"],
)
def test_yolo_class_names_from_data_yaml_obj_names_or_classes_txt(world, names):
    files = {
        **names,
        "train.txt": "images/train/a.png\nimages/train/c.png\n",  # a list of images: no labels in it
        "labels/train/a.txt": "1 0.1 0.1 0.5 0.1 0.3 0.5\n",
    }
    result = run(world, _zip(files), format="yolo")
    assert statuses(result) == [(1, "created")], result.report
    assert Annotation.objects.get().annotation_type.name == "goal"


def test_yolo_bad_class_files_are_refused_whole(world):
    with pytest.raises(ValidationError, match="needs its class names"):
        run(world, _zip({"a.txt": "0 0.5 0.5 0.1 0.1"}), format="yolo")
    with pytest.raises(ValidationError, match="not valid YAML"):
        run(world, _zip({"data.yaml": "names: [ball", "a.txt": "0 0.5 0.5 0.1 0.1"}), format="yolo")
    with pytest.raises(ValidationError, match="has no “names”"):
        run(world, _zip({"data.yaml": "nc: 2\n", "a.txt": "0 0.5 0.5 0.1 0.1"}), format="yolo")


def test_yolo_names_with_dots_and_boxes_written_as_four_corners(world):
    sized(world["set"], ["img.with.dots.png"], start=200)
    files = {
        "classes.txt": "ball\n",
        "labels/img.with.dots.txt": "0 0.5 0.5 0.1 0.2\n",
        # YOLO segmentation writes a box as its 4 corners; a box type takes them back as a box.
        "labels/a.txt": "0 0.1 0.2 0.3 0.2 0.3 0.4 0.1 0.4\n0 0.1 0.2 0.3 0.25 0.3 0.4 0.1 0.4\n",
    }
    result = run(world, _zip(files), format="yolo")
    # labels/a.txt comes first (members are read in name order)
    assert statuses(result) == [(1, "created"), (2, "error"), (3, "created")], result.report
    assert "is a bounding box, but this record has polygon" in messages(result)[2], "not a rectangle: not guessed"
    labels = {a.image.name: a.vector for a in Annotation.objects.select_related("image")}
    assert labels["img.with.dots.png"] == {"x1": 450, "y1": 320, "x2": 550, "y2": 480}
    assert labels["a.png"] == {"x1": 100, "y1": 160, "x2": 300, "y2": 320}


def test_parsers_number_records_by_line():
    records = list(importers.parse("pipe", io.BytesIO(b"\n\na|b|{}\r\n")))
    assert [(r.number, r.image, r.type, r.vector, r.given) for r in records] == [(3, "a", "b", None, True)]


# --- large imports in the worker -------------------------------------------------------------------


def test_large_import_runs_in_the_worker(world, settings, api_for, monkeypatch, django_capture_on_commit_callbacks):
    from django.core.management import call_command

    settings.IMPORT_INLINE_LIMIT = 3
    lines = "\n".join(f"{name}|ball|{BOX}" for name in ["a.png", "b.png", "d.jpg", "day1/c.png", "nope.png"])
    api = api_for(world["bob"])
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(api, world["set"], lines)
    assert response.status_code == 202
    body = response.json()
    assert body["state"] == "queued"
    assert response["Location"] == body["status_url"]
    assert not Annotation.objects.exists()
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    call_command("runzipdaemon", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    status = api.get(body["status_url"]).json()
    assert status["state"] == "done"
    assert status["summary"] == "4 created, 0 duplicates, 1 error"
    assert Annotation.objects.count() == 4
    label_import = LabelImport.objects.get()
    assert label_import.upload_file == ""
    assert not Verification.objects.exists()


# --- pages -------------------------------------------------------------------------------------------


def test_set_page_panel_and_result_page(world, client_for):
    client = client_for(world["bob"])
    page = client.get(f"/images/imageset/{world['set'].pk}/")
    assert b'id="label-import-form"' in page.content
    reader_page = client_for(world["reader"]).get(f"/images/imageset/{world['public'].pk}/")
    assert b'id="label-import-form"' not in reader_page.content
    upload = io.BytesIO(f"a.png|ball|{BOX}\nq.png|ball|{BOX}\na.png|ball|{BOX}".encode())
    upload.name = "labels.txt"
    response = client.post(
        f"/imports/imagesets/{world['set'].pk}/", {"file": upload, "format": "pipe", "machine_made": "on"}
    )
    assert response.status_code == 302
    result = client.get(response["Location"])
    assert "1 created, 1 duplicate, 1 error" in result.content.decode()
    assert "q.png" in result.content.decode()
    status, _headers, data = fetched(client.get(response["Location"] + "report.csv"))
    assert status == 200
    assert b"q.png" in data
    assert client_for(world["otto"]).get(response["Location"]).status_code == 404
    refused = client_for(world["reader"]).post(f"/imports/imagesets/{world['public'].pk}/", {"file": upload})
    assert refused.status_code == 403


def test_yolo_export_imports_back_into_a_copy(world, make_team):
    from exports import standard

    run(world, f"a.png|ball|{BOX}\nday1/c.png|ball|" + '{"x1": 333, "y1": 111, "x2": 777, "y2": 799}')
    out = io.BytesIO()
    standard.write("yolo", world["set"], out)
    copy = make_imageset(world["set"].team, creator=world["ada"], name="copy")
    sized(copy, ["a.png", "day1/c.png"])
    result = import_labels(actor=world["ada"], image_set=copy, fileobj=io.BytesIO(out.getvalue()), format="yolo")
    assert (result.created, result.errors) == (2, 0), result.report

    def labels(image_set):
        return sorted(
            (a.image.name, a.annotation_type.name, tuple(a.vector.items()))
            for a in Annotation.objects.filter(image__image_set=image_set).select_related("image", "annotation_type")
        )

    assert labels(copy) == labels(world["set"])


def test_the_stored_report_keeps_the_first_200_entries_and_the_csv_all(world):
    result = run(world, "\n".join(f"missing{n}.png|ball|{{}}" for n in range(250)))
    assert (result.records, result.errors) == (250, 250)
    assert len(result.report) == 200
    assert result.report[-1]["line"] == 200
    with default_storage.open(result.report_file, "rb") as handle:
        assert len(handle.read().decode().splitlines()) == 251
