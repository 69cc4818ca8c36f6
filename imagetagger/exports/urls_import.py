from django.urls import path

from . import views_import

app_name = "imports"

urlpatterns = [
    path("imagesets/<int:set_id>/", views_import.import_labels, name="import_labels"),
    path("<int:import_id>/", views_import.view_label_import, name="label_import"),
    path("<int:import_id>/report.csv", views_import.download_report, name="label_import_report"),
]
