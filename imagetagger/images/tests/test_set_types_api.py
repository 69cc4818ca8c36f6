"""The annotation types an image set uses, through /api/v1/imagesets/: read, choose, refused."""

import pytest

from annotations.models import AnnotationType, VectorType
from images.models import ImageSet
from images.tests.factories import add_image_rows as add_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_user, make_team):
    """Team Robots (admin ada, member bob) with a set and two own types; team Rivals (admin rita) with
    one type; a site type; an outsider otto."""
    ada, bob, rita, otto = make_user("ada"), make_user("bob"), make_user("rita"), make_user("otto")
    robots = make_team("Robots", admins=[ada], members=[bob])
    rivals = make_team("Rivals", admins=[rita])
    image_set = ImageSet.objects.create(
        name="field", team=robots, created_by_team=robots, creator=ada, path=f"{robots.pk}_a"
    )
    return {
        "ada": ada,
        "bob": bob,
        "rita": rita,
        "otto": otto,
        "set": image_set,
        "ball": AnnotationType.objects.create(name="ball", team=robots),
        "goal": AnnotationType.objects.create(name="goal", team=robots, vector_type=VectorType.POLYGON),
        "secret": AnnotationType.objects.create(name="secret", team=rivals),
        "site": AnnotationType.objects.create(name="person"),
    }


def url(world):
    return f"/api/v1/imagesets/{world['set'].pk}/"


def test_a_new_set_uses_every_type_it_may_use(world, api_for):
    body = api_for(world["bob"]).get(url(world)).json()

    assert body["annotation_types"] == []  # none chosen: all of them


def test_a_member_chooses_the_types_and_reads_them_back(world, api_for):
    chosen = [world["goal"].pk, world["site"].pk]

    response = api_for(world["bob"]).patch(url(world), {"annotation_types": chosen}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["annotation_types"] == sorted(chosen)
    assert set(world["set"].annotation_types.values_list("pk", flat=True)) == set(chosen)
    # ... and an empty list goes back to "all".
    response = api_for(world["bob"]).patch(url(world), {"annotation_types": []}, format="json")
    assert response.json()["annotation_types"] == []
    assert not world["set"].annotation_types.exists()


def test_another_teams_type_is_refused_as_unknown(world, api_for):
    response = api_for(world["ada"]).patch(url(world), {"annotation_types": [world["secret"].pk]}, format="json")

    assert response.status_code == 400
    assert str(world["secret"].pk) in response.json()["errors"]["annotation_types"][0]
    assert "no annotation type" in response.json()["errors"]["annotation_types"][0]
    assert not world["set"].annotation_types.exists()


@pytest.mark.parametrize("bad", ["ball", [0], ["x"], [2**70], None, [{"id": 1}]])
def test_malformed_type_lists_are_refused(world, api_for, bad):
    response = api_for(world["ada"]).patch(url(world), {"annotation_types": bad}, format="json")

    assert response.status_code == 400
    assert "annotation_types" in response.json()["errors"]


def test_an_outsider_may_not_choose_types(world, api_for):
    world["set"].public = True
    world["set"].save(update_fields=["public"])

    response = api_for(world["otto"]).patch(url(world), {"annotation_types": [world["site"].pk]}, format="json")

    assert response.status_code == 403
    assert not world["set"].annotation_types.exists()


def test_a_private_set_is_not_found_by_outsiders(world, api_for):
    response = api_for(world["otto"]).patch(url(world), {"annotation_types": [world["site"].pk]}, format="json")

    assert response.status_code == 404


def test_the_missing_type_filter_knows_only_the_sets_types(world, api_for):
    add_rows(world["set"], 2)
    images = f"/api/v1/imagesets/{world['set'].pk}/images/"

    assert api_for(world["bob"]).get(images, {"missing_annotation_type": world["ball"].pk}).json()["count"] == 2
    refused = api_for(world["bob"]).get(images, {"missing_annotation_type": world["secret"].pk})
    assert refused.status_code == 400
    assert "no annotation type" in refused.json()["errors"]["missing_annotation_type"][0]


def test_the_set_list_stays_constant_in_queries_with_chosen_types(world, api_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert api_for(world["ada"]).get("/api/v1/imagesets/").status_code == 200
        return len(captured)

    world["set"].annotation_types.set([world["ball"], world["site"]])
    few = queries()
    for number in range(5):
        extra = ImageSet.objects.create(name=f"more{number}", team=world["set"].team, path=f"x_{number}")
        extra.annotation_types.set([world["goal"]])
    assert queries() == few
