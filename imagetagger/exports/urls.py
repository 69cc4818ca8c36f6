from django.urls import path

from . import views, views_formats

app_name = "exports"

urlpatterns = [
    path("<int:export_id>/download/", views.download_export, name="download_export"),
    path("<int:export_id>/status/", views.export_status, name="export_status"),
    path("imagesets/<int:set_id>/", views.set_exports, name="set_exports"),
    path("imagesets/<int:set_id>/create/", views.create_export, name="create_export"),
    path("formats/create/", views_formats.create_format, name="create_format"),
    path("formats/<int:format_id>/", views_formats.view_format, name="view_format"),
    path("formats/<int:format_id>/edit/", views_formats.edit_format, name="edit_format"),
    path("formats/<int:format_id>/delete/", views_formats.delete_format, name="delete_format"),
    path("formats/preview/<int:set_id>/", views_formats.preview_format, name="preview_format"),
]
