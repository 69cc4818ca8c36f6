"""Downloading a set as a zip archive (built in the background, see ``images.zips``).

``GET imageset/<id>/download/``: 204 for a set without images, 202 while its archive is stale or being
built (a build is then queued if none is), the archive itself when it holds exactly the set's current
images (from a bucket: a redirect to a short-lived signed URL of it). A stale or half-written archive
is never served: archives are written under a new name and swapped in only when complete, and only an
archive whose version equals the set's content version counts as ready.
"""

from urllib.parse import quote

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from base.storage import download, nginx_serves_files
from users.authentication import token_or_login_required

from . import views_sets, zips

PROCESSING_RETRY_AFTER = 5
NGINX_PREFIX = "/ngx_static_dn/"


def _readable_set(request, imageset_id):
    """The set with the caller's permissions; 404 when zips are off or the caller may not read it."""
    if not settings.ENABLE_ZIP_DOWNLOAD:
        raise Http404("Zip downloads are disabled on this site.")
    return views_sets._readable_set(request.user, imageset_id)


def _not_ready(image_set, permissions):
    zips.request_build(image_set)
    status = zips.archive_status(image_set, has_images=True, show_error="edit_set" in permissions)
    retry_after = PROCESSING_RETRY_AFTER
    if status["state"] == "failed":
        status["detail"] = "The archive could not be built yet; it is retried automatically."
        if image_set.zip_retry_at:
            wait = (image_set.zip_retry_at - timezone.now()).total_seconds()
            retry_after = int(min(max(wait, PROCESSING_RETRY_AFTER), 3600))
    else:
        status["detail"] = "The archive is being built; try again in a few seconds."
    response = JsonResponse(status, status=202)
    response["Retry-After"] = str(retry_after)
    return response


def _accel_location(name):
    """The nginx-internal location of a storage file: ``/ngx_static_dn/`` maps to ``IT_FS_URL``
    (README, "nginx"), as for images in ``views_files``."""
    return NGINX_PREFIX + quote(name)


@never_cache
@require_safe
@token_or_login_required
def download_imageset(request, imageset_id):
    image_set, permissions = _readable_set(request, imageset_id)
    if not image_set.images.exists():
        return HttpResponse(status=204)
    # A new build may swap in a newer archive (and delete this one) between our read and our open:
    # then read the set again once.
    for _ in range(2):
        if not zips.is_ready(image_set):
            return _not_ready(image_set, permissions)
        filename = image_set.zip_download_name()
        if nginx_serves_files():
            response = HttpResponse(content_type="application/zip")
            response["X-Accel-Redirect"] = _accel_location(image_set.zip_file)
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
        try:
            # A lost archive is rebuilt (from a bucket too: ``download`` checks before redirecting).
            return download(
                image_set.zip_file,
                filename=filename,
                content_type="application/zip",
                method=request.method,
                size=image_set.zip_size,
            )
        except FileNotFoundError:
            missing = image_set.zip_file
            image_set.refresh_from_db()
            if image_set.zip_file == missing:
                # Lost from the storage (not replaced by a newer build): build it again.
                zips.forget_missing_archive(image_set)
    return _not_ready(image_set, permissions)


@never_cache
@require_safe
@token_or_login_required
def zip_status(request, imageset_id):
    """``{"state": "ready"|"processing"|"failed"|"empty", "size", "download_url", "error"?}``.

    ``error`` is only given to users who may edit the set.
    """
    image_set, permissions = _readable_set(request, imageset_id)
    has_images = image_set.images.exists()
    if has_images and not zips.is_ready(image_set):
        zips.request_build(image_set)
    return JsonResponse(zips.archive_status(image_set, has_images=has_images, show_error="edit_set" in permissions))
