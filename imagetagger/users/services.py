"""State changes for users, teams and API tokens. Each function is one transaction.

They raise ``PermissionDenied`` when the actor may not do the thing and ``ValidationError`` for bad
input, so the HTML views and the API views can share them and never disagree.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .models import ApiToken, Team, TeamMembership, hash_api_key
from .permissions import team_permissions

User = get_user_model()


def _lock_team(team):
    """Re-read the team under a row lock so that membership changes on it are serialised."""
    try:
        return Team.objects.select_for_update().get(pk=team.pk)
    except Team.DoesNotExist:
        raise ValidationError("This team no longer exists.", code="gone") from None


def _require(user, team, permission, message):
    if permission not in team_permissions(user, team):
        raise PermissionDenied(message)


@transaction.atomic
def create_team(*, creator, name):
    """Create a team; its creator becomes its first admin."""
    team = Team(name=(name or "").strip())
    # The case-insensitive unique constraint is checked here so that it is reported on the field.
    team.full_clean(validate_constraints=False)
    if Team.objects.filter(name__iexact=team.name).exists():
        raise ValidationError({"name": "A team with this name already exists."})
    try:
        with transaction.atomic():
            team.save()
    except IntegrityError:
        raise ValidationError({"name": "A team with this name already exists."}) from None
    TeamMembership.objects.create(team=team, user=creator, is_admin=True)
    return team


def find_user_by_username(username):
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": "Enter a username."})
    user = User.objects.filter(username__iexact=username, is_active=True).first()
    if user is None:
        raise ValidationError({"username": f"There is no user named “{username}”."})
    return user


@transaction.atomic
def add_member(*, actor, team, username):
    """Add the user called ``username`` to ``team`` as a plain member (team admins only)."""
    team = _lock_team(team)
    _require(actor, team, "user_management", "Only team admins may add members.")
    user = find_user_by_username(username)
    if team.memberships.filter(user=user).exists():
        raise ValidationError({"username": f"{user.username} is already a member of {team.name}."})
    return TeamMembership.objects.create(team=team, user=user)


@dataclass(frozen=True)
class Removal:
    team_deleted: bool


@transaction.atomic
def remove_member(*, actor, team, user):
    """``actor`` leaves ``team`` (``user == actor``) or, as an admin, removes ``user`` from it.

    When the last member goes, the team is dissolved in the same transaction.
    """
    team = _lock_team(team)
    if actor.pk != user.pk:
        _require(actor, team, "user_management", "Only team admins may remove other members.")
    membership = team.memberships.filter(user=user).first()
    if membership is None:
        raise ValidationError(f"{user.username} is not a member of {team.name}.")
    membership.delete()
    if not team.memberships.exists():
        dissolve_team(team)
        return Removal(team_deleted=True)
    return Removal(team_deleted=False)


def dissolve_team(team):
    """Delete a team that has no members left, setting its image sets free first (they become
    public, collaborative and locked, owned by no team). Its unused annotation types are deleted;
    used ones become inactive site types, so that the labels in the freed sets keep their type.
    Call inside a transaction that holds the team's lock."""
    from annotations.types import release_team_types
    from images.services import release_team_sets

    release_team_sets(team)
    release_team_types(team)
    team.delete()


@transaction.atomic
def grant_admin(*, actor, team, user):
    """Make ``user`` an admin. Admins may do this; so may any member while the team has no admin."""
    team = _lock_team(team)
    permissions = team_permissions(actor, team)
    if not permissions & {"user_management", "claim_admin"}:
        raise PermissionDenied("Only team admins may grant admin rights.")
    membership = team.memberships.filter(user=user).first()
    if membership is None:
        raise ValidationError(f"{user.username} is not a member of {team.name}.")
    membership.is_admin = True
    membership.save(update_fields=["is_admin"])
    return membership


@transaction.atomic
def revoke_admin(*, actor, team, user):
    """Take admin rights from another admin. Nobody may revoke their own."""
    team = _lock_team(team)
    _require(actor, team, "user_management", "Only team admins may revoke admin rights.")
    if actor.pk == user.pk:
        raise ValidationError("You cannot revoke your own admin rights.")
    membership = team.memberships.filter(user=user).first()
    if membership is None:
        raise ValidationError(f"{user.username} is not a member of {team.name}.")
    membership.is_admin = False
    membership.save(update_fields=["is_admin"])
    return membership


@transaction.atomic
def delete_account(*, user):
    """Delete ``user``. Their labels and sets stay, shown as made by a deleted user; teams they
    were the last member of are dissolved."""
    for team in Team.objects.filter(memberships__user=user):
        remove_member(actor=user, team=team, user=user)
    user.delete()


@transaction.atomic
def create_api_token(*, user, name):
    """Make a token for ``user``; returns ``(token, key)``. The key is not stored and shown once."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the token a name, e.g. the script that uses it."})
    if len(name) > ApiToken._meta.get_field("name").max_length:
        raise ValidationError({"name": "Use at most 100 characters."})
    key = ApiToken.generate_key()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[: ApiToken.PREFIX_LENGTH],
        digest=hash_api_key(key),
    )
    return token, key


@transaction.atomic
def revoke_api_token(*, user, token_id):
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    if not deleted:
        raise ValidationError("This token does not exist (any more).")


def touch_api_token(token):
    """Record when a token was last used, at most once a minute per token."""
    now = timezone.now()
    if token.last_used is None or (now - token.last_used).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now


class SetupClosed(Exception):
    """The first administrator exists already."""


@transaction.atomic
def create_first_admin(*, username, email, password):
    """Create the site's first user as staff and superuser; refused once any user exists."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Serialise concurrent first-start requests (SQLite does so by its IMMEDIATE transactions).
            cursor.execute("LOCK TABLE users_user IN EXCLUSIVE MODE")
    if User.objects.exists():
        raise SetupClosed()
    return User.objects.create_superuser(username=username, email=email, password=password)
