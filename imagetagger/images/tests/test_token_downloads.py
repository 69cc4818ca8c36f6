"""Scripts download images, thumbnails and archives with ``Authorization: Token <key>``."""

import pytest
from django.test import Client

from base.tests.s3 import fetched
from images.tests.factories import add_images, make_imageset
from users.services import create_api_token, revoke_api_token

# Tests using storage_dir run with the local folder and with a bucket (moto's S3 server, conftest.storage_dir).
pytestmark = [pytest.mark.django_db, pytest.mark.storages("filesystem", "s3")]


@pytest.fixture
def world(make_user, make_team, storage_dir):
    owner, outsider = make_user("owner"), make_user("outsider")
    team = make_team("Robots", admins=[owner])
    image_set = make_imageset(team, creator=owner)
    (image,) = add_images(image_set, 1, uploader=owner)
    return {
        "image": image,
        "set": image_set,
        "owner_key": create_api_token(user=owner, name="script")[1],
        "outsider_key": create_api_token(user=outsider, name="script")[1],
        "owner": owner,
    }


def get(url, key):
    return Client().get(url, HTTP_AUTHORIZATION=f"Token {key}")


def test_a_token_downloads_an_image_and_its_thumbnail(world):
    image = world["image"]

    picture = get(f"/images/image/{image.pk}/", world["owner_key"])
    thumbnail = get(f"/images/image/{image.pk}/thumbnail/", world["owner_key"])

    status, headers, data = fetched(picture)
    assert (status, headers["Content-Type"]) == (200, "image/png")
    assert data.startswith(b"\x89PNG")
    assert thumbnail.status_code == 200


def test_a_token_of_someone_who_may_not_read_gets_404(world):
    assert get(f"/images/image/{world['image'].pk}/", world["outsider_key"]).status_code == 404
    assert get(f"/images/imageset/{world['set'].pk}/download/", world["outsider_key"]).status_code == 404


def test_a_bad_or_revoked_token_answers_401_not_a_login_redirect(world):
    response = get(f"/images/image/{world['image'].pk}/", "not-a-key")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["detail"]

    token = world["owner"].api_tokens.get()
    revoke_api_token(user=world["owner"], token_id=token.pk)
    assert get(f"/images/imageset/{world['set'].pk}/download/", world["owner_key"]).status_code == 401


def test_without_a_token_downloads_still_need_a_login(world):
    response = Client().get(f"/images/imageset/{world['set'].pk}/download/")

    assert response.status_code == 302
    assert response["Location"].startswith("/user/login/")


def test_a_token_sees_the_archive_states(world):
    url = f"/images/imageset/{world['set'].pk}/download/"

    assert get(url, world["owner_key"]).status_code == 202
    assert get(f"/images/imageset/{world['set'].pk}/zip-status/", world["owner_key"]).json()["state"] in (
        "processing",
        "ready",
    )
