"""Team messages in a real browser: an admin writes one, a member sees the badge, reads it, the badge goes."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from tagger_messages.models import Audience, Message, MessageRead

pytestmark = pytest.mark.django_db(transaction=True)


def _log_in(context, live_server, user):
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def test_admin_posts_member_sees_badge_reads_it_badge_goes(page, browser, live_server, make_user, make_team):
    admin, member = make_user("ada"), make_user("bob")
    make_team("Robots", admins=[admin], members=[member])

    # The admin writes a message from the messages overview.
    _log_in(page.context, live_server, admin)
    page.goto("/")
    page.get_by_role("link", name="Messages").click()
    page.get_by_role("link", name="New message").click()
    expect(page.get_by_label("Team", exact=True)).to_have_value(str(admin.teams.get().pk))
    page.get_by_label("Title", exact=True).fill("Lab closed on Friday")
    page.get_by_label("Content", exact=True).fill("Work from home.\nThe robots stay in.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Message “Lab closed on Friday” sent to Robots.")).to_be_visible()
    message = Message.objects.get()
    assert (message.creator, message.audience) == (admin, Audience.ALL)
    # The writer has read it: no badge for them.
    expect(page.locator("#unread-badge")).to_have_count(0)

    # The member sees the badge on any page.
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    _log_in(context, live_server, member)
    member_page = context.new_page()
    member_page.goto("/")
    badge = member_page.locator("#unread-badge")
    expect(badge).to_have_text("1 unread")
    member_page.locator("#messages-link").click()
    item = member_page.locator(f"#message-{message.pk}")
    expect(item).to_contain_text("Lab closed on Friday")
    expect(item).to_contain_text("The robots stay in.")
    expect(item.get_by_text("New")).to_be_visible()

    # Marked read with the keyboard: the list empties and the badge goes away.
    button = item.get_by_role("button", name="Mark “Lab closed on Friday” as read")
    button.focus()
    member_page.keyboard.press("Enter")
    expect(member_page.locator("#no-messages")).to_have_text("No unread messages.")
    expect(member_page.locator("#unread-badge")).to_have_count(0)
    assert MessageRead.objects.filter(user=member, message=message).exists()

    # It stays under "All messages", no longer marked new.
    member_page.get_by_role("link", name="All messages").click()
    expect(member_page.locator(f"#message-{message.pk}")).to_contain_text("Lab closed on Friday")
    expect(member_page.locator(f"#message-{message.pk}").get_by_text("New")).to_have_count(0)
    context.close()


def test_announcement_on_the_home_page_until_read_and_deleted_after_confirmation(page, browser, live_server, make_user):
    staff, user = make_user("sam", is_staff=True), make_user("otto")

    # Staff publish an announcement for everybody.
    _log_in(page.context, live_server, staff)
    page.goto("/tagger_messages/overview/global/")
    page.get_by_role("link", name="New announcement").click()
    page.get_by_label("Title", exact=True).fill("Maintenance tonight")
    page.get_by_label("Content", exact=True).fill("The site is down from 22:00.")
    page.get_by_label("For", exact=True).select_option("all")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Announcement “Maintenance tonight” published.")).to_be_visible()
    announcement = Message.objects.get()

    # A user sees it on top of the home page and marks it read there.
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    _log_in(context, live_server, user)
    user_page = context.new_page()
    user_page.goto("/")
    panel = user_page.locator("#home-announcements")
    expect(panel).to_contain_text("Maintenance tonight")
    expect(user_page.locator("#unread-badge")).to_have_text("1 unread")
    panel.get_by_role("button", name="Mark “Maintenance tonight” as read").click()
    expect(user_page.get_by_role("heading", name="Home")).to_be_visible()
    expect(user_page.locator("#home-announcements")).to_have_count(0)
    expect(user_page.locator("#unread-badge")).to_have_count(0)
    context.close()

    # Deleting asks first: dismissed, nothing happens; accepted, it is gone.
    page.goto("/tagger_messages/overview/global/")
    delete = page.get_by_role("button", name="Delete “Maintenance tonight”")
    page.once("dialog", lambda dialog: dialog.dismiss())
    delete.click()
    page.wait_for_timeout(500)  # time for a wrongly sent form to arrive
    expect(page.locator(f"#message-{announcement.pk}")).to_be_visible()
    assert Message.objects.filter(pk=announcement.pk).exists()
    page.once("dialog", lambda dialog: dialog.accept())
    delete.click()
    expect(page.get_by_text("Message “Maintenance tonight” deleted.")).to_be_visible()
    expect(page.locator(f"#message-{announcement.pk}")).to_have_count(0)
    assert not Message.objects.exists()
