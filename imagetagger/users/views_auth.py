"""Logging in: the login page (password and "Sign in with <provider>"), the single sign-on start and
callback, the admin's login and the password pages, which IT_PASSWORD_LOGIN can turn off."""

import functools
import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, auth, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from . import oidc

logger = logging.getLogger(__name__)


class LoginView(auth_views.LoginView):
    """Django's login page, with the single sign-on button; refuses passwords while IT_PASSWORD_LOGIN is false."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["password_login"] = settings.PASSWORD_LOGIN
        if oidc.enabled():
            next_url = context.get("next")
            context["sso_name"] = oidc.provider_name()
            context["sso_url"] = reverse("oidc_login") + (f"?{urlencode({'next': next_url})}" if next_url else "")
        return context

    def post(self, request, *args, **kwargs):
        if not settings.PASSWORD_LOGIN:
            return self.render_to_response(self.get_context_data(password_refused=True), status=403)
        return super().post(request, *args, **kwargs)


def password_login_only(view):
    """``view`` answers 404 while IT_PASSWORD_LOGIN is false (password reset and change)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not settings.PASSWORD_LOGIN:
            raise Http404("Passwords are turned off on this site.")
        return view(request, *args, **kwargs)

    return wrapped


def admin_login(request, extra_context=None):
    """The admin's login follows IT_PASSWORD_LOGIN: while it is false, people log in on the site's
    login page (single sign-on) and come back."""
    if settings.PASSWORD_LOGIN:
        return admin.site.login(request, extra_context)
    if request.user.is_active and request.user.is_staff:
        return redirect("admin:index")
    return redirect_to_login(request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index"))


class OidcLoginView(OIDCAuthenticationRequestView):
    """Starts a single sign-on: stores state, nonce and PKCE verifier in the session and sends the
    browser to the provider. 404 while single sign-on is off."""

    get_settings = staticmethod(oidc.library_setting)

    def __init__(self, **kwargs):
        # The library reads the endpoint here; ours may need discovery, which get() does.
        View.__init__(self, **kwargs)

    def get(self, request):
        if not oidc.enabled():
            raise Http404("Single sign-on is not set up on this site.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc.provider().authorization_endpoint
        except oidc.OidcLoginError as error:
            return _sign_in_failed(request, error)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        return super().get(request)


@never_cache
@require_safe
def oidc_callback(request):
    """Where the provider sends the browser back: checks the state, lets ``OidcBackend`` exchange the
    code and verify the tokens, logs the person in. Every failure is a message on the login page."""
    if not oidc.enabled():
        raise Http404("Single sign-on is not set up on this site.")
    states = request.session.get("oidc_states")
    states = states if isinstance(states, dict) else {}
    state = request.GET.get("state", "")
    started = states.pop(state, None) if state else None
    request.session["oidc_states"] = states  # a state is good for one answer only
    if request.GET.get("error"):
        answer = request.GET.get("error_description") or request.GET["error"]
        return _sign_in_failed(request, f"{oidc.provider_name()} answered: {answer[:200]}.")
    if not isinstance(started, dict) or "nonce" not in started:
        return _sign_in_failed(
            request, "this answer belongs to no sign-in started in this browser, or it was used already."
        )
    if not request.GET.get("code"):
        return _sign_in_failed(request, f"{oidc.provider_name()} sent no sign-in code.")
    try:
        user = auth.authenticate(request, nonce=started["nonce"], code_verifier=started.get("code_verifier"))
    except oidc.OidcLoginError as error:
        return _sign_in_failed(request, error)
    if user is None or not user.is_active:
        return _sign_in_failed(request, "this account may not log in.")
    # Read before logging in: logging in as another user than the session's starts a new session.
    next_url = request.session.pop("oidc_login_next", None) or settings.LOGIN_REDIRECT_URL
    auth.login(request, user)
    outcome, name = getattr(user, "sso_outcome", "known"), oidc.provider_name()
    if outcome == "created":
        messages.success(request, f"Welcome, {user.username}! Your account was made from your {name} sign-in.")
    elif outcome == "linked":
        messages.success(request, f"Your {name} sign-in is now linked to your account {user.username}.")
    return redirect(next_url)


def _sign_in_failed(request, reason):
    logger.warning("single sign-on refused: %s", reason)
    tail = "" if request.user.is_authenticated else " You are not logged in."
    messages.error(request, f"Sign-in with {oidc.provider_name()} failed: {reason}{tail}")
    return redirect(settings.LOGIN_URL)
