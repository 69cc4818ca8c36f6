"""Upload into a set (JSON for the upload panel), and serving of images and thumbnails.

Every request goes through ``imageset_permissions``: sets the user may not read answer 404, as if
they did not exist; uploading needs ``upload_images`` (403 with the reason, e.g. a locked set).
"""

import logging
import posixpath
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.http import parse_etags
from django.views.decorators.http import require_POST, require_safe

from base.storage import is_object_storage, nginx_serves_files, open_stream, redirect_to
from users.authentication import token_or_login_required

from .ingest import ADDED, ensure_thumbnail, ingest_uploads, upload_refusal
from .models import Image, ImageSet
from .permissions import imageset_permissions

logger = logging.getLogger(__name__)

# Image files never change (a new upload is a new image), so browsers may keep them; "private"
# because access depends on the user, and the ETag makes revalidation cheap.
IMAGE_MAX_AGE = 3600
NGINX_PREFIX = "/ngx_static_dn/"


@login_required
@require_POST
def upload_images(request, imageset_id):
    """Add the files of the multipart field ``files`` (or ``files[]``): images or archives."""
    image_set = get_object_or_404(ImageSet, pk=imageset_id)
    if "read" not in imageset_permissions(request.user, image_set):
        raise Http404("No such image set.")
    refusal = upload_refusal(request.user, image_set)
    if refusal:
        return JsonResponse({"detail": refusal}, status=403)
    files = request.FILES.getlist("files") + request.FILES.getlist("files[]")
    if not files:
        return JsonResponse({"detail": "Choose one or more files to upload (form field “files”)."}, status=400)
    try:
        results = ingest_uploads(actor=request.user, image_set=image_set, uploaded_files=files)
    except PermissionDenied as error:
        return JsonResponse({"detail": str(error)}, status=403)
    except ValidationError as error:
        return JsonResponse({"detail": " ".join(error.messages)}, status=400)
    added = any(result.status == ADDED for result in results)
    return JsonResponse({"files": [result.as_dict() for result in results]}, status=201 if added else 200)


def _readable_image(request, image_id):
    image = get_object_or_404(Image.objects.select_related("image_set"), pk=image_id)
    if "read" not in imageset_permissions(request.user, image.image_set):
        raise Http404("No such image.")
    return image


def _etag_matches(request, etag):
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    tags = parse_etags(header)
    return "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags)


def _serve(request, *, path, content_type, etag, filename, redirect=True, make=None):
    """The file at ``path`` of the default storage (or nginx's redirect to it), with caching headers.

    From a bucket (``IT_STORAGE=s3``): a redirect to a signed URL, or with ``redirect=False`` (the
    small thumbnails, which then stay cacheable by their ETag) the file streamed through the site.
    ``make()`` (optional) makes a missing file; it returns None when it cannot.
    """
    headers = {"ETag": etag, "Cache-Control": f"private, max-age={IMAGE_MAX_AGE}"}
    if _etag_matches(request, etag):
        response = HttpResponseNotModified()
    elif redirect and is_object_storage():
        return redirect_to(
            path, method=request.method, filename=filename, content_type=content_type, max_age=IMAGE_MAX_AGE
        )
    elif nginx_serves_files():
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = NGINX_PREFIX + quote(path)
    else:
        try:
            stored = _open(path, make)
        except FileNotFoundError:
            raise Http404("The file of this image is missing.") from None
        response = FileResponse(stored, content_type=content_type, filename=filename)
    for name, value in headers.items():
        response[name] = value
    return response


def _open(path, make):
    """The file (locally) or the body of the bucket's answer, one request; made first if missing."""
    try:
        return open_stream(path)
    except FileNotFoundError:
        if make is None or make() is None:
            logger.error("the file %s is missing", path)
            raise
    return open_stream(path)


@token_or_login_required
@require_safe
def view_image(request, image_id):
    return serve_image(request, _readable_image(request, image_id))


def serve_image(request, image):
    """The image's file as ``view_image`` answers it; for callers that checked access their own way
    (the links handed to model backends, ``assist.links``)."""
    return _serve(
        request,
        path=image.relative_path,
        content_type=image.content_type,
        etag=f'"{image.checksum_hex}"',
        filename=posixpath.basename(image.name),
    )


@token_or_login_required
@require_safe
def view_thumbnail(request, image_id):
    image = _readable_image(request, image_id)
    etag = f'"{image.checksum_hex[:64]}-thumbnail"'
    nginx = nginx_serves_files()
    # nginx sends the file itself, so it must exist first; otherwise a missing one is made when opened.
    if nginx and not _etag_matches(request, etag) and ensure_thumbnail(image) is None:
        raise Http404("This image has no thumbnail.")
    stem = posixpath.splitext(posixpath.basename(image.name))[0]
    return _serve(
        request,
        path=image.thumbnail_path,
        content_type="image/jpeg",
        etag=etag,
        filename=f"{stem}_thumbnail.jpg",
        redirect=False,
        make=lambda: ensure_thumbnail(image),
    )
