"""Team messages and site-wide announcements, with a per-user read state.

One table for both kinds (``Message.kind``):

- a **team message** belongs to a team (``team`` set) and is written by one of its admins; its
  ``audience`` is ``all`` (every member of the team) or ``admins`` (the team's admins only);
- an **announcement** belongs to no team and is written by staff; its ``audience`` is ``all``
  (every user), ``admins`` (users who administer at least one team) or ``staff``.

A message is shown from ``start_time`` (inclusive) until ``expire_time`` (exclusive), which must be
after the start. ``MessageRead`` holds one row per message a user has read (when they read it).

For importers of the original ImageTagger's data: ``TeamMessage.admins_only`` maps to
``audience="admins"``; ``GlobalMessage.staff_only`` to ``audience="staff"`` (it wins over
``team_admins_only``), ``team_admins_only`` alone to ``audience="admins"``; ``read_by`` to
``MessageRead`` rows (``read_at`` unknown: use the import time).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

TITLE_MAX_LENGTH = 100
CONTENT_MAX_LENGTH = 5000


class Kind(models.TextChoices):
    TEAM = "team", "Team message"
    ANNOUNCEMENT = "announcement", "Announcement"


class Audience(models.TextChoices):
    ALL = "all", "Everyone"
    ADMINS = "admins", "Team admins only"
    STAFF = "staff", "Staff only"


class MessageQuerySet(models.QuerySet):
    def in_range(self, now=None):
        """Messages being shown now: started, not yet expired."""
        now = now or timezone.now()
        return self.filter(start_time__lte=now, expire_time__gt=now)

    def out_of_range(self, now=None):
        """Messages not shown now: not started yet, or expired."""
        now = now or timezone.now()
        return self.filter(Q(start_time__gt=now) | Q(expire_time__lte=now))


class Message(models.Model):
    kind = models.CharField(max_length=16, choices=Kind.choices)
    team = models.ForeignKey("users.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="messages")
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.ALL)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    content = models.TextField(validators=[MaxLengthValidator(CONTENT_MAX_LENGTH)])
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="sent_messages"
    )
    created = models.DateTimeField(auto_now_add=True)
    start_time = models.DateTimeField()
    expire_time = models.DateTimeField()
    readers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="MessageRead", related_name="read_messages", blank=True
    )

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-start_time", "-id"]
        indexes = [
            # Lists and the unread count look for a user's teams' messages that have not expired yet,
            # and for announcements that have not expired yet.
            models.Index(fields=["team", "expire_time"], name="tagger_msg_team_expire"),
            models.Index(fields=["kind", "expire_time"], name="tagger_msg_kind_expire"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expire_time__gt=models.F("start_time")),
                name="tagger_msg_expire_after_start",
                violation_error_message="The expiry must be after the start.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=Kind.TEAM, team__isnull=False, audience__in=[Audience.ALL, Audience.ADMINS])
                    | Q(kind=Kind.ANNOUNCEMENT, team__isnull=True)
                ),
                name="tagger_msg_kind_consistent",
                violation_error_message=(
                    "A team message needs a team and is for all members or the admins; an announcement has no team."
                ),
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_team_message(self):
        return self.kind == Kind.TEAM

    def is_in_range(self, now=None):
        now = now or timezone.now()
        return self.start_time <= now < self.expire_time

    def clean(self):
        super().clean()
        if self.start_time and self.expire_time and self.expire_time <= self.start_time:
            raise ValidationError({"expire_time": "The expiry must be after the start."})
        if self.kind == Kind.TEAM:
            if self.team_id is None:
                raise ValidationError({"team": "Choose the team the message is for."})
            if self.audience == Audience.STAFF:
                raise ValidationError({"audience": "A team message is for all members or the team's admins."})
        elif self.kind == Kind.ANNOUNCEMENT and self.team_id is not None:
            raise ValidationError({"team": "An announcement belongs to no team."})


class MessageRead(models.Model):
    """``user`` has read ``message`` (at ``read_at``)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_reads")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Also the index of the "is it read?" lookups (message, user).
            models.UniqueConstraint(fields=["message", "user"], name="tagger_msg_read_unique"),
        ]

    def __str__(self):
        return f"{self.user} read {self.message}"
