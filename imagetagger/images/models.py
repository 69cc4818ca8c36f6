from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Lower
from django.urls import reverse

from users.models import Team, TeamMembership

IMAGE_NAME_MAX_LENGTH = 255


class Priority(models.IntegerChoices):
    HIGH = 1, "High"
    NORMAL = 0, "Normal"
    LOW = -1, "Low"


class ImageSetQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Sets ``user`` may read: public ones and those of their teams (nothing for anonymous)."""
        if not user.is_authenticated:
            return self.none()
        mine = TeamMembership.objects.filter(team_id=OuterRef("team_id"), user=user)
        return self.filter(Q(public=True) | Exists(mine))

    def needing_zip(self):
        """Sets whose archive is missing or older than their content."""
        return self.filter(Q(zip_built_version__isnull=True) | ~Q(zip_built_version=F("content_version")))


class ImageSet(models.Model):
    name = models.CharField(max_length=100)
    # Storage folder below IT_IMAGE_PATH, "<team id>_<set id>" as in the original ImageTagger.
    path = models.CharField(max_length=100, unique=True, null=True, blank=True)
    location = models.CharField(max_length=100, blank=True)
    description = models.TextField(max_length=1000, blank=True)
    time = models.DateTimeField(auto_now_add=True)
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="image_sets")
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="created_sets"
    )
    public = models.BooleanField(default=False)
    public_collaboration = models.BooleanField(default=False)
    image_lock = models.BooleanField(default=False)
    priority = models.IntegerField(choices=Priority.choices, default=Priority.NORMAL)
    pinned_by = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="pinned_sets", blank=True)
    # The team that created the set: its types stay usable after the set is set free.
    created_by_team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="created_sets"
    )
    # The annotation types the set uses; none chosen means every type its team may use.
    annotation_types = models.ManyToManyField("annotations.AnnotationType", blank=True, related_name="image_sets")
    # The type the annotation tool preselects for this set.
    main_annotation_type = models.ForeignKey(
        "annotations.AnnotationType", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    # Zip archive bookkeeping. ``content_version`` grows with every change of the set's images;
    # the archive in ``zip_file`` was built from ``zip_built_version``. A builder holds a lease
    # (``zip_lease_owner`` until ``zip_lease_until``) so that two workers never build one set.
    content_version = models.PositiveIntegerField(default=1)
    # The number of images, kept by database triggers on images_image (migration 0005) in the
    # transaction that adds or deletes them, whichever code path (ingest, bulk, cascade) does it:
    # the set page and the API read it instead of counting up to 100,000 rows.
    image_count = models.PositiveIntegerField(default=0, editable=False)
    zip_file = models.CharField(max_length=255, blank=True)
    zip_built_version = models.PositiveIntegerField(null=True, blank=True)
    zip_size = models.BigIntegerField(null=True, blank=True)
    zip_lease_owner = models.CharField(max_length=64, blank=True)
    zip_lease_until = models.DateTimeField(null=True, blank=True)
    zip_failures = models.PositiveIntegerField(default=0)
    zip_retry_at = models.DateTimeField(null=True, blank=True)
    zip_error = models.TextField(blank=True)

    objects = ImageSetQuerySet.as_manager()

    class Meta:
        ordering = ["-priority", "-time", "-id"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "team",
                name="images_imageset_name_team_unique",
                violation_error_message="This team already has an image set with this name.",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        """Like Model.save, but an update never writes ``image_count``: an instance read before images
        were added would otherwise overwrite the count the triggers keep."""
        if not self._state.adding and self.pk is not None and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "image_count"
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("images:imageset", args=[self.pk])

    def image_folder(self):
        """Folder of the set's images in the default storage."""
        return f"{settings.IMAGE_PATH}/{self.path}"

    def zip_download_name(self):
        return f"imageset_{self.pk}.zip"


class Image(models.Model):
    image_set = models.ForeignKey(ImageSet, on_delete=models.CASCADE, related_name="images")
    # The name it was uploaded under, with its relative path inside an archive ("day1/cam0.png").
    name = models.CharField(max_length=IMAGE_NAME_MAX_LENGTH)
    # The stored file name inside the set's folder (unique, generated).
    filename = models.CharField(max_length=100, unique=True)
    time = models.DateTimeField(auto_now_add=True)
    checksum = models.BinaryField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    # Detected from the content: "png", "jpeg" or "webp".
    format = models.CharField(max_length=10)
    file_size = models.BigIntegerField(default=0)
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="uploaded_images"
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["image_set", "checksum"], name="images_image_set_checksum_unique"),
        ]
        indexes = [models.Index(fields=["image_set", "name", "id"], name="images_image_set_name_idx")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("images:view_image", args=[self.pk])

    @property
    def relative_path(self):
        """Path of the image file in the default storage."""
        return f"{self.image_set.image_folder()}/{self.filename}"

    @property
    def thumbnail_path(self):
        return f"{settings.IMAGE_PATH}/thumbnails/{self.image_set.path}/{self.filename.rsplit('.', 1)[0]}.jpg"

    @property
    def content_type(self):
        return f"image/{self.format}"

    @property
    def checksum_hex(self):
        return bytes(self.checksum).hex()


class SetTag(models.Model):
    """A global tag on image sets. The tag ``test`` always exists; others vanish with their last set."""

    PERMANENT = "test"

    name = models.CharField(max_length=100, unique=True)
    imagesets = models.ManyToManyField(ImageSet, related_name="set_tags", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
