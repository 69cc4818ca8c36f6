"""REST API of messages: the caller's messages (unread filter), one message, writing, marking read,
deleting. The same services as the HTML pages."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from base.ids import parse_id

from . import selectors, services
from .models import Audience, Kind, Message
from .permissions import DELETE, READ, memberships_of, message_permissions
from .serializers import (
    MessageCreateSerializer,
    MessageListQuerySerializer,
    MessageSerializer,
    ReadAllResultSerializer,
    ReadAllSerializer,
)

# Largest primary key (BigAutoField): bigger numbers are no message, not a database error.


class MessageViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Team messages and announcements addressed to the caller and shown now, newest first."""

    serializer_class = MessageSerializer
    queryset = Message.objects.none()

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.request.user.is_authenticated:
            context["memberships"] = memberships_of(self.request.user)
        return context

    def get_queryset(self):
        query = MessageListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.inbox(
            self.request.user, unread_only=query.validated_data["unread"], kind=query.validated_data.get("kind")
        )

    def get_object(self):
        """The message with the caller's rights on it; 404 for a message the caller holds no right on."""
        pk = parse_id(self.kwargs["pk"])
        if pk is None:
            raise NotFound("No such message.")
        message = selectors.with_read_state(Message.objects.filter(pk=pk), self.request.user).first()
        rights = message_permissions(self.request.user, message) if message is not None else frozenset()
        if not rights:
            raise NotFound("No such message.")
        message.rights = rights
        return message

    def _readable(self):
        message = self.get_object()
        if READ not in message.rights:
            raise NotFound("No such message.")
        return message

    @extend_schema(
        parameters=[
            OpenApiParameter("unread", bool, description="Only messages the caller has not read."),
            OpenApiParameter("kind", str, enum=Kind.values, description="Only messages of this kind."),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, pk=None):
        """One message the caller may read (also one not shown now, for its writer and staff)."""
        return Response(self.get_serializer(self._readable()).data)

    @extend_schema(request=MessageCreateSerializer, responses={201: MessageSerializer})
    def create(self, request):
        """Write a team message (admins of the team) or an announcement (staff). The writer has read it."""
        data = MessageCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        kind, audience, team = fields.pop("kind"), fields.pop("audience"), fields.pop("team", None)
        if kind == Kind.TEAM:
            message = services.send_team_message(
                sender=request.user, team=team, admins_only=audience == Audience.ADMINS, **fields
            )
        else:
            message = services.send_announcement(sender=request.user, audience=audience, **fields)
        message = selectors.with_read_state(Message.objects.filter(pk=message.pk), request.user).get()
        return Response(self.get_serializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None, 403: OpenApiResponse(description="The caller may read but not delete it.")})
    def destroy(self, request, pk=None):
        """Delete a message: its writer, admins of its team (team messages) and staff may."""
        message = self.get_object()
        if DELETE not in message.rights:
            raise PermissionDenied("Only the message's writer, its team's admins and staff may delete it.")
        services.delete_message(actor=request.user, message=message)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=MessageSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark the message read (again: no change)."""
        message = self._readable()
        services.mark_read(user=request.user, message=message)
        message.is_read = True
        return Response(self.get_serializer(message).data)

    @extend_schema(request=ReadAllSerializer, responses=ReadAllResultSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        """Mark every message shown to the caller now as read (``kind``: only team messages or announcements)."""
        data = ReadAllSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        marked = services.mark_all_read(user=request.user, kind=data.validated_data.get("kind"))
        return Response({"marked": marked})
