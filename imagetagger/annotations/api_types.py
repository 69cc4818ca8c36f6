"""REST API for annotation types: everybody logged in reads the active ones; site staff manage them.

The views only translate HTTP to the services of ``annotations.types``, which check every rule.
"""

from django.db.models.functions import Lower
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from . import types
from .models import AnnotationType, VectorType
from .permissions import may_manage_annotation_types

STAFF_ONLY = "Only site staff may manage annotation types."
GEOMETRY_FIELDS = ("vector_type", "node_count")


class AnnotationTypeSerializer(serializers.ModelSerializer):
    vector_type_name = serializers.CharField(source="get_vector_type_display", read_only=True)

    class Meta:
        model = AnnotationType
        fields = [
            "id",
            "name",
            "active",
            "vector_type",
            "vector_type_name",
            "node_count",
            "enable_concealed",
            "enable_blurred",
        ]
        read_only_fields = fields


class AnnotationTypeCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=types.NAME_MAX_LENGTH)
    vector_type = serializers.ChoiceField(
        choices=VectorType.choices,
        default=VectorType.BOUNDING_BOX,
        help_text="1 bounding box, 2 point, 3 line, 4 multi-line, 5 polygon.",
    )
    node_count = serializers.IntegerField(
        min_value=0,
        max_value=types.MAX_NODE_COUNT,
        default=0,
        help_text="Polygons (0 or ≥ 3) and multi-lines (0 or ≥ 2) only; 0 = any number. Other types take 0.",
    )
    enable_concealed = serializers.BooleanField(default=True)
    enable_blurred = serializers.BooleanField(default=True)
    active = serializers.BooleanField(default=True)


class AnnotationTypeUpdateSerializer(serializers.Serializer):
    """Name and switches. ``vector_type`` and ``node_count`` are accepted only unchanged."""

    name = serializers.CharField(max_length=types.NAME_MAX_LENGTH, required=False)
    active = serializers.BooleanField(required=False)
    enable_concealed = serializers.BooleanField(required=False)
    enable_blurred = serializers.BooleanField(required=False)
    vector_type = serializers.IntegerField(required=False, help_text="Read-only: must equal the current value.")
    node_count = serializers.IntegerField(required=False, help_text="Read-only: must equal the current value.")


class MigrationRequestSerializer(serializers.Serializer):
    node_count = serializers.ChoiceField(
        choices=[(0, "any number of nodes"), (4, "exactly 4 nodes")],
        help_text="The polygon type's node count afterwards: 0 (any number) or 4.",
    )


class MigrationResultSerializer(serializers.Serializer):
    annotation_type = AnnotationTypeSerializer()
    annotations = serializers.IntegerField(help_text="Annotations converted to polygons.")
    votes = serializers.IntegerField(help_text="Votes deleted.")
    points = serializers.IntegerField(help_text="Points taken off the annotations' creators.")
    users = serializers.IntegerField(help_text="Users who lost points.")


def _flag(value, name):
    if value is None:
        return False
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("", "0", "false", "no", "off"):
        return False
    raise ValidationError({name: ["Use true or false."]})


@extend_schema(tags=["annotation types"])
class AnnotationTypeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Annotation types (label classes). Reading: every logged-in user (the list holds the active
    types). Creating, changing, migrating and deleting: site staff."""

    serializer_class = AnnotationTypeSerializer
    queryset = AnnotationType.objects.none()
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        annotation_types = AnnotationType.objects.order_by(Lower("name"), "id")
        if self.action == "list" and not _flag(self.request.query_params.get("all"), "all"):
            annotation_types = annotation_types.filter(active=True)
        return annotation_types

    def _staff_only(self):
        if not may_manage_annotation_types(self.request.user):
            raise PermissionDenied(STAFF_ONLY)

    def _type(self):
        # DRF's get_object_or_404: a malformed id is a 404, not a 500.
        return get_object_or_404(AnnotationType.objects.all(), pk=self.kwargs["pk"])

    def _respond(self, annotation_type, status_code=status.HTTP_200_OK):
        return Response(AnnotationTypeSerializer(annotation_type).data, status=status_code)

    @extend_schema(
        parameters=[
            OpenApiParameter("all", bool, description="Staff only: include inactive types (default: active only).")
        ]
    )
    def list(self, request, *args, **kwargs):
        """Annotation types by name; active ones only unless staff ask for ``all=true``."""
        if _flag(request.query_params.get("all"), "all"):
            self._staff_only()
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        """One annotation type, active or not (annotations of inactive types still refer to it)."""
        return self._respond(self._type())

    @extend_schema(request=AnnotationTypeCreateSerializer, responses={201: AnnotationTypeSerializer})
    def create(self, request):
        """Create a type (staff)."""
        self._staff_only()
        data = AnnotationTypeCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        annotation_type = types.create_type(actor=request.user, **data.validated_data)
        return self._respond(annotation_type, status.HTTP_201_CREATED)

    @extend_schema(request=AnnotationTypeUpdateSerializer, responses=AnnotationTypeSerializer)
    def partial_update(self, request, pk=None):
        """Rename a type or switch ``active``, ``enable_concealed``, ``enable_blurred`` (staff).

        ``vector_type`` and ``node_count`` cannot change: a different value answers 400 (bounding-box
        types can be migrated to polygons with ``migrate-to-polygon``)."""
        self._staff_only()
        annotation_type = self._type()
        data = AnnotationTypeUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        errors = {}
        for field in GEOMETRY_FIELDS:
            if field in fields and fields.pop(field) != getattr(annotation_type, field):
                errors[field] = [
                    f"{field} cannot be changed: it decides how the stored vectors are read. "
                    "Bounding-box types can be converted with migrate-to-polygon."
                ]
        if errors:
            raise ValidationError(errors)
        annotation_type = types.update_type(actor=request.user, annotation_type=annotation_type, **fields)
        return self._respond(annotation_type)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        """Delete a type that no annotation uses (staff); a used type answers 400 (deactivate it)."""
        self._staff_only()
        types.delete_type(actor=request.user, annotation_type=self._type())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=MigrationRequestSerializer, responses=MigrationResultSerializer)
    @action(detail=True, methods=["post"], url_path="migrate-to-polygon")
    def migrate_to_polygon(self, request, pk=None):
        """Convert a bounding-box type into a polygon type (staff). Irreversible.

        Every box becomes its 4 corners (x1,y1), (x2,y1), (x2,y2), (x1,y2); the votes on those
        annotations are deleted and the accepted ones taken off their creators' points. "Not in
        image" annotations stay as they are."""
        self._staff_only()
        annotation_type = self._type()
        data = MigrationRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = types.migrate_boxes_to_polygons(
            actor=request.user, annotation_type=annotation_type, node_count=data.validated_data["node_count"]
        )
        return Response(MigrationResultSerializer(result).data)
