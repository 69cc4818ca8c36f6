from django.apps import AppConfig


class ToolsConfig(AppConfig):
    name = "tools"
    verbose_name = "Tools exchange"

    def ready(self):
        from . import signals  # noqa: F401
