"""Links that let a model backend fetch one image, and nothing else, for a short time.

A backend is another server: it has no session and must not get a user's token. Each ``/predict``
call hands it, per image, a URL carrying a signature of (image id, purpose) made with the site's
SECRET_KEY and a timestamp; the link works for ``IT_ASSIST_IMAGE_LINK_SECONDS`` (default 300 s) and
for that image only. Changing SECRET_KEY revokes every link at once."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "assist.image-link"


def image_link(image, *, base_url=None):
    """An absolute URL serving ``image`` to whoever holds it, for a short time."""
    token = signing.dumps({"image": image.pk}, salt=SALT, compress=False)
    base = (base_url or settings.ASSIST_IMAGE_BASE_URL or settings.DOWNLOAD_BASE_URL or "").rstrip("/")
    return f"{base}{reverse('assist:image', args=[token])}"


def image_id_of(token):
    """The image id a link's token was made for, or None when it is forged or expired."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=settings.ASSIST_IMAGE_LINK_SECONDS)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    image_id = payload.get("image") if isinstance(payload, dict) else None
    return image_id if isinstance(image_id, int) else None
