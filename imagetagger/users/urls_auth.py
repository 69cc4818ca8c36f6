"""Under /user/: Django's account pages (login, logout, password change and reset) with our login page,
the single sign-on start and callback, and the password pages switched off by IT_PASSWORD_LOGIN."""

from django.contrib.auth import urls as auth_urls
from django.contrib.auth import views as auth_views
from django.urls import path

from . import views_auth

urlpatterns = [
    path("login/", views_auth.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The redirect URI to register at the provider: https://<host>/user/oidc/callback/
    path("oidc/login/", views_auth.OidcLoginView.as_view(), name="oidc_login"),
    path("oidc/callback/", views_auth.oidc_callback, name="oidc_callback"),
    *(
        path(str(pattern.pattern), views_auth.password_login_only(pattern.callback), name=pattern.name)
        for pattern in auth_urls.urlpatterns
        if pattern.name not in ("login", "logout")
    ),
]
