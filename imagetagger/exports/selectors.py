"""Reads of export formats (N+1-free)."""

from django.db.models import Exists, OuterRef, Q

from users.models import Team, TeamMembership

from .models import ExportFormat


def formats_usable_by(user):
    """Export formats ``user`` may export with: public ones plus those of the user's teams
    (nothing for anonymous users). Team loaded, ordered by team name then format name."""
    if user is None or not user.is_authenticated:
        return ExportFormat.objects.none()
    mine = TeamMembership.objects.filter(team_id=OuterRef("team_id"), user=user)
    return (
        ExportFormat.objects.filter(Q(public=True) | Exists(mine))
        .select_related("team")
        .order_by("team__name", "name", "id")
    )


def manageable_teams(user):
    """Teams whose export formats ``user`` manages (``manage_export_formats``: members)."""
    if user is None or not user.is_authenticated:
        return Team.objects.none()
    return Team.objects.filter(memberships__user=user).order_by("name").distinct()


def team_formats(team, *, include_private):
    """A team's formats for its page, with their annotation types (two queries)."""
    formats = team.export_formats.prefetch_related("annotation_types")
    if not include_private:
        formats = formats.filter(public=True)
    return formats
