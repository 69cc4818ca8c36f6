"""Our exports as the readers people use load them, and their files as we import them (issue 14).

The readers run for real (pinned in requirements-dev): supervision (COCO, Pascal VOC, YOLO with
data.yaml) and globox (COCO, Pascal VOC, YOLO); pycocotools is checked in test_standard.py. The set
has real image files (the readers open them for their sizes), a name with dots, a JPEG turned by its
EXIF orientation, a type with a non-ASCII name, boxes (one on the image's edge) and a polygon.
Coordinates are compared exactly, YOLO within 0.5 px. Each reader's writer output is imported back into
a copy of the set and compared too. Images in folders come flat in VOC and YOLO ("night__b").

Pascal VOC has two conventions: supervision (like the VOC devkit and CVAT) reads and writes 1-based
pixel indices, globox takes the numbers as they are. Our export follows the devkit; globox's boxes are
asserted one pixel further right and down, as it documents.
"""

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from e2e.helpers import png_bytes

from annotations.models import Annotation, AnnotationType, VectorType
from exports import standard
from exports.imports import import_labels
from images.ingest import add_image_file
from images.tests.factories import make_imageset

pytestmark = [
    pytest.mark.django_db,
    # The readers' own dependencies warn under NumPy 2 and new Pythons (their code, harmless).
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:OpenCV:UserWarning"),  # supervision without OpenCV: its NumPy code
]

# portrait.jpg: 300 × 200 raw pixels with EXIF orientation 6, shown (and stored) as 200 × 300.
IMAGES = {"a.png": (400, 300), "img.with.dots.png": (320, 240), "portrait.jpg": (300, 200)}
LABELS = [
    ("a.png", "car", {"x1": 10, "y1": 20, "x2": 110, "y2": 220}),
    ("a.png", "Fußgänger", {"x1": 200, "y1": 30, "x2": 260, "y2": 290}),
    ("img.with.dots.png", "car", {"x1": 0, "y1": 0, "x2": 320, "y2": 240}),
    ("img.with.dots.png", "lane", {"x1": 10, "y1": 10, "x2": 90, "y2": 10, "x3": 50, "y3": 80}),
    ("portrait.jpg", "car", {"x1": 20, "y1": 150, "x2": 180, "y2": 290}),
]


def picture(name, width, height, index):
    """The bytes of a test image: a PNG, or for .jpg a JPEG turned by EXIF orientation 6."""
    if not name.endswith(".jpg"):
        return png_bytes(width, height, index)
    from PIL import Image as PILImage

    exif = PILImage.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    PILImage.new("RGB", (width, height), (200, 60, 60)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def box_of(vector):
    xs = [value for key, value in vector.items() if key.startswith("x")]
    ys = [value for key, value in vector.items() if key.startswith("y")]
    return (min(xs), min(ys), max(xs), max(ys))


EXPECTED_BOXES = sorted((name, type_name, box_of(vector)) for name, type_name, vector in LABELS)


@pytest.fixture
def dataset(make_user, make_team, storage_dir, tmp_path):
    user = make_user("ada")
    team = make_team("Readers", admins=[user])
    image_set = make_imageset(team, creator=user, name="readers")
    types = {
        "car": AnnotationType.objects.create(team=team, name="car"),
        "Fußgänger": AnnotationType.objects.create(team=team, name="Fußgänger"),
        "lane": AnnotationType.objects.create(team=team, name="lane", vector_type=VectorType.POLYGON),
    }
    folder = tmp_path / "images"
    folder.mkdir()
    images = {}
    for index, (name, (width, height)) in enumerate(IMAGES.items()):
        result = add_image_file(
            image_set, name=name, fileobj=io.BytesIO(picture(name, width, height, index)), uploader=user
        )
        images[name] = image_set.images.get(pk=result.image_id)
        with default_storage.open(images[name].relative_path, "rb") as stored:
            (folder / name).write_bytes(stored.read())
    for name, type_name, vector in LABELS:
        Annotation.objects.create(image=images[name], annotation_type=types[type_name], vector=vector, user=user)
    return {"user": user, "team": team, "set": image_set, "types": types, "images": folder, "tmp": tmp_path}


def export(dataset, format):
    out = io.BytesIO()
    standard.write(format, dataset["set"], out, standard.clean_options(format, {}))
    return out.getvalue()


def unzip(data, folder):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)
    return folder


def supervision_boxes(ds):
    """(image name, class name, (x1, y1, x2, y2)) of every detection of a supervision dataset."""
    found = []
    for path, detections in ds.annotations.items():
        for xyxy, class_id in zip(detections.xyxy, detections.class_id, strict=True):
            found.append((Path(path).name, ds.classes[class_id], tuple(float(v) for v in xyxy)))
    return sorted(found)


def globox_boxes(annotations):
    found = []
    for annotation in annotations:
        for box in annotation.boxes:
            found.append((annotation.image_id, box.label, (box.xmin, box.ymin, box.xmax, box.ymax)))
    return sorted(found)


def close(found, expected, tolerance=0.0):
    assert len(found) == len(expected), (found, expected)
    for (name, label, box), (want_name, want_label, want_box) in zip(found, expected, strict=True):
        assert (name, label) == (want_name, want_label), (found, expected)
        assert all(abs(a - b) <= tolerance for a, b in zip(box, want_box, strict=True)), (found, expected)


def shifted(boxes, by):
    return [(name, label, tuple(v + by if i < 2 else v for i, v in enumerate(box))) for name, label, box in boxes]


def copy_of(dataset):
    copy = make_imageset(
        dataset["team"], creator=dataset["user"], name=f"copy {dataset['set'].team.image_sets.count()}"
    )
    for index, (name, (width, height)) in enumerate(IMAGES.items()):
        add_image_file(
            copy, name=name, fileobj=io.BytesIO(picture(name, width, height, index)), uploader=dataset["user"]
        )
    return copy


def imported_boxes(dataset, data, format):
    copy = copy_of(dataset)
    result = import_labels(actor=dataset["user"], image_set=copy, fileobj=io.BytesIO(data), format=format)
    # Readers that keep boxes only give the polygon back as its box, which the polygon type refuses.
    refused = [entry["message"] for entry in result.report if entry["status"] == "error"]
    assert set(refused) <= {"The type “lane” is a polygon, but this record has box."}, result.report
    labels = Annotation.objects.filter(image__image_set=copy).select_related("image", "annotation_type")
    return sorted((a.image.name, a.annotation_type.name, box_of(a.vector)) for a in labels)


def zipped(folder):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return out.getvalue()


# --- COCO ------------------------------------------------------------------------------------------


def test_coco_loads_in_supervision_and_globox(dataset):
    import supervision as sv
    from globox import AnnotationSet

    path = dataset["tmp"] / "coco.json"
    path.write_bytes(export(dataset, "coco"))
    ds = sv.DetectionDataset.from_coco(images_directory_path=str(dataset["images"]), annotations_path=str(path))
    close(supervision_boxes(ds), EXPECTED_BOXES)
    # supervision makes masks from the segmentations: a box's mask is its rectangle.
    car = next(d for p, d in ds.annotations.items() if Path(p).name == "a.png")
    assert car.mask is not None
    area = int(car.mask[list(car.class_id).index(ds.classes.index("car"))].sum())
    assert abs(area - 100 * 200) <= 100 + 200 + 1, area  # the rasteriser includes the far edge
    close(globox_boxes(AnnotationSet.from_coco(path)), EXPECTED_BOXES)


def test_what_supervision_and_globox_write_as_coco_imports_back(dataset):
    import supervision as sv
    from globox import AnnotationSet

    path = dataset["tmp"] / "coco.json"
    path.write_bytes(export(dataset, "coco"))
    ds = sv.DetectionDataset.from_coco(images_directory_path=str(dataset["images"]), annotations_path=str(path))
    written = dataset["tmp"] / "sv.json"
    ds.as_coco(annotations_path=str(written))
    boxes_only = [(n, t, b) for n, t, b in EXPECTED_BOXES if t != "lane"]
    # supervision writes the polygon's mask back as a polygon; our box types take their boxes.
    found = imported_boxes(dataset, written.read_bytes(), "coco")
    close([item for item in found if item[1] != "lane"], boxes_only)
    globox_file = dataset["tmp"] / "globox.json"
    AnnotationSet.from_coco(path).save_coco(globox_file, auto_ids=True)
    document = json.loads(globox_file.read_text())
    # globox writes boxes only; import them into a set whose lane type is a box type.
    assert len(document["annotations"]) == len(LABELS)
    close(
        [item for item in imported_boxes(dataset, globox_file.read_bytes(), "coco") if item[1] != "lane"],
        boxes_only,
    )


# --- Pascal VOC ------------------------------------------------------------------------------------


def test_voc_loads_in_supervision_exactly_and_in_globox_one_based(dataset):
    import supervision as sv
    from globox import AnnotationSet

    folder = unzip(export(dataset, "voc"), dataset["tmp"] / "voc")
    ds = sv.DetectionDataset.from_pascal_voc(
        images_directory_path=str(dataset["images"]), annotations_directory_path=str(folder / "Annotations")
    )
    close(supervision_boxes(ds), EXPECTED_BOXES)
    # globox takes the devkit's 1-based first pixel as it is: one pixel right and down.
    close(globox_boxes(AnnotationSet.from_pascal_voc(folder / "Annotations")), shifted(EXPECTED_BOXES, 1))


def test_what_supervision_writes_as_voc_imports_back_exactly(dataset):
    import supervision as sv

    folder = unzip(export(dataset, "voc"), dataset["tmp"] / "voc")
    ds = sv.DetectionDataset.from_pascal_voc(
        images_directory_path=str(dataset["images"]), annotations_directory_path=str(folder / "Annotations")
    )
    written = dataset["tmp"] / "sv-voc"
    ds.as_pascal_voc(annotations_directory_path=str(written))
    found = imported_boxes(dataset, zipped(written), "voc")
    close([item for item in found if item[1] != "lane"], [item for item in EXPECTED_BOXES if item[1] != "lane"])


# --- YOLO ------------------------------------------------------------------------------------------


def test_yolo_loads_in_supervision_with_its_data_yaml_and_in_globox(dataset):
    import supervision as sv
    from globox import AnnotationSet

    folder = unzip(export(dataset, "yolo"), dataset["tmp"] / "yolo")
    ds = sv.DetectionDataset.from_yolo(
        images_directory_path=str(dataset["images"]),
        annotations_directory_path=str(folder / "labels"),
        data_yaml_path=str(folder / "data.yaml"),
    )
    # supervision turns the EXIF-rotated JPEG as viewers do: its box comes out right too.
    close(supervision_boxes(ds), EXPECTED_BOXES, tolerance=0.5)
    names = (folder / "obj.names").read_text().splitlines()
    # globox takes one image extension and reads sizes without the EXIF orientation: the PNGs only.
    (folder / "labels" / "portrait.txt").unlink()
    annotations = AnnotationSet.from_yolo_darknet(
        folder / "labels", image_folder=dataset["images"], image_extension=".png"
    ).map_labels({str(index): name for index, name in enumerate(names)})
    close(globox_boxes(annotations), [item for item in EXPECTED_BOXES if item[0] != "portrait.jpg"], tolerance=0.5)


def test_what_supervision_writes_as_yolo_imports_back(dataset):
    import supervision as sv

    folder = unzip(export(dataset, "yolo"), dataset["tmp"] / "yolo")
    ds = sv.DetectionDataset.from_yolo(
        images_directory_path=str(dataset["images"]),
        annotations_directory_path=str(folder / "labels"),
        data_yaml_path=str(folder / "data.yaml"),
    )
    written = dataset["tmp"] / "sv-yolo"
    ds.as_yolo(annotations_directory_path=str(written / "labels"), data_yaml_path=str(written / "data.yaml"))
    found = imported_boxes(dataset, zipped(written), "yolo")
    close([item for item in found if item[1] != "lane"], [item for item in EXPECTED_BOXES if item[1] != "lane"], 1)


# --- exports with their images: the readers' layouts as downloaded ------------------------------------


def export_with_images(dataset, format):
    """The export as the site writes it (a job in the background: it copies every image file)."""
    from exports import jobs
    from exports.models import ExportState

    export = jobs.create_export(
        actor=dataset["user"], image_set=dataset["set"], standard=format, options={"images": True}
    )
    assert export.state == ExportState.QUEUED, "exports with images are written by the worker"
    jobs.run(export.pk)
    export.refresh_from_db()
    assert export.state == ExportState.DONE, export.error
    assert export.filename.endswith(".zip")
    with default_storage.open(export.file, "rb") as stored:
        return unzip(stored.read(), dataset["tmp"] / f"{format}-with-images")


def same_images(dataset, folder):
    for name in IMAGES:
        assert (folder / name).read_bytes() == (dataset["images"] / name).read_bytes(), name


def test_coco_with_images_loads_as_downloaded(dataset):
    import supervision as sv

    folder = export_with_images(dataset, "coco")
    same_images(dataset, folder / "images")
    ds = sv.DetectionDataset.from_coco(
        images_directory_path=str(folder / "images"),
        annotations_path=str(folder / "annotations" / "instances_default.json"),
    )
    close(supervision_boxes(ds), EXPECTED_BOXES)


def test_voc_with_images_loads_as_downloaded(dataset):
    import supervision as sv

    folder = export_with_images(dataset, "voc")
    same_images(dataset, folder / "JPEGImages")
    assert (folder / "ImageSets" / "Main" / "default.txt").read_text().split() == ["a", "img.with.dots", "portrait"]
    ds = sv.DetectionDataset.from_pascal_voc(
        images_directory_path=str(folder / "JPEGImages"), annotations_directory_path=str(folder / "Annotations")
    )
    close(supervision_boxes(ds), EXPECTED_BOXES)


def test_yolo_with_images_loads_as_downloaded(dataset):
    import supervision as sv
    import yaml

    folder = export_with_images(dataset, "yolo")
    same_images(dataset, folder / "images")
    dataset_file = yaml.safe_load((folder / "data.yaml").read_text())
    images = folder / dataset_file["path"] / dataset_file["train"]
    assert (folder / "train.txt").read_text().split() == [
        "images/a.png",
        "images/img.with.dots.png",
        "images/portrait.jpg",
    ]
    assert (folder / "obj.data").read_text().splitlines()[:2] == ["classes = 3", "train = train.txt"]
    ds = sv.DetectionDataset.from_yolo(
        images_directory_path=str(images),
        annotations_directory_path=str(folder / "labels"),
        data_yaml_path=str(folder / "data.yaml"),
    )
    close(supervision_boxes(ds), EXPECTED_BOXES, tolerance=0.5)


def test_the_label_line_format_and_template_formats_take_no_images(dataset):
    from django.core.exceptions import ValidationError

    from exports import jobs

    with pytest.raises(ValidationError, match="Unknown options for this format: images"):
        jobs.create_export(actor=dataset["user"], image_set=dataset["set"], standard="pipe", options={"images": True})
    with pytest.raises(ValidationError, match="images: give true or false"):
        jobs.create_export(actor=dataset["user"], image_set=dataset["set"], standard="coco", options={"images": "yes"})


@pytest.mark.parametrize("format", ["voc", "yolo"])
def test_images_in_folders_come_flat_where_the_readers_look_into_one_folder(dataset, format):
    import supervision as sv

    user = dataset["user"]
    result = add_image_file(
        dataset["set"], name="night/b.png", fileobj=io.BytesIO(png_bytes(100, 80, 5)), uploader=user
    )
    image = dataset["set"].images.get(pk=result.image_id)
    Annotation.objects.create(
        image=image, annotation_type=dataset["types"]["car"], vector={"x1": 5, "y1": 6, "x2": 50, "y2": 60}, user=user
    )
    folder = export_with_images(dataset, format)
    if format == "voc":
        assert (folder / "Annotations" / "night__b.xml").exists()
        ds = sv.DetectionDataset.from_pascal_voc(
            images_directory_path=str(folder / "JPEGImages"), annotations_directory_path=str(folder / "Annotations")
        )
    else:
        assert (folder / "labels" / "night__b.txt").exists()
        ds = sv.DetectionDataset.from_yolo(
            images_directory_path=str(folder / "images"),
            annotations_directory_path=str(folder / "labels"),
            data_yaml_path=str(folder / "data.yaml"),
        )
    found = [(name.replace("__", "/"), label, box) for name, label, box in supervision_boxes(ds)]
    expected = sorted([*EXPECTED_BOXES, ("b.png", "car", (5, 6, 50, 60))])
    found = [("b.png" if name == "night/b.png" else name, label, box) for name, label, box in found]
    close(sorted(found), expected, tolerance=0.5)
    # And our own import takes the flat names back to the folders.
    data = zipped(folder)
    copy = copy_of(dataset)
    add_image_file(copy, name="night/b.png", fileobj=io.BytesIO(png_bytes(100, 80, 5)), uploader=user)
    result = import_labels(actor=user, image_set=copy, fileobj=io.BytesIO(data), format=format)
    assert Annotation.objects.filter(image__image_set=copy, image__name="night/b.png").count() == 1, result.report
