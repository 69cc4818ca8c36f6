"""A backend's results (Label Studio's JSON: percent coordinates) as our labels, and our types as the
label config a backend is set up with.

Each result becomes a ``Proposal`` (type id, vector in image pixels, confidence) or a ``Refusal`` with
the reason in words: a label the backend's map does not name, a shape the mapped type cannot hold, a
point outside the image, a score that is not a number from 0 to 1. Nothing is guessed."""

import math
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from annotations.models import VectorType

# How far outside the image a point may lie (percent of a side) and still be moved onto its edge:
# backends round their percentages.
EDGE_TOLERANCE = 0.5

# Label Studio's result kinds and the label config tag of each.
KINDS = {
    "rectanglelabels": "RectangleLabels",
    "polygonlabels": "PolygonLabels",
    "keypointlabels": "KeyPointLabels",
    "choices": "Choices",
}
# The kind a type of each vector type is asked for.
KIND_OF_TYPE = {
    VectorType.BOUNDING_BOX: "rectanglelabels",
    VectorType.POLYGON: "polygonlabels",
    VectorType.POINT: "keypointlabels",
    VectorType.TAG: "choices",
}


@dataclass(frozen=True)
class Proposal:
    type_id: int
    vector: dict | None
    confidence: float | None


@dataclass(frozen=True)
class Refusal:
    reason: str


def label_config(types_by_label):
    """The Label Studio label config naming each mapped label under the kind its type asks for
    (``types_by_label``: ``{backend label: AnnotationType}``); types no kind fits are left out."""
    by_kind = {}
    for label, annotation_type in sorted(types_by_label.items()):
        kind = KIND_OF_TYPE.get(annotation_type.vector_type)
        if kind is not None:
            by_kind.setdefault(kind, []).append(label)
    parts = ["<View>", '  <Image name="image" value="$image"/>']
    for kind, labels in by_kind.items():
        tag = KINDS[kind]
        extra = ' choice="multiple"' if kind == "choices" else ""
        parts.append(f'  <{tag} name="{kind}" toName="image"{extra}>')
        parts += [f"    <{'Choice' if kind == 'choices' else 'Label'} value={quoteattr(label)}/>" for label in labels]
        parts.append(f"  </{tag}>")
    parts.append("</View>")
    return "\n".join(parts)


def _number(value):
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _confidence(result, prediction):
    score = result.get("score", prediction.get("score"))
    if score is None:
        return None, None
    if not _number(score) or not 0 <= score <= 1:
        return None, f"its score {score!r} is not a number from 0 to 1"
    return float(score), None


def _pixel(percent, size, axis):
    """A percentage of ``size`` as a whole pixel inside 0..size, or a reason it lies outside."""
    if not _number(percent):
        raise ValueError(f"{axis} {percent!r} is not a number")
    if not -EDGE_TOLERANCE <= percent <= 100 + EDGE_TOLERANCE:
        raise ValueError(f"{axis} {percent:g} % lies outside the image")
    return min(size, max(0, round(percent * size / 100)))


def pixel_points(value, kind, width, height):
    """The points of a result's ``value`` in whole image pixels, or a ``ValueError`` saying why not."""
    if kind == "rectanglelabels":
        x, y, w, h = (value.get(key) for key in ("x", "y", "width", "height"))
        if not all(_number(part) for part in (x, y, w, h)):
            raise ValueError("the rectangle needs numbers x, y, width and height")
        if value.get("rotation") and value["rotation"] % 360:
            raise ValueError(f"the rectangle is turned by {value['rotation']}°; a box type holds upright boxes only")
        return [
            (_pixel(x, width, "x"), _pixel(y, height, "y")),
            (_pixel(x + w, width, "x"), _pixel(y + h, height, "y")),
        ]
    if kind == "polygonlabels":
        points = value.get("points")
        if not isinstance(points, list) or not all(isinstance(p, list | tuple) and len(p) == 2 for p in points):
            raise ValueError("the polygon needs points [[x, y], …]")
        found = [(_pixel(x, width, "x"), _pixel(y, height, "y")) for x, y in points]
        return [point for index, point in enumerate(found) if index == 0 or point != found[index - 1]]
    return [(_pixel(value.get("x"), width, "x"), _pixel(value.get("y"), height, "y"))]


def _vector(points):
    vector = {}
    for number, (x, y) in enumerate(points, start=1):
        vector[f"x{number}"], vector[f"y{number}"] = x, y
    return vector


def proposals(prediction, image, types_by_label):
    """The ``Proposal``s and ``Refusal``s of one prediction (one image's entry of ``/predict``)."""
    if "_bad" in prediction:
        return [Refusal(f"the backend's entry for this image is not an object: {str(prediction['_bad'])[:80]}")]
    if prediction.get("error"):
        return [Refusal(f"the backend could not label this image: {str(prediction['error'])[:300]}")]
    results = prediction.get("result", [])
    if not isinstance(results, list):
        return [Refusal("the backend's result for this image is not a list")]
    found = []
    for result in results:
        found += _from_result(result, prediction, image, types_by_label)
    return found


def _from_result(result, prediction, image, types_by_label):
    if not isinstance(result, dict) or not isinstance(result.get("value"), dict):
        return [Refusal("a result without a value")]
    kind, value = result.get("type"), result["value"]
    if kind not in KINDS:
        return [Refusal(f"a result of kind {str(kind)[:40]!r}, which ImageTagger does not read")]
    labels = value.get(kind)
    if not isinstance(labels, list) or not labels or not all(isinstance(label, str) for label in labels):
        return [Refusal(f"a {kind} result without label names")]
    confidence, problem = _confidence(result, prediction)
    if problem:
        return [Refusal(f"{labels[0]!r}: {problem}")]
    found = []
    for label in labels if kind == "choices" else labels[:1]:
        annotation_type = types_by_label.get(label)
        if annotation_type is None:
            found.append(Refusal(f"the label {label[:80]!r} is not mapped to a type of this team"))
            continue
        wanted = KIND_OF_TYPE.get(annotation_type.vector_type)
        if kind != wanted:
            found.append(Refusal(f"{label!r} maps to “{annotation_type.name}”, which does not take a {kind} result"))
            continue
        if kind == "choices":
            found.append(Proposal(annotation_type.pk, None, confidence))
            continue
        try:
            points = pixel_points(value, kind, image.width, image.height)
        except ValueError as error:
            found.append(Refusal(f"{label!r}: {error}"))
            continue
        found.append(Proposal(annotation_type.pk, _vector(points), confidence))
    return found
