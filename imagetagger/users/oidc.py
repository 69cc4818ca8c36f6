"""Single sign-on with OpenID Connect, on mozilla-django-oidc, configured by the ``IT_OIDC_*`` settings.

The authorization-code flow with PKCE, state and nonce. The provider's endpoints come from the
``IT_OIDC_*_ENDPOINT`` settings or from its discovery document. Every ID token is checked for its
signature (the provider's published keys, ``IT_OIDC_SIGN_ALGO``), issuer, audience (our client id),
expiry and the nonce of the sign-in it answers; the library alone would skip issuer and audience.
Whose account a verified answer opens is decided by ``users.services.sign_in_with_sso``.
"""

import logging
import time
from dataclasses import dataclass

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings

logger = logging.getLogger(__name__)

DISCOVERY_SECONDS = 3600
CLOCK_SKEW_SECONDS = 60


class OidcLoginError(Exception):
    """Single sign-on did not log anyone in; the message, a sentence, tells the person why."""


def enabled():
    return bool(settings.OIDC_CLIENT_ID)


def provider_name():
    return settings.OIDC_PROVIDER_NAME or "SSO"


def library_setting(name, *default):
    """mozilla-django-oidc's settings, made from ours (it reads them through ``get_settings``)."""
    ours = {
        "OIDC_RP_CLIENT_ID": settings.OIDC_CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": settings.OIDC_CLIENT_SECRET,
        "OIDC_RP_SCOPES": settings.OIDC_SCOPES,
        "OIDC_RP_SIGN_ALGO": settings.OIDC_SIGN_ALGO,
        "OIDC_RP_IDP_SIGN_KEY": None,
        "OIDC_TIMEOUT": settings.OIDC_TIMEOUT,
        "OIDC_VERIFY_SSL": True,
        "OIDC_USE_NONCE": True,
        "OIDC_USE_PKCE": True,
        "OIDC_ALLOW_UNSECURED_JWT": False,
        "OIDC_STORE_ACCESS_TOKEN": False,
        "OIDC_STORE_ID_TOKEN": False,
        "OIDC_AUTHENTICATION_CALLBACK_URL": "oidc_callback",
        "OIDC_REDIRECT_FIELD_NAME": "next",
    }
    if name in ours:
        return ours[name]
    return import_from_settings(name, *default)


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str


_discovered = {}  # issuer -> (time it was fetched, discovery document)


def provider():
    """The provider's issuer and endpoints: the ``IT_OIDC_*_ENDPOINT`` settings, the others from the
    discovery document (fetched at most once an hour). Raises ``OidcLoginError``."""
    explicit = Provider(
        issuer=settings.OIDC_ISSUER,
        authorization_endpoint=settings.OIDC_AUTHORIZATION_ENDPOINT,
        token_endpoint=settings.OIDC_TOKEN_ENDPOINT,
        userinfo_endpoint=settings.OIDC_USERINFO_ENDPOINT,
        jwks_uri=settings.OIDC_JWKS_ENDPOINT,
    )
    needs_keys = not settings.OIDC_SIGN_ALGO.startswith("HS")
    if explicit.authorization_endpoint and explicit.token_endpoint and (explicit.jwks_uri or not needs_keys):
        return explicit
    document = _discovery_document(settings.OIDC_ISSUER)
    return Provider(
        issuer=document["issuer"],
        authorization_endpoint=explicit.authorization_endpoint or document.get("authorization_endpoint", ""),
        token_endpoint=explicit.token_endpoint or document.get("token_endpoint", ""),
        userinfo_endpoint=explicit.userinfo_endpoint or document.get("userinfo_endpoint", ""),
        jwks_uri=explicit.jwks_uri or document.get("jwks_uri", ""),
    )


def _discovery_document(issuer):
    fetched = _discovered.get(issuer)
    if fetched is not None and time.monotonic() - fetched[0] < DISCOVERY_SECONDS:
        return fetched[1]
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        logger.warning("single sign-on: discovery at %s failed: %s", url, error)
        raise OidcLoginError(f"{provider_name()} could not be reached (its discovery document).") from None
    if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip("/") != issuer.rstrip("/"):
        logger.warning("single sign-on: %s names another issuer than IT_OIDC_ISSUER (%s)", url, issuer)
        raise OidcLoginError(f"{provider_name()}'s discovery document names another issuer than this site expects.")
    _discovered[issuer] = (time.monotonic(), document)
    return document


class PasswordLoginSwitch:
    """An authentication backend placed before ModelBackend: refuses every password while
    ``IT_PASSWORD_LOGIN`` is false, whichever form asks (the site's login, the admin's)."""

    def authenticate(self, request, username=None, password=None, **credentials):
        if password is not None and not settings.PASSWORD_LOGIN:
            raise PermissionDenied("Password log-in is turned off on this site.")
        return None


class OidcBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend with our settings, complete ID-token checks and our account rules.

    Only the sign-in callback (users.views_auth) calls it, with the nonce and PKCE verifier it started with."""

    get_settings = staticmethod(library_setting)

    def __init__(self, *args, **kwargs):
        # The library reads its endpoints here, on every authenticate() of every log-in; ours are
        # looked up (perhaps discovered) only when a single sign-on answer arrives.
        self.UserModel = get_user_model()

    def authenticate(self, request, nonce=None, code_verifier=None):
        if request is None or nonce is None or not enabled():
            return None
        endpoints = provider()
        self.issuer = endpoints.issuer
        self.OIDC_OP_TOKEN_ENDPOINT = endpoints.token_endpoint
        self.OIDC_OP_USER_ENDPOINT = endpoints.userinfo_endpoint
        self.OIDC_OP_JWKS_ENDPOINT = endpoints.jwks_uri
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        try:
            return super().authenticate(request, nonce=nonce, code_verifier=code_verifier)
        except requests.HTTPError as error:
            logger.warning("single sign-on: %s", error)
            status = error.response.status_code if error.response is not None else "?"
            raise OidcLoginError(
                f"{provider_name()} refused to confirm the sign-in (HTTP {status}); please start again."
            ) from None
        except (requests.RequestException, ValueError) as error:
            logger.warning("single sign-on: %s", error)
            raise OidcLoginError(f"{provider_name()} could not be reached or gave an unreadable answer.") from None
        except SuspiciousOperation as error:
            logger.warning("single sign-on: %s", error)
            raise OidcLoginError(f"{provider_name()}'s answer could not be verified.") from None

    def get_user(self, user_id):
        # The library's version would also return deactivated users.
        return ModelBackend.get_user(self, user_id)

    def retrieve_matching_jwk(self, token):
        try:
            return super().retrieve_matching_jwk(token)
        except (KeyError, TypeError, SuspiciousOperation, jwt.PyJWKError, jwt.InvalidTokenError):
            raise OidcLoginError(
                f"the identity token is signed by a key that {provider_name()} does not publish."
            ) from None

    def verify_token(self, token, **kwargs):
        if not isinstance(token, str) or not token:
            raise OidcLoginError(f"{provider_name()} sent no identity token.")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise OidcLoginError("the identity token is not a valid JWT.") from None
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise OidcLoginError(
                f"the identity token is signed with {header.get('alg')!r}, not {self.OIDC_RP_SIGN_ALGO}."
            )
        if self.OIDC_RP_SIGN_ALGO.startswith("HS"):
            key = self.OIDC_RP_CLIENT_SECRET
        else:
            key = self.retrieve_matching_jwk(token)
        claims = self._verify_jws(token, key)
        if "nonce" in kwargs and claims.get("nonce") != kwargs["nonce"]:
            raise OidcLoginError("the identity token belongs to another sign-in (its nonce differs): a replay?")
        return claims

    def _verify_jws(self, token, key):
        algorithm = self.OIDC_RP_SIGN_ALGO
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=self.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "aud", "sub", "exp", "iat"]},
            )
        except jwt.InvalidSignatureError:
            raise OidcLoginError("the identity token's signature does not verify: it was altered or forged.") from None
        except jwt.ExpiredSignatureError:
            raise OidcLoginError("the identity token has expired.") from None
        except jwt.InvalidAudienceError:
            raise OidcLoginError("the identity token was issued for another application.") from None
        except jwt.InvalidIssuerError:
            raise OidcLoginError("the identity token was issued by another provider.") from None
        except jwt.MissingRequiredClaimError as error:
            raise OidcLoginError(f"the identity token lacks its {error.claim!r} claim.") from None
        except jwt.InvalidTokenError as error:
            raise OidcLoginError(f"the identity token is invalid ({error}).") from None
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise OidcLoginError("the identity token was issued for another application.")
        return claims

    def get_or_create_user(self, access_token, id_token, payload):
        from . import services

        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            userinfo = self.get_userinfo(access_token, id_token, payload)
            if not isinstance(userinfo, dict) or str(userinfo.get("sub")) != str(payload["sub"]):
                raise OidcLoginError(f"{provider_name()}'s user information is about someone else.")
            claims.update(userinfo)
        try:
            result = services.sign_in_with_sso(issuer=self.issuer, claims=claims, team_claim=settings.OIDC_TEAM_CLAIM)
        except services.SsoRefused as error:
            raise OidcLoginError(str(error)) from None
        result.user.sso_outcome = result.outcome
        return result.user
