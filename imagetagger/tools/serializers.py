from django.urls import reverse
from rest_framework import serializers

from users.models import display_name

from .models import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH, Tool
from .permissions import tool_permissions


class ToolSerializer(serializers.ModelSerializer):
    """A tool as the caller sees it; ``permissions`` lists what the caller may do with it."""

    team_name = serializers.CharField(source="team.name", read_only=True, default=None)
    creator = serializers.SerializerMethodField()
    permissions = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Tool
        fields = [
            "id",
            "name",
            "description",
            "team",
            "team_name",
            "creator",
            "public",
            "filename",
            "size",
            "content_type",
            "created",
            "updated",
            "permissions",
            "download_url",
        ]
        read_only_fields = fields

    def get_creator(self, tool) -> str:
        return display_name(tool.creator)

    def get_permissions(self, tool) -> list[str]:
        user = self.context["request"].user
        memberships = self.context.get("memberships")
        if memberships is None:
            return sorted(tool_permissions(user, tool))
        return sorted(tool_permissions(user, tool, membership=memberships.get(tool.team_id)))

    def get_download_url(self, tool) -> str:
        return self.context["request"].build_absolute_uri(reverse("api:tool-download", args=[tool.pk]))


class ToolUpdateSerializer(serializers.Serializer):
    """Fields to change; a new ``file`` replaces the tool's file."""

    name = serializers.CharField(max_length=NAME_MAX_LENGTH, required=False)
    description = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True)
    team = serializers.IntegerField(
        required=False, allow_null=True, help_text="Id of one of your teams, or null for no team."
    )
    public = serializers.BooleanField(required=False)
    file = serializers.FileField(required=False, allow_empty_file=True, use_url=False)


class ToolCreateSerializer(ToolUpdateSerializer):
    name = serializers.CharField(max_length=NAME_MAX_LENGTH)
    file = serializers.FileField(allow_empty_file=True, use_url=False, help_text="The tool's file.")
