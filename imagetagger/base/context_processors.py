from django.conf import settings
from django.utils.functional import SimpleLazyObject


def base_data(request):
    """Site-wide template values. The user's teams are loaded only if a template uses them."""

    def my_teams():
        if not request.user.is_authenticated:
            return []
        from users.selectors import teams_of

        return list(teams_of(request.user))

    return {
        "SITE_NAME": settings.SITE_NAME,
        "USE_IMPRINT": settings.USE_IMPRINT,
        "IMPRINT_NAME": settings.IMPRINT_NAME,
        "IMPRINT_URL": settings.IMPRINT_URL,
        "TOOLS_ENABLED": settings.TOOLS_ENABLED,
        # Registering makes a password account: closed while IT_PASSWORD_LOGIN is false.
        "REGISTRATION_OPEN": settings.REGISTRATION_OPEN and settings.PASSWORD_LOGIN,
        "PASSWORD_LOGIN": settings.PASSWORD_LOGIN,
        "my_teams": SimpleLazyObject(my_teams),
    }
