from django.urls import reverse
from rest_framework import serializers

from .models import Export, ExportFormat, ExportState, StandardFormat


class ExportFormatSerializer(serializers.ModelSerializer):
    team_name = serializers.CharField(source="team.name", read_only=True)

    class Meta:
        model = ExportFormat
        fields = [
            "id",
            "name",
            "team",
            "team_name",
            "public",
            "annotation_types",
            "min_verifications",
            "image_aggregation",
            "include_blurred",
            "include_concealed",
            "output",
            "name_format",
            "last_change_time",
        ]
        read_only_fields = fields


class ExportCreateSerializer(serializers.Serializer):
    format = serializers.IntegerField(required=False, help_text="Id of a template export format usable by you.")
    standard = serializers.ChoiceField(choices=StandardFormat.choices, required=False)
    options = serializers.DictField(
        required=False,
        help_text='Standard formats only: {"types": [type ids], "min_verifications": n (least score), "origin": '
        '"human" | "machine", "min_confidence": 0..1 (machine-made labels; people\'s stay), "keypoints": bool (COCO), '
        '"images": bool}.',
    )

    def validate(self, data):
        if ("format" in data) == ("standard" in data):
            raise serializers.ValidationError("Give either “format” (a template format id) or “standard”.")
        return data


class ExportSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", read_only=True, default=None)
    deprecated = serializers.BooleanField(read_only=True)
    status_url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Export
        fields = [
            "id",
            "image_set",
            "user",
            "format",
            "format_name",
            "standard",
            "options",
            "state",
            "progress",
            "time",
            "finished",
            "annotation_count",
            "report",
            "error",
            "filename",
            "size",
            "deprecated",
            "status_url",
            "download_url",
        ]
        read_only_fields = fields

    def _absolute(self, url):
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    def get_status_url(self, export) -> str:
        return self._absolute(reverse("api:export-detail", args=[export.pk]))

    def get_download_url(self, export) -> str | None:
        if export.state != ExportState.DONE:
            return None
        return self._absolute(reverse("api:export-download", args=[export.pk]))
