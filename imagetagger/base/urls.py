from django.urls import path

from . import views

app_name = "base"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("setup/", views.first_admin, name="first_admin"),
]
