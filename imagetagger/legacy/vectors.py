"""Vectors of the original ImageTagger brought to our contract (design.md §4), or refused with a reason.

The original stored what its lax checks let through (reference spec §1.3.2, §14.3): numbers as strings
or fractions, boxes with swapped corners, points outside the image (it had no bounds check), repeated
vertices above 256 (its ``is`` comparison). Repairs that keep the meaning are made and named:

- ``{}`` is "not in image" (as the original read it);
- numeric strings and fractions become whole numbers (truncated, as the original's ``int()`` did);
- coordinates outside the image are moved onto its border;
- a box's corners are put in order (top-left, then bottom-right);
- a repeated consecutive vertex of a polygon or multi-line without a fixed vertex count is dropped.

Anything still invalid afterwards (wrong number of points, a box or line of no size, keys that are
not ``x1, y1, …``) raises ``LegacyVectorError`` with our validator's reason: such a label is not imported.
"""

import json

from django.core.exceptions import ValidationError

from annotations.models import VectorType
from annotations.vectors import points_of, validate_vector, vector_from_points
from base import jsontext
from base.jsontext import JSONTextError

EMPTY = "empty vector {} read as “not in image”"
WHOLE_NUMBERS = "numbers made whole"
CLAMPED = "points outside the image moved onto its border"
BOX_ORDER = "box corners put in order"
REPEATED = "repeated vertices dropped"


class LegacyVectorError(ValueError):
    """The vector cannot be imported; ``args[0]`` says why."""


def _whole(key, value):
    if isinstance(value, bool):
        raise LegacyVectorError(f"{key} is a truth value ({value}), not a number.")
    if isinstance(value, int):
        return value, False
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        return int(value), True
    if isinstance(value, str):
        try:
            return int(value.strip()), True
        except ValueError:
            pass
        try:
            number = float(value.strip())
        except ValueError:
            number = None
        if number is not None and number == number and abs(number) != float("inf"):
            return int(number), True
    shown = json.dumps(value)[:40] if not isinstance(value, float) else repr(value)
    raise LegacyVectorError(f"{key} is not a number: {shown}.")


def _reason(error):
    messages = error.message_dict.get("vector") if hasattr(error, "message_dict") else None
    return messages[0] if messages else "; ".join(error.messages)


def repair_vector(raw, annotation_type, width, height):
    """``(vector, repairs)`` for a legacy vector: ``vector`` valid for ``annotation_type`` on an image
    of ``width`` × ``height`` pixels (or None for "not in image"), ``repairs`` the names of the changes."""
    repairs = []
    if isinstance(raw, str):  # a JSON text inside the JSON column
        try:
            raw = jsontext.loads(raw)
        except JSONTextError:
            raise LegacyVectorError("The vector is text that is not JSON.") from None
    if raw is None:
        return None, repairs
    if not isinstance(raw, dict):
        raise LegacyVectorError(f"The vector is a {type(raw).__name__}, not an object of x1, y1, … values.")
    if not raw:
        return None, [EMPTY]
    vector = {}
    changed = clamped = False
    for key, value in raw.items():
        number, was_changed = _whole(key, value)
        changed |= was_changed
        limit = width if str(key).startswith("x") else height if str(key).startswith("y") else None
        if limit is not None and not 0 <= number <= limit:
            number = min(max(number, 0), limit)
            clamped = True
        vector[key] = number
    if changed:
        repairs.append(WHOLE_NUMBERS)
    if clamped:
        repairs.append(CLAMPED)
    image = _Size(width, height)
    kind = annotation_type.vector_type
    try:
        if kind == VectorType.BOUNDING_BOX and set(vector) == {"x1", "y1", "x2", "y2"}:
            ordered = {
                "x1": min(vector["x1"], vector["x2"]),
                "y1": min(vector["y1"], vector["y2"]),
                "x2": max(vector["x1"], vector["x2"]),
                "y2": max(vector["y1"], vector["y2"]),
            }
            if ordered != vector:
                repairs.append(BOX_ORDER)
                vector = ordered
        if kind in (VectorType.POLYGON, VectorType.MULTI_LINE) and not annotation_type.node_count:
            vector = _drop_repeated(vector, kind, repairs)
        return validate_vector(vector, annotation_type, image), repairs
    except ValidationError as error:
        raise LegacyVectorError(_reason(error)) from None


def _drop_repeated(vector, kind, repairs):
    keys = {f"{axis}{index}" for index in range(1, len(vector) // 2 + 1) for axis in "xy"}
    if len(vector) % 2 or set(vector) != keys:
        return vector  # malformed keys: the validator names the problem
    points = points_of(vector)
    kept = [point for index, point in enumerate(points) if index == 0 or point != points[index - 1]]
    if kind == VectorType.POLYGON:
        while len(kept) > 1 and kept[-1] == kept[0]:
            kept.pop()
    if len(kept) == len(points):
        return vector
    repairs.append(REPEATED)
    return vector_from_points(kept)


class _Size:
    """What ``validate_vector`` needs of an image."""

    def __init__(self, width, height):
        self.width = width
        self.height = height
