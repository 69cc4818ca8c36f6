import secrets
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from users.models import Team


class Event(models.TextChoices):
    """The events a webhook may subscribe to (``events.PAYLOADS`` describes what each one sends)."""

    ANNOTATION_CREATED = "annotation.created", "Annotation created"
    ANNOTATION_UPDATED = "annotation.updated", "Annotation updated"
    ANNOTATION_DELETED = "annotation.deleted", "Annotation deleted"
    ANNOTATION_VOTED = "annotation.voted", "Annotation voted on"
    IMAGESET_CHANGED = "imageset.changed", "Image set changed"
    IMAGES_ADDED = "images.added", "Images added"
    EXPORT_FINISHED = "export.finished", "Export finished"
    LABEL_IMPORT_FINISHED = "label_import.finished", "Label import finished"
    PRELABEL_JOB_FINISHED = "prelabel_job.finished", "Pre-label job finished"


# The test event ("Send a test event"): sent to one webhook on request, whatever it subscribed to.
PING = "ping"


def new_secret():
    return secrets.token_urlsafe(32)


class Webhook(models.Model):
    """A team's receiver: ``url`` gets a signed POST (``signing``) for each of its ``events`` that
    happens to the team's data. ``secret`` signs them; it is shown once, when it is made, then only
    its last four characters (``secret_hint``). After ``IT_WEBHOOK_DISABLE_AFTER`` deliveries in a
    row were given up the webhook is disabled (``active`` false, ``disabled_reason`` says why) until
    an admin enables it again."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    secret = models.CharField(max_length=200, default=new_secret)
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=1000, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Deliveries given up in a row (a delivered one resets it).
    failures_in_a_row = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    changed = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["team_id", "id"]
        indexes = [
            # "Does this team have an active webhook?": the annotation services ask it inside their lock statement.
            models.Index(fields=["team"], condition=Q(active=True), name="webhooks_active_by_team"),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self):
        """How pages name it: its description, or else its address's host."""
        return self.description or urlsplit(self.url).netloc or self.url

    @property
    def secret_hint(self):
        """The secret as it may be shown again: its last four characters."""
        return f"••••{self.secret[-4:]}"

    def event_labels(self):
        labels = dict(Event.choices)
        return [labels.get(name, name) for name in self.events]


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Given up"


class Delivery(models.Model):
    """One event for one webhook: written in the transaction that made the event, sent by the worker
    (``delivery``), retried with growing delays until it is delivered or given up.

    ``body`` is the JSON text sent (the same bytes on every attempt); ``uuid`` goes out as
    ``X-ImageTagger-Delivery`` so that receivers can drop a repeat. ``object_key`` names the object
    the event is about: a webhook's deliveries of one object go out in the order they were made
    (a later one waits until the earlier ones are delivered or given up). A worker sending a delivery
    holds it until ``lease_until``; one that died while sending lets the lease run out and another
    worker sends it again (at least once). The last attempt's answer stays for the delivery log."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.CharField(max_length=40)
    object_key = models.CharField(max_length=100)
    body = models.TextField()
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)
    next_attempt = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=64, blank=True)
    last_attempt = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["next_attempt"], condition=Q(state="pending"), name="webhooks_delivery_due"),
            models.Index(
                fields=["webhook", "object_key", "id"], condition=Q(state="pending"), name="webhooks_delivery_order"
            ),
            models.Index(fields=["webhook", "-id"], name="webhooks_delivery_log"),
            models.Index(fields=["finished"], name="webhooks_delivery_finished"),
        ]

    def __str__(self):
        return f"{self.event} → {self.webhook_id} ({self.state})"
