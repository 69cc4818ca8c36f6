"""System checks of the single sign-on settings (run by runserver, migrate, check and the tests)."""

from django.conf import settings
from django.core.checks import Error, Warning, register

from imagetagger.settings import OIDC_URL_SETTINGS, single_sign_on_problems


@register()
def check_single_sign_on(app_configs, **kwargs):
    return [
        Error(problem, hint="See README.md, section 'Single sign-on'.", id="users.E001")
        for problem in single_sign_on_problems(settings)
    ]


@register(deploy=True)
def check_single_sign_on_uses_https(app_configs, **kwargs):
    if not settings.OIDC_CLIENT_ID:
        return []
    plain = [f"IT_OIDC_{name}" for name in OIDC_URL_SETTINGS if getattr(settings, f"OIDC_{name}").startswith("http://")]
    if not plain:
        return []
    return [
        Warning(
            f"{', '.join(plain)} use plain HTTP: the client secret and the tokens travel unencrypted.",
            hint="Use the provider's https:// addresses.",
            id="users.W001",
        )
    ]
