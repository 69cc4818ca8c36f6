"""The verification page shell and the set page's "Verify" entry: who may open them, what they start
with, and where the entry leads."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.attributes import clean_definitions
from annotations.models import AnnotationType, Verification
from images.tests.factories import make_imageset

from .vote_factories import build_vote_world, label

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(make_user, make_team):
    return build_vote_world(make_user, make_team)


def verify_url(annotation, query=""):
    return f"/annotations/{annotation.pk}/verify/{query}"


def test_members_get_the_page_with_the_annotation_and_the_set_types(w, client_for):
    image = w.image(w.private)
    annotation = label(image, w.ada, w.box)
    unused = AnnotationType.objects.create(name="unused")
    response = client_for(w.bob).get(verify_url(annotation))
    assert response.status_code == 200
    config = response.context["config"]
    assert config["annotation"]["id"] == annotation.pk
    assert config["annotation"]["image_width"] == image.width
    assert "vote" in config["annotation"]["permissions"]
    assert [t["id"] for t in config["types"]] == [w.box.pk], "only types with annotations in the set"
    assert unused.pk not in [t["id"] for t in config["types"]]
    assert config["type"] == w.box.pk, "filtered by the annotation's type at first"
    assert config["unvotedOnly"] is True
    assert config["urls"]["verify"] == "/annotations/0/verify/"
    assert b'id="accept-button"' in response.content


def test_filters_come_from_the_query(w, client_for):
    annotation = label(w.image(w.private), w.ada, w.box)
    config = client_for(w.bob).get(verify_url(annotation, "?type=all&all=1")).context["config"]
    assert (config["type"], config["unvotedOnly"]) == (None, False)
    config = client_for(w.bob).get(verify_url(annotation, "?type=99999")).context["config"]
    assert config["type"] == w.box.pk, "an unknown type falls back to the annotation's"


def test_outsiders_get_404_readers_without_verify_403_anonymous_the_login(w, client_for, client):
    private = label(w.image(w.private), w.ada, w.box)
    public = label(w.image(w.public), w.ada, w.box)
    assert client_for(w.otto).get(verify_url(private)).status_code == 404
    assert client_for(w.otto).get("/annotations/999999/verify/").status_code == 404
    refused = client_for(w.otto).get(verify_url(public))
    assert refused.status_code == 403
    assert b"You may not verify" in refused.content
    assert client.get(verify_url(private)).status_code == 302
    collaborative = label(w.image(w.collaborative), w.ada, w.box)
    assert client_for(w.otto).get(verify_url(collaborative)).status_code == 200


def test_the_set_entry_opens_the_first_annotation_i_can_still_vote_on(w, client_for):
    first, second, third = w.image(w.private, count=3)
    mine = label(first, w.bob, w.box)
    voted = label(first, w.ada, w.box)
    Verification.objects.create(annotation=voted, user=w.bob, verified=True)
    todo = label(second, w.ada, w.box)
    label(third, w.ada, w.box)
    response = client_for(w.bob).get(f"/annotations/imageset/{w.private.pk}/verify/")
    assert response.status_code == 302
    assert response["Location"] == verify_url(todo)
    assert mine.pk != todo.pk


def test_the_set_entry_prefers_the_main_type_and_says_when_all_is_done(w, client_for):
    image = w.image(w.private)
    other_type = AnnotationType.objects.create(name="aaa-first-by-name")
    label(image, w.ada, other_type)
    main = label(image, w.ada, w.box)
    w.private.main_annotation_type = w.box
    w.private.save(update_fields=["main_annotation_type"])
    assert client_for(w.bob).get(f"/annotations/imageset/{w.private.pk}/verify/")["Location"] == verify_url(main)

    Verification.objects.create(annotation=main, user=w.bob, verified=False)
    response = client_for(w.bob).get(f"/annotations/imageset/{w.private.pk}/verify/", follow=True)
    assert response.redirect_chain[-1][0] == verify_url(main, "?all=1")
    assert "You have verified every annotation" in response.content.decode()


def test_the_set_entry_without_annotations_goes_back_to_the_set(w, client_for):
    empty = make_imageset(w.team, creator=w.ada)
    response = client_for(w.bob).get(f"/annotations/imageset/{empty.pk}/verify/", follow=True)
    assert response.redirect_chain[-1][0] == empty.get_absolute_url()
    assert "no annotations to verify" in response.content.decode()


def test_the_set_entry_refuses_like_the_page(w, client_for):
    assert client_for(w.otto).get(f"/annotations/imageset/{w.private.pk}/verify/").status_code == 404
    assert client_for(w.otto).get(f"/annotations/imageset/{w.public.pk}/verify/").status_code == 403
    assert client_for(w.otto).get("/annotations/imageset/999999/verify/").status_code == 404


def test_the_set_page_links_to_verification_for_those_who_may_verify(w, client_for):
    label(w.image(w.public), w.ada, w.box)
    link = f'href="/annotations/imageset/{w.public.pk}/verify/"'
    assert link in client_for(w.bob).get(w.public.get_absolute_url()).content.decode()
    assert link not in client_for(w.otto).get(w.public.get_absolute_url()).content.decode()


def test_the_page_runs_the_same_number_of_queries_whatever_the_set_size(w, client_for):
    images = w.image(w.private, count=40)
    annotation = label(images[0], w.ada, w.box)
    client = client_for(w.bob)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(verify_url(annotation)).status_code == 200
        return len(captured)

    few = queries()
    for image in images:
        label(image, w.ada, w.box)
        label(image, w.cara, AnnotationType.objects.get_or_create(name="other")[0])
    assert queries() == few


def test_the_types_carry_colours_and_attributes_and_only_the_sets_usable_ones(w, client_for, make_team):
    team_type = AnnotationType.objects.create(
        team=w.team,
        name="car",
        color="#4363d8",
        attributes=clean_definitions([{"name": "doors", "kind": "number", "min": 0}]),
    )
    foreign = AnnotationType.objects.create(team=make_team("Others"), name="secret")
    image = w.image(w.private)
    annotation = label(image, w.ada, team_type)
    label(image, w.ada, foreign)  # written directly: a label the set may not use (e.g. an old import)
    config = client_for(w.bob).get(verify_url(annotation)).context["config"]
    assert [t["id"] for t in config["types"]] == [team_type.pk], "another team's type is not offered"
    shown = config["types"][0]
    assert (shown["color"], shown["attributes"][0]["name"], shown["is_tag"]) == ("#4363d8", "doors", False)
    assert (shown["enableConcealed"], shown["enableBlurred"]) == (True, True)
