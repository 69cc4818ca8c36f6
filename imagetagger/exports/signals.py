"""An export's file goes when its row goes (also when its set is deleted), once the deletion is committed."""

import logging

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import Export

logger = logging.getLogger(__name__)


@receiver(post_delete, sender=Export, dispatch_uid="exports-delete-file")
def delete_export_file(sender, instance, **kwargs):
    if not instance.file:
        return
    name = instance.file

    def delete():
        try:
            default_storage.delete(name)
        except Exception:  # OSError locally, botocore's errors from a bucket
            logger.exception("Could not delete the export file %s", name)

    transaction.on_commit(delete)
