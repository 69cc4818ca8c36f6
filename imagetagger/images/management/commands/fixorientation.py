"""``manage.py fixorientation``: images stored before ingest applied the EXIF orientation.

Swaps the stored width and height of every image whose EXIF orientation turns it by 90° and scales
its labels onto the picture as viewers show it (images/orientation.py says why scaled). Prints a line
per image and a summary; ``--dry-run`` only reports. Safe to run again: fixed images are left alone.
"""

from django.core.management.base import BaseCommand

from images.models import Image
from images.orientation import Fixed, fix_orientations


class Command(BaseCommand):
    help = "Store the turned size of images with an EXIF orientation of 90° and scale their labels onto it."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only report what would change.")
        parser.add_argument("--set", type=int, dest="set_id", metavar="SET_ID", help="Only the images of this set.")

    def handle(self, *args, dry_run, set_id, **options):
        images = Image.objects.filter(image_set_id=set_id) if set_id else None
        fixed = labels = failed = 0
        for result in fix_orientations(dry_run=dry_run, images=images):
            if isinstance(result, Fixed):
                fixed += 1
                labels += result.labels
                (w0, h0), (w1, h1) = result.before, result.after
                verb = "would become" if dry_run else "is now"
                self.stdout.write(
                    f"image {result.image_id} {result.name}: {w0} × {h0} {verb} {w1} × {h1}, "
                    f"{result.labels} label(s) {'to scale' if dry_run else 'scaled'}"
                )
            else:
                image, error = result
                failed += 1
                self.stderr.write(f"image {image.pk} {image.name}: {error}")
        verb = "would be fixed" if dry_run else "fixed"
        summary = f"{fixed} image(s) {verb}, {labels} label(s); {failed} unreadable."
        self.stdout.write(self.style.SUCCESS(summary) if not failed else self.style.WARNING(summary))
