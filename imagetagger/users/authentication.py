import functools

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from base.prepared import PreparedQuery

from .models import ApiToken, hash_api_key
from .services import touch_api_token

# Every API request runs this lookup: compiled once (base.prepared), and never cached, so that a
# deleted token or a deactivated user is refused by the very next request.
_TOKEN_BY_DIGEST = PreparedQuery(lambda digest: ApiToken.objects.filter(digest=digest).select_related("user"))


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>`` with the keys users create on their profile page."""

    def authenticate_credentials(self, key):
        token = _TOKEN_BY_DIGEST.first(digest=hash_api_key(key))
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        touch_api_token(token)
        return token.user, token


class ApiTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`; create keys on your profile page.",
        }


def token_or_login_required(view):
    """``login_required`` for downloads that scripts fetch too: a request with an
    ``Authorization: Token <key>`` header is authenticated by that token (a bad token answers 401),
    any other request needs a logged-in session (otherwise: redirect to the login page)."""
    session_view = login_required(view)

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.lower().startswith("token "):
            return session_view(request, *args, **kwargs)
        try:
            found = ApiTokenAuthentication().authenticate(request)
        except exceptions.AuthenticationFailed as error:
            response = JsonResponse({"detail": str(error.detail)}, status=401)
            response["WWW-Authenticate"] = "Token"
            return response
        if found is None:
            return session_view(request, *args, **kwargs)
        request.user = found[0]
        return view(request, *args, **kwargs)

    return wrapper
