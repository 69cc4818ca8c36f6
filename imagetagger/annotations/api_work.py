"""REST API of work distribution, the whole-set "not in image" action and statistics (``work.py``).

- ``POST imagesets/<id>/next-image/`` ``{"annotation_type": id, "after_image": id?}``: the next image
  of the set needing a label of that type, leased to the caller: 200 ``{"image": {...},
  "annotation_type": id, "lease_expires": ...}``, or 204 when every image is done or taken.
- ``POST next-image/`` ``{"annotation_type": id}``: the same across every set the caller may annotate,
  sets of higher priority first.
- ``POST leases/renew/`` ``{"image": id, "annotation_type": id}``: the heartbeat; 200 with the new
  expiry, 409 when another annotator holds the image.
- ``POST leases/release/`` ``{"image": id, "annotation_type": id}``: give the image back; 204.
- ``POST imagesets/<id>/not-in-image/`` ``{"annotation_type": id}``: mark every image without a label
  of that type "not in image" (``edit_set``); 200 ``{"created": n}``.
- ``GET imagesets/<id>/statistics/`` and ``GET users/<id>/statistics/``.

Sets and images the caller may not read answer 404; actions they may not do 403.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import APIView

from images.models import Image, ImageSet
from images.permissions import imageset_permissions
from images.serializers import ImageSerializer

from . import work
from .services import annotation_type_for

User = get_user_model()


class LeaseConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "lease_held"


# --- serializers ----------------------------------------------------------------------------------


class NextImageRequestSerializer(serializers.Serializer):
    annotation_type = serializers.IntegerField(help_text="Id of an active annotation type.")
    after_image = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="Id of an image of this set: start after it (by name), wrapping around.",
    )


class AnyNextImageRequestSerializer(serializers.Serializer):
    annotation_type = serializers.IntegerField(help_text="Id of an active annotation type.")


class LeaseRequestSerializer(serializers.Serializer):
    image = serializers.IntegerField()
    annotation_type = serializers.IntegerField()


class NextImageSerializer(serializers.Serializer):
    image = ImageSerializer()
    annotation_type = serializers.IntegerField()
    lease_expires = serializers.DateTimeField(help_text="Renew the lease before this time (leases/renew/).")


class LeaseSerializer(serializers.Serializer):
    image = serializers.IntegerField()
    annotation_type = serializers.IntegerField()
    lease_expires = serializers.DateTimeField()


class NotInImageRequestSerializer(serializers.Serializer):
    annotation_type = serializers.IntegerField(help_text="Id of an active annotation type.")


def _counters(**fields):
    """The counters of ``work.imageset_statistics`` as serializer fields, plus ``fields``."""
    return {**{name: serializers.IntegerField() for name in work.COUNTERS}, **fields}


class TypeRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    active = serializers.BooleanField()
    color = serializers.CharField(help_text="#rrggbb")


CountersSerializer = type("CountersSerializer", (serializers.Serializer,), _counters())
TypeStatisticsSerializer = type(
    "TypeStatisticsSerializer",
    (serializers.Serializer,),
    _counters(
        annotation_type=TypeRefSerializer(),
        annotated_images=serializers.IntegerField(help_text="Images with at least one annotation of this type."),
        missing_images=serializers.IntegerField(help_text="Images without any annotation of this type."),
    ),
)


class SetStatisticsSerializer(serializers.Serializer):
    image_set = serializers.IntegerField()
    images = serializers.IntegerField()
    annotated_images = serializers.IntegerField(help_text="Images with at least one annotation of any type.")
    annotations = CountersSerializer(
        help_text="All types together. Verification state: unverified (no votes), accepted (score > 0), "
        "rejected (score < 0), disputed (votes, score 0)."
    )
    types = TypeStatisticsSerializer(many=True, help_text="Every active type, plus inactive ones used in the set.")


class UserStatisticsSerializer(serializers.Serializer):
    user = serializers.IntegerField()
    username = serializers.CharField()
    annotations = inline_serializer(
        "UserAnnotationCounts",
        {name: serializers.IntegerField() for name in ("total", "shapes", "not_in_image", "human", "machine")},
    )
    votes_given = inline_serializer(
        "UserVotesGiven", {name: serializers.IntegerField() for name in ("total", "accepts", "rejects")}
    )
    votes_received = inline_serializer(
        "UserVotesReceived", {name: serializers.IntegerField() for name in ("accepts", "rejects")}
    )
    points = serializers.IntegerField()


# --- helpers --------------------------------------------------------------------------------------


def _readable_set(user, set_id):
    image_set = ImageSet.objects.filter(pk=set_id).select_related("team").first()
    if image_set is None or "read" not in imageset_permissions(user, image_set):
        raise Http404("No such image set.")
    return image_set


def _readable_image(user, image_id):
    image = Image.objects.filter(pk=image_id).select_related("image_set").first()
    if image is None or "read" not in imageset_permissions(user, image.image_set):
        raise Http404("No such image.")
    return image


def _valid(serializer_class, request):
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


def _next_image_body(request, lease, annotation_type):
    return {
        "image": ImageSerializer(lease.image, context={"request": request}).data,
        "annotation_type": annotation_type.pk,
        "lease_expires": lease.expires,
    }


# --- views ----------------------------------------------------------------------------------------


class NextImageView(APIView):
    @extend_schema(
        operation_id="imagesets_next_image",
        request=NextImageRequestSerializer,
        responses={200: NextImageSerializer, 204: None},
    )
    def post(self, request, set_id):
        """The next image of the set (by name, after ``after_image``, wrapping around) without any
        annotation of the type and not leased to somebody else, leased to you for
        ``IT_ANNOTATION_LEASE_SECONDS`` (``annotate``). 204 when none is left."""
        image_set = _readable_set(request.user, set_id)
        data = _valid(NextImageRequestSerializer, request)
        annotation_type = annotation_type_for(data["annotation_type"])
        after_image = None
        if data.get("after_image") is not None:
            after_image = Image.objects.filter(pk=data["after_image"], image_set=image_set).first()
            if after_image is None:
                raise DjangoValidationError({"after_image": "There is no image with this id in this image set."})
        lease = work.next_image(
            actor=request.user, image_set=image_set, annotation_type=annotation_type, after_image=after_image
        )
        if lease is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(_next_image_body(request, lease, annotation_type))


class NextImageAnywhereView(APIView):
    @extend_schema(
        operation_id="next_image_any_set",
        request=AnyNextImageRequestSerializer,
        responses={200: NextImageSerializer, 204: None},
    )
    def post(self, request):
        """The next image needing a label of the type in any set you may annotate: sets of higher
        priority first, then newer sets; leased to you as for one set. 204 when none is left."""
        data = _valid(AnyNextImageRequestSerializer, request)
        annotation_type = annotation_type_for(data["annotation_type"])
        lease = work.next_image_across_sets(actor=request.user, annotation_type=annotation_type)
        if lease is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(_next_image_body(request, lease, annotation_type))


class LeaseRenewView(APIView):
    @extend_schema(operation_id="leases_renew", request=LeaseRequestSerializer, responses={200: LeaseSerializer})
    def post(self, request):
        """Heartbeat: keep your lease on an image for another ``IT_ANNOTATION_LEASE_SECONDS``. Takes
        the lease when nobody holds a live one; 409 when another annotator does (``annotate``)."""
        data = _valid(LeaseRequestSerializer, request)
        image = _readable_image(request.user, data["image"])
        annotation_type = annotation_type_for(data["annotation_type"])
        try:
            lease = work.renew_lease(actor=request.user, image=image, annotation_type=annotation_type)
        except work.LeaseHeld as error:
            raise LeaseConflict(error.message) from None
        return Response({"image": image.pk, "annotation_type": annotation_type.pk, "lease_expires": lease.expires})


class LeaseReleaseView(APIView):
    @extend_schema(operation_id="leases_release", request=LeaseRequestSerializer, responses={204: None})
    def post(self, request):
        """Give your lease on an image back (e.g. you skipped it), so the next annotator gets it at
        once. 204 also when you held none."""
        data = _valid(LeaseRequestSerializer, request)
        image = _readable_image(request.user, data["image"])
        annotation_type = annotation_type_for(data["annotation_type"])
        work.release_lease(actor=request.user, image=image, annotation_type=annotation_type)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SetNotInImageView(APIView):
    @extend_schema(
        operation_id="imagesets_not_in_image",
        request=NotInImageRequestSerializer,
        responses={
            200: inline_serializer("NotInImageResult", {"created": serializers.IntegerField()}),
        },
    )
    def post(self, request, set_id):
        """Mark every image of the set without any annotation of the type as "not in image" for it
        (``edit_set``, active types only). Casts no votes. Answers how many were created."""
        image_set = _readable_set(request.user, set_id)
        data = _valid(NotInImageRequestSerializer, request)
        annotation_type = annotation_type_for(data["annotation_type"])
        created = work.annotate_set_not_in_image(
            actor=request.user, image_set=image_set, annotation_type=annotation_type
        )
        return Response({"created": created})


class SetStatisticsView(APIView):
    @extend_schema(operation_id="imagesets_statistics", responses={200: SetStatisticsSerializer})
    def get(self, request, set_id):
        """Images, annotations per type (shapes and "not in image"), verification state and
        human/machine counts of a set you may read."""
        image_set = _readable_set(request.user, set_id)
        statistics = work.imageset_statistics(image_set)
        statistics["image_set"] = image_set.pk
        return Response(SetStatisticsSerializer(statistics).data)


class UserStatisticsView(APIView):
    @extend_schema(operation_id="users_statistics", responses={200: UserStatisticsSerializer})
    def get(self, request, user_id):
        """A user's annotations, votes given, votes received from others, and points. About other
        users, only what happened in sets you may read is counted; ``points`` is always their total."""
        user = User.objects.filter(pk=user_id).first()
        if user is None:
            raise Http404("No such user.")
        statistics = work.user_statistics(user, viewer=request.user)
        statistics.update(user=user.pk, username=user.username)
        return Response(UserStatisticsSerializer(statistics).data)


urls = [
    path("imagesets/<int:set_id>/next-image/", NextImageView.as_view(), name="imageset-next-image"),
    path("imagesets/<int:set_id>/not-in-image/", SetNotInImageView.as_view(), name="imageset-not-in-image"),
    path("imagesets/<int:set_id>/statistics/", SetStatisticsView.as_view(), name="imageset-statistics"),
    path("next-image/", NextImageAnywhereView.as_view(), name="next-image"),
    path("leases/renew/", LeaseRenewView.as_view(), name="lease-renew"),
    path("leases/release/", LeaseReleaseView.as_view(), name="lease-release"),
    path("users/<int:user_id>/statistics/", UserStatisticsView.as_view(), name="user-statistics"),
]
