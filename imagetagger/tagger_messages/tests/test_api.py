"""REST API of messages: list (unread, kind), read, read-all, create, delete; permissions and errors."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tagger_messages.models import Audience, Kind, Message, MessageRead

from .conftest import expired

URL = "/api/v1/messages/"


def _ids(response):
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def inbox(people, make_message):
    return {
        "team": make_message(team=people.team, creator=people.ada),
        "read": make_message(team=people.team, creator=people.ada),
        "announcement": make_message(creator=people.sam),
        "admins_only": make_message(team=people.team, creator=people.ada, audience=Audience.ADMINS),
        "other_team": make_message(team=people.other_team, creator=people.carl),
        "expired": make_message(team=people.team, creator=people.ada, **expired()),
    }


@pytest.fixture
def bob_read(people, inbox):
    MessageRead.objects.create(user=people.bob, message=inbox["read"])


def test_list_needs_authentication(api_for):
    assert api_for().get(URL).status_code in (401, 403)


def test_list_holds_the_messages_shown_to_the_caller(people, api_for, inbox, bob_read):
    response = api_for(people.bob).get(URL)
    assert response.status_code == 200
    assert _ids(response) == {inbox["team"].pk, inbox["read"].pk, inbox["announcement"].pk}
    row = next(r for r in response.json()["results"] if r["id"] == inbox["team"].pk)
    assert row["kind"] == "team"
    assert row["team_name"] == "Robots"
    assert row["creator"] == "ada"
    assert row["is_read"] is False
    assert row["permissions"] == ["read"]


def test_list_filters_unread_and_kind(people, api_for, inbox, bob_read):
    bob = api_for(people.bob)
    assert _ids(bob.get(URL, {"unread": "true"})) == {inbox["team"].pk, inbox["announcement"].pk}
    assert _ids(bob.get(URL, {"unread": "true", "kind": "announcement"})) == {inbox["announcement"].pk}
    assert _ids(bob.get(URL, {"kind": "team"})) == {inbox["team"].pk, inbox["read"].pk}


@pytest.mark.parametrize(("params", "field"), [({"unread": "maybe"}, "unread"), ({"kind": "letters"}, "kind")])
def test_list_refuses_bad_filters(people, api_for, params, field):
    response = api_for(people.bob).get(URL, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_list_needs_the_same_number_of_queries_for_few_and_many(people, api_for, make_message):
    bob = api_for(people.bob)

    def grow(count):
        for number in range(count):
            message = make_message(team=people.team, creator=people.ada if number % 2 else people.carl)
            make_message(creator=people.sam)
            if number % 2:
                MessageRead.objects.create(user=people.bob, message=message)

    grow(2)
    with CaptureQueriesContext(connection) as few:
        bob.get(URL)
    grow(10)
    with CaptureQueriesContext(connection) as many:
        assert len(bob.get(URL).json()["results"]) == 24
    assert len(many) == len(few)


def test_retrieve_a_visible_message(people, api_for, inbox):
    response = api_for(people.bob).get(f"{URL}{inbox['team'].pk}/")
    assert response.status_code == 200
    assert response.json()["title"] == inbox["team"].title


@pytest.mark.parametrize("message", ["admins_only", "other_team", "expired"])
def test_retrieve_a_message_one_cannot_see_is_404(people, api_for, inbox, message):
    assert api_for(people.bob).get(f"{URL}{inbox[message].pk}/").status_code == 404


@pytest.mark.parametrize("pk", ["999999", "abc", "0", str(2**70)])
def test_unknown_ids_are_404(people, api_for, pk):
    assert api_for(people.bob).get(f"{URL}{pk}/").status_code == 404
    assert api_for(people.bob).post(f"{URL}{pk}/read/").status_code == 404


def test_writer_retrieves_their_hidden_message(people, api_for, inbox):
    assert api_for(people.ada).get(f"{URL}{inbox['expired'].pk}/").status_code == 200


def test_read_marks_the_message_read_idempotently(people, api_for, inbox):
    bob = api_for(people.bob)
    for _ in range(2):
        response = bob.post(f"{URL}{inbox['team'].pk}/read/")
        assert response.status_code == 200
        assert response.json()["is_read"] is True
    assert MessageRead.objects.filter(user=people.bob, message=inbox["team"]).count() == 1


@pytest.mark.parametrize(("user", "message"), [("bob", "admins_only"), ("otto", "team"), ("sam", "team")])
def test_read_refuses_invisible_messages_with_404(people, api_for, inbox, user, message):
    assert api_for(getattr(people, user)).post(f"{URL}{inbox[message].pk}/read/").status_code == 404
    assert not MessageRead.objects.exists()


def test_read_all(people, api_for, inbox):
    bob = api_for(people.bob)
    assert bob.post(f"{URL}read-all/", {"kind": "announcement"}, format="json").json() == {"marked": 1}
    assert bob.post(f"{URL}read-all/", {}, format="json").json() == {"marked": 2}
    assert bob.post(f"{URL}read-all/", {}, format="json").json() == {"marked": 0}
    response = bob.post(f"{URL}read-all/", {"kind": "letters"}, format="json")
    assert response.status_code == 400
    assert "kind" in response.json()["errors"]


def _body(**fields):
    now = timezone.now()
    return {
        "kind": "team",
        "title": "Meeting",
        "content": "At ten.",
        "start_time": now.isoformat(),
        "expire_time": (now + timedelta(days=1)).isoformat(),
        **fields,
    }


def test_team_admin_creates_a_team_message(people, api_for):
    response = api_for(people.ada).post(URL, _body(team=people.team.pk, audience="admins"), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["team"], body["audience"], body["is_read"]) == ("team", people.team.pk, "admins", True)
    assert Message.objects.get().creator == people.ada


@pytest.mark.parametrize("user", ["bob", "carl", "otto", "sam"])
def test_others_cannot_create_team_messages(people, api_for, user):
    response = api_for(getattr(people, user)).post(URL, _body(team=people.team.pk), format="json")
    assert response.status_code == 403
    assert "detail" in response.json()
    assert not Message.objects.exists()


def test_staff_create_announcements_others_cannot(people, api_for):
    body = _body(kind="announcement", audience="staff")
    assert api_for(people.ada).post(URL, body, format="json").status_code == 403
    response = api_for(people.sam).post(URL, body, format="json")
    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["audience"]) == (Kind.ANNOUNCEMENT, Audience.STAFF)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"team": None}, "team"),
        ({"team": 999999}, "team"),
        ({"audience": "staff"}, "audience"),
        ({"kind": "announcement"}, "team"),
        ({"title": ""}, "title"),
        ({"expire_time": "2020-01-01T00:00:00Z"}, "expire_time"),
        ({"start_time": "yesterday"}, "start_time"),
        ({"kind": "memo"}, "kind"),
    ],
)
def test_bad_create_input_says_which_field(people, api_for, fields, field):
    response = api_for(people.ada).post(URL, _body(**{"team": people.team.pk, **fields}), format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Message.objects.exists()


def test_delete(people, api_for, inbox):
    assert api_for(people.bob).delete(f"{URL}{inbox['team'].pk}/").status_code == 403
    assert api_for(people.otto).delete(f"{URL}{inbox['team'].pk}/").status_code == 404
    assert Message.objects.filter(pk=inbox["team"].pk).exists()
    assert api_for(people.ada).delete(f"{URL}{inbox['team'].pk}/").status_code == 204
    assert api_for(people.sam).delete(f"{URL}{inbox['other_team'].pk}/").status_code == 204
    assert not Message.objects.filter(pk__in=[inbox["team"].pk, inbox["other_team"].pk]).exists()
