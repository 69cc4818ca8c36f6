"""pytest fixtures: ``oidc_provider`` (the provider process, once per session) and ``sso`` (single
sign-on switched on against it, with fresh claims)."""

import pytest

from . import CLIENT_ID, CLIENT_SECRET, PROVIDER_NAME
from .server import OidcProvider


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    provider = OidcProvider(tmp_path_factory.mktemp("oidc-provider"))
    yield provider
    provider.stop()


@pytest.fixture
def sso(oidc_provider, settings):
    """Single sign-on at the test provider ("Sign in with Test ID"); returns the provider."""
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_PROVIDER_NAME = PROVIDER_NAME
    oidc_provider.reset_claims()
    return oidc_provider
