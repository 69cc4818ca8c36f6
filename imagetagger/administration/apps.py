from django.apps import AppConfig


class AdministrationConfig(AppConfig):
    """Staff pages for site-wide settings: annotation types. No models of its own."""

    name = "administration"
