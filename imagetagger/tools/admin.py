from django.contrib import admin

from .models import Tool


@admin.register(Tool)
class ToolAdmin(admin.ModelAdmin):
    """Tools are uploaded on the site (their files need the upload checks); here they can be
    inspected, renamed, reassigned and deleted (the file goes with the row)."""

    list_display = ["name", "team", "creator", "public", "filename", "size", "created"]
    list_filter = ["public"]
    search_fields = ["name", "filename", "team__name", "creator__username"]
    raw_id_fields = ["team", "creator"]
    readonly_fields = ["file", "filename", "size", "content_type", "created", "updated"]

    def has_add_permission(self, request):
        return False
