"""Property-based fuzzing of the whole REST API from its own OpenAPI schema (schemathesis).

Every operation of /api/schema/ is called with generated input, authenticated by an API token of a
user who owns a team, an image set with images, annotation types and annotations (``conftest.token``). No answer may be
a server error. ``IT_FUZZ_EXAMPLES`` bounds the examples per operation (default 15).
"""

import json
import os

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

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


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_operation_answers_with_a_server_error(case, token, keep_connection):
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=[not_a_server_error])
