from django.apps import AppConfig


class ImagesConfig(AppConfig):
    name = "images"

    def ready(self):
        from base import background

        # The worker's sweeps (runzipdaemon): archives nobody is building, hourly the orphaned files.
        background.register("zip archives", "images.zips.sweep")
        background.register("orphaned image files", "images.zips.sweep_orphans", every=3600, first_after=60)
