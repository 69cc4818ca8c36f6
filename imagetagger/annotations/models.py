import uuid

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.db.models.functions import Lower

from images.models import Image


class VectorType(models.IntegerChoices):
    BOUNDING_BOX = 1, "Bounding Box"
    POINT = 2, "Point"
    LINE = 3, "Line"
    MULTI_LINE = 4, "Multi Line"
    POLYGON = 5, "Polygon"
    # A whole-image label ("night", "blurry frame"): no geometry, at most one per image and type.
    TAG = 6, "Tag"


class AttributeKind(models.TextChoices):
    CHECKBOX = "checkbox", "Checkbox"
    NUMBER = "number", "Number"
    TEXT = "text", "Text"
    SELECT = "select", "Select"


class AnnotationTypeQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def site(self):
        return self.filter(team__isnull=True)

    def usable_by_teams(self, team_ids):
        """Site types and the types of the teams with these ids."""
        return self.filter(Q(team__isnull=True) | Q(team_id__in=list(team_ids)))

    def in_schema_order(self):
        """The order pickers and legends show: team types first, site types after, then by position and name."""
        return self.order_by(models.F("team_id").asc(nulls_last=True), "sort_order", Lower("name"), "id")


class AnnotationType(models.Model):
    """A label class ("ball", "goalpost") with its geometry, colour and attribute definitions.

    Owned by the site (``team`` is null: managed by staff, usable by every set) or by a team
    (managed by its admins, usable by its sets and the sets it created). Never deleted while used
    (PROTECT). ``attributes`` holds the definitions (see ``annotations.attributes``).
    """

    name = models.CharField(max_length=20)
    team = models.ForeignKey(
        "users.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="annotation_types"
    )
    # "#rrggbb", lower case; when left empty, ``save`` picks the owner's next palette colour.
    color = models.CharField(max_length=7, blank=True)
    attributes = models.JSONField(default=list, blank=True)
    # Position in pickers and legends (then name).
    sort_order = models.PositiveIntegerField(default=0)
    # The number key (1–9) that picks the type on the annotate page; unique within the owner.
    shortcut = models.PositiveSmallIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)
    vector_type = models.PositiveSmallIntegerField(choices=VectorType.choices, default=VectorType.BOUNDING_BOX)
    # Vertices a polygon or multi-line must have; 0 means any number.
    node_count = models.PositiveIntegerField(default=0)
    enable_concealed = models.BooleanField(default=True)
    enable_blurred = models.BooleanField(default=True)

    objects = AnnotationTypeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                condition=Q(team__isnull=True),
                name="annotations_site_type_name_ci_unique",
                violation_error_message="There is already a site annotation type with this name.",
            ),
            models.UniqueConstraint(
                Lower("name"),
                "team",
                condition=Q(team__isnull=False),
                name="annotations_team_type_name_ci_unique",
                violation_error_message="This team already has an annotation type with this name.",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.color:
            from .palette import next_color

            owners = (
                AnnotationType.objects.filter(team_id=self.team_id) if self.team_id else AnnotationType.objects.site()
            )
            self.color = next_color(owners.exclude(pk=self.pk).values_list("color", flat=True))
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "color"}
        super().save(*args, **kwargs)

    @property
    def is_tag(self):
        return self.vector_type == VectorType.TAG

    @property
    def is_site_type(self):
        return self.team_id is None

    def attribute_definitions(self):
        """``{name: definition}`` in the defined order."""
        return {definition["name"]: definition for definition in self.attributes or ()}


class Origin(models.TextChoices):
    HUMAN = "human", "human"
    MACHINE = "machine", "machine"


class AnnotationQuerySet(models.QuerySet):
    def with_score(self):
        """Adds ``accepts``, ``rejects`` and ``score`` (= accepts − rejects)."""
        return self.annotate(
            accepts=Count("verifications", filter=Q(verifications__verified=True), distinct=True),
            rejects=Count("verifications", filter=Q(verifications__verified=False), distinct=True),
        ).annotate(score=models.F("accepts") - models.F("rejects"))

    def of_active_types(self):
        return self.filter(annotation_type__active=True)


class Annotation(models.Model):
    """One label on one image: a vector (design.md §4) or ``None`` for "not in image"."""

    # Chosen by the client, so that a retried create never makes a duplicate.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="annotations")
    annotation_type = models.ForeignKey(AnnotationType, on_delete=models.PROTECT, related_name="annotations")
    # Null for "not in image", and for a tag (whose type says it is one).
    vector = models.JSONField(null=True, blank=True)
    # ``{attribute name: value}`` checked against the type's definitions (annotations.attributes).
    attributes = models.JSONField(default=dict, blank=True)
    # The raw flags; what they mean depends on the type (see ``concealed``/``blurred``).
    concealed_flag = models.BooleanField(default=False)
    blurred_flag = models.BooleanField(default=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="annotations"
    )
    time = models.DateTimeField(auto_now_add=True)
    last_editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="edited_annotations"
    )
    last_edit_time = models.DateTimeField(auto_now=True)
    # Grows with every change; updates name the version they saw (optimistic concurrency).
    version = models.PositiveIntegerField(default=1)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.HUMAN)
    model_name = models.CharField(max_length=100, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    verified_by = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Verification", related_name="verified_annotations"
    )

    objects = AnnotationQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            # "Not in image" is said once per image and type; so is a tag (its vector is null too).
            models.UniqueConstraint(
                fields=["image", "annotation_type"],
                condition=Q(vector__isnull=True),
                name="annotations_one_not_in_image_per_type",
            ),
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__gte=0, confidence__lte=1),
                name="annotations_confidence_0_to_1",
            ),
        ]
        indexes = [
            models.Index(fields=["image", "annotation_type"], name="annotations_image_type_idx"),
            models.Index(fields=["user", "time"], name="annotations_user_time_idx"),
            # Covers the home page's labels-per-day chart (annotations.statistics): 4x faster at 1M labels.
            models.Index(fields=["time", "annotation_type"], name="annotations_time_type_idx"),
        ]

    def __str__(self):
        return f"{self.annotation_type} on {self.image}"

    @property
    def is_tag(self):
        return self.annotation_type.vector_type == VectorType.TAG

    @property
    def not_in_image(self):
        return not self.vector and not self.is_tag

    @property
    def concealed(self):
        return self.annotation_type.enable_concealed and self.concealed_flag and not self.not_in_image

    @property
    def blurred(self):
        return self.annotation_type.enable_blurred and self.blurred_flag and not self.not_in_image

    @property
    def owner(self):
        return self.last_editor or self.user


class Verification(models.Model):
    """One user's vote on an annotation (accept or reject); one per user and annotation."""

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="verifications")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="verifications"
    )
    time = models.DateTimeField(auto_now=True)
    verified = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["annotation", "user"], name="annotations_one_vote_per_user"),
        ]
        indexes = [models.Index(fields=["time"], name="annotations_verification_time")]

    def __str__(self):
        return f"{'accept' if self.verified else 'reject'} of {self.annotation_id} by {self.user_id}"


class HistoryAction(models.TextChoices):
    CREATE = "create"
    UPDATE = "update"
    FLAGS = "flags"
    DELETE = "delete"


class AnnotationHistory(models.Model):
    """Every change of an annotation: who, when, and the state before and after.

    Kept when the annotation is deleted (``annotation`` becomes null; ``annotation_uuid`` stays).
    """

    annotation = models.ForeignKey(Annotation, on_delete=models.SET_NULL, null=True, blank=True, related_name="history")
    annotation_uuid = models.UUIDField(db_index=True)
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="annotation_history")
    action = models.CharField(max_length=10, choices=HistoryAction.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    time = models.DateTimeField(auto_now_add=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["time", "id"]

    def __str__(self):
        return f"{self.action} of {self.annotation_uuid}"


class ImageLease(models.Model):
    """ "This image is being labelled with this type by this user until ``expires``": the
    "next image to annotate" hands an image to one annotator at a time."""

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="leases")
    annotation_type = models.ForeignKey(AnnotationType, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="image_leases")
    expires = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["image", "annotation_type"], name="annotations_one_lease_per_image_type"),
        ]

    def __str__(self):
        return f"image {self.image_id} for {self.user_id} until {self.expires}"


class ImageTypeCount(models.Model):
    """How many labels of ``annotation_type`` ``image`` has; a row exists only while there is at least
    one. Kept by database triggers on ``annotations_annotation`` (migration 0005), never written by
    Python code: every writer (services, label import, bulk paths, cascades) keeps it right. The upsert
    on the unique (image, type) pair serialises two concurrent "first label of this type on this
    image" inserts, so ``SetTypeCount`` cannot count one pair twice."""

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="+")
    annotation_type = models.ForeignKey(AnnotationType, on_delete=models.CASCADE, related_name="+")
    image_set = models.ForeignKey("images.ImageSet", on_delete=models.CASCADE, related_name="+")
    annotations = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["image", "annotation_type"], name="annotations_imagetypecount_unique"),
        ]

    def __str__(self):
        return f"{self.annotations} label(s) of type {self.annotation_type_id} on image {self.image_id}"


class SetTypeCount(models.Model):
    """How many images of ``image_set`` have at least one label of ``annotation_type`` (the number of
    ``ImageTypeCount`` rows of the pair), kept by triggers on ``annotations_imagetypecount``. The set
    page's "images without a label" and the verify page's type list read one row per type instead of
    a COUNT(DISTINCT) over every label of the set."""

    image_set = models.ForeignKey("images.ImageSet", on_delete=models.CASCADE, related_name="+")
    annotation_type = models.ForeignKey(AnnotationType, on_delete=models.CASCADE, related_name="+")
    labelled_images = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["image_set", "annotation_type"], name="annotations_settypecount_unique"),
        ]

    def __str__(self):
        return (
            f"{self.labelled_images} image(s) of set {self.image_set_id} labelled with type {self.annotation_type_id}"
        )
