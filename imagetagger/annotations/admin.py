from django.contrib import admin

from .models import Annotation, AnnotationHistory, AnnotationType, Verification


@admin.register(AnnotationType)
class AnnotationTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "vector_type", "node_count", "active", "enable_concealed", "enable_blurred"]
    list_filter = ["active", "vector_type"]


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    list_display = ["id", "annotation_type", "image", "user", "origin", "version", "time"]
    list_filter = ["origin", "annotation_type"]
    raw_id_fields = ["image", "user", "last_editor"]


@admin.register(Verification)
class VerificationAdmin(admin.ModelAdmin):
    list_display = ["annotation", "user", "verified", "time"]
    raw_id_fields = ["annotation", "user"]


@admin.register(AnnotationHistory)
class AnnotationHistoryAdmin(admin.ModelAdmin):
    list_display = ["annotation_uuid", "action", "user", "time"]
    raw_id_fields = ["annotation", "image", "user"]
