"""A tool's file goes when its row goes (also through the Django admin), once the deletion is committed."""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import Tool
from .storage import delete_after_commit


@receiver(post_delete, sender=Tool, dispatch_uid="tools-delete-file")
def delete_tool_file(sender, instance, **kwargs):
    if instance.file:
        delete_after_commit(instance.file)
