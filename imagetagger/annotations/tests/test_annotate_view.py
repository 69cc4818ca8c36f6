"""The annotate page shell, its "Annotate" entry point and the image-position lookup: who may open
them and what they answer."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.attributes import clean_definitions
from annotations.models import Annotation, AnnotationType, VectorType
from images.tests.factories import add_image_rows, make_imageset

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(make_user, make_team):
    admin = make_user("admin")
    member = make_user("member")
    outsider = make_user("outsider")
    team = make_team("Robots", admins=[admin], members=[member])
    image_set = make_imageset(team, name="Field")
    images = add_image_rows(image_set, 5)
    box = AnnotationType.objects.create(name="box", vector_type=VectorType.BOUNDING_BOX)
    AnnotationType.objects.create(name="old", active=False)
    image_set.main_annotation_type = box
    image_set.save(update_fields=["main_annotation_type"])
    return {"admin": admin, "member": member, "outsider": outsider, "set": image_set, "images": images, "box": box}


def test_readers_get_the_page_with_its_start_up_data(setup, client_for):
    response = client_for(setup["member"]).get(f"/annotations/{setup['images'][2].pk}/")
    assert response.status_code == 200
    config = response.context["config"]
    assert config["image"] == {
        "id": setup["images"][2].pk,
        "name": "img00002.png",
        "width": 4,
        "height": 3,
        "url": f"/images/image/{setup['images'][2].pk}/",
    }
    assert [t["name"] for t in config["types"]] == ["box"], "active types only"
    assert config["mainType"] == setup["box"].pk
    assert "annotate" in config["permissions"]
    assert b'id="save-button"' in response.content


def test_outsiders_get_404_and_anonymous_users_the_login(setup, client_for, client):
    image = setup["images"][0]
    assert client_for(setup["outsider"]).get(f"/annotations/{image.pk}/").status_code == 404
    assert client_for(setup["outsider"]).get("/annotations/999999/").status_code == 404
    response = client.get(f"/annotations/{image.pk}/")
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_readers_of_a_public_set_see_no_editing_controls(setup, client_for):
    setup["set"].public = True
    setup["set"].save(update_fields=["public"])
    response = client_for(setup["outsider"]).get(f"/annotations/{setup['images'][0].pk}/")
    assert response.status_code == 200
    assert response.context["config"]["permissions"] == ["read"]
    assert b'id="save-button"' not in response.content
    assert b'id="next-button"' in response.content


def test_annotate_link_opens_the_first_image(setup, client_for):
    client = client_for(setup["member"])
    response = client.get(f"/images/imageset/{setup['set'].pk}/")
    assert b'id="annotate-link"' in response.content
    response = client.get(f"/annotations/imageset/{setup['set'].pk}/annotate/")
    assert response.status_code == 302
    assert response["Location"] == f"/annotations/{setup['images'][0].pk}/"
    assert client_for(setup["outsider"]).get(f"/annotations/imageset/{setup['set'].pk}/annotate/").status_code == 404


def test_annotate_link_of_an_empty_set(setup, client_for, make_team):
    empty = make_imageset(setup["set"].team, name="Empty")
    client = client_for(setup["member"])
    assert b'id="annotate-link"' not in client.get(f"/images/imageset/{empty.pk}/").content
    response = client.get(f"/annotations/imageset/{empty.pk}/annotate/")
    assert response.status_code == 302
    assert response["Location"] == f"/images/imageset/{empty.pk}/"


def test_position_counts_the_images_before_by_name(setup, client_for):
    client = client_for(setup["member"])
    url = f"/annotations/imageset/{setup['set'].pk}/position/"
    images = setup["images"]
    assert client.get(url, {"image": images[3].pk}).json() == {"index": 3, "count": 5, "present": True}
    Annotation.objects.create(image=images[1], annotation_type=setup["box"], vector=None)
    Annotation.objects.create(image=images[3], annotation_type=setup["box"], vector=None)
    filtered = {"missing_annotation_type": setup["box"].pk}
    assert client.get(url, {"image": images[3].pk, **filtered}).json() == {"index": 2, "count": 3, "present": False}
    assert client.get(url, {"image": images[4].pk, **filtered}).json() == {"index": 2, "count": 3, "present": True}


def test_position_refuses_bad_input_and_outsiders(setup, client_for, make_team):
    client = client_for(setup["member"])
    url = f"/annotations/imageset/{setup['set'].pk}/position/"
    assert client.get(url, {"image": "x"}).status_code == 400
    assert client.get(url, {"image": setup["images"][0].pk, "missing_annotation_type": "abc"}).status_code == 400
    other = make_imageset(make_team("Other"), name="Else")
    foreign = add_image_rows(other, 1)[0]
    assert client.get(url, {"image": foreign.pk}).status_code == 400
    assert client_for(setup["outsider"]).get(url, {"image": setup["images"][0].pk}).status_code == 404


def _schema(team, other_team):
    """Two types of ``team`` (one a tag) and one of another team."""
    car = AnnotationType.objects.create(
        team=team,
        name="car",
        color="#3cb44b",
        sort_order=2,
        shortcut=3,
        attributes=clean_definitions([{"name": "colour", "kind": "select", "values": ["red", "blue"]}]),
    )
    night = AnnotationType.objects.create(team=team, name="night", vector_type=VectorType.TAG, sort_order=1)
    foreign = AnnotationType.objects.create(team=other_team, name="secret")
    return car, night, foreign


def test_the_page_carries_the_sets_usable_types_in_schema_order_with_colours_keys_and_attributes(
    setup, client_for, make_team
):
    car, night, foreign = _schema(setup["set"].team, make_team("Others"))
    response = client_for(setup["member"]).get(f"/annotations/{setup['images'][0].pk}/")
    types = response.context["config"]["types"]
    assert [t["name"] for t in types] == ["night", "car", "box"], "team types first (by order), then site types"
    assert foreign.pk not in [t["id"] for t in types], "another team's type is never offered"
    by_name = {t["name"]: t for t in types}
    assert by_name["car"] == {
        "id": car.pk,
        "name": "car",
        "color": "#3cb44b",
        "vector_type": VectorType.BOUNDING_BOX,
        "node_count": 0,
        "is_tag": False,
        "shortcut": 3,
        "enable_concealed": True,
        "enable_blurred": True,
        "attributes": car.attributes,
    }
    assert by_name["night"]["is_tag"] is True
    content = response.content.decode()
    assert 'id="tag-bar"' in content
    assert f'<option value="{night.pk}"' not in content, "tags are toggled in the tag bar, not drawn"
    assert f'<option value="{car.pk}"' in content
    assert 'id="show-all-types" checked' in content, "every type's labels are drawn by default"


def test_a_set_that_chose_its_types_offers_only_those(setup, client_for, make_team):
    car, _night, _foreign = _schema(setup["set"].team, make_team("Others"))
    setup["set"].annotation_types.set([car])
    config = client_for(setup["member"]).get(f"/annotations/{setup['images'][0].pk}/").context["config"]
    assert [t["name"] for t in config["types"]] == ["car"]
    assert config["mainType"] is None, "the main type is not among them"


def test_the_page_reads_the_types_in_constant_queries(setup, client_for):
    client = client_for(setup["member"])
    url = f"/annotations/{setup['images'][0].pk}/"
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for index in range(8):
        AnnotationType.objects.create(team=setup["set"].team, name=f"t{index}", attributes=[])
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["config"]["types"]) == 9
    assert len(many) == len(few)
