from django.urls import path

from . import views

app_name = "administration"

urlpatterns = [
    path("", views.annotation_types, name="index"),
    path("annotation_type/list/", views.annotation_types, name="annotation_types"),
    path("annotation_type/create/", views.create_annotation_type, name="create_annotation_type"),
    path("annotation_type/<int:type_id>/", views.annotation_type, name="annotation_type"),
    path("annotation_type/edit/<int:type_id>/", views.edit_annotation_type, name="edit_annotation_type"),
    path("annotation_type/activate/<int:type_id>/", views.activate_annotation_type, name="activate_annotation_type"),
    path(
        "annotation_type/deactivate/<int:type_id>/",
        views.deactivate_annotation_type,
        name="deactivate_annotation_type",
    ),
    path("annotation_type/delete/<int:type_id>/", views.delete_annotation_type, name="delete_annotation_type"),
    path("annotation_type/migrate/bbt0p/<int:type_id>/", views.migrate_bbt0p, name="migrate_bbt0p"),
    path("annotation_type/migrate/bbt4p/<int:type_id>/", views.migrate_bbt4p, name="migrate_bbt4p"),
]
