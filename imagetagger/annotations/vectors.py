"""The vector contract (design.md §4): checking vectors and finding similar annotations.

A vector is ``{"x1": .., "y1": .., …, "xN": .., "yN": ..}`` with whole numbers in original-image
pixels (origin top-left), or ``None`` for "not in image". Pure functions, no database access.
"""

import json
import re

from django.core.exceptions import ValidationError

from .models import VectorType

SIMILARITY_PIXELS = 5
# Used with fullmatch ("$" would let "x1\n" through); at most a million points.
_KEY = re.compile(r"([xy])([1-9][0-9]{0,5})")


def _invalid(message):
    return ValidationError({"vector": message}, code="invalid_vector")


def points_of(vector):
    """``[(x1, y1), (x2, y2), …]`` of a valid vector."""
    return [(vector[f"x{i}"], vector[f"y{i}"]) for i in range(1, len(vector) // 2 + 1)]


def vector_from_points(points):
    vector = {}
    for index, (x, y) in enumerate(points, start=1):
        vector[f"x{index}"] = x
        vector[f"y{index}"] = y
    return vector


def _count_nodes(vector):
    if not isinstance(vector, dict):
        raise _invalid('The vector must be a JSON object like {"x1": 10, "y1": 20, …} or null.')
    if not vector:
        raise _invalid("The vector is empty; send null for “not in image”.")
    numbers = {"x": set(), "y": set()}
    for key, value in vector.items():
        match = _KEY.fullmatch(key) if isinstance(key, str) else None
        if match is None:
            # json.dumps: quoted and escaped, so that any text (even a lone surrogate) can be shown.
            raise _invalid(f"Unknown key {json.dumps(str(key)[:40])}: keys are x1, y1, x2, y2, …")
        if isinstance(value, bool) or not isinstance(value, int):
            shown = repr(value) if len(repr(value)) <= 40 else f"{repr(value)[:40]}…"
            raise _invalid(f"{key} must be a whole number of pixels, not {type(value).__name__} {shown}.")
        numbers[match.group(1)].add(int(match.group(2)))
    count = len(numbers["x"])
    if numbers["x"] != numbers["y"] or numbers["x"] != set(range(1, count + 1)):
        raise _invalid("The keys must come in pairs x1, y1, …, xN, yN numbered from 1 without gaps.")
    return count


def _expected_nodes(annotation_type, count):
    kind = annotation_type.vector_type
    name = annotation_type.get_vector_type_display().lower()
    if kind == VectorType.BOUNDING_BOX and count != 2:
        raise _invalid(f"A bounding box has exactly 2 points (x1, y1, x2, y2), not {count}.")
    if kind == VectorType.POINT and count != 1:
        raise _invalid(f"A point has exactly 1 point (x1, y1), not {count}.")
    if kind == VectorType.LINE and count != 2:
        raise _invalid(f"A line has exactly 2 points, not {count}.")
    if kind == VectorType.MULTI_LINE and count < 2:
        raise _invalid(f"A multi-line has at least 2 points, not {count}.")
    if kind == VectorType.POLYGON and count < 3:
        raise _invalid(f"A polygon has at least 3 points, not {count}.")
    if (
        kind in (VectorType.POLYGON, VectorType.MULTI_LINE)
        and annotation_type.node_count
        and (count != annotation_type.node_count)
    ):
        raise _invalid(f"A {annotation_type.name} {name} has exactly {annotation_type.node_count} points, not {count}.")


def validate_vector(vector, annotation_type, image):
    """Return the vector in canonical key order, or raise ValidationError({"vector": reason}).

    ``None`` means "not in image" and is always valid here (its uniqueness is the service's job).
    """
    if annotation_type.vector_type == VectorType.TAG:
        if vector is not None:
            raise _invalid(f"“{annotation_type.name}” is an image tag: it has no shape, so send null as the vector.")
        return None
    if vector is None:
        return None
    count = _count_nodes(vector)
    _expected_nodes(annotation_type, count)
    points = [(vector[f"x{i}"], vector[f"y{i}"]) for i in range(1, count + 1)]
    for index, (x, y) in enumerate(points, start=1):
        if not (0 <= x <= image.width and 0 <= y <= image.height):
            raise _invalid(
                f"Point {index} ({x}, {y}) lies outside the image, which is {image.width} × {image.height} pixels."
            )
    kind = annotation_type.vector_type
    if kind == VectorType.BOUNDING_BOX:
        (x1, y1), (x2, y2) = points
        if not (x1 < x2 and y1 < y2):
            raise _invalid("A bounding box needs x1 < x2 and y1 < y2 (top-left, then bottom-right corner).")
    pairs = list(zip(points, points[1:], strict=False))
    if kind == VectorType.POLYGON:
        pairs.append((points[-1], points[0]))
    for index, (first, second) in enumerate(pairs, start=1):
        if first == second:
            raise _invalid(f"Point {index} and the next one are the same ({first[0]}, {first[1]}).")
    return vector_from_points(points)


def is_similar(vector, other, pixels=SIMILARITY_PIXELS):
    """Two vectors of one type are similar when both are "not in image", or they have the same
    number of points and each point lies within ±``pixels`` of the other's point with that number."""
    if vector is None or other is None:
        return vector is None and other is None
    if len(vector) != len(other):
        return False
    return all(abs(vector[key] - other[key]) <= pixels for key in vector)


def find_similar(vector, candidates, *, exclude_id=None):
    """The first of ``candidates`` (annotations of the same image and type) similar to ``vector``."""
    for candidate in candidates:
        if candidate.pk != exclude_id and is_similar(vector, candidate.vector):
            return candidate
    return None
