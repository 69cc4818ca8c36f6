"""The image-set REST API: /api/v1/imagesets/, /api/v1/images/, /api/v1/tags/."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from images.models import Image, ImageSet, SetTag
from images.tests.factories import add_image_rows as add_rows

# Tests using storage_dir run with the local folder and with a bucket (moto's S3 server, conftest.storage_dir).
pytestmark = [pytest.mark.django_db, pytest.mark.storages("filesystem", "s3")]


@pytest.fixture
def world(make_user, make_team):
    """A private set of team Robots (admin ada, member bob), a public one, and an outsider."""
    ada, bob, otto = make_user("ada"), make_user("bob"), make_user("otto")
    team = make_team("Robots", admins=[ada], members=[bob])
    private = ImageSet.objects.create(name="field", team=team, creator=ada, path=f"{team.pk}_a")
    public = ImageSet.objects.create(name="open", team=team, creator=ada, public=True, path=f"{team.pk}_b")
    return {"ada": ada, "bob": bob, "otto": otto, "team": team, "private": private, "public": public}


def test_list_shows_public_sets_and_my_teams_sets_only(world, api_for):
    names = lambda user: [s["name"] for s in api_for(user).get("/api/v1/imagesets/").json()["results"]]  # noqa: E731

    assert names(world["ada"]) == ["field", "open"]
    assert names(world["bob"]) == ["field", "open"]
    assert names(world["otto"]) == ["open"]


def test_list_reports_my_permissions_pins_tags_and_counts(world, api_for):
    add_rows(world["private"], 3)
    world["private"].pinned_by.add(world["bob"])
    SetTag.objects.get(name="test").imagesets.add(world["private"])

    body = api_for(world["bob"]).get("/api/v1/imagesets/").json()["results"][0]

    assert body["image_count"] == 3
    assert body["pinned"] is True
    assert body["tags"] == ["test"]
    assert "edit_set" in body["permissions"]
    assert "delete_set" not in body["permissions"]
    assert body["team_name"] == "Robots"
    assert body["creator"] == "ada"


def test_list_filters_by_team_name_and_tag(world, api_for, make_team):
    other_team = make_team("Others", admins=[world["ada"]])
    ImageSet.objects.create(name="elsewhere", team=other_team, creator=world["ada"], path="x")
    tag = SetTag.objects.create(name="night")
    tag.imagesets.add(world["public"])
    api = api_for(world["ada"])

    def names(query):
        return [s["name"] for s in api.get(f"/api/v1/imagesets/?{query}").json()["results"]]

    assert names(f"team={other_team.pk}") == ["elsewhere"]
    assert names("q=FIE") == ["field"]
    assert names("tag=night") == ["open"]
    for bad in ("abc", str(2**70), "0", "-3"):
        response = api.get(f"/api/v1/imagesets/?team={bad}")
        assert response.status_code == 400, bad
        assert "a team id" in response.json()["errors"]["team"][0]


def test_list_runs_a_constant_number_of_queries(world, api_for, make_team):
    api = api_for(world["ada"])

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/api/v1/imagesets/").status_code == 200
        return len(queries)

    few = count_queries()
    for number in range(20):
        image_set = ImageSet.objects.create(
            name=f"s{number}", team=world["team"], creator=world["bob"], path=f"p{number}"
        )
        SetTag.objects.get(name="test").imagesets.add(image_set)
        add_rows(image_set, 2)
    assert count_queries() == few


def test_unreadable_set_answers_404_and_anonymous_is_refused(world, api_for):
    assert api_for(world["otto"]).get(f"/api/v1/imagesets/{world['private'].pk}/").status_code == 404
    assert api_for(world["otto"]).get(f"/api/v1/imagesets/{world['public'].pk}/").status_code == 200
    assert api_for(world["otto"]).get("/api/v1/imagesets/999999/").status_code == 404
    response = api_for().get("/api/v1/imagesets/")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_create_for_my_team(world, api_for):
    response = api_for(world["bob"]).post(
        "/api/v1/imagesets/", {"team": world["team"].pk, "name": "new set", "public": True}, format="json"
    )

    assert response.status_code == 201, response.json()
    created = ImageSet.objects.get(pk=response.json()["id"])
    assert created.creator == world["bob"]
    assert created.path == f"{world['team'].pk}_{created.pk}"
    assert response.json()["permissions"]  # creator while member: admin-level rights
    assert "delete_set" in response.json()["permissions"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "x"}, "team"),
        ({"team": 999999, "name": "x"}, "team"),
        ({"team": "abc", "name": "x"}, "team"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "FIELD"}, "name"),
        ({"name": "ok", "priority": 7}, "priority"),
    ],
)
def test_create_refuses_bad_input_with_field_errors(world, api_for, payload, field):
    payload = {"team": world["team"].pk, **payload} if "team" not in payload and field != "team" else payload
    before = ImageSet.objects.count()

    response = api_for(world["ada"]).post("/api/v1/imagesets/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert response.json()["detail"]
    assert ImageSet.objects.count() == before


def test_create_for_a_team_i_am_not_in_is_forbidden(world, api_for):
    response = api_for(world["otto"]).post(
        "/api/v1/imagesets/", {"team": world["team"].pk, "name": "intruder"}, format="json"
    )

    assert response.status_code == 403
    assert not ImageSet.objects.filter(name="intruder").exists()


def test_member_edits_details_but_not_visibility(world, api_for):
    url = f"/api/v1/imagesets/{world['private'].pk}/"
    api = api_for(world["bob"])

    assert api.patch(url, {"description": "grass"}, format="json").status_code == 200
    response = api.patch(url, {"public": True}, format="json")

    assert response.status_code == 403
    world["private"].refresh_from_db()
    assert world["private"].description == "grass"
    assert world["private"].public is False


def test_admin_changes_visibility_and_lock(world, api_for):
    url = f"/api/v1/imagesets/{world['private'].pk}/"

    response = api_for(world["ada"]).patch(url, {"public": True, "image_lock": True}, format="json")

    assert response.status_code == 200
    assert response.json()["public"] is True
    assert response.json()["image_lock"] is True
    assert "upload_images" not in response.json()["permissions"]


def test_outsider_cannot_edit_a_public_set_and_cannot_see_a_private_one(world, api_for):
    api = api_for(world["otto"])

    assert api.patch(f"/api/v1/imagesets/{world['public'].pk}/", {"name": "mine"}, format="json").status_code == 403
    assert api.patch(f"/api/v1/imagesets/{world['private'].pk}/", {"name": "mine"}, format="json").status_code == 404


def test_rename_to_a_name_used_in_the_team_is_refused(world, api_for):
    response = api_for(world["ada"]).patch(f"/api/v1/imagesets/{world['private'].pk}/", {"name": "Open"}, format="json")

    assert response.status_code == 400
    assert "name" in response.json()["errors"]


def test_delete_needs_delete_set(world, api_for):
    url = f"/api/v1/imagesets/{world['private'].pk}/"

    assert api_for(world["bob"]).delete(url).status_code == 403
    assert api_for(world["ada"]).delete(url).status_code == 204
    assert not ImageSet.objects.filter(pk=world["private"].pk).exists()


def test_set_free(world, api_for):
    url = f"/api/v1/imagesets/{world['private'].pk}/set-free/"

    assert api_for(world["bob"]).post(url).status_code == 403
    response = api_for(world["ada"]).post(url)

    assert response.status_code == 200
    assert response.json()["team"] is None
    body = response.json()
    assert (body["public"], body["public_collaboration"], body["image_lock"]) == (True, True, True)
    assert api_for(world["ada"]).post(url).status_code == 403  # free sets: only staff may delete them


def test_pin_and_unpin(world, api_for):
    url = f"/api/v1/imagesets/{world['public'].pk}/pin/"
    api = api_for(world["otto"])

    assert api.put(url, {"pinned": True}, format="json").json()["pinned"] is True
    assert world["public"].pinned_by.filter(pk=world["otto"].pk).exists()
    assert api.put(url, {"pinned": False}, format="json").json()["pinned"] is False
    assert api.put(url, {}, format="json").status_code == 400
    assert api.put(f"/api/v1/imagesets/{world['private'].pk}/pin/", {"pinned": True}, format="json").status_code == 404


def test_tags_add_and_remove(world, api_for):
    url = f"/api/v1/imagesets/{world['private'].pk}/tags/"
    api = api_for(world["bob"])

    first = api.post(url, {"name": "Night Shot,&"}, format="json")
    again = api.post(url, {"name": "night shot"}, format="json")

    assert first.status_code == 201
    assert first.json() == {"name": "night_shot"}
    assert again.status_code == 200
    assert api.post(url, {"name": " ,&? "}, format="json").status_code == 400
    assert api.delete(url + "night_shot/").status_code == 204
    assert not SetTag.objects.filter(name="night_shot").exists()
    assert api.delete(url + "night_shot/").status_code == 400
    assert (
        api_for(world["otto"]).post(f"/api/v1/imagesets/{world['public'].pk}/tags/", {"name": "x"}).status_code == 403
    )


def test_tag_autocomplete_prefix_first_and_only_of_readable_sets(world, api_for):
    for name in ["outdoor", "door", "doors_open"]:
        SetTag.objects.create(name=name).imagesets.add(world["public"])
    SetTag.objects.create(name="door_secret").imagesets.add(world["private"])

    outsider = api_for(world["otto"]).get("/api/v1/tags/?q=DOOR").json()
    member = api_for(world["bob"]).get("/api/v1/tags/?q=DOOR").json()

    assert [tag["name"] for tag in outsider] == ["door", "doors_open", "outdoor"]
    assert [tag["name"] for tag in member] == ["door", "door_secret", "doors_open", "outdoor"]
    assert api_for(world["otto"]).get("/api/v1/tags/").json() == []


def test_image_list_pages_by_keyset_after_and_before_an_image(world, api_for):
    api = api_for(world["bob"])
    add_rows(world["private"], 7)
    url = f"/api/v1/imagesets/{world['private'].pk}/images/?page_size=3"

    first = api.get(url).json()
    names = lambda body: [image["name"][3:8] for image in body["results"]]  # noqa: E731
    assert names(first) == ["00000", "00001", "00002"]
    assert (first["count"], first["count_exact"], first["more"], first["previous"]) == (7, True, True, None)
    second = api.get(first["next"]).json()
    assert names(second) == ["00003", "00004", "00005"]
    assert second["count"] == 7, "the count is the set's, not what is left"
    last = api.get(second["next"]).json()
    assert (names(last), last["more"], last["next"]) == (["00006"], False, None)
    back = api.get(second["previous"]).json()
    assert names(back) == ["00002", "00001", "00000"], "nearest first"
    assert back["more"] is False


@pytest.mark.parametrize(
    ("query", "field"),
    [("after=x", "after"), ("before=0", "before"), ("page_size=501", "page_size")],
)
def test_image_list_paging_input_is_checked(world, api_for, query, field):
    add_rows(world["private"], 2)
    response = api_for(world["bob"]).get(f"/api/v1/imagesets/{world['private'].pk}/images/?{query}")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_image_list_still_answers_page_numbers_with_the_kept_count(world, api_for):
    add_rows(world["private"], 5)
    body = api_for(world["bob"]).get(f"/api/v1/imagesets/{world['private'].pk}/images/?page=2&page_size=2").json()
    assert (body["count"], [image["name"] for image in body["results"]]) == (5, ["img00002.png", "img00003.png"])
    assert "page=3" in body["next"]
    assert body["previous"]


def test_image_list_anchor_must_be_an_image_of_the_set(world, api_for):
    other = add_rows(world["public"], 1)[0]
    response = api_for(world["bob"]).get(f"/api/v1/imagesets/{world['private'].pk}/images/?after={other.pk}")
    assert response.status_code == 400
    assert "no image with this id in this set" in response.json()["errors"]["after"][0]


def test_image_list_is_paginated_by_name_with_constant_queries(world, api_for):
    api = api_for(world["bob"])
    url = f"/api/v1/imagesets/{world['private'].pk}/images/?page_size=100"
    add_rows(world["private"], 2)

    with CaptureQueriesContext(connection) as few:
        body = api.get(url).json()
    add_rows(world["private"], 40, start=2)
    with CaptureQueriesContext(connection) as many:
        more = api.get(url).json()

    assert body["count"] == 2
    assert more["count"] == 42
    assert [image["name"] for image in more["results"][:3]] == ["img00000.png", "img00001.png", "img00002.png"]
    assert len(few) == len(many)
    first = more["results"][0]
    assert first["url"].endswith(f"/images/image/{first['id']}/")
    assert first["thumbnail_url"].endswith(f"/images/image/{first['id']}/thumbnail/")
    assert len(first["checksum"]) == 128


def test_image_list_of_an_unreadable_set_is_404(world, api_for):
    assert api_for(world["otto"]).get(f"/api/v1/imagesets/{world['private'].pk}/images/").status_code == 404


def test_image_detail_and_delete_follow_the_set_permissions(world, api_for):
    add_rows(world["private"], 1)
    image = world["private"].images.get()
    url = f"/api/v1/images/{image.pk}/"

    assert api_for(world["otto"]).get(url).status_code == 404
    assert api_for(world["bob"]).get(url).json()["name"] == "img00000.png"
    assert api_for(world["bob"]).delete(url).status_code == 403
    assert api_for(world["ada"]).delete(url).status_code == 204
    assert not Image.objects.filter(pk=image.pk).exists()
    world["private"].refresh_from_db()
    assert world["private"].content_version == 2


def test_upload_without_files_is_a_clear_400(world, api_for):
    response = api_for(world["ada"]).post(f"/api/v1/imagesets/{world['private'].pk}/images/", {}, format="multipart")

    assert response.status_code == 400
    assert "files" in response.json()["errors"]


def test_upload_through_the_api_reports_each_file(world, api_for, storage_dir):
    from images.tests.factories import distinct_pngs, make_upload, make_zip

    first, second, third = distinct_pngs(3)
    archive = make_zip([("day1/a.png", first), ("day1/b.png", second), ("notes.txt", b"hello")])
    url = f"/api/v1/imagesets/{world['private'].pk}/images/"

    response = api_for(world["bob"]).post(
        url,
        {"files": [make_upload("batch.zip", archive), make_upload("c.png", third), make_upload("again.png", first)]},
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    by_name = {result["name"]: result for result in response.json()["files"]}
    assert by_name["day1/a.png"]["status"] == "added"
    assert by_name["c.png"]["status"] == "added"
    assert by_name["notes.txt"]["status"] == "refused"
    assert by_name["again.png"]["status"] == "duplicate"
    assert sorted(world["private"].images.values_list("name", flat=True)) == ["c.png", "day1/a.png", "day1/b.png"]
    world["private"].refresh_from_db()
    assert world["private"].content_version == 2  # one change for the whole request


def test_upload_of_only_duplicates_answers_200(world, api_for, storage_dir):
    from images.tests.factories import make_png, make_upload

    url = f"/api/v1/imagesets/{world['private'].pk}/images/"
    api = api_for(world["ada"])
    api.post(url, {"files": [make_upload("a.png", make_png())]}, format="multipart")

    response = api.post(url, {"files": [make_upload("b.png", make_png())]}, format="multipart")

    assert response.status_code == 200
    assert response.json()["files"][0]["status"] == "duplicate"


def test_upload_needs_upload_images(world, api_for, storage_dir):
    from images.tests.factories import make_png, make_upload

    def upload(user, image_set):
        return api_for(user).post(
            f"/api/v1/imagesets/{image_set.pk}/images/",
            {"files": [make_upload("a.png", make_png())]},
            format="multipart",
        )

    assert upload(world["otto"], world["private"]).status_code == 404
    assert upload(world["otto"], world["public"]).status_code == 403
    world["private"].image_lock = True
    world["private"].save()
    locked = upload(world["ada"], world["private"])
    assert locked.status_code == 403
    assert "locked" in locked.json()["detail"]
    assert not Image.objects.exists()
