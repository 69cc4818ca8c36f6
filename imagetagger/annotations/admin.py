from django.contrib import admin
from django.db import transaction

from .models import Annotation, AnnotationHistory, AnnotationType
from .votes import discard_votes


@admin.register(AnnotationType)
class AnnotationTypeAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "team",
        "color",
        "vector_type",
        "node_count",
        "active",
        "enable_concealed",
        "enable_blurred",
    ]
    list_filter = ["active", "vector_type", ("team", admin.EmptyFieldListFilter)]
    list_select_related = ["team"]


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    list_display = ["id", "annotation_type", "image", "user", "origin", "version", "time"]
    list_filter = ["origin", "annotation_type"]
    raw_id_fields = ["image", "user", "last_editor"]

    # Deleting here must keep users' points right, like the annotation services do. (Votes are not
    # in the admin at all: they change through the vote API only, which keeps points right.)
    def delete_model(self, request, obj):
        with transaction.atomic():
            discard_votes(Annotation.objects.filter(pk=obj.pk))
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            discard_votes(queryset)
            super().delete_queryset(request, queryset)


@admin.register(AnnotationHistory)
class AnnotationHistoryAdmin(admin.ModelAdmin):
    list_display = ["annotation_uuid", "action", "user", "time"]
    raw_id_fields = ["annotation", "image", "user"]
