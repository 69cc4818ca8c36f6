from django.urls import path

from . import views

app_name = "exports"

urlpatterns = [
    path("<int:export_id>/download/", views.download_export, name="download_export"),
    path("<int:export_id>/status/", views.export_status, name="export_status"),
    path("imagesets/<int:set_id>/", views.set_exports, name="set_exports"),
    path("imagesets/<int:set_id>/create/", views.create_export, name="create_export"),
]
