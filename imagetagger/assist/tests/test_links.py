"""The image links handed to model backends: they serve that image without a login, for a short
time; a forged, altered or expired link answers 404."""

import pytest

from assist.links import image_link
from images.tests.factories import add_images, make_imageset

pytestmark = pytest.mark.django_db


@pytest.fixture
def images(make_user, make_team, storage_dir):
    ada = make_user("ada")
    return add_images(make_imageset(make_team("Robots", admins=[ada]), creator=ada), 2, uploader=ada)


def path_of(link):
    return link[link.index("/assist/") :]


def test_a_link_serves_its_image_without_a_login(images, client):
    response = client.get(path_of(image_link(images[0])))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_a_link_names_the_configured_address(images, settings):
    settings.ASSIST_IMAGE_BASE_URL = "http://imagetagger.internal:8000/"
    assert image_link(images[0]).startswith("http://imagetagger.internal:8000/assist/image/")


@pytest.mark.parametrize("change", ["forged", "altered", "expired"])
def test_a_bad_link_answers_404(images, client, settings, change):
    link = path_of(image_link(images[0]))
    if change == "forged":
        link = "/assist/image/eyJpbWFnZSI6MX0:1u:forged/"
    elif change == "altered":
        other = path_of(image_link(images[1]))
        link = link.split(":")[0] + ":" + ":".join(other.split(":")[1:])  # image 0's payload, image 1's signature
    else:
        settings.ASSIST_IMAGE_LINK_SECONDS = 0
    assert client.get(link).status_code == 404
