"""REST API for annotation types (/api/v1/annotation-types/): site types and team types.

Who sees and manages what is ``permissions.annotation_type_permissions``: everybody logged in reads
the site types (lists hold the active ones), a team's members read its types; staff manage site types, a team's admins
manage its types. A type the caller may not read answers 404; one they read but may not manage
answers 403 to a change. The views only translate HTTP to the services of ``annotations.types``,
which check every rule.
"""

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from base.ids import ID_MAX, parse_id
from images.models import ImageSet
from imagetagger.api import id_from_query
from users.models import Team, TeamMembership

from . import selectors, types
from .models import AnnotationType, AttributeKind, VectorType
from .permissions import annotation_type_permissions

GEOMETRY_FIELDS = ("vector_type", "node_count")
UNCHANGED = "Read-only: must equal the current value."
NOT_FOUND = "There is no annotation type with this id."

ATTRIBUTES_HELP = (
    "The attribute definitions, in order. Each: name (≤ 40 characters, unique in the type), kind "
    "(checkbox, number, text, select), required (bool), default (a valid value or null), and by kind: "
    "number → min, max, step (numbers or null); text → max_length (1–1000, default 200); "
    "select → values (1–100 distinct texts). Changing them is refused while labels of the type hold "
    "values the new definitions refuse (e.g. a removed select value), naming the attribute and the "
    "number of labels; a new attribute's default is given to the existing labels."
)


@extend_schema_field(
    {
        "type": "array",
        "description": ATTRIBUTES_HELP,
        "items": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "maxLength": 40},
                "kind": {"type": "string", "enum": list(AttributeKind.values)},
                "required": {"type": "boolean"},
                "default": {"nullable": True},
                "min": {"type": "number", "nullable": True},
                "max": {"type": "number", "nullable": True},
                "step": {"type": "number", "nullable": True},
                "max_length": {"type": "integer", "minimum": 1, "maximum": 1000},
                "values": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["name", "kind"],
        },
        "example": [
            {"name": "occluded", "kind": "checkbox", "required": False, "default": False},
            {"name": "colour", "kind": "select", "required": False, "default": None, "values": ["red", "blue"]},
        ],
    }
)
class AttributeDefinitionsField(serializers.JSONField):
    """Any JSON here; ``attributes.clean_definitions`` (in the service) checks it and names the attribute."""


class AnnotationTypeSerializer(serializers.ModelSerializer):
    vector_type_name = serializers.CharField(source="get_vector_type_display", read_only=True)
    team = serializers.IntegerField(source="team_id", allow_null=True, help_text="The owning team; null: a site type.")
    team_name = serializers.SerializerMethodField()
    attributes = AttributeDefinitionsField()
    is_tag = serializers.BooleanField(help_text="A whole-image tag: its labels have no vector.")

    class Meta:
        model = AnnotationType
        fields = [
            "id",
            "name",
            "team",
            "team_name",
            "active",
            "vector_type",
            "vector_type_name",
            "is_tag",
            "node_count",
            "enable_concealed",
            "enable_blurred",
            "color",
            "sort_order",
            "shortcut",
            "attributes",
        ]
        read_only_fields = fields

    def get_team_name(self, annotation_type) -> str | None:
        return annotation_type.team.name if annotation_type.team_id else None


def _color_field(**kwargs):
    return serializers.RegexField(
        r"^#[0-9a-fA-F]{6}$",
        allow_null=True,
        error_messages={"invalid": types.COLOR_FORMAT},
        **kwargs,
    )


def _sort_order_field(**kwargs):
    return serializers.IntegerField(
        min_value=0, max_value=types.MAX_SORT_ORDER, allow_null=True, help_text="Position in pickers.", **kwargs
    )


def _shortcut_field(**kwargs):
    return serializers.IntegerField(
        min_value=1, max_value=9, allow_null=True, help_text="The key 1–9 that picks the type; null for none.", **kwargs
    )


class AnnotationTypeCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=types.NAME_MAX_LENGTH)
    team = serializers.IntegerField(
        min_value=1,
        max_value=ID_MAX,
        required=False,
        allow_null=True,
        default=None,
        help_text="Id of the team that owns the new type (its admins only); absent or null: a site type (staff).",
    )
    vector_type = serializers.ChoiceField(
        choices=VectorType.choices,
        default=VectorType.BOUNDING_BOX,
        help_text="1 bounding box, 2 point, 3 line, 4 multi-line, 5 polygon, 6 tag (a whole-image label: no "
        "geometry; enable_concealed/enable_blurred mean nothing for it).",
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
    color = _color_field(required=False, default=None, help_text="#rrggbb; absent or null: the next palette colour.")
    sort_order = _sort_order_field(required=False, default=None)
    shortcut = _shortcut_field(required=False, default=None)
    attributes = AttributeDefinitionsField(required=False, default=None)


class AnnotationTypeUpdateSerializer(serializers.Serializer):
    """Every field but the geometry and the owner, which are accepted only unchanged."""

    name = serializers.CharField(max_length=types.NAME_MAX_LENGTH, required=False)
    active = serializers.BooleanField(required=False)
    enable_concealed = serializers.BooleanField(required=False)
    enable_blurred = serializers.BooleanField(required=False)
    color = _color_field(required=False, help_text="#rrggbb; null: the next palette colour.")
    sort_order = _sort_order_field(required=False)
    shortcut = _shortcut_field(required=False)
    attributes = AttributeDefinitionsField(required=False)
    vector_type = serializers.IntegerField(required=False, help_text="Read-only: must equal the current value.")
    node_count = serializers.IntegerField(required=False, help_text="Read-only: must equal the current value.")
    team = serializers.IntegerField(
        required=False, allow_null=True, help_text="Read-only: must equal the current value."
    )


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


def _readable_set(user, set_id):
    image_set = ImageSet.objects.visible_to(user).filter(pk=set_id).first()
    if image_set is None:
        raise NotFound("There is no image set with this id.")
    return image_set


def _team_for_new_type(team_id):
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise ValidationError({"team": ["There is no team with this id."]})
    return team


@extend_schema(tags=["annotation types"])
class AnnotationTypeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Annotation types (label classes) of the site and of teams. Reading: the active site types for
    everybody logged in, a team's types for its members. Managing: staff (site types) and a team's
    admins (its types)."""

    serializer_class = AnnotationTypeSerializer
    queryset = AnnotationType.objects.none()
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        user = self.request.user
        params = self.request.query_params
        annotation_types = selectors.types_visible_to(user).select_related("team")
        if self.action != "list":
            return annotation_types
        if params.get("image_set") not in (None, ""):
            image_set = _readable_set(user, id_from_query(params["image_set"], "image_set"))
            annotation_types = selectors.types_usable_in_set(image_set).select_related("team")
        if params.get("team") not in (None, ""):
            annotation_types = annotation_types.filter(team_id=id_from_query(params["team"], "team"))
        if _flag(params.get("site"), "site"):
            annotation_types = annotation_types.filter(team__isnull=True)
        if not _flag(params.get("all"), "all"):
            return annotation_types.filter(active=True)
        # Inactive types only of what the caller manages: site types for staff, their admin teams' types.
        managed = Q(team_id__in=TeamMembership.objects.filter(user=user, is_admin=True).values("team_id"))
        if user.is_staff:
            managed |= Q(team__isnull=True)
        return annotation_types.filter(Q(active=True) | managed)

    def _type(self, *, manage=False):
        """The type named in the URL: 404 unless the caller reads it, 403 unless they manage it when
        ``manage``."""
        pk = parse_id(self.kwargs["pk"])
        annotation_type = AnnotationType.objects.filter(pk=pk).select_related("team").first() if pk else None
        if annotation_type is None:
            raise NotFound(NOT_FOUND)
        granted = annotation_type_permissions(self.request.user, annotation_type)
        if "read" not in granted:
            raise NotFound(NOT_FOUND)
        if manage and "manage" not in granted:
            if annotation_type.team_id is None:
                raise PermissionDenied(types.SITE_STAFF_ONLY)
            raise PermissionDenied(types.team_admins_only(annotation_type.team.name))
        return annotation_type

    def _respond(self, annotation_type, status_code=status.HTTP_200_OK):
        if annotation_type.team_id is not None and "team" not in annotation_type._state.fields_cache:
            annotation_type = AnnotationType.objects.select_related("team").get(pk=annotation_type.pk)
        return Response(AnnotationTypeSerializer(annotation_type).data, status=status_code)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "all", bool, description="true: also the inactive types you manage (default: active ones only)."
            ),
            OpenApiParameter("team", int, description="Only the types of this team (one of yours)."),
            OpenApiParameter("site", bool, description="true: only site types."),
            OpenApiParameter(
                "image_set",
                int,
                description="Only the types usable in this image set (one you may read; else 404): its chosen "
                "types, or every site type and its team's types when it chose none.",
            ),
        ],
        responses={200: AnnotationTypeSerializer(many=True), 400: OpenApiResponse(description="A malformed filter.")},
    )
    def list(self, request, *args, **kwargs):
        """The types you may read, in schema order (team types first, then site types; by position,
        then name)."""
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: AnnotationTypeSerializer, 404: OpenApiResponse(description=NOT_FOUND)})
    def retrieve(self, request, *args, **kwargs):
        """One annotation type you may read (an inactive one too, if you may read it)."""
        return self._respond(self._type())

    @extend_schema(request=AnnotationTypeCreateSerializer, responses={201: AnnotationTypeSerializer})
    def create(self, request):
        """Create a type: a team's (``team``: its admins) or a site type (no ``team``: staff)."""
        data = AnnotationTypeCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        team = _team_for_new_type(fields.pop("team"))
        annotation_type = types.create_type(actor=request.user, team=team, **fields)
        return self._respond(annotation_type, status.HTTP_201_CREATED)

    @extend_schema(request=AnnotationTypeUpdateSerializer, responses=AnnotationTypeSerializer)
    def partial_update(self, request, pk=None):
        """Change any field of a type you manage but its geometry and owner.

        ``vector_type``, ``node_count`` and ``team`` cannot change: a different value answers 400
        (bounding-box types can be migrated to polygons with ``migrate-to-polygon``)."""
        annotation_type = self._type(manage=True)
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
        if "team" in fields and fields.pop("team") != annotation_type.team_id:
            errors["team"] = ["The owner of a type cannot be changed: create a type for the other owner."]
        if errors:
            raise ValidationError(errors)
        annotation_type = types.update_type(actor=request.user, annotation_type=annotation_type, **fields)
        return self._respond(annotation_type)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        """Delete a type you manage that no annotation uses; a used type answers 400 (deactivate it)."""
        types.delete_type(actor=request.user, annotation_type=self._type(manage=True))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=MigrationRequestSerializer, responses=MigrationResultSerializer)
    @action(detail=True, methods=["post"], url_path="migrate-to-polygon")
    def migrate_to_polygon(self, request, pk=None):
        """Convert a bounding-box type you manage into a polygon type. Irreversible.

        Every box becomes its 4 corners (x1,y1), (x2,y1), (x2,y2), (x1,y2); the votes on those
        annotations are deleted and the accepted ones taken off their creators' points. "Not in
        image" annotations stay as they are."""
        annotation_type = self._type(manage=True)
        data = MigrationRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = types.migrate_boxes_to_polygons(
            actor=request.user, annotation_type=annotation_type, node_count=data.validated_data["node_count"]
        )
        return Response(MigrationResultSerializer(result).data)
