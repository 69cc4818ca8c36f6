"""Masks imported as polygons: COCO RLE (pycocotools' compressed text and plain run lists), COCO
polygon lists with several parts, CVAT ``<mask>``; what was left out reported; bad masks refused with
their reason. pycocotools (the COCO API itself) encodes the masks and measures the polygons we make."""

import io
import json

import numpy
import pytest
from pycocotools import mask as coco_mask

from annotations.models import Annotation
from exports.imports import import_labels
from exports.masks import MaskError, coco_rle_mask, mask_outline, rle_counts, row_runs_mask

from .helpers import labelled_set

# pycocotools' decode warns about NumPy 2's copy keyword (its own code, not ours).
pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def disc(radius, height=250, width=200):
    rows, columns = numpy.mgrid[0:height, 0:width]
    return ((rows - 100) ** 2 + (columns - 90) ** 2 <= radius**2).astype(numpy.uint8)


def blobs():
    """A disc with a hole (the larger part) and a small square apart from it."""
    mask = disc(60) - disc(15)
    mask[200:230, 150:180] = 1
    return mask


def column_runs(mask):
    flat = mask.T.flatten()
    runs, current, length = [], 0, 0
    for value in flat:
        if value == current:
            length += 1
        else:
            runs.append(length)
            current, length = value, 1
    runs.append(length)
    return runs


def test_rle_text_and_run_lists_decode_to_the_mask_pycocotools_encoded():
    mask = blobs()
    encoded = coco_mask.encode(numpy.asfortranarray(mask))
    text = encoded["counts"].decode("ascii")
    decoded = coco_rle_mask({"size": [250, 200], "counts": text})
    assert decoded.shape == (250, 200)
    assert numpy.array_equal(decoded, mask)
    assert rle_counts(text) == column_runs(mask)
    assert numpy.array_equal(coco_rle_mask({"size": [250, 200], "counts": column_runs(mask)}), mask)


def test_outline_is_the_largest_part_and_counts_what_it_left_out():
    outline = mask_outline(blobs())
    assert (outline.parts, outline.holes) == (2, 1)
    assert outline.note == "Its mask became the outline of its largest part (1 smaller part and 1 hole left out)."
    xs = [x for x, _ in outline.points]
    ys = [y for _, y in outline.points]
    assert (min(xs), max(xs), min(ys), max(ys)) == (30, 150, 40, 160)
    single = numpy.zeros((10, 10), dtype=numpy.uint8)
    single[2:4, 3] = 1  # one pixel wide: its box's corners
    assert len(mask_outline(single).points) == 4
    assert mask_outline(single, offset=(100, 50)).points[0][0] >= 100
    with pytest.raises(MaskError, match="mask is empty"):
        mask_outline(numpy.zeros((5, 5), dtype=numpy.uint8))
    with pytest.raises(MaskError, match="size is empty"):
        row_runs_mask([], 0, 5)


@pytest.mark.parametrize(
    ("rle", "reason"),
    [
        ({"size": [10, 10], "counts": [10, 20]}, "cover 30 pixels, not the 100"),
        ({"size": [10], "counts": [100]}, "size is not"),
        ({"size": [0, 10], "counts": []}, "size is not"),
        ({"size": [10, 10], "counts": [50, -1, 51]}, "not whole numbers"),
        ({"size": [10, 10], "counts": "\x7f"}, "does not use"),
        ({"size": [10, 10], "counts": "o"}, "middle of a number"),
        ({"size": [10, 10], "counts": 12}, "neither a list"),
        ({"size": [100000, 100000], "counts": [10**10]}, "more than"),
    ],
)
def test_bad_rle_is_refused_with_its_reason(rle, reason):
    with pytest.raises(MaskError, match=reason):
        coco_rle_mask(rle)


def coco_file(annotations):
    return json.dumps(
        {
            "images": [{"id": 1, "file_name": "img00002.png", "width": 200, "height": 250}],
            "categories": [{"id": 1, "name": "field"}, {"id": 2, "name": "ball"}],
            "annotations": [{"id": n, "image_id": 1, **item} for n, item in enumerate(annotations, start=1)],
        }
    ).encode()


def iou_with(mask, vector):
    flat = [vector[f"{axis}{n}"] for n in range(1, len(vector) // 2 + 1) for axis in "xy"]
    ours = coco_mask.decode(coco_mask.merge(coco_mask.frPyObjects([flat], 250, 200)))
    return (ours & mask).sum() / (ours | mask).sum()


def test_coco_rle_masks_import_as_polygons_of_their_largest_part(make_user, make_team):
    user = make_user()
    image_set, types = labelled_set(make_team(admins=[user]), user)
    mask = blobs()
    compressed = coco_mask.encode(numpy.asfortranarray(mask))
    compressed["counts"] = compressed["counts"].decode("ascii")
    square = numpy.zeros((250, 200), dtype=numpy.uint8)
    square[20:60, 20:70] = 1
    result = import_labels(
        actor=user,
        image_set=image_set,
        format="coco",
        fileobj=io.BytesIO(
            coco_file(
                [
                    {"category_id": 1, "iscrowd": 1, "segmentation": compressed, "bbox": [30, 40, 121, 190]},
                    {"category_id": 2, "segmentation": compressed, "bbox": [30, 40, 121, 190]},
                    {"category_id": 1, "iscrowd": 1, "segmentation": {"size": [250, 200], "counts": [5, 5]}},
                ]
            )
        ),
    )
    assert (result.created, result.errors) == (2, 1), result.report
    created, box, refused = result.report
    assert created["status"] == "created"
    assert "1 smaller part and 1 hole left out" in created["message"]
    assert box["status"] == "created"
    assert "mask" not in box["message"]
    assert refused["status"] == "error"
    assert "could not be read: its runs cover 10 pixels, not the 50,000 of its size" in refused["message"]
    image = image_set.images.get(name="img00002.png")
    polygon = Annotation.objects.get(image=image, annotation_type=types["field"]).vector
    assert iou_with(disc(60), polygon) > 0.95  # the outline of the disc, its hole filled
    assert Annotation.objects.get(image=image, annotation_type=types["ball"]).vector == {
        "x1": 30, "y1": 40, "x2": 151, "y2": 230,
    }  # fmt: skip


def test_coco_polygon_lists_keep_their_largest_polygon(make_user, make_team):
    user = make_user()
    image_set, types = labelled_set(make_team(admins=[user]), user)
    small = [150, 200, 180, 200, 180, 230]
    large = [10, 10, 120, 10, 120, 150, 10, 150]
    result = import_labels(
        actor=user,
        image_set=image_set,
        format="coco",
        fileobj=io.BytesIO(coco_file([{"category_id": 1, "segmentation": [small, large, [1, 2]]}])),
    )
    assert result.created == 1, result.report
    assert "3 parts: the largest became the polygon (2 smaller parts left out)" in result.report[0]["message"]
    vector = Annotation.objects.get(image__name="img00002.png", annotation_type=types["field"]).vector
    assert vector == {"x1": 10, "y1": 10, "x2": 120, "y2": 10, "x3": 120, "y3": 150, "x4": 10, "y4": 150}


def test_cvat_masks_import_as_polygons_in_image_pixels(make_user, make_team):
    user = make_user()
    image_set, types = labelled_set(make_team(admins=[user]), user)
    box = numpy.zeros((20, 30), dtype=numpy.uint8)  # the mask's own box: 30 wide, 20 high
    box[5:15, 10:25] = 1
    runs = column_runs(box.T)  # CVAT runs along the rows
    rle = ", ".join(map(str, runs))
    xml = (
        '<annotations><image name="img00002.png" width="200" height="250">'
        f'<mask label="field" rle="{rle}" left="40" top="60" width="30" height="20"/>'
        '<mask label="field" rle="1, x" left="0" top="0" width="2" height="2"/>'
        "</image></annotations>"
    )
    result = import_labels(actor=user, image_set=image_set, format="cvat", fileobj=io.BytesIO(xml.encode()))
    assert (result.created, result.errors) == (1, 1), result.report
    assert "whole numbers in rle" in result.report[1]["message"]
    vector = Annotation.objects.get(image__name="img00002.png", annotation_type=types["field"]).vector
    xs = sorted({vector[key] for key in vector if key.startswith("x")})
    ys = sorted({vector[key] for key in vector if key.startswith("y")})
    assert (xs, ys) == ([50, 64], [65, 74])
