"""The whole-set "not in image" action and a set's label schema: only the set's shape types."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotations import work
from annotations.models import Annotation, AnnotationType, VectorType
from images.tests.factories import add_image_rows, make_imageset

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_user, make_team):
    ada, rita = make_user("ada"), make_user("rita")
    robots = make_team("Robots", admins=[ada])
    rivals = make_team("Rivals", admins=[rita])
    image_set = make_imageset(robots)
    add_image_rows(image_set, 3)
    return {
        "ada": ada,
        "set": image_set,
        "ball": AnnotationType.objects.create(name="ball", team=robots),
        "night": AnnotationType.objects.create(name="night", team=robots, vector_type=VectorType.TAG),
        "secret": AnnotationType.objects.create(name="secret", team=rivals),
        "person": AnnotationType.objects.create(name="person"),
    }


def test_the_panel_offers_the_sets_shape_types_only(world, client_for):
    page = client_for(world["ada"]).get(world["set"].get_absolute_url()).content.decode()
    panel = page[page.index('id="not-in-image-type"') :]
    panel = panel[: panel.index("</select>")]

    assert "ball (3 images without a label)" in panel
    assert "person (3 images" in panel
    assert "night" not in panel  # a tag
    assert "secret" not in panel  # another team's


def test_the_panel_follows_the_sets_chosen_types(world, client_for):
    world["set"].annotation_types.set([world["person"]])

    page = client_for(world["ada"]).get(world["set"].get_absolute_url()).content.decode()

    assert "person (3 images" in page
    assert "ball (3 images" not in page


def test_a_tag_type_cannot_mark_a_whole_set(world):
    with pytest.raises(ValidationError) as refused:
        work.annotate_set_not_in_image(actor=world["ada"], image_set=world["set"], annotation_type=world["night"])

    assert "image tag" in refused.value.message_dict["annotation_type"][0]
    assert not Annotation.objects.exists()


@pytest.mark.parametrize(("name", "message"), [("secret", "Choose an annotation type"), ("night", "image tag")])
def test_the_page_refuses_other_teams_types_and_tags(world, client_for, name, message):
    url = reverse("annotations:annotate_set", args=[world["set"].pk])

    response = client_for(world["ada"]).post(url, {"annotation_type": world[name].pk, "confirmed": "1"}, follow=True)

    assert message in response.content.decode()
    assert not Annotation.objects.exists()


def test_a_type_the_set_did_not_choose_is_refused(world, client_for):
    world["set"].annotation_types.set([world["person"]])
    url = reverse("annotations:annotate_set", args=[world["set"].pk])

    response = client_for(world["ada"]).post(url, {"annotation_type": world["ball"].pk}, follow=True)

    assert "does not use the type “ball”" in response.content.decode()
    assert not Annotation.objects.exists()
