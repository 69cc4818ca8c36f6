"""REST API of label import (``imports.py``).

- ``POST imagesets/<id>/label-imports/`` multipart ``file``, ``format`` (pipe, coco, voc, yolo),
  ``machine_made``, ``model_name``: 201 with the finished import and its report, or 202 with a
  ``status_url`` when it is large enough to run in the worker (``IT_IMPORT_INLINE_LIMIT``).
- ``GET label-imports/<id>/``: the import (state, counts, the first report entries, ``report_url``).
- ``GET label-imports/<id>/report/``: the full report as CSV (line, source, status, message, image, type).

Sets the caller may not read answer 404; without ``annotate``, 403.
"""

from django.http import Http404
from django.urls import path, reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from base.storage import download
from images.models import ImageSet
from images.permissions import imageset_permissions

from . import importers, imports
from .models import LabelImport


class LabelImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField()
    format = serializers.ChoiceField(choices=list(importers.FORMATS.items()), default="pipe")
    machine_made = serializers.BooleanField(default=False)
    model_name = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")


class ReportEntrySerializer(serializers.Serializer):
    line = serializers.IntegerField()
    source = serializers.CharField()
    status = serializers.ChoiceField(choices=[imports.CREATED, imports.DUPLICATE, imports.ERROR])
    message = serializers.CharField()


class LabelImportSerializer(serializers.ModelSerializer):
    summary = serializers.CharField(read_only=True)
    report = ReportEntrySerializer(many=True, read_only=True, help_text=f"The first {imports.REPORT_LIMIT} entries.")
    status_url = serializers.SerializerMethodField()
    report_url = serializers.SerializerMethodField()

    class Meta:
        model = LabelImport
        fields = [
            "id",
            "image_set",
            "format",
            "filename",
            "machine_made",
            "model_name",
            "state",
            "time",
            "finished",
            "records",
            "created",
            "duplicates",
            "errors",
            "warnings",
            "summary",
            "report",
            "error",
            "status_url",
            "report_url",
        ]
        read_only_fields = fields

    def get_status_url(self, obj) -> str:
        return self.context["request"].build_absolute_uri(reverse("api:label-import", args=[obj.pk]))

    def get_report_url(self, obj) -> str | None:
        if not obj.report_file:
            return None
        return self.context["request"].build_absolute_uri(reverse("api:label-import-report", args=[obj.pk]))


class LabelImportCreateView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": LabelImportRequestSerializer},
        responses={201: LabelImportSerializer, 202: LabelImportSerializer},
        summary="Import labels from a file (pipe, COCO, Pascal VOC or YOLO)",
    )
    def post(self, request, set_id):
        image_set = ImageSet.objects.filter(pk=set_id).first()
        if image_set is None or "read" not in imageset_permissions(request.user, image_set):
            raise Http404
        data = LabelImportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        label_import = imports.import_labels(
            actor=request.user,
            image_set=image_set,
            fileobj=upload,
            format=data.validated_data["format"],
            machine_made=data.validated_data["machine_made"],
            model_name=data.validated_data["model_name"],
            filename=upload.name,
        )
        done = label_import.state == LabelImport.State.DONE
        body = LabelImportSerializer(label_import, context={"request": request}).data
        headers = {} if done else {"Location": body["status_url"]}
        return Response(body, status=status.HTTP_201_CREATED if done else status.HTTP_202_ACCEPTED, headers=headers)


class LabelImportView(APIView):
    @extend_schema(responses=LabelImportSerializer, summary="A label import: state, counts and report")
    def get(self, request, pk):
        label_import = imports.visible_import(request.user, pk)
        if label_import is None:
            raise Http404
        return Response(LabelImportSerializer(label_import, context={"request": request}).data)


class LabelImportReportView(APIView):
    @extend_schema(responses={(200, "text/csv"): bytes}, summary="The full report of a label import (CSV)")
    def get(self, request, pk):
        return report_response(imports.visible_import(request.user, pk))


def report_response(label_import):
    if label_import is None or not label_import.report_file:
        raise Http404
    filename = f"label-import-{label_import.pk}-report.csv"
    try:
        return download(label_import.report_file, filename=filename, content_type="text/csv")
    except FileNotFoundError:
        raise Http404("The report's file is gone.") from None


urls = [
    path("imagesets/<int:set_id>/label-imports/", LabelImportCreateView.as_view(), name="imageset-label-imports"),
    path("label-imports/<int:pk>/", LabelImportView.as_view(), name="label-import"),
    path("label-imports/<int:pk>/report/", LabelImportReportView.as_view(), name="label-import-report"),
]
