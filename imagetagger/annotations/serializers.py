import copy

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from base.ids import ID_MAX  # larger ids are refused before any query
from users.models import display_name

from .models import Annotation, AnnotationHistory, Origin, VectorType

VECTOR_HELP = (
    'Points as {"x1": .., "y1": .., …, "xN": .., "yN": ..}: whole numbers in original-image pixels, origin '
    "top-left, inside the image. Bounding box: 2 points, x1 < x2 and y1 < y2. Point: 1. Line: 2 distinct. "
    "Multi-line: 2 or more. Polygon: 3 or more (exactly the type's node_count when it is above 0). No two "
    "consecutive points may be equal. null means “not in image”, and is the only vector of a tag type."
)


class StrictBooleanField(serializers.BooleanField):
    """JSON ``true`` or ``false`` only: no "yes", 1 or "true" strings."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if data is True or data is False:
            return data
        self.fail("invalid")


class StrictFloatField(serializers.FloatField):
    """A JSON number only: no strings, no booleans."""

    default_error_messages = {"invalid": "Must be a number."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        try:
            float(data)
        except OverflowError:  # an integer with hundreds of digits
            self.fail("max_value", max_value=self.max_value)
        return super().to_internal_value(data)


VERSION_MAX = 2**31 - 1


class StrictIntegerField(serializers.IntegerField):
    """A JSON whole number only (an id or a version): no strings, no booleans, no 1.0."""

    default_error_messages = {"invalid": "Must be a whole number."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "additionalProperties": {"type": "integer"},
        "description": VECTOR_HELP,
        "example": {"x1": 10, "y1": 20, "x2": 110, "y2": 80},
    }
)
class VectorField(serializers.JSONField):
    """Any JSON here; the geometry rules are checked by ``vectors.validate_vector`` in the service."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("help_text", VECTOR_HELP)
        super().__init__(**kwargs)


ATTRIBUTES_HELP = (
    'The label’s attribute values, {"name": value}, checked against its type’s attribute definitions '
    "(unknown names, wrong kinds, out-of-range numbers and missing required values answer 400 naming the "
    "attribute); missing values take the definition's default. On a change, the object replaces all values."
)


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"oneOf": [{"type": "boolean"}, {"type": "number"}, {"type": "string"}]},
        "description": ATTRIBUTES_HELP,
        "example": {"occluded": True, "colour": "red"},
    }
)
class AttributeValuesField(serializers.JSONField):
    """Any JSON here; ``attributes.clean_values`` (in the service) checks it and names the attribute."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", ATTRIBUTES_HELP)
        super().__init__(**kwargs)


class AnnotationTypeBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    vector_type = serializers.ChoiceField(choices=VectorType.choices)
    color = serializers.CharField(help_text="#rrggbb")
    is_tag = serializers.BooleanField(help_text="A whole-image tag (its labels have no vector).")


_DATETIME = serializers.DateTimeField()  # its to_representation: the API's date format and time zone


class AnnotationSerializer(serializers.ModelSerializer):
    """An annotation as the caller sees it. Needs a queryset from ``selectors.readable_annotations``
    (``accepts``, ``rejects``, ``my_vote``) and ``permission_cache`` in the context."""

    image = serializers.IntegerField(source="image_id")
    image_name = serializers.CharField(source="image.name")
    image_width = serializers.IntegerField(source="image.width")
    image_height = serializers.IntegerField(source="image.height")
    annotation_type = AnnotationTypeBriefSerializer()
    vector = VectorField()
    attributes = AttributeValuesField()
    not_in_image = serializers.BooleanField(help_text="No vector and not a tag.")
    is_tag = serializers.BooleanField(help_text="A whole-image tag: its type is a tag type, its vector null.")
    concealed = serializers.BooleanField(help_text="The flag as it counts: set, enabled for the type, and a shape.")
    blurred = serializers.BooleanField(help_text="The flag as it counts: set, enabled for the type, and a shape.")
    concealed_flag = serializers.BooleanField(help_text="The flag as stored.")
    blurred_flag = serializers.BooleanField(help_text="The flag as stored.")
    creator = serializers.SerializerMethodField()
    created = serializers.DateTimeField(source="time")
    last_editor = serializers.SerializerMethodField()
    last_edited = serializers.DateTimeField(source="last_edit_time")
    accepts = serializers.IntegerField()
    rejects = serializers.IntegerField()
    score = serializers.SerializerMethodField(help_text="accepts − rejects")
    my_vote = serializers.SerializerMethodField()
    permissions = serializers.SerializerMethodField()

    class Meta:
        model = Annotation
        fields = [
            "id",
            "uuid",
            "image",
            "image_name",
            "image_width",
            "image_height",
            "annotation_type",
            "vector",
            "attributes",
            "not_in_image",
            "is_tag",
            "concealed",
            "blurred",
            "concealed_flag",
            "blurred_flag",
            "creator",
            "created",
            "last_editor",
            "last_edited",
            "version",
            "origin",
            "model_name",
            "confidence",
            "score",
            "accepts",
            "rejects",
            "my_vote",
            "permissions",
        ]
        read_only_fields = fields

    def to_representation(self, annotation):
        """Written out by hand, as the declared fields would write it (``test_serializers`` checks
        that both agree for every kind of label): building the fields cost a single answer more CPU
        than its data. The declared fields stay for input-free uses: the OpenAPI schema."""
        image, annotation_type = annotation.image, annotation.annotation_type
        vote = annotation.my_vote
        return {
            "id": annotation.pk,
            "uuid": str(annotation.uuid),
            "image": annotation.image_id,
            "image_name": image.name,
            "image_width": image.width,
            "image_height": image.height,
            "annotation_type": {
                "id": annotation_type.pk,
                "name": annotation_type.name,
                "vector_type": annotation_type.vector_type,
                "color": annotation_type.color,
                "is_tag": annotation_type.is_tag,
            },
            "vector": annotation.vector,
            "attributes": annotation.attributes,
            "not_in_image": annotation.not_in_image,
            "is_tag": annotation.is_tag,
            "concealed": annotation.concealed,
            "blurred": annotation.blurred,
            "concealed_flag": annotation.concealed_flag,
            "blurred_flag": annotation.blurred_flag,
            "creator": display_name(annotation.user),
            "created": _DATETIME.to_representation(annotation.time),
            "last_editor": display_name(annotation.last_editor) if annotation.last_editor_id else None,
            "last_edited": _DATETIME.to_representation(annotation.last_edit_time),
            "version": annotation.version,
            "origin": annotation.origin,
            "model_name": annotation.model_name,
            "confidence": annotation.confidence,
            "score": annotation.accepts - annotation.rejects,
            "accepts": annotation.accepts,
            "rejects": annotation.rejects,
            "my_vote": None if vote is None else ("accept" if vote else "reject"),
            "permissions": sorted(self.context["permission_cache"].for_annotation(annotation)),
        }

    def get_score(self, annotation) -> int:
        return annotation.accepts - annotation.rejects

    def get_creator(self, annotation) -> str:
        return display_name(annotation.user)

    def get_last_editor(self, annotation) -> str | None:
        return display_name(annotation.last_editor) if annotation.last_editor_id else None

    @extend_schema_field(serializers.ChoiceField(choices=["accept", "reject"], allow_null=True))
    def get_my_vote(self, annotation):
        vote = annotation.my_vote
        return None if vote is None else ("accept" if vote else "reject")

    @extend_schema_field(
        serializers.ListField(
            child=serializers.ChoiceField(
                choices=["read", "annotate", "edit_annotation", "delete_annotation", "verify", "vote"]
            )
        )
    )
    def get_permissions(self, annotation):
        return sorted(self.context["permission_cache"].for_annotation(annotation))


class CopiedFieldsMixin:
    """Fields copied shallowly from a set made once per class, instead of DRF's deep copy of every
    declared field per instance (re-running each field's ``__init__``: 0.1 ms of a label create's CPU).

    Only for flat input serializers of plain fields: a field keeps nothing of a request but what
    ``bind`` sets on its own copy, and its shared parts (validators, error messages) are only read.
    """

    def get_fields(self):
        prototypes = type(self).__dict__.get("_field_prototypes")
        if prototypes is None:
            prototypes = super().get_fields()
            type(self)._field_prototypes = prototypes
        return {name: copy.copy(field) for name, field in prototypes.items()}


class AnnotationCreateSerializer(CopiedFieldsMixin, serializers.Serializer):
    image = StrictIntegerField(min_value=1, max_value=ID_MAX, help_text="Id of the image.")
    annotation_type = StrictIntegerField(min_value=1, max_value=ID_MAX, help_text="Id of an active annotation type.")
    vector = VectorField()
    concealed = StrictBooleanField(required=False, default=False)
    blurred = StrictBooleanField(required=False, default=False)
    uuid = serializers.UUIDField(
        required=False,
        help_text="Chosen by the client. Sending the same request again with the same uuid answers 200 with "
        "the annotation made the first time instead of making a second one.",
    )
    origin = serializers.ChoiceField(choices=Origin.choices, required=False, default=Origin.HUMAN)
    model_name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="", help_text="For machine-made annotations."
    )
    confidence = StrictFloatField(
        required=False, allow_null=True, default=None, min_value=0, max_value=1, help_text="0 to 1, machine-made."
    )
    attributes = AttributeValuesField(required=False, allow_null=True, default=None)


class AnnotationUpdateSerializer(CopiedFieldsMixin, serializers.Serializer):
    version = StrictIntegerField(
        required=False,
        min_value=1,
        max_value=VERSION_MAX,
        help_text="The version you saw (required here or as the If-Match header). A stale one answers 412.",
    )
    vector = VectorField(required=False)
    annotation_type = StrictIntegerField(
        required=False, min_value=1, max_value=ID_MAX, help_text="Id of an active annotation type."
    )
    concealed = StrictBooleanField(required=False)
    blurred = StrictBooleanField(required=False)
    attributes = AttributeValuesField(required=False, allow_null=True)


class BulkCreateSerializer(serializers.Serializer):
    annotations = serializers.ListField(child=serializers.DictField(), help_text="Items as for a single create.")


class AnnotationBulkRequestSerializer(serializers.Serializer):
    """The bulk request as the schema shows it."""

    annotations = AnnotationCreateSerializer(many=True)


class AnnotationConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    conflicting_annotation = serializers.IntegerField(allow_null=True)
    code = serializers.ChoiceField(choices=["similar", "not_in_image", "uuid"])


class AnnotationStaleSerializer(serializers.Serializer):
    detail = serializers.CharField()
    current = AnnotationSerializer()


class AnnotationErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(required=False)


class AnnotationHistorySerializer(serializers.ModelSerializer):
    user = serializers.SerializerMethodField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)

    class Meta:
        model = AnnotationHistory
        fields = ["action", "user", "time", "before", "after"]
        read_only_fields = fields

    def get_user(self, entry) -> str:
        return display_name(entry.user)
