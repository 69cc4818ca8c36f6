"""The vote endpoint: /api/v1/annotations/<id>/vote/ (GET, PUT, DELETE), allowed and refused sides."""

import pytest
from django.contrib.auth import get_user_model

from annotations.models import Verification
from annotations.tests.vote_factories import build_vote_world, label

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def world(make_user, make_team):
    return build_vote_world(make_user, make_team)


@pytest.fixture
def ada_label(world):
    return label(world.image(world.private), world.ada, world.box)


def url(annotation_or_id):
    return f"/api/v1/annotations/{getattr(annotation_or_id, 'pk', annotation_or_id)}/vote/"


def points(user):
    return User.objects.values_list("points", flat=True).get(pk=user.pk)


def test_put_accept_answers_the_tally(world, ada_label, api_for):
    response = api_for(world.bob).put(url(ada_label), {"vote": "accept"}, format="json")

    assert response.status_code == 200
    assert response.json() == {"annotation": ada_label.pk, "vote": "accept", "score": 1, "accepts": 1, "rejects": 0}
    assert points(world.ada) == 1


def test_put_changes_the_vote(world, ada_label, api_for):
    api = api_for(world.bob)
    api.put(url(ada_label), {"vote": "accept"}, format="json")
    api_for(world.cara).put(url(ada_label), {"vote": "accept"}, format="json")

    response = api.put(url(ada_label), {"vote": "reject"}, format="json")

    assert response.status_code == 200
    assert response.json() == {"annotation": ada_label.pk, "vote": "reject", "score": 0, "accepts": 1, "rejects": 1}
    assert points(world.ada) == 1


def test_delete_withdraws_the_vote(world, ada_label, api_for):
    api = api_for(world.bob)
    api.put(url(ada_label), {"vote": "accept"}, format="json")

    response = api.delete(url(ada_label))

    assert response.status_code == 200
    assert response.json() == {"annotation": ada_label.pk, "vote": None, "score": 0, "accepts": 0, "rejects": 0}
    assert points(world.ada) == 0
    assert not Verification.objects.exists()
    assert api.delete(url(ada_label)).status_code == 200  # nothing to withdraw: still fine


def test_get_shows_my_vote_and_the_tally(world, ada_label, api_for):
    api_for(world.bob).put(url(ada_label), {"vote": "reject"}, format="json")

    mine = api_for(world.bob).get(url(ada_label)).json()
    theirs = api_for(world.cara).get(url(ada_label)).json()

    assert mine == {"annotation": ada_label.pk, "vote": "reject", "score": -1, "accepts": 0, "rejects": 1}
    assert theirs["vote"] is None
    # The creator may look at the tally of her own annotation (but not vote).
    assert api_for(world.ada).get(url(ada_label)).status_code == 200


@pytest.mark.parametrize(
    "body",
    [{}, {"vote": "yes"}, {"vote": True}, {"vote": 1}, {"vote": None}, {"vote": ["accept"]}, {"verified": "accept"}],
)
def test_a_bad_body_is_a_400_with_the_reason(world, ada_label, api_for, body):
    response = api_for(world.bob).put(url(ada_label), body, format="json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("vote:")
    assert "vote" in response.json()["errors"]
    assert not Verification.objects.exists()


def test_a_body_that_is_not_json_is_a_400(world, ada_label, api_for):
    response = api_for(world.bob).put(url(ada_label), "{not json", content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.json()


def test_own_annotation_is_a_403_that_says_why(world, ada_label, api_for):
    api = api_for(world.ada)

    for response in (api.put(url(ada_label), {"vote": "accept"}, format="json"), api.delete(url(ada_label))):
        assert response.status_code == 403
        assert response.json() == {"detail": "You cannot vote on your own annotation."}
    assert not Verification.objects.exists()
    assert points(world.ada) == 0


def test_a_plain_public_reader_gets_a_403(world, api_for):
    annotation = label(world.image(world.public), world.ada, world.box)
    api = api_for(world.otto)

    assert api.get(url(annotation)).status_code == 200  # may read
    response = api.put(url(annotation), {"vote": "accept"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "You may not verify annotations of this image set."
    assert api.delete(url(annotation)).status_code == 403
    assert not Verification.objects.exists()


def test_an_outsider_may_vote_on_a_public_collaborative_set(world, api_for):
    annotation = label(world.image(world.collaborative), world.ada, world.box)

    response = api_for(world.otto).put(url(annotation), {"vote": "accept"}, format="json")

    assert response.status_code == 200
    assert points(world.ada) == 1


def test_an_annotation_the_caller_may_not_read_is_a_404(world, ada_label, api_for):
    api = api_for(world.otto)

    for response in (
        api.get(url(ada_label)),
        api.put(url(ada_label), {"vote": "accept"}, format="json"),
        api.put(url(ada_label), {"vote": "nonsense"}, format="json"),  # 404 before 400: nothing leaks
        api.delete(url(ada_label)),
    ):
        assert response.status_code == 404
        assert "detail" in response.json()
    assert not Verification.objects.exists()


def test_an_unknown_annotation_is_a_404(world, api_for):
    assert api_for(world.bob).put(url(999999), {"vote": "accept"}, format="json").status_code == 404
    assert api_for(world.bob).get("/api/v1/annotations/abc/vote/").status_code == 404


def test_anonymous_callers_are_refused(world, ada_label, api_for):
    response = api_for(None).put(url(ada_label), {"vote": "accept"}, format="json")

    assert response.status_code in (401, 403)
    assert not Verification.objects.exists()


def test_other_methods_are_not_allowed(world, ada_label, api_for):
    assert api_for(world.bob).post(url(ada_label), {"vote": "accept"}, format="json").status_code == 405


def test_session_clients_need_the_csrf_token(world, ada_label, client_for):
    client = client_for(world.bob)
    client.handler.enforce_csrf_checks = True

    response = client.put(url(ada_label), {"vote": "accept"}, content_type="application/json")

    assert response.status_code == 403
    assert not Verification.objects.exists()


def test_the_schema_documents_the_endpoint(world, api_for):
    schema = api_for(world.bob).get("/api/schema/?format=json").json()

    operations = schema["paths"]["/api/v1/annotations/{id}/vote/"]
    assert set(operations) >= {"get", "put", "delete"}
    put = operations["put"]
    assert set(put["responses"]) == {"200", "400", "403", "404"}
    request_schema = put["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert schema["components"]["schemas"][request_schema]["properties"]["vote"]
    assert "own annotation" in put["responses"]["403"]["description"]
