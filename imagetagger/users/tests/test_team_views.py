"""HTML pages for teams (users/views.py, users/urls.py): access, bad input and every permission."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from users.models import Team, TeamMembership
from users.tests.html_helpers import assert_login_redirect, flashes

pytestmark = pytest.mark.django_db

HUGE_IDS = [2**31, 2**63, 10**30]


def membership(team, user):
    return TeamMembership.objects.filter(team=team, user=user).first()


def team_urls(team, user):
    t, u = team.pk, user.pk
    return {
        "create": "/users/team/create/",
        "view": f"/users/team/{t}/",
        "add": f"/users/team/{t}/add/",
        "leave": f"/users/team/{t}/leave/{u}/",
        "grant": f"/users/team/{t}/grant_admin/{u}/",
        "revoke": f"/users/team/{t}/revoke_admin/{u}/",
    }


# --- access --------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["create", "view", "add", "leave", "grant", "revoke"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, people, page, method):
    team, _admin, member, _outsider = people
    url = team_urls(team, member)[page]

    response = getattr(client, method)(url)

    assert_login_redirect(response, url)
    assert team.memberships.count() == 2
    assert Team.objects.count() == 1


@pytest.mark.parametrize("page", ["add", "grant", "revoke"])
def test_post_only_pages_answer_get_with_405(client_for, people, page):
    team, admin, member, _outsider = people

    response = client_for(admin).get(team_urls(team, member)[page])

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert not membership(team, member).is_admin


def test_team_page_is_get_only(client_for, people):
    team, admin, *_ = people

    assert client_for(admin).post(f"/users/team/{team.pk}/").status_code == 405


@pytest.mark.parametrize("page", ["create", "leave"])
def test_confirmation_pages_refuse_other_methods(client_for, people, page):
    team, _admin, member, _outsider = people

    response = client_for(member).put(team_urls(team, member)[page])

    assert response.status_code == 405
    assert membership(team, member) is not None


@pytest.mark.parametrize("team_id", [0, 999999, *HUGE_IDS])
def test_unknown_team_ids_answer_404(client_for, people, team_id):
    _team, admin, member, _outsider = people
    client = client_for(admin)

    assert client.get(f"/users/team/{team_id}/").status_code == 404
    assert client.post(f"/users/team/{team_id}/add/", {"username": "otto"}).status_code == 404
    assert client.get(f"/users/team/{team_id}/leave/{member.pk}/").status_code == 404
    assert client.post(f"/users/team/{team_id}/leave/{member.pk}/").status_code == 404
    assert client.post(f"/users/team/{team_id}/grant_admin/{member.pk}/").status_code == 404
    assert client.post(f"/users/team/{team_id}/revoke_admin/{admin.pk}/").status_code == 404
    assert TeamMembership.objects.count() == 2


@pytest.mark.parametrize("user_id", [0, 999999, *HUGE_IDS])
def test_unknown_user_ids_answer_404(client_for, people, user_id):
    team, admin, member, _outsider = people
    client = client_for(admin)

    assert client.get(f"/users/team/{team.pk}/leave/{user_id}/").status_code == 404
    assert client.post(f"/users/team/{team.pk}/leave/{user_id}/").status_code == 404
    assert client.post(f"/users/team/{team.pk}/grant_admin/{user_id}/").status_code == 404
    assert client.post(f"/users/team/{team.pk}/revoke_admin/{user_id}/").status_code == 404
    assert team.memberships.count() == 2
    assert not membership(team, member).is_admin


@pytest.mark.parametrize(
    "path",
    [
        "/users/team/abc/",
        "/users/team/-1/",
        "/users/team/1.5/",
        "/users/team/1/leave/x/",
        "/users/team/%20/add/",
        "/users/team/1/grant_admin/1e3/",
    ],
)
def test_malformed_ids_answer_404(client_for, people, path):
    _team, admin, *_ = people

    assert client_for(admin).get(path).status_code == 404
    assert client_for(admin).post(path).status_code == 404


# --- create --------------------------------------------------------------------------------------


def test_create_page_shows_the_form(client_for, make_user):
    response = client_for(make_user()).get("/users/team/create/")

    assert response.status_code == 200
    assert 'name="name"' in response.content.decode()


def test_creating_a_team_makes_you_its_admin(client_for, make_user):
    creator = make_user()

    response = client_for(creator).post("/users/team/create/", {"name": "Robots"})

    team = Team.objects.get()
    assert team.name == "Robots"
    assert response.status_code == 302
    assert response["Location"] == f"/users/team/{team.pk}/"
    assert membership(team, creator).is_admin
    assert flashes(response) == ["Team Robots created. You are its admin."]


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "This field is required."),
        ("    ", "This field is required."),
        ("ab", "Ensure this value has at least 3 characters (it has 2)."),
        ("x" * 31, "Ensure this value has at most 30 characters (it has 31)."),
        ("x" * 5000, "Ensure this value has at most 30 characters (it has 5000)."),
    ],
)
def test_bad_team_names_give_a_form_error_and_create_nothing(client_for, make_user, name, error):
    response = client_for(make_user()).post("/users/team/create/", {"name": name})

    assert response.status_code == 400
    assert response.context["form"].errors == {"name": [error]}
    assert error in response.content.decode()
    assert not Team.objects.exists()
    assert not TeamMembership.objects.exists()


def test_missing_name_field_gives_a_form_error(client_for, make_user):
    response = client_for(make_user()).post("/users/team/create/", {})

    assert response.status_code == 400
    assert not Team.objects.exists()


@pytest.mark.parametrize("duplicate", ["Robots", "robots", "ROBOTS"])
def test_duplicate_team_name_gives_a_form_error(client_for, people, duplicate):
    _team, _admin, _member, outsider = people

    response = client_for(outsider).post("/users/team/create/", {"name": duplicate})

    assert response.status_code == 400
    assert "A team with this name already exists." in response.content.decode()
    assert Team.objects.count() == 1
    assert not TeamMembership.objects.filter(user=outsider).exists()


# --- team page -----------------------------------------------------------------------------------


def test_admin_sees_the_add_member_form_and_member_actions(client_for, people):
    team, admin, member, _outsider = people

    response = client_for(admin).get(f"/users/team/{team.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert f'action="/users/team/{team.pk}/add/"' in html
    assert f'action="/users/team/{team.pk}/grant_admin/{member.pk}/"' in html
    assert f'href="/users/team/{team.pk}/leave/{member.pk}/"' in html
    assert "I want to become admin" not in html


def test_member_sees_members_but_no_add_form_and_no_actions_on_others(client_for, people):
    team, admin, member, _outsider = people

    response = client_for(member).get(f"/users/team/{team.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-username="ada"' in html
    assert 'data-username="bob"' in html
    assert "/add/" not in html
    assert "Add a member" not in html
    assert "/grant_admin/" not in html
    assert "/revoke_admin/" not in html
    assert f'href="/users/team/{team.pk}/leave/{admin.pk}/"' not in html
    # Only their own "Leave" link.
    assert f'href="/users/team/{team.pk}/leave/{member.pk}/"' in html
    assert "I want to become admin" not in html


def test_outsider_reads_the_team_page_without_any_action(client_for, people):
    team, _admin, _member, outsider = people

    response = client_for(outsider).get(f"/users/team/{team.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-username="ada"' in html
    assert "Add a member" not in html
    assert "/leave/" not in html
    assert "/grant_admin/" not in html
    assert "I want to become admin" not in html


def test_members_of_a_team_without_admin_are_offered_to_become_admin(client_for, make_user, make_team):
    bob, outsider = make_user(), make_user()
    team = make_team(members=[bob, make_user()])

    html = client_for(bob).get(f"/users/team/{team.pk}/").content.decode()
    assert "I want to become admin" in html
    assert f'action="/users/team/{team.pk}/grant_admin/{bob.pk}/"' in html
    assert "Add a member" not in html

    outsider_html = client_for(outsider).get(f"/users/team/{team.pk}/").content.decode()
    assert "I want to become admin" not in outsider_html


def test_team_page_query_count_does_not_grow_with_members(client_for, make_user, make_team):
    admin = make_user()
    small = make_team(admins=[admin], members=[make_user()])
    big = make_team(admins=[admin], members=[make_user() for _ in range(15)])
    client = client_for(admin)
    client.get(f"/users/team/{small.pk}/")  # warm up the session

    with CaptureQueriesContext(connection) as small_queries:
        assert client.get(f"/users/team/{small.pk}/").status_code == 200
    with CaptureQueriesContext(connection) as big_queries:
        assert client.get(f"/users/team/{big.pk}/").status_code == 200

    assert len(big_queries) == len(small_queries)


# --- add member ----------------------------------------------------------------------------------


def test_admin_adds_a_member(client_for, people, make_user):
    team, admin, *_ = people
    carol = make_user("carol")

    response = client_for(admin).post(f"/users/team/{team.pk}/add/", {"username": "Carol"})

    assert response.status_code == 302
    assert response["Location"] == f"/users/team/{team.pk}/"
    assert membership(team, carol) is not None
    assert not membership(team, carol).is_admin
    assert flashes(response) == ["carol is now a member of Robots."]


def test_unknown_username_gives_a_clear_message(client_for, people):
    team, admin, *_ = people

    response = client_for(admin).post(f"/users/team/{team.pk}/add/", {"username": "ghost"}, follow=True)

    assert response.status_code == 200
    assert flashes(response) == ["There is no user named “ghost”."]
    assert "There is no user named “ghost”." in response.content.decode()
    assert team.memberships.count() == 2


@pytest.mark.parametrize("data", [{}, {"username": ""}, {"username": "x" * 151}])
def test_missing_or_overlong_username_gives_a_message(client_for, people, data):
    team, admin, *_ = people

    response = client_for(admin).post(f"/users/team/{team.pk}/add/", data)

    assert response.status_code == 302
    assert flashes(response) == ["Enter the username of the person to add."]
    assert team.memberships.count() == 2


def test_whitespace_username_gives_a_message(client_for, people):
    team, admin, *_ = people

    response = client_for(admin).post(f"/users/team/{team.pk}/add/", {"username": "   "})

    assert response.status_code == 302
    assert flashes(response) == ["Enter the username of the person to add."]
    assert team.memberships.count() == 2


def test_inactive_user_cannot_be_added(client_for, people, make_user):
    team, admin, *_ = people
    sleeper = make_user("sleeper", is_active=False)

    response = client_for(admin).post(f"/users/team/{team.pk}/add/", {"username": "sleeper"})

    assert flashes(response) == ["There is no user named “sleeper”."]
    assert membership(team, sleeper) is None


def test_adding_an_existing_member_gives_a_message(client_for, people):
    team, admin, *_ = people

    response = client_for(admin).post(f"/users/team/{team.pk}/add/", {"username": "bob"})

    assert flashes(response) == ["bob is already a member of Robots."]
    assert team.memberships.count() == 2


@pytest.mark.parametrize("role", ["member", "outsider"])
def test_non_admins_cannot_add_members(client_for, people, make_user, role):
    team, _admin, member, outsider = people
    actor = {"member": member, "outsider": outsider}[role]
    carol = make_user("carol")

    response = client_for(actor).post(f"/users/team/{team.pk}/add/", {"username": "carol"})

    assert response.status_code == 403
    assert membership(team, carol) is None
    assert membership(team, outsider) is None


# --- leave / remove ------------------------------------------------------------------------------


def test_leave_page_asks_for_confirmation_and_changes_nothing(client_for, people):
    team, _admin, member, _outsider = people

    response = client_for(member).get(f"/users/team/{team.pk}/leave/{member.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Leave Robots?" in html
    assert "Leave team" in html
    assert "You are the last member" not in html
    assert membership(team, member) is not None


def test_leave_page_warns_the_last_member(client_for, make_user, make_team):
    alone = make_user()
    team = make_team("Lonely", admins=[alone])

    response = client_for(alone).get(f"/users/team/{team.pk}/leave/{alone.pk}/")

    assert response.status_code == 200
    assert "You are the last member" in response.content.decode()
    assert Team.objects.filter(pk=team.pk).exists()


def test_leave_page_tells_an_admin_they_lose_their_rights(client_for, people):
    team, admin, *_ = people

    response = client_for(admin).get(f"/users/team/{team.pk}/leave/{admin.pk}/")

    assert "You lose your admin rights." in response.content.decode()


def test_member_leaves_by_post(client_for, people):
    team, admin, member, _outsider = people

    response = client_for(member).post(f"/users/team/{team.pk}/leave/{member.pk}/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert flashes(response) == ["You left Robots."]
    assert membership(team, member) is None
    assert membership(team, admin).is_admin


def test_last_member_leaving_dissolves_the_team(client_for, make_user, make_team):
    alone = make_user()
    team = make_team("Lonely", admins=[alone])

    response = client_for(alone).post(f"/users/team/{team.pk}/leave/{alone.pk}/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert flashes(response) == ["You left Lonely. It had no other members and has been dissolved."]
    assert not Team.objects.filter(pk=team.pk).exists()
    # The old page and leave link are now gone.
    assert client_for(alone).get(f"/users/team/{team.pk}/").status_code == 404
    assert client_for(alone).post(f"/users/team/{team.pk}/leave/{alone.pk}/").status_code == 404


def test_admin_gets_a_confirmation_page_then_removes_a_member(client_for, people):
    team, admin, member, _outsider = people
    client = client_for(admin)

    page = client.get(f"/users/team/{team.pk}/leave/{member.pk}/")
    assert page.status_code == 200
    assert "Remove bob from Robots?" in page.content.decode()
    assert membership(team, member) is not None

    response = client.post(f"/users/team/{team.pk}/leave/{member.pk}/")

    assert response.status_code == 302
    assert response["Location"] == f"/users/team/{team.pk}/"
    assert flashes(response) == ["bob was removed from Robots."]
    assert membership(team, member) is None


@pytest.mark.parametrize("role", ["member", "outsider"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_non_admins_cannot_kick(client_for, people, make_user, role, method):
    team, admin, member, outsider = people
    carol = make_user()
    TeamMembership.objects.create(team=team, user=carol)
    actor = {"member": member, "outsider": outsider}[role]

    for victim in (carol, admin):
        response = getattr(client_for(actor), method)(f"/users/team/{team.pk}/leave/{victim.pk}/")
        assert response.status_code == 403

    assert team.memberships.count() == 3


def test_leave_page_for_a_non_member_answers_404(client_for, people):
    team, admin, _member, outsider = people

    assert client_for(outsider).get(f"/users/team/{team.pk}/leave/{outsider.pk}/").status_code == 404
    assert client_for(outsider).post(f"/users/team/{team.pk}/leave/{outsider.pk}/").status_code == 404
    assert client_for(admin).post(f"/users/team/{team.pk}/leave/{outsider.pk}/").status_code == 404


# --- grant / revoke admin ------------------------------------------------------------------------


def test_admin_makes_a_member_admin(client_for, people):
    team, admin, member, _outsider = people

    response = client_for(admin).post(f"/users/team/{team.pk}/grant_admin/{member.pk}/")

    assert response.status_code == 302
    assert response["Location"] == f"/users/team/{team.pk}/"
    assert flashes(response) == ["bob is now an admin of Robots."]
    assert membership(team, member).is_admin


def test_member_cannot_grant_admin_while_there_is_an_admin(client_for, people):
    team, _admin, member, _outsider = people

    response = client_for(member).post(f"/users/team/{team.pk}/grant_admin/{member.pk}/")

    assert response.status_code == 403
    assert not membership(team, member).is_admin


def test_member_claims_admin_in_a_team_without_admin(client_for, make_user, make_team):
    bob, carol = make_user("bob"), make_user("carol")
    team = make_team("Orphans", members=[bob, carol])

    response = client_for(bob).post(f"/users/team/{team.pk}/grant_admin/{bob.pk}/", follow=True)

    assert response.status_code == 200
    assert flashes(response) == ["bob is now an admin of Orphans."]
    assert membership(team, bob).is_admin
    assert not membership(team, carol).is_admin
    # The claim button is gone now; the add form appears.
    html = response.content.decode()
    assert "I want to become admin" not in html
    assert "Add a member" in html


def test_outsider_cannot_grant_admin(client_for, make_user, make_team):
    bob, outsider = make_user(), make_user()
    team = make_team(members=[bob])

    for target in (bob, outsider):
        assert client_for(outsider).post(f"/users/team/{team.pk}/grant_admin/{target.pk}/").status_code == 403

    assert not membership(team, bob).is_admin
    assert membership(team, outsider) is None


def test_granting_admin_to_a_non_member_gives_a_message(client_for, people):
    team, admin, _member, outsider = people

    response = client_for(admin).post(f"/users/team/{team.pk}/grant_admin/{outsider.pk}/")

    assert response.status_code == 302
    assert flashes(response) == ["otto is not a member of Robots."]
    assert membership(team, outsider) is None


def test_admin_revokes_another_admin(client_for, people):
    team, admin, member, _outsider = people
    TeamMembership.objects.filter(team=team, user=member).update(is_admin=True)

    response = client_for(admin).post(f"/users/team/{team.pk}/revoke_admin/{member.pk}/")

    assert response.status_code == 302
    assert flashes(response) == ["bob is no longer an admin of Robots."]
    assert not membership(team, member).is_admin


def test_revoking_your_own_admin_rights_is_refused_with_a_message(client_for, people):
    team, admin, *_ = people

    response = client_for(admin).post(f"/users/team/{team.pk}/revoke_admin/{admin.pk}/")

    assert response.status_code == 302
    assert flashes(response) == ["You cannot revoke your own admin rights."]
    assert membership(team, admin).is_admin


@pytest.mark.parametrize("role", ["member", "outsider"])
def test_non_admins_cannot_revoke_admin(client_for, people, role):
    team, admin, member, outsider = people
    actor = {"member": member, "outsider": outsider}[role]

    response = client_for(actor).post(f"/users/team/{team.pk}/revoke_admin/{admin.pk}/")

    assert response.status_code == 403
    assert membership(team, admin).is_admin
