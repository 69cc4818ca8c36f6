from django.contrib import admin

from .models import Message, MessageRead


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "team", "audience", "creator", "start_time", "expire_time"]
    list_filter = ["kind", "audience"]
    search_fields = ["title", "content", "team__name", "creator__username"]
    raw_id_fields = ["team", "creator"]
    date_hierarchy = "start_time"


@admin.register(MessageRead)
class MessageReadAdmin(admin.ModelAdmin):
    list_display = ["message", "user", "read_at"]
    raw_id_fields = ["message", "user"]
    search_fields = ["message__title", "user__username"]
