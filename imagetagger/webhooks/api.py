"""REST API of webhooks (/api/v1/webhooks/): register, change, delete, send a test event, read the
delivery log. Thin: ``services`` check every rule.

Team admins only: a webhook of a team where the caller is not an admin (a member, or an outsider)
answers 404; registering one for a team where they are a mere member answers 403. The secret is
write-only: the answer to a registration (and to ``rotate-secret``) shows it once, every other answer
its last four characters.
"""

import json

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from base.parsers import JSONParser
from imagetagger.api import id_from_query
from users.models import Team, TeamMembership

from . import payloads, services
from .models import PING, Delivery, DeliveryState, Event, Webhook

DESCRIPTION = """Webhooks of your teams (team admins): ImageTagger POSTs a JSON body to the webhook's
address for each event it subscribed to, sent by the background worker shortly after the change is saved.

Headers of every delivery:

- `X-ImageTagger-Event`: the event's name (below).
- `X-ImageTagger-Delivery`: the delivery's id, the same on every attempt: drop a repeat you already handled
  (deliveries are sent at least once).
- `X-ImageTagger-Signature`: `t=<unix seconds>,v1=<hex>` where `<hex>` is HMAC-SHA256 with the webhook's
  secret over `<t>.<body>` (the timestamp, a dot and the exact request body). Recompute it, compare in
  constant time, refuse old timestamps.

Any 2xx answer delivers it; redirects are not followed. Otherwise (another status, no answer within the
timeout, no connection) it is tried again after 30 s, 1 min, 2 min, … (doubling) for up to a day, then given
up; a webhook with 20 deliveries given up in a row is disabled and its team's admins get a message (the
site's defaults: `IT_WEBHOOK_*`). Deliveries about one object
(an annotation, an image set, an export, …) arrive in the order they happened.

Every body is `{"id", "event", "created", "team", "data"}`; the `payload` of a delivery in
`/api/v1/webhooks/{id}/deliveries/` shows the schema of each event (`WebhookEvent`). The events:

""" + "\n".join(f"- `{event}`: {text}" for event, text in payloads.DESCRIPTIONS.items())


@extend_schema_field(payloads.ANY_EVENT)
class PayloadField(serializers.Field):
    """The JSON body a delivery sends."""

    def to_representation(self, value):
        return json.loads(value)


class WebhookSerializer(serializers.ModelSerializer):
    url = serializers.CharField(max_length=600, help_text="The receiver's address (http:// or https://).")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.choices), allow_empty=False, help_text="The events to send."
    )
    secret = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        help_text="Signs every delivery. Left out when registering: a random one (shown once, in the answer).",
    )
    secret_hint = serializers.CharField(read_only=True, help_text="The secret's last four characters.")
    active = serializers.BooleanField(
        required=False, help_text="false: nothing is sent. Set true to enable a disabled webhook again."
    )

    class Meta:
        model = Webhook
        fields = [
            "id",
            "team",
            "url",
            "description",
            "events",
            "secret",
            "secret_hint",
            "active",
            "disabled_reason",
            "disabled_at",
            "failures_in_a_row",
            "created",
            "changed",
        ]
        read_only_fields = ["disabled_reason", "disabled_at", "failures_in_a_row", "created", "changed"]
        extra_kwargs = {"description": {"required": False}}


class WebhookWithSecretSerializer(WebhookSerializer):
    """A webhook with its secret in full: the answer to a registration or a new secret (shown once)."""

    secret = serializers.CharField(read_only=True, help_text="The secret in full; it is not shown again.")


class WebhookDeliverySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True, help_text="As sent in X-ImageTagger-Delivery.")
    event = serializers.CharField(read_only=True, help_text="An event's name, or ping (a test event).")
    next_attempt = serializers.SerializerMethodField(help_text="When a pending delivery is tried next.")
    payload = PayloadField(source="body", read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event",
            "state",
            "attempts",
            "created",
            "next_attempt",
            "last_attempt",
            "status_code",
            "response_ms",
            "error",
            "finished",
            "payload",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_attempt(self, delivery):
        if delivery.state != DeliveryState.PENDING:
            return None
        return serializers.DateTimeField().to_representation(delivery.next_attempt)


def admin_teams(user):
    return TeamMembership.objects.filter(user_id=user.pk, is_admin=True).values("team_id")


@extend_schema(tags=["webhooks"], parameters=[OpenApiParameter("team", int, description="Only this team's webhooks.")])
class WebhookViewSet(viewsets.ModelViewSet):
    __doc__ = DESCRIPTION

    serializer_class = WebhookSerializer
    queryset = Webhook.objects.none()
    parser_classes = [JSONParser]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        hooks = Webhook.objects.filter(team__in=admin_teams(self.request.user)).select_related("team")
        if self.action == "list" and self.request.query_params.get("team"):
            hooks = hooks.filter(team_id=id_from_query(self.request.query_params["team"], "team"))
        return hooks

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        if "team" in getattr(serializer, "fields", {}):  # teams the caller is in; others are not found
            mine = TeamMembership.objects.filter(user_id=self.request.user.pk).values("team_id")
            serializer.fields["team"].queryset = Team.objects.filter(pk__in=mine)
        return serializer

    @extend_schema(responses={201: WebhookWithSecretSerializer})
    def create(self, request, *args, **kwargs):
        """Register a webhook (team admins); the answer shows its secret, once."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        webhook = services.register(
            actor=request.user,
            team=data["team"],
            url=data["url"],
            events=data["events"],
            description=data.get("description", ""),
            secret=data.get("secret", ""),
        )
        if data.get("active") is False:
            webhook = services.update(actor=request.user, webhook=webhook, active=False)
        return Response(WebhookWithSecretSerializer(webhook).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        if "team" in data and data.pop("team") != serializer.instance.team:
            raise ValidationError({"team": ["A webhook stays with its team."]})
        serializer.instance = services.update(actor=self.request.user, webhook=serializer.instance, **data)

    def perform_destroy(self, instance):
        services.delete(actor=self.request.user, webhook=instance)

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send a test event (``ping``) to the webhook, even a disabled one; follow it in the deliveries."""
        delivery = services.send_test(actor=request.user, webhook=self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: WebhookWithSecretSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """Give the webhook a new random secret; the answer shows it, once. Deliveries sent from now on use it."""
        webhook = services.rotate_secret(actor=request.user, webhook=self.get_object())
        return Response(WebhookWithSecretSerializer(webhook).data)

    @extend_schema(
        request=None,
        responses={200: WebhookDeliverySerializer(many=True)},
        parameters=[
            OpenApiParameter("state", str, enum=DeliveryState.values, description="Only deliveries in this state.")
        ],
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """The webhook's delivery log, newest first: state, attempts, the last answer's status and time, the body."""
        webhook = self.get_object()
        rows = Delivery.objects.filter(webhook=webhook).order_by("-id")
        wanted = request.query_params.get("state")
        if wanted:
            if wanted not in DeliveryState.values:
                raise ValidationError({"state": [f"Choose one of {', '.join(DeliveryState.values)}."]})
            rows = rows.filter(state=wanted)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer(
                "WebhookEventName",
                {
                    "name": serializers.CharField(),
                    "label": serializers.CharField(),
                    "description": serializers.CharField(),
                },
                many=True,
            )
        },
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def events(self, request):
        """The events a webhook may subscribe to (and ``ping``, the test event), with what each one means."""
        labels = {**dict(Event.choices), PING: "Test event"}
        return Response(
            [
                {"name": str(name), "label": labels[name], "description": text}
                for name, text in payloads.DESCRIPTIONS.items()
            ]
        )
