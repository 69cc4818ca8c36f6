from django.contrib.auth import get_user_model
from django.http import QueryDict
from rest_framework import serializers

from .models import TEAM_NAME_MAX_LENGTH, TEAM_NAME_MIN_LENGTH, Team, TeamMembership

User = get_user_model()


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "points"]
        read_only_fields = fields


class CurrentUserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email", "points", "is_staff", "date_joined"]
        read_only_fields = fields


class TeamSerializer(serializers.ModelSerializer):
    member_count = serializers.IntegerField(read_only=True)
    is_member = serializers.SerializerMethodField()
    is_admin = serializers.SerializerMethodField()

    class Meta:
        model = Team
        fields = ["id", "name", "created", "member_count", "is_member", "is_admin"]
        read_only_fields = fields

    def get_is_member(self, team) -> bool:
        return team.pk in self.context.get("my_team_ids", {})

    def get_is_admin(self, team) -> bool:
        return self.context.get("my_team_ids", {}).get(team.pk, False)


class StrictBooleanField(serializers.BooleanField):
    """A JSON ``true``/``false``; strings such as ``"yes"`` or numbers are refused. Form-encoded
    bodies have no booleans, so they keep DRF's usual ``"true"``/``"false"``/``"on"``…"""

    def to_internal_value(self, data):
        initial = getattr(self.parent, "initial_data", None)
        if isinstance(initial, QueryDict) or isinstance(data, bool):
            return super().to_internal_value(data)
        self.fail("invalid", input=data)


class TeamCreateSerializer(serializers.Serializer):
    name = serializers.CharField(min_length=TEAM_NAME_MIN_LENGTH, max_length=TEAM_NAME_MAX_LENGTH)


class MembershipSerializer(serializers.ModelSerializer):
    user = UserSerializer(read_only=True)

    class Meta:
        model = TeamMembership
        fields = ["user", "is_admin", "joined"]
        read_only_fields = fields


class AddMemberSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)


class MembershipUpdateSerializer(serializers.Serializer):
    is_admin = StrictBooleanField()


class CandidatesSerializer(serializers.Serializer):
    query = serializers.CharField()
    suggestions = serializers.ListField(child=serializers.CharField())


class LeaderboardEntrySerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    user = serializers.IntegerField()
    username = serializers.CharField()
    points = serializers.IntegerField(help_text="All time: the user's points; 30d: accepts received in the window.")


class LeaderboardSerializer(serializers.Serializer):
    period = serializers.CharField()
    team = serializers.IntegerField(allow_null=True)
    since = serializers.DateTimeField(allow_null=True, help_text="Start of the window (30d), else null.")
    results = LeaderboardEntrySerializer(many=True)
