"""System checks run by runserver, migrate, check and the test runner."""

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage


@register(deploy=False)
def check_storage_writable(app_configs, **kwargs):
    """The data folder (or bucket) must accept a write and a delete."""
    name = ".imagetagger-check"
    try:
        stored = default_storage.save(name, ContentFile(b"ok"))
        default_storage.delete(stored)
    except Exception as error:
        return [
            Error(
                f"Storage is not writable: {error}",
                hint=(
                    f"Check IT_S3_ENDPOINT_URL, IT_S3_BUCKET and the credentials (bucket {settings.S3_BUCKET!r})."
                    if settings.STORAGE.strip().lower() == "s3"
                    else f"Check IT_FS_URL (currently {settings.FS_URL!r})."
                ),
                id="imagetagger.E001",
            )
        ]
    return []


@register(deploy=True)
def check_download_base_url(app_configs, **kwargs):
    if not settings.DOWNLOAD_BASE_URL:
        return [
            Warning(
                "IT_DOWNLOAD_BASE_URL is not set; download links in scripts will use the host of each request.",
                hint="Set IT_DOWNLOAD_BASE_URL to the public address of the site, e.g. https://tagger.example.org.",
                id="imagetagger.W001",
            )
        ]
    return []
