"""No page of the site scrolls sideways on a 360 px wide phone: every page, with the demo data (a team, a set of
20 images with labels, label types with attributes, an image tag) seen by its team admin (site staff too), and the
pages anonymous visitors see. A failure names the elements that stick out. Screenshots go to
test-artifacts/narrow/."""

import pytest
from django.core.management import call_command

from annotations.models import Annotation, AnnotationType
from e2e.conftest import ARTIFACTS
from e2e.helpers import log_in
from images.models import ImageSet
from users.models import Team, User

pytestmark = pytest.mark.django_db(transaction=True)

OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll("body *")]
    .filter((el) => el.getClientRects().length && el.getBoundingClientRect().right > width + 1)
    .filter((el) => !el.closest(".offcanvas:not(.show), .modal:not(.show), .visually-hidden"))
    .filter((el) => !el.parentElement.closest(".table-responsive, pre")) // they scroll inside themselves
    .slice(0, 8)
    .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${[...el.classList].join(".")}`
      + ` right=${Math.round(el.getBoundingClientRect().right)}`);
  return {overflow: document.documentElement.scrollWidth - width, wide};
}"""

PAGES = {
    "home": lambda d: "/",
    "explore": lambda d: "/images/imageset/explore/",
    "leaderboard": lambda d: "/users/leaderboard/",
    "profile": lambda d: f"/users/user/{d['admin'].pk}/",
    "team": lambda d: f"/users/team/{d['team'].pk}/",
    "team types": lambda d: f"/users/team/{d['team'].pk}/types/",
    "new type": lambda d: f"/users/team/{d['team'].pk}/types/create/",
    "edit type": lambda d: f"/users/team/{d['team'].pk}/types/{d['type'].pk}/",
    "set": lambda d: f"/images/imageset/{d['set'].pk}/",
    "set edit": lambda d: f"/images/imageset/{d['set'].pk}/edit/",
    "set create": lambda d: f"/images/imageset/create/?team={d['team'].pk}",
    "manage": lambda d: f"/annotations/manage/{d['set'].pk}/",
    "statistics": lambda d: f"/annotations/imageset/{d['set'].pk}/statistics/",
    "annotate": lambda d: f"/annotations/{d['label'].image_id}/",
    "verify": lambda d: f"/annotations/{d['label'].pk}/verify/",
    "exports": lambda d: f"/exports/imagesets/{d['set'].pk}/",
    "new export format": lambda d: f"/exports/formats/create/?team={d['team'].pk}",
    "messages": lambda d: "/tagger_messages/overview/",
    "tools": lambda d: "/tools/",
    "administration": lambda d: "/administration/",
    "password change": lambda d: "/user/password_change/",
}
ANONYMOUS = {
    "log in": "/user/login/",
    "register": "/accounts/register/",
    "password reset": "/user/password_reset/",
}


@pytest.fixture
def demo(storage_dir):
    call_command("loaddemo", verbosity=0)
    team = Team.objects.get(name="Demo")
    image_set = ImageSet.objects.get(team=team)
    return {
        "admin": User.objects.get(username="demo-admin"),
        "team": team,
        "set": image_set,
        "type": AnnotationType.objects.filter(team=team).first(),
        "label": Annotation.objects.filter(image__image_set=image_set, vector__isnull=False).first(),
    }


def check(page, name):
    page.set_viewport_size({"width": 360, "height": 740})
    page.wait_for_load_state("load")
    page.wait_for_timeout(200)
    found = page.evaluate(OVERFLOW)
    folder = ARTIFACTS / "narrow"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name.replace(' ', '-')}-360x740.png"), full_page=True)
    assert found["overflow"] <= 0, f"{name} scrolls sideways by {found['overflow']} px: {found['wide']}"


@pytest.mark.parametrize("name", list(PAGES))
def test_no_page_scrolls_sideways_at_360_px(page, live_server, demo, name):
    log_in(page, live_server, demo["admin"])
    page.set_viewport_size({"width": 360, "height": 740})
    response = page.goto(PAGES[name](demo))
    assert response.status == 200, f"{name}: {response.status}"
    check(page, name)


@pytest.mark.parametrize("name", list(ANONYMOUS))
def test_no_public_page_scrolls_sideways_at_360_px(page, name):
    page.set_viewport_size({"width": 360, "height": 740})
    response = page.goto(ANONYMOUS[name])
    assert response.status == 200, f"{name}: {response.status}"
    check(page, name)
