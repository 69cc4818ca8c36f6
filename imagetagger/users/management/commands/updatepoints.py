"""``manage.py updatepoints``: recompute every user's points from the votes (repairs drift)."""

from django.core.management.base import BaseCommand

from annotations.votes import recompute_points


class Command(BaseCommand):
    help = (
        "Recompute every user's points (accept votes other users gave to the annotations they created) "
        "in one UPDATE, and print how many users changed. Safe to run while users vote."
    )

    def handle(self, *args, **options):
        changed = recompute_points()
        noun = "user" if changed == 1 else "users"
        self.stdout.write(f"Points recomputed: {changed} {noun} changed.")
