"""message_permissions: every rule, allowed and refused."""

import pytest
from django.contrib.auth.models import AnonymousUser

from tagger_messages.models import Audience
from tagger_messages.permissions import memberships_of, message_permissions
from users.models import TeamMembership

from .conftest import expired, future

NOTHING = frozenset()
READ = frozenset({"read"})
READ_DELETE = frozenset({"read", "delete"})
DELETE = frozenset({"delete"})


@pytest.fixture
def team_message(people, make_message):
    return make_message(team=people.team, creator=people.ada)


def test_team_message_members_read_outsiders_do_not(people, team_message):
    assert message_permissions(people.bob, team_message) == READ
    assert message_permissions(people.otto, team_message) == NOTHING
    assert message_permissions(people.carl, team_message) == NOTHING  # admin of another team
    assert message_permissions(AnonymousUser(), team_message) == NOTHING


def test_team_message_creator_and_team_admins_delete_members_do_not(people, make_user, team_message):
    second_admin = make_user("eve")
    TeamMembership.objects.create(team=people.team, user=second_admin, is_admin=True)
    assert message_permissions(people.ada, team_message) == READ_DELETE
    assert message_permissions(second_admin, team_message) == READ_DELETE
    assert "delete" not in message_permissions(people.bob, team_message)


def test_staff_delete_any_team_message_but_do_not_read_other_teams_messages(people, team_message):
    assert message_permissions(people.sam, team_message) == DELETE


def test_admins_only_team_message_is_for_the_admins(people, make_message):
    message = make_message(team=people.team, creator=people.ada, audience=Audience.ADMINS)
    assert message_permissions(people.ada, message) == READ_DELETE
    assert message_permissions(people.bob, message) == NOTHING
    TeamMembership.objects.filter(user=people.bob).update(is_admin=True)
    assert message_permissions(people.bob, message) == READ_DELETE


def test_leaving_the_team_hides_its_messages(people, team_message):
    assert message_permissions(people.bob, team_message) == READ
    TeamMembership.objects.filter(user=people.bob).delete()
    assert message_permissions(people.bob, team_message) == NOTHING


@pytest.mark.parametrize("when", [expired, future])
def test_out_of_range_team_message_only_for_its_creator_and_staff_delete(people, make_message, when):
    message = make_message(team=people.team, creator=people.ada, **when())
    assert message_permissions(people.ada, message) == READ_DELETE
    assert message_permissions(people.bob, message) == NOTHING
    assert message_permissions(people.sam, message) == DELETE


def test_creator_who_left_the_team_keeps_reading_and_deleting(people, team_message):
    TeamMembership.objects.filter(user=people.ada).delete()
    assert message_permissions(people.ada, team_message) == READ_DELETE


def test_announcement_for_everyone(people, make_message):
    message = make_message(creator=people.sam)
    for user in (people.ada, people.bob, people.otto, people.carl):
        assert message_permissions(user, message) == READ
    assert message_permissions(people.sam, message) == READ_DELETE
    assert message_permissions(AnonymousUser(), message) == NOTHING


def test_announcement_for_team_admins(people, make_message):
    message = make_message(creator=people.sam, audience=Audience.ADMINS)
    assert message_permissions(people.ada, message) == READ
    assert message_permissions(people.carl, message) == READ
    assert message_permissions(people.bob, message) == NOTHING
    assert message_permissions(people.otto, message) == NOTHING


def test_announcement_for_staff(people, make_message, make_user):
    message = make_message(creator=people.sam, audience=Audience.STAFF)
    other_staff = make_user("stella", is_staff=True)
    assert message_permissions(other_staff, message) == READ_DELETE
    assert message_permissions(people.ada, message) == NOTHING
    assert message_permissions(people.bob, message) == NOTHING


def test_announcements_are_deleted_by_their_creator_and_staff_only(people, make_message, make_user):
    other_staff = make_user("stella", is_staff=True)
    message = make_message(creator=other_staff)
    assert "delete" in message_permissions(people.sam, message)
    assert "delete" in message_permissions(other_staff, message)
    assert "delete" not in message_permissions(people.ada, message)


@pytest.mark.parametrize("when", [expired, future])
def test_hidden_announcements_only_for_staff(people, make_message, when):
    message = make_message(creator=people.sam, **when())
    assert message_permissions(people.sam, message) == READ_DELETE
    assert message_permissions(people.ada, message) == NOTHING


def test_start_is_inclusive_expiry_exclusive(people, make_message):
    message = make_message(team=people.team, creator=people.ada)
    assert message_permissions(people.bob, message, now=message.start_time) == READ
    assert message_permissions(people.bob, message, now=message.expire_time) == NOTHING


def test_preloaded_memberships_give_the_same_answers_without_queries(people, make_message, django_assert_num_queries):
    messages = [
        make_message(team=people.team, creator=people.ada),
        make_message(team=people.team, creator=people.ada, audience=Audience.ADMINS),
        make_message(team=people.other_team, creator=people.carl),
        make_message(creator=people.sam, audience=Audience.ADMINS),
        make_message(creator=people.sam, audience=Audience.STAFF),
    ]
    for user in (people.ada, people.bob, people.carl, people.otto, people.sam):
        expected = [message_permissions(user, m) for m in messages]
        memberships = memberships_of(user)
        with django_assert_num_queries(0):
            assert [message_permissions(user, m, memberships=memberships) for m in messages] == expected
