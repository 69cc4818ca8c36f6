from django.urls import path
from django.views.generic import RedirectView

app_name = "images"

urlpatterns = [
    # The original's home page lived here.
    path("", RedirectView.as_view(pattern_name="base:home", permanent=False), name="index"),
    # --- set pages (images/views_sets.py) ---
    # --- upload, image and thumbnail serving (images/views_files.py) ---
    # --- zip download (images/views_zip.py) ---
]
