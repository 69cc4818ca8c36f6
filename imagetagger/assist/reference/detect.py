"""Faces and people with the Haar cascades that ship with OpenCV (``cv2.data.haarcascades``).

Scores: ``detectMultiScale3(..., outputRejectLevels=True)`` gives each detection the weight of the
cascade's last stage (how far the window cleared it; the largest of a grouped cluster). That weight is
squashed to 0..1 with a logistic, ``1 / (1 + exp(-weight / SCORE_SCALE))``: higher means more
face-like, but it is an ordering, not a calibrated probability."""

import math
import threading
from dataclasses import dataclass

import cv2

# Images are searched at most this large (longest side, pixels); the boxes are scaled back.
DETECT_MAX_SIDE = 1024
SCORE_SCALE = 2.0


@dataclass(frozen=True)
class Kind:
    label: str
    cascade_file: str
    min_neighbors: int
    min_size: tuple[int, int]


KINDS = (
    Kind("face", "haarcascade_frontalface_default.xml", min_neighbors=5, min_size=(24, 24)),
    Kind("person", "haarcascade_fullbody.xml", min_neighbors=3, min_size=(28, 56)),
)


@dataclass(frozen=True)
class Detection:
    label: str
    x: int
    y: int
    width: int
    height: int
    score: float


class Detector:
    """The loaded cascades. A CascadeClassifier is not safe to share between threads, so calls take turns."""

    def __init__(self, kinds=KINDS):
        self._lock = threading.Lock()
        self._cascades = []
        for kind in kinds:
            cascade = cv2.CascadeClassifier(cv2.data.haarcascades + kind.cascade_file)
            if cascade.empty():
                raise RuntimeError(f"OpenCV's {kind.cascade_file} could not be loaded")
            self._cascades.append((kind, cascade))

    def detect(self, image, labels=None):
        """The ``Detection``s in a BGR ``image`` (pixels of that image), of the kinds whose label is in
        ``labels`` (all when None), best first."""
        grey, scale = _prepared(image)
        found = []
        for kind, cascade in self._cascades:
            if labels is not None and kind.label not in labels:
                continue
            with self._lock:
                boxes, _, weights = cascade.detectMultiScale3(
                    grey,
                    scaleFactor=1.1,
                    minNeighbors=kind.min_neighbors,
                    minSize=kind.min_size,
                    outputRejectLevels=True,
                )
            for (x, y, w, h), weight in zip(boxes, _flat(weights), strict=True):
                found.append(_detection(kind.label, (x, y, w, h), scale, weight, image.shape))
        return sorted(found, key=lambda detection: -detection.score)


def score_of(weight):
    return 1.0 / (1.0 + math.exp(-float(weight) / SCORE_SCALE))


def _prepared(image):
    """The greyscale, equalised, at most DETECT_MAX_SIDE large image and the factor it was shrunk by."""
    height, width = image.shape[:2]
    scale = min(1.0, DETECT_MAX_SIDE / max(height, width))
    if scale < 1.0:
        image = cv2.resize(image, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return cv2.equalizeHist(grey), scale


def _flat(weights):
    return [float(weight) for weight in (weights.ravel() if hasattr(weights, "ravel") else weights)]


def _detection(label, box, scale, weight, shape):
    height, width = shape[:2]
    x, y, w, h = (round(float(value) / scale) for value in box)
    x, y = max(0, min(x, width)), max(0, min(y, height))
    w, h = max(0, min(w, width - x)), max(0, min(h, height - y))
    return Detection(label, x, y, w, h, score_of(weight))
