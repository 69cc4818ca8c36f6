"""Example of a custom configuration class.

Copy it to ``imagetagger/imagetagger/settings_local.py`` (in the container: mount it as
``/app/config/settings.py``), then select it:

    export DJANGO_SETTINGS_MODULE=imagetagger.settings_local
    export DJANGO_CONFIGURATION=Custom
"""

from imagetagger.settings import Prod


class Custom(Prod):
    # Anything Django or ImageTagger reads from settings can be changed here, e.g. LDAP login
    # (after `pip install django-auth-ldap`):
    # AUTHENTICATION_BACKENDS = ["django_auth_ldap.backend.LDAPBackend", *Prod.AUTHENTICATION_BACKENDS]
    SITE_NAME = "Our ImageTagger"
