"""Voting on annotations: /api/v1/annotations/<id>/vote/ (read, cast or change, withdraw)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from . import votes
from .models import Annotation
from .permissions import annotation_permissions


class VoteRequestSerializer(serializers.Serializer):
    vote = serializers.ChoiceField(choices=votes.VOTES, help_text="“accept” or “reject”.")


class VoteStateSerializer(serializers.Serializer):
    annotation = serializers.IntegerField(help_text="The annotation's id.")
    vote = serializers.ChoiceField(
        choices=votes.VOTES, allow_null=True, help_text="Your vote: “accept”, “reject”, or null when you have none."
    )
    score = serializers.IntegerField(help_text="accepts − rejects.")
    accepts = serializers.IntegerField()
    rejects = serializers.IntegerField()


def _state_data(state):
    return VoteStateSerializer(
        {
            "annotation": state.annotation,
            "vote": state.vote,
            "score": state.score,
            "accepts": state.accepts,
            "rejects": state.rejects,
        }
    ).data


_ERROR = inline_serializer(
    "VoteError",
    {
        "detail": serializers.CharField(),
        "errors": serializers.DictField(required=False, help_text="Field errors (400 only)."),
    },
)
_NOT_FOUND = OpenApiResponse(_ERROR, description="No such annotation, or you may not read its image set.")
_FORBIDDEN = OpenApiResponse(
    _ERROR,
    description="You may not verify annotations of this set, or it is your own annotation "
    "(“You cannot vote on your own annotation.”).",
)


class AnnotationVoteView(APIView):
    """Your vote on one annotation. One vote per user and annotation; it can be changed and withdrawn.
    Voting needs the ``verify`` right on the image set and is refused on your own annotations. Accepts
    give points to the annotation's creator."""

    def _annotation(self, request, pk):
        annotation = Annotation.objects.select_related("image__image_set").filter(pk=pk).first()
        if annotation is None or "read" not in annotation_permissions(request.user, annotation):
            raise NotFound("No annotation matches the given query.")
        return annotation

    def _run(self, change, **arguments):
        try:
            return Response(_state_data(change(**arguments)))
        except Annotation.DoesNotExist:  # deleted meanwhile
            raise NotFound("No annotation matches the given query.") from None

    @extend_schema(
        operation_id="annotations_vote_retrieve",
        responses={200: VoteStateSerializer, 404: _NOT_FOUND},
    )
    def get(self, request, pk):
        """The annotation's tally (accepts, rejects, score) and your vote on it."""
        return Response(_state_data(votes.vote_state(self._annotation(request, pk), request.user)))

    @extend_schema(
        operation_id="annotations_vote_update",
        request=VoteRequestSerializer,
        responses={
            200: VoteStateSerializer,
            400: OpenApiResponse(_ERROR, description='The body is not {"vote": "accept"|"reject"}.'),
            403: _FORBIDDEN,
            404: _NOT_FOUND,
        },
    )
    def put(self, request, pk):
        """Accept or reject the annotation, or change your vote. Repeating a vote changes nothing."""
        data = VoteRequestSerializer(data=request.data)
        if not data.is_valid():
            self._annotation(request, pk)  # 404 before 400, as always
            raise ValidationError(data.errors)
        # No read before the service: it locks the annotation (with its set) and checks the rights
        # itself; one it may not read answers 404 through ``Annotation.DoesNotExist``.
        return self._run(
            votes.cast_vote, actor=request.user, annotation=Annotation(pk=pk), vote=data.validated_data["vote"]
        )

    @extend_schema(
        operation_id="annotations_vote_destroy",
        request=None,
        responses={200: VoteStateSerializer, 403: _FORBIDDEN, 404: _NOT_FOUND},
    )
    def delete(self, request, pk):
        """Withdraw your vote. Answers 200 with the new tally (``vote`` null), also when you had none."""
        return self._run(votes.withdraw_vote, actor=request.user, annotation=Annotation(pk=pk))
