"""Outlining the object a user points at, as SAM backends do, with GrabCut.

The prompt is a box and/or points, in pixels of the image. With a box, the mask GrabCut starts from
is what ``GC_INIT_WITH_RECT`` would make (outside the box: sure background; inside: probably the
object). A point without a box gets a box centred on it, a third of the image's shorter side wide,
with the rest of the image only *probably* background, so that the object may reach past that box.
Each positive point adds a small disc of sure object, each negative one of sure background. The
outline is the outer contour holding the first positive point (else the largest), simplified with
``approxPolyDP`` to at most ``MAX_POINTS`` points."""

from dataclasses import dataclass, field

import cv2
import numpy as np

# GrabCut works on a copy at most this large (longest side); the outline is scaled back.
WORK_MAX_SIDE = 512
ITERATIONS = 5
MAX_POINTS = 64
SEED_RADIUS_FRACTION = 0.01
POINT_BOX_FRACTION = 1 / 3


@dataclass
class Prompt:
    """A box ``(x, y, width, height)`` and points ``(x, y)``, all in image pixels."""

    box: tuple[float, float, float, float] | None = None
    positive: list[tuple[float, float]] = field(default_factory=list)
    negative: list[tuple[float, float]] = field(default_factory=list)


def outline(image, prompt):
    """The object's outline as ``[(x, y), …]`` pixels of ``image`` (closed: the last point joins the
    first), or ``[]`` when nothing stands out inside the prompt."""
    height, width = image.shape[:2]
    scale = min(1.0, WORK_MAX_SIDE / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA) if scale < 1.0 else image
    scaled = _scaled_prompt(prompt, scale)
    if scaled.box is not None:
        mask = _grabcut(small, _clipped(scaled.box, small.shape), cv2.GC_BGD, scaled)
    elif scaled.positive:
        mask = _grabcut(small, _box_around(scaled.positive[0], small.shape), cv2.GC_PR_BGD, scaled)
    else:
        return []
    points = _contour(mask, scaled.positive[0] if scaled.positive else None)
    return [(x / scale, y / scale) for x, y in points]


def _scaled_prompt(prompt, scale):
    return Prompt(
        box=tuple(value * scale for value in prompt.box) if prompt.box is not None else None,
        positive=[(x * scale, y * scale) for x, y in prompt.positive],
        negative=[(x * scale, y * scale) for x, y in prompt.negative],
    )


def _clipped(box, shape):
    """``box`` as whole pixels ``(x, y, w, h)`` inside the image, at least 2×2 pixels."""
    height, width = shape[:2]
    x, y, w, h = box
    left, top = max(0, min(round(x), width - 2)), max(0, min(round(y), height - 2))
    right, bottom = max(left + 2, min(round(x + w), width)), max(top + 2, min(round(y + h), height))
    return left, top, right - left, bottom - top


def _box_around(point, shape):
    side = max(8.0, min(shape[:2]) * POINT_BOX_FRACTION)
    return _clipped((point[0] - side / 2, point[1] - side / 2, side, side), shape)


def _grabcut(image, box, outside, prompt):
    """The foreground (uint8, 1 = object) GrabCut finds starting from ``box`` (probably the object),
    the rest of the image (``outside``: sure or probable background) and the prompt's points."""
    height, width = image.shape[:2]
    x, y, w, h = box
    mask = np.full((height, width), outside, np.uint8)
    mask[y : y + h, x : x + w] = cv2.GC_PR_FGD
    radius = max(1, round(min(height, width) * SEED_RADIUS_FRACTION))
    for px, py in prompt.positive:
        cv2.circle(mask, (round(px), round(py)), radius, cv2.GC_FGD, -1)
    for px, py in prompt.negative:
        cv2.circle(mask, (round(px), round(py)), radius, cv2.GC_BGD, -1)
    if not np.isin(mask, (cv2.GC_BGD, cv2.GC_PR_BGD)).any():
        # GrabCut models both sides; a box over the whole image keeps its frame as probable background.
        mask[[0, -1], :] = cv2.GC_PR_BGD
        mask[:, [0, -1]] = cv2.GC_PR_BGD
    background, foreground = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    try:
        cv2.grabCut(image, mask, None, background, foreground, ITERATIONS, cv2.GC_INIT_WITH_MASK)
    except cv2.error:  # e.g. one colour only: nothing to tell apart
        return np.zeros((height, width), np.uint8)
    return np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)


def _contour(mask, seed):
    """The simplified outer contour holding ``seed`` (else the largest) as ``[(x, y), …]``."""
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    contours = [contour for contour in contours if cv2.contourArea(contour) >= 4]
    if not contours:
        return []
    holding = [c for c in contours if seed is not None and cv2.pointPolygonTest(c, seed, False) >= 0]
    chosen = max(holding or contours, key=cv2.contourArea)
    epsilon = max(0.5, 0.002 * cv2.arcLength(chosen, True))
    simplified = cv2.approxPolyDP(chosen, epsilon, True)
    while len(simplified) > MAX_POINTS:
        epsilon *= 1.5
        simplified = cv2.approxPolyDP(chosen, epsilon, True)
    return [(float(x), float(y)) for x, y in simplified.reshape(-1, 2)]
