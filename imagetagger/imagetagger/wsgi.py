"""WSGI entry point (gunicorn). Uses the Prod configuration unless DJANGO_CONFIGURATION says otherwise."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imagetagger.settings")
os.environ.setdefault("DJANGO_CONFIGURATION", "Prod")

from configurations.wsgi import get_wsgi_application

application = get_wsgi_application()


def _load_views():
    """Import the URLconf (and with it every view) and compile its patterns now instead of on a
    process's first request: gunicorn's workers are forked from a process that loaded this module
    (``preload_app``), so a new or recycled worker answers its first request in milliseconds, not
    half a second."""
    from django.urls import get_resolver

    get_resolver().reverse_dict  # noqa: B018 (reading it loads and compiles every pattern)


_load_views()
