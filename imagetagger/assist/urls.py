from django.urls import path

from . import views

app_name = "assist"

urlpatterns = [
    path("image/<str:token>/", views.linked_image, name="image"),
]
