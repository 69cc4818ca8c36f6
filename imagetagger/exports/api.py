"""Exports in the REST API.

- ``POST /api/v1/imagesets/<id>/exports/`` ``{"format": id}`` or ``{"standard": "coco", "options": {…}}``:
  201 with the export when it was written at once, 202 with its status URL (``Location``) when queued;
- ``GET /api/v1/imagesets/<id>/exports/``: the set's exports, newest first;
- ``GET /api/v1/exports/<id>/``: state, progress, report and the download URL once done;
- ``GET /api/v1/exports/<id>/download/``: the file (202 while being written, 409 when it failed);
- ``GET /api/v1/export-formats/``: the template formats usable by me (public ones and my teams').

A set or export the caller may not read answers 404.
"""

from django.http import Http404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from images.models import ImageSet
from imagetagger.api import Pagination

from . import jobs, views
from .models import Export, ExportFormat, ExportState
from .selectors import formats_usable_by
from .serializers import ExportCreateSerializer, ExportFormatSerializer, ExportSerializer


class ImageSetExportsView(generics.GenericAPIView):
    serializer_class = ExportSerializer
    pagination_class = Pagination
    queryset = Export.objects.none()

    def _set(self):
        image_set = ImageSet.objects.visible_to(self.request.user).filter(pk=self.kwargs["pk"]).first()
        if image_set is None:
            raise Http404("No such image set.")
        return image_set

    @extend_schema(responses=ExportSerializer(many=True))
    def get(self, request, pk):
        """The set's exports, newest first."""
        exports = Export.objects.filter(image_set=self._set()).select_related("user", "format")
        page = self.paginate_queryset(exports)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=ExportCreateSerializer, responses={201: ExportSerializer, 202: ExportSerializer})
    def post(self, request, pk):
        """Export the set's labels (``create_export``). Small exports are written at once (201);
        large ones are queued (202, poll ``status_url``)."""
        image_set = self._set()
        data = ExportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        if "format" in fields:
            export_format = ExportFormat.objects.filter(pk=fields["format"]).first()
            if export_format is None:
                raise ValidationError({"format": ["There is no export format with this id."]})
            if not formats_usable_by(request.user).filter(pk=export_format.pk).exists():
                raise PermissionDenied("You may not use this export format.")
            if fields.get("options"):
                raise ValidationError({"options": ["Template formats take no options."]})
            export = jobs.create_export(actor=request.user, image_set=image_set, export_format=export_format)
        else:
            export = jobs.create_export(
                actor=request.user, image_set=image_set, standard=fields["standard"], options=fields.get("options")
            )
        body = self.get_serializer(export).data
        finished = export.state in (ExportState.DONE, ExportState.FAILED)
        response = Response(body, status=status.HTTP_201_CREATED if finished else status.HTTP_202_ACCEPTED)
        response["Location"] = body["status_url"]
        return response


class ExportDetailView(APIView):
    @extend_schema(responses=ExportSerializer)
    def get(self, request, pk):
        """State, progress (percent), report of what could not be represented, and the download URL."""
        export = views.readable_export(request.user, pk)
        return Response(ExportSerializer(export, context={"request": request}).data)


class ExportDownloadView(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 202: ExportSerializer})
    def get(self, request, pk):
        """The export's file (202 while it is being written, 409 when it failed)."""
        return views.serve(views.readable_export(request.user, pk), request.method)


class ExportFormatListView(generics.ListAPIView):
    """Template export formats usable by me: public ones and those of my teams."""

    serializer_class = ExportFormatSerializer
    pagination_class = Pagination
    queryset = ExportFormat.objects.none()

    def get_queryset(self):
        return (
            formats_usable_by(self.request.user)
            .prefetch_related("annotation_types")
            .order_by("team__name", "name", "id")
        )


urls = [
    path("imagesets/<int:pk>/exports/", ImageSetExportsView.as_view(), name="imageset-exports"),
    path("exports/<int:pk>/", ExportDetailView.as_view(), name="export-detail"),
    path("exports/<int:pk>/download/", ExportDownloadView.as_view(), name="export-download"),
    path("export-formats/", ExportFormatListView.as_view(), name="export-format-list"),
]
