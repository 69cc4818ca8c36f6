from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from images.models import Image
from images.views_files import serve_image

from .links import image_id_of


@require_safe
def linked_image(request, token):
    """An image for a model backend holding a valid link (``assist.links``); no login."""
    image_id = image_id_of(token)
    if image_id is None:
        raise Http404("This image link is not valid (any more).")
    return serve_image(request, get_object_or_404(Image, pk=image_id))
