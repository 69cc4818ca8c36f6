"""No page of the site breaks its Content-Security-Policy (imagetagger/settings.py, README.md "Security headers").

Every route of the site (walked by e2e/walk.py, so a new page is visited without being listed here), the
logged-out pages, Django's admin and the API docs (Swagger UI) are opened in Chromium. Violations are
caught twice: the ``securitypolicyviolation`` events of the page (an init script reports them) and the
messages Chromium writes to the console ("Refused to apply inline style …"). Console complaints about the
Permissions-Policy header (an unknown feature) fail too. The annotate page is used as well (a box drawn
and saved), its scripts being the riskiest.
"""

import re

import pytest
from playwright.sync_api import expect

from annotations.models import Annotation, AnnotationType, VectorType
from e2e.helpers import log_in, team_with_set
from e2e.test_annotate import Mapper, drag, wait_saved
from e2e.walk import build_wide_world, logged_out_pages, site_pages

pytestmark = pytest.mark.django_db(transaction=True)

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const violation = {
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    source: `${event.sourceFile}:${event.lineNumber}`,
    sample: event.sample,
  };
  (window.__cspViolations = window.__cspViolations || []).push(violation);
  if (window.reportCspViolation) window.reportCspViolation(violation);
}, true);
"""
# What Chromium writes to the console about the policy headers.
COMPLAINT = re.compile(r"Content[- ]Security[- ]Policy|Permissions[- ]Policy|Refused to", re.IGNORECASE)


class Watcher:
    """Collects every violation and complaint of ``page``, with the path it happened on."""

    def __init__(self, page):
        self.page = page
        self.found = []
        page.expose_function("reportCspViolation", lambda violation: self.found.append((self.path(), violation)))
        page.add_init_script(REPORT_VIOLATIONS)
        page.on("console", self.console)

    def path(self):
        return re.sub(r"^https?://[^/]+", "", self.page.url)

    def console(self, message):
        if COMPLAINT.search(message.text):
            self.found.append((self.path(), f"console {message.type}: {message.text}"))

    def visit(self, path):
        """Open ``path``, let its scripts run; the answer's problems (status, missing header) as a list."""
        response = self.page.goto(path)
        if response is None:
            return [f"{path}: no answer"]
        self.settle()
        problems = []
        if response.status != 200:
            problems.append(f"{path}: {response.status}")
        if "script-src 'self'" not in response.headers.get("content-security-policy", ""):
            problems.append(f"{path}: no Content-Security-Policy")
        return problems

    def settle(self):
        self.page.wait_for_load_state("load")
        self.page.wait_for_timeout(200)
        # Anything the event reported before the binding existed.
        for violation in self.page.evaluate("() => window.__cspViolations || []"):
            if (self.path(), violation) not in self.found:
                self.found.append((self.path(), violation))
        self.page.evaluate("() => { window.__cspViolations = []; }")

    def report(self):
        return "\n".join(f"{path}: {violation}" for path, violation in self.found)


@pytest.fixture
def wide_world(storage_dir):
    return build_wide_world()


def test_no_page_of_the_site_violates_the_content_security_policy(page, live_server, wide_world):
    watcher = Watcher(page)
    pages, problems = site_pages(wide_world)
    log_in(page, live_server, wide_world["admin"])
    visited = []
    for _route, path in pages:
        problems += watcher.visit(path)
        visited.append(path)

    # Django's admin (the demo admin is site staff) and the API docs, outside the walk.
    for path in ["/admin/", "/admin/auth/group/", "/admin/auth/group/add/", "/admin/users/user/"]:
        problems += watcher.visit(path)
    problems += watcher.visit("/api/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    page.locator(".swagger-ui .opblock-summary").first.click()  # an operation opens (Swagger UI's scripts work)
    expect(page.locator(".swagger-ui .opblock-body").first).to_be_visible()
    watcher.settle()

    page.context.clear_cookies()
    for _route, path in logged_out_pages(wide_world):
        problems += watcher.visit(path)
        visited.append(path)

    assert not problems, "\n".join(problems)
    assert not watcher.found, "Content-Security-Policy violations:\n" + watcher.report()
    assert len(visited) >= 50, visited


def test_the_annotate_page_draws_and_saves_a_box_under_the_policy(page, live_server, make_user, make_team):
    world = team_with_set(make_user, make_team, images=2)
    box = AnnotationType.objects.create(name="a-box", vector_type=VectorType.BOUNDING_BOX)
    world["set"].main_annotation_type = box
    world["set"].save(update_fields=["main_annotation_type"])
    watcher = Watcher(page)
    log_in(page, live_server, world["user"])
    image = world["images"][0]
    assert watcher.visit(f"/annotations/{image.pk}/") == []
    expect(page.locator("body")).to_have_attribute("data-annotate-image", str(image.pk))

    mapper = Mapper(page)
    drag(page, mapper.client(50, 40), mapper.client(150, 120))
    page.keyboard.press("v")
    wait_saved(page)
    watcher.settle()
    assert Annotation.objects.filter(image=image, annotation_type=box).count() == 1

    # The next image loads through the image cache (new Image()), and the verify page shows the box.
    page.keyboard.press("d")
    expect(page.locator("body")).to_have_attribute("data-annotate-image", str(world["images"][1].pk))
    watcher.settle()
    assert watcher.visit(f"/annotations/imageset/{world['set'].pk}/verify/") == []
    assert not watcher.found, "Content-Security-Policy violations:\n" + watcher.report()
