"""Images stored before ingest applied the EXIF orientation (``manage.py fixorientation``).

Until then an image whose EXIF orientation turns it by 90° (5-8) was stored with the width and height
of its raw pixels, e.g. 640 × 480, while browsers, viewers and tools show it 480 × 640. The annotate
page drew the turned picture stretched into the stored size, so its labels were drawn on that
stretched picture: on the picture as shown, each coordinate is scaled by the ratio of the sides (not
turned). Fixing an image swaps its width and height and scales its labels' coordinates, in one
transaction per image, with a history row per label ("update", no user).
"""

from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image as PILImage

from annotations.models import Annotation, AnnotationHistory, HistoryAction
from annotations.services import history_entry, snapshot
from images.ingest import oriented_size
from images.models import Image


@dataclass
class Fixed:
    image_id: int
    name: str
    before: tuple
    after: tuple
    labels: int


def stored_size(image):
    """(raw size, oriented size) of the stored file of ``image``; only its header is read."""
    with default_storage.open(image.relative_path, "rb") as stored, PILImage.open(stored) as picture:
        return picture.size, oriented_size(picture)


def needs_fix(image, raw, oriented):
    return raw != oriented and (image.width, image.height) == raw


def scale_vector(vector, sx, sy, width, height):
    """``vector`` with x scaled by ``sx`` and y by ``sy``, rounded and kept inside width × height."""
    scaled = {}
    for key, value in vector.items():
        if key.startswith("x"):
            scaled[key] = min(max(round(value * sx), 0), width)
        else:
            scaled[key] = min(max(round(value * sy), 0), height)
    return scaled


@transaction.atomic
def fix_image(image_id, raw, oriented):
    """Swap the stored size of one image to ``oriented`` and scale its labels; None if done already."""
    image = Image.objects.select_for_update().get(pk=image_id)
    if not needs_fix(image, raw, oriented):
        return None
    (old_w, old_h), (new_w, new_h) = raw, oriented
    sx, sy = new_w / old_w, new_h / old_h
    changed, history = [], []
    for annotation in Annotation.objects.filter(image=image, vector__isnull=False).select_for_update():
        before = snapshot(annotation)
        annotation.vector = scale_vector(annotation.vector, sx, sy, new_w, new_h)
        annotation.version += 1
        changed.append(annotation)
        history.append(history_entry(annotation, HistoryAction.UPDATE, None, before, snapshot(annotation)))
    Annotation.objects.bulk_update(changed, ["vector", "version"], batch_size=500)
    AnnotationHistory.objects.bulk_create(history, batch_size=500)
    Image.objects.filter(pk=image.pk).update(width=new_w, height=new_h)
    return Fixed(image.pk, image.name, raw, oriented, len(changed))


def fix_orientations(*, dry_run=False, images=None):
    """Fix every image (or those of the queryset ``images``) stored with its raw size; yields Fixed
    (``labels`` counted, nothing changed, when ``dry_run``) and ``(image, error)`` for unreadable files."""
    queryset = images if images is not None else Image.objects.all()
    for image in queryset.select_related("image_set").iterator(chunk_size=500):
        try:
            raw, oriented = stored_size(image)
        except Exception as error:  # a missing or damaged file is reported, the others go on
            yield image, f"cannot read {image.relative_path}: {error}"
            continue
        if not needs_fix(image, raw, oriented):
            continue
        if dry_run:
            labels = Annotation.objects.filter(image=image, vector__isnull=False).count()
            yield Fixed(image.pk, image.name, raw, oriented, labels)
        else:
            fixed = fix_image(image.pk, raw, oriented)
            if fixed is not None:
                yield fixed
