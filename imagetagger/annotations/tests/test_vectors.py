"""The vector contract (design.md §4): every validation rule and the similarity rule. No database."""

import pytest
from django.core.exceptions import ValidationError

from annotations.models import AnnotationType, VectorType
from annotations.vectors import find_similar, is_similar, points_of, validate_vector, vector_from_points
from images.models import Image

BOX, POINT, LINE, MULTI, POLY = (
    VectorType.BOUNDING_BOX,
    VectorType.POINT,
    VectorType.LINE,
    VectorType.MULTI_LINE,
    VectorType.POLYGON,
)
IMAGE = Image(width=1000, height=800)


def kind(vector_type, node_count=0):
    return AnnotationType(name=f"t{vector_type}", vector_type=vector_type, node_count=node_count)


def v(*coordinates):
    """``v(1, 2, 3, 4)`` → {"x1": 1, "y1": 2, "x2": 3, "y2": 4}."""
    return vector_from_points(zip(coordinates[::2], coordinates[1::2], strict=True))


def refused(vector, vector_type, node_count=0, image=IMAGE):
    with pytest.raises(ValidationError) as error:
        validate_vector(vector, kind(vector_type, node_count), image)
    assert list(error.value.message_dict) == ["vector"]
    return " ".join(error.value.message_dict["vector"])


def accepted(vector, vector_type, node_count=0, image=IMAGE):
    return validate_vector(vector, kind(vector_type, node_count), image)


# --- valid shapes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vector_type", "vector"),
    [
        (BOX, v(10, 20, 110, 80)),
        (BOX, v(0, 0, 1, 1)),
        (POINT, v(5, 5)),
        (POINT, v(0, 0)),
        (LINE, v(10, 10, 20, 10)),
        (LINE, v(300, 300, 300, 301)),
        (MULTI, v(1, 1, 2, 2)),
        (MULTI, v(1, 1, 2, 2, 1, 1)),  # may come back to a point, just not stay on it
        (POLY, v(0, 0, 10, 0, 10, 10)),
        (POLY, v(300, 300, 400, 300, 400, 400, 300, 400)),
    ],
)
def test_valid_vectors_are_accepted(vector_type, vector):
    assert accepted(vector, vector_type) == vector


def test_the_answer_is_in_canonical_key_order():
    vector = {"y2": 80, "x2": 110, "y1": 20, "x1": 10}
    result = accepted(vector, BOX)
    assert list(result) == ["x1", "y1", "x2", "y2"]
    assert result == vector


def test_null_means_not_in_image_for_every_type():
    for vector_type in VectorType.values:
        assert accepted(None, vector_type) is None


# --- per type ----------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", [v(1, 1), v(1, 1, 5, 5, 9, 9)])
def test_a_box_has_exactly_two_points(vector):
    assert "exactly 2 points" in refused(vector, BOX)


@pytest.mark.parametrize(
    "vector",
    [
        v(10, 10, 10, 20),  # x1 == x2
        v(10, 10, 20, 10),  # y1 == y2
        v(20, 10, 10, 20),  # x1 > x2
        v(10, 20, 20, 10),  # y1 > y2
        v(300, 300, 300, 300),  # the same corner twice, above 256
    ],
)
def test_a_box_goes_from_top_left_to_bottom_right(vector):
    assert "x1 < x2 and y1 < y2" in refused(vector, BOX)


@pytest.mark.parametrize("vector", [v(1, 1, 2, 2), {"x1": 1}])
def test_a_point_has_exactly_one_point(vector):
    message = refused(vector, POINT)
    assert "exactly 1 point" in message or "pairs" in message


@pytest.mark.parametrize("vector", [v(1, 1), v(1, 1, 2, 2, 3, 3)])
def test_a_line_has_exactly_two_points(vector):
    assert "exactly 2 points" in refused(vector, LINE)


@pytest.mark.parametrize("coordinate", [5, 255, 256, 257, 300, 799])
def test_a_line_has_two_distinct_points_also_above_256(coordinate):
    # The original compared with ``is``: equal endpoints above 256 got through.
    assert "the same" in refused(v(coordinate, coordinate, coordinate, coordinate), LINE)


def test_a_multi_line_has_at_least_two_points():
    assert "at least 2 points" in refused(v(1, 1), MULTI)


def test_a_multi_line_with_node_count_has_exactly_that_many():
    assert accepted(v(1, 1, 2, 2, 3, 3), MULTI, node_count=3)
    assert "exactly 3 points" in refused(v(1, 1, 2, 2), MULTI, node_count=3)
    assert "exactly 3 points" in refused(v(1, 1, 2, 2, 3, 3, 4, 4), MULTI, node_count=3)


def test_a_polygon_has_at_least_three_points():
    assert "at least 3 points" in refused(v(1, 1, 2, 2), POLY)


def test_a_polygon_with_node_count_has_exactly_that_many():
    square = v(0, 0, 10, 0, 10, 10, 0, 10)
    assert accepted(square, POLY, node_count=4) == square
    assert "exactly 4 points" in refused(v(0, 0, 10, 0, 10, 10), POLY, node_count=4)
    assert "exactly 4 points" in refused(v(0, 0, 10, 0, 10, 10, 5, 12, 0, 10), POLY, node_count=4)
    # 0 = any number
    assert accepted(v(0, 0, 10, 0, 10, 10, 5, 12, 0, 10), POLY, node_count=0)


@pytest.mark.parametrize(
    ("vector_type", "vector"),
    [
        (POLY, v(300, 300, 300, 300, 400, 400)),  # the original's ``is`` bug: missed above 256
        (POLY, v(10, 10, 10, 10, 40, 40)),
        (POLY, v(300, 300, 400, 300, 400, 400, 400, 400)),
        (MULTI, v(300, 300, 300, 300)),
        (MULTI, v(1, 1, 2, 2, 2, 2)),
    ],
)
def test_duplicate_consecutive_vertices_are_refused(vector_type, vector):
    assert "are the same" in refused(vector, vector_type)


def test_a_polygon_may_not_close_on_its_first_vertex():
    # The closing pair (last, first) is consecutive too: the ring would repeat a vertex.
    assert "are the same" in refused(v(300, 300, 400, 300, 400, 400, 300, 300), POLY)
    # An open multi-line may end where it started.
    assert accepted(v(300, 300, 400, 300, 400, 400, 300, 300), MULTI)


# --- inside the image --------------------------------------------------------------------------


def test_points_on_the_far_edge_are_inside_the_image():
    image = Image(width=640, height=480)
    assert accepted(v(0, 0, 640, 480), BOX, image=image)
    assert accepted(v(640, 480), POINT, image=image)


@pytest.mark.parametrize(
    "vector",
    [v(641, 10), v(10, 481), v(-1, 10), v(10, -1), v(-5, -5), v(10**12, 10)],
)
def test_points_outside_the_image_are_refused(vector):
    assert "outside the image" in refused(vector, POINT, image=Image(width=640, height=480))


def test_every_vertex_is_checked_against_the_image():
    message = refused(v(0, 0, 100, 0, 100, 481), POLY, image=Image(width=640, height=480))
    assert "Point 3 (100, 481)" in message
    assert "640 × 480" in message


# --- keys and values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "vector",
    [
        {"x0": 1, "y0": 1},  # numbered from 1
        {"x1": 1, "y1": 1, "x2": 5},  # y2 missing
        {"x1": 1, "y1": 1, "x2": 5, "y2": 5, "z": 3},  # extra key
        {"x1": 1, "y1": 1, "x2": 5, "y2": 5, "x3": 6},  # an unpaired extra
        {"x1": 1, "y1": 1, "x3": 5, "y3": 5},  # a gap
        {"X1": 1, "Y1": 1},  # upper case
        {"x01": 1, "y01": 1},  # leading zero
        {"x1 ": 1, "y1": 1},  # trailing space
        {"x": 1, "y": 1},
        {"label": "ball"},
        {"x1\n": 1, "y1": 1},  # "$" in a regular expression matches before a final newline
        {"x1": 1, "y1\n": 1},
        {"\ud800": 1},  # a lone surrogate: the message must still be printable as UTF-8
        {"x" + "1" * 5000: 1, "y1": 1},  # too long for int()
    ],
)
def test_wrong_key_sets_are_refused(vector):
    message = refused(vector, POINT)
    assert "key" in message.lower()


@pytest.mark.parametrize(
    "value",
    ["12", "twelve", 12.5, 12.0, True, False, None, {"a": 1}, [12], [], {}],
    ids=[
        "numeric string",
        "word",
        "float",
        "whole float",
        "true",
        "false",
        "null",
        "object",
        "list",
        "empty list",
        "{}",
    ],
)
def test_values_must_be_whole_numbers(value):
    message = refused({"x1": value, "y1": 5}, POINT)
    assert "x1 must be a whole number" in message


def test_error_messages_are_short_and_printable():
    message = refused({"x1": "a" * 10_000, "y1": 5}, POINT)
    assert len(message) < 200
    message = refused({"\ud800" * 1000: 1}, POINT)
    message.encode()  # no lone surrogate left
    assert len(message) < 400


@pytest.mark.parametrize(
    "vector",
    [[], [1, 2], "x1=1", 12, 12.5, True, {"x1": {"x": 1}, "y1": 2}],
    ids=["empty list", "list", "string", "int", "float", "bool", "nested object"],
)
def test_the_vector_must_be_an_object_of_numbers(vector):
    refused(vector, POINT)


def test_an_empty_object_is_refused_with_a_hint_to_send_null():
    assert "send null" in refused({}, BOX)


def test_nothing_is_changed_in_place():
    vector = {"y1": 5, "x1": 7}
    accepted(vector, POINT)
    assert vector == {"y1": 5, "x1": 7}


def test_points_and_vectors_round_trip():
    vector = v(1, 2, 3, 4, 5, 6)
    assert points_of(vector) == [(1, 2), (3, 4), (5, 6)]
    assert vector_from_points(points_of(vector)) == vector


# --- similarity --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shifted", "similar"),
    [(0, True), (1, True), (5, True), (-5, True), (6, False), (-6, False), (300, False)],
)
def test_similar_means_every_coordinate_within_five_pixels(shifted, similar):
    box = v(100, 100, 200, 200)
    assert is_similar(v(100 + shifted, 100, 200, 200), box) is similar
    assert is_similar(v(100, 100, 200, 200 + shifted), box) is similar
    assert is_similar(v(100 + shifted, 100 + shifted, 200 + shifted, 200 + shifted), box) is similar


def test_similarity_of_points_lines_and_polygons():
    assert is_similar(v(10, 10), v(15, 5))
    assert not is_similar(v(10, 10), v(16, 10))
    assert is_similar(v(10, 10, 300, 300), v(14, 6, 305, 295))
    assert not is_similar(v(10, 10, 300, 300), v(10, 10, 300, 306))
    triangle = v(0, 0, 100, 0, 100, 100)
    assert is_similar(v(5, 5, 95, 5, 105, 95), triangle)
    assert not is_similar(v(5, 5, 95, 5, 106, 95), triangle)


def test_vertex_order_matters():
    # A line drawn the other way round is a different vector.
    assert not is_similar(v(300, 300, 10, 10), v(10, 10, 300, 300))


def test_different_vertex_counts_are_not_similar():
    triangle = v(0, 0, 100, 0, 100, 100)
    square = v(0, 0, 100, 0, 100, 100, 0, 100)
    assert not is_similar(triangle, square)
    assert not is_similar(square, triangle)


def test_not_in_image_is_similar_only_to_not_in_image():
    assert is_similar(None, None)
    assert not is_similar(None, v(1, 1))
    assert not is_similar(v(1, 1), None)


def test_the_distance_can_be_chosen():
    assert is_similar(v(0, 0), v(10, 10), pixels=10)
    assert not is_similar(v(0, 0), v(10, 10), pixels=9)


class _Candidate:
    def __init__(self, pk, vector):
        self.pk, self.vector = pk, vector


def test_find_similar_returns_the_first_match_and_skips_the_excluded_one():
    candidates = [_Candidate(1, v(50, 50)), _Candidate(2, v(10, 10)), _Candidate(3, v(12, 12))]
    assert find_similar(v(11, 11), candidates).pk == 2
    assert find_similar(v(11, 11), candidates, exclude_id=2).pk == 3
    assert find_similar(v(500, 500), candidates) is None
    assert find_similar(None, candidates) is None
    assert find_similar(None, [*candidates, _Candidate(4, None)]).pk == 4
