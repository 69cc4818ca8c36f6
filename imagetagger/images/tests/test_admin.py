"""Deleting through the Django admin keeps points and archives right, as the services do."""

import pytest

from annotations.models import AnnotationType, Verification
from annotations.services import create_annotation
from annotations.votes import cast_vote
from images.models import Image, ImageSet
from images.tests.factories import add_image_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def voted(make_user, make_team):
    """An image with a label by ``author`` that ``voter`` accepted: author has 1 point."""
    author, voter, staff = make_user("author"), make_user("voter"), make_user("staff", is_staff=True, is_superuser=True)
    team = make_team("Robots", admins=[author], members=[voter])
    image_set = ImageSet.objects.create(name="s", team=team, creator=author, path="p")
    (image,) = add_image_rows(image_set, 1)
    box = AnnotationType.objects.create(name="box")
    annotation, _ = create_annotation(
        actor=author, image=image, annotation_type=box, vector={"x1": 0, "y1": 0, "x2": 2, "y2": 2}
    )
    cast_vote(actor=voter, annotation=annotation, vote="accept")
    author.refresh_from_db()
    assert author.points == 1
    return {"author": author, "staff": staff, "image": image, "set": image_set, "annotation": annotation}


def test_deleting_an_annotation_in_the_admin_takes_its_points(voted, client_for):
    url = f"/admin/annotations/annotation/{voted['annotation'].pk}/delete/"

    response = client_for(voted["staff"]).post(url, {"post": "yes"})

    assert response.status_code == 302
    voted["author"].refresh_from_db()
    assert voted["author"].points == 0


def test_deleting_an_image_in_the_admin_takes_points_and_marks_the_archive_stale(voted, client_for):
    version = voted["set"].content_version
    url = f"/admin/images/image/{voted['image'].pk}/delete/"

    response = client_for(voted["staff"]).post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Image.objects.exists()
    voted["author"].refresh_from_db()
    assert voted["author"].points == 0
    voted["set"].refresh_from_db()
    assert voted["set"].content_version == version + 1


def test_deleting_a_set_in_the_admin_takes_points(voted, client_for):
    url = f"/admin/images/imageset/{voted['set'].pk}/delete/"

    client_for(voted["staff"]).post(url, {"post": "yes"})

    voted["author"].refresh_from_db()
    assert voted["author"].points == 0


def test_votes_are_not_in_the_admin(voted, client_for):
    vote = Verification.objects.get()

    assert client_for(voted["staff"]).get(f"/admin/annotations/verification/{vote.pk}/change/").status_code == 404
