"""The set page's image filters: missing / with labels of a type, labels nobody has voted on,
machine-made labels, uploaded by; combined; kept in the address and the page links; a bad value
reported and ignored; the same number of queries for 3 images or 60."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.models import Annotation, AnnotationType, Origin, VectorType, Verification
from images.models import Image

from .factories import add_image_rows, make_imageset

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_user, make_team):
    ada, bob = make_user("ada"), make_user("bob")
    team = make_team("Robots", admins=[ada], members=[bob])
    image_set = make_imageset(team, name="Yard")
    a, b, c, d = add_image_rows(image_set, 4)  # img00000 … img00003
    Image.objects.filter(pk=d.pk).update(uploader=bob)
    car = AnnotationType.objects.create(name="car", team=team, vector_type=VectorType.BOUNDING_BOX)
    sky = AnnotationType.objects.create(name="sky", team=team, vector_type=VectorType.TAG)
    voted = Annotation.objects.create(image=a, annotation_type=car, vector={"x1": 0, "y1": 0, "x2": 2, "y2": 2})
    Verification.objects.create(annotation=voted, user=bob, verified=True)
    Annotation.objects.create(
        image=b, annotation_type=car, vector={"x1": 0, "y1": 0, "x2": 3, "y2": 2}, origin=Origin.MACHINE, model_name="m"
    )
    Annotation.objects.create(image=d, annotation_type=sky, vector=None)
    return {"ada": ada, "bob": bob, "set": image_set, "car": car, "sky": sky}


def names(response):
    return [image.name for image in response.context["images"]]


def get(client_for, world, **query):
    return client_for(world["ada"]).get(f"/images/imageset/{world['set'].pk}/", query)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["img00000.png", "img00001.png", "img00002.png", "img00003.png"]),
        ({"missing": "car"}, ["img00002.png", "img00003.png"]),
        ({"has": "car"}, ["img00000.png", "img00001.png"]),
        ({"unverified": "on"}, ["img00001.png", "img00003.png"]),
        ({"machine": "on"}, ["img00001.png"]),
        ({"uploader": "bob"}, ["img00003.png"]),
        ({"has": "car", "unverified": "on"}, ["img00001.png"]),
        ({"missing": "car", "has": "sky"}, ["img00003.png"]),
    ],
)
def test_each_filter_and_combinations(world, client_for, query, expected):
    ids = {"car": world["car"].pk, "sky": world["sky"].pk, "bob": world["bob"].pk}
    response = get(client_for, world, **{key: ids.get(value, value) for key, value in query.items()})
    assert response.status_code == 200
    assert names(response) == expected
    html = response.content.decode()
    if query:
        assert f"{len(expected)} of 4 images match" in html
        assert 'id="image-filter-clear"' in html


def test_nothing_matching_says_so(world, client_for):
    response = get(client_for, world, machine="on", uploader=world["bob"].pk)
    assert names(response) == []
    assert "No image matches these filters." in response.content.decode()


def test_a_bad_value_is_reported_and_ignored(world, client_for):
    response = get(client_for, world, missing="999999", machine="on")
    assert names(response) == ["img00001.png"], "the valid filter still applies"
    html = response.content.decode()
    assert 'id="image-filter-errors"' in html
    assert "Missing labels of:" in html


def test_the_filters_stay_in_the_page_links(world, client_for, settings):
    from images import selectors

    add_image_rows(world["set"], selectors.IMAGES_PER_PAGE + 5, start=10)
    response = get(client_for, world, missing=world["car"].pk)
    assert f"missing={world['car'].pk}" in response.context["page_query"]
    assert f"?page=2&amp;missing={world['car'].pk}" in response.content.decode() or (
        f"missing={world['car'].pk}&amp;page=2" in response.content.decode()
    )


def test_queries_do_not_grow_with_the_set(world, client_for):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert get(client_for, world, has=world["car"].pk, unverified="on").status_code == 200
        return len(queries)

    few = count()
    add_image_rows(world["set"], 60, start=100)
    images = list(Image.objects.filter(image_set=world["set"], name__gte="img00100"))
    Annotation.objects.bulk_create(
        Annotation(image=image, annotation_type=world["car"], vector={"x1": 0, "y1": 0, "x2": 2, "y2": 2})
        for image in images
    )
    assert count() == few
