"""Who may do what with a message. Every HTML view and API endpoint asks ``message_permissions``.

Rights:
- ``read``: see the message (and mark it read);
- ``delete``: delete it.

Rules:
- its creator may read and delete it, in range or not (the "Sent" lists);
- a team message is read, while in range, by the members of its team (``audience="admins"``: by
  the team's admins only); the team's admins may also delete it (they keep their team's board tidy).
  Members who leave the team stop seeing it;
- an announcement is read, while in range, by everybody (``all``), by users who administer at least
  one team (``admins``) or by staff (``staff``);
- staff read every announcement, in range or not, and may delete any message.
Anonymous users get nothing. Views answer 404 when the user holds no right at all.
"""

from django.utils import timezone

from users.models import TeamMembership

from .models import Audience, Kind

READ = "read"
DELETE = "delete"

_UNKNOWN = object()


def memberships_of(user):
    """``{team_id: is_admin}`` for every team ``user`` belongs to (one query)."""
    if user is None or not user.is_authenticated:
        return {}
    return dict(TeamMembership.objects.filter(user=user).values_list("team_id", "is_admin"))


def message_permissions(user, message, *, memberships=_UNKNOWN, now=None):
    """The set of rights ``user`` holds on ``message``.

    ``memberships`` (``memberships_of(user)``) may be passed by callers that check many messages,
    so that no check needs a query.
    """
    if user is None or not user.is_authenticated:
        return frozenset()
    rights = set()
    if message.creator_id is not None and message.creator_id == user.pk:
        rights |= {READ, DELETE}
    if user.is_staff:
        rights.add(DELETE)
        if message.kind == Kind.ANNOUNCEMENT:
            rights.add(READ)
    if not message.is_in_range(now or timezone.now()):
        return frozenset(rights)
    if memberships is _UNKNOWN:
        memberships = _memberships_for(user, message)
    if message.kind == Kind.TEAM:
        is_admin = memberships.get(message.team_id)
        if is_admin is not None and (is_admin or message.audience == Audience.ALL):
            rights.add(READ)
        if is_admin:
            rights.add(DELETE)
    elif message.audience == Audience.ALL or (message.audience == Audience.ADMINS and any(memberships.values())):
        rights.add(READ)
    return frozenset(rights)


def _memberships_for(user, message):
    """Just the memberships needed to judge ``message``."""
    memberships = TeamMembership.objects.filter(user=user)
    if message.kind == Kind.TEAM:
        memberships = memberships.filter(team_id=message.team_id)
    elif message.audience == Audience.ADMINS:
        memberships = memberships.filter(is_admin=True)[:1]
    else:
        return {}
    return dict(memberships.values_list("team_id", "is_admin"))


def can_send_team_message(user, team_id, *, memberships=_UNKNOWN):
    """Only admins of the team write its messages."""
    if user is None or not user.is_authenticated:
        return False
    if memberships is _UNKNOWN:
        return TeamMembership.objects.filter(user=user, team_id=team_id, is_admin=True).exists()
    return bool(memberships.get(team_id))


def can_send_announcement(user):
    return user is not None and user.is_authenticated and user.is_staff
