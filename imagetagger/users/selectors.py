"""Reads for users and teams, each a fixed number of queries."""

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Lower

from .models import Team, TeamMembership

User = get_user_model()


def teams_of(user):
    """The teams ``user`` belongs to, by name, each with ``is_admin`` and ``member_count``."""
    # Filtered by a subquery: a filter on the memberships join would also limit the Count to the
    # user's own membership (every team would have one member).
    return (
        Team.objects.filter(Exists(TeamMembership.objects.filter(team=OuterRef("pk"), user=user)))
        .annotate(
            is_admin=Exists(TeamMembership.objects.filter(team=OuterRef("pk"), user=user, is_admin=True)),
            member_count=Count("memberships", distinct=True),
        )
        .order_by(Lower("name"), "id")
    )


def team_with_counts(team_queryset=None):
    return (team_queryset or Team.objects.all()).annotate(
        member_count=Count("memberships", distinct=True),
        admin_count=Count("memberships", filter=Q(memberships__is_admin=True), distinct=True),
    )


def team_members(team):
    """Memberships of ``team`` with their users, best points first."""
    return team.memberships.select_related("user").order_by("-user__points", Lower("user__username"), "id")


def member_candidates(team, query, limit):
    """Active users who are not in ``team`` and whose name matches ``query``: prefix matches first."""
    query = (query or "").strip()
    if not query:
        return []
    outsiders = User.objects.filter(is_active=True).exclude(team_memberships__team=team)
    by_name = Lower("username")
    prefix = list(
        outsiders.filter(username__istartswith=query).order_by(by_name).values_list("username", flat=True)[:limit]
    )
    if len(prefix) < limit:
        prefix += list(
            outsiders.filter(username__icontains=query)
            .exclude(username__istartswith=query)
            .order_by(by_name)
            .values_list("username", flat=True)[: limit - len(prefix)]
        )
    return prefix


EXPLORE_PER_PAGE = 25


def explore_teams(query=""):
    """Teams whose name contains ``query``, by name then id (a stable order for paging), each with
    ``member_count``."""
    teams = Team.objects.all()
    query = (query or "").strip()
    if query:
        teams = teams.filter(name__icontains=query)
    return teams.annotate(member_count=Count("memberships")).order_by(Lower("name"), "id")


def explore_users(query=""):
    """Active users whose username contains ``query``: most points first, then by name and id (stable)."""
    users = User.objects.filter(is_active=True)
    query = (query or "").strip()
    if query:
        users = users.filter(username__icontains=query)
    return users.only("id", "username", "points").order_by("-points", Lower("username"), "id")
