from django.urls import path

from . import views_annotate, views_manage, views_verify, views_work
from .views_statistics import imageset_statistics

app_name = "annotations"

urlpatterns = [
    # The annotate page (spec §7.1) and its image list's position lookup.
    path("<int:image_id>/", views_annotate.annotate, name="annotate"),
    path("imageset/<int:imageset_id>/annotate/", views_annotate.annotate_imageset, name="annotate_imageset"),
    path("imageset/<int:imageset_id>/position/", views_annotate.image_position, name="image_position"),
    # A set's statistics page (views_statistics; the numbers of work.imageset_statistics).
    path("imageset/<int:imageset_id>/statistics/", imageset_statistics, name="imageset_statistics"),
    # The verification page (spec §7.2) and the set page's entry to it.
    path("<int:annotation_id>/verify/", views_verify.verify, name="verify"),
    path("imageset/<int:imageset_id>/verify/", views_verify.verify_imageset, name="verify_imageset"),
    # The original's "annotate the whole set" (spec §2.5): POST only, with a confirmation step.
    path("annotateset/<int:imageset_id>/", views_work.annotate_set, name="annotate_set"),
    # The manage-annotations page of a set (views_manage): filters, table, deletes, history.
    path("manage/<int:set_id>/", views_manage.manage_annotations, name="manage_annotations"),
    path("manage/<int:set_id>/delete/", views_manage.delete_annotations, name="delete_annotations"),
    path(
        "manage/<int:set_id>/annotation/<int:annotation_id>/delete/",
        views_manage.delete_annotation,
        name="manage_delete_annotation",
    ),
    path(
        "manage/<int:set_id>/history/<uuid:annotation_uuid>/",
        views_manage.annotation_history,
        name="annotation_history",
    ),
]
