from django.apps import AppConfig


class AssistConfig(AppConfig):
    """Machine assistance: model backends (the Label Studio ML backend protocol), pre-label jobs,
    and the one-click shapes of the annotate page (box → polygon, magic wand)."""

    name = "assist"
    verbose_name = "Machine assistance"

    def ready(self):
        from base import background

        background.register("abandoned pre-label jobs", "assist.jobs.requeue_stale")
