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
from e2e.helpers import png_bytes

from annotations.models import Annotation
from exports.imports import import_labels
from images.ingest import add_image_file

from .readers import EXPECTED_BOXES, IMAGES, LABELS, box_of, copy_of, export, export_with_images, unzip, zipped

pytestmark = [
    pytest.mark.django_db,
    # The readers' own dependencies warn under NumPy 2 and new Pythons (their code, harmless).
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:OpenCV:UserWarning"),  # supervision without OpenCV: its NumPy code
]


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


def imported_boxes(dataset, data, format):
    copy = copy_of(dataset)
    result = import_labels(actor=dataset["user"], image_set=copy, fileobj=io.BytesIO(data), format=format)
    # Readers that keep boxes only give the polygon back as its box, which the polygon type refuses.
    refused = [entry["message"] for entry in result.report if entry["status"] == "error"]
    assert set(refused) <= {"The type “lane” is a polygon, but this record has box."}, result.report
    labels = Annotation.objects.filter(image__image_set=copy).select_related("image", "annotation_type")
    return sorted((a.image.name, a.annotation_type.name, box_of(a.vector)) for a in labels)


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


# --- what converters write: whole-upload conventions, zipped layouts -----------------------------------


def voc_xml(filename, boxes, attributes=""):
    objects = "".join(
        f"<object><name>car</name><bndbox><xmin>{a}</xmin><ymin>{b}</ymin><xmax>{c}</xmax><ymax>{d}</ymax>"
        f"</bndbox>{attributes}</object>"
        for a, b, c, d in boxes
    )
    return f"<annotation><filename>{filename}</filename>{objects}</annotation>"


def test_one_box_at_zero_makes_the_whole_voc_upload_zero_based(dataset):
    """datumaro (and so CVAT) writes VOC from 0: a box at 0 in any file of the zip decides for all."""
    blurred = "<attributes><attribute><name>blurred</name><value>True</value></attribute></attributes>"
    files = {
        "Annotations/a.xml": voc_xml("a.png", [(10, 20, 110, 220)], blurred),
        "Annotations/img.with.dots.xml": voc_xml("img.with.dots.png", [(0, 0, 320, 240)]),
    }
    copy = copy_of(dataset)
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    result = import_labels(actor=dataset["user"], image_set=copy, fileobj=io.BytesIO(data.getvalue()), format="voc")
    assert result.created == 2, result.report
    car = Annotation.objects.get(image__image_set=copy, image__name="a.png")
    assert car.vector == {"x1": 10, "y1": 20, "x2": 110, "y2": 220}
    assert car.blurred_flag  # datumaro's "blurred" attribute is the flag
    # The same file alone follows the devkit (1-based): its box starts one pixel up and left.
    alone = copy_of(dataset)
    import_labels(
        actor=dataset["user"], image_set=alone, fileobj=io.BytesIO(files["Annotations/a.xml"].encode()), format="voc"
    )
    assert Annotation.objects.get(image__image_set=alone).vector == {"x1": 9, "y1": 19, "x2": 110, "y2": 220}


def test_our_coco_zip_with_images_imports_back(dataset):
    folder = export_with_images(dataset, "coco")
    found = imported_boxes(dataset, zipped(folder), "coco")
    close(found, EXPECTED_BOXES)


def test_yolo_lists_named_after_their_subset_and_labels_below_other_folders(dataset):
    """datumaro's YOLO 1.1: obj.names, obj_train_data/<stem>.txt and a list of images named as it likes."""
    copy = copy_of(dataset)
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("obj.names", "car\n")
        archive.writestr("annotations.txt", "data/obj_train_data/a.png\ndata/obj_train_data/img.with.dots.png\n")
        archive.writestr("obj_train_data/img.with.dots.txt", "0 0.5 0.5 1 1\n")
    result = import_labels(actor=dataset["user"], image_set=copy, fileobj=io.BytesIO(data.getvalue()), format="yolo")
    assert (result.created, result.errors) == (1, 0), result.report
    assert Annotation.objects.get(image__image_set=copy).image.name == "img.with.dots.png"


def test_yolo_segmentation_loads_in_supervision_as_downloaded(dataset):
    """supervision reads the polygons (boxes written as 4-corner polygons) into masks and their boxes."""
    import supervision as sv

    folder = export_with_images(dataset, "yolo-seg")
    ds = sv.DetectionDataset.from_yolo(
        images_directory_path=str(folder / "images"),
        annotations_directory_path=str(folder / "labels"),
        data_yaml_path=str(folder / "data.yaml"),
        force_masks=True,
    )
    close(supervision_boxes(ds), EXPECTED_BOXES, tolerance=1)
    dots = next(d for p, d in ds.annotations.items() if Path(p).name == "img.with.dots.png")
    lane = dots.mask[list(dots.class_id).index(ds.classes.index("lane"))]
    assert abs(int(lane.sum()) - (80 * 70) // 2) <= 80 + 70, int(lane.sum())  # the triangle's area
