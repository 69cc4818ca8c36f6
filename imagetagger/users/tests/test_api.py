"""The REST API for users and teams under /api/v1/: behaviour, permissions, errors and query counts."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from rest_framework.test import APIClient

from users.models import Team, TeamMembership

API = "/api/v1"


def team_url(team, suffix=""):
    return f"{API}/teams/{team.pk}/{suffix}"


def member_url(team, user):
    return f"{API}/teams/{team.pk}/members/{user.pk}/"


def assert_error(response, status):
    """The response has ``status`` and the JSON error body every API error shares."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body.get("detail"), str)
    assert body["detail"]
    return body


def membership(team, user):
    return TeamMembership.objects.filter(team=team, user=user).first()


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def bob(make_user):
    return make_user("bob")


@pytest.fixture
def carol(make_user):
    return make_user("carol")


@pytest.fixture
def team(make_team, alice, bob):
    """``Robots``: alice is its admin, bob a plain member."""
    return make_team("Robots", admins=[alice], members=[bob])


# --- users/me ---------------------------------------------------------------------------------


def test_me_describes_the_caller(api_for, make_user):
    user = make_user("dora", is_staff=True)
    user.points = 12
    user.save()
    response = api_for(user).get(f"{API}/users/me/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == user.pk
    assert body["username"] == "dora"
    assert body["email"] == "dora@example.org"
    assert body["points"] == 12
    assert body["is_staff"] is True
    assert body["date_joined"]
    assert "password" not in body


def test_me_refuses_write_methods(api_for, alice):
    api = api_for(alice)
    for method in ("post", "put", "patch", "delete"):
        assert_error(getattr(api, method)(f"{API}/users/me/", {}, format="json"), 405)


# --- anonymous callers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/users/me/"),
        ("get", "/teams/"),
        ("post", "/teams/"),
        ("get", "/teams/{team}/"),
        ("get", "/teams/{team}/members/"),
        ("post", "/teams/{team}/members/"),
        ("patch", "/teams/{team}/members/{user}/"),
        ("delete", "/teams/{team}/members/{user}/"),
        ("get", "/teams/{team}/member-candidates/?q=a"),
    ],
)
def test_anonymous_requests_are_refused(method, path, team, bob):
    client = APIClient()
    url = API + path.format(team=team.pk, user=bob.pk)
    response = getattr(client, method)(url, {"name": "Anonymous", "username": "bob", "is_admin": True}, format="json")
    assert response.status_code in (401, 403)
    assert_error(response, response.status_code)
    # Nothing changed.
    assert membership(team, bob) is not None
    assert not membership(team, bob).is_admin
    assert not Team.objects.filter(name="Anonymous").exists()


# --- team list ----------------------------------------------------------------------------------


def test_team_list_holds_only_my_teams(api_for, make_team, alice, bob, carol):
    mine_admin = make_team("Zebras", admins=[alice], members=[bob])
    mine_member = make_team("alpacas", admins=[carol], members=[alice])
    make_team("Others", admins=[bob, carol])
    response = api_for(alice).get(f"{API}/teams/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2
    assert body["next"] is None
    assert body["previous"] is None
    # By name, whatever the case.
    assert [team["name"] for team in body["results"]] == ["alpacas", "Zebras"]
    by_name = {team["name"]: team for team in body["results"]}
    assert by_name["Zebras"] == {
        "id": mine_admin.pk,
        "name": "Zebras",
        "created": by_name["Zebras"]["created"],
        "member_count": 2,
        "is_member": True,
        "is_admin": True,
    }
    assert by_name["alpacas"]["id"] == mine_member.pk
    assert by_name["alpacas"]["member_count"] == 2
    assert by_name["alpacas"]["is_member"] is True
    assert by_name["alpacas"]["is_admin"] is False


def test_team_list_is_empty_without_teams(api_for, make_team, alice, bob):
    make_team("Someone else's", admins=[bob])
    body = api_for(alice).get(f"{API}/teams/").json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}


def test_team_list_is_paginated(api_for, make_team, alice):
    for number in range(5):
        make_team(f"Team {number}", members=[alice])
    api = api_for(alice)
    first = api.get(f"{API}/teams/?page_size=2").json()
    assert first["count"] == 5
    assert first["previous"] is None
    assert first["next"]
    assert [team["name"] for team in first["results"]] == ["Team 0", "Team 1"]
    second = api.get(first["next"]).json()
    assert [team["name"] for team in second["results"]] == ["Team 2", "Team 3"]
    assert second["previous"]
    last = api.get(second["next"]).json()
    assert [team["name"] for team in last["results"]] == ["Team 4"]
    assert last["next"] is None


def test_team_list_page_out_of_range_is_404(api_for, alice, team):
    assert_error(api_for(alice).get(f"{API}/teams/?page=7"), 404)


def _queries(callable_):
    with CaptureQueriesContext(connection) as context:
        response = callable_()
    assert response.status_code == 200, response.content
    return len(context.captured_queries)


def test_team_list_query_count_is_constant(api_for, make_team, make_user, alice):
    api = api_for(alice)
    for _ in range(2):
        make_team(admins=[alice], members=[make_user()])
    few = _queries(lambda: api.get(f"{API}/teams/"))
    for _ in range(18):
        make_team(members=[alice, make_user(), make_user()])
    many = _queries(lambda: api.get(f"{API}/teams/"))
    assert api.get(f"{API}/teams/").json()["count"] == 20
    assert few == many


# --- create a team ---------------------------------------------------------------------------


def test_create_team_makes_the_caller_its_admin(api_for, alice):
    response = api_for(alice).post(f"{API}/teams/", {"name": "  Robots  "}, format="json")
    assert response.status_code == 201
    body = response.json()
    team = Team.objects.get(pk=body["id"])
    assert team.name == "Robots"
    assert body["name"] == "Robots"
    assert body["member_count"] == 1
    assert body["is_member"] is True
    assert body["is_admin"] is True
    assert list(team.memberships.values_list("user__username", "is_admin")) == [("alice", True)]


def test_create_team_accepts_form_data(api_for, alice):
    response = api_for(alice).post(f"{API}/teams/", {"name": "Formed"})
    assert response.status_code == 201
    assert Team.objects.filter(name="Formed").exists()


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"name": ""},
        {"name": "   "},
        {"name": "ab"},
        {"name": "x" * 31},
        {"name": None},
        {"name": ["Robots"]},
        {"name": {"text": "Robots"}},
    ],
)
def test_create_team_refuses_bad_names(api_for, alice, payload):
    response = api_for(alice).post(f"{API}/teams/", payload, format="json")
    body = assert_error(response, 400)
    assert "name" in body["errors"]
    assert body["detail"].startswith("name: ")
    assert not Team.objects.exists()
    assert not TeamMembership.objects.exists()


def test_create_team_accepts_the_length_limits(api_for, alice):
    api = api_for(alice)
    assert api.post(f"{API}/teams/", {"name": "abc"}, format="json").status_code == 201
    assert api.post(f"{API}/teams/", {"name": "x" * 30}, format="json").status_code == 201


@pytest.mark.parametrize("name", ["Robots", "ROBOTS", "robots", " robots "])
def test_create_team_refuses_duplicate_names_whatever_the_case(api_for, make_team, bob, carol, name):
    existing = make_team("Robots", admins=[bob])
    response = api_for(carol).post(f"{API}/teams/", {"name": name}, format="json")
    body = assert_error(response, 400)
    assert "already exists" in body["detail"]
    assert "name" in body["errors"]
    assert list(Team.objects.all()) == [existing]
    assert not TeamMembership.objects.filter(user=carol).exists()


def test_create_team_refuses_malformed_json(api_for, alice):
    response = api_for(alice).generic("POST", f"{API}/teams/", '{"name": "Robots"', content_type="application/json")
    body = assert_error(response, 400)
    assert "JSON" in body["detail"]
    assert not Team.objects.exists()


def test_create_team_refuses_an_unknown_media_type(api_for, alice):
    response = api_for(alice).generic("POST", f"{API}/teams/", "name=Robots", content_type="text/plain")
    assert_error(response, 415)
    assert not Team.objects.exists()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_team_list_refuses_other_methods(api_for, alice, method):
    body = assert_error(getattr(api_for(alice), method)(f"{API}/teams/", {}, format="json"), 405)
    assert method.upper() in body["detail"]


# --- one team ---------------------------------------------------------------------------------


def test_any_logged_in_user_reads_a_team(api_for, team, alice, carol):
    outsider = api_for(carol).get(team_url(team))
    assert outsider.status_code == 200
    assert outsider.json() == {
        "id": team.pk,
        "name": "Robots",
        "created": outsider.json()["created"],
        "member_count": 2,
        "is_member": False,
        "is_admin": False,
    }
    admin = api_for(alice).get(team_url(team)).json()
    assert admin["is_member"] is True
    assert admin["is_admin"] is True


@pytest.mark.parametrize("suffix", ["", "members/", "member-candidates/?q=a"])
def test_unknown_team_is_404(api_for, alice, suffix):
    body = assert_error(api_for(alice).get(f"{API}/teams/987654/{suffix}"), 404)
    assert "detail" in body


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("get", "members/"),
        ("post", "members/"),
        ("get", "member-candidates/?q=a"),
        ("patch", "members/1/"),
        ("delete", "members/1/"),
    ],
)
def test_non_numeric_team_id_is_404(api_for, alice, method, suffix):
    response = getattr(api_for(alice), method)(
        f"{API}/teams/abc/{suffix}", {"username": "bob", "is_admin": True}, format="json"
    )
    assert_error(response, 404)


@pytest.mark.parametrize("method", ["put", "patch", "delete", "post"])
def test_team_detail_refuses_changes(api_for, team, alice, method):
    body = assert_error(getattr(api_for(alice), method)(team_url(team), {"name": "Renamed"}, format="json"), 405)
    assert method.upper() in body["detail"]
    team.refresh_from_db()
    assert team.name == "Robots"


# --- members list -----------------------------------------------------------------------------


def test_members_list_best_points_first(api_for, make_user, make_team, carol):
    low = make_user("low")
    high = make_user("high")
    high.points = 30
    high.save()
    team = make_team("Pointy", admins=[low], members=[high])
    response = api_for(carol).get(team_url(team, "members/"))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert body["next"] is None
    assert body["previous"] is None
    first, second = body["results"]
    assert first["user"] == {"id": high.pk, "username": "high", "points": 30}
    assert first["is_admin"] is False
    assert first["joined"]
    assert second["user"] == {"id": low.pk, "username": "low", "points": 0}
    assert second["is_admin"] is True


def test_members_list_is_paginated(api_for, make_user, make_team, alice):
    team = make_team("Big", admins=[alice], members=[make_user(f"m{number}") for number in range(4)])
    api = api_for(alice)
    first = api.get(team_url(team, "members/?page_size=3")).json()
    assert first["count"] == 5
    assert len(first["results"]) == 3
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 2
    names = {entry["user"]["username"] for entry in first["results"] + second["results"]}
    assert names == {"alice", "m0", "m1", "m2", "m3"}


def test_members_list_query_count_is_constant(api_for, make_user, make_team, carol):
    team = make_team("Counted", admins=[make_user()], members=[make_user()])
    api = api_for(carol)
    few = _queries(lambda: api.get(team_url(team, "members/")))
    for _ in range(18):
        TeamMembership.objects.create(team=team, user=make_user())
    many = _queries(lambda: api.get(team_url(team, "members/")))
    assert api.get(team_url(team, "members/")).json()["count"] == 20
    assert few == many


# --- add a member -----------------------------------------------------------------------------


def test_admin_adds_a_member_by_username(api_for, team, alice, carol):
    response = api_for(alice).post(team_url(team, "members/"), {"username": "CAROL "}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["user"]["id"] == carol.pk
    assert body["user"]["username"] == "carol"
    assert body["is_admin"] is False
    assert membership(team, carol).is_admin is False


@pytest.mark.parametrize("who", ["bob", "carol"])
def test_members_and_outsiders_cannot_add_members(api_for, make_user, team, bob, carol, who):
    newcomer = make_user("newcomer")
    actor = {"bob": bob, "carol": carol}[who]
    response = api_for(actor).post(team_url(team, "members/"), {"username": "newcomer"}, format="json")
    body = assert_error(response, 403)
    assert "admin" in body["detail"]
    assert membership(team, newcomer) is None
    assert membership(team, carol) is None


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"username": "nobody"}, "There is no user named"),
        ({"username": "bob"}, "already a member"),
        ({"username": ""}, "username"),
        ({}, "username"),
        ({"username": "x" * 151}, "username"),
    ],
)
def test_add_member_refuses_bad_usernames(api_for, team, alice, payload, message):
    response = api_for(alice).post(team_url(team, "members/"), payload, format="json")
    body = assert_error(response, 400)
    assert message in body["detail"]
    assert "username" in body["errors"]
    assert team.memberships.count() == 2


def test_add_member_refuses_inactive_users(api_for, make_user, team, alice):
    make_user("sleeper", is_active=False)
    body = assert_error(api_for(alice).post(team_url(team, "members/"), {"username": "sleeper"}, format="json"), 400)
    assert "no user named" in body["detail"]
    assert team.memberships.count() == 2


def test_add_member_refuses_malformed_json(api_for, team, alice):
    response = api_for(alice).generic("POST", team_url(team, "members/"), "{username:", content_type="application/json")
    assert_error(response, 400)
    assert team.memberships.count() == 2


# --- grant and revoke admin rights --------------------------------------------------------


def test_admin_grants_admin_rights(api_for, team, alice, bob):
    response = api_for(alice).patch(member_url(team, bob), {"is_admin": True}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["id"] == bob.pk
    assert body["is_admin"] is True
    assert membership(team, bob).is_admin is True


def test_admin_revokes_another_admins_rights(api_for, make_team, alice, bob):
    team = make_team("Two admins", admins=[alice, bob])
    response = api_for(alice).patch(member_url(team, bob), {"is_admin": False}, format="json")
    assert response.status_code == 200
    assert response.json()["is_admin"] is False
    assert membership(team, bob).is_admin is False
    assert membership(team, alice).is_admin is True


def test_nobody_revokes_their_own_admin_rights(api_for, make_team, alice, bob):
    team = make_team("Two admins", admins=[alice, bob])
    body = assert_error(api_for(alice).patch(member_url(team, alice), {"is_admin": False}, format="json"), 400)
    assert "your own" in body["detail"]
    assert membership(team, alice).is_admin is True


def test_member_cannot_grant_while_the_team_has_an_admin(api_for, make_user, team, bob):
    dave = make_user("dave")
    TeamMembership.objects.create(team=team, user=dave)
    for target in (bob, dave):
        assert_error(api_for(bob).patch(member_url(team, target), {"is_admin": True}, format="json"), 403)
    assert membership(team, bob).is_admin is False
    assert membership(team, dave).is_admin is False


def test_member_cannot_revoke(api_for, team, alice, bob):
    assert_error(api_for(bob).patch(member_url(team, alice), {"is_admin": False}, format="json"), 403)
    assert membership(team, alice).is_admin is True


def test_outsider_cannot_grant_or_revoke(api_for, make_team, team, alice, bob, carol):
    assert_error(api_for(carol).patch(member_url(team, bob), {"is_admin": True}, format="json"), 403)
    assert_error(api_for(carol).patch(member_url(team, alice), {"is_admin": False}, format="json"), 403)
    assert_error(api_for(carol).patch(member_url(team, carol), {"is_admin": True}, format="json"), 403)
    # Not even of a team without any admin.
    leaderless = make_team("Leaderless", members=[bob])
    assert_error(api_for(carol).patch(member_url(leaderless, carol), {"is_admin": True}, format="json"), 403)
    assert membership(team, bob).is_admin is False
    assert membership(team, alice).is_admin is True
    assert membership(team, carol) is None
    assert membership(leaderless, carol) is None


def test_member_claims_admin_rights_of_a_team_without_admin(api_for, make_team, bob, carol):
    team = make_team("Leaderless", members=[bob, carol])
    response = api_for(bob).patch(member_url(team, bob), {"is_admin": True}, format="json")
    assert response.status_code == 200
    assert membership(team, bob).is_admin is True
    # Now the team has an admin, carol may no longer claim.
    assert_error(api_for(carol).patch(member_url(team, carol), {"is_admin": True}, format="json"), 403)
    assert membership(team, carol).is_admin is False


def test_grant_to_a_non_member_is_400(api_for, team, alice, carol):
    body = assert_error(api_for(alice).patch(member_url(team, carol), {"is_admin": True}, format="json"), 400)
    assert "not a member" in body["detail"]
    assert membership(team, carol) is None


def test_grant_to_an_unknown_user_is_404(api_for, team, alice):
    response = api_for(alice).patch(f"{API}/teams/{team.pk}/members/987654/", {"is_admin": True}, format="json")
    assert_error(response, 404)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"is_admin": None},
        {"is_admin": "yes please"},
        {"is_admin": "true"},
        {"is_admin": "false"},
        {"is_admin": 1},
        {"is_admin": []},
    ],
)
def test_is_admin_must_be_a_boolean(api_for, team, alice, bob, payload):
    body = assert_error(api_for(alice).patch(member_url(team, bob), payload, format="json"), 400)
    assert "is_admin" in body["errors"]
    assert membership(team, bob).is_admin is False


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("on", True), ("false", False)])
def test_is_admin_from_form_data(api_for, make_team, alice, bob, value, expected):
    # Form-encoded bodies (the browsable API, curl -F) have no booleans, only strings.
    team = make_team("Form", admins=[alice], members=[bob])
    TeamMembership.objects.filter(team=team, user=bob).update(is_admin=not expected)
    response = api_for(alice).patch(member_url(team, bob), {"is_admin": value}, format="multipart")
    assert response.status_code == 200, response.content
    assert membership(team, bob).is_admin is expected


def test_patch_refuses_malformed_json(api_for, team, alice, bob):
    response = api_for(alice).generic(
        "PATCH", member_url(team, bob), "{is_admin: true}", content_type="application/json"
    )
    assert_error(response, 400)
    assert membership(team, bob).is_admin is False


@pytest.mark.parametrize("method", ["get", "put", "post"])
def test_member_detail_refuses_other_methods(api_for, team, alice, bob, method):
    body = assert_error(getattr(api_for(alice), method)(member_url(team, bob), {"is_admin": True}, format="json"), 405)
    assert method.upper() in body["detail"]
    assert membership(team, bob).is_admin is False


# --- leave and remove -----------------------------------------------------------------------


def test_member_leaves(api_for, team, alice, bob):
    response = api_for(bob).delete(member_url(team, bob))
    assert response.status_code == 204
    assert not response.content
    assert membership(team, bob) is None
    assert membership(team, alice) is not None


def test_admin_removes_a_member(api_for, team, alice, bob):
    assert api_for(alice).delete(member_url(team, bob)).status_code == 204
    assert membership(team, bob) is None
    assert Team.objects.filter(pk=team.pk).exists()


def test_admin_removes_another_admin(api_for, make_team, alice, bob):
    team = make_team("Two admins", admins=[alice, bob])
    assert api_for(alice).delete(member_url(team, bob)).status_code == 204
    assert membership(team, bob) is None


def test_member_cannot_remove_others(api_for, make_user, team, alice, bob):
    dave = make_user("dave")
    TeamMembership.objects.create(team=team, user=dave)
    for target in (alice, dave):
        body = assert_error(api_for(bob).delete(member_url(team, target)), 403)
        assert "admin" in body["detail"]
    assert team.memberships.count() == 3


def test_outsider_cannot_remove_members(api_for, team, alice, bob, carol):
    assert_error(api_for(carol).delete(member_url(team, bob)), 403)
    assert team.memberships.count() == 2


def test_removing_a_non_member_is_400(api_for, team, alice, carol):
    body = assert_error(api_for(alice).delete(member_url(team, carol)), 400)
    assert "not a member" in body["detail"]
    # Errors that belong to no field use DRF's key, not Django's "__all__".
    assert body["errors"] == {"non_field_errors": ["carol is not a member of Robots."]}
    # Leaving a team you are not in is the same.
    assert_error(api_for(carol).delete(member_url(team, carol)), 400)
    assert team.memberships.count() == 2


def test_removing_an_unknown_user_is_404(api_for, team, alice):
    assert_error(api_for(alice).delete(f"{API}/teams/{team.pk}/members/987654/"), 404)
    assert team.memberships.count() == 2


def test_last_member_leaving_dissolves_the_team(api_for, team, alice, bob):
    assert api_for(bob).delete(member_url(team, bob)).status_code == 204
    assert Team.objects.filter(pk=team.pk).exists()
    assert api_for(alice).delete(member_url(team, alice)).status_code == 204
    assert not Team.objects.filter(pk=team.pk).exists()
    assert not TeamMembership.objects.filter(team_id=team.pk).exists()
    assert_error(api_for(alice).get(team_url(team)), 404)
    # The name is free again.
    assert api_for(bob).post(f"{API}/teams/", {"name": "robots"}, format="json").status_code == 201


def test_last_admin_leaving_lets_a_member_claim(api_for, team, alice, bob):
    assert api_for(alice).delete(member_url(team, alice)).status_code == 204
    assert api_for(bob).patch(member_url(team, bob), {"is_admin": True}, format="json").status_code == 200
    assert membership(team, bob).is_admin is True


# --- member candidates ---------------------------------------------------------------------


def candidates(api, team, query):
    return api.get(team_url(team, "member-candidates/"), {"q": query} if query is not None else {})


def test_candidates_prefix_matches_first_then_substring(api_for, make_user, team, alice):
    for name in ("xbob", "Bobby", "bobcat", "robert", "abobo"):
        make_user(name)
    response = candidates(api_for(alice), team, "bob")
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "bob"
    # bob himself is a member already; prefix matches by name, then the others by name.
    assert body["suggestions"] == ["Bobby", "bobcat", "abobo", "xbob"]


def test_candidates_are_case_insensitive_and_trimmed(api_for, make_user, team, alice):
    make_user("Zora")
    body = candidates(api_for(alice), team, "  zO ").json()
    assert body == {"query": "zO", "suggestions": ["Zora"]}


def test_candidates_exclude_members_and_inactive_users(api_for, make_user, make_team, alice, bob):
    team = make_team("Lab", admins=[alice], members=[make_user("labmember")])
    make_user("labsleeper", is_active=False)
    make_user("labnewbie")
    body = candidates(api_for(alice), team, "lab").json()
    assert body["suggestions"] == ["labnewbie"]
    assert candidates(api_for(alice), team, "ali").json()["suggestions"] == []


@override_settings(AUTOCOMPLETE_LIMIT=4)
def test_candidates_are_limited(api_for, make_user, team, alice):
    for number in range(3):
        make_user(f"xuser{number}")
    for number in range(6):
        make_user(f"user{number}x")
    body = candidates(api_for(alice), team, "user").json()
    # Prefix matches fill the limit; the "xuser…" names, which only contain the query, are left out.
    assert body["suggestions"] == ["user0x", "user1x", "user2x", "user3x"]
    body = candidates(api_for(alice), team, "x").json()
    assert len(body["suggestions"]) == 4
    assert body["suggestions"][:3] == ["xuser0", "xuser1", "xuser2"]


def test_candidates_use_the_default_limit(api_for, make_user, team, alice, settings):
    for number in range(settings.AUTOCOMPLETE_LIMIT + 5):
        make_user(f"many{number:02d}")
    body = candidates(api_for(alice), team, "many").json()
    assert len(body["suggestions"]) == settings.AUTOCOMPLETE_LIMIT


def test_candidates_are_not_paginated(api_for, make_user, team, alice):
    make_user("pageless")
    body = candidates(api_for(alice), team, "pageless").json()
    assert set(body) == {"query", "suggestions"}


@pytest.mark.parametrize("who", ["bob", "carol"])
def test_candidates_only_for_admins(api_for, make_user, team, bob, carol, who):
    make_user("target")
    body = assert_error(candidates(api_for({"bob": bob, "carol": carol}[who]), team, "tar"), 403)
    assert "admin" in body["detail"]
    assert "target" not in json.dumps(body)


@pytest.mark.parametrize("query", [None, "", "   "])
def test_candidates_need_a_query(api_for, team, alice, query):
    body = assert_error(candidates(api_for(alice), team, query), 400)
    assert "q" in body["errors"]


def test_candidates_refuse_overlong_queries(api_for, team, alice):
    body = assert_error(candidates(api_for(alice), team, "x" * 151), 400)
    assert "q" in body["errors"]


def test_candidates_refuse_writes(api_for, team, alice):
    assert_error(api_for(alice).post(team_url(team, "member-candidates/?q=a"), {}, format="json"), 405)


# --- error format ---------------------------------------------------------------------------


def test_unknown_api_url_is_404(api_for, alice):
    response = api_for(alice).get(f"{API}/no-such-thing/")
    assert response.status_code == 404
