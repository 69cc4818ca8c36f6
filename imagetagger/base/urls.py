from django.urls import path

from . import health, views

app_name = "base"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("setup/", views.first_admin, name="first_admin"),
]
