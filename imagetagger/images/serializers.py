from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from base.ids import ID_MAX
from users.models import display_name

from .models import Image, ImageSet, Priority, SetTag
from .permissions import imageset_permissions
from .zips import archive_status


class ImageSetSerializer(serializers.ModelSerializer):
    """An image set as the caller sees it; ``permissions`` lists what the caller may do with it."""

    team_name = serializers.CharField(source="team.name", read_only=True, default=None)
    creator = serializers.SerializerMethodField()
    image_count = serializers.IntegerField(read_only=True)
    tags = serializers.SerializerMethodField()
    pinned = serializers.SerializerMethodField()
    permissions = serializers.SerializerMethodField()
    zip_state = serializers.SerializerMethodField()
    zip_url = serializers.SerializerMethodField()
    annotation_types = serializers.SerializerMethodField(
        help_text="Ids of the annotation types the set chose to use; empty: every type it may use "
        "(site types and its team's: GET /api/v1/annotation-types/?image_set=<id> lists them)."
    )

    class Meta:
        model = ImageSet
        fields = [
            "id",
            "name",
            "team",
            "team_name",
            "location",
            "description",
            "time",
            "creator",
            "public",
            "public_collaboration",
            "image_lock",
            "priority",
            "image_count",
            "tags",
            "pinned",
            "permissions",
            "zip_state",
            "zip_url",
            "annotation_types",
        ]
        read_only_fields = fields

    def get_annotation_types(self, image_set) -> list[int]:
        return sorted(annotation_type.pk for annotation_type in image_set.annotation_types.all())

    def get_creator(self, image_set) -> str:
        return display_name(image_set.creator)

    def get_tags(self, image_set) -> list[str]:
        return [tag.name for tag in image_set.set_tags.all()]

    def get_pinned(self, image_set) -> bool:
        return image_set.pk in self.context.get("pinned_ids", ())

    def get_permissions(self, image_set) -> list[str]:
        user = self.context["request"].user
        memberships = self.context.get("memberships")
        if memberships is None:
            return sorted(imageset_permissions(user, image_set))
        return sorted(imageset_permissions(user, image_set, membership=memberships.get(image_set.team_id)))

    @extend_schema_field(serializers.ChoiceField(choices=["empty", "processing", "ready", "failed"]))
    def get_zip_state(self, image_set):
        return archive_status(image_set, has_images=image_set.image_count > 0, show_error=False)["state"]

    def get_zip_url(self, image_set) -> str:
        return self.context["request"].build_absolute_uri(reverse("images:download_imageset", args=[image_set.pk]))


class ImageSetCreateSerializer(serializers.Serializer):
    team = serializers.IntegerField(help_text="Id of the owning team (you must be a member).")
    name = serializers.CharField(max_length=100)
    location = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    public = serializers.BooleanField(required=False, default=False)
    public_collaboration = serializers.BooleanField(required=False, default=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, default=Priority.NORMAL)


class ImageSetUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    location = serializers.CharField(max_length=100, required=False, allow_blank=True)
    description = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    public = serializers.BooleanField(required=False)
    public_collaboration = serializers.BooleanField(required=False)
    image_lock = serializers.BooleanField(required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    annotation_types = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
        required=False,
        max_length=1000,
        help_text="Ids of the annotation types the set uses (site types and its team's); [] = all of them.",
    )


class TagSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)


class TagListSerializer(serializers.ModelSerializer):
    class Meta:
        model = SetTag
        fields = ["name"]


class PinSerializer(serializers.Serializer):
    pinned = serializers.BooleanField()


class ImageSerializer(serializers.ModelSerializer):
    image_set = serializers.IntegerField(source="image_set_id", read_only=True)
    checksum = serializers.SerializerMethodField(help_text="SHA-512 of the file, hex.")
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Image
        fields = [
            "id",
            "image_set",
            "name",
            "width",
            "height",
            "format",
            "file_size",
            "time",
            "checksum",
            "url",
            "thumbnail_url",
        ]
        read_only_fields = fields

    def get_checksum(self, image) -> str:
        return image.checksum_hex

    @extend_schema_field(serializers.URLField())
    def get_url(self, image):
        return self.context["request"].build_absolute_uri(reverse("images:view_image", args=[image.pk]))

    @extend_schema_field(serializers.URLField())
    def get_thumbnail_url(self, image):
        return self.context["request"].build_absolute_uri(reverse("images:thumbnail", args=[image.pk]))


class UploadResultSerializer(serializers.Serializer):
    name = serializers.CharField()
    size = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["added", "duplicate", "refused"])
    reason = serializers.CharField(allow_blank=True)
    image_id = serializers.IntegerField(allow_null=True)


class UploadResponseSerializer(serializers.Serializer):
    files = UploadResultSerializer(many=True)
