"""Bench only: the site's Dev settings with the bare baseline's URLconf (bench/bare_urls.py).

DJANGO_SETTINGS_MODULE=bare_settings DJANGO_CONFIGURATION=BareDev gunicorn --pythonpath bench …
"""

from imagetagger.settings import Dev


class BareDev(Dev):
    ROOT_URLCONF = "bare_urls"
