"""Who may do what with a team. Every HTML view and API endpoint asks ``team_permissions``.

Permissions:
- ``read``: see the team page and its member list (every logged-in user).
- ``create_set``, ``manage_export_formats``: members.
- ``user_management``: admins (add, kick, grant and revoke admin).
- ``manage_annotation_types``: admins (the team's label types, their colours and attributes).
- ``leave``: members.
- ``claim_admin``: members of a team that has no admin at all.
"""

from .models import TeamMembership

MEMBER_PERMISSIONS = frozenset({"read", "create_set", "manage_export_formats", "leave"})
ADMIN_PERMISSIONS = MEMBER_PERMISSIONS | {"user_management", "manage_annotation_types"}


_UNKNOWN = object()


def team_permissions(user, team, *, membership=_UNKNOWN, has_admin=None):
    """The set of permission names ``user`` holds on ``team``.

    Callers that already loaded them may pass ``membership`` (the user's membership, or None for
    none) and ``has_admin`` (whether the team has any admin) to save queries.
    """
    if user is None or not user.is_authenticated:
        return frozenset()
    if membership is _UNKNOWN:
        membership = TeamMembership.objects.filter(team=team, user=user).first()
    if membership is None:
        return frozenset({"read"})
    if membership.is_admin:
        return ADMIN_PERMISSIONS
    if has_admin is None:
        has_admin = team.memberships.filter(is_admin=True).exists()
    return MEMBER_PERMISSIONS if has_admin else MEMBER_PERMISSIONS | {"claim_admin"}
