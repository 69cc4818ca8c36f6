"""Message pages and actions: permissions, redirects, the navbar badge, the home page, query counts."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from tagger_messages.models import Audience, Kind, Message, MessageRead
from users.models import TeamMembership

from .conftest import expired, future

OVERVIEW = reverse("tagger_messages:overview")


def flashes(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


TITLE = re.compile(r'id="message-\d+-title">\s*(?:<span[^>]*>New</span>)?([^<]+?)\s*</h3>')


def titles(response):
    return TITLE.findall(response.content.decode())


def _form(**fields):
    now = timezone.localtime()
    return {
        "title": "Meeting",
        "content": "Tomorrow at 10.",
        "start_time": now.strftime("%Y-%m-%dT%H:%M"),
        "expire_time": (now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
        **fields,
    }


# --- login and methods ---


@pytest.mark.parametrize(
    "name", ["overview", "overview_all", "overview_sent", "overview_global", "send_team_message", "send_global_message"]
)
def test_pages_need_login(client, name):
    url = reverse(f"tagger_messages:{name}")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/user/login/?next=")


@pytest.mark.parametrize(
    ("name", "args"),
    [("read_message", [1]), ("read_all_messages", []), ("read_all_announcements", []), ("delete_message", [1])],
)
def test_actions_refuse_get(people, client_for, make_message, name, args):
    response = client_for(people.bob).get(reverse(f"tagger_messages:{name}", args=args))
    assert response.status_code == 405


def test_actions_need_the_csrf_token(people, make_message):
    message = make_message(team=people.team, creator=people.ada)
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.bob)
    response = client.post(reverse("tagger_messages:read_message", args=[message.pk]))
    assert response.status_code == 403
    assert not MessageRead.objects.exists()


# --- overview lists ---


@pytest.fixture
def inbox(people, make_message):
    return {
        "unread": make_message(team=people.team, creator=people.ada, title="unread team message"),
        "read": make_message(team=people.team, creator=people.ada, title="read team message"),
        "announcement": make_message(creator=people.sam, title="announcement for all"),
        "admins_only": make_message(
            team=people.team, creator=people.ada, audience=Audience.ADMINS, title="admins only message"
        ),
        "other_team": make_message(team=people.other_team, creator=people.carl, title="other team message"),
        "expired": make_message(team=people.team, creator=people.ada, title="expired team message", **expired()),
        "future": make_message(team=people.team, creator=people.ada, title="future team message", **future()),
        "hidden_announcement": make_message(creator=people.sam, title="old announcement", **expired()),
    }


@pytest.fixture
def bob_read(people, inbox):
    MessageRead.objects.create(user=people.bob, message=inbox["read"])


def test_unread_lists_unread_messages_shown_now(people, client_for, inbox, bob_read):
    response = client_for(people.bob).get(OVERVIEW)
    assert response.status_code == 200
    assert set(titles(response)) == {"unread team message", "announcement for all"}
    assert "Mark all as read" in response.content.decode()


def test_all_lists_read_and_unread_messages_shown_now(people, client_for, inbox, bob_read):
    response = client_for(people.bob).get(reverse("tagger_messages:overview_all"))
    assert set(titles(response)) == {"unread team message", "read team message", "announcement for all"}


def test_team_admin_sees_admins_only_messages(people, client_for, inbox):
    response = client_for(people.ada).get(reverse("tagger_messages:overview_all"))
    assert "admins only message" in titles(response)
    assert "New message" in response.content.decode()


def test_members_are_not_offered_new_message(people, client_for, inbox):
    page = client_for(people.bob).get(OVERVIEW).content.decode()
    assert 'id="new-message"' not in page
    assert 'id="new-announcement"' not in page
    assert ">Sent</a>" not in page


def test_sent_lists_own_messages_shown_now_and_hidden(people, client_for, inbox):
    ada = client_for(people.ada)
    shown = titles(ada.get(reverse("tagger_messages:overview_sent")))
    assert set(shown) == {"unread team message", "read team message", "admins only message"}
    hidden = ada.get(reverse("tagger_messages:overview_sent_hidden"))
    assert set(titles(hidden)) == {"expired team message", "future team message"}
    assert "not shown:" in hidden.content.decode()
    assert titles(client_for(people.bob).get(reverse("tagger_messages:overview_sent"))) == []


def test_announcements_tab(people, client_for, inbox):
    response = client_for(people.otto).get(reverse("tagger_messages:overview_global"))
    assert titles(response) == ["announcement for all"]
    assert "Hidden (not started or expired)" not in response.content.decode()


def test_hidden_announcements_for_staff_only(people, client_for, inbox):
    url = reverse("tagger_messages:overview_global_hidden")
    response = client_for(people.sam).get(url)
    assert response.status_code == 200
    assert titles(response) == ["old announcement"]
    assert client_for(people.ada).get(url).status_code == 403


def test_lists_are_paginated(people, client_for, make_message, settings):
    settings.MESSAGES_PER_PAGE = 10
    for number in range(12):
        make_message(team=people.team, creator=people.ada, title=f"m{number:02}")
    bob = client_for(people.bob)
    first = bob.get(OVERVIEW)
    assert len(titles(first)) == 10
    assert "Page 1 of 2" in first.content.decode()
    second = bob.get(OVERVIEW + "?page=2")
    assert len(titles(second)) == 2
    assert bob.get(OVERVIEW + "?page=99").status_code == 200  # the last page, not an error


def _grow(people, make_message, count):
    """``count`` messages of every kind from several creators and teams, half of them read by bob."""
    for number in range(count):
        writer = people.ada if number % 2 else people.carl
        TeamMembership.objects.get_or_create(team=people.team, user=people.carl, defaults={"is_admin": True})
        message = make_message(team=people.team, creator=writer)
        make_message(creator=people.sam, audience=[Audience.ALL, Audience.ADMINS, Audience.STAFF][number % 3])
        make_message(team=people.team, creator=writer, **expired())
        make_message(creator=people.sam, **future())
        if number % 2:
            MessageRead.objects.create(user=people.bob, message=message)
            MessageRead.objects.create(user=people.ada, message=message)


@pytest.mark.parametrize(
    ("name", "user"),
    [
        ("overview_unread", "bob"),
        ("overview_all", "bob"),
        ("overview_all", "ada"),
        ("overview_sent", "ada"),
        ("overview_sent_hidden", "ada"),
        ("overview_global", "sam"),
        ("overview_global_hidden", "sam"),
    ],
)
def test_lists_need_the_same_number_of_queries_for_few_and_many_messages(people, client_for, make_message, name, user):
    client = client_for(getattr(people, user))
    url = reverse(f"tagger_messages:{name}")
    _grow(people, make_message, 2)
    client.get(url)  # warm up (session, content types)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _grow(people, make_message, 10)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(titles(response)) >= 4
    assert len(many) == len(few), [q["sql"] for q in many]


# --- the navbar badge and the home page ---


def _badge(response):
    match = re.search(r'id="unread-badge">([^<]*)<', response.content.decode())
    return match and match.group(1)


def test_badge_counts_unread_messages(people, client_for, inbox, bob_read):
    assert _badge(client_for(people.bob).get(reverse("users:team", args=[people.team.pk]))) == "2"


def test_badge_says_9_plus_from_10(people, client_for, make_message):
    bob = client_for(people.bob)
    for _ in range(9):
        make_message(team=people.team, creator=people.ada)
    assert _badge(bob.get(OVERVIEW)) == "9"
    make_message(team=people.team, creator=people.ada)
    assert _badge(bob.get(OVERVIEW)) == "9+"


def test_no_badge_without_unread_messages(people, client_for, inbox):
    assert _badge(client_for(people.otto).get(reverse("tagger_messages:overview_all"))) == "1"
    MessageRead.objects.create(user=people.otto, message=inbox["announcement"])
    assert _badge(client_for(people.otto).get(reverse("tagger_messages:overview_all"))) is None


def _message_queries(queries):
    return [q["sql"] for q in queries if "tagger_messages_message" in q["sql"]]


def test_badge_costs_one_query_and_none_for_anonymous_visitors(people, client_for, inbox, client):
    bob = client_for(people.bob)
    url = reverse("users:team", args=[people.team.pk])
    bob.get(url)
    with CaptureQueriesContext(connection) as queries:
        bob.get(url)
    assert len(_message_queries(queries)) == 1
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("login")).status_code == 200
    assert _message_queries(queries) == []


def test_error_pages_without_a_user_render(client, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert 'id="unread-badge"' not in response.content.decode()


def test_home_page_shows_unread_announcements_until_read(people, client_for, inbox):
    otto = client_for(people.otto)
    page = otto.get("/").content.decode()
    assert 'id="home-announcements"' in page
    assert "announcement for all" in page
    assert "old announcement" not in page
    otto.post(reverse("tagger_messages:read_message", args=[inbox["announcement"].pk]), {"next": "/"})
    assert 'id="home-announcements"' not in otto.get("/").content.decode()


def test_home_page_mark_all_announcements_read(people, client_for, inbox, make_message):
    make_message(creator=people.sam, title="second announcement")
    otto = client_for(people.otto)
    assert "Mark all announcements as read" in otto.get("/").content.decode()
    response = otto.post(reverse("tagger_messages:read_all_announcements"), {"next": "/"})
    assert response["Location"] == "/"
    assert flashes(response) == ["2 announcements marked as read."]
    assert 'id="home-announcements"' not in otto.get("/").content.decode()


# --- reading ---


def test_read_message_marks_it_and_returns_to_next(people, client_for, inbox):
    response = client_for(people.bob).post(
        reverse("tagger_messages:read_message", args=[inbox["unread"].pk]), {"next": "/tagger_messages/overview/all/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/tagger_messages/overview/all/"
    assert MessageRead.objects.filter(user=people.bob, message=inbox["unread"]).exists()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", ""])
def test_unsafe_next_and_the_referer_are_ignored(people, client_for, inbox, target):
    response = client_for(people.bob).post(
        reverse("tagger_messages:read_message", args=[inbox["unread"].pk]),
        {"next": target},
        HTTP_REFERER="https://evil.example/from",
    )
    assert response["Location"] == OVERVIEW


@pytest.mark.parametrize("message", ["other_team", "admins_only", "expired", "future", "hidden_announcement"])
def test_reading_a_message_one_cannot_see_is_404(people, client_for, inbox, message):
    response = client_for(people.bob).post(reverse("tagger_messages:read_message", args=[inbox[message].pk]))
    assert response.status_code == 404
    assert not MessageRead.objects.exists()


def test_reading_an_unknown_message_is_404(people, client_for):
    assert client_for(people.bob).post(reverse("tagger_messages:read_message", args=[999999])).status_code == 404


def test_staff_cannot_mark_other_teams_messages_read(people, client_for, inbox):
    response = client_for(people.sam).post(reverse("tagger_messages:read_message", args=[inbox["unread"].pk]))
    assert response.status_code == 404


def test_mark_all_read_from_the_overview(people, client_for, inbox):
    bob = client_for(people.bob)
    response = bob.post(reverse("tagger_messages:read_all_messages"), {"next": OVERVIEW})
    assert flashes(response) == ["3 messages marked as read."]
    assert set(MessageRead.objects.filter(user=people.bob).values_list("message__title", flat=True)) == {
        "unread team message",
        "read team message",
        "announcement for all",
    }


def test_mark_all_read_of_one_kind(people, client_for, inbox):
    client_for(people.bob).post(reverse("tagger_messages:read_all_messages"), {"kind": Kind.ANNOUNCEMENT})
    assert list(MessageRead.objects.filter(user=people.bob).values_list("message__title", flat=True)) == [
        "announcement for all"
    ]


def test_mark_all_read_of_an_unknown_kind_says_so(people, client_for, inbox):
    response = client_for(people.bob).post(reverse("tagger_messages:read_all_messages"), {"kind": "letters"})
    assert response["Location"] == OVERVIEW
    assert flashes(response) == ["Unknown kind “letters”: use team or announcement."]
    assert not MessageRead.objects.exists()


# --- deleting ---


def test_creator_deletes_a_message(people, client_for, inbox):
    response = client_for(people.ada).post(reverse("tagger_messages:delete_message", args=[inbox["unread"].pk]))
    assert response["Location"] == OVERVIEW
    assert not Message.objects.filter(pk=inbox["unread"].pk).exists()


def test_staff_delete_any_message(people, client_for, inbox):
    client_for(people.sam).post(reverse("tagger_messages:delete_message", args=[inbox["other_team"].pk]))
    assert not Message.objects.filter(pk=inbox["other_team"].pk).exists()


def test_member_who_can_read_but_not_delete_gets_403(people, client_for, inbox):
    response = client_for(people.bob).post(reverse("tagger_messages:delete_message", args=[inbox["unread"].pk]))
    assert response.status_code == 403
    assert Message.objects.filter(pk=inbox["unread"].pk).exists()


def test_deleting_a_message_one_cannot_see_is_404(people, client_for, inbox):
    response = client_for(people.otto).post(reverse("tagger_messages:delete_message", args=[inbox["unread"].pk]))
    assert response.status_code == 404
    assert Message.objects.filter(pk=inbox["unread"].pk).exists()


def test_delete_buttons_only_where_allowed(people, client_for, inbox):
    bob_page = client_for(people.bob).get(reverse("tagger_messages:overview_all")).content.decode()
    assert reverse("tagger_messages:delete_message", args=[inbox["unread"].pk]) not in bob_page
    ada_page = client_for(people.ada).get(reverse("tagger_messages:overview_all")).content.decode()
    assert reverse("tagger_messages:delete_message", args=[inbox["unread"].pk]) in ada_page
    assert reverse("tagger_messages:delete_message", args=[inbox["announcement"].pk]) not in ada_page


# --- writing ---


def test_team_admin_writes_a_message(people, client_for):
    ada = client_for(people.ada)
    form = ada.get(reverse("tagger_messages:send_team_message")).content.decode()
    assert "Robots" in form
    assert "Drones" not in form
    response = ada.post(
        reverse("tagger_messages:send_team_message"), _form(team=people.team.pk, admins_only="on", next=OVERVIEW)
    )
    assert response["Location"] == OVERVIEW
    message = Message.objects.get()
    assert (message.team, message.audience, message.creator, message.title) == (
        people.team,
        Audience.ADMINS,
        people.ada,
        "Meeting",
    )
    assert flashes(response) == ["Message “Meeting” sent to Robots."]


@pytest.mark.parametrize("user", ["bob", "otto", "sam"])
def test_non_admins_cannot_write_team_messages(people, client_for, user):
    client = client_for(getattr(people, user))
    assert client.get(reverse("tagger_messages:send_team_message")).status_code == 403
    assert client.post(reverse("tagger_messages:send_team_message"), _form(team=people.team.pk)).status_code == 403
    assert not Message.objects.exists()


def test_admin_of_another_team_cannot_write_to_this_team(people, client_for):
    response = client_for(people.carl).post(reverse("tagger_messages:send_team_message"), _form(team=people.team.pk))
    assert response.status_code == 400
    assert "You can only write to teams you administer." in response.content.decode()
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"title": ""}, "This field is required."),
        ({"expire_time": "2020-01-01T10:00", "start_time": "2020-01-02T10:00"}, "The expiry must be after the start."),
        ({"expire_time": "2020-01-01T10:00", "start_time": "2020-01-01T10:00"}, "The expiry must be after the start."),
        ({"start_time": "tomorrow"}, "Enter a valid date/time."),
        ({"content": "x" * 5001}, "Ensure this value has at most 5000 characters"),
    ],
)
def test_bad_message_form_says_what_is_wrong(people, client_for, fields, error):
    response = client_for(people.ada).post(
        reverse("tagger_messages:send_team_message"), _form(team=people.team.pk, **fields)
    )
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Message.objects.exists()


def test_staff_write_announcements(people, client_for):
    sam = client_for(people.sam)
    assert sam.get(reverse("tagger_messages:send_global_message")).status_code == 200
    response = sam.post(reverse("tagger_messages:send_global_message"), _form(audience=Audience.STAFF))
    assert response["Location"] == reverse("tagger_messages:overview_global")
    message = Message.objects.get()
    assert (message.kind, message.audience) == (Kind.ANNOUNCEMENT, Audience.STAFF)


@pytest.mark.parametrize("user", ["ada", "bob"])
def test_non_staff_cannot_write_announcements(people, client_for, user):
    client = client_for(getattr(people, user))
    assert client.get(reverse("tagger_messages:send_global_message")).status_code == 403
    assert client.post(reverse("tagger_messages:send_global_message"), _form()).status_code == 403
    assert not Message.objects.exists()


@override_settings(DEFAULT_EXPIRE_TIME=3)
def test_form_defaults_to_now_until_the_default_expiry(people, client_for):
    page = client_for(people.ada).get(reverse("tagger_messages:send_team_message")).content.decode()
    start = re.search(r'name="start_time" value="([^"]+)"', page).group(1)
    expire = re.search(r'name="expire_time" value="([^"]+)"', page).group(1)
    assert start[:10] == timezone.localtime().strftime("%Y-%m-%d")
    assert expire[:10] == (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%d")


def test_form_page_keeps_a_safe_next_and_drops_an_unsafe_one(people, client_for):
    ada = client_for(people.ada)
    url = reverse("tagger_messages:send_team_message")
    page = ada.get(url, {"next": "/users/team/1/"}).content.decode()
    assert 'name="next" value="/users/team/1/"' in page
    assert 'href="/users/team/1/">Cancel' in page
    page = ada.get(url, {"next": "https://evil.example/"}).content.decode()
    assert "evil.example" not in page
    assert f'href="{OVERVIEW}">Cancel' in page
    response = ada.post(url, _form(team=people.team.pk, next="https://evil.example/"))
    assert response["Location"] == reverse("tagger_messages:overview_sent")
