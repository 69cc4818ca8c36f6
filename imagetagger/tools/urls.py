from django.urls import path

from . import views

app_name = "tools"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("create/", views.create, name="create"),
    path("edit/<int:tool_id>/", views.edit, name="edit"),
    path("delete/<int:tool_id>/", views.delete, name="delete"),
    path("download/<int:tool_id>/", views.download, name="download"),
]
