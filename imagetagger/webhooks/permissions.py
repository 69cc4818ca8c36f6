"""Who may do what with a team's webhooks.

- ``read``: see the team's webhooks (address, events, the secret's last four characters, state) and
  their delivery log — the team's admins.
- ``manage``: register, change, delete, enable, send a test event, make a new secret — the team's admins.

Members hold nothing, like outsiders: webhook addresses often carry a token of the receiving service
(chat and CI hooks do), and the delivery log shows what was sent; both answer 404 to them, as objects
the caller may not read do everywhere on the site.
"""

from users.permissions import team_permissions

ADMIN = frozenset({"read", "manage"})


def webhook_permissions(user, team, *, team_rights=None):
    """The permission names ``user`` holds on the webhooks of ``team`` (``team_rights``: their rights on
    the team, when known already)."""
    rights = team_permissions(user, team) if team_rights is None else team_rights
    return ADMIN if "user_management" in rights else frozenset()
