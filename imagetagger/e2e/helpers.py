"""Helpers shared by the browser tests."""

import io

from PIL import Image as PILImage


def log_in(page, live_server, user):
    """Give the page's browser context a session of ``user`` (without going through the login form)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def png_bytes(width, height, index=0):
    """A plain PNG whose colour differs with ``index``."""
    image = PILImage.new("RGB", (width, height), (40 + index * 20 % 200, 90, 140))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
