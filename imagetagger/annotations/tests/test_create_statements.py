"""The label-create hot path stays short: the statements of one API create (token-authenticated, as
scripts send it), of one update and of one vote are counted, so that a change cannot make them creep
back (issue 16: a create was 12 statements + BEGIN/COMMIT; the goal is at most 7).

On PostgreSQL a create is (BEGIN/COMMIT not counted):
  1. the token and its user (one join);
  2. the image, locked FOR UPDATE OF the image only, with its set, the actor's membership of the
     set's team and the set's chosen types (subqueries), and the type, locked FOR KEY SHARE OF the
     type (one statement: the reads and both locks);
  3. the other labels of this image and type near the new one (similarity, "not in image");
  4. the INSERT of the annotation, ON CONFLICT (uuid) DO NOTHING (a replayed uuid needs no savepoint),
     and of its history row, in one statement.
SQLite has no FOR UPDATE/KEY SHARE and runs one writer at a time; the same reads, without the locks.
"""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from annotations.models import Annotation, AnnotationHistory, AnnotationType
from images.models import Image
from images.tests.factories import add_image_rows, make_imageset
from users.services import create_api_token

# A real transaction per request (not the test case's), so that BEGIN/SAVEPOINT are counted as in production.
pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/annotations/"
BOX = {"x1": 100, "y1": 100, "x2": 200, "y2": 200}
CREATE_LIMIT = 7  # statements of one create, BEGIN/COMMIT/SAVEPOINT not counted (they are counted apart)


def _statements(captured):
    """The captured SQL without transaction control (BEGIN, COMMIT, SAVEPOINT, RELEASE)."""
    control = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
    return [query["sql"] for query in captured.captured_queries if not query["sql"].upper().startswith(control)]


def _savepoints(captured):
    return [query["sql"] for query in captured.captured_queries if query["sql"].upper().startswith("SAVEPOINT")]


@pytest.fixture
def world(make_user, make_team):
    ada, bob = make_user("ada"), make_user("bob")
    team = make_team("Robots", admins=[ada], members=[bob])
    image_set = make_imageset(team, creator=ada)
    images = add_image_rows(image_set, 2)
    Image.objects.filter(pk__in=[image.pk for image in images]).update(width=1000, height=800)
    box = AnnotationType.objects.create(name="ball")
    _token, key = create_api_token(user=bob, name="script")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    api.post(URL, {"image": images[1].pk, "annotation_type": box.pk, "vector": BOX}, format="json")  # warm up
    return {"bob": bob, "images": images, "box": box, "api": api}


def _create(world, **fields):
    body = {"image": world["images"][0].pk, "annotation_type": world["box"].pk, "vector": BOX, **fields}
    with CaptureQueriesContext(connection) as captured:
        response = world["api"].post(URL, body, format="json")
    return response, captured


def test_a_create_takes_at_most_seven_statements(world):
    response, captured = _create(world)
    assert response.status_code == 201, response.content
    statements = _statements(captured)
    assert len(statements) <= CREATE_LIMIT, "\n".join(statements)
    assert not _savepoints(captured), "the request's transaction is the unit: no savepoint inside it"
    assert Annotation.objects.filter(pk=response.json()["id"]).exists()
    assert AnnotationHistory.objects.filter(annotation_id=response.json()["id"]).count() == 1
    assert response.json()["permissions"] == ["annotate", "delete_annotation", "edit_annotation", "read", "verify"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exact list is PostgreSQL's")
def test_a_create_on_postgresql_reads_each_row_once(world):
    response, captured = _create(world)
    assert response.status_code == 201
    statements = _statements(captured)
    lowered = [sql.lower() for sql in statements]
    assert sum('from "images_image"' in sql for sql in lowered) == 1, "\n".join(statements)
    assert sum("users_teammembership" in sql for sql in lowered) == 1, "\n".join(statements)
    assert sum('"annotations_annotationtype"' in sql for sql in lowered) == 1, "\n".join(statements)
    assert len(statements) == 4, "\n".join(statements)
    assert 'for update of "images_image" for key share of annotations_annotationtype' in lowered[1]


def test_a_replayed_create_takes_few_statements_and_no_savepoint(world):
    key = str(uuid.uuid4())
    first, _ = _create(world, uuid=key)
    again, captured = _create(world, uuid=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert len(_statements(captured)) <= CREATE_LIMIT + 1, "\n".join(_statements(captured))


def test_an_update_reads_each_row_once(world):
    created = (
        world["api"]
        .post(URL, {"image": world["images"][0].pk, "annotation_type": world["box"].pk, "vector": BOX}, format="json")
        .json()
    )
    moved = {key: value + 5 for key, value in BOX.items()}
    with CaptureQueriesContext(connection) as captured:
        response = world["api"].patch(
            f"{URL}{created['id']}/", {"vector": moved, "version": created["version"]}, format="json"
        )
    assert response.status_code == 200, response.content
    statements = _statements(captured)
    assert len(statements) <= 8, "\n".join(statements)
    assert not _savepoints(captured)
