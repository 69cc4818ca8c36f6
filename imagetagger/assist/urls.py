from django.urls import path

from . import views

app_name = "assist"

urlpatterns = [
    path("image/<str:token>/", views.linked_image, name="image"),
    path("team/<int:team_id>/backends/", views.team_backends, name="team_backends"),
    path("backends/<int:backend_id>/edit/", views.edit_backend, name="edit_backend"),
    path("backends/<int:backend_id>/check/", views.check_backend, name="check_backend"),
    path("backends/<int:backend_id>/delete/", views.delete_backend, name="delete_backend"),
    path("imagesets/<int:set_id>/prelabel/", views.start_prelabel, name="start_prelabel"),
    path("jobs/<int:job_id>/cancel/", views.cancel_prelabel, name="cancel_prelabel"),
]
