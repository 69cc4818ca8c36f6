"""A small demo set of photos with known faces, for the pre-label tests and ``bench/bench_prelabel.py``:
Grace Hopper's portrait (shipped with matplotlib) as it is, mirrored, darker, scaled into a larger
scene, and twice side by side; plus two pictures without a face (grey noise, coloured shapes). Each
picture comes with the boxes of its faces (x1, y1, x2, y2), read off the portrait once and moved with
it, so a test can play a reviewer who accepts a label when it covers a face (IoU ≥ 0.5)."""

from dataclasses import dataclass

import cv2
import numpy as np
from matplotlib import cbook

# The face in grace_hopper.jpg (512×600), brow to chin, cheek to cheek.
HOPPER_FACE = (165, 145, 360, 340)
ACCEPT_IOU = 0.5


@dataclass(frozen=True)
class Picture:
    name: str
    data: bytes
    faces: tuple  # ((x1, y1, x2, y2), …)


def _hopper():
    return cv2.imread(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


def _jpeg(pixels):
    return cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()


def _moved(box, scale, dx, dy):
    return tuple(round(value * scale) + (dx if index % 2 == 0 else dy) for index, value in enumerate(box))


def face_pictures():
    """The demo set: a list of ``Picture`` (always the same pixels)."""
    hopper = _hopper()
    height, width = hopper.shape[:2]
    x1, y1, x2, y2 = HOPPER_FACE
    pictures = [Picture("hopper.jpg", _jpeg(hopper), (HOPPER_FACE,))]
    pictures.append(Picture("hopper-mirrored.jpg", _jpeg(cv2.flip(hopper, 1)), ((width - x2, y1, width - x1, y2),)))
    darker = cv2.convertScaleAbs(hopper, alpha=0.6, beta=0)
    pictures.append(Picture("hopper-darker.jpg", _jpeg(darker), (HOPPER_FACE,)))
    scene = np.full((720, 960, 3), (150, 120, 90), np.uint8)
    small = cv2.resize(hopper, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
    scene[300 : 300 + small.shape[0], 520 : 520 + small.shape[1]] = small
    pictures.append(Picture("hopper-in-a-room.jpg", _jpeg(scene), (_moved(HOPPER_FACE, 0.5, 520, 300),)))
    pair = np.concatenate([hopper, cv2.flip(hopper, 1)], axis=1)
    pictures.append(Picture("two-hoppers.jpg", _jpeg(pair), (HOPPER_FACE, (2 * width - x2, y1, 2 * width - x1, y2))))
    rng = np.random.default_rng(5)
    noise = (rng.integers(0, 30, (480, 640, 3), dtype=np.uint8) + 110).astype(np.uint8)
    pictures.append(Picture("grey-noise.jpg", _jpeg(noise), ()))
    shapes = np.full((480, 640, 3), 235, np.uint8)
    cv2.rectangle(shapes, (60, 80), (260, 300), (40, 90, 200), -1)
    cv2.circle(shapes, (430, 240), 110, (60, 170, 60), -1)
    pictures.append(Picture("shapes.jpg", _jpeg(shapes), ()))
    return pictures


def iou(box, other):
    x1, y1 = max(box[0], other[0]), max(box[1], other[1])
    x2, y2 = min(box[2], other[2]), min(box[3], other[3])
    inner = max(0, x2 - x1) * max(0, y2 - y1)
    area = lambda b: (b[2] - b[0]) * (b[3] - b[1])  # noqa: E731
    union = area(box) + area(other) - inner
    return inner / union if union else 0.0


def covers_a_face(box, faces):
    """Whether a reviewer would accept ``box``: it matches one of ``faces`` (IoU ≥ 0.5)."""
    return any(iou(box, face) >= ACCEPT_IOU for face in faces)
