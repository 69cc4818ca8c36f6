"""WSGI entry point (gunicorn). Uses the Prod configuration unless DJANGO_CONFIGURATION says otherwise."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imagetagger.settings")
os.environ.setdefault("DJANGO_CONFIGURATION", "Prod")

from configurations.wsgi import get_wsgi_application

application = get_wsgi_application()
