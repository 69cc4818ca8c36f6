"""Property-based fuzzing of the whole REST API from its own OpenAPI schema (schemathesis).

Every operation of /api/schema/ is called with generated input, authenticated by an API token of a
user who owns a team, an image set with images, annotation types and annotations. No answer may be
a server error. ``IT_FUZZ_EXAMPLES`` bounds the examples per operation (default 15).
"""

import json
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from users.services import create_api_token

EXAMPLES = int(os.environ.get("IT_FUZZ_EXAMPLES", "15"))


def _load_schema():
    """The schema as /api/schema/ serves it, generated in-process, called through the WSGI app."""
    from django.core.wsgi import get_wsgi_application
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = get_wsgi_application()
    return loaded


schema = _load_schema()


@pytest.fixture
def keep_connection(db):
    """As Django's test client does: the requests run inside the test's transaction, so the WSGI
    handler must not close the connection at the end of each request."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(db, make_user, make_team, storage_dir):
    from annotations.models import AnnotationType, VectorType
    from annotations.services import create_annotation
    from images.services import create_imageset
    from images.tests.factories import add_images

    user = make_user("fuzzer")
    other = make_user("colleague")
    team = make_team("Fuzz team", admins=[user], members=[other])
    image_set = create_imageset(actor=user, team=team, name="fuzz set", public=True)
    images = add_images(image_set, 3, uploader=user)
    box = AnnotationType.objects.create(name="box", vector_type=VectorType.BOUNDING_BOX)
    AnnotationType.objects.create(name="outline", vector_type=VectorType.POLYGON)
    create_annotation(actor=other, image=images[0], annotation_type=box, vector={"x1": 1, "y1": 1, "x2": 5, "y2": 4})
    _, key = create_api_token(user=user, name="fuzz")
    return key


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_operation_answers_with_a_server_error(case, token, keep_connection):
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=[not_a_server_error])
