"""Browser test: the explore menu, search and leaderboard tabs with the keyboard, and the home page's
statistics chart with its table."""

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from annotations.models import Verification
from annotations.tests.vote_factories import build_vote_world, label
from annotations.votes import recompute_points

from .helpers import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_explore_search_and_leaderboard_by_keyboard(page, live_server, make_user, make_team):
    world = build_vote_world(make_user, make_team)
    make_user("zelda")
    annotation = label(world.image(world.public), world.cara, world.box)
    Verification.objects.create(annotation=annotation, user=world.otto, verified=True)
    recompute_points()
    log_in(page, live_server, world.bob)

    page.goto("/images/imageset/explore/")
    users_link = page.locator("#explore-menu").get_by_role("link", name="Users")
    users_link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/users/user/explore/")
    expect(page.locator("#explore-menu a[aria-current=page]")).to_have_text("Users")
    expect(page.locator("#explore-results tbody tr").first).to_contain_text("cara")

    page.get_by_label("Username contains").fill("zel")
    page.keyboard.press("Enter")
    expect(page.locator("#explore-results tbody tr")).to_have_count(1)
    expect(page.locator("#explore-results")).to_contain_text("zelda")

    page.locator("#explore-menu").get_by_role("link", name="Leaderboard").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#leaderboard tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Last 30 days").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Last 30 days")).to_have_attribute("aria-current", "page")
    expect(page.locator("#leaderboard tbody tr")).to_have_text("1 cara 1")
    page.get_by_role("link", name="Robots").focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Leaderboard of Robots")
    expect(page.locator("#leaderboard")).to_contain_text("cara")


def test_home_page_chart_and_its_table(page, live_server, make_user, make_team):
    cache.clear()  # the site-wide numbers are cached (IT_STATISTICS_CACHE_SECONDS)
    world = build_vote_world(make_user, make_team)
    for _ in range(3):
        label(world.image(world.public), world.ada, world.box)
    log_in(page, live_server, world.bob)

    page.goto("/")
    chart = page.get_by_role("img", name="Labels per day by type")
    expect(chart).to_be_visible()
    expect(page.locator("#labels-per-day rect")).to_have_count(1 + 1)  # the bar and the legend swatch
    table = page.locator("#labels-per-day-table")
    expect(table).to_be_hidden()
    page.get_by_text("The numbers as a table").focus()
    page.keyboard.press("Enter")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tfoot")).to_contain_text("3")
