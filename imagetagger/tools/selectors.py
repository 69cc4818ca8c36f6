"""Reads for the tools exchange, each a fixed number of queries."""

from users.models import Team, TeamMembership

from .models import Tool
from .permissions import tool_permissions


def tools_visible_to(user):
    """Tools ``user`` may read, by name, with team and creator (one query)."""
    return Tool.objects.visible_to(user).select_related("team", "creator")


def memberships_by_team(user):
    """``{team_id: membership}`` of every team ``user`` belongs to, for ``tool_permissions`` (one query)."""
    if not user.is_authenticated:
        return {}
    return {m.team_id: m for m in TeamMembership.objects.filter(user=user)}


def tools_with_permissions(user):
    """``[(tool, rights)]`` of every tool ``user`` may read: two queries, whatever their number."""
    memberships = memberships_by_team(user)
    return [
        (tool, tool_permissions(user, tool, membership=memberships.get(tool.team_id)))
        for tool in tools_visible_to(user)
    ]


def teams_for_tool(user, tool=None):
    """Teams ``user`` may give a tool to: their own teams, plus the tool's current team (kept as it is)."""
    teams = Team.objects.filter(memberships__user=user)
    if tool is not None and tool.team_id is not None:
        teams = Team.objects.filter(pk__in=teams.values("pk")) | Team.objects.filter(pk=tool.team_id)
    return teams.distinct().order_by("name", "id")
