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


def team_with_set(make_user, make_team, *, images=2, width=400, height=300):
    """A team "Cars" with an admin "labeler" and a member "colleague", and the team's set "Street" of
    ``images`` plain PNGs (img0.png, img1.png, …); returns {user, other, team, set, images}."""
    from images.ingest import add_image_file
    from images.models import Image
    from images.tests.factories import make_imageset

    user = make_user("labeler")
    other = make_user("colleague")
    team = make_team("Cars", admins=[user], members=[other])
    image_set = make_imageset(team, name="Street")
    for index in range(images):
        result = add_image_file(
            image_set, name=f"img{index}.png", fileobj=io.BytesIO(png_bytes(width, height, index)), uploader=user
        )
        assert result.status == "added", result
    files = list(Image.objects.filter(image_set=image_set).order_by("name"))
    return {"user": user, "other": other, "team": team, "set": image_set, "images": files}


VIEWPORTS = {"desktop": (1440, 900), "tablet": (820, 1180), "phone": (390, 844)}


def settle_layout(page):
    """Wait until the page has laid itself out after a resize: three animation frames, so the resize
    handlers and the ResizeObservers they set off (the canvas refits its view) have all run before a
    test maps image points to the screen again."""
    page.evaluate(
        """() => new Promise((done) => {
          let frames = 3;
          const tick = () => (--frames ? requestAnimationFrame(tick) : done());
          requestAnimationFrame(tick);
        })"""
    )


def shoot_viewports(page, name, folders):
    """Screenshots of the current page at every viewport into ``folders``; asserts nothing scrolls
    sideways at any of them."""
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    for label, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        settle_layout(page)
        page.wait_for_timeout(100)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
        for folder in folders:
            page.screenshot(path=str(folder / f"{name}-{label}-{width}x{height}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    settle_layout(page)


def export_accepted_machine_labels(page, live_server, image_set):
    """From the set page: a COCO export of the machine-made labels with at least one vote ("Only some
    labels"); returns the bytes of the file as downloaded."""
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/images/imageset/{image_set.pk}/")
    page.locator("#export-format").select_option("standard:coco")
    page.locator("#export-filters summary").click()
    page.locator("#export-origin").select_option("machine")
    page.locator("#export-min-votes").fill("1")
    page.locator("#export-button").click()
    expect(page.locator(".alert-success")).to_contain_text("is ready")
    link = page.locator("#export-list .export-download").first
    return page.request.get(link.get_attribute("href")).body()
