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
