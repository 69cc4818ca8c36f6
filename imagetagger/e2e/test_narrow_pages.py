"""No page of the site scrolls sideways on a 360 px wide phone.

Every route of the site (walked from the URL configuration by e2e/walk.py, so a new page is checked
without being listed here) is opened at 360 × 740 in Chromium with data that makes pages wide
(walk.build_wide_world). Pages are seen by the team's admin (site staff too); the pages of logged-out
visitors without a session. A failure names every page that sticks out and
its widest elements. Screenshots go to test-artifacts/narrow/.

Routes that are not pages are listed in walk.NOT_PAGES with what they answer; the test fails when one of
them turns into a page or a page stops answering, so the list stays true.
"""

import pytest

from e2e.conftest import ARTIFACTS
from e2e.helpers import log_in
from e2e.walk import build_wide_world, logged_out_pages, site_pages

pytestmark = pytest.mark.django_db(transaction=True)

OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll("body *")]
    .filter((el) => el.getClientRects().length && el.getBoundingClientRect().right > width + 1)
    .filter((el) => !el.closest(".offcanvas:not(.show), .modal:not(.show), .visually-hidden"))
    .filter((el) => !el.parentElement.closest(".table-responsive, pre")) // they scroll inside themselves
    .slice(0, 6)
    .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${[...el.classList].join(".")}`
      + ` right=${Math.round(el.getBoundingClientRect().right)}`);
  return {overflow: document.documentElement.scrollWidth - width, wide};
}"""


@pytest.fixture
def wide_world(storage_dir):
    return build_wide_world()


def measure(page, name):
    page.wait_for_load_state("load")
    page.wait_for_timeout(150)
    found = page.evaluate(OVERFLOW)
    folder = ARTIFACTS / "narrow"
    folder.mkdir(parents=True, exist_ok=True)
    slug = name.strip("/").replace("/", "_").replace("<", "").replace(">", "").replace(":", "-") or "home"
    page.screenshot(path=str(folder / f"{slug}-360x740.png"), full_page=True)
    return found


def test_no_page_of_the_site_scrolls_sideways_at_360_px(page, live_server, wide_world):
    pages, problems = site_pages(wide_world)
    checked = []
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, live_server, wide_world["admin"])
    for route, path in pages:
        response = page.goto(path)
        assert response.status == 200, f"{route}: {response.status}"
        found = measure(page, route)
        checked.append(route)
        if found["overflow"] > 0:
            problems.append(f"{route} scrolls sideways by {found['overflow']} px: {found['wide']}")

    page.context.clear_cookies()
    for route, path in logged_out_pages(wide_world):
        response = page.goto(path)
        if response is None or response.status != 200:
            problems.append(f"{route}: {response.status if response else 'no answer'} logged out")
            continue
        found = measure(page, route)
        checked.append(route)
        if found["overflow"] > 0:
            problems.append(f"{route} (logged out) scrolls sideways by {found['overflow']} px: {found['wide']}")

    assert not problems, "\n".join(problems)
    assert len(checked) >= 50, checked
