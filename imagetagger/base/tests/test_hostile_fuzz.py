"""A standing fuzz of every API operation that takes JSON, with the bodies a schema never suggests:
nesting thousands deep, numbers beyond a float (``1e400``), NaN and Infinity, integers of 5,000
digits, ids beyond 64 bits, NUL characters and lone surrogates (which PostgreSQL's text and JSONB
refuse), very long texts, and every field given the wrong kind. No answer may be a server error.
``IT_FUZZ_EXAMPLES`` bounds the examples per operation (default 15), as in test_api_fuzz.py.
"""

import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from .test_api_fuzz import schema

EXAMPLES = int(os.environ.get("IT_FUZZ_EXAMPLES", "15"))

HOSTILE = [
    "[" * 70 + "]" * 70,
    "[" * 5000 + "]" * 5000,
    '{"a": ' * 80 + "1" + "}" * 80,
    "1e400",
    "-1e400",
    "NaN",
    "Infinity",
    "9" * 5000,
    str(2**64),
    str(-(2**63) - 1),
    "-0",
    "1e-400",
    '"\\u0000"',
    '"a\\u0000b"',
    '"\\ud800"',
    '{"x1": "\\u0000"}',
    '{"\\u0000": 1}',
    '"' + "x" * 20_000 + '"',
    "[]",
    "{}",
    "true",
    "null",
    '"1"',
]


def _properties(document, body_schema):
    """The property names of a request body schema (following one $ref)."""
    ref = body_schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        body_schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return sorted(body_schema.get("properties", {}))


def _json_operations():
    document = schema.raw_schema
    found = []
    for path, item in document["paths"].items():
        for method in ("post", "put", "patch"):
            content = item.get(method, {}).get("requestBody", {}).get("content", {})
            if "application/json" in content:
                found.append((method, path, _properties(document, content["application/json"].get("schema", {}))))
    return found


OPERATIONS = _json_operations()


def _url(path):
    return re.sub(r"\{[^}]+\}", "1", path)  # the fixture's first team, set, image, type and label


@st.composite
def hostile_bodies(draw, keys):
    if not keys or draw(st.booleans()):
        return draw(st.sampled_from(HOSTILE))
    chosen = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=4, unique=True))
    fragments = [draw(st.sampled_from(HOSTILE)) for _ in chosen]
    return "{" + ", ".join(f'"{key}": {fragment}' for key, fragment in zip(chosen, fragments, strict=True)) + "}"


def test_the_fuzz_covers_the_json_operations():
    paths = {path for _method, path, _keys in OPERATIONS}
    assert {"/api/v1/annotations/", "/api/v1/teams/", "/api/v1/imagesets/"} <= paths
    assert len(OPERATIONS) >= 15


@pytest.mark.parametrize(("method", "path", "keys"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_hostile_json_never_makes_a_server_error(method, path, keys, token, keep_connection):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    @given(body=hostile_bodies(keys))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    def check(body):
        response = getattr(api, method)(_url(path), body, content_type="application/json")
        assert response.status_code < 500, (method, path, body[:200], response.content[:500])

    check()
