"""The tools exchange in a real browser: upload from the navbar, see it listed, download it, replace
its file, delete it after confirming; a team member sees it without edit buttons."""

import pytest
from playwright.sync_api import expect

from tools.models import Tool

from .helpers import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_upload_download_edit_and_delete_a_tool(page, browser, live_server, make_user, make_team, storage_dir):
    ada, bob = make_user("ada"), make_user("bob")
    make_team("Robots", admins=[ada], members=[bob])
    log_in(page, live_server, ada)
    page.goto("/")
    page.get_by_role("link", name="Tools", exact=True).click()
    expect(page.get_by_text("No tools yet.")).to_be_visible()
    page.get_by_role("link", name="Upload a tool").click()
    page.get_by_label("Name", exact=True).fill("Bag converter")
    page.get_by_label("Description", exact=True).fill("Image sets to ROS bags.")
    page.get_by_label("Team", exact=True).select_option(label="Robots")
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "to bag ä.py", "mimeType": "text/plain", "buffer": b"print('bag')\n"}
    )
    # Submitted with the keyboard.
    page.get_by_label("Name", exact=True).press("Enter")
    expect(page.get_by_text("The tool Bag converter has been uploaded.")).to_be_visible()
    row = page.locator("#tools tbody tr", has_text="Bag converter")
    expect(row.get_by_label("private")).to_be_visible()
    expect(row.get_by_role("link", name="Robots")).to_be_visible()

    with page.expect_download() as download_info:
        row.get_by_role("link", name="Download Bag converter").click()
    download = download_info.value
    assert download.suggested_filename == "to bag ä.py"
    with open(download.path(), "rb") as downloaded:
        assert downloaded.read() == b"print('bag')\n"

    row.get_by_role("link", name="Edit Bag converter").click()
    page.get_by_label("Replace the file").set_input_files(
        {"name": "to_bag.py", "mimeType": "text/plain", "buffer": b"print('bag v2')\n"}
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The tool Bag converter has been saved.")).to_be_visible()
    tool = Tool.objects.get()
    assert tool.filename == "to_bag.py"

    # A member of the team sees it and may download it, but has no edit or delete buttons.
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    member_page = context.new_page()
    log_in(member_page, live_server, bob)
    member_page.goto("/tools/")
    member_row = member_page.locator("#tools tbody tr", has_text="Bag converter")
    expect(member_row.get_by_role("link", name="Download Bag converter")).to_be_visible()
    expect(member_row.get_by_role("link", name="Edit Bag converter")).to_have_count(0)
    expect(member_row.get_by_role("link", name="Delete Bag converter")).to_have_count(0)
    context.close()

    row.get_by_role("link", name="Delete Bag converter").click()
    page.get_by_role("button", name="Delete tool").click()
    expect(page.get_by_text("The tool Bag converter has been deleted.")).to_be_visible()
    expect(page.get_by_text("No tools yet.")).to_be_visible()
    assert not Tool.objects.exists()
