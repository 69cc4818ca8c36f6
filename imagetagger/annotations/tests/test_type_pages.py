"""The label-type pages of a team (annotations/views_types.py under /users/team/<id>/types/) and the shared
form on the staff's site-type pages: who sees and changes what, every bad input, constant query counts."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.models import Annotation, AnnotationType, VectorType
from annotations.tests.type_scenarios import sized_images
from images.tests.factories import make_imageset

pytestmark = pytest.mark.django_db

LOGIN_URL = "/user/login/"
ATTRIBUTES = [
    {"name": "occluded", "kind": "checkbox"},
    {"name": "speed", "kind": "number", "min": 0, "max": 10, "step": 1, "default": 3},
    {"name": "pose", "kind": "select", "values": ["front", "side"], "required": True},
]


class TeamWorld:
    def __init__(self, make_user, make_team):
        self.admin = make_user("tadmin")
        self.member = make_user("tmember")
        self.outsider = make_user("toutsider")
        self.staff = make_user("tstaff", is_staff=True)
        self.team = make_team("Robots", admins=[self.admin], members=[self.member])
        self.other_team = make_team("Others", admins=[self.outsider])
        self.ball = AnnotationType.objects.create(
            name="ball", team=self.team, color="#3cb44b", attributes=ATTRIBUTES, sort_order=1, shortcut=2
        )
        self.unused = AnnotationType.objects.create(name="goal", team=self.team, color="#4363d8", sort_order=2)
        self.foreign = AnnotationType.objects.create(name="secret", team=self.other_team, color="#911eb4")
        self.site = AnnotationType.objects.create(name="SiteCar", color="#f58231")
        self.image_set = make_imageset(self.team, name="Field")
        self.image = sized_images(self.image_set, 1)[0]
        Annotation.objects.create(image=self.image, annotation_type=self.ball, user=self.admin, vector=None)

    def urls(self, annotation_type=None):
        base = f"/users/team/{self.team.pk}/types/"
        annotation_type = annotation_type or self.unused
        return {
            "list": base,
            "create": f"{base}create/",
            "edit": f"{base}{annotation_type.pk}/",
            "activate": f"{base}{annotation_type.pk}/activate/",
            "deactivate": f"{base}{annotation_type.pk}/deactivate/",
            "delete": f"{base}{annotation_type.pk}/delete/",
        }


@pytest.fixture
def tw(make_user, make_team):
    return TeamWorld(make_user, make_team)


def state():
    return list(
        AnnotationType.objects.order_by("pk").values_list(
            "pk", "team_id", "name", "active", "color", "attributes", "sort_order", "shortcut", "vector_type"
        )
    )


def form_data(**changes):
    data = {
        "name": "Robot",
        "vector_type": str(VectorType.POLYGON),
        "node_count": "0",
        "color": "#42d4f4",
        "attributes": json.dumps(ATTRIBUTES),
        "sort_order": "5",
        "shortcut": "3",
        "enable_concealed": "on",
        "active": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


POSTS = ["create", "edit", "activate", "deactivate", "delete"]
GETS = ["list", "create", "edit", "delete"]


# --- access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", sorted(set(GETS + POSTS)))
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_go_to_the_login_page(client, tw, page, method):
    url = tw.urls()[page]
    before = state()
    response = client.post(url, form_data()) if method == "post" else client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next={url}"
    assert state() == before


@pytest.mark.parametrize("who", ["outsider", "staff"])
@pytest.mark.parametrize("page", sorted(set(GETS + POSTS)))
@pytest.mark.parametrize("method", ["get", "post"])
def test_outsiders_and_staff_get_404_and_change_nothing(client_for, tw, who, page, method):
    url = tw.urls()[page]
    before = state()
    client = client_for(getattr(tw, who))
    response = client.post(url, form_data()) if method == "post" else client.get(url)
    assert response.status_code in (404, 405)
    if response.status_code == 405:  # a GET of a POST-only page: nothing about the team is said
        assert (page, method) in {("activate", "get"), ("deactivate", "get"), ("list", "post")}
    assert b"ball" not in response.content
    assert state() == before


@pytest.mark.parametrize("page", ["create", "edit", "activate", "deactivate", "delete"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_members_read_the_list_but_change_nothing(client_for, tw, page, method):
    url = tw.urls()[page]
    before = state()
    client = client_for(tw.member)
    response = client.post(url, form_data()) if method == "post" else client.get(url)
    if method == "get" and page in ("activate", "deactivate"):
        assert response.status_code == 405
    else:
        assert response.status_code == 403
        assert b"Only the team&#x27;s admins may change its label types." in response.content
    assert state() == before


def test_members_see_the_list_without_management_controls(client_for, tw):
    response = client_for(tw.member).get(tw.urls()["list"])
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-type-name="ball"' in html
    assert 'data-type-name="goal"' in html
    assert "secret" not in html
    assert 'data-type-name="SiteCar"' not in html
    site = html[html.index('id="site-types"') :]
    assert "SiteCar" in site  # the site's types are named, read-only, below the team's
    assert "Only the team's admins can change them." in html
    assert 'id="new-type"' not in html
    assert "Deactivate" not in html
    assert "/delete/" not in html


def test_the_list_shows_colour_shape_attributes_order_key_and_label_count(client_for, tw):
    html = client_for(tw.admin).get(tw.urls()["list"]).content.decode()
    row = html[html.index(f'id="annotation-type-{tw.ball.pk}"') :]
    row = row[: row.index("</tr>")]
    assert 'data-swatch="#3cb44b"' in row
    assert "Bounding box" in row
    assert "occluded (checkbox), speed (number 0–10), pose (select: 2 values, required)" in row
    assert "<kbd>2</kbd>" in row
    assert '<td data-label="Order" class="text-end">1</td>' in row
    assert '<td data-label="Labels" class="text-end label-count">1' in row
    assert "active" in row
    assert 'id="new-type"' in html
    # used: no delete link; unused: one
    assert f"/types/{tw.ball.pk}/delete/" not in html
    assert f"/types/{tw.unused.pk}/delete/" in html


def test_the_team_page_links_to_the_types_for_members_only(client_for, tw):
    link = f'href="/users/team/{tw.team.pk}/types/"'
    assert link in client_for(tw.member).get(f"/users/team/{tw.team.pk}/").content.decode()
    assert link not in client_for(tw.outsider).get(f"/users/team/{tw.team.pk}/").content.decode()


@pytest.mark.parametrize("page", ["list", "edit"])
def test_type_pages_run_a_constant_number_of_queries(client_for, tw, page):
    client = client_for(tw.admin)
    url = tw.urls()[page]
    client.get(url)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    small = count()
    for number in range(12):
        extra = AnnotationType.objects.create(
            name=f"t{number}", team=tw.team, attributes=ATTRIBUTES, shortcut=None, sort_order=10 + number
        )
        Annotation.objects.create(image=tw.image, annotation_type=extra, user=tw.admin, vector=None)
    assert count() == small


# --- create ---------------------------------------------------------------------------------------


def test_the_create_form_offers_the_next_palette_colour_and_the_editor(client_for, tw):
    html = client_for(tw.admin).get(tw.urls()["create"]).content.decode()
    # the team uses #3cb44b and #4363d8: the first free palette colour is red
    assert 'type="color" name="color" id="id_color" value="#e6194b"' in html
    assert 'data-color="#f58231"' in html  # the palette as swatch buttons
    assert 'name="attributes"' in html
    assert "<textarea" in html
    assert "annotations/js/typeeditor.js" in html
    assert "annotations/img/type-preview.png" in html
    for label in (
        "Bounding box",
        "Point",
        "Line",
        "Multi-line (open polygon)",
        "Polygon (closed)",
        "Tag (whole image)",
    ):
        assert f">{label}</option>" in html


def test_admins_create_a_type_with_colour_and_attributes(client_for, tw):
    response = client_for(tw.admin).post(tw.urls()["create"], form_data())
    assert response.status_code == 302
    created = AnnotationType.objects.get(name="Robot")
    assert response["Location"] == tw.urls(created)["edit"]
    assert created.team == tw.team
    assert created.color == "#42d4f4"
    assert [definition["name"] for definition in created.attributes] == ["occluded", "speed", "pose"]
    assert created.attributes[1]["max"] == 10
    assert (created.vector_type, created.sort_order, created.shortcut) == (VectorType.POLYGON, 5, 3)
    assert created.enable_concealed
    assert not created.enable_blurred
    assert created.active


def test_an_empty_order_puts_the_type_last_and_no_attributes_is_fine(client_for, tw):
    response = client_for(tw.admin).post(
        tw.urls()["create"], form_data(sort_order="", attributes="", shortcut="", vector_type="6")
    )
    assert response.status_code == 302
    created = AnnotationType.objects.get(name="Robot")
    assert created.sort_order == 3
    assert created.attributes == []
    assert created.shortcut is None
    assert created.is_tag


BAD_CREATES = [
    ({"name": ""}, "name", "This field is required."),
    ({"name": "x" * 21}, "name", "at most 20 characters"),
    ({"name": "BALL"}, "name", "already has an annotation type named “ball”"),
    ({"vector_type": "9"}, "vector_type", "Select a valid choice."),
    ({"vector_type": "1", "node_count": "4"}, "node_count", "a bounding box type takes 0"),
    ({"node_count": "2"}, "node_count", "A polygon has at least 3 nodes"),
    ({"node_count": "-1"}, "node_count", "greater than or equal to 0"),
    ({"color": "red"}, "color", "Choose a colour like #3cb44b."),
    ({"sort_order": "-3"}, "sort_order", "greater than or equal to 0"),
    ({"shortcut": "0"}, "shortcut", "Select a valid choice."),
    ({"shortcut": "2"}, "shortcut", "The key 2 already picks the type “ball”"),
    ({"attributes": "[{"}, "attributes", "The attributes text is not valid JSON"),
    ({"attributes": '{"a": 1}'}, "attributes", "Give the attributes as a list of definitions."),
    ({"attributes": '[{"name": "size", "kind": "colour"}]'}, "attributes", "Attribute “size”: the kind must be"),
    (
        {"attributes": '[{"name": "n", "kind": "number", "min": 5, "max": 1}]'},
        "attributes",
        "Attribute “n”: min must not be greater than max.",
    ),
    ({"attributes": '[{"name": "s", "kind": "select", "values": []}]'}, "attributes", "Attribute “s”: a select"),
    (
        {"attributes": '[{"name": "a", "kind": "checkbox"}, {"name": "A", "kind": "text"}]'},
        "attributes",
        "Attribute “A”: another attribute of this type has this name.",
    ),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_CREATES)
def test_bad_input_to_create_shows_its_message_and_saves_nothing(client_for, tw, changes, field, message):
    before = state()
    response = client_for(tw.admin).post(tw.urls()["create"], form_data(**changes))
    html = response.content.decode()
    assert response.status_code == 400
    errors = html[html.index(f'id="id_{field}-errors"') :]
    assert message in errors[: errors.index("</div></div>") + 12] or message in html.replace("&#x27;", "'")
    assert state() == before


# --- edit -----------------------------------------------------------------------------------------


def test_the_edit_form_shows_the_type_with_fixed_geometry(client_for, tw):
    html = client_for(tw.admin).get(tw.urls(tw.ball)["edit"]).content.decode()
    assert 'value="ball"' in html
    assert 'value="#3cb44b"' in html
    assert 'data-type-color="#3cb44b"' in html
    assert 'name="vector_type"' in html
    assert "disabled" in html
    assert "&quot;pose&quot;" in html  # the attributes as JSON in the textarea
    assert 'id="no-delete"' in html
    assert "Used by 1 label" in html
    assert 'id="delete-link"' not in html


def test_admins_edit_name_colour_attributes_order_and_key_but_not_the_shape(client_for, tw):
    attributes = ATTRIBUTES + [{"name": "note", "kind": "text", "max_length": 30}]
    response = client_for(tw.admin).post(
        tw.urls(tw.ball)["edit"],
        form_data(name="Ball2", color="#FFE119", attributes=json.dumps(attributes), sort_order="7", shortcut="9"),
    )
    assert response.status_code == 302
    tw.ball.refresh_from_db()
    assert (tw.ball.name, tw.ball.color, tw.ball.sort_order, tw.ball.shortcut) == ("Ball2", "#ffe119", 7, 9)
    assert tw.ball.attributes[-1] == {
        "name": "note", "kind": "text", "required": False, "max_length": 30, "default": None,
    }  # fmt: skip
    assert tw.ball.vector_type == VectorType.BOUNDING_BOX  # the posted polygon is ignored
    assert not tw.ball.enable_blurred


def test_an_edit_that_would_invalidate_labels_is_refused_naming_the_attribute(client_for, tw):
    Annotation.objects.filter(annotation_type=tw.ball).update(attributes={"pose": "side"})
    before = state()
    narrowed = [dict(ATTRIBUTES[2], values=["front"])]
    response = client_for(tw.admin).post(
        tw.urls(tw.ball)["edit"], form_data(name="ball", attributes=json.dumps(narrowed))
    )
    assert response.status_code == 400
    html = response.content.decode()
    errors = html[html.index('id="id_attributes-errors"') :]
    assert "pose" in errors[:600]
    assert state() == before


@pytest.mark.parametrize(
    ("changes", "message"), [(c, m) for c, f, m in BAD_CREATES if f != "vector_type" and "node" not in f]
)
def test_bad_edits_show_their_message_and_save_nothing(client_for, tw, changes, message):
    before = state()
    response = client_for(tw.admin).post(tw.urls()["edit"], form_data(**changes))
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert state() == before


def test_unknown_and_foreign_types_are_404_for_admins(client_for, tw):
    client = client_for(tw.admin)
    for annotation_type in (tw.foreign, tw.site):
        for page in ("edit", "delete"):
            assert client.get(tw.urls(annotation_type)[page]).status_code == 404
        assert client.post(tw.urls(annotation_type)["deactivate"]).status_code == 404
    assert client.get(f"/users/team/{tw.team.pk}/types/999999/").status_code == 404
    assert client.get("/users/team/999999/types/").status_code == 404


# --- (de)activate and delete ---------------------------------------------------------------------


def test_admins_deactivate_and_activate(client_for, tw):
    client = client_for(tw.admin)
    response = client.post(tw.urls(tw.ball)["deactivate"], {"next": "index"})
    assert response["Location"] == tw.urls()["list"]
    tw.ball.refresh_from_db()
    assert not tw.ball.active
    response = client.post(tw.urls(tw.ball)["activate"])
    assert response["Location"] == tw.urls(tw.ball)["edit"]
    tw.ball.refresh_from_db()
    assert tw.ball.active


def test_an_unused_type_is_deleted_after_a_confirmation_stating_the_count(client_for, tw):
    client = client_for(tw.admin)
    confirmation = client.get(tw.urls()["delete"]).content.decode()
    assert "No annotation uses it (0 labels)." in confirmation
    assert "Delete type" in confirmation
    assert AnnotationType.objects.filter(pk=tw.unused.pk).exists()
    response = client.post(tw.urls()["delete"])
    assert response["Location"] == tw.urls()["list"]
    assert not AnnotationType.objects.filter(pk=tw.unused.pk).exists()


def test_a_used_type_says_why_it_cannot_be_deleted_and_stays(client_for, tw):
    client = client_for(tw.admin)
    confirmation = client.get(tw.urls(tw.ball)["delete"]).content.decode()
    assert "It is used by 1 annotation(s), so it cannot be deleted." in confirmation
    assert "Delete type" not in confirmation
    response = client.post(tw.urls(tw.ball)["delete"])
    assert response.status_code == 400
    assert "used by 1 annotation(s)" in response.content.decode()
    assert AnnotationType.objects.filter(pk=tw.ball.pk).exists()


# --- the staff's site types share the form ----------------------------------------------------------


def test_staff_create_a_site_type_with_the_same_form(client_for, tw):
    client = client_for(tw.staff)
    page = client.get("/administration/annotation_type/create/").content.decode()
    assert "data-type-form" in page
    assert "annotations/js/typeeditor.js" in page
    response = client.post("/administration/annotation_type/create/", form_data(shortcut=""))
    assert response.status_code == 302
    created = AnnotationType.objects.get(name="Robot")
    assert created.team is None
    assert created.color == "#42d4f4"
    assert len(created.attributes) == 3


def test_the_site_list_shows_site_types_only(client_for, tw):
    html = client_for(tw.staff).get("/administration/").content.decode()
    assert "SiteCar" in html
    assert 'data-type-name="ball"' not in html
    assert "secret" not in html


def test_team_types_are_404_on_the_staff_pages(client_for, tw):
    client = client_for(tw.staff)
    before = state()
    assert client.get(f"/administration/annotation_type/{tw.ball.pk}/").status_code == 404
    assert client.post(f"/administration/annotation_type/edit/{tw.ball.pk}/", form_data()).status_code == 404
    assert client.post(f"/administration/annotation_type/deactivate/{tw.ball.pk}/").status_code == 404
    assert client.post(f"/administration/annotation_type/delete/{tw.unused.pk}/").status_code == 404
    assert state() == before


@pytest.mark.parametrize("who", ["admin", "member"])
def test_team_users_who_are_not_staff_get_403_on_the_site_pages(client_for, tw, who):
    before = state()
    client = client_for(getattr(tw, who))
    assert client.get("/administration/annotation_type/create/").status_code == 403
    assert client.post("/administration/annotation_type/create/", form_data()).status_code == 403
    assert client.post(f"/administration/annotation_type/edit/{tw.site.pk}/", form_data()).status_code == 403
    assert state() == before


# --- the manage page: the set's types, swatches, attributes, the attribute filter -------------------


def manage(client, tw, **params):
    response = client.get(f"/annotations/manage/{tw.image_set.pk}/", params)
    return response, response.content.decode()


def manage_rows(html):
    return [int(pk) for pk in re.findall(r'data-annotation-id="(\d+)"', html)]


@pytest.fixture
def labelled(tw):
    """Labels of "ball" with attribute values, and one of the site type."""
    Annotation.objects.all().delete()
    images = sized_images(tw.image_set, 3)
    values = [
        {"occluded": True, "speed": 3, "pose": "front"},
        {"occluded": False, "speed": 7, "pose": "side"},
        {"occluded": True, "speed": 7, "pose": "side"},
    ]
    tw.labels = [
        Annotation.objects.create(
            image=image,
            annotation_type=tw.ball,
            user=tw.admin,
            attributes=value,
            vector={"x1": 1, "y1": 1, "x2": 5, "y2": 5},
        )
        for image, value in zip(images, values, strict=True)
    ]
    tw.car = Annotation.objects.create(
        image=images[0], annotation_type=tw.site, user=tw.admin, vector={"x1": 1, "y1": 1, "x2": 6, "y2": 6}
    )
    return tw


def test_the_type_filter_offers_only_the_set_types(client_for, labelled):
    tw = labelled
    _, html = manage(client_for(tw.member), tw)
    select = html[html.index('name="type"') : html.index("</select>", html.index('name="type"'))]
    assert ">ball</option>" in select
    assert ">SiteCar</option>" in select
    assert "secret" not in select
    tw.image_set.annotation_types.set([tw.ball])
    _, html = manage(client_for(tw.member), tw)
    select = html[html.index('name="type"') : html.index("</select>", html.index('name="type"'))]
    assert "SiteCar" not in select
    response, html = manage(client_for(tw.member), tw, type="secret")
    assert response.status_code == 400
    assert "This set has no annotation type named “secret”." in html


def test_the_table_shows_swatches_and_attribute_values(client_for, labelled):
    tw = labelled
    _, html = manage(client_for(tw.member), tw)
    row = html[html.index(f'data-annotation-id="{tw.labels[1].pk}"') :]
    row = row[: row.index("</tr>")]
    assert 'data-swatch="#3cb44b"' in row
    assert "occluded: no, speed: 7, pose: side" in row


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"attribute": "pose = side"}, [1, 2]),
        ({"attribute": "pose=front"}, [0]),
        ({"attribute": "occluded = yes"}, [0, 2]),
        ({"attribute": "occluded = no"}, [1]),
        ({"attribute": "speed = 7"}, [1, 2]),
        ({"attribute": "speed = 7.0", "type": "ball"}, [1, 2]),
        ({"attribute": "speed = 3", "type": "ball"}, [0]),
    ],
)
def test_the_attribute_filter(client_for, labelled, params, expected):
    tw = labelled
    response, html = manage(client_for(tw.member), tw, **params)
    assert response.status_code == 200
    assert manage_rows(html) == [tw.labels[index].pk for index in expected]
    assert "attribute " in html[html.index('id="match-summary"') :][:300]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"attribute": "pose"}, "Write the attribute filter as “name = value”"),
        ({"attribute": "= side"}, "Write the attribute filter as “name = value”"),
        ({"attribute": "colour = red"}, "No label type of this set has an attribute named “colour”."),
        ({"attribute": "pose = side", "type": "SiteCar"}, "No label type of “SiteCar” has an attribute named “pose”."),
        ({"attribute": "pose = back"}, "“back” is no value of the attribute “pose”: it must be one of"),
        ({"attribute": "speed = 11"}, "“11” is no value of the attribute “speed”: it must be at most 10"),
        ({"attribute": "speed = fast"}, "it must be a number."),
        ({"attribute": "occluded = maybe"}, "it must be yes or no."),
    ],
)
def test_bad_attribute_filters_are_a_400_naming_the_attribute(client_for, labelled, params, message):
    tw = labelled
    response, html = manage(client_for(tw.member), tw, **params)
    assert response.status_code == 400
    assert message in html
    assert manage_rows(html) == []


def test_the_attribute_filter_limits_a_bulk_delete(client_for, labelled):
    tw = labelled
    url = f"/annotations/manage/{tw.image_set.pk}/delete/"
    response = client_for(tw.admin).post(url, {"attribute": "pose = side", "confirm": "1", "expected": "2"})
    assert response.status_code == 302
    assert sorted(Annotation.objects.values_list("pk", flat=True)) == [tw.labels[0].pk, tw.car.pk]


@pytest.mark.parametrize("params", [{}, {"attribute": "pose = side"}, {"type": "ball", "attribute": "occluded = yes"}])
def test_the_manage_page_runs_a_constant_number_of_queries_with_types_and_attributes(client_for, labelled, params):
    tw = labelled
    client = client_for(tw.admin)
    manage(client, tw, **params)

    def count():
        with CaptureQueriesContext(connection) as queries:
            response, _ = manage(client, tw, **params)
        assert response.status_code == 200
        return len(queries)

    small = count()
    for number in range(6):
        extra = AnnotationType.objects.create(name=f"x{number}", team=tw.team, attributes=ATTRIBUTES)
        for image in sized_images(tw.image_set, 2):
            Annotation.objects.create(
                image=image, annotation_type=extra, user=tw.member, attributes={"pose": "side", "occluded": True},
                vector={"x1": 1, "y1": 1, "x2": 5, "y2": 5},
            )  # fmt: skip
    assert count() == small


def test_the_statistics_page_shows_a_swatch_per_type(client_for, labelled):
    tw = labelled
    html = client_for(tw.member).get(f"/annotations/imageset/{tw.image_set.pk}/statistics/").content.decode()
    row = html[html.index('data-type="ball"') :]
    assert 'data-swatch="#3cb44b"' in row[: row.index("</tr>")]


@pytest.mark.parametrize("huge", [2**63, 10**30])
def test_ids_beyond_64_bits_are_404(client_for, tw, huge):
    client = client_for(tw.admin)
    assert client.get(f"/users/team/{huge}/types/").status_code == 404
    assert client.get(f"/users/team/{tw.team.pk}/types/{huge}/").status_code == 404
    assert client.post(f"/users/team/{tw.team.pk}/types/{huge}/deactivate/").status_code == 404


def test_two_set_types_of_one_name_are_filtered_by_id(client_for, labelled):
    tw = labelled
    team_car = AnnotationType.objects.create(name="SiteCar", team=tw.team, color="#000075")
    mine = Annotation.objects.create(
        image=tw.labels[1].image, annotation_type=team_car, user=tw.admin, vector={"x1": 1, "y1": 1, "x2": 6, "y2": 6}
    )
    client = client_for(tw.member)
    _, html = manage(client, tw)
    assert f'<option value="{team_car.pk}">SiteCar (Robots)</option>' in html
    assert f'<option value="{tw.site.pk}">SiteCar</option>' in html
    _, html = manage(client, tw, type=str(team_car.pk))
    assert manage_rows(html) == [mine.pk]
    _, html = manage(client, tw, type=str(tw.site.pk))
    assert manage_rows(html) == [tw.car.pk]
    response, _ = manage(client, tw, type="SiteCar")
    assert response.status_code == 400
