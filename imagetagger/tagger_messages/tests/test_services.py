"""Services and selectors: sending, reading, deleting, the unread count."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tagger_messages import selectors, services
from tagger_messages.models import Audience, Kind, Message, MessageRead
from users.models import TeamMembership

from .conftest import expired, future


def _times(days=7):
    now = timezone.now()
    return {"start_time": now, "expire_time": now + timedelta(days=days)}


def _send(people, sender=None, team=None, **fields):
    fields = {"title": "Meeting", "content": "Tomorrow at 10.", **_times(), **fields}
    return services.send_team_message(sender=sender or people.ada, team=team or people.team, **fields)


def _is_read(user, message):
    return MessageRead.objects.filter(user=user, message=message).exists()


# --- sending ---


def test_team_admin_sends_a_team_message_read_by_themselves(people):
    message = _send(people, admins_only=True)
    assert (message.kind, message.team, message.audience, message.creator) == (
        Kind.TEAM,
        people.team,
        Audience.ADMINS,
        people.ada,
    )
    assert _is_read(people.ada, message)
    assert not _is_read(people.bob, message)


@pytest.mark.parametrize("sender", ["bob", "otto", "carl", "sam"])
def test_only_admins_of_the_team_send_team_messages(people, sender):
    with pytest.raises(PermissionDenied):
        _send(people, sender=getattr(people, sender))
    assert not Message.objects.exists()


def test_a_team_message_needs_a_team(people):
    with pytest.raises(ValidationError) as error:
        services.send_team_message(sender=people.ada, team=None, title="x", content="y", **_times())
    assert "team" in error.value.message_dict


@pytest.mark.parametrize("days", [0, -1])
def test_expiry_must_be_after_start(people, days):
    with pytest.raises(ValidationError) as error:
        _send(people, **_times(days=days))
    assert error.value.message_dict["expire_time"] == ["The expiry must be after the start."]
    assert not Message.objects.exists()


def test_database_refuses_expiry_before_start(people):
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(
            kind=Kind.ANNOUNCEMENT, title="t", content="c", start_time=now, expire_time=now - timedelta(seconds=1)
        )


def test_database_refuses_a_team_message_without_team(people):
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(kind=Kind.TEAM, title="t", content="c", **_times())


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", ""), ("title", "   "), ("title", "x" * 101), ("content", ""), ("content", "x" * 5001)],
)
def test_bad_title_or_content_is_refused_with_its_field(people, field, value):
    with pytest.raises(ValidationError) as error:
        _send(people, **{field: value})
    assert field in error.value.message_dict
    assert not Message.objects.exists()


@pytest.mark.parametrize("audience", [Audience.ALL, Audience.ADMINS, Audience.STAFF])
def test_staff_send_announcements(people, audience):
    message = services.send_announcement(
        sender=people.sam, title="Down", content="Maintenance", audience=audience, **_times()
    )
    assert (message.kind, message.team, message.audience) == (Kind.ANNOUNCEMENT, None, audience)
    assert _is_read(people.sam, message)


@pytest.mark.parametrize("sender", ["ada", "bob", "otto"])
def test_non_staff_cannot_send_announcements(people, sender):
    with pytest.raises(PermissionDenied):
        services.send_announcement(sender=getattr(people, sender), title="x", content="y", **_times())
    assert not Message.objects.exists()


def test_announcement_with_unknown_audience_is_refused(people):
    with pytest.raises(ValidationError) as error:
        services.send_announcement(sender=people.sam, title="x", content="y", audience="everybody", **_times())
    assert "audience" in error.value.message_dict


# --- reading ---


def test_mark_read_is_idempotent(people, make_message):
    message = make_message(team=people.team, creator=people.ada)
    services.mark_read(user=people.bob, message=message)
    first = MessageRead.objects.get(user=people.bob, message=message).read_at
    services.mark_read(user=people.bob, message=message)
    assert MessageRead.objects.get(user=people.bob, message=message).read_at == first


@pytest.mark.parametrize("reader", ["otto", "carl", "sam"])
def test_mark_read_refuses_messages_the_user_cannot_see(people, make_message, reader):
    message = make_message(team=people.team, creator=people.ada)
    with pytest.raises(PermissionDenied):
        services.mark_read(user=getattr(people, reader), message=message)
    assert not MessageRead.objects.exists()


def test_mark_read_refuses_messages_not_shown_now(people, make_message):
    message = make_message(team=people.team, creator=people.ada, **future())
    with pytest.raises(PermissionDenied):
        services.mark_read(user=people.bob, message=message)


@pytest.fixture
def mailbox(people, make_message):
    """For bob: two unread team messages, one announcement, plus messages he must never get."""
    return {
        "team": [make_message(team=people.team, creator=people.ada) for _ in range(2)],
        "announcement": [make_message(creator=people.sam)],
        "not_for_bob": [
            make_message(team=people.team, creator=people.ada, audience=Audience.ADMINS),
            make_message(team=people.other_team, creator=people.carl),
            make_message(creator=people.sam, audience=Audience.ADMINS),
            make_message(creator=people.sam, audience=Audience.STAFF),
            make_message(team=people.team, creator=people.ada, **expired()),
            make_message(team=people.team, creator=people.ada, **future()),
            make_message(creator=people.sam, **expired()),
        ],
    }


@pytest.mark.parametrize(("kind", "marked"), [(Kind.TEAM, "team"), (Kind.ANNOUNCEMENT, "announcement"), (None, None)])
def test_mark_all_read_marks_one_kind_or_both(people, mailbox, kind, marked):
    expected = mailbox[marked] if marked else mailbox["team"] + mailbox["announcement"]
    assert services.mark_all_read(user=people.bob, kind=kind) == len(expected)
    assert set(MessageRead.objects.filter(user=people.bob).values_list("message_id", flat=True)) == {
        m.pk for m in expected
    }
    assert services.mark_all_read(user=people.bob, kind=kind) == 0


def test_mark_all_read_survives_rows_inserted_meanwhile(people, mailbox):
    """Another request marked one of them between the read of the ids and the insert."""
    ids = [m.pk for m in mailbox["team"]]
    services.mark_read(user=people.bob, message=mailbox["team"][0])
    with mock.patch.object(selectors, "unread_ids", return_value=ids):
        assert services.mark_all_read(user=people.bob, kind=Kind.TEAM) == 2
    assert MessageRead.objects.filter(user=people.bob).count() == 2


def test_mark_all_read_refuses_an_unknown_kind(people):
    with pytest.raises(ValidationError) as error:
        services.mark_all_read(user=people.bob, kind="letters")
    assert "kind" in error.value.message_dict


# --- deleting ---


@pytest.mark.parametrize("actor", ["ada", "sam"])
def test_creator_team_admin_and_staff_delete_team_messages(people, make_message, make_user, actor):
    message = make_message(team=people.team, creator=make_user("former"))
    TeamMembership.objects.create(team=people.team, user=message.creator, is_admin=True)
    services.delete_message(actor=getattr(people, actor), message=message)
    assert not Message.objects.filter(pk=message.pk).exists()


@pytest.mark.parametrize("actor", ["bob", "otto", "carl"])
def test_others_cannot_delete_team_messages(people, make_message, actor):
    message = make_message(team=people.team, creator=people.ada)
    with pytest.raises(PermissionDenied):
        services.delete_message(actor=getattr(people, actor), message=message)
    assert Message.objects.filter(pk=message.pk).exists()


def test_only_creator_and_staff_delete_announcements(people, make_message):
    message = make_message(creator=people.sam)
    for actor in (people.ada, people.bob):
        with pytest.raises(PermissionDenied):
            services.delete_message(actor=actor, message=message)
    services.delete_message(actor=people.sam, message=message)
    assert not Message.objects.exists()


def test_deleting_the_team_deletes_its_messages_and_deleting_the_creator_keeps_them(people, make_message):
    team_message = make_message(team=people.team, creator=people.ada)
    announcement = make_message(creator=people.sam)
    people.sam.delete()
    announcement.refresh_from_db()
    assert announcement.creator is None
    people.team.delete()
    assert not Message.objects.filter(pk=team_message.pk).exists()


# --- the unread count ---


def test_unread_count_counts_what_the_user_is_shown_and_has_not_read(people, mailbox):
    assert selectors.unread_count(people.bob) == 3
    services.mark_read(user=people.bob, message=mailbox["team"][0])
    assert selectors.unread_count(people.bob) == 2
    services.mark_all_read(user=people.bob)
    assert selectors.unread_count(people.bob) == 0


def test_unread_count_per_audience(people, mailbox):
    # (make_message does not mark a message read for its creator, the services do.)
    # ada: the two team messages, the admins-only one, the announcements for all and for team admins.
    assert selectors.unread_count(people.ada) == 5
    # carl: his team's message, the announcements for all and for team admins.
    assert selectors.unread_count(people.carl) == 3
    # otto: only the announcement for everybody.
    assert selectors.unread_count(people.otto) == 1
    # sam (staff): every announcement shown now (for all, team admins, staff), no team message.
    assert selectors.unread_count(people.sam) == 3


def test_unread_count_after_leaving_the_team(people, mailbox):
    TeamMembership.objects.filter(user=people.bob).delete()
    assert selectors.unread_count(people.bob) == 1


def test_unread_count_is_one_query_and_stops_at_the_limit(people, make_message, django_assert_num_queries):
    for _ in range(12):
        make_message(team=people.team, creator=people.ada)
    with django_assert_num_queries(1):
        assert selectors.unread_count(people.bob, limit=10) == 10
    with django_assert_num_queries(1):
        assert selectors.unread_count(people.bob) == 12
