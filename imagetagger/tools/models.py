"""The tools exchange (reference spec §1.4 and §9): helper scripts and utilities shared by users and teams.

A tool's file lives in Django's default storage under a name generated for it
(``<IT_TOOLS_PATH>/<uuid4>/<sanitised original name>``), never under the name the uploader chose, so
one tool can never overwrite another's file. The name shown and sent on download is ``filename``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.urls import reverse

from users.models import Team, TeamMembership

NAME_MAX_LENGTH = 100
FILENAME_MAX_LENGTH = 255
# Checked by the form and the API (the column itself is unbounded).
DESCRIPTION_MAX_LENGTH = 10000


class ToolQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Tools ``user`` may read: their own, their teams', public ones; staff see all; anonymous nothing."""
        if user is None or not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        mine = TeamMembership.objects.filter(team_id=OuterRef("team_id"), user=user)
        return self.filter(Q(public=True) | Q(creator=user) | Exists(mine))


class Tool(models.Model):
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    description = models.TextField(blank=True)
    # A deleted team leaves its tools to their creators (and public ones to everybody).
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="tools")
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="tools"
    )
    public = models.BooleanField(default=False, help_text="Every logged-in user can see and download a public tool.")
    file = models.CharField(max_length=FILENAME_MAX_LENGTH + 100, unique=True, help_text="Name in the storage.")
    filename = models.CharField(max_length=FILENAME_MAX_LENGTH, help_text="The uploaded file's name.")
    size = models.BigIntegerField()
    content_type = models.CharField(max_length=100)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ToolQuerySet.as_manager()

    class Meta:
        ordering = [Lower("name"), "id"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("tools:overview") + f"#tool-{self.pk}"
