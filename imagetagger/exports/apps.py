from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "exports"

    def ready(self):
        from base import background

        from . import signals  # noqa: F401

        # The worker's sweep (runzipdaemon): exports whose worker died are queued again.
        background.register("abandoned exports", "exports.jobs.requeue_stale")
