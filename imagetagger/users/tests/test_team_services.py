"""Team services (users/services.py) and the team permission function (users/permissions.py).

Every rule is checked from both sides: the actor who may, and each actor who may not.
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models.signals import pre_delete

from users import services
from users.models import TEAM_NAME_MAX_LENGTH, TEAM_NAME_MIN_LENGTH, Team, TeamMembership
from users.permissions import team_permissions

pytestmark = pytest.mark.django_db

MEMBER = {"read", "create_set", "manage_export_formats", "leave"}
ADMIN = MEMBER | {"user_management", "manage_annotation_types"}


def membership(team, user):
    return TeamMembership.objects.filter(team=team, user=user).first()


def is_admin(team, user):
    found = membership(team, user)
    return found is not None and found.is_admin


# --- create_team ---------------------------------------------------------------------------------


def test_create_team_makes_the_creator_its_only_admin(make_user):
    creator = make_user()

    team = services.create_team(creator=creator, name="  Robots  ")

    assert team.pk is not None
    assert team.name == "Robots"
    memberships = list(team.memberships.all())
    assert [(m.user, m.is_admin) for m in memberships] == [(creator, True)]
    assert team_permissions(creator, team) == ADMIN


@pytest.mark.parametrize("length", [TEAM_NAME_MIN_LENGTH, TEAM_NAME_MAX_LENGTH])
def test_create_team_accepts_names_at_the_length_bounds(make_user, length):
    team = services.create_team(creator=make_user(), name="n" * length)

    assert Team.objects.get(pk=team.pk).name == "n" * length


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "This field cannot be blank."),
        ("   ", "This field cannot be blank."),
        ("\t\n", "This field cannot be blank."),
        (None, "This field cannot be blank."),
        ("ab", "Ensure this value has at least 3 characters (it has 2)."),
        (" ab ", "Ensure this value has at least 3 characters (it has 2)."),
        ("x" * 31, "Ensure this value has at most 30 characters (it has 31)."),
    ],
)
def test_create_team_refuses_bad_names_with_a_clear_error(make_user, name, message):
    creator = make_user()

    with pytest.raises(ValidationError) as raised:
        services.create_team(creator=creator, name=name)

    # One clear message on the name field, not repeated.
    assert raised.value.message_dict == {"name": [message]}
    assert not Team.objects.exists()
    assert not TeamMembership.objects.exists()


@pytest.mark.parametrize("duplicate", ["Robots", "robots", "ROBOTS", "  rObOtS "])
def test_create_team_refuses_a_name_in_use_in_any_case(make_user, duplicate):
    first, second = make_user(), make_user()
    existing = services.create_team(creator=first, name="Robots")

    with pytest.raises(ValidationError) as raised:
        services.create_team(creator=second, name=duplicate)

    assert "A team with this name already exists." in raised.value.messages
    assert list(Team.objects.all()) == [existing]
    assert not TeamMembership.objects.filter(user=second).exists()


def test_a_name_freed_by_a_dissolved_team_can_be_used_again(make_user):
    creator = make_user()
    team = services.create_team(creator=creator, name="Robots")
    services.remove_member(actor=creator, team=team, user=creator)

    again = services.create_team(creator=creator, name="robots")

    assert again.name == "robots"


# --- add_member ----------------------------------------------------------------------------------


def test_admin_adds_a_member_by_username_ignoring_case_and_spaces(people, make_user):
    team, admin, _member, _outsider = people
    carol = make_user("Carol")

    added = services.add_member(actor=admin, team=team, username="  cAROL ")

    assert added.user == carol
    assert added.team == team
    assert added.is_admin is False
    assert team_permissions(carol, team) == MEMBER


def test_member_cannot_add_members(people, make_user):
    team, _admin, member, _outsider = people
    carol = make_user("carol")

    with pytest.raises(PermissionDenied, match="Only team admins may add members."):
        services.add_member(actor=member, team=team, username="carol")

    assert membership(team, carol) is None


def test_outsider_cannot_add_anyone_not_even_themselves(people):
    team, _admin, _member, outsider = people

    with pytest.raises(PermissionDenied):
        services.add_member(actor=outsider, team=team, username=outsider.username)

    assert membership(team, outsider) is None


def test_anonymous_cannot_add_members(people, make_user):
    team, *_ = people
    make_user("carol")

    with pytest.raises(PermissionDenied):
        services.add_member(actor=AnonymousUser(), team=team, username="carol")

    assert team.memberships.count() == 2


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("ghost", "There is no user named “ghost”."),
        ("", "Enter a username."),
        ("   ", "Enter a username."),
        (None, "Enter a username."),
    ],
)
def test_add_member_refuses_unknown_or_empty_usernames(people, username, message):
    team, admin, *_ = people

    with pytest.raises(ValidationError) as raised:
        services.add_member(actor=admin, team=team, username=username)

    assert raised.value.message_dict == {"username": [message]}
    assert team.memberships.count() == 2


def test_add_member_refuses_an_inactive_user_like_an_unknown_one(people, make_user):
    team, admin, *_ = people
    sleeper = make_user("sleeper", is_active=False)

    with pytest.raises(ValidationError) as raised:
        services.add_member(actor=admin, team=team, username="sleeper")

    assert raised.value.message_dict == {"username": ["There is no user named “sleeper”."]}
    assert membership(team, sleeper) is None


@pytest.mark.parametrize("who", ["bob", "BOB", "ada"])
def test_add_member_refuses_someone_already_in_the_team(people, who):
    team, admin, member, _outsider = people

    with pytest.raises(ValidationError, match="is already a member of Robots"):
        services.add_member(actor=admin, team=team, username=who)

    assert team.memberships.count() == 2
    assert is_admin(team, admin)
    assert not is_admin(team, member)


def test_add_member_to_a_team_dissolved_meanwhile_is_refused(people, make_user):
    team, admin, *_ = people
    make_user("carol")
    Team.objects.filter(pk=team.pk).delete()

    with pytest.raises(ValidationError, match="This team no longer exists."):
        services.add_member(actor=admin, team=team, username="carol")

    assert not TeamMembership.objects.exists()


# --- remove_member -------------------------------------------------------------------------------


def test_member_leaves_the_team(people):
    team, admin, member, _outsider = people

    removal = services.remove_member(actor=member, team=team, user=member)

    assert removal == services.Removal(team_deleted=False)
    assert membership(team, member) is None
    assert is_admin(team, admin)


def test_admin_leaving_leaves_the_team_without_admin_so_members_may_claim(people):
    team, admin, member, _outsider = people

    removal = services.remove_member(actor=admin, team=team, user=admin)

    assert removal.team_deleted is False
    assert membership(team, admin) is None
    assert "claim_admin" in team_permissions(member, team)


def test_admin_removes_a_member(people):
    team, admin, member, _outsider = people

    removal = services.remove_member(actor=admin, team=team, user=member)

    assert removal.team_deleted is False
    assert membership(team, member) is None
    assert team_permissions(member, team) == {"read"}


def test_admin_removes_another_admin(people, make_user):
    team, admin, *_ = people
    other_admin = make_user()
    TeamMembership.objects.create(team=team, user=other_admin, is_admin=True)

    services.remove_member(actor=admin, team=team, user=other_admin)

    assert membership(team, other_admin) is None


def test_member_cannot_remove_another_member_or_the_admin(people, make_user):
    team, admin, member, _outsider = people
    carol = make_user()
    TeamMembership.objects.create(team=team, user=carol)

    for victim in (carol, admin):
        with pytest.raises(PermissionDenied, match="Only team admins may remove other members."):
            services.remove_member(actor=member, team=team, user=victim)

    assert team.memberships.count() == 3


def test_outsider_cannot_remove_members(people):
    team, admin, member, outsider = people

    for victim in (member, admin):
        with pytest.raises(PermissionDenied):
            services.remove_member(actor=outsider, team=team, user=victim)

    assert team.memberships.count() == 2


def test_removing_a_non_member_is_refused(people):
    team, admin, _member, outsider = people

    with pytest.raises(ValidationError, match="otto is not a member of Robots."):
        services.remove_member(actor=admin, team=team, user=outsider)

    assert team.memberships.count() == 2


def test_outsider_cannot_leave_a_team_they_are_not_in(people):
    team, _admin, _member, outsider = people

    with pytest.raises(ValidationError, match="otto is not a member of Robots."):
        services.remove_member(actor=outsider, team=team, user=outsider)

    assert Team.objects.filter(pk=team.pk).exists()


def test_last_member_leaving_dissolves_the_team(make_user, make_team):
    alone = make_user()
    team = make_team(admins=[alone])
    other_team = make_team(admins=[make_user()])

    removal = services.remove_member(actor=alone, team=team, user=alone)

    assert removal == services.Removal(team_deleted=True)
    assert not Team.objects.filter(pk=team.pk).exists()
    assert not TeamMembership.objects.filter(team_id=team.pk).exists()
    assert Team.objects.filter(pk=other_team.pk).exists()


def test_last_non_admin_member_leaving_dissolves_the_team_too(make_user, make_team):
    alone = make_user()
    team = make_team(members=[alone])

    assert services.remove_member(actor=alone, team=team, user=alone).team_deleted is True
    assert not Team.objects.filter(pk=team.pk).exists()


class TeamDeletionFailed(Exception):
    pass


def test_leaving_and_dissolving_happen_in_one_transaction(make_user, make_team):
    """When the team cannot be deleted, the last member is not removed either."""
    alone = make_user()
    team = make_team(admins=[alone])

    def refuse(sender, instance, **kwargs):
        raise TeamDeletionFailed()

    pre_delete.connect(refuse, sender=Team, dispatch_uid="test-refuse-team-deletion")
    try:
        with pytest.raises(TeamDeletionFailed):
            services.remove_member(actor=alone, team=team, user=alone)
    finally:
        pre_delete.disconnect(sender=Team, dispatch_uid="test-refuse-team-deletion")

    assert Team.objects.filter(pk=team.pk).exists()
    assert is_admin(team, alone)


# --- grant_admin ---------------------------------------------------------------------------------


def test_admin_grants_admin_rights(people):
    team, admin, member, _outsider = people

    granted = services.grant_admin(actor=admin, team=team, user=member)

    assert granted.is_admin is True
    assert is_admin(team, member)
    assert team_permissions(member, team) == ADMIN


def test_member_cannot_grant_admin_while_the_team_has_an_admin(people, make_user):
    team, _admin, member, _outsider = people
    carol = make_user()
    TeamMembership.objects.create(team=team, user=carol)

    for target in (member, carol):
        with pytest.raises(PermissionDenied, match="Only team admins may grant admin rights."):
            services.grant_admin(actor=member, team=team, user=target)

    assert not is_admin(team, member)
    assert not is_admin(team, carol)


def test_member_claims_admin_for_themselves_when_the_team_has_no_admin(make_user, make_team):
    bob, carol = make_user(), make_user()
    team = make_team(members=[bob, carol])
    assert "claim_admin" in team_permissions(bob, team)

    services.grant_admin(actor=bob, team=team, user=bob)

    assert is_admin(team, bob)
    # Now that the team has an admin, the others can no longer claim.
    assert "claim_admin" not in team_permissions(carol, team)
    with pytest.raises(PermissionDenied):
        services.grant_admin(actor=carol, team=team, user=carol)
    assert not is_admin(team, carol)


def test_member_may_make_another_member_admin_when_the_team_has_no_admin(make_user, make_team):
    bob, carol = make_user(), make_user()
    team = make_team(members=[bob, carol])

    services.grant_admin(actor=bob, team=team, user=carol)

    assert is_admin(team, carol)
    assert not is_admin(team, bob)


def test_outsider_cannot_grant_admin_even_in_a_team_without_admin(make_user, make_team):
    bob, outsider = make_user(), make_user()
    team = make_team(members=[bob])

    for target in (bob, outsider):
        with pytest.raises(PermissionDenied):
            services.grant_admin(actor=outsider, team=team, user=target)

    assert not is_admin(team, bob)
    assert membership(team, outsider) is None


def test_outsider_cannot_grant_admin_in_a_team_with_admin(people):
    team, _admin, member, outsider = people

    with pytest.raises(PermissionDenied):
        services.grant_admin(actor=outsider, team=team, user=member)

    assert not is_admin(team, member)


def test_granting_admin_to_a_non_member_is_refused(people):
    team, admin, _member, outsider = people

    with pytest.raises(ValidationError, match="otto is not a member of Robots."):
        services.grant_admin(actor=admin, team=team, user=outsider)

    assert membership(team, outsider) is None


# --- revoke_admin --------------------------------------------------------------------------------


def test_admin_revokes_another_admin(people, make_user):
    team, admin, *_ = people
    other_admin = make_user()
    TeamMembership.objects.create(team=team, user=other_admin, is_admin=True)

    revoked = services.revoke_admin(actor=admin, team=team, user=other_admin)

    assert revoked.is_admin is False
    assert not is_admin(team, other_admin)
    assert membership(team, other_admin) is not None
    assert team_permissions(other_admin, team) == MEMBER


def test_nobody_can_revoke_their_own_admin_rights(people, make_user):
    team, admin, *_ = people
    other_admin = make_user()
    TeamMembership.objects.create(team=team, user=other_admin, is_admin=True)

    for actor in (admin, other_admin):
        with pytest.raises(ValidationError, match="You cannot revoke your own admin rights."):
            services.revoke_admin(actor=actor, team=team, user=actor)

    assert is_admin(team, admin)
    assert is_admin(team, other_admin)


def test_member_cannot_revoke_admin_rights(people):
    team, admin, member, _outsider = people

    with pytest.raises(PermissionDenied, match="Only team admins may revoke admin rights."):
        services.revoke_admin(actor=member, team=team, user=admin)

    assert is_admin(team, admin)


def test_outsider_cannot_revoke_admin_rights(people):
    team, admin, _member, outsider = people

    with pytest.raises(PermissionDenied):
        services.revoke_admin(actor=outsider, team=team, user=admin)

    assert is_admin(team, admin)


def test_revoking_admin_rights_of_a_non_member_is_refused(people):
    team, admin, _member, outsider = people

    with pytest.raises(ValidationError, match="otto is not a member of Robots."):
        services.revoke_admin(actor=admin, team=team, user=outsider)

    assert membership(team, outsider) is None


# --- team_permissions ----------------------------------------------------------------------------


def test_permissions_of_admin_member_outsider_and_anonymous(people):
    team, admin, member, outsider = people

    assert team_permissions(admin, team) == ADMIN
    assert team_permissions(member, team) == MEMBER
    assert team_permissions(outsider, team) == {"read"}
    assert team_permissions(AnonymousUser(), team) == set()
    assert team_permissions(None, team) == set()


def test_members_may_claim_admin_only_while_the_team_has_no_admin(make_user, make_team):
    bob, outsider = make_user(), make_user()
    team = make_team(members=[bob])

    assert team_permissions(bob, team) == MEMBER | {"claim_admin"}
    assert team_permissions(outsider, team) == {"read"}
    assert team_permissions(AnonymousUser(), team) == set()

    TeamMembership.objects.filter(team=team, user=bob).update(is_admin=True)

    assert team_permissions(bob, team) == ADMIN
    assert "claim_admin" not in team_permissions(bob, team)


def test_preloaded_membership_gives_the_same_answer_without_queries(people, django_assert_num_queries):
    team, admin, member, outsider = people
    loaded = {m.user_id: m for m in team.memberships.all()}

    with django_assert_num_queries(0):
        assert team_permissions(admin, team, membership=loaded[admin.pk], has_admin=True) == ADMIN
        assert team_permissions(member, team, membership=loaded[member.pk], has_admin=True) == MEMBER
        assert team_permissions(member, team, membership=loaded[member.pk], has_admin=False) == MEMBER | {"claim_admin"}
        assert team_permissions(outsider, team, membership=None, has_admin=True) == {"read"}
        assert team_permissions(AnonymousUser(), team, membership=None, has_admin=False) == set()


# --- delete_account ------------------------------------------------------------------------------


def test_delete_account_dissolves_teams_where_the_user_was_alone_and_keeps_the_others(make_user, make_team):
    leaver, stayer = make_user(), make_user()
    alone = make_team("Alone", admins=[leaver])
    shared = make_team("Shared", admins=[leaver], members=[stayer])
    foreign = make_team("Foreign", admins=[stayer])

    services.delete_account(user=leaver)

    assert not type(leaver).objects.filter(pk=leaver.pk).exists()
    assert not TeamMembership.objects.filter(user_id=leaver.pk).exists()
    assert not Team.objects.filter(pk=alone.pk).exists()
    assert set(Team.objects.all()) == {shared, foreign}
    assert [m.user for m in shared.memberships.all()] == [stayer]
    # The shared team lost its only admin: the remaining member may claim it.
    assert "claim_admin" in team_permissions(stayer, shared)
