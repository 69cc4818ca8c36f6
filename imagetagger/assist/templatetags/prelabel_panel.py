"""The set page's pre-label panel (``{% load prelabel_panel %}{% prelabel_panel image_set permissions %}``)."""

from django import template

from ..models import ModelBackend, PrelabelJob

register = template.Library()
RECENT = 5


@register.inclusion_tag("assist/includes/prelabel_panel.html", takes_context=True)
def prelabel_panel(context, image_set, permissions):
    """Pick one of the team's model backends and start; the set's recent jobs with progress, counts,
    report and Cancel (two queries). Shown to members who may annotate, when the team has backends."""
    user = context["request"].user
    member = image_set.team_id is not None and image_set.team.memberships.filter(user_id=user.pk).exists()
    backends = list(ModelBackend.objects.filter(team_id=image_set.team_id)) if member else []
    jobs = list(
        PrelabelJob.objects.filter(image_set=image_set, backend__in=backends).select_related("backend")[:RECENT]
    )
    return {
        "image_set": image_set,
        "backends": backends,
        "may_start": "annotate" in permissions and bool(backends),
        "jobs": jobs,
        "active": any(job.active for job in jobs),
        "csrf_token": context.get("csrf_token"),
    }
