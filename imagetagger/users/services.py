"""State changes for users, teams and API tokens. Each function is one transaction.

They raise ``PermissionDenied`` when the actor may not do the thing and ``ValidationError`` for bad
input, so the HTML views and the API views can share them and never disagree.
"""

import logging
import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django_registration.validators import DEFAULT_RESERVED_NAMES

from .models import ApiToken, OidcIdentity, Team, TeamMembership, hash_api_key
from .permissions import team_permissions

User = get_user_model()
logger = logging.getLogger(__name__)


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


# --- single sign-on (users/oidc.py verifies the provider's answer, this decides whose account it is) ---


class SsoRefused(Exception):
    """A verified single sign-on answer that still does not log anyone in; the text says why."""


@dataclass(frozen=True)
class SsoSignIn:
    user: object
    # "known" (the provider's id of the person was linked already), "linked" (to an existing account
    # with the same verified e-mail address) or "created".
    outcome: str


def email_is_verified(claims):
    """The provider vouches for the address: ``email_verified`` true (some providers send the string)."""
    verified = claims.get("email_verified")
    return verified is True or (isinstance(verified, str) and verified.strip().lower() == "true")


@transaction.atomic
def sign_in_with_sso(*, issuer, claims, team_claim=""):
    """The account of the person the provider's verified ``claims`` describe, made or linked on the
    first login; with ``team_claim``, their teams follow that claim (``sync_sso_teams``).

    The link is the provider's ``sub``, so a later login finds the account even when the e-mail
    address changed. A first login links to an existing account only when the provider says the address
    is verified, exactly one active account has it (in any case) and that account has no other
    identity at this provider (addresses get reassigned); otherwise it makes a new account, with the
    address only when it is verified and without a password."""
    subject = str(claims.get("sub") or "")
    if not subject:
        raise SsoRefused("the provider did not say who you are (no 'sub' claim).")
    for _attempt in range(3):
        identity = (
            OidcIdentity.objects.select_for_update()
            .select_related("user")
            .filter(issuer=issuer, subject=subject)
            .first()
        )
        if identity is not None:
            outcome = "known"
            break
        try:
            with transaction.atomic():
                user = _account_to_link(issuer, claims)
                outcome = "linked" if user is not None else "created"
                if user is None:
                    user = _create_sso_account(claims)
                identity = OidcIdentity.objects.create(user=user, issuer=issuer, subject=subject)
            break
        except IntegrityError:  # a parallel first login of the same person, or of the same username
            continue
    else:
        raise SsoRefused("your account could not be set up; please try again.")
    user = identity.user
    if not user.is_active:
        raise SsoRefused(f"the account {user.username} is deactivated.")
    identity.last_login = timezone.now()
    identity.save(update_fields=["last_login"])
    if team_claim and team_claim in claims:
        sync_sso_teams(user, claims[team_claim])
    return SsoSignIn(user=user, outcome=outcome)


def _account_to_link(issuer, claims):
    email = (claims.get("email") or "").strip()
    if not email or not email_is_verified(claims):
        return None
    candidates = list(User.objects.filter(email__iexact=email, is_active=True)[:2])
    if len(candidates) != 1 or candidates[0].oidc_identities.filter(issuer=issuer).exists():
        return None
    return candidates[0]


def _create_sso_account(claims):
    email = (claims.get("email") or "").strip() if email_is_verified(claims) else ""
    user = User(username=sso_username(claims), email=email)
    user.set_unusable_password()
    user.save()
    return user


USERNAME_MAX_LENGTH = 150
_NOT_IN_USERNAMES = re.compile(r"[^\w.@+-]")


def sso_username(claims):
    """A free username for a new account: ``preferred_username`` (its part before an "@"), else the
    e-mail address's local part, else "member"; a number is added when it is taken (in any case) or reserved."""
    base = ""
    for candidate in (claims.get("preferred_username"), claims.get("email")):
        base = _NOT_IN_USERNAMES.sub("", str(candidate or "").split("@")[0])[: USERNAME_MAX_LENGTH - 6]
        if base:
            break
    base = base or "member"
    name, number = base, 1
    while name.casefold() in DEFAULT_RESERVED_NAMES or User.objects.filter(username__iexact=name).exists():
        number += 1
        name = f"{base}{number}"
    return name


def sync_sso_teams(user, value):
    """Make ``user`` a member of the existing teams the team claim names (case-insensitively; a leading
    "/" of a group path is ignored); no team is created. Memberships that an earlier claim made and the
    claim no longer names are taken away, unless the user is the team's last member (the team would
    be dissolved); memberships made on the site are never touched by the claim."""
    names = value if isinstance(value, list | tuple) else [value]
    wanted = {name.strip().lstrip("/").lower() for name in names if isinstance(name, str) and name.strip()}
    teams = {team.pk: team for team in Team.objects.annotate(lower_name=Lower("name")).filter(lower_name__in=wanted)}
    memberships = {membership.team_id: membership for membership in user.team_memberships.all()}
    for team in teams.values():
        if team.pk not in memberships:
            TeamMembership.objects.create(team=_lock_team(team), user=user, granted_by_sso=True)
    for membership in memberships.values():
        if not membership.granted_by_sso or membership.team_id in teams:
            continue
        team = _lock_team(membership.team)
        if team.memberships.exclude(pk=membership.pk).exists():
            membership.delete()
        else:
            logger.info("single sign-on: %s stays in %s, its last member", user.username, team.name)
