"""Downloading a task's image: http and https only (redirects too), a timeout, a size limit, and a
pixel limit checked from the header before anything is decoded."""

import io
import urllib.error
import urllib.parse
import urllib.request

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

MAX_IMAGE_BYTES = 50 * 1024 * 1024
MAX_IMAGE_PIXELS = 80_000_000
SCHEMES = ("http", "https")


class FetchError(Exception):
    """The image could not be had; the message says why, without the URL's query (it may be signed)."""


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """urllib would follow a redirect to ftp: too."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urllib.parse.urlsplit(newurl).scheme not in SCHEMES:
            raise FetchError(f"the image URL redirects to a {urllib.parse.urlsplit(newurl).scheme or 'relative'} URL")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpOnlyRedirects)


def download(url, *, timeout):
    """The bytes at ``url``, at most ``MAX_IMAGE_BYTES`` of them."""
    if not isinstance(url, str) or urllib.parse.urlsplit(url).scheme not in SCHEMES:
        raise FetchError("the task's image is not an http(s) URL")
    request = urllib.request.Request(url, headers={"User-Agent": "imagetagger-reference-backend"})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            data = response.read(MAX_IMAGE_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise FetchError(f"the image server answered {error.code}") from None
    except urllib.error.URLError as error:
        raise FetchError(f"the image could not be fetched ({error.reason})") from None
    except (TimeoutError, OSError) as error:
        raise FetchError(f"the image could not be fetched ({type(error).__name__})") from None
    if len(data) > MAX_IMAGE_BYTES:
        raise FetchError(f"the image is larger than {MAX_IMAGE_BYTES // 1024 // 1024} MB")
    return data


def decode(data):
    """A BGR array of the image in ``data``, turned as its EXIF orientation says (as viewers show it)."""
    try:
        with Image.open(io.BytesIO(data)) as header:
            width, height = header.size
    except (UnidentifiedImageError, OSError):
        raise FetchError("the file is not an image that can be read") from None
    except Image.DecompressionBombError:
        raise FetchError(f"the image has more than {MAX_IMAGE_PIXELS // 1_000_000} million pixels") from None
    if width * height > MAX_IMAGE_PIXELS:
        raise FetchError(f"the image has more than {MAX_IMAGE_PIXELS // 1_000_000} million pixels")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise FetchError("the file is not an image that can be read")
    return image


def fetch_image(url, *, timeout):
    return decode(download(url, timeout=timeout))
