from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.functions import Lower
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import RetrieveAPIView, get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from base.ids import parse_id

from . import leaderboards, selectors, services
from .models import Team, TeamMembership
from .permissions import team_permissions
from .serializers import (
    AddMemberSerializer,
    CandidatesSerializer,
    CurrentUserSerializer,
    LeaderboardSerializer,
    MembershipSerializer,
    MembershipUpdateSerializer,
    TeamCreateSerializer,
    TeamSerializer,
)

User = get_user_model()


class CurrentUserView(RetrieveAPIView):
    """The user the request is authenticated as."""

    serializer_class = CurrentUserSerializer

    def get_object(self):
        return self.request.user


class TeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Teams. The list holds the caller's teams; any team can be read by id."""

    serializer_class = TeamSerializer
    queryset = Team.objects.none()

    def get_queryset(self):
        teams = selectors.team_with_counts()
        if self.action == "list":
            teams = teams.filter(memberships__user=self.request.user)
        return teams.order_by(Lower("name"), "id")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.request.user.is_authenticated:
            context["my_team_ids"] = dict(
                TeamMembership.objects.filter(user=self.request.user).values_list("team_id", "is_admin")
            )
        return context

    def _team(self):
        # DRF's get_object_or_404: a malformed id ("abc") is a 404, not a 500.
        return get_object_or_404(selectors.team_with_counts(), pk=self.kwargs["pk"])

    @extend_schema(request=TeamCreateSerializer, responses={201: TeamSerializer})
    def create(self, request):
        """Create a team; the caller becomes its admin."""
        data = TeamCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        team = services.create_team(creator=request.user, name=data.validated_data["name"])
        team = selectors.team_with_counts().get(pk=team.pk)
        return Response(self.get_serializer(team).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=MembershipSerializer(many=True))
    @action(detail=True, methods=["get"])
    def members(self, request, pk=None):
        """The team's members, best points first."""
        team = self._team()
        page = self.paginate_queryset(selectors.team_members(team))
        return self.get_paginated_response(MembershipSerializer(page, many=True).data)

    @members.mapping.post
    @extend_schema(request=AddMemberSerializer, responses={201: MembershipSerializer})
    def add_member(self, request, pk=None):
        """Add a user by username (team admins only)."""
        team = self._team()
        data = AddMemberSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.add_member(actor=request.user, team=team, username=data.validated_data["username"])
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MembershipUpdateSerializer, responses={200: MembershipSerializer})
    @action(detail=True, methods=["patch"], url_path=r"members/(?P<user_id>\d+)")
    def member(self, request, pk=None, user_id=None):
        """Grant (``is_admin: true``) or revoke (``false``) admin rights."""
        team = self._team()
        user = get_object_or_404(User, pk=user_id)
        data = MembershipUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = services.grant_admin if data.validated_data["is_admin"] else services.revoke_admin
        membership = change(actor=request.user, team=team, user=user)
        return Response(MembershipSerializer(membership).data)

    @member.mapping.delete
    @extend_schema(responses={204: None})
    def remove_member(self, request, pk=None, user_id=None):
        """Leave the team (your own id) or remove a member (team admins). The last member leaving
        dissolves the team."""
        team = self._team()
        user = get_object_or_404(User, pk=user_id)
        services.remove_member(actor=request.user, team=team, user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[OpenApiParameter("q", str, required=True, description="Part of a username.")],
        responses=CandidatesSerializer,
    )
    @action(detail=True, methods=["get"], url_path="member-candidates", pagination_class=None)
    def member_candidates(self, request, pk=None):
        """Usernames to add to the team (team admins only; a few at most; prefix matches first)."""
        team = self._team()
        if "user_management" not in team_permissions(request.user, team):
            raise PermissionDenied("Only team admins may look up users to add.")
        query = request.query_params.get("q", "").strip()
        if not query:
            raise ValidationError({"q": ["Enter part of a username."]})
        if len(query) > 150:
            raise ValidationError({"q": ["Use at most 150 characters."]})
        suggestions = selectors.member_candidates(team, query, settings.AUTOCOMPLETE_LIMIT)
        return Response({"query": query, "suggestions": suggestions})


class LeaderboardView(APIView):
    """The best users by points: ``period`` ``all`` (all time, the default) or ``30d`` (accepts from
    others on votes cast or changed in the last 30 days); ``team``: only that team's members (any team
    may be asked for). Users without points in the period are left out; at most 50."""

    @extend_schema(
        operation_id="leaderboard",
        parameters=[
            OpenApiParameter("period", str, enum=list(leaderboards.PERIODS), description="all (default) or 30d"),
            OpenApiParameter("team", int, description="Only the members of this team."),
        ],
        responses={200: LeaderboardSerializer},
    )
    def get(self, request):
        period = request.query_params.get("period", leaderboards.ALL_TIME)
        if period not in leaderboards.PERIODS:
            raise ValidationError({"period": [f"Use one of: {', '.join(leaderboards.PERIODS)}."]})
        team = None
        team_id = request.query_params.get("team", "")
        if team_id:
            if parse_id(team_id) is None:
                raise ValidationError({"team": ["Give the id of a team."]})
            team = get_object_or_404(Team, pk=parse_id(team_id))
        now = timezone.now()  # one moment for the board and the window it reports
        board = leaderboards.leaderboard(period, team=team, now=now)
        since = None if period == leaderboards.ALL_TIME else leaderboards.window_start(now)
        return Response(
            LeaderboardSerializer(
                {
                    "period": period,
                    "team": team.pk if team else None,
                    "since": since,
                    "results": [
                        {"rank": rank, "user": user.pk, "username": user.username, "points": user.leaderboard_points}
                        for rank, user in enumerate(board, start=1)
                    ],
                }
            ).data
        )
