from django.contrib import admin

from .models import Image, ImageSet, SetTag


@admin.register(ImageSet)
class ImageSetAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "creator", "public", "image_lock", "priority", "time"]
    list_filter = ["public", "image_lock", "priority"]
    search_fields = ["name", "team__name"]
    raw_id_fields = ["team", "creator", "pinned_by"]


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ["name", "image_set", "width", "height", "format", "time"]
    search_fields = ["name"]
    raw_id_fields = ["image_set", "uploader"]


@admin.register(SetTag)
class SetTagAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    filter_horizontal = ["imagesets"]
