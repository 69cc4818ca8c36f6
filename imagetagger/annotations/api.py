"""The annotation REST API: /api/v1/annotations/ (list, create, read, change, delete, bulk, history).

Thin: every change goes through ``services``, which enforce the vector rules, the permissions,
similarity, "not in image" and versions. Here the service's exceptions become HTTP answers:
``AnnotationConflict`` → 409, ``StaleVersion`` → 412, ``BulkError`` → 400 with per-item errors.
"""

import math
import re

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from base import paging
from base.ids import parse_id
from base.parsers import JSONParser
from images.models import Image, ImageSet
from imagetagger.api import _summarise, id_from_query

from . import selectors, services
from .models import Annotation, AnnotationType, AttributeKind, Origin
from .serializers import (
    AnnotationBulkRequestSerializer,
    AnnotationConflictSerializer,
    AnnotationCreateSerializer,
    AnnotationErrorSerializer,
    AnnotationHistorySerializer,
    AnnotationSerializer,
    AnnotationStaleSerializer,
    AnnotationUpdateSerializer,
)

BULK_LIMIT = 1000
MAX_ATTRIBUTE_FILTERS = 10
ATTRIBUTE_FILTER_HELP = (
    "name:value — only annotations whose attribute “name” holds “value” (repeat the parameter: all must "
    "hold). With annotation_type, the value is read as that type's definition says (checkbox: true/false, "
    "number, text); without, it matches JSON true/false, a number or the text. The name ends at the first colon."
)
_ETAG = re.compile(r'\s*(?:W/)?(?:"(\d{1,10})"|(\d{1,10}))\s*')  # with fullmatch

ERRORS = {
    400: OpenApiResponse(AnnotationErrorSerializer, description="Invalid input; ``errors`` maps fields to messages."),
    401: OpenApiResponse(AnnotationErrorSerializer, description="Not logged in."),
    403: OpenApiResponse(AnnotationErrorSerializer, description="You may read the set but not do this."),
    404: OpenApiResponse(AnnotationErrorSerializer, description="No such annotation, or not in a set you may read."),
}
CONFLICT = OpenApiResponse(
    AnnotationConflictSerializer,
    description="Similar to another annotation of this type on this image (``similar``), against the "
    "“not in image” rules (``not_in_image``), or the uuid belongs to another annotation (``uuid``). "
    "Nothing was changed.",
)
STALE = OpenApiResponse(
    AnnotationStaleSerializer, description="Changed meanwhile: ``current`` is the annotation as it is now."
)
ANNOTATION_PAGE = inline_serializer(
    "AnnotationPage",
    {
        "more": serializers.BooleanField(help_text="There are more annotations beyond this page."),
        "next": serializers.URLField(allow_null=True, help_text="The next page (in the direction walked)."),
        "previous": serializers.URLField(
            allow_null=True, help_text="The page on the other side of this one (when this one has an anchor)."
        ),
        "count": serializers.IntegerField(
            allow_null=True, help_text="Matching annotations, when asked for with ``count`` (at most its limit)."
        ),
        "count_exact": serializers.BooleanField(
            allow_null=True, help_text="false: there are more than ``count`` (the limit asked for)."
        ),
        "results": AnnotationSerializer(many=True),
    },
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description='The version you saw, as an ETag: "3". Instead of (or equal to) the JSON field ``version``.',
)


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = "Send the version you saw."
    default_code = "precondition_required"


def _bool_param(params, name):
    value = params.get(name)
    if value in (None, ""):
        return False
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise ValidationError({name: ["Give true or false."]})


def _int_param(params, name, what="an id"):
    value = params.get(name)
    return None if value in (None, "") else id_from_query(value, name, what)


def _attribute_filter_error(message):
    return ValidationError({"attribute": [message]})


def _typed_value(annotation_type, definition, text):
    """``text`` read as a value of ``definition`` (a 400 naming the attribute when it cannot be one)."""
    name, kind = definition["name"], definition["kind"]
    if kind == AttributeKind.CHECKBOX:
        if text.lower() not in ("true", "false"):
            raise _attribute_filter_error(
                f"Attribute “{name}” of “{annotation_type.name}” is true or false, not {text!r}."
            )
        return text.lower() == "true"
    if kind == AttributeKind.NUMBER:
        number = _number(text)
        if number is None:
            raise _attribute_filter_error(f"Attribute “{name}” of “{annotation_type.name}” is a number, not {text!r}.")
        return number
    return text


def _number(text):
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    return int(number) if number.is_integer() else number  # JSON compares 5 and 5.0 equal anyway


def _untyped_values(text):
    """The JSON values ``text`` may stand for: the text itself, a boolean, a number."""
    values = [text]
    if text.lower() in ("true", "false"):
        values.append(text.lower() == "true")
    number = _number(text)
    if number is not None:
        values.append(number)
    return values


def _attribute_filters(user, params, type_id):
    """``[(name, [values])]`` from the repeatable ``attribute=name:value`` parameters."""
    raw = params.getlist("attribute")
    if not raw:
        return []
    if len(raw) > MAX_ATTRIBUTE_FILTERS:
        raise _attribute_filter_error(f"At most {MAX_ATTRIBUTE_FILTERS} attribute filters, not {len(raw)}.")
    annotation_type = None
    if type_id is not None:
        annotation_type = selectors.types_visible_to(user).filter(pk=type_id).first()
    filters = []
    for text in raw:
        name, colon, value = text.partition(":")
        name = name.strip()
        if not colon or not name:
            raise _attribute_filter_error(
                f"Give each attribute filter as name:value, like colour:red, not {text[:60]!r}."
            )
        if annotation_type is None:
            filters.append((name, _untyped_values(value)))
            continue
        definition = annotation_type.attribute_definitions().get(name)
        if definition is None:
            known = ", ".join(f"“{known}”" for known in annotation_type.attribute_definitions()) or "none"
            raise _attribute_filter_error(
                f"The type “{annotation_type.name}” has no attribute “{name}” (its attributes: {known})."
            )
        filters.append((name, [_typed_value(annotation_type, definition, value)]))
    return filters


def _header_version(request):
    header = request.headers.get("If-Match")
    if header is None:
        return None
    match = _ETAG.fullmatch(header)
    if match is None:
        raise ValidationError(
            {"version": [f'The If-Match header must name one version, like "3", not {header[:40]!r}.']}
        )
    return int(match.group(1) or match.group(2))


@extend_schema(tags=["annotations"])
class AnnotationViewSet(viewsets.GenericViewSet):
    """Annotations (labels) on images of the sets you may read."""

    serializer_class = AnnotationSerializer
    queryset = Annotation.objects.none()
    parser_classes = [JSONParser]

    def get_queryset(self):
        return selectors.readable_annotations(self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["permission_cache"] = selectors.PermissionCache(self.request.user)
        return context

    def handle_exception(self, exc):
        if isinstance(exc, services.AnnotationConflict):
            body = {"detail": exc.message, "conflicting_annotation": exc.other_id, "code": exc.code}
            return Response(body, status=status.HTTP_409_CONFLICT)
        if isinstance(exc, services.StaleVersion):
            current = self.get_queryset().filter(pk=exc.current.pk).first()
            if current is None:
                return super().handle_exception(NotFound("This annotation no longer exists."))
            body = {"detail": exc.message, "current": self.get_serializer(current).data}
            return self._with_etag(Response(body, status=status.HTTP_412_PRECONDITION_FAILED), current)
        if isinstance(exc, services.BulkError):
            body = {
                "detail": f"{len(exc.errors)} item(s) refused; nothing was saved.",
                "errors": {str(index): message for index, message in exc.errors.items()},
            }
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        if isinstance(exc, DjangoValidationError) and getattr(exc, "code", None) == "gone":
            exc = NotFound(exc.messages[0])
        return super().handle_exception(exc)

    @staticmethod
    def _with_etag(response, annotation):
        response["ETag"] = f'"{annotation.version}"'
        return response

    def _respond(self, annotation, status_code=status.HTTP_200_OK, *, set_permissions=None):
        """The annotation as the list shows it (votes included). ``set_permissions``: the caller's
        rights on its set when known already (no membership query then)."""
        annotation = self.get_queryset().get(pk=annotation.pk)
        return self._with_etag(Response(self._body(annotation, set_permissions), status=status_code), annotation)

    def _body(self, annotation, set_permissions=None):
        """The serialized annotation; ``set_permissions`` spares the membership query when known."""
        context = self.get_serializer_context()
        if set_permissions is not None:
            context["permission_cache"].know(annotation.image.image_set, set_permissions)
        return AnnotationSerializer(annotation, context=context).data

    @extend_schema(
        parameters=[
            OpenApiParameter("image", int, description="Only annotations of this image."),
            OpenApiParameter("image_set", int, description="Only annotations of this image set."),
            OpenApiParameter("annotation_type", int, description="Only annotations of this type."),
            OpenApiParameter("origin", str, enum=Origin.values, description="Only human- or machine-made ones."),
            OpenApiParameter("not_voted_by_me", bool, description="true: only annotations you have not voted on."),
            OpenApiParameter("not_mine", bool, description="true: leave out the annotations you created."),
            OpenApiParameter("attribute", str, many=True, description=ATTRIBUTE_FILTER_HELP),
            OpenApiParameter(
                "after", int, description="An annotation id: only those after it in the list's order (keyset paging)."
            ),
            OpenApiParameter(
                "before",
                int,
                description="An annotation id: only those before it in the list's order, the nearest first.",
            ),
            OpenApiParameter(
                "order",
                str,
                enum=["image", "confidence"],
                description="image (default): by image name, then id. confidence: the machine-made ones only, "
                "least confident first (none counts as least), then id — the review queue.",
            ),
            OpenApiParameter("model_name", str, description="Only the labels of this model (machine-made)."),
            OpenApiParameter(
                "page_size", int, description=f"Annotations per page, 1 to {paging.MAX_PAGE_SIZE} ({paging.PAGE_SIZE})."
            ),
            OpenApiParameter(
                "count",
                str,
                description="true: count every matching annotation (after/before the anchor), a cost that grows "
                f"with the list; a number (1 to {paging.MAX_COUNT_LIMIT}): count up to it and stop. "
                "Left out: no count.",
            ),
        ],
        responses={200: ANNOTATION_PAGE, 400: ERRORS[400], 401: ERRORS[401]},
    )
    def list(self, request):
        """Annotations of active types in sets you may read, by image name, then id, a page at a time:
        follow ``next`` (the page after the last one shown) while ``more`` is true. Ask for ``count``
        only when needed: it counts every matching annotation."""
        params = request.query_params
        paging.refuse_page_numbers(params)
        origin = params.get("origin") or None
        if origin is not None and origin not in Origin.values:
            raise ValidationError({"origin": ["Give “human” or “machine”."]})
        type_id = _int_param(params, "annotation_type")
        order = params.get("order") or "image"
        if order not in ("image", "confidence"):
            raise ValidationError({"order": ["Give “image” (by image name) or “confidence” (least sure first)."]})
        annotations = selectors.annotation_list(
            request.user,
            image=_int_param(params, "image"),
            image_set=_int_param(params, "image_set"),
            annotation_type=type_id,
            attributes=_attribute_filters(request.user, params, type_id),
            not_voted_by_me=_bool_param(params, "not_voted_by_me"),
            not_mine=_bool_param(params, "not_mine"),
            origin=origin,
            after=self._anchor(request, params, "after"),
            before=self._anchor(request, params, "before"),
            order=order,
            model_name=params.get("model_name") or None,
        )
        direction = "before" if "before" in params else "after"
        body = paging.keyset_page(
            request, annotations, direction=direction, serialize=lambda rows: self.get_serializer(rows, many=True).data
        )
        return Response(body)

    def _anchor(self, request, params, name):
        """The annotation named by ``after``/``before`` (any type, readable), else a 400."""
        pk = _int_param(params, name)
        if pk is None:
            return None
        visible = ImageSet.objects.visible_to(request.user)
        anchor = Annotation.objects.filter(pk=pk, image__image_set__in=visible).select_related("image").first()
        if anchor is None:
            raise ValidationError({name: ["There is no annotation with this id."]})
        return anchor

    @extend_schema(
        request=AnnotationCreateSerializer,
        responses={
            201: AnnotationSerializer,
            200: OpenApiResponse(AnnotationSerializer, description="A replay: this uuid was created before."),
            409: CONFLICT,
            **ERRORS,
        },
    )
    def create(self, request):
        """Add an annotation (``annotate`` on the image's set). Creating casts no vote."""
        data = AnnotationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        # The service reads the image (locked, with the caller's rights on its set) and the type once;
        # an image of a set the caller may not read is answered as a missing one.
        annotation, created = services.create_annotation(actor=request.user, hide_unreadable=True, **fields)
        if not created:
            return self._respond(annotation, status.HTTP_200_OK)
        # A new annotation has no votes yet: answer without reading it back through the list query,
        # and with the rights on its set that the service computed.
        annotation.accepts = annotation.rejects = 0
        annotation.my_vote = None
        body = self._body(annotation, annotation.image.set_permissions)
        return self._with_etag(Response(body, status=status.HTTP_201_CREATED), annotation)

    @extend_schema(responses={200: AnnotationSerializer, 401: ERRORS[401], 404: ERRORS[404]})
    def retrieve(self, request, pk=None):
        """One annotation (of any type, also an inactive one). The ETag header is its version."""
        return self._respond(self.get_object())

    @extend_schema(
        request=AnnotationUpdateSerializer,
        parameters=[IF_MATCH],
        responses={
            200: AnnotationSerializer,
            409: CONFLICT,
            412: STALE,
            428: OpenApiResponse(AnnotationErrorSerializer, description="No version given."),
            **ERRORS,
        },
    )
    def partial_update(self, request, pk=None):
        """Change the vector, type, flags or attribute values (``edit_annotation``). Name the version you saw, as the
        field ``version`` or the header ``If-Match: "<version>"``; if it is no longer current, nothing
        changes and the answer is 412 with the current annotation."""
        # No read before the service: it locks the image and the annotation and reads the caller's
        # rights in the same statements. A refused request still answers 404 first for an annotation
        # the caller may not read (``get_object``), as it always did.
        data = AnnotationUpdateSerializer(data=request.data)
        if not data.is_valid():
            self.get_object()
            raise ValidationError(data.errors)
        fields = dict(data.validated_data)
        try:
            version = self._version(request, fields.pop("version", None))
        except ValidationError:
            self.get_object()
            raise
        if version is None:
            self.get_object()
            raise PreconditionRequired(
                "Send the version of the annotation you changed, as the field “version” or the header "
                'If-Match: "<version>", so that nobody’s edit is overwritten unseen.'
            )
        try:
            annotation = services.update_annotation(
                actor=request.user, annotation=self._pk(pk), expected_version=version, hide_unreadable=True, **fields
            )
        except DjangoValidationError as error:
            if getattr(error, "code", None) == "gone":
                self.get_object()  # the usual 404 for an annotation that is not (or no longer) readable
            raise
        return self._respond(annotation, set_permissions=annotation.image.set_permissions)

    def _pk(self, pk):
        """The annotation id of the URL, or the usual 404 for one that cannot be an id."""
        number = parse_id(pk)
        if number is None:
            self.get_object()
            raise NotFound()
        return number

    @staticmethod
    def _version(request, body_version):
        header_version = _header_version(request)
        if body_version is not None and header_version is not None and body_version != header_version:
            raise ValidationError({"version": ["The field “version” and the If-Match header disagree."]})
        return body_version if body_version is not None else header_version

    @extend_schema(
        parameters=[
            IF_MATCH,
            OpenApiParameter("version", int, description="The version you saw; if given and stale: 412."),
        ],
        responses={204: None, 412: STALE, **ERRORS},
    )
    def destroy(self, request, pk=None):
        """Delete the annotation (``delete_annotation``); its history stays. A version (query
        parameter or If-Match) is optional; when given and stale, nothing is deleted (412)."""
        annotation = self.get_object()
        version = self._version(request, _int_param(request.query_params, "version", "a version"))
        services.delete_annotation(actor=request.user, annotation=annotation, expected_version=version)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: AnnotationHistorySerializer(many=True), 401: ERRORS[401], 404: ERRORS[404]})
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request, pk=None):
        """Every change of the annotation, oldest first: who, when, and its state before and after."""
        annotation = self.get_object()
        return Response(AnnotationHistorySerializer(selectors.history_of(annotation), many=True).data)

    @extend_schema(
        request=AnnotationBulkRequestSerializer,
        responses={
            201: AnnotationSerializer(many=True),
            200: OpenApiResponse(AnnotationSerializer(many=True), description="Nothing new (all replays)."),
            400: OpenApiResponse(
                inline_serializer(
                    "AnnotationBulkError",
                    {"detail": serializers.CharField(), "errors": serializers.DictField(child=serializers.CharField())},
                ),
                description="Nothing was saved; ``errors`` maps the index of each refused item to its reason.",
            ),
            401: ERRORS[401],
        },
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Create up to 1000 annotations at once, all or nothing (for scripts). Items as for a single
        create; an item with a uuid created before counts as a replay."""
        items = request.data.get("annotations") if isinstance(request.data, dict) else None
        if not isinstance(items, list):
            raise ValidationError({"annotations": ['Send {"annotations": [ {…}, {…} ]}.']})
        if len(items) > BULK_LIMIT:
            raise ValidationError(
                {"annotations": [f"At most {BULK_LIMIT} annotations per request, not {len(items)}; split the list."]}
            )
        parsed, errors = self._parse_bulk(request.user, items)
        if errors:
            raise services.BulkError(errors)
        results = services.bulk_create_annotations(actor=request.user, items=parsed)
        ids = [annotation.pk for annotation, _created in results]
        by_id = self.get_queryset().in_bulk(ids)
        body = self.get_serializer([by_id[pk] for pk in ids], many=True).data
        created = any(created for _annotation, created in results)
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @staticmethod
    def _parse_bulk(user, items):
        """Items checked field by field, with images and types looked up in two queries."""
        errors, valid = {}, {}
        for index, item in enumerate(items):
            data = AnnotationCreateSerializer(data=item) if isinstance(item, dict) else None
            if data is None:
                errors[index] = "Each item must be a JSON object."
            elif not data.is_valid():
                errors[index] = " ".join(_summarise(data.errors))
            else:
                valid[index] = dict(data.validated_data)
        images = Image.objects.filter(
            pk__in={fields["image"] for fields in valid.values()}, image_set__in=ImageSet.objects.visible_to(user)
        ).select_related("image_set")
        images = {image.pk: image for image in images}
        types = AnnotationType.objects.in_bulk({fields["annotation_type"] for fields in valid.values()})
        parsed = []
        for index, fields in valid.items():
            fields["image"] = images.get(fields["image"])
            fields["annotation_type"] = types.get(fields["annotation_type"])
            if fields["image"] is None:
                errors[index] = "image: There is no image with this id."
            elif fields["annotation_type"] is None:
                errors[index] = "annotation_type: There is no annotation type with this id."
            parsed.append(fields)
        return parsed, dict(sorted(errors.items()))
