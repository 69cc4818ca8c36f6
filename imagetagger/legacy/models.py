"""What ``manage.py import_imagetagger`` brought over from an original ImageTagger 0.6 database.

One row per imported legacy row: its kind (table), its id there and the id of the object it became
here. Re-running the import looks these up, so that it updates what it imported before instead of
importing it twice. Several legacy rows may point at one object (a duplicate image or annotation is
merged into the first one).
"""

from django.db import models


class LegacyId(models.Model):
    kind = models.CharField(max_length=32)
    legacy_id = models.BigIntegerField()
    object_id = models.BigIntegerField()
    imported = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "legacy_id"], name="legacy_id_unique")]
        indexes = [models.Index(fields=["kind", "object_id"], name="legacy_kind_object_idx")]

    def __str__(self):
        return f"{self.kind} {self.legacy_id} → {self.object_id}"
