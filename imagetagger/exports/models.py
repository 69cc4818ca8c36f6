from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from annotations.models import AnnotationType
from images.models import ImageSet
from users.models import Team

DEFAULT_VECTOR_FORMAT = "x%%count1: %%x%%bry%%count1: %%y%%br"
DEFAULT_NAME_FORMAT = "export_%%exportid.txt"


class OutputKind(models.TextChoices):
    """What a template format's file is. ``text``: written as the templates say (the original's
    behaviour, with the leading empty line of ``%%content``). The others are checked in the preview and
    change how values are written: ``jsonl`` and ``json`` insert text values JSON-escaped (write the
    quotes in the template), ``csv`` quotes a text value holding a comma, quote or line break; none of
    them starts ``%%content`` with an empty line."""

    TEXT = "text", "Plain text"
    JSON_LINES = "jsonl", "JSON lines (one JSON value per line)"
    JSON = "json", "JSON (one document)"
    CSV = "csv", "CSV"


class ExportFormat(models.Model):
    """A team's text template for exports (reference spec §1.3.4 and §3). Deleted with its team;
    exports made with it keep their files."""

    name = models.CharField(max_length=100)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="export_formats")
    public = models.BooleanField(default=False)
    annotation_types = models.ManyToManyField(AnnotationType, related_name="export_formats")
    # Templates: whitespace matters, forms must not strip them.
    base_format = models.TextField(default="%%content")
    image_format = models.TextField(blank=True)
    annotation_format = models.TextField(blank=True)
    vector_format = models.TextField(default=DEFAULT_VECTOR_FORMAT, blank=True)
    not_in_image_format = models.TextField(blank=True)
    name_format = models.CharField(max_length=200, default=DEFAULT_NAME_FORMAT)
    min_verifications = models.IntegerField(default=0)
    image_aggregation = models.BooleanField(default=False)
    include_blurred = models.BooleanField(default=True)
    include_concealed = models.BooleanField(default=True)
    output = models.CharField(max_length=10, choices=OutputKind.choices, default=OutputKind.TEXT)
    last_change_time = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = [Lower("name"), "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "team",
                name="exports_format_name_team_unique",
                violation_error_message="This team already has an export format with this name.",
            ),
        ]

    def __str__(self):
        return f"{self.team}/{self.name}"


class StandardFormat(models.TextChoices):
    """Built-in formats beside the teams' templates."""

    COCO = "coco", "COCO (instances JSON)"
    VOC = "voc", "Pascal VOC (XML per image, zipped)"
    YOLO = "yolo", "YOLO detection (txt per image + classes, zipped)"
    YOLO_SEGMENTATION = "yolo-seg", "YOLO segmentation (polygons, zipped)"
    PIPE = "pipe", "ImageTagger label lines (image|type|vector|flags)"
    CVAT = "cvat", "CVAT for images 1.1 (XML)"
    LABELME = "labelme", "LabelMe (JSON per image, zipped)"
    LABEL_STUDIO = "labelstudio", "Label Studio (JSON tasks)"
    DATUMARO = "datumaro", "Datumaro (JSON, zipped)"


class ExportState(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Export(models.Model):
    """One export of a set's labels: made in the background, streamed to a file in storage."""

    image_set = models.ForeignKey(ImageSet, on_delete=models.CASCADE, related_name="exports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    # Either a team's template format or a standard one.
    format = models.ForeignKey(ExportFormat, on_delete=models.SET_NULL, null=True, blank=True, related_name="exports")
    format_name = models.CharField(max_length=200, help_text="The format's name when the export was made.")
    format_changed = models.DateTimeField(null=True, blank=True, help_text="The format's last change then.")
    standard = models.CharField(max_length=20, choices=StandardFormat.choices, blank=True)
    options = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=ExportState.choices, default=ExportState.QUEUED)
    # Last sign of life: when it was queued, or when its writer last reported. A queued or running
    # export silent for long (its worker died) is queued again by the worker's sweeper.
    heartbeat = models.DateTimeField(null=True, blank=True)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    time = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)
    annotation_count = models.PositiveIntegerField(default=0)
    # What could not be written as it is: {"written": {type: n}, "converted": [..], "skipped": [..]}.
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    file = models.CharField(max_length=255, blank=True)
    filename = models.CharField(max_length=255, blank=True)
    size = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-time", "-id"]

    def __str__(self):
        return f"export {self.pk} of {self.image_set_id} ({self.format_name})"

    @property
    def deprecated(self):
        """The format was deleted or changed after this export was made."""
        if self.standard:
            return False
        return self.format_id is None or (self.format_changed != self.format.last_change_time)


class LabelImport(models.Model):
    """One label import into a set (exports/imports.py): small ones run in the request, large ones
    in the worker. Counts and the first report lines are kept here; the full report is a CSV file in
    storage (``report_file``)."""

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    image_set = models.ForeignKey(ImageSet, on_delete=models.CASCADE, related_name="label_imports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    format = models.CharField(max_length=20)
    filename = models.CharField(max_length=255, blank=True)
    machine_made = models.BooleanField(default=False)
    model_name = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    time = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)
    records = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    warnings = models.PositiveIntegerField(default=0)
    # The first report entries: [{"line", "source", "status", "message"}, …].
    report = models.JSONField(default=list, blank=True)
    report_file = models.CharField(max_length=255, blank=True)
    upload_file = models.CharField(max_length=255, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-time", "-id"]

    def __str__(self):
        return f"label import {self.pk} into {self.image_set_id}"

    @property
    def summary(self):
        def plural(count, word):
            return f"{count} {word}{'' if count == 1 else 's'}"

        return ", ".join(
            [f"{self.created} created", plural(self.duplicates, "duplicate"), plural(self.errors, "error")]
        )
