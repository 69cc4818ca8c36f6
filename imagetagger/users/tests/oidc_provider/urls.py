from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    # The issuer is http://127.0.0.1:<port>/o (discovery: /o/.well-known/openid-configuration).
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
]
