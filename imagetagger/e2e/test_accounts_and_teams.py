"""A newcomer's first journey, in a real browser."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import expect

from users.models import Team

PASSWORD = "correct-Horse-battery-9"
pytestmark = pytest.mark.django_db(transaction=True)


def test_register_activate_login_create_team_add_member_logout(page, make_user):
    colleague = make_user("colleague")

    # Register through the form.
    page.goto("/")
    page.get_by_role("link", name="Register").first.click()
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Email").fill("newcomer@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()
    assert get_user_model().objects.get(username="newcomer").is_active is False

    # Activate through the link in the mail.
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Activate account").click()
    expect(page.get_by_role("heading", name="Account activated")).to_be_visible()

    # Log in.
    page.get_by_role("link", name="Log in").last.click()
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()

    # Create a team from the home page.
    page.get_by_label("Create a new team").fill("Robot Vision")
    page.get_by_role("button", name="Create team").click()
    expect(page.get_by_role("heading", name="Robot Vision")).to_be_visible()
    expect(page.get_by_text("Team Robot Vision created")).to_be_visible()

    # Add the colleague, picking the name from the autocomplete suggestions.
    field = page.get_by_label("Username")
    field.press_sequentially("colle")
    expect(page.locator("#add-member-suggestions option[value=colleague]")).to_have_count(1)
    field.fill("colleague")
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_text("colleague is now a member of Robot Vision")).to_be_visible()
    expect(page.locator("#members tr[data-username=colleague]")).to_contain_text("member")
    team = Team.objects.get(name="Robot Vision")
    assert set(team.members.values_list("username", flat=True)) == {"newcomer", colleague.username}

    # Log out (a POST from the user menu).
    page.get_by_role("button", name="newcomer").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()
    page.goto(f"/users/team/{team.pk}/")
    expect(page).to_have_url(re.compile(r"/user/login/\?next="))
