"""Export-format panels for the team page and the set page (``{% load export_formats %}``)."""

from django import template

from users.models import TeamMembership

from ..selectors import formats_usable_by, team_formats

register = template.Library()


@register.inclusion_tag("exports/includes/team_formats_panel.html", takes_context=True)
def team_export_formats(context, team, permissions):
    """The team's formats: all of them with edit/delete for members, the public ones read-only for
    others (two queries whatever the number of formats)."""
    can_manage = "manage_export_formats" in permissions
    return {
        "team": team,
        "can_manage": can_manage,
        "formats": list(team_formats(team, include_private=can_manage)),
        "request": context.get("request"),
    }


@register.inclusion_tag("exports/includes/set_formats_panel.html", takes_context=True)
def set_export_formats(context, image_set):
    """The formats the user may export this set with; theirs editable, with a live preview on it."""
    user = context["request"].user
    my_team_ids = set(TeamMembership.objects.filter(user=user).values_list("team_id", flat=True))
    formats = list(formats_usable_by(user))
    return {
        "image_set": image_set,
        "formats": [(export_format, export_format.team_id in my_team_ids) for export_format in formats],
        "can_create": bool(my_team_ids),
    }
