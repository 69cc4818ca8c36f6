"""Export-format pages: create/edit/view/delete, validation, preview, panels and permissions."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from exports.models import ExportFormat
from exports.selectors import formats_usable_by

from .format_factories import box, make_annotation, make_format, make_image, make_set, make_type

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_user, make_team):
    alice, bob, eve = make_user("alice"), make_user("bob"), make_user("eve")
    robots = make_team("Robots", admins=[alice], members=[bob])
    others = make_team("Others", admins=[eve])
    ball = make_type("ball")
    return alice, bob, eve, robots, others, ball


def form_data(ball, **overrides):
    data = {
        "name": "labels",
        "name_format": "export_%%exportid.txt",
        "min_verifications": "0",
        "include_blurred": "on",
        "include_concealed": "on",
        "annotation_types": [ball.pk],
        "base_format": "%%content",
        "image_format": "",
        "annotation_format": "%%imagename|%%type|{%%vector}|%%ifblurredb%%endif",
        "vector_format": '"x%%count1": %%x,"y%%count1": %%y,',
        "not_in_image_format": "%%imagename|%%type|not in image",
    }
    data.update(overrides)
    return data


def test_member_creates_a_format_keeping_whitespace(world, client_for):
    alice, bob, _, robots, _, ball = world
    url = reverse("exports:create_format") + f"?team={robots.pk}"
    assert client_for(bob).get(url).status_code == 200
    data = form_data(ball, team=robots.pk, base_format="  HEAD\r\n%%content\r\n  ", public="on")
    response = client_for(bob).post(url, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("users:team", args=[robots.pk]) + "#export-formats"
    export_format = ExportFormat.objects.get(name="labels")
    assert export_format.team == robots
    assert export_format.public
    assert export_format.base_format == "  HEAD\n%%content\n  "  # spaces kept, CRLF → LF
    assert list(export_format.annotation_types.all()) == [ball]


def test_non_member_may_not_create_for_a_team(world, client_for):
    _, _, eve, robots, _, ball = world
    url = reverse("exports:create_format") + f"?team={robots.pk}"
    assert client_for(eve).get(url).status_code == 403
    # Posting another team's id: not among the choices.
    response = client_for(eve).post(reverse("exports:create_format"), form_data(ball, team=robots.pk))
    assert response.status_code == 400
    assert not ExportFormat.objects.exists()


def test_user_without_team_is_refused(make_user, client_for, world):
    loner = make_user("loner")
    assert client_for(loner).get(reverse("exports:create_format")).status_code == 403


def test_validation_errors_are_reported_by_field(world, client_for):
    _, bob, _, robots, _, ball = world
    response = client_for(bob).post(
        reverse("exports:create_format"),
        form_data(
            ball,
            team=robots.pk,
            base_format="no content here",
            annotation_format="%%imagename %%bogus %%ifblurred",
            vector_format="%%x %%cx",
        ),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["base_format"] == ["The base format must contain %%content."]
    assert errors["annotation_format"] == [
        "Unknown placeholder here: %%bogus.",
        "%%ifblurred has no closing %%endif.",
    ]
    assert errors["vector_format"] == ["Unknown placeholder here: %%cx."]
    assert b"Unknown placeholder here: %%bogus." in response.content
    assert not ExportFormat.objects.exists()


def test_name_unique_per_team_case_insensitive(world, client_for):
    alice, bob, eve, robots, others, ball = world
    make_format(robots, [ball], name="Labels")
    response = client_for(bob).post(reverse("exports:create_format"), form_data(ball, team=robots.pk, name="labels"))
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["This team already has an export format with this name."]
    # Another team may use the name.
    response = client_for(eve).post(reverse("exports:create_format"), form_data(ball, team=others.pk, name="labels"))
    assert response.status_code == 302
    # Renaming onto a sibling's name is refused as well.
    second = make_format(robots, [ball], name="second")
    response = client_for(bob).post(reverse("exports:edit_format", args=[second.pk]), form_data(ball, name="LABELS"))
    assert response.status_code == 400


def test_member_edits_and_others_get_403(world, client_for):
    alice, bob, eve, robots, _, ball = world
    export_format = make_format(robots, [ball], name="old", public=True)
    url = reverse("exports:edit_format", args=[export_format.pk])
    assert client_for(eve).get(url).status_code == 403
    assert client_for(eve).post(url, form_data(ball, name="hacked")).status_code == 403
    page = client_for(bob).get(url)
    assert page.status_code == 200
    assert "team" not in page.context["form"].fields
    assert b"%%relminx" in page.content  # the legends
    response = client_for(bob).post(url, form_data(ball, name="new", annotation_format="%%type"))
    assert response.status_code == 302
    export_format.refresh_from_db()
    assert (export_format.name, export_format.annotation_format, export_format.team) == ("new", "%%type", robots)


def test_delete_needs_post_and_membership(world, client_for):
    _, bob, eve, robots, _, ball = world
    export_format = make_format(robots, [ball], public=True)
    url = reverse("exports:delete_format", args=[export_format.pk])
    assert client_for(eve).post(url).status_code == 403
    confirm = client_for(bob).get(url)
    assert confirm.status_code == 200
    assert b"confirm-delete" in confirm.content
    assert ExportFormat.objects.filter(pk=export_format.pk).exists()
    response = client_for(bob).post(url)
    assert response.status_code == 302
    assert not ExportFormat.objects.filter(pk=export_format.pk).exists()


def test_view_page_public_read_only_private_404(world, client_for):
    _, bob, eve, robots, _, ball = world
    public = make_format(robots, [ball], name="pub", public=True)
    private = make_format(robots, [ball], name="priv")
    page = client_for(eve).get(reverse("exports:view_format", args=[public.pk]))
    assert page.status_code == 200
    assert b"read-only" in page.content
    assert b"fieldset disabled" in page.content
    assert client_for(eve).get(reverse("exports:view_format", args=[private.pk])).status_code == 404
    assert client_for(bob).get(reverse("exports:view_format", args=[private.pk])).status_code == 200


def test_formats_usable_by(world, make_user):
    alice, bob, eve, robots, others, ball = world
    mine_private = make_format(robots, [ball], name="a")
    theirs_public = make_format(others, [ball], name="b", public=True)
    make_format(others, [ball], name="c")
    assert set(formats_usable_by(bob)) == {mine_private, theirs_public}
    assert set(formats_usable_by(make_user())) == {theirs_public}


def test_team_page_panel(world, client_for):
    alice, bob, eve, robots, _, ball = world
    make_format(robots, [ball], name="shared", public=True)
    make_format(robots, [ball], name="secret")
    member_page = client_for(bob).get(reverse("users:team", args=[robots.pk])).content.decode()
    assert 'data-format="shared"' in member_page
    assert 'data-format="secret"' in member_page
    assert 'id="create-format"' in member_page
    outsider_page = client_for(eve).get(reverse("users:team", args=[robots.pk])).content.decode()
    assert 'data-format="shared"' in outsider_page
    assert 'data-format="secret"' not in outsider_page
    assert 'id="create-format"' not in outsider_page
    assert reverse("exports:view_format", args=[ExportFormat.objects.get(name="shared").pk]) in outsider_page


def test_team_page_queries_constant_in_the_number_of_formats(world, client_for):
    _, bob, _, robots, _, ball = world
    other = make_type("goal")
    client = client_for(bob)
    url = reverse("users:team", args=[robots.pk])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    make_format(robots, [ball])
    few = count()
    for _ in range(6):
        make_format(robots, [ball, other])
    assert count() == few


def test_set_page_panel_and_create_from_set(world, client_for):
    alice, bob, eve, robots, others, ball = world
    image_set = make_set(robots, "Field", public=True)
    mine = make_format(robots, [ball], name="mine")
    theirs = make_format(others, [ball], name="theirs", public=True)
    make_format(others, [ball], name="hidden")
    page = client_for(bob).get(reverse("images:imageset", args=[image_set.pk])).content.decode()
    assert 'data-format="Robots/mine"' in page
    assert reverse("exports:edit_format", args=[mine.pk]) + f"?imageset={image_set.pk}" in page
    assert reverse("exports:view_format", args=[theirs.pk]) in page
    assert "Others/hidden" not in page
    url = reverse("exports:create_format") + f"?imageset={image_set.pk}"
    form_page = client_for(bob).get(url)
    assert form_page.context["form"].initial["team"] == robots.pk
    assert reverse("exports:preview_format", args=[image_set.pk]).encode() in form_page.content
    response = client_for(bob).post(url, form_data(ball, team=robots.pk, name="fromset"))
    assert response["Location"] == reverse("images:imageset", args=[image_set.pk]) + "#export-formats"


def test_preview_renders_first_lines_and_reports_errors(world, client_for):
    _, bob, eve, robots, _, ball = world
    image_set = make_set(robots, "Field")
    for index in range(30):
        image = make_image(image_set, f"img{index:02d}.png")
        make_annotation(image, ball, box(1, 2, 3 + index, 4), blurred=index == 0)
    url = reverse("exports:preview_format", args=[image_set.pk])
    response = client_for(bob).post(url, form_data(ball, team=robots.pk))
    assert response.status_code == 200
    data = response.json()
    assert data["lines"][:2] == ["", 'img00.png|ball|{"x1": 1,"y1": 2,"x2": 3,"y2": 4,}|b']
    assert len(data["lines"]) == 20
    assert data["truncated"] is True
    assert data["errors"] == {}
    response = client_for(bob).post(url, form_data(ball, team=robots.pk, base_format="X", annotation_format="%%nope"))
    data = response.json()
    assert data["lines"] == ["X"]
    assert data["errors"]["base_format"] == ["The base format must contain %%content."]
    assert data["errors"]["annotation_format"] == ["Unknown placeholder here: %%nope."]
    # A private set of another team: 404.
    assert client_for(eve).post(url, form_data(ball)).status_code == 404


def test_anonymous_users_are_sent_to_login(world, client):
    _, _, _, robots, _, ball = world
    export_format = make_format(robots, [ball], public=True)
    for url in (
        reverse("exports:create_format"),
        reverse("exports:edit_format", args=[export_format.pk]),
        reverse("exports:view_format", args=[export_format.pk]),
        reverse("exports:delete_format", args=[export_format.pk]),
    ):
        assert client.get(url).status_code == 302


def test_create_form_starts_with_json_lines_and_offers_the_ready_made_formats(world, client_for):
    _, bob, _, robots, _, _ = world
    response = client_for(bob).get(reverse("exports:create_format") + f"?team={robots.pk}")
    form = response.context["form"]
    assert form["output"].value() == "jsonl"
    assert form["base_format"].value() == "%%content"
    assert form["vector_format"].value() == '"x%%count1": %%x, "y%%count1": %%y%%sep '
    html = response.content.decode()
    assert 'id="format-preset"' in html
    for label in (
        "JSON lines (a label per line)",
        "CSV with a header (boxes)",
        "Label lines (the label import reads them)",
    ):
        assert label in html
    assert 'id="format-presets"' in html, "the presets' fields as JSON for the page script"


def test_the_edit_form_offers_no_presets(world, client_for):
    _, bob, _, robots, _, ball = world
    export_format = make_format(robots, [ball])
    html = client_for(bob).get(reverse("exports:edit_format", args=[export_format.pk])).content.decode()
    assert 'id="format-preset"' not in html


def test_a_format_posted_without_output_is_plain_text(world, client_for):
    _, bob, _, robots, _, ball = world
    response = client_for(bob).post(reverse("exports:create_format"), form_data(ball, team=robots.pk))
    assert response.status_code == 302
    assert ExportFormat.objects.get(name="labels").output == "text"


def test_preview_checks_json_lines_and_names_the_bad_line(world, client_for):
    _, bob, _, robots, _, ball = world
    image_set = make_set(robots, "Field")
    for index in range(3):
        make_annotation(make_image(image_set, f"img{index}.png"), ball, box(1, 2, 3 + index, 4))
    url = reverse("exports:preview_format", args=[image_set.pk])
    good = form_data(
        ball,
        team=robots.pk,
        output="jsonl",
        annotation_format='{"image": "%%imagename", "vector": {%%vector}}',
        vector_format='"x%%count1": %%x, "y%%count1": %%y%%sep ',
    )
    data = client_for(bob).post(url, good).json()
    assert data["lines"][0] == '{"image": "img0.png", "vector": {"x1": 1, "y1": 2, "x2": 3, "y2": 4 }}'
    assert data["check"] == {"ok": True, "message": "Valid JSON lines: 3 lines parsed."}
    bad = {**good, "vector_format": '"x%%count1": "%%x","y%%count1": "%%y",'}  # the original's trailing comma
    data = client_for(bob).post(url, bad).json()
    assert data["check"]["ok"] is False
    assert data["check"]["message"].startswith("Line 1 is not JSON:")
    plain = client_for(bob).post(url, form_data(ball, team=robots.pk)).json()
    assert plain["check"] == {"ok": None, "message": ""}
    assert plain["lines"][0] == "", "plain text keeps the original's empty first line"


def test_set_page_queries_constant_in_the_number_of_formats(world, client_for, make_team):
    _, bob, _, robots, others, ball = world
    image_set = make_set(robots, "Field")
    client = client_for(bob)
    url = reverse("images:imageset", args=[image_set.pk])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    make_format(robots, [ball])
    few = count()
    for index in range(5):
        make_format(robots, [ball])
        make_format(make_team(f"public{index}"), [ball], public=True)
    assert count() == few
