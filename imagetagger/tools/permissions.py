"""Who may do what with a tool. Every HTML view and API endpoint asks ``tool_permissions``.

- ``read`` (see it in the list and its details) and ``download``: its creator, members of its team,
  and every logged-in user when it is public;
- ``edit`` (name, description, public, team, replace the file) and ``delete``: its creator and the
  admins of its team;
- site staff may read, download and delete every tool (moderation), but not edit it.
Anonymous users get nothing. A tool whose team was deleted keeps only its creator (and the public).
"""

from users.models import TeamMembership

READ = frozenset({"read", "download"})
OWNER = READ | {"edit", "delete"}
STAFF = READ | {"delete"}

_UNKNOWN = object()


def tool_permissions(user, tool, *, membership=_UNKNOWN):
    """The set of rights ``user`` holds on ``tool``.

    ``membership`` (the user's membership of the tool's team, or None) may be passed by callers
    that loaded it already, to save a query.
    """
    if user is None or not user.is_authenticated:
        return frozenset()
    if tool.creator_id is not None and tool.creator_id == user.pk:
        return OWNER
    granted = frozenset()
    if tool.team_id is not None:
        if membership is _UNKNOWN:
            membership = TeamMembership.objects.filter(team_id=tool.team_id, user=user).first()
        if membership is not None:
            granted = OWNER if membership.is_admin else READ
    if tool.public:
        granted |= READ
    if user.is_staff:
        granted |= STAFF
    return frozenset(granted)
