"""Masks (COCO's RLE and polygon lists, CVAT's ``<mask>``) turned into one ImageTagger polygon.

ImageTagger's polygon is one outline without holes, so a mask becomes the outline of its largest part.
``MaskOutline.note`` says what that left out (the other parts, the holes) for the import report.

COCO's RLE (the ``{"size": [h, w], "counts": …}`` object pycocotools writes) runs down the columns
(column-major), starting with a run of background; ``counts`` is either the list of run lengths or
pycocotools' compressed text (six bits per character offset from ``0``, five of them data, a
continuation bit, a sign bit in the last; each run from the third on is a difference to the run two
before it). CVAT's mask runs along the rows of its bounding box, also starting with background.
"""

from dataclasses import dataclass

import cv2
import numpy

MAX_MASK_PIXELS = 200_000_000  # a mask larger than this (e.g. 14,000 × 14,000) is refused, not inflated
# An outline is simplified to within this many pixels of the mask's edge (its stair steps removed).
SIMPLIFY_PIXELS = 0.5


class MaskError(ValueError):
    """The mask cannot be read; the message (lower case, no full stop) is the reason for the report."""


@dataclass
class MaskOutline:
    points: list  # [(x, y), …] in image pixels
    parts: int = 1
    holes: int = 0

    @property
    def note(self):
        left_out = []
        if self.parts > 1:
            others = self.parts - 1
            left_out.append(f"{others} smaller part{'s' if others > 1 else ''}")
        if self.holes:
            left_out.append(f"{self.holes} hole{'s' if self.holes > 1 else ''}")
        if not left_out:
            return ""
        return f"Its mask became the outline of its largest part ({' and '.join(left_out)} left out)."


def rle_counts(counts):
    """The run lengths of a COCO RLE ``counts`` (a list of numbers or pycocotools' compressed text)."""
    if isinstance(counts, list):
        if not all(isinstance(run, int) and not isinstance(run, bool) and run >= 0 for run in counts):
            raise MaskError("its counts are not whole numbers of at least 0")
        return counts
    if not isinstance(counts, str) or not counts.isascii():
        raise MaskError("its counts are neither a list of numbers nor RLE text")
    runs = []
    position = 0
    while position < len(counts):
        value = shift = 0
        while True:
            if position >= len(counts):
                raise MaskError("its counts text ends in the middle of a number")
            char = ord(counts[position]) - 48
            if not 0 <= char < 64:
                raise MaskError("its counts text has a character that RLE does not use")
            position += 1
            value |= (char & 0x1F) << shift
            shift += 5
            if not char & 0x20:
                if char & 0x10:
                    value |= -1 << shift
                break
        if len(runs) > 2:
            value += runs[-2]
        if value < 0:
            raise MaskError("its counts text decodes to a negative run")
        runs.append(value)
    return runs


def _mask_from_runs(runs, rows, columns, column_major):
    if rows <= 0 or columns <= 0:
        raise MaskError("its size is empty")
    total = rows * columns
    if total > MAX_MASK_PIXELS:
        raise MaskError(f"its mask has {total:,} pixels, more than the {MAX_MASK_PIXELS:,} read")
    if sum(runs) != total:
        raise MaskError(f"its runs cover {sum(runs):,} pixels, not the {total:,} of its size")
    values = numpy.zeros(len(runs), dtype=numpy.uint8)
    values[1::2] = 1
    flat = numpy.repeat(values, runs)
    if column_major:
        return numpy.ascontiguousarray(flat.reshape(columns, rows).T)
    return flat.reshape(rows, columns)


def coco_rle_mask(rle):
    """The mask (rows × columns array of 0/1) of a COCO RLE object."""
    size = rle.get("size")
    if not (
        isinstance(size, list)
        and len(size) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in size)
    ):
        raise MaskError("its size is not [height, width] in whole pixels")
    height, width = size
    return _mask_from_runs(rle_counts(rle.get("counts")), height, width, column_major=True)


def row_runs_mask(runs, width, height):
    """The mask of CVAT's ``rle`` (row-major runs over its ``width`` × ``height`` box)."""
    return _mask_from_runs(runs, height, width, column_major=False)


def mask_outline(mask, offset=(0, 0)):
    """The outline of the largest part of ``mask`` (a 2-D 0/1 array), offset by ``offset`` (x, y)."""
    contours, hierarchy = cv2.findContours(mask.astype(numpy.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        raise MaskError("its mask is empty")
    outer = [index for index, links in enumerate(hierarchy[0]) if links[3] < 0]
    holes = len(contours) - len(outer)
    largest = max(outer, key=lambda index: (cv2.contourArea(contours[index]), len(contours[index])))
    contour = cv2.approxPolyDP(contours[largest], SIMPLIFY_PIXELS, True)
    if len(contour) < 3:  # a part one pixel wide or high: its box's corners instead
        x, y, w, h = cv2.boundingRect(contours[largest])
        contour = numpy.array([[[x, y]], [[x + w - 1, y]], [[x + w - 1, y + h - 1]], [[x, y + h - 1]]])
    dx, dy = offset
    points = [(int(x) + dx, int(y) + dy) for x, y in contour[:, 0, :]]
    return MaskOutline(points=points, parts=len(outer), holes=holes)


def polygon_area(flat):
    """The area of a polygon given as ``[x1, y1, x2, y2, …]`` (the shoelace formula)."""
    xs, ys = flat[0::2], flat[1::2]
    count = len(xs)
    return abs(sum(xs[i] * ys[(i + 1) % count] - xs[(i + 1) % count] * ys[i] for i in range(count))) / 2
