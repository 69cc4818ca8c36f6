from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from images.models import ImageSet
from users.models import Team


class ModelBackend(models.Model):
    """A team's model server, spoken to with the Label Studio ML backend protocol (``/health``,
    ``/setup``, ``/predict``), so that existing backends (YOLO, SAM, GroundingDINO, …) work unchanged.

    ``label_map`` maps the backend's label names to the team's annotation type ids: results with a
    label it does not map are reported, never guessed. ``auth_header`` (e.g. ``Bearer …``) is sent to
    the backend and never shown back in full (``masked_auth_header``)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="model_backends")
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500, help_text="The backend's base URL, e.g. http://yolo:9090")
    auth_header = models.CharField(max_length=1000, blank=True)
    label_map = models.JSONField(default=dict, blank=True)
    interactive = models.BooleanField(
        default=False, help_text="It answers prompts (a point or a box) with a shape, as SAM backends do."
    )
    model_version = models.CharField(max_length=200, blank=True)
    last_checked = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team_id", Lower("name"), "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "team", name="assist_backend_name_unique_per_team"),
        ]

    def __str__(self):
        return self.name

    @property
    def masked_auth_header(self):
        """The auth header as it may be shown: its scheme and last four characters at most."""
        if not self.auth_header:
            return ""
        scheme, _, secret = self.auth_header.partition(" ")
        if not secret:
            scheme, secret = "", scheme
        tail = secret[-4:] if len(secret) >= 12 else ""
        return f"{scheme} ••••{tail}".strip()


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class PrelabelJob(models.Model):
    """A model backend labelling an image set, in the worker, a batch of images at a time.

    ``after_name``/``after_id`` mark the last image done (the set is walked by name, id), so a job
    whose worker died resumes there; labels carry a uuid made of (backend, model version, image,
    result index), so an image done twice never gets its labels twice. ``report`` lists what was
    refused or failed, per image (at most ``REPORT_MAX`` entries, the totals count all)."""

    REPORT_MAX = 500

    backend = models.ForeignKey(ModelBackend, on_delete=models.CASCADE, related_name="jobs")
    image_set = models.ForeignKey(ImageSet, on_delete=models.CASCADE, related_name="prelabel_jobs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    model_version = models.CharField(max_length=200, blank=True)
    images_total = models.PositiveIntegerField(default=0)
    images_done = models.PositiveIntegerField(default=0)
    labels_made = models.PositiveIntegerField(default=0)
    labels_refused = models.PositiveIntegerField(default=0)
    backend_errors = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    after_name = models.CharField(max_length=255, blank=True)
    after_id = models.BigIntegerField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    heartbeat = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self):
        return f"{self.backend} on {self.image_set} ({self.state})"

    @property
    def percent(self):
        return 100 if self.state == JobState.FINISHED else min(99, self.images_done * 100 // max(self.images_total, 1))

    @property
    def label_model_name(self):
        """The ``model_name`` its labels carry: the backend's name and the model version."""
        return f"{self.backend.name} {self.model_version}".strip()[:100]

    @property
    def active(self):
        return self.state in (JobState.QUEUED, JobState.RUNNING)
