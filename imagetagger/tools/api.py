"""Tools in the REST API (``/api/v1/tools/``), through the same services and permissions as the pages.

list, create (multipart: ``name``, ``description``, ``team``, ``public``, ``file``), retrieve,
partial update (a new ``file`` replaces the old one), delete, and ``download``. Tools the caller may
not read answer 404; everything answers 404 while ``IT_TOOLS_ENABLED`` is off.
"""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from base.parsers import JSONParser
from users.models import Team

from . import selectors, services, views
from .models import Tool
from .serializers import ToolCreateSerializer, ToolSerializer, ToolUpdateSerializer


def _fields(validated):
    """Service keyword arguments from validated API data (``team`` id -> Team, ``file`` -> ``upload``)."""
    fields = dict(validated)
    if "file" in fields:
        fields["upload"] = fields.pop("file")
    if fields.get("team") is not None:
        team = Team.objects.filter(pk=fields["team"]).first()
        if team is None:
            raise ValidationError({"team": [services.NOT_YOUR_TEAM]})
        fields["team"] = team
    return fields


class ToolViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Tools the caller may read: their own, their teams' and public ones."""

    serializer_class = ToolSerializer
    queryset = Tool.objects.none()
    lookup_value_regex = r"\d+"
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def initial(self, request, *args, **kwargs):
        if not settings.TOOLS_ENABLED:
            raise NotFound("The tools exchange is switched off.")
        super().initial(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.tools_visible_to(self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        user = self.request.user
        if user.is_authenticated:
            context["memberships"] = selectors.memberships_by_team(user)
        return context

    def _tool(self):
        tool, _ = views.readable_tool(self.request.user, self.kwargs["pk"])
        return tool

    def _respond(self, tool, status_code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=tool.pk)).data, status=status_code)

    @extend_schema(request={"multipart/form-data": ToolCreateSerializer}, responses={201: ToolSerializer})
    def create(self, request):
        """Upload a tool (at most ``IT_TOOL_MAX_BYTES``); ``team`` must be one of yours."""
        data = ToolCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tool = services.create_tool(actor=request.user, **_fields(data.validated_data))
        return self._respond(tool, status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": ToolUpdateSerializer, "application/json": ToolUpdateSerializer},
        responses=ToolSerializer,
    )
    def partial_update(self, request, pk=None):
        """Change a tool (``edit``: its creator and the admins of its team)."""
        tool = self._tool()
        data = ToolUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tool = services.update_tool(actor=request.user, tool=tool, **_fields(data.validated_data))
        return self._respond(tool)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        """Delete a tool and its file (``delete``: its creator, its team's admins and site staff)."""
        services.delete_tool(actor=request.user, tool=self._tool())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The tool's file as an attachment."""
        tool, rights = views.readable_tool(request.user, pk)
        if "download" not in rights:
            raise PermissionDenied("You may not download this tool.")
        return views.serve(tool)
