"""Who may do what with a team's model backend and its pre-label jobs.

- ``read``: see the backend (its name, address, label map; the auth header masked) and its jobs —
  the team's members.
- ``use``: pre-label a set of the team with it (the set's ``annotate`` permission is needed too),
  cancel its jobs — the team's members.
- ``manage``: register, change, check and delete it — the team's admins.
Outsiders hold nothing: the backend answers 404 to them.
"""

from users.permissions import team_permissions

MEMBER = frozenset({"read", "use"})
ADMIN = MEMBER | {"manage"}


def backend_permissions(user, backend, *, team_rights=None):
    """The permission names ``user`` holds on ``backend`` (``team_rights``: their rights on its team,
    when known already)."""
    rights = team_permissions(user, backend.team) if team_rights is None else team_rights
    if "user_management" in rights:
        return ADMIN
    if "create_set" in rights:  # a member
        return MEMBER
    return frozenset()
