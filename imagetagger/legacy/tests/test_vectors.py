"""Legacy vectors: repaired when the meaning is kept, refused with our validator's reason otherwise."""

import pytest

from annotations.models import AnnotationType, VectorType
from legacy.vectors import BOX_ORDER, CLAMPED, EMPTY, REPEATED, WHOLE_NUMBERS, LegacyVectorError, repair_vector

BOX = AnnotationType(name="box", vector_type=VectorType.BOUNDING_BOX)
POINT = AnnotationType(name="point", vector_type=VectorType.POINT)
LINE = AnnotationType(name="line", vector_type=VectorType.LINE)
POLYGON = AnnotationType(name="poly", vector_type=VectorType.POLYGON)
QUAD = AnnotationType(name="quad", vector_type=VectorType.POLYGON, node_count=4)
MULTI = AnnotationType(name="multi", vector_type=VectorType.MULTI_LINE)


@pytest.mark.parametrize(
    ("raw", "annotation_type", "vector", "repairs"),
    [
        (None, BOX, None, []),
        ({}, BOX, None, [EMPTY]),
        ('{"x1": 3, "y1": 4}', POINT, {"x1": 3, "y1": 4}, []),
        ({"y1": 2, "x2": 10, "x1": 1, "y2": 12}, BOX, {"x1": 1, "y1": 2, "x2": 10, "y2": 12}, []),
        ({"x1": "3", "y1": 4.9}, POINT, {"x1": 3, "y1": 4}, [WHOLE_NUMBERS]),
        ({"x1": " 7 ", "y1": "2.5"}, POINT, {"x1": 7, "y1": 2}, [WHOLE_NUMBERS]),
        ({"x1": -5, "y1": 120}, POINT, {"x1": 0, "y1": 100}, [CLAMPED]),
        ({"x1": 10, "y1": 12, "x2": 1, "y2": 2}, BOX, {"x1": 1, "y1": 2, "x2": 10, "y2": 12}, [BOX_ORDER]),
        ({"x1": 10, "y1": 2, "x2": 1, "y2": 12}, BOX, {"x1": 1, "y1": 2, "x2": 10, "y2": 12}, [BOX_ORDER]),
        (
            {"x1": 1, "y1": 1, "x2": 1, "y2": 1, "x3": 5, "y3": 5, "x4": 9, "y4": 1, "x5": 1, "y5": 1},
            POLYGON,
            {"x1": 1, "y1": 1, "x2": 5, "y2": 5, "x3": 9, "y3": 1},
            [REPEATED],
        ),
        (
            {"x1": 1, "y1": 1, "x2": 1, "y2": 1, "x3": 5, "y3": 5},
            MULTI,
            {"x1": 1, "y1": 1, "x2": 5, "y2": 5},
            [REPEATED],
        ),
        # above 256: the original's identity comparison let this one through
        ({"x1": 300, "y1": 10, "x2": 310, "y2": 20}, LINE, {"x1": 300, "y1": 10, "x2": 310, "y2": 20}, []),
    ],
)
def test_repairs_that_keep_the_meaning(raw, annotation_type, vector, repairs):
    assert repair_vector(raw, annotation_type, 400, 100) == (vector, repairs)


@pytest.mark.parametrize(
    ("raw", "annotation_type", "reason"),
    [
        ({"x1": 5, "y1": 5}, BOX, "A bounding box has exactly 2 points"),
        ({"x1": 1, "y1": 2, "x2": 1, "y2": 9}, BOX, "x1 < x2 and y1 < y2"),  # no width
        ({"x1": 500, "y1": 1, "x2": 600, "y2": 9}, BOX, "x1 < x2 and y1 < y2"),  # wholly outside: no width left
        ({"x1": 300, "y1": 300, "x2": 300, "y2": 300}, LINE, "Point 1 and the next one are the same"),
        ({"x1": 1, "y1": 1, "x2": 2, "y2": 2, "x3": 3, "y3": 3}, LINE, "A line has exactly 2 points"),
        ({"x1": 1, "y1": 1, "x2": 2, "y2": 2, "x3": 3, "y3": 3}, QUAD, "has exactly 4 points, not 3"),
        ({"x1": 1, "y1": 1, "x2": 1, "y2": 1, "x3": 3, "y3": 3, "x4": 5, "y4": 1}, QUAD, "Point 1 and the next"),
        ({"x1": 1, "y1": 1, "z1": 2}, POINT, "Unknown key"),
        ({"x1": 1, "y1": 1, "x3": 2, "y3": 2}, MULTI, "numbered from 1 without gaps"),
        ({"x1": "left", "y1": 1}, POINT, 'x1 is not a number: "left"'),
        ({"x1": True, "y1": 1}, POINT, "x1 is a truth value"),
        ({"x1": {"a": 1}, "y1": 1}, POINT, "x1 is not a number"),
        ({"x1": float("nan"), "y1": 1}, POINT, "x1 is not a number"),
        ([1, 2], POINT, "The vector is a list"),
        ("not json", POINT, "text that is not JSON"),
    ],
)
def test_refused_with_the_reason(raw, annotation_type, reason):
    with pytest.raises(LegacyVectorError) as error:
        repair_vector(raw, annotation_type, 400, 100)
    assert reason in error.value.args[0]
