from django.contrib import admin
from django.db import transaction

from annotations.votes import discard_votes_of_images

from .models import Image, ImageSet, SetTag
from .services import content_changed


class KeepPointsOnDelete:
    """Deleting images (or sets) here takes the accepted votes on their labels off users' points,
    as the image services do."""

    def image_ids(self, queryset):
        raise NotImplementedError

    def delete_model(self, request, obj):
        self.delete_queryset(request, type(obj).objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            discard_votes_of_images(self.image_ids(queryset))
            super().delete_queryset(request, queryset)


@admin.register(ImageSet)
class ImageSetAdmin(KeepPointsOnDelete, admin.ModelAdmin):
    list_display = ["name", "team", "creator", "public", "image_lock", "priority", "time"]
    list_filter = ["public", "image_lock", "priority"]
    search_fields = ["name", "team__name"]
    raw_id_fields = ["team", "creator", "pinned_by"]

    def image_ids(self, queryset):
        return Image.objects.filter(image_set__in=queryset).values_list("pk", flat=True)


@admin.register(Image)
class ImageAdmin(KeepPointsOnDelete, admin.ModelAdmin):
    list_display = ["name", "image_set", "width", "height", "format", "time"]
    search_fields = ["name"]
    raw_id_fields = ["image_set", "uploader"]

    def image_ids(self, queryset):
        return queryset.values_list("pk", flat=True)

    def delete_queryset(self, request, queryset):
        """Also mark the sets' archives stale (their files are removed by the worker's orphan sweep)."""
        set_ids = set(queryset.values_list("image_set_id", flat=True))
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            for set_id in set_ids:
                content_changed(set_id)


@admin.register(SetTag)
class SetTagAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    filter_horizontal = ["imagesets"]
