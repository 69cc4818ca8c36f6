"""HTML pages for image sets (images/views_sets.py), the sets on the team and home pages: access,
every permission's allowed and refused side, bad input, and constant query counts."""

import re

import pytest
from django.contrib.messages import get_messages
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from images.models import Image, ImageSet, Priority, SetTag
from images.tests.factories import add_image_rows as add_images

# Tests using storage_dir run with the local folder and with a bucket (moto's S3 server, conftest.storage_dir).
pytestmark = [pytest.mark.django_db, pytest.mark.storages("filesystem", "s3")]

HUGE_IDS = [2**31, 2**63, 10**30]
LOGIN_URL = "/user/login/"


# --- helpers --------------------------------------------------------------------------------------


@pytest.fixture
def world(make_user, make_team):
    """Team Robots (admin ada, member bob) with a private set "field" made by ada; otto is in no
    team; sam is staff."""
    ada, bob, otto = make_user("ada"), make_user("bob"), make_user("otto")
    sam = make_user("sam", is_staff=True)
    team = make_team("Robots", admins=[ada], members=[bob])
    field = make_set(team, ada, "field")
    return {"team": team, "ada": ada, "bob": bob, "otto": otto, "sam": sam, "field": field}


def make_set(team, creator, name, **fields):
    image_set = ImageSet.objects.create(name=name, team=team, creator=creator, **fields)
    image_set.path = f"{team.pk if team else 'free'}_{image_set.pk}"
    image_set.save(update_fields=["path"])
    return image_set


def tag(image_set, *names):
    for name in names:
        SetTag.objects.get_or_create(name=name)[0].imagesets.add(image_set)


def flashes(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def html_of(response):
    return response.content.decode()


def set_url(image_set, action=""):
    return f"/images/imageset/{image_set.pk}/{action}"


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(queries)


# --- access, methods, unknown ids -----------------------------------------------------------------

ALL_PAGES = [
    ("get", "imageset/create/"),
    ("post", "imageset/create/"),
    ("get", "imageset/explore/"),
    ("get", "imageset/tags/autocomplete/?q=a"),
    ("get", "{id}/"),
    ("get", "{id}/edit/"),
    ("post", "{id}/edit/"),
    ("get", "{id}/delete/"),
    ("post", "{id}/delete/"),
    ("get", "{id}/setfree/"),
    ("post", "{id}/setfree/"),
    ("post", "{id}/pin/"),
    ("post", "{id}/tags/add/"),
    ("post", "{id}/tags/remove/"),
    ("post", "{id}/images/delete/"),
]


def page_url(pattern, image_set):
    if pattern.startswith("{id}"):
        return set_url(image_set, pattern.format(id="")[1:])
    return "/images/" + pattern


@pytest.mark.parametrize(("method", "pattern"), ALL_PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, world, method, pattern):
    world["field"].public = True
    world["field"].save()
    url = page_url(pattern, world["field"])

    response = getattr(client, method)(url, {"name": "x", "image": "1", "confirm": "1"} if method == "post" else None)

    assert response.status_code == 302
    assert response["Location"].startswith(f"{LOGIN_URL}?next=")
    assert ImageSet.objects.filter(pk=world["field"].pk, name="field", team=world["team"]).exists()


@pytest.mark.parametrize("action", ["pin/", "tags/add/", "tags/remove/", "images/delete/"])
def test_post_only_pages_answer_get_with_405(client_for, world, action):
    response = client_for(world["ada"]).get(set_url(world["field"], action))
    assert response.status_code == 405
    assert response["Allow"] == "POST"


@pytest.mark.parametrize("url", ["/images/imageset/explore/", "/images/imageset/tags/autocomplete/", "SET"])
def test_read_only_pages_answer_post_with_405(client_for, world, url):
    url = set_url(world["field"]) if url == "SET" else url
    assert client_for(world["ada"]).post(url).status_code == 405


@pytest.mark.parametrize("action", ["edit/", "delete/", "setfree/"])
def test_confirmation_pages_refuse_other_methods(client_for, world, action):
    assert client_for(world["ada"]).put(set_url(world["field"], action)).status_code == 405
    assert ImageSet.objects.filter(pk=world["field"].pk, team=world["team"]).exists()


@pytest.mark.parametrize("set_id", [0, 999999, *HUGE_IDS])
@pytest.mark.parametrize(
    ("method", "action"),
    [
        ("get", ""),
        ("get", "edit/"),
        ("post", "edit/"),
        ("get", "delete/"),
        ("post", "delete/"),
        ("get", "setfree/"),
        ("post", "setfree/"),
        ("post", "pin/"),
        ("post", "tags/add/"),
        ("post", "tags/remove/"),
        ("post", "images/delete/"),
    ],
)
def test_unknown_set_ids_answer_404(client_for, world, set_id, method, action):
    client = client_for(world["sam"])
    response = getattr(client, method)(f"/images/imageset/{set_id}/{action}", {"name": "x", "image": "1"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("method", "action"),
    [
        ("get", ""),
        ("get", "edit/"),
        ("post", "edit/"),
        ("get", "delete/"),
        ("post", "delete/"),
        ("get", "setfree/"),
        ("post", "setfree/"),
        ("post", "pin/"),
        ("post", "tags/add/"),
        ("post", "tags/remove/"),
        ("post", "images/delete/"),
    ],
)
def test_private_sets_of_other_teams_answer_404_to_outsiders_and_staff(client_for, world, method, action):
    (image,) = add_images(world["field"], 1)
    tag(world["field"], "secret")
    for user in (world["otto"], world["sam"]):
        response = getattr(client_for(user), method)(
            set_url(world["field"], action), {"name": "secret", "image": str(image.pk), "confirm": "1", "pinned": "1"}
        )
        assert response.status_code == 404
    world["field"].refresh_from_db()
    assert world["field"].team == world["team"]
    assert Image.objects.filter(pk=image.pk).exists()
    assert world["field"].set_tags.filter(name="secret").exists()
    assert not world["field"].pinned_by.exists()


# --- create ---------------------------------------------------------------------------------------


def test_create_form_offers_only_my_teams_and_preselects_the_asked_one(client_for, world, make_team):
    other = make_team("Others", members=[world["bob"]])
    make_team("Foreign", admins=[world["otto"]])

    html = html_of(client_for(world["bob"]).get(f"/images/imageset/create/?team={other.pk}"))

    team_select = re.search(r'<select name="team".*?</select>', html, re.S).group(0)
    options = re.findall(r'<option value="(\d+)"( selected)?>([^<]*)</option>', team_select)
    assert [(name, bool(selected)) for _pk, selected, name in options] == [("Others", True), ("Robots", False)]
    assert "Foreign" not in html


@pytest.mark.parametrize("team", ["abc", "999999", "-1", str(2**70), ""])
def test_create_form_ignores_bad_team_preselections(client_for, world, team):
    response = client_for(world["bob"]).get(f"/images/imageset/create/?team={team}")
    assert response.status_code == 200
    assert "Robots" in html_of(response)


def test_a_member_creates_a_set(client_for, world):
    response = client_for(world["bob"]).post(
        "/images/imageset/create/",
        {
            "team": world["team"].pk,
            "name": " Meadow ",
            "location": "Kiel",
            "priority": "1",
            "public_collaboration": "on",
        },
    )
    image_set = ImageSet.objects.get(name="Meadow")
    assert response.status_code == 302
    assert response["Location"] == set_url(image_set)
    assert image_set.creator == world["bob"]
    assert image_set.team == world["team"]
    assert (image_set.location, image_set.priority) == ("Kiel", Priority.HIGH)
    assert not image_set.public
    assert not image_set.public_collaboration
    assert image_set.path == f"{world['team'].pk}_{image_set.pk}"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"name": "FIELD"}, "This team already has an image set with this name."),
        ({"name": "   "}, "This field is required."),
        ({"name": ""}, "This field is required."),
        ({"name": "x" * 101}, "Ensure this value has at most 100 characters"),
        ({"name": "ok", "priority": "7"}, "Select a valid choice."),
        ({"name": "ok", "team": ""}, "This field is required."),
        ({"name": "ok", "team": "abc"}, "Select a valid choice."),
        ({"name": "ok", "team": str(2**70)}, "Select a valid choice."),
    ],
)
def test_create_shows_form_errors_with_400(client_for, world, data, error):
    data = {"team": world["team"].pk, "priority": "0", **data}
    response = client_for(world["bob"]).post("/images/imageset/create/", data)
    assert response.status_code == 400
    assert error in html_of(response)
    assert ImageSet.objects.count() == 1


def test_nobody_creates_a_set_for_a_team_they_are_not_in(client_for, world, make_team):
    foreign = make_team("Foreign", admins=[world["otto"]])
    response = client_for(world["bob"]).post(
        "/images/imageset/create/", {"team": foreign.pk, "name": "sneaky", "priority": "0"}
    )
    assert response.status_code == 400
    assert "Select a valid choice." in html_of(response)
    assert not ImageSet.objects.filter(name="sneaky").exists()


def test_users_without_a_team_are_told_to_make_one(client_for, world):
    response = client_for(world["otto"]).get("/images/imageset/create/")
    assert response.status_code == 200
    assert 'id="no-team"' in html_of(response)
    assert (
        client_for(world["otto"]).post("/images/imageset/create/", {"team": world["team"].pk, "name": "x"}).status_code
        == 400
    )


# --- the set page ---------------------------------------------------------------------------------


def test_set_page_shows_the_details(client_for, world):
    image_set = world["field"]
    image_set.location, image_set.description, image_set.priority = "Kiel", "Spring <b>walk</b>", Priority.HIGH
    image_set.save()
    add_images(image_set, 3)
    tag(image_set, "meadow", "night")

    html = html_of(client_for(world["bob"]).get(set_url(image_set)))

    details = html[html.index('id="set-details"') :]
    assert f'<a href="/users/team/{world["team"].pk}/">Robots</a>' in details
    assert 'href="/images/imageset/explore/?tags=meadow"' in details
    assert 'href="/images/imageset/explore/?tags=night"' in details
    assert "Kiel" in details
    assert "Spring &lt;b&gt;walk&lt;/b&gt;" in details
    assert f'<a href="/users/user/{world["ada"].pk}/">ada</a>' in details
    assert '<td id="image-count">3</td>' in details
    assert 'aria-label="High priority"' in html
    assert html.count('data-image-id="') == 3


def test_free_sets_and_deleted_creators_are_shown_as_such(client_for, world):
    freed = make_set(None, None, "freed", public=True, public_collaboration=True, image_lock=True)
    html = html_of(client_for(world["otto"]).get(set_url(freed)))
    assert "no team (set free)" in html
    assert "deleted user" in html


def test_management_links_follow_the_permissions(client_for, world):
    world["field"].public = True
    world["field"].save()
    links = {
        "edit": f'href="{set_url(world["field"], "edit/")}"',
        "delete": f'href="{set_url(world["field"], "delete/")}"',
        "setfree": f'href="{set_url(world["field"], "setfree/")}"',
        "tags": f'action="{set_url(world["field"], "tags/add/")}"',
    }

    def shown(user):
        html = html_of(client_for(user).get(set_url(world["field"])))
        return {name for name, link in links.items() if link in html}

    assert shown(world["ada"]) == {"edit", "delete", "setfree", "tags"}
    assert shown(world["bob"]) == {"edit", "tags"}
    assert shown(world["otto"]) == set()


def test_staff_see_only_delete_on_free_sets(client_for, world):
    freed = make_set(None, world["ada"], "freed", public=True, public_collaboration=True, image_lock=True)
    html = html_of(client_for(world["sam"]).get(set_url(freed)))
    assert f'href="{set_url(freed, "delete/")}"' in html
    assert f'href="{set_url(freed, "setfree/")}"' not in html
    assert f'href="{set_url(freed, "edit/")}"' not in html


def test_image_checkboxes_only_for_those_who_may_delete_images(client_for, world):
    add_images(world["field"], 2)
    assert 'name="image"' in html_of(client_for(world["ada"]).get(set_url(world["field"])))
    assert 'name="image"' not in html_of(client_for(world["bob"]).get(set_url(world["field"])))
    world["field"].image_lock = True
    world["field"].save()
    assert 'name="image"' not in html_of(client_for(world["ada"]).get(set_url(world["field"])))


def test_editors_are_told_when_a_set_is_locked(client_for, world):
    world["field"].image_lock = True
    world["field"].public = True
    world["field"].save()
    admin_html = html_of(client_for(world["ada"]).get(set_url(world["field"])))
    member_html = html_of(client_for(world["bob"]).get(set_url(world["field"])))
    outsider_html = html_of(client_for(world["otto"]).get(set_url(world["field"])))
    assert 'id="locked-notice"' in admin_html
    assert "Unlock it on the" in admin_html
    assert "A team admin can unlock it." in member_html
    assert 'id="locked-notice"' not in outsider_html


def test_the_upload_panel_is_shown_to_uploaders_only(client_for, world):
    world["field"].public = True
    world["field"].save()
    marker = reverse("images:upload_images", args=[world["field"].pk])
    assert marker in html_of(client_for(world["bob"]).get(set_url(world["field"])))
    assert marker not in html_of(client_for(world["otto"]).get(set_url(world["field"])))
    world["field"].image_lock = True
    world["field"].save()
    assert marker not in html_of(client_for(world["ada"]).get(set_url(world["field"])))


def test_the_zip_panel_is_shown_to_readers(client_for, world):
    world["field"].public = True
    world["field"].save()
    add_images(world["field"], 1)
    marker = reverse("images:download_imageset", args=[world["field"].pk])
    assert marker in html_of(client_for(world["otto"]).get(set_url(world["field"])))


def test_thumbnails_are_lazy_images_linking_to_the_image(client_for, world):
    (image,) = add_images(world["field"], 1)
    html = html_of(client_for(world["bob"]).get(set_url(world["field"])))
    thumbnail = reverse("images:thumbnail", args=[image.pk])
    assert f'<img loading="lazy" src="{thumbnail}" alt="img00000.png"' in html
    assert f'href="{reverse("images:view_image", args=[image.pk])}"' in html


def test_the_grid_is_paginated_by_name(client_for, world):
    add_images(world["field"], 130)
    client = client_for(world["bob"])

    def names(query=""):
        return re.findall(
            r'data-image-id="\d+">.*?title="(img\d+\.png)"', html_of(client.get(set_url(world["field"]) + query)), re.S
        )

    first = names()
    assert len(first) == 60
    assert first == sorted(first)
    assert first[0] == "img00000.png"
    assert names("?page=2")[0] == "img00060.png"
    assert names("?page=3") == [f"img{n:05d}.png" for n in range(120, 130)]
    assert names("?page=abc") == first
    assert names("?page=999") == names("?page=3")
    assert names(f"?page={2**70}") == names("?page=3")
    assert "Page 1 of 3" in html_of(client.get(set_url(world["field"])))


def test_an_empty_set_says_so(client_for, world):
    html = html_of(client_for(world["bob"]).get(set_url(world["field"])))
    assert 'id="no-images"' in html
    assert '<td id="image-count">0</td>' in html


def test_the_set_page_query_count_does_not_grow_with_images(client_for, world):
    small, big = world["field"], make_set(world["team"], world["ada"], "big")
    add_images(small, 2)
    add_images(big, 30)
    tag(small, "a")
    tag(big, "a", "b", "c")
    client = client_for(world["ada"])
    client.get(set_url(small))  # warm up the session

    assert count_queries(client, set_url(big)) == count_queries(client, set_url(small))
    assert count_queries(client, set_url(big) + "?page=1") == count_queries(client, set_url(small))


# --- pin ------------------------------------------------------------------------------------------


def test_pin_toggles_and_takes_an_explicit_state(client_for, world):
    client = client_for(world["bob"])
    url = set_url(world["field"], "pin/")

    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == set_url(world["field"])
    assert list(world["field"].pinned_by.all()) == [world["bob"]]
    assert flashes(response) == ["field is pinned to your home page."]
    assert 'aria-pressed="true"' in html_of(client.get(set_url(world["field"])))

    client.post(url, {"pinned": "1"})
    assert world["field"].pinned_by.count() == 1
    client.post(url)
    assert not world["field"].pinned_by.exists()
    client.post(url, {"pinned": "0"})
    assert not world["field"].pinned_by.exists()


def test_outsiders_pin_public_sets(client_for, world):
    world["field"].public = True
    world["field"].save()
    assert client_for(world["otto"]).post(set_url(world["field"], "pin/")).status_code == 302
    assert list(world["field"].pinned_by.all()) == [world["otto"]]


# --- edit -----------------------------------------------------------------------------------------


def test_members_edit_details_but_not_visibility(client_for, world):
    client = client_for(world["bob"])
    form_html = html_of(client.get(set_url(world["field"], "edit/")))
    assert 'name="name"' in form_html
    assert 'name="public"' not in form_html
    assert 'name="image_lock"' not in form_html

    response = client.post(
        set_url(world["field"], "edit/"),
        {
            "name": "Meadow",
            "location": "Kiel",
            "description": "d",
            "priority": "-1",
            "public": "on",
            "image_lock": "on",
        },
    )

    assert response.status_code == 302
    world["field"].refresh_from_db()
    assert (world["field"].name, world["field"].location, world["field"].priority) == ("Meadow", "Kiel", -1)
    assert not world["field"].public
    assert not world["field"].image_lock


def test_admins_change_visibility_and_lock(client_for, world):
    client = client_for(world["ada"])
    assert 'name="image_lock"' in html_of(client.get(set_url(world["field"], "edit/")))

    response = client.post(
        set_url(world["field"], "edit/"),
        {"name": "field", "priority": "0", "public": "on", "public_collaboration": "on", "image_lock": "on"},
    )

    assert response.status_code == 302
    world["field"].refresh_from_db()
    assert (world["field"].public, world["field"].public_collaboration, world["field"].image_lock) == (True, True, True)

    client.post(set_url(world["field"], "edit/"), {"name": "field", "priority": "0", "public_collaboration": "on"})
    world["field"].refresh_from_db()
    assert not world["field"].public
    assert not world["field"].public_collaboration
    assert not world["field"].image_lock


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"name": "Taken"}, "This team already has an image set with this name."),
        ({"name": " "}, "This field is required."),
        ({"name": "ok", "priority": "x"}, "Select a valid choice."),
        ({"name": "ok", "location": "l" * 101}, "Ensure this value has at most 100 characters"),
    ],
)
def test_edit_shows_form_errors_with_400(client_for, world, data, error):
    make_set(world["team"], world["ada"], "taken")
    response = client_for(world["ada"]).post(set_url(world["field"], "edit/"), {"priority": "0", **data})
    assert response.status_code == 400
    assert error in html_of(response)
    world["field"].refresh_from_db()
    assert world["field"].name == "field"


def test_outsiders_may_not_edit_public_sets_and_see_why(client_for, world):
    world["field"].public = True
    world["field"].public_collaboration = True
    world["field"].save()
    client = client_for(world["otto"])
    assert client.get(set_url(world["field"], "edit/")).status_code == 403
    response = client.post(set_url(world["field"], "edit/"), {"name": "mine", "priority": "0"})
    assert response.status_code == 403
    assert "Only members of the set&#x27;s team may change this image set." in html_of(response)
    world["field"].refresh_from_db()
    assert world["field"].name == "field"


def test_nobody_edits_a_free_set(client_for, world):
    freed = make_set(None, world["ada"], "freed", public=True, public_collaboration=True, image_lock=True)
    for user in (world["ada"], world["sam"]):
        assert client_for(user).post(set_url(freed, "edit/"), {"name": "x", "priority": "0"}).status_code == 403
    freed.refresh_from_db()
    assert freed.name == "freed"


# --- delete ---------------------------------------------------------------------------------------


def test_admin_deletes_a_set_after_confirming(client_for, world, storage_dir, django_capture_on_commit_callbacks):
    images = add_images(world["field"], 2, with_files=True)
    client = client_for(world["ada"])

    confirm = client.get(set_url(world["field"], "delete/"))
    assert confirm.status_code == 200
    assert "its 2 images" in html_of(confirm)
    assert ImageSet.objects.filter(pk=world["field"].pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(set_url(world["field"], "delete/"))

    assert response.status_code == 302
    assert response["Location"] == f"/users/team/{world['team'].pk}/"
    assert not ImageSet.objects.filter(pk=world["field"].pk).exists()
    assert not any(default_storage.exists(image.relative_path) for image in images)


@pytest.mark.parametrize("method", ["get", "post"])
def test_members_may_not_delete_a_set(client_for, world, method):
    response = getattr(client_for(world["bob"]), method)(set_url(world["field"], "delete/"))
    assert response.status_code == 403
    assert "Only team admins and the set&#x27;s creator may delete an image set" in html_of(response)
    assert ImageSet.objects.filter(pk=world["field"].pk).exists()


def test_staff_delete_free_sets_and_land_on_the_home_page(client_for, world):
    freed = make_set(None, world["ada"], "freed", public=True, public_collaboration=True, image_lock=True)
    assert client_for(world["ada"]).post(set_url(freed, "delete/")).status_code == 403
    response = client_for(world["sam"]).post(set_url(freed, "delete/"))
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert not ImageSet.objects.filter(pk=freed.pk).exists()


# --- set free -------------------------------------------------------------------------------------


def test_admin_sets_a_set_free_after_reading_the_consequences(client_for, world):
    client = client_for(world["ada"])
    confirm = html_of(client.get(set_url(world["field"], "setfree/")))
    assert "no longer belong to Robots" in confirm
    assert "only site staff can delete it" in confirm
    world["field"].refresh_from_db()
    assert world["field"].team is not None

    response = client.post(set_url(world["field"], "setfree/"))

    assert response.status_code == 302
    assert response["Location"] == set_url(world["field"])
    world["field"].refresh_from_db()
    assert world["field"].team is None
    assert (world["field"].public, world["field"].public_collaboration, world["field"].image_lock) == (True, True, True)


@pytest.mark.parametrize("method", ["get", "post"])
def test_members_may_not_set_a_set_free(client_for, world, method):
    response = getattr(client_for(world["bob"]), method)(set_url(world["field"], "setfree/"))
    assert response.status_code == 403
    world["field"].refresh_from_db()
    assert world["field"].team == world["team"]


def test_setting_a_free_set_free_again_just_says_so(client_for, world):
    freed = make_set(None, world["ada"], "freed", public=True, public_collaboration=True, image_lock=True)
    response = client_for(world["sam"]).post(set_url(freed, "setfree/"))
    assert response.status_code == 302
    assert flashes(response) == ["This image set is free already: it belongs to no team."]
    assert client_for(world["otto"]).post(set_url(freed, "setfree/")).status_code == 403


# --- tags -----------------------------------------------------------------------------------------


def test_members_add_and_remove_tags(client_for, world):
    client = client_for(world["bob"])
    url = set_url(world["field"])

    response = client.post(url + "tags/add/", {"name": "My Tag,&x"})
    assert response.status_code == 302
    assert response["Location"] == url + "#tags"
    assert flashes(response) == ["Added the tag “my_tagx”."]
    assert list(world["field"].set_tags.values_list("name", flat=True)) == ["my_tagx"]

    response = client.post(url + "tags/add/", {"name": "MY_TAGX"})
    assert flashes(response)[-1] == "The set has the tag “my_tagx” already."

    html = html_of(client.get(url))
    assert 'aria-label="Remove the tag my_tagx"' in html
    assert 'data-autocomplete-url="/images/imageset/tags/autocomplete/"' in html

    response = client.post(url + "tags/remove/", {"name": "my_tagx"})
    assert flashes(response)[-1] == "Removed the tag “my_tagx”."
    assert not world["field"].set_tags.exists()
    assert not SetTag.objects.filter(name="my_tagx").exists()


@pytest.mark.parametrize(
    ("action", "name", "message"),
    [
        ("add", "", "Enter a tag name of at most 100 characters."),
        ("add", "x" * 101, "Enter a tag name of at most 100 characters."),
        ("add", ",&?", "Enter a tag name (letters, digits, - or _)."),
        ("remove", "never", "This set does not have this tag."),
        ("remove", "", "Say which tag to remove."),
    ],
)
def test_bad_tag_input_gives_a_clear_message(client_for, world, action, name, message):
    response = client_for(world["bob"]).post(set_url(world["field"], f"tags/{action}/"), {"name": name})
    assert response.status_code == 302
    assert flashes(response) == [message]
    assert not world["field"].set_tags.exists()


def test_outsiders_may_not_tag_public_sets(client_for, world):
    world["field"].public = True
    world["field"].public_collaboration = True
    world["field"].save()
    tag(world["field"], "theirs")
    client = client_for(world["otto"])
    assert client.post(set_url(world["field"], "tags/add/"), {"name": "mine"}).status_code == 403
    assert client.post(set_url(world["field"], "tags/remove/"), {"name": "theirs"}).status_code == 403
    assert list(world["field"].set_tags.values_list("name", flat=True)) == ["theirs"]


def test_tag_autocomplete_lists_prefix_matches_first_and_hides_private_sets(client_for, world, make_team, settings):
    settings.AUTOCOMPLETE_LIMIT = 3
    public = make_set(make_team("Others", admins=[world["otto"]]), world["otto"], "open", public=True)
    tag(public, "cat", "bobcat", "catalog", "concat")
    tag(world["field"], "cattle")  # on a private set of Robots

    def suggestions(user, query):
        response = client_for(user).get("/images/imageset/tags/autocomplete/", {"q": query})
        assert response.status_code == 200
        return response.json()["suggestions"]

    assert suggestions(world["otto"], "CAT") == ["cat", "catalog", "bobcat"]
    assert suggestions(world["bob"], "cat") == ["cat", "catalog", "cattle"]
    assert suggestions(world["otto"], "tle") == []
    assert suggestions(world["otto"], "tes") == ["test"]
    assert suggestions(world["otto"], "") == []


# --- deleting images ------------------------------------------------------------------------------


def test_admin_deletes_images_in_two_steps(client_for, world, storage_dir, django_capture_on_commit_callbacks):
    first, second, kept = add_images(world["field"], 3, with_files=True)
    client = client_for(world["ada"])
    url = set_url(world["field"], "images/delete/")

    confirm = client.post(url, {"image": [first.pk, second.pk], "page": "1"})

    assert confirm.status_code == 200
    html = html_of(confirm)
    assert "Delete 2 images?" in html
    assert '<input type="hidden" name="confirm" value="1">' in html
    assert Image.objects.count() == 3

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"image": [first.pk, second.pk], "confirm": "1", "page": "1"})

    assert response.status_code == 302
    assert response["Location"] == set_url(world["field"]) + "?page=1"
    assert flashes(response) == ["Deleted 2 images."]
    assert list(Image.objects.all()) == [kept]
    assert not default_storage.exists(first.relative_path)
    assert default_storage.exists(kept.relative_path)


def test_deleting_without_a_selection_says_so(client_for, world):
    add_images(world["field"], 1)
    response = client_for(world["ada"]).post(set_url(world["field"], "images/delete/"), {"confirm": "1"})
    assert response.status_code == 302
    assert flashes(response) == ["Select at least one image to delete."]
    assert Image.objects.count() == 1


@pytest.mark.parametrize("bad", ["abc", "-1", "0", str(2**63), str(10**30), "999999", "OTHER"])
def test_tampered_image_ids_are_refused_with_400(client_for, world, bad):
    (mine,) = add_images(world["field"], 1)
    (theirs,) = add_images(make_set(world["team"], world["ada"], "other"), 1)
    bad = str(theirs.pk) if bad == "OTHER" else bad
    client = client_for(world["ada"])
    for confirm in ("", "1"):
        response = client.post(set_url(world["field"], "images/delete/"), {"image": [mine.pk, bad], "confirm": confirm})
        assert response.status_code == 400
        assert 'id="delete-errors"' in html_of(response)
    assert Image.objects.count() == 2


def test_members_may_not_delete_images(client_for, world):
    (image,) = add_images(world["field"], 1)
    response = client_for(world["bob"]).post(
        set_url(world["field"], "images/delete/"), {"image": image.pk, "confirm": "1"}
    )
    assert response.status_code == 403
    assert "Only team admins and the set&#x27;s creator may delete images." in html_of(response)
    assert Image.objects.filter(pk=image.pk).exists()


def test_images_of_a_locked_set_cannot_be_deleted(client_for, world):
    (image,) = add_images(world["field"], 1)
    world["field"].image_lock = True
    world["field"].save()
    response = client_for(world["ada"]).post(
        set_url(world["field"], "images/delete/"), {"image": image.pk, "confirm": "1"}
    )
    assert response.status_code == 403
    assert "This image set is locked" in html_of(response)
    assert Image.objects.filter(pk=image.pk).exists()


# --- explore --------------------------------------------------------------------------------------


def explore_names(client, query=""):
    html = html_of(client.get("/images/imageset/explore/" + query))
    return re.findall(r'<a href="/images/imageset/\d+/" class="fw-semibold">([^<]*)</a>', html)


def test_explore_lists_what_i_may_read_by_team_then_name(client_for, world, make_team):
    zeta = make_team("zeta", admins=[world["otto"]])
    alpha = make_team("Alpha", admins=[world["otto"]])
    make_set(zeta, world["otto"], "b-public", public=True)
    make_set(zeta, world["otto"], "A-public", public=True)
    make_set(alpha, world["otto"], "hidden")
    make_set(alpha, world["otto"], "shown", public=True)
    make_set(None, None, "freed", public=True)

    assert explore_names(client_for(world["bob"])) == ["shown", "field", "A-public", "b-public", "freed"]
    assert explore_names(client_for(world["otto"])) == ["hidden", "shown", "A-public", "b-public", "freed"]


def test_explore_searches_names_and_all_given_tags(client_for, world, make_team):
    other = make_team("Others", admins=[world["otto"]])
    both = make_set(other, world["otto"], "Night walk", public=True)
    one = make_set(other, world["otto"], "night drive", public=True)
    hidden = make_set(other, world["otto"], "night secret")
    tag(both, "night", "rain")
    tag(one, "night")
    tag(hidden, "night", "rain")
    client = client_for(world["bob"])

    assert explore_names(client, "?query=NIGHT") == ["night drive", "Night walk"]
    assert explore_names(client, "?tags=night") == ["night drive", "Night walk"]
    assert explore_names(client, "?tags=Rain,+night,") == ["Night walk"]
    assert explore_names(client, "?query=drive&tags=rain") == []
    assert explore_names(client, "?tags=,,") == ["night drive", "Night walk", "field"]
    html = html_of(client.get("/images/imageset/explore/?tags=Rain,+night"))
    assert 'value="rain, night"' in html


def test_explore_is_paginated_by_25(client_for, world):
    for number in range(30):
        make_set(world["team"], world["ada"], f"set{number:02d}")
    client = client_for(world["bob"])
    first = explore_names(client)
    assert len(first) == 25
    assert explore_names(client, "?page=2") == [f"set{n:02d}" for n in range(24, 30)]
    assert explore_names(client, "?page=x") == first
    html = html_of(client.get("/images/imageset/explore/?query=set&page=1"))
    assert 'href="?query=set&amp;page=2"' in html


def test_explore_query_count_does_not_grow_with_sets(client_for, world, make_team):
    other = make_team("Others", admins=[world["otto"]])
    client = client_for(world["bob"])
    client.get("/images/imageset/explore/")

    for number in range(2):
        image_set = make_set(other, world["otto"], f"s{number}", public=True)
        tag(image_set, "x", f"t{number}")
        add_images(image_set, 2)
    few = count_queries(client, "/images/imageset/explore/?tags=x")
    for number in range(2, 30):
        image_set = make_set(other, world["otto"], f"s{number}", public=True)
        tag(image_set, "x", f"t{number}")
        add_images(image_set, 2)
    many = count_queries(client, "/images/imageset/explore/?tags=x")
    assert few == many


def test_explore_shows_counts_and_tags(client_for, world):
    add_images(world["field"], 3)
    tag(world["field"], "meadow")
    html = html_of(client_for(world["bob"]).get("/images/imageset/explore/"))
    assert "(3 images)" in html
    assert 'href="/images/imageset/explore/?tags=meadow"' in html


# --- the team page --------------------------------------------------------------------------------


def team_set_names(client, team, query=""):
    html = html_of(client.get(f"/users/team/{team.pk}/{query}"))
    return re.findall(r'<a href="/images/imageset/\d+/" class="fw-semibold">([^<]*)</a>', html)


def test_members_see_all_team_sets_others_only_public_ones(client_for, world):
    make_set(world["team"], world["ada"], "open", public=True)
    assert team_set_names(client_for(world["bob"]), world["team"]) == ["open", "field"]
    assert team_set_names(client_for(world["otto"]), world["team"]) == ["open"]


def test_team_page_shows_counts_lock_priority_tags_and_create_link(client_for, world):
    add_images(world["field"], 2)
    world["field"].priority = Priority.LOW
    world["field"].save()
    tag(world["field"], "meadow")
    html = html_of(client_for(world["bob"]).get(f"/users/team/{world['team'].pk}/"))
    item = html[html.index(f'data-set-id="{world["field"].pk}"') :]
    item = item[: item.index("</li>")]
    assert "(2 images)" in item
    assert 'aria-label="Private"' in item
    assert 'aria-label="Low priority"' in item
    assert 'href="/images/imageset/explore/?tags=meadow"' in item
    assert f'href="/images/imageset/create/?team={world["team"].pk}"' in html
    assert "/images/imageset/create/" not in html_of(client_for(world["otto"]).get(f"/users/team/{world['team'].pk}/"))


def test_team_page_tabs_sort_and_filter_test_sets(client_for, world):
    big = make_set(world["team"], world["ada"], "big")
    add_images(big, 3)
    newest = make_set(world["team"], world["ada"], "a-newest")
    tag(newest, "test")
    client = client_for(world["bob"])
    assert team_set_names(client, world["team"]) == ["a-newest", "big", "field"]
    assert team_set_names(client, world["team"], "?sets=date") == ["a-newest", "big", "field"]
    assert team_set_names(client, world["team"], "?sets=size") == ["big", "a-newest", "field"]
    assert team_set_names(client, world["team"], "?sets=test") == ["a-newest"]
    assert team_set_names(client, world["team"], "?sets=bogus") == ["a-newest", "big", "field"]


def test_team_page_query_count_does_not_grow_with_sets(client_for, world, make_team):
    small = make_team("Small", admins=[world["ada"]])
    big = make_team("Big", admins=[world["ada"]])
    for team, count in ((small, 2), (big, 30)):
        for number in range(count):
            image_set = make_set(team, world["ada"], f"s{number}")
            tag(image_set, f"t{number}")
            add_images(image_set, 1)
    client = client_for(world["ada"])
    client.get(f"/users/team/{small.pk}/")
    assert count_queries(client, f"/users/team/{big.pk}/") == count_queries(client, f"/users/team/{small.pk}/")


# --- the home page --------------------------------------------------------------------------------


def home_sections(client):
    html = html_of(client.get("/"))

    def names(section_id):
        if f'id="{section_id}"' not in html:
            return []
        part = html[html.index(f'id="{section_id}"') :]
        part = part[: part.index("</ul>")]
        return re.findall(r'class="fw-semibold">([^<]*)</a>', part)

    return names("pinned-sets"), names("my-sets")


def test_home_lists_my_teams_sets_by_priority_then_newest(client_for, world, make_team):
    make_set(world["team"], world["ada"], "low", priority=Priority.LOW)
    make_set(world["team"], world["ada"], "high", priority=Priority.HIGH)
    make_set(world["team"], world["ada"], "newer")
    make_set(make_team("Foreign", admins=[world["otto"]]), world["otto"], "foreign", public=True)
    pinned, mine = home_sections(client_for(world["bob"]))
    assert pinned == []
    assert mine == ["high", "newer", "field", "low"]


def test_home_lists_pinned_sets_including_free_ones_but_not_unreadable_ones(client_for, world, make_team):
    foreign_team = make_team("Foreign", admins=[world["otto"]])
    public = make_set(foreign_team, world["otto"], "public", public=True)
    became_private = make_set(foreign_team, world["otto"], "became private", public=True)
    freed = make_set(None, None, "freed", public=True, public_collaboration=True, image_lock=True)
    for image_set in (public, became_private, freed):
        image_set.pinned_by.add(world["bob"])
    became_private.public = False
    became_private.save()

    response = client_for(world["bob"]).get("/")

    assert response.status_code == 200
    pinned, _mine = home_sections(client_for(world["bob"]))
    assert pinned == ["freed", "public"]
    assert "no team" in html_of(response)


def test_home_query_count_does_not_grow_with_sets(client_for, world, make_team):
    client = client_for(world["bob"])
    client.get("/")

    def grow(count, start):
        for number in range(start, start + count):
            image_set = make_set(world["team"], world["ada"], f"s{number}")
            tag(image_set, f"t{number}")
            add_images(image_set, 1)
            image_set.pinned_by.add(world["bob"])
            freed = make_set(None, None, f"free{number}", public=True)
            freed.pinned_by.add(world["bob"])

    grow(2, 0)
    few = count_queries(client, "/")
    grow(28, 2)
    assert count_queries(client, "/") == few
