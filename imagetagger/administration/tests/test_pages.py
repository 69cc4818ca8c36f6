"""The staff pages for annotation types (administration/views.py): access, every page, bad input."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.models import Annotation, AnnotationHistory, AnnotationType, VectorType, Verification
from annotations.tests.type_scenarios import annotate, make_type, sized_images
from images.tests.factories import make_imageset

pytestmark = pytest.mark.django_db

LOGIN_URL = "/user/login/"
HUGE_IDS = [2**31, 2**63, 10**30]


def flashes(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def page_urls(type_id):
    return {
        "index": "/administration/",
        "list": "/administration/annotation_type/list/",
        "create": "/administration/annotation_type/create/",
        "view": f"/administration/annotation_type/{type_id}/",
        "edit": f"/administration/annotation_type/edit/{type_id}/",
        "activate": f"/administration/annotation_type/activate/{type_id}/",
        "deactivate": f"/administration/annotation_type/deactivate/{type_id}/",
        "delete": f"/administration/annotation_type/delete/{type_id}/",
        "migrate0": f"/administration/annotation_type/migrate/bbt0p/{type_id}/",
        "migrate4": f"/administration/annotation_type/migrate/bbt4p/{type_id}/",
    }


def type_state():
    return list(
        AnnotationType.objects.order_by("pk").values_list(
            "pk", "name", "active", "vector_type", "node_count", "enable_concealed", "enable_blurred"
        )
    )


def full_state():
    return (
        type_state(),
        list(Annotation.objects.order_by("pk").values_list("pk", "vector", "version")),
        Verification.objects.count(),
        AnnotationHistory.objects.count(),
        dict(get_user_model().objects.values_list("pk", "points")),
    )


MIGRATE_BUTTON = '<button class="btn btn-danger" type="submit">Migrate to polygons</button>'
POST_DATA = {"name": "Changed", "node_count": "4", "vector_type": "5", "active": "on"}


# --- access --------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", list(page_urls(1)))
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, world, page, method):
    url = page_urls(world.ball.pk)[page]
    before = full_state()

    response = client.post(url, POST_DATA) if method == "post" else client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next={url}"
    assert full_state() == before


@pytest.mark.parametrize("page", list(page_urls(1)))
@pytest.mark.parametrize("method", ["get", "post"])
def test_logged_in_non_staff_get_403(client_for, world, page, method):
    before = full_state()

    response = getattr(client_for(world.alice), method)(page_urls(world.ball.pk)[page], POST_DATA)

    assert response.status_code == 403
    assert b"Only site staff may manage annotation types." in response.content
    assert full_state() == before


@pytest.mark.parametrize("page", ["edit", "activate", "deactivate"])
def test_post_only_pages_answer_get_with_405(client_for, world, page):
    before = full_state()

    response = client_for(world.stella).get(page_urls(world.ball.pk)[page])

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert full_state() == before


@pytest.mark.parametrize("page", ["index", "list", "view"])
def test_read_pages_refuse_post(client_for, world, page):
    before = full_state()

    assert client_for(world.stella).post(page_urls(world.ball.pk)[page], POST_DATA).status_code == 405
    assert full_state() == before


@pytest.mark.parametrize("page", ["create", "delete", "migrate0", "migrate4"])
def test_confirmation_pages_refuse_other_methods(client_for, world, page):
    before = full_state()

    assert client_for(world.stella).put(page_urls(world.ball.pk)[page]).status_code == 405
    assert full_state() == before


@pytest.mark.parametrize("page", ["view", "edit", "activate", "deactivate", "delete", "migrate0", "migrate4"])
@pytest.mark.parametrize("type_id", [0, 999999, *HUGE_IDS])
def test_unknown_types_are_404(client_for, staff, page, type_id):
    client = client_for(staff)
    method = "get" if page in ("view", "delete", "migrate0", "migrate4") else "post"

    assert getattr(client, method)(page_urls(type_id)[page], POST_DATA).status_code == 404


def test_the_navbar_links_to_the_administration_for_staff_only(client_for, staff, user):
    link = b'href="/administration/" id="administration-link"'

    assert link in client_for(staff).get("/").content
    assert link not in client_for(user).get("/").content


# --- list and create -----------------------------------------------------------------------------


def test_the_list_shows_every_type_with_its_counts(client_for, world):
    make_type("Retired", active=False)

    response = client_for(world.stella).get("/administration/")

    assert response.status_code == 200
    rows = {row.name: row for row in response.context["annotation_types"]}
    assert list(rows) == ["Ball", "Goal", "Lane", "Retired"]
    assert (rows["Ball"].annotation_count, rows["Ball"].not_in_image_count) == (4, 1)
    assert (rows["Goal"].annotation_count, rows["Retired"].annotation_count) == (1, 0)
    html = response.content.decode()
    assert "Retired" in html
    assert "inactive" in html
    assert "(1 not in image)" in html
    assert 'href="/administration/annotation_type/create/"' in html


def test_the_list_page_runs_a_constant_number_of_queries(client_for, staff, make_team):
    team = make_team("T", admins=[staff])
    images = sized_images(make_imageset(team), 3)

    def queries(count, prefix):
        for index in range(count):
            annotation_type = make_type(f"{prefix}{index}", active=index % 2 == 0)
            for image in images:
                annotate(image, annotation_type, staff, {"x1": 1, "y1": 1, "x2": 2, "y2": 2})
        client = client_for(staff)
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/administration/")
        assert response.status_code == 200
        return len(captured)

    assert queries(3, "a") == queries(30, "b")


def test_the_type_page_runs_a_constant_number_of_queries(client_for, staff):
    def queries(count, prefix):
        for index in range(count):
            make_type(f"{prefix}{index}")
        client = client_for(staff)
        target = AnnotationType.objects.first()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/administration/annotation_type/{target.pk}/")
        assert response.status_code == 200
        return len(captured)

    assert queries(3, "a") == queries(30, "b")


def test_the_create_page_shows_the_form(client_for, staff):
    response = client_for(staff).get("/administration/annotation_type/create/")

    assert response.status_code == 200
    assert b'name="vector_type"' in response.content
    assert not AnnotationType.objects.exists()


def test_staff_create_a_type(client_for, staff):
    response = client_for(staff).post(
        "/administration/annotation_type/create/",
        {"name": " Goalpost ", "vector_type": "5", "node_count": "4", "active": "on", "enable_blurred": "on"},
    )

    created = AnnotationType.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/administration/annotation_type/{created.pk}/"
    assert (created.name, created.vector_type, created.node_count) == ("Goalpost", VectorType.POLYGON, 4)
    assert (created.active, created.enable_concealed, created.enable_blurred) == (True, False, True)
    assert flashes(response) == ["Annotation type “Goalpost” created."]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "x" * 21}, "name", "Ensure this value has at most 20 characters (it has 21)."),
        ({"name": "ball"}, "name", "There is already an annotation type named “Ball”."),
        ({"name": "nul\x00"}, "name", "Null characters are not allowed."),
        ({"vector_type": "abc"}, "vector_type", "Select a valid choice. abc is not one of the available choices."),
        ({"vector_type": "9"}, "vector_type", "Select a valid choice. 9 is not one of the available choices."),
        ({"node_count": "x"}, "node_count", "Enter a whole number."),
        ({"node_count": "-1"}, "node_count", "Ensure this value is greater than or equal to 0."),
        ({"node_count": str(10**30)}, "node_count", "Ensure this value is less than or equal to 1000."),
        ({"vector_type": "5", "node_count": "2"}, "node_count", "A polygon has at least 3 nodes"),
        ({"vector_type": "4", "node_count": "1"}, "node_count", "A multi-line has at least 2 nodes"),
        ({"vector_type": "1", "node_count": "4"}, "node_count", "a bounding box type takes 0"),
    ],
)
def test_bad_input_to_create_is_a_400_with_form_errors(client_for, staff, data, field, message):
    make_type("Ball")
    before = type_state()

    response = client_for(staff).post(
        "/administration/annotation_type/create/", {"name": "Goal", "vector_type": "1", "node_count": "0", **data}
    )

    assert response.status_code == 400
    errors = response.context["form"].errors[field]
    assert any(message in error for error in errors), errors
    assert type_state() == before


# --- edit ----------------------------------------------------------------------------------------


def test_the_type_page_shows_the_edit_form_with_read_only_geometry(client_for, world):
    response = client_for(world.stella).get(f"/administration/annotation_type/{world.ball.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'action="/administration/annotation_type/edit/{world.ball.pk}/"' in html
    assert re.search(r'<select name="vector_type" [^>]*disabled', html)
    assert '<option value="1" selected>Bounding box</option>' in html
    assert f"/administration/annotation_type/migrate/bbt0p/{world.ball.pk}/" in html
    assert f"/administration/annotation_type/migrate/bbt4p/{world.ball.pk}/" in html
    assert 'id="delete-link"' not in html  # used: no delete offered
    assert 'id="no-delete"' in html


def test_no_migration_is_offered_for_other_types_and_delete_for_unused_ones(client_for, world):
    unused = make_type("Unused", vector_type=VectorType.POINT)

    html = client_for(world.stella).get(f"/administration/annotation_type/{unused.pk}/").content.decode()

    assert "migrate/bbt" not in html
    assert f'id="delete-link" href="/administration/annotation_type/delete/{unused.pk}/"' in html


def test_staff_edit_the_name_and_switches_but_not_the_geometry(client_for, world):
    response = client_for(world.stella).post(
        f"/administration/annotation_type/edit/{world.ball.pk}/",
        {"name": "Football", "enable_blurred": "on", "vector_type": "5", "node_count": "4"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/administration/annotation_type/{world.ball.pk}/"
    ball = AnnotationType.objects.get(pk=world.ball.pk)
    assert (ball.name, ball.active, ball.enable_concealed, ball.enable_blurred) == ("Football", False, False, True)
    assert (ball.vector_type, ball.node_count) == (VectorType.BOUNDING_BOX, 0)
    assert flashes(response) == ["Annotation type “Football” saved."]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "This field is required."),
        ("GOAL", "There is already an annotation type named “Goal”."),
        ("x" * 21, "Ensure this value has at most 20 characters"),
    ],
)
def test_bad_edits_are_a_400_with_form_errors(client_for, world, name, message):
    before = type_state()

    response = client_for(world.stella).post(
        f"/administration/annotation_type/edit/{world.ball.pk}/", {"name": name, "active": ""}
    )

    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors["name"])
    assert type_state() == before


# --- activate / deactivate -----------------------------------------------------------------------


def test_staff_deactivate_and_activate(client_for, world):
    client = client_for(world.stella)

    response = client.post(f"/administration/annotation_type/deactivate/{world.ball.pk}/")

    assert response.status_code == 302
    assert not AnnotationType.objects.get(pk=world.ball.pk).active
    assert "is inactive" in flashes(response)[0]
    assert Annotation.objects.filter(annotation_type=world.ball).count() == 4

    response = client.post(f"/administration/annotation_type/activate/{world.ball.pk}/")

    assert response.status_code == 302
    assert AnnotationType.objects.get(pk=world.ball.pk).active


# --- delete --------------------------------------------------------------------------------------


def test_an_unused_type_is_deleted_after_confirmation(client_for, staff):
    unused = make_type("Unused")
    client = client_for(staff)

    confirmation = client.get(f"/administration/annotation_type/delete/{unused.pk}/")

    assert confirmation.status_code == 200
    assert b"Delete type" in confirmation.content
    assert AnnotationType.objects.filter(pk=unused.pk).exists()  # a GET deletes nothing

    response = client.post(f"/administration/annotation_type/delete/{unused.pk}/")

    assert response.status_code == 302
    assert response["Location"] == "/administration/"
    assert not AnnotationType.objects.filter(pk=unused.pk).exists()


def test_a_used_type_is_never_deleted(client_for, world):
    client = client_for(world.stella)
    url = f"/administration/annotation_type/delete/{world.lane.pk}/"

    confirmation = client.get(url)

    assert confirmation.status_code == 200
    assert b"Delete type" not in confirmation.content
    assert b"cannot be deleted" in confirmation.content

    response = client.post(url)

    assert response.status_code == 400
    assert "used by 1 annotation(s)" in response.content.decode()
    assert AnnotationType.objects.filter(pk=world.lane.pk).exists()


# --- box → polygon migration ---------------------------------------------------------------------


@pytest.mark.parametrize(("page", "nodes"), [("migrate0", "with any number of nodes"), ("migrate4", "exactly 4 nodes")])
def test_the_confirmation_says_exactly_what_will_be_lost_and_changes_nothing(client_for, world, page, nodes):
    before = full_state()

    response = client_for(world.stella).get(page_urls(world.ball.pk)[page])

    assert response.status_code == 200
    html = response.content.decode()
    assert nodes in html
    assert "<strong>3</strong> annotation(s) become polygons." in html
    assert "<strong>7</strong> vote(s) on them are deleted." in html
    assert (
        "The users' points go down accordingly: <strong>4</strong> point(s) from <strong>2</strong> user(s)."
    ) in html.replace("&#x27;", "'")
    assert "This cannot be undone." in html
    assert "1 “not in image” annotation(s) of this type stay as they are and keep their votes." in html
    assert MIGRATE_BUTTON in html
    assert full_state() == before


@pytest.mark.parametrize(("page", "node_count"), [("migrate0", 0), ("migrate4", 4)])
def test_staff_migrate_after_confirmation(client_for, world, page, node_count):
    response = client_for(world.stella).post(page_urls(world.ball.pk)[page])

    assert response.status_code == 302
    assert response["Location"] == f"/administration/annotation_type/{world.ball.pk}/"
    ball = AnnotationType.objects.get(pk=world.ball.pk)
    assert (ball.vector_type, ball.node_count) == (VectorType.POLYGON, node_count)
    assert Annotation.objects.get(pk=world.a2.pk).vector == {
        "x1": 0, "y1": 0, "x2": 100, "y2": 0, "x3": 100, "y3": 80, "x4": 0, "y4": 80,
    }  # fmt: skip
    assert flashes(response) == [
        "“Ball” is now a polygon type: 3 annotation(s) converted, 7 vote(s) deleted, 4 point(s) taken from 2 user(s)."
    ]
    assert AnnotationHistory.objects.count() == 3


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("page", ["migrate0", "migrate4"])
def test_other_types_cannot_be_migrated(client_for, world, method, page):
    before = full_state()

    response = getattr(client_for(world.stella), method)(page_urls(world.lane.pk)[page])

    assert response.status_code == 400
    assert "Only bounding-box types can be migrated to polygons" in response.content.decode()
    assert MIGRATE_BUTTON not in response.content.decode()
    assert full_state() == before


def test_a_migrated_type_cannot_be_migrated_again(client_for, world):
    client = client_for(world.stella)
    client.post(page_urls(world.ball.pk)["migrate4"])
    before = full_state()

    response = client.post(page_urls(world.ball.pk)["migrate0"])

    assert response.status_code == 400
    assert full_state() == before
