"""The account addresses people and password managers try first (``/accounts/login/``, ``/login/``,
``/accounts/password_reset/``, …) lead to ours under ``/user/`` and ``/accounts/register/``: a
temporary redirect keeping the method and the query (``?next=…``). ``/accounts/profile/`` (Django's
default landing page) opens your profile."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import path, reverse

ACCOUNT_ADDRESSES = {
    "accounts/login/": "login",
    "login/": "login",
    "signin/": "login",
    "accounts/signin/": "login",
    "accounts/logout/": "logout",
    "logout/": "logout",
    "accounts/password_change/": "password_change",
    "accounts/password/change/": "password_change",
    "accounts/password_reset/": "password_reset",
    "accounts/password/reset/": "password_reset",
    "accounts/signup/": "django_registration_register",
    "signup/": "django_registration_register",
    "register/": "django_registration_register",
}


def _to(name):
    def view(request):
        url = reverse(name)
        if request.META.get("QUERY_STRING"):
            url += "?" + request.META["QUERY_STRING"]
        response = HttpResponseRedirect(url)
        response.status_code = 307  # a POST (logout, a login form) stays a POST
        return response

    view.__name__ = f"redirect_to_{name}"
    return view


@login_required
def own_profile(request):
    return redirect("users:user", request.user.pk)


urlpatterns = [
    *(path(address, _to(name)) for address, name in ACCOUNT_ADDRESSES.items()),
    path("accounts/profile/", own_profile, name="own_profile"),
]
