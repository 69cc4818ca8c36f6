"""The status page and the API docs inside the site's layout (navigation, footer, a way back), and the
address people try first for logging in landing on our login page. Screenshots at three widths go to
/tmp/shots/ and the test artifacts."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from e2e.conftest import ARTIFACTS
from e2e.helpers import log_in, shoot_viewports
from users.services import create_api_token

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = [Path("/tmp/shots"), ARTIFACTS / "status-and-docs"]


def test_status_page_api_docs_and_the_usual_login_address(page, live_server, make_user, storage_dir):
    page.goto(f"{live_server.url}/accounts/login/?next=/status/")
    expect(page).to_have_url(f"{live_server.url}/user/login/?next=/status/")
    expect(page.get_by_label("Username")).to_be_visible()

    root = make_user("root", is_staff=True)
    create_api_token(user=root, name="pipeline")
    log_in(page, live_server, root)
    # One date format across the site: ISO order with the time zone (here: the token's creation).
    page.goto(f"{live_server.url}/users/user/{root.pk}/")
    expect(page.get_by_role("row", name=re.compile("pipeline"))).to_contain_text(
        re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} [A-Z]{3,5}")
    )
    page.goto(f"{live_server.url}/")
    page.locator("footer").get_by_role("link", name="Status").click()
    expect(page.locator("h1")).to_have_text("Status")
    expect(page.locator("#status-summary")).to_contain_text("Everything the site needs is working.")
    expect(page.locator("#status-worker")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    shoot_viewports(page, "status", SHOTS)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="API").click()
    expect(page.locator("h1")).to_have_text("API documentation")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    expect(page.locator("footer").get_by_role("link", name="Status")).to_be_visible()
    shoot_viewports(page, "api-docs", SHOTS)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
    expect(page).to_have_url(f"{live_server.url}/")
