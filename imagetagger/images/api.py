from django.conf import settings
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from annotations.models import Annotation, AnnotationType
from annotations.permissions import type_owners_of_set
from annotations.selectors import types_visible_to
from base import paging
from base.parsers import JSONParser
from imagetagger.api import Pagination, id_from_query
from users.models import Team

from . import selectors, services
from .ingest import ingest_uploads
from .models import Image, ImageSet, SetTag
from .permissions import memberships_by_team
from .serializers import (
    ImageSerializer,
    ImageSetCreateSerializer,
    ImageSetSerializer,
    ImageSetUpdateSerializer,
    PinSerializer,
    TagListSerializer,
    TagSerializer,
    UploadResponseSerializer,
)


def _annotations_of_type(image_set, type_id):
    """``(annotations of the image in OuterRef("pk") with this type, the type's id)`` (the type given as a
    query parameter); a type the set may not use (another team's) is as unknown as a missing one."""
    type_id = id_from_query(type_id, "missing_annotation_type", "an annotation type id")
    owners = type_owners_of_set(image_set)
    if not AnnotationType.objects.usable_by_teams(owners).filter(pk=type_id).exists():
        raise ValidationError({"missing_annotation_type": ["There is no annotation type with this id."]})
    return Annotation.objects.filter(image=OuterRef("pk"), annotation_type_id=type_id), type_id


def _types_by_id(user, type_ids):
    """The annotation types with these ids that ``user`` can see; an unknown or unseen id is a 400."""
    found = {annotation_type.pk: annotation_type for annotation_type in types_visible_to(user).filter(pk__in=type_ids)}
    missing = sorted(set(type_ids) - set(found))
    if missing:
        raise ValidationError(
            {"annotation_types": [f"There is no annotation type with the id(s) {', '.join(map(str, missing))}."]}
        )
    return [found[type_id] for type_id in dict.fromkeys(type_ids)]


def readable_sets(user):
    return (
        ImageSet.objects.visible_to(user)
        .select_related("team", "creator")
        .prefetch_related("set_tags", "annotation_types")
    )  # ``image_count`` is the maintained column: no aggregate over every image of every set


IMAGE_PAGE = inline_serializer(
    "ImagePage",
    {
        "count": serializers.IntegerField(help_text="The set's images (without a label of the type, when filtered)."),
        "count_exact": serializers.BooleanField(help_text="Always true here: the count is kept, not estimated."),
        "more": serializers.BooleanField(help_text="There are more images beyond this page."),
        "next": serializers.URLField(allow_null=True, help_text="The next page (in the direction walked)."),
        "previous": serializers.URLField(
            allow_null=True, help_text="The page on the other side of this one (when this one has an anchor)."
        ),
        "results": ImageSerializer(many=True),
    },
)


class SetImagesPagination(Pagination):
    """Page numbers (``?page=N``) with the set's maintained count (``known_count``), not a COUNT(*)."""

    known_count = None

    def django_paginator_class(self, queryset, page_size):
        paginator = Paginator(queryset, page_size)
        if self.known_count is not None:
            paginator.count = self.known_count
        return paginator


@extend_schema(
    parameters=[
        OpenApiParameter("team", int, description="Only sets of this team."),
        OpenApiParameter("q", str, description="Part of the set name."),
        OpenApiParameter("tag", str, description="Only sets with this tag (repeat for several: all must match)."),
    ]
)
class ImageSetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Image sets the caller may read: public ones and those of the caller's teams."""

    serializer_class = ImageSetSerializer
    queryset = ImageSet.objects.none()
    pagination_class = SetImagesPagination
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self):
        sets = readable_sets(self.request.user)
        if self.action == "list":
            params = self.request.query_params
            if params.get("team"):
                sets = sets.filter(team_id=id_from_query(params["team"], "team", "a team id"))
            if params.get("q"):
                sets = sets.filter(name__icontains=params["q"])
            for tag in params.getlist("tag"):
                sets = sets.filter(set_tags__name=tag)
        return sets.order_by(Lower("team__name"), Lower("name"), "id")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        user = self.request.user
        if user.is_authenticated:
            context["pinned_ids"] = set(user.pinned_sets.values_list("pk", flat=True))
            context["memberships"] = memberships_by_team(user, user.team_memberships.values_list("team_id", flat=True))
        return context

    def _set(self):
        return get_object_or_404(readable_sets(self.request.user), pk=self.kwargs["pk"])

    def _respond(self, image_set, status_code=status.HTTP_200_OK):
        return Response(self.get_serializer(self._reload(image_set)).data, status=status_code)

    def _reload(self, image_set):
        return readable_sets(self.request.user).get(pk=image_set.pk)

    @extend_schema(request=ImageSetCreateSerializer, responses={201: ImageSetSerializer})
    def create(self, request):
        """Create a set for one of your teams."""
        data = ImageSetCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        team = Team.objects.filter(pk=fields.pop("team")).first()
        if team is None:
            raise ValidationError({"team": ["There is no such team."]})
        image_set = services.create_imageset(actor=request.user, team=team, **fields)
        return self._respond(image_set, status.HTTP_201_CREATED)

    @extend_schema(request=ImageSetUpdateSerializer, responses=ImageSetSerializer)
    def partial_update(self, request, pk=None):
        """Change details (``edit_set``); ``public``, ``public_collaboration`` and ``image_lock`` need
        ``manage_set`` (team admins and the set's creator)."""
        image_set = self._set()
        data = ImageSetUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        type_ids = changes.pop("annotation_types", None)
        with transaction.atomic():
            if changes or type_ids is None:
                image_set = services.update_imageset(actor=request.user, image_set=image_set, **changes)
            if type_ids is not None:
                services.set_annotation_types(
                    actor=request.user, image_set=image_set, annotation_types=_types_by_id(request.user, type_ids)
                )
        return self._respond(image_set)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        """Delete the set with all its images (``delete_set``)."""
        services.delete_imageset(actor=request.user, image_set=self._set())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=ImageSetSerializer)
    @action(detail=True, methods=["post"], url_path="set-free")
    def set_free(self, request, pk=None):
        """Give the set away: no team, public, open for collaboration, locked (``delete_set``)."""
        image_set = services.set_free(actor=request.user, image_set=self._set())
        return self._respond(image_set)

    @extend_schema(request=PinSerializer, responses=ImageSetSerializer)
    @action(detail=True, methods=["put"])
    def pin(self, request, pk=None):
        """Pin the set to your home page (``{"pinned": true}``) or unpin it."""
        image_set = self._set()
        data = PinSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.set_pinned(actor=request.user, image_set=image_set, pinned=data.validated_data["pinned"])
        return Response(self.get_serializer(self._reload(image_set), context=self.get_serializer_context()).data)

    @extend_schema(request=TagSerializer, responses={200: TagListSerializer, 201: TagListSerializer})
    @action(detail=True, methods=["post"])
    def tags(self, request, pk=None):
        """Tag the set (``edit_set``). Names are normalised: lower case, ``_`` for spaces."""
        image_set = self._set()
        data = TagSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tag, added = services.add_tag(actor=request.user, image_set=image_set, name=data.validated_data["name"])
        return Response({"name": tag.name}, status=status.HTTP_201_CREATED if added else status.HTTP_200_OK)

    @extend_schema(responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"tags/(?P<tag_name>[^/]+)")
    def remove_tag(self, request, pk=None, tag_name=None):
        """Remove a tag from the set (``edit_set``)."""
        services.remove_tag(actor=request.user, image_set=self._set(), name=tag_name)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "missing_annotation_type", int, description="Only images without any annotation of this type."
            ),
            OpenApiParameter("after", int, description="An image id: the images after it by name (keyset paging)."),
            OpenApiParameter("before", int, description="An image id: the images before it by name, nearest first."),
            OpenApiParameter("page", int, description="A page number instead (count, next, previous, results)."),
            OpenApiParameter(
                "page_size", int, description=f"Images per page, 1 to {paging.MAX_PAGE_SIZE} ({paging.PAGE_SIZE})."
            ),
        ],
        responses=IMAGE_PAGE,
    )
    @action(detail=True, methods=["get"], serializer_class=ImageSerializer)
    def images(self, request, pk=None):
        """The set's images by name, a page at a time: follow ``next`` while ``more`` is true. ``count``
        (the set's images, or those without a label of the type) comes from the maintained counts.
        ``page=N`` answers the N-th page instead (``count``, ``next``, ``previous``, ``results``): a
        position to jump to, whose cost grows with N (the images before it are skipped)."""
        params = request.query_params
        image_set = self._set()
        images = image_set.images.order_by("name", "id")
        count = image_set.image_count
        if params.get("missing_annotation_type"):
            labelled, type_id = _annotations_of_type(image_set, params["missing_annotation_type"])
            images = images.filter(~Exists(labelled))
            count -= selectors.labelled_images(image_set, [type_id]).get(type_id, 0)
        if "page" in params:  # page numbers (the annotate page's image list jumps to a position)
            self.paginator.known_count = count
            page = self.paginate_queryset(images)
            return self.get_paginated_response(ImageSerializer(page, many=True, context={"request": request}).data)
        direction = "before" if "before" in params else "after"
        anchor_id = id_from_query(params[direction], direction) if params.get(direction) else None
        if anchor_id is not None:
            anchor = image_set.images.filter(pk=anchor_id).values_list("name", "id").first()
            if anchor is None:
                raise ValidationError({direction: ["There is no image with this id in this set."]})
            images = images.filter(paging.beyond(("name", "id"), anchor, "gt" if direction == "after" else "lt"))
            if direction == "before":
                images = images.order_by("-name", "-id")

        def serialize(rows):
            return ImageSerializer(rows, many=True, context={"request": request}).data

        return Response(
            paging.keyset_page(request, images, direction=direction, serialize=serialize, known_count=count)
        )

    @images.mapping.post
    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"}}},
            }
        },
        responses={201: UploadResponseSerializer, 200: UploadResponseSerializer},
    )
    def upload_images(self, request, pk=None):
        """Upload images or archives (zip, tar, tar.gz) as multipart field ``files`` (repeatable).

        Answers 201 when at least one image was added, 200 otherwise, with a result per file.
        """
        image_set = self._set()
        files = request.FILES.getlist("files") or request.FILES.getlist("files[]")
        if not files:
            raise ValidationError({"files": ["Send one or more files in the multipart field 'files'."]})
        results = ingest_uploads(actor=request.user, image_set=image_set, uploaded_files=files)
        added = any(result.status == "added" for result in results)
        body = {"files": [result.as_dict() for result in results]}
        return Response(body, status=status.HTTP_201_CREATED if added else status.HTTP_200_OK)


class ImageViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Single images. The file itself is at ``url``; deleting needs ``delete_images``."""

    serializer_class = ImageSerializer
    queryset = Image.objects.none()

    def get_queryset(self):
        readable = ImageSet.objects.visible_to(self.request.user)
        return Image.objects.filter(image_set__in=readable).select_related("image_set")

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        image = self.get_object()
        services.delete_images(actor=request.user, image_set=image.image_set, image_ids=[image.pk])
        return Response(status=status.HTTP_204_NO_CONTENT)


class TagViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Tag names for autocompletion (prefix matches first); only tags of sets you may read."""

    serializer_class = TagListSerializer
    queryset = SetTag.objects.none()
    pagination_class = None

    @extend_schema(parameters=[OpenApiParameter("q", str, required=True, description="Part of a tag name.")])
    def list(self, request):
        names = selectors.tag_suggestions(request.user, request.query_params.get("q", ""), settings.AUTOCOMPLETE_LIMIT)
        return Response([{"name": name} for name in names])
