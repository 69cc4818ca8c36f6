"""Explore pages for teams and users, the leaderboards (all time and last 30 days, site-wide and per
team) and the profile's statistics and recent activity."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from annotations import votes
from annotations.models import Verification
from annotations.tests.vote_factories import build_vote_world, label
from users import leaderboards
from users.models import Team

from .html_helpers import assert_login_redirect

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def world(make_user, make_team):
    return build_vote_world(make_user, make_team)


def html_of(response):
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(queries)


def team_names(client, query=""):
    html = html_of(client.get("/users/team/explore/" + query))
    return re.findall(r'<a href="/users/team/\d+/" class="fw-semibold">([^<]*)</a>', html)


def user_rows(client, query=""):
    html = html_of(client.get("/users/user/explore/" + query))
    return [
        (name, int(points))
        for name, points in re.findall(
            r'<a href="/users/user/\d+/" class="fw-semibold">([^<]*)</a></td>\s*<td class="text-end">(\d+)</td>', html
        )
    ]


def board_rows(client, query=""):
    html = html_of(client.get("/users/leaderboard/" + query))
    return [
        (name, int(points))
        for name, points in re.findall(
            r'<a href="/users/user/\d+/">([^<]*)</a>(?:[^<]|<span[^>]*>[^<]*</span>)*</td>\s*'
            r'<td class="text-end">(\d+)</td>',
            html,
        )
    ]


def set_points(**points):
    for username, value in points.items():
        User.objects.filter(username=username).update(points=value)


# --- access -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/users/team/explore/", "/users/user/explore/", "/users/leaderboard/"])
def test_pages_need_login_and_refuse_post(client, client_for, make_user, url):
    assert_login_redirect(client.get(url), url)
    assert client_for(make_user()).post(url).status_code == 405


# --- explore teams ----------------------------------------------------------------------------------


def test_explore_teams_lists_every_team_by_name_with_search(client_for, make_user, make_team):
    ada = make_user("ada")
    make_team("zebras", admins=[ada])
    make_team("Robots", admins=[ada], members=[make_user()])
    make_team("robins", admins=[make_user()])
    client = client_for(make_user())

    assert team_names(client) == ["robins", "Robots", "zebras"]
    assert team_names(client, "?query=ROB") == ["robins", "Robots"]
    assert team_names(client, "?query=nothing") == []
    html = html_of(client.get("/users/team/explore/?query=Robots"))
    assert "2 members" in html
    assert 'value="Robots"' in html
    assert 'aria-current="page" href="/users/team/explore/"' in html


def test_explore_teams_pages_by_25_in_a_stable_order(client_for, make_user, make_team):
    admin = make_user()
    # Same names in other case: only the id decides between them.
    for number in range(30):
        Team.objects.create(name=f"Team{number:02d}")
    client = client_for(admin)
    first, second = team_names(client), team_names(client, "?page=2")
    assert len(first) == 25
    assert len(second) == 5
    assert first + second == [f"Team{n:02d}" for n in range(30)]
    assert team_names(client, "?page=x") == first
    assert 'href="?query=Team&amp;page=2"' in html_of(client.get("/users/team/explore/?query=Team"))


def test_explore_teams_query_count_does_not_grow(client_for, make_user, make_team):
    client = client_for(make_user())
    for number in range(2):
        make_team(f"few{number}", admins=[make_user()])
    few = count_queries(client, "/users/team/explore/")
    for number in range(40):
        make_team(f"many{number}", admins=[make_user()], members=[make_user()])
    assert count_queries(client, "/users/team/explore/") == few


# --- explore users ----------------------------------------------------------------------------------


def test_explore_users_orders_by_points_then_name_and_hides_inactive_users(client_for, make_user):
    make_user("bea"), make_user("Abe"), make_user("cid"), make_user("ghost", is_active=False)
    set_points(bea=5, Abe=5, cid=9, ghost=100)
    viewer = make_user("zed")

    assert user_rows(client_for(viewer)) == [("cid", 9), ("Abe", 5), ("bea", 5), ("zed", 0)]
    assert user_rows(client_for(viewer), "?query=B") == [("Abe", 5), ("bea", 5)]


def test_explore_users_pages_by_25_in_a_stable_order(client_for, make_user):
    for number in range(30):
        make_user(f"u{number:02d}")
    client = client_for(User.objects.get(username="u00"))
    first, second = user_rows(client), user_rows(client, "?page=2")
    assert len(first) == 25
    assert len(second) == 5
    assert [name for name, _ in first + second] == [f"u{n:02d}" for n in range(30)]


def test_explore_users_query_count_does_not_grow(client_for, make_user):
    client = client_for(make_user())
    few = count_queries(client, "/users/user/explore/")
    for _ in range(40):
        make_user()
    assert count_queries(client, "/users/user/explore/") == few


# --- leaderboard maths ------------------------------------------------------------------------------


def vote(voter, annotation, *, accept=True, days_ago=0.0):
    verification = Verification.objects.create(annotation=annotation, user=voter, verified=accept)
    Verification.objects.filter(pk=verification.pk).update(time=timezone.now() - timedelta(days=days_ago))
    return verification


def board(period, team=None):
    return [(user.username, user.leaderboard_points) for user in leaderboards.leaderboard(period, team=team)]


def test_thirty_day_board_counts_accepts_from_others_inside_the_window(world, make_user):
    image = world.image(world.public)
    ada_label, bob_label, cara_label = (label(image, user, world.box) for user in (world.ada, world.bob, world.cara))
    voters = [make_user(f"voter{n}") for n in range(4)]
    vote(voters[0], ada_label, days_ago=29)  # inside
    vote(voters[1], ada_label, days_ago=31)  # too old
    vote(voters[0], bob_label, days_ago=31)  # too old
    vote(voters[1], bob_label, accept=False, days_ago=1)  # a reject counts nothing
    vote(world.cara, cara_label, days_ago=1)  # one's own vote counts nothing
    vote(voters[2], cara_label, days_ago=0)
    vote(voters[3], cara_label, days_ago=2)

    with CaptureQueriesContext(connection) as queries:
        assert board(leaderboards.LAST_30_DAYS) == [("cara", 2), ("ada", 1)]
    assert len(queries) == 1


def test_a_withdrawn_or_changed_vote_leaves_the_thirty_day_board(world):
    ada_label = label(world.image(world.collaborative), world.ada, world.box)
    votes.cast_vote(actor=world.bob, annotation=ada_label, vote=votes.ACCEPT)
    votes.cast_vote(actor=world.otto, annotation=ada_label, vote=votes.ACCEPT)
    assert board(leaderboards.LAST_30_DAYS) == [("ada", 2)]

    votes.withdraw_vote(actor=world.bob, annotation=ada_label)
    assert board(leaderboards.LAST_30_DAYS) == [("ada", 1)]
    votes.cast_vote(actor=world.otto, annotation=ada_label, vote=votes.REJECT)
    assert board(leaderboards.LAST_30_DAYS) == []
    assert board(leaderboards.ALL_TIME) == []


def test_a_vote_changed_to_accept_counts_from_the_time_of_the_change(world):
    ada_label = label(world.image(world.public), world.ada, world.box)
    old = vote(world.bob, ada_label, accept=False, days_ago=40)
    votes.cast_vote(actor=world.bob, annotation=ada_label, vote=votes.ACCEPT)
    old.refresh_from_db()
    assert old.verified
    assert old.time > timezone.now() - timedelta(minutes=1)
    assert board(leaderboards.LAST_30_DAYS) == [("ada", 1)]


def test_team_boards_rank_members_only(world, make_user):
    image = world.image(world.public)
    ada_label, otto_label = label(image, world.ada, world.box), label(image, world.otto, world.box)
    for voter in (world.bob, world.cara):
        vote(voter, ada_label, days_ago=3)
    for voter in (world.bob, world.cara, make_user()):
        vote(voter, otto_label, days_ago=3)
    votes.recompute_points()

    assert board(leaderboards.LAST_30_DAYS) == [("otto", 3), ("ada", 2)]
    assert board(leaderboards.LAST_30_DAYS, team=world.team) == [("ada", 2)]
    assert board(leaderboards.ALL_TIME) == [("otto", 3), ("ada", 2)]
    assert board(leaderboards.ALL_TIME, team=world.team) == [("ada", 2)]


def test_all_time_board_is_points_ties_by_username_and_leaves_out_inactive_users(world, make_user):
    make_user("gone", is_active=False)
    set_points(bob=4, ada=4, cara=7, gone=50)
    assert board(leaderboards.ALL_TIME) == [("cara", 7), ("ada", 4), ("bob", 4)]


def test_unknown_period_is_refused():
    with pytest.raises(ValueError, match="period must be one of"):
        leaderboards.leaderboard("week")


# --- leaderboard page -------------------------------------------------------------------------------


def test_leaderboard_page_shows_periods_and_my_teams(client_for, world, make_team, make_user):
    ada_label = label(world.image(world.public), world.ada, world.box)
    vote(world.otto, ada_label, days_ago=45)
    vote(world.bob, ada_label, days_ago=1)
    votes.recompute_points()
    other = make_team("Strangers", admins=[world.otto])
    client = client_for(world.bob)

    assert board_rows(client) == [("ada", 2)]
    assert board_rows(client, "?period=30d") == [("ada", 1)]
    assert board_rows(client, "?period=nonsense") == [("ada", 2)]
    html = html_of(client.get("/users/leaderboard/"))
    assert f'href="?period=all&amp;team={world.team.pk}">Robots</a>' in html
    assert "Strangers" not in html
    # Any team's board may be looked at (member points are public on team pages).
    assert board_rows(client, f"?team={other.pk}") == []
    assert "Strangers" in html_of(client.get(f"/users/leaderboard/?team={other.pk}"))
    assert board_rows(client, f"?period=30d&team={world.team.pk}") == [("ada", 1)]


@pytest.mark.parametrize("team", ["999999", "x", "-1", "99999999999999999999"])
def test_leaderboard_of_an_unknown_team_is_404(client_for, world, team):
    assert client_for(world.bob).get(f"/users/leaderboard/?team={team}").status_code == 404


def test_leaderboard_page_query_count_does_not_grow(client_for, world, make_user):
    client = client_for(world.bob)
    image = world.image(world.public)

    def grow(count):
        for _ in range(count):
            annotation = label(image, make_user(), world.box)
            vote(world.bob, annotation, days_ago=2)
        votes.recompute_points()

    grow(2)
    few = [count_queries(client, f"/users/leaderboard/?period={p}&team={world.team.pk}") for p in ("all", "30d")]
    few_site = [count_queries(client, f"/users/leaderboard/?period={p}") for p in ("all", "30d")]
    grow(30)
    assert [
        count_queries(client, f"/users/leaderboard/?period={p}&team={world.team.pk}") for p in ("all", "30d")
    ] == few
    assert [count_queries(client, f"/users/leaderboard/?period={p}") for p in ("all", "30d")] == few_site
    assert len(board_rows(client, "?period=30d")) == 32


# --- profile ----------------------------------------------------------------------------------------


def test_profile_shows_points_teams_statistics_and_recent_activity(client_for, world):
    private_label = label(world.image(world.private), world.ada, world.box)
    public_label = label(world.image(world.public), world.ada, world.box)
    vote(world.bob, public_label)
    votes.recompute_points()
    vote(world.ada, label(world.image(world.private), world.bob, world.box))

    html = html_of(client_for(world.ada).get(f"/users/user/{world.ada.pk}/"))
    assert '<strong id="points">1</strong>' in html
    assert f'href="/users/team/{world.team.pk}/">Robots</a> (admin)' in html
    activity = html[html.index('id="recent-annotations"') :]
    assert activity.count(f'href="/images/imageset/{world.private.pk}/"') == 2  # her label, her vote
    assert f'href="/images/imageset/{world.public.pk}/"' in activity
    assert "accepted" in activity

    # An outsider sees only what happened in sets they may read; the teams are public.
    html = html_of(client_for(world.otto).get(f"/users/user/{world.ada.pk}/"))
    assert "Counted in the image sets you may read." in html
    assert f'href="/users/team/{world.team.pk}/">Robots</a>' in html
    activity = html[html.index('id="recent-annotations"') :]
    assert f'href="/images/imageset/{world.private.pk}/"' not in activity
    assert f'href="/images/imageset/{world.public.pk}/"' in activity
    assert private_label.image.name not in activity


def test_profile_query_count_does_not_grow_with_activity(client_for, world, make_user):
    client = client_for(world.otto)
    image = world.image(world.public)

    def grow(count):
        for _ in range(count):
            vote(world.ada, label(image, make_user(), world.box))
            label(image, world.ada, world.box)

    grow(2)
    few = count_queries(client, f"/users/user/{world.ada.pk}/")
    grow(25)
    assert count_queries(client, f"/users/user/{world.ada.pk}/") == few
    html = html_of(client.get(f"/users/user/{world.ada.pk}/"))
    activity = html[html.index('id="recent-annotations"') :]
    assert activity.count("<time ") == 20


# --- leaderboard API --------------------------------------------------------------------------------


def test_leaderboard_api_periods_and_teams(api_for, world, make_team):
    ada_label = label(world.image(world.public), world.ada, world.box)
    otto_label = label(world.image(world.public), world.otto, world.box)
    vote(world.bob, ada_label, days_ago=40)
    vote(world.cara, ada_label, days_ago=1)
    vote(world.bob, otto_label, days_ago=1)
    votes.recompute_points()
    api = api_for(world.bob)

    body = api.get("/api/v1/leaderboard/").json()
    assert body["period"] == "all"
    assert body["team"] is None
    assert body["since"] is None
    assert [(row["rank"], row["username"], row["points"]) for row in body["results"]] == [(1, "ada", 2), (2, "otto", 1)]
    recent = api.get("/api/v1/leaderboard/", {"period": "30d"}).json()
    assert [(row["username"], row["points"]) for row in recent["results"]] == [("ada", 1), ("otto", 1)]
    assert recent["since"] is not None
    team = api.get("/api/v1/leaderboard/", {"period": "30d", "team": world.team.pk}).json()
    assert team["team"] == world.team.pk
    assert [(row["username"], row["points"]) for row in team["results"]] == [("ada", 1)]
    assert body["results"][0]["user"] == world.ada.pk


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [({"period": "week"}, 400, "period"), ({"team": "x"}, 400, "team"), ({"team": "999999"}, 404, None)],
)
def test_leaderboard_api_refuses_bad_input(api_for, world, query, status, field):
    response = api_for(world.bob).get("/api/v1/leaderboard/", query)
    assert response.status_code == status
    body = response.json()
    assert "detail" in body
    if field:
        assert field in body["errors"]


def test_leaderboard_api_needs_authentication(api_for):
    assert api_for().get("/api/v1/leaderboard/").status_code == 401


def test_the_navbar_links_to_the_leaderboard_for_logged_in_users(client, client_for, make_user):
    anonymous = client.get("/")
    assert anonymous.status_code == 200
    assert 'id="leaderboard-link"' not in anonymous.content.decode()
    html = client_for(make_user()).get("/").content.decode()
    assert 'href="/users/leaderboard/" id="leaderboard-link"' in html
