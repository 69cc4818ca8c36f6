from django.urls import path

from . import health, views, views_status

app_name = "base"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("status/", views_status.status_page, name="status"),
    path("setup/", views.first_admin, name="first_admin"),
]
