"""REST API of model backends (/api/v1/model-backends/) and pre-label jobs (/api/v1/prelabel-jobs/).

Thin: ``services`` check every rule. A backend or job of a team the caller is not in answers 404;
one they see but may not change answers 403. The auth header is write-only: answers show it masked.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, views, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from base.ids import ID_MAX
from base.parsers import JSONParser
from images.models import Image, ImageSet
from images.permissions import imageset_permissions
from imagetagger.api import id_from_query
from users.models import Team, TeamMembership

from . import proposals, services
from .models import ModelBackend, PrelabelJob


class ModelBackendSerializer(serializers.ModelSerializer):
    auth_header = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        help_text="Sent to the backend as Authorization; never shown.",
    )
    auth_header_masked = serializers.CharField(source="masked_auth_header", read_only=True)
    url = serializers.CharField(max_length=600, help_text="The backend's base URL, e.g. http://yolo:9090")
    label_map = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
        help_text="The backend's label names → this team's (or the site's) annotation type ids.",
    )

    class Meta:
        model = ModelBackend
        fields = [
            "id",
            "team",
            "name",
            "url",
            "auth_header",
            "auth_header_masked",
            "label_map",
            "interactive",
            "model_version",
            "last_checked",
            "last_status",
            "created",
        ]
        read_only_fields = ["model_version", "last_checked", "last_status", "created"]
        extra_kwargs = {"name": {"validators": []}}


class PrelabelJobSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    model_name = serializers.CharField(
        source="label_model_name", read_only=True, help_text="The model_name its labels carry (for filters)."
    )

    class Meta:
        model = PrelabelJob
        fields = [
            "id",
            "backend",
            "image_set",
            "state",
            "percent",
            "model_name",
            "model_version",
            "images_total",
            "images_done",
            "labels_made",
            "labels_refused",
            "backend_errors",
            "report",
            "error",
            "cancel_requested",
            "created",
            "started",
            "finished",
        ]
        read_only_fields = [name for name in fields if name not in ("backend", "image_set")]


def _my_teams(user):
    return TeamMembership.objects.filter(user_id=user.pk).values("team_id")


def _restrict(serializer, user):
    """Let the serializer's relations find only what ``user`` may name: other teams' objects are
    answered like missing ones."""
    if isinstance(serializer, serializers.ListSerializer):  # answers only: nothing to resolve
        return serializer
    fields = serializer.fields
    if "team" in fields:
        fields["team"].queryset = Team.objects.filter(pk__in=_my_teams(user))
    if "backend" in fields:
        fields["backend"].queryset = ModelBackend.objects.filter(team__in=_my_teams(user))
    if "image_set" in fields:
        fields["image_set"].queryset = ImageSet.objects.visible_to(user)
    return serializer


@extend_schema(tags=["model backends"])
class ModelBackendViewSet(viewsets.ModelViewSet):
    """Model servers of your teams (Label Studio ML backend protocol); admins register and change them."""

    serializer_class = ModelBackendSerializer
    queryset = ModelBackend.objects.none()
    parser_classes = [JSONParser]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return ModelBackend.objects.filter(team__in=_my_teams(self.request.user)).select_related("team")

    def get_serializer(self, *args, **kwargs):
        return _restrict(super().get_serializer(*args, **kwargs), self.request.user)

    def perform_create(self, serializer):
        data = serializer.validated_data
        team = data["team"]
        serializer.instance = services.register_backend(
            actor=self.request.user,
            team=team,
            name=data["name"],
            url=data["url"],
            label_map=data["label_map"],
            auth_header=data.get("auth_header", ""),
            interactive=data.get("interactive", False),
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        if "team" in data and data.pop("team") != serializer.instance.team:
            raise ValidationError({"team": ["A backend stays with its team."]})
        serializer.instance = services.update_backend(actor=self.request.user, backend=serializer.instance, **data)

    def perform_destroy(self, instance):
        services.delete_backend(actor=self.request.user, backend=instance)

    @extend_schema(request=None, responses={200: ModelBackendSerializer})
    @action(detail=True, methods=["post"])
    def check(self, request, pk=None):
        """Ask the backend for /health and /setup (admins); the answer carries ``last_status``."""
        backend = self.get_object()
        services.check_backend(actor=request.user, backend=backend)
        backend.refresh_from_db()
        return Response(self.get_serializer(backend).data)


@extend_schema(
    tags=["model backends"],
    parameters=[OpenApiParameter("image_set", int, description="Only the jobs of this image set.")],
)
class PrelabelJobViewSet(
    mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """Pre-label jobs: a team's model backend labelling one of its image sets, in the background."""

    serializer_class = PrelabelJobSerializer
    queryset = PrelabelJob.objects.none()
    parser_classes = [JSONParser]

    def get_queryset(self):
        user = self.request.user
        jobs = PrelabelJob.objects.filter(
            backend__team__in=_my_teams(user), image_set__in=ImageSet.objects.visible_to(user)
        )
        if self.action == "list" and self.request.query_params.get("image_set"):
            jobs = jobs.filter(image_set_id=id_from_query(self.request.query_params["image_set"], "image_set"))
        return jobs.select_related("backend", "image_set")

    def get_serializer(self, *args, **kwargs):
        return _restrict(super().get_serializer(*args, **kwargs), self.request.user)

    def create(self, request):
        """Start labelling ``image_set`` with ``backend`` (201), or answer the job already running (200)."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        backend, image_set = serializer.validated_data["backend"], serializer.validated_data["image_set"]
        job, created = services.start_prelabel(actor=request.user, backend=backend, image_set=image_set)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(self.get_serializer(job).data, status=code)

    @extend_schema(request=None, responses={200: PrelabelJobSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Stop the job: a queued one at once, a running one after the batch it is on."""
        job = self.get_object()
        if not job.active:
            raise NotFound("This job has ended already.")
        return Response(self.get_serializer(services.cancel_prelabel(actor=request.user, job=job)).data)


class ShapeProposalRequestSerializer(serializers.Serializer):
    box = serializers.ListField(
        child=serializers.IntegerField(), min_length=4, max_length=4, required=False, help_text="[x1, y1, x2, y2]"
    )
    point = serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2, required=False)
    tolerance = serializers.IntegerField(min_value=0, max_value=255, required=False, help_text="Magic wand (32).")
    backend = serializers.IntegerField(
        min_value=1, max_value=ID_MAX, required=False, help_text="An interactive model backend of the set's team."
    )


@extend_schema(
    tags=["model backends"],
    request=ShapeProposalRequestSerializer,
    responses={
        200: inline_serializer(
            "ShapeProposal",
            {
                "vector": serializers.DictField(child=serializers.IntegerField(), help_text="A polygon; not saved."),
                "note": serializers.CharField(help_text="What was left out or why the box's corners came back."),
                "source": serializers.CharField(help_text="grabcut, magic wand, or the backend's name"),
                "milliseconds": serializers.FloatField(),
            },
        )
    },
)
class ShapeProposalView(views.APIView):
    """A one-click shape for an image (nothing is saved): ``box`` → the polygon of the object in it
    (GrabCut), ``point`` → the polygon of the similar-colour region around it (magic wand,
    ``tolerance``), or with ``backend`` the interactive backend's outline of that prompt."""

    parser_classes = [JSONParser]

    def post(self, request, image_id):
        image = Image.objects.select_related("image_set").filter(pk=image_id).first()
        if image is None or "read" not in imageset_permissions(request.user, image.image_set):
            raise NotFound("There is no image with this id.")
        data = ShapeProposalRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        backend = None
        if "backend" in fields:
            backend = ModelBackend.objects.filter(pk=fields.pop("backend"), team__in=_my_teams(request.user)).first()
            if backend is None:
                raise ValidationError({"backend": ["There is no model backend with this id."]})
        return Response(proposals.propose(actor=request.user, image=image, backend=backend, **fields))
