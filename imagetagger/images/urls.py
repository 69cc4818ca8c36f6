from django.urls import path
from django.views.generic import RedirectView

from . import views_files, views_sets, views_zip

app_name = "images"

urlpatterns = [
    # The original's home page lived here.
    path("", RedirectView.as_view(pattern_name="base:home", permanent=False), name="index"),
    # --- set pages (images/views_sets.py) ---
    path("imageset/create/", views_sets.create_imageset, name="create_imageset"),
    path("imageset/explore/", views_sets.explore_imageset, name="explore_imageset"),
    path("imageset/tags/autocomplete/", views_sets.tag_autocomplete, name="tag_autocomplete"),
    path("imageset/<int:set_id>/", views_sets.view_imageset, name="imageset"),
    path("imageset/<int:set_id>/edit/", views_sets.edit_imageset, name="edit_imageset"),
    path("imageset/<int:set_id>/delete/", views_sets.delete_imageset, name="delete_imageset"),
    path("imageset/<int:set_id>/setfree/", views_sets.set_free_imageset, name="setfree_imageset"),
    path("imageset/<int:set_id>/pin/", views_sets.pin_imageset, name="pin_imageset"),
    path("imageset/<int:set_id>/tags/add/", views_sets.add_tag, name="add_tag"),
    path("imageset/<int:set_id>/tags/remove/", views_sets.remove_tag, name="remove_tag"),
    path("imageset/<int:set_id>/images/delete/", views_sets.delete_images, name="delete_images"),
    # --- upload, image and thumbnail serving (images/views_files.py) ---
    path("imageset/<int:imageset_id>/upload/", views_files.upload_images, name="upload_images"),
    path("image/<int:image_id>/", views_files.view_image, name="view_image"),
    path("image/<int:image_id>/thumbnail/", views_files.view_thumbnail, name="thumbnail"),
    # --- zip download (images/views_zip.py) ---
    path("imageset/<int:imageset_id>/download/", views_zip.download_imageset, name="download_imageset"),
    path("imageset/<int:imageset_id>/zip-status/", views_zip.zip_status, name="zip_status"),
]
