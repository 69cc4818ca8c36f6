from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from users.models import Team, display_name

from .models import CONTENT_MAX_LENGTH, TITLE_MAX_LENGTH, Audience, Kind, Message
from .permissions import message_permissions


class MessageSerializer(serializers.ModelSerializer):
    """A message as the caller sees it; ``permissions`` lists what the caller may do with it."""

    team_name = serializers.CharField(source="team.name", read_only=True, default=None)
    creator = serializers.SerializerMethodField()
    is_read = serializers.BooleanField(read_only=True)
    permissions = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = [
            "id",
            "kind",
            "team",
            "team_name",
            "audience",
            "title",
            "content",
            "creator",
            "created",
            "start_time",
            "expire_time",
            "is_read",
            "permissions",
        ]
        read_only_fields = fields

    def get_creator(self, message) -> str:
        return display_name(message.creator)

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=["read", "delete"])))
    def get_permissions(self, message):
        memberships = self.context.get("memberships")
        kwargs = {} if memberships is None else {"memberships": memberships}
        return sorted(message_permissions(self.context["request"].user, message, **kwargs))


class MessageCreateSerializer(serializers.Serializer):
    """A team message (``kind="team"``, ``team`` required; team admins) or an announcement
    (``kind="announcement"``; staff)."""

    kind = serializers.ChoiceField(choices=Kind.choices)
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True, help_text="The team of a team message."
    )
    audience = serializers.ChoiceField(
        choices=Audience.choices,
        default=Audience.ALL,
        help_text="all; admins (the team's admins, or for announcements users who administer a team); "
        "staff (announcements only).",
    )
    title = serializers.CharField(max_length=TITLE_MAX_LENGTH)
    content = serializers.CharField(max_length=CONTENT_MAX_LENGTH)
    start_time = serializers.DateTimeField()
    expire_time = serializers.DateTimeField()

    def validate(self, data):
        errors = {}
        if data["expire_time"] <= data["start_time"]:
            errors["expire_time"] = ["The expiry must be after the start."]
        if data["kind"] == Kind.TEAM:
            if data.get("team") is None:
                errors["team"] = ["Choose the team the message is for."]
            if data["audience"] == Audience.STAFF:
                errors["audience"] = ["A team message is for all members or the team's admins."]
        elif data.get("team") is not None:
            errors["team"] = ["An announcement belongs to no team."]
        if errors:
            raise serializers.ValidationError(errors)
        return data


class MessageListQuerySerializer(serializers.Serializer):
    unread = serializers.BooleanField(default=False, help_text="Only messages the caller has not read.")
    kind = serializers.ChoiceField(choices=Kind.choices, required=False, help_text="Only messages of this kind.")


class ReadAllSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=Kind.choices, required=False, allow_null=True, help_text="Only this kind; both when left out."
    )


class ReadAllResultSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many messages were unread.")
