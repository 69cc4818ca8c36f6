"""Hostile input answered with a reason, never a server error (issue 15): JSON nested thousands deep
or too large, on every JSON endpoint and in every JSON the site reads; ids no route takes under /api/
answered as JSON 404s; 405s under /api/ as JSON."""

import io
import json
import re

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from annotations.models import Annotation, AnnotationType
from base.jsontext import MAX_DEPTH, JSONTextError, depth_exceeds, loads
from exports.imports import import_labels
from exports.models import LabelImport
from images.tests.factories import add_image_rows, make_imageset
from users.services import create_api_token

pytestmark = pytest.mark.django_db

DEEP = "[" * 5000 + "]" * 5000


def nested(levels, inner="1"):
    return "[" * levels + inner + "]" * levels


# --- the reader itself ---------------------------------------------------------------------------------


def test_depth_is_counted_outside_strings_and_limited():
    assert not depth_exceeds(nested(MAX_DEPTH))
    assert depth_exceeds(nested(MAX_DEPTH + 1))
    assert loads(nested(MAX_DEPTH)) is not None
    assert not depth_exceeds('{"a": "[[[[[[[[", "b": "\\"]]]]"}', 1)  # brackets inside strings
    assert depth_exceeds('[{"a": [{}]}, [[[]]]]', 3)
    assert not depth_exceeds('[{"a": [{}]}, [[[]]]]', 4)
    for text in (DEEP, "[" * 100_000, '{"a": ' * 70):
        with pytest.raises(JSONTextError, match=f"nested more than {MAX_DEPTH} levels deep"):
            loads(text)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xff\xfe", "is not UTF-8 text"),
        ('{"a": 1,}', "is not valid JSON (Expecting property name enclosed in double quotes at column 9)"),
        ("[1,\n2", "at line 2, column 2"),
        ("x" * 101, "is 101 characters; at most 100 are read"),
    ],
)
def test_bad_json_says_why(data, reason):
    with pytest.raises(JSONTextError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        loads(data, max_bytes=100)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[NaN]", "holds NaN, which is not a JSON number"),
        ('{"a": -Infinity}', "holds -Infinity, which is not a JSON number"),
        ("[1e400]", "holds the number 1e400, too large to read"),
        ("[" + "9" * 5000 + "]", "holds a number with too many digits"),
        ('["a\\u0000"]', "holds a NUL character (\\u0000), which cannot be stored"),
        ('["\\ud800"]', "holds \\ud800, half of a surrogate pair, which is not a character"),
        ('["\\udc00 alone"]', "holds \\udc00, half of a surrogate pair"),
    ],
)
def test_what_the_database_cannot_store_is_refused(text, reason):
    with pytest.raises(JSONTextError, match=re.escape(reason)):
        loads(text)


def test_what_looks_unstorable_but_is_not_is_read():
    assert loads('["\\ud83d\\ude00", "\\\\u0000", "caf\\u00e9", 1e308]') == ["😀", "\\u0000", "café", 1e308]


def test_a_byte_order_mark_is_allowed():
    assert loads("\ufeff[1]") == [1]
    assert loads("\ufeff[1]".encode()) == [1]


# --- the API ------------------------------------------------------------------------------------------


@pytest.fixture
def token_api(make_user, make_team):
    user = make_user()
    team = make_team(admins=[user])
    image_set = make_imageset(team, creator=user)
    image = add_image_rows(image_set, 1)[0]
    box = AnnotationType.objects.create(name="box")
    _, key = create_api_token(user=user, name="fuzz")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return {"api": api, "user": user, "set": image_set, "image": image, "type": box}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/teams/", DEEP),
        ("/api/v1/annotations/", DEEP),
        ("/api/v1/annotations/", '{"image": 1, "annotation_type": 1, "vector": ' + DEEP + "}"),
        ("/api/v1/annotations/", '{"image": 1, "annotation_type": 1, "attributes": {"a": ' + DEEP + "}}"),
    ],
)
def test_deeply_nested_json_is_a_400_with_the_reason(token_api, path, body):
    response = token_api["api"].post(path, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["detail"] == f"The request body is nested more than {MAX_DEPTH} levels deep."
    assert not Annotation.objects.exists()


def test_a_body_over_the_limit_is_a_400(token_api, settings):
    settings.API_JSON_MAX_BYTES = 1000
    body = json.dumps({"image": token_api["image"].pk, "annotation_type": 1, "pad": "x" * 2000})
    response = token_api["api"].post("/api/v1/annotations/", body, content_type="application/json")
    assert response.status_code == 400
    assert "larger than 1,000 bytes (IT_API_JSON_MAX_BYTES)" in response.json()["detail"]


def test_ordinary_json_still_creates(token_api):
    body = {
        "image": token_api["image"].pk,
        "annotation_type": token_api["type"].pk,
        "vector": {"x1": 0, "y1": 0, "x2": 3, "y2": 2},
    }
    response = token_api["api"].post("/api/v1/annotations/", body, format="json")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("bad_id", ["1e3", "%00", "\u0661\u0662", "-1", "1.5", "abc"])
@pytest.mark.parametrize("prefix", ["exports", "label-imports", "tools", "images", "annotations", "teams"])
def test_ids_no_route_takes_are_json_404s_under_the_api(token_api, prefix, bad_id):
    response = token_api["api"].get(f"/api/v1/{prefix}/{bad_id}/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith(("Not found.", "No "))  # the router's or a view's 404


def test_unknown_api_paths_are_json_404s_and_pages_stay_html(token_api, client):
    assert token_api["api"].get("/api/v1/no-such-thing/").json() == {"detail": "Not found."}
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


def test_wrong_methods_under_the_api_are_json_405s(token_api):
    response = token_api["api"].delete("/api/v1/users/me/")
    assert response.status_code == 405
    assert response.json()["detail"].startswith('Method "DELETE" not allowed')


# --- JSON inside imports -----------------------------------------------------------------------------


def run_import(setup, text, format):
    return import_labels(actor=setup["user"], image_set=setup["set"], fileobj=io.BytesIO(text.encode()), format=format)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"images": 5}, "The file's “images” must be a list of objects (each with id and file_name), not a number."),
        ({"categories": "x"}, "The file's “categories” must be a list of objects (each with id and name), not a text."),
        (
            {"images": [{"id": 1}, [2]]},
            "“images” must be a list of objects (each with id and file_name), not a list holding a",
        ),
        (
            {"categories": None},
            "“categories” must be a list of objects (each with id and name), not null (or missing).",
        ),
    ],
)
def test_coco_files_with_the_wrong_structure_are_refused_with_the_reason(token_api, fields, reason):
    document = {"images": [], "categories": [], "annotations": [{"image_id": 1, "category_id": 1}], **fields}
    with pytest.raises(ValidationError, match=re.escape(reason)):
        run_import(token_api, json.dumps(document), "coco")
    assert not Annotation.objects.exists()


@pytest.mark.parametrize(
    ("format", "document", "reason"),
    [
        ("datumaro", {"items": [1]}, "The file: its “items” must be a list of objects (the images), not a list"),
        ("datumaro", {"items": [], "categories": 5}, "The file: its “categories” must be an object, not a number."),
        (
            "datumaro",
            {"items": [], "categories": {"label": {"labels": 3}}},
            "The file: its “categories.label.labels” must be a list of objects, not a number.",
        ),
    ],
)
def test_import_files_with_the_wrong_structure_are_refused_with_the_reason(token_api, format, document, reason):
    with pytest.raises(ValidationError, match=re.escape(reason)):
        run_import(token_api, json.dumps(document), format)


@pytest.mark.parametrize(
    ("format", "document", "reason"),
    [
        (
            "labelstudio",
            [{"data": {"image": "a.png"}, "annotations": [5]}],
            "Its “annotations” must be a list of objects with “result”, not a list holding a number.",
        ),
        (
            "labelstudio",
            [{"data": {"image": "a.png"}, "predictions": [{"result": 7}]}],
            "Its “result” must be a list of objects (the regions), not a number.",
        ),
        ("datumaro", {"items": [{"id": "a", "annotations": 5}]}, "Its “annotations” must be a list of objects, not a"),
    ],
)
def test_records_with_the_wrong_structure_are_reported_not_skipped(token_api, format, document, reason):
    """These were skipped in silence ("0 created, 0 errors")."""
    result = run_import(token_api, json.dumps(document), format)
    assert (result.created, result.errors) == (0, 1)
    assert result.report[0]["message"].startswith(reason)


@pytest.mark.parametrize("format", ["coco", "labelstudio", "datumaro"])
def test_deeply_nested_import_files_are_refused_with_the_reason(token_api, format):
    with pytest.raises(ValidationError, match=f"nested more than {MAX_DEPTH} levels deep"):
        run_import(token_api, '{"annotations": ' + DEEP + "}", format)
    assert not Annotation.objects.exists()


def test_a_deeply_nested_labelme_file_is_reported_as_that_file(token_api):
    result = run_import(token_api, '{"shapes": ' + DEEP + "}", "labelme")
    assert result.errors == 1
    assert result.report[0]["message"] == f"The file is nested more than {MAX_DEPTH} levels deep."


def test_a_deep_attribute_column_is_reported_on_its_line(token_api):
    line = f'{token_api["image"].name}|box|{{"x1": 1, "y1": 2, "x2": 30, "y2": 40}}||{{"a": {DEEP}}}'
    result = run_import(token_api, line, "pipe")
    assert result.errors == 1
    assert f"is nested more than {MAX_DEPTH} levels deep" in result.report[0]["message"]


def test_a_deep_coco_file_through_the_api_is_a_400(token_api):
    upload = io.BytesIO(('{"annotations": ' + DEEP + "}").encode())
    upload.name = "coco.json"
    response = token_api["api"].post(
        f"/api/v1/imagesets/{token_api['set'].pk}/label-imports/",
        {"file": upload, "format": "coco"},
        format="multipart",
    )
    assert response.status_code == 400, response.content
    assert f"nested more than {MAX_DEPTH} levels deep" in response.json()["detail"]
    assert not LabelImport.objects.filter(state="done", created__gt=0).exists()


def test_every_api_view_reads_json_through_the_limited_parser():
    from django.urls import URLPattern, URLResolver, get_resolver
    from rest_framework import parsers

    from base.parsers import JSONParser

    def views(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from views(pattern.url_patterns)
            elif isinstance(pattern, URLPattern) and hasattr(pattern.callback, "cls"):
                yield pattern.callback.cls

    found = list(views(get_resolver().url_patterns))
    assert len(found) > 20
    for view in found:
        classes = view.parser_classes
        assert parsers.JSONParser not in classes, f"{view.__name__} reads JSON with DRF's unlimited parser"
        assert not any(c is not JSONParser and issubclass(c, parsers.JSONParser) for c in classes), view
