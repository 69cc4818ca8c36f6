"""An export's file goes when its row goes (also when its set is deleted), once the deletion is committed."""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from base.storage import delete_after_commit

from .models import Export


@receiver(post_delete, sender=Export, dispatch_uid="exports-delete-file")
def delete_export_file(sender, instance, **kwargs):
    if instance.file:
        delete_after_commit([instance.file])
