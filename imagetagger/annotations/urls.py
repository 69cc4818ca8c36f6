from django.urls import path

from . import views_work

app_name = "annotations"

urlpatterns = [
    # The original's "annotate the whole set" (spec §2.5): POST only, with a confirmation step.
    path("annotateset/<int:imageset_id>/", views_work.annotate_set, name="annotate_set"),
]
