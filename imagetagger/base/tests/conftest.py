"""Fixtures of the API fuzz tests (test_api_fuzz.py, test_hostile_fuzz.py)."""

import pytest

from users.services import create_api_token


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
