"""A team admin registers a model backend in the browser (keyboard), checks it against a real HTTP
backend, and sees its status; the auth header never shows. Screenshots at three widths go to
/tmp/shots/ and the test artifacts."""

from pathlib import Path

import pytest
from assist.models import ModelBackend
from assist.tests.scripted_backend import ScriptedBackend
from playwright.sync_api import expect

from annotations.models import AnnotationType, VectorType
from e2e.conftest import ARTIFACTS
from e2e.helpers import log_in, shoot_viewports

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = [Path("/tmp/shots"), ARTIFACTS / "model-backends"]


@pytest.fixture
def backend_server():
    server = ScriptedBackend()
    yield server
    server.stop()


def test_an_admin_registers_and_checks_a_backend(page, live_server, make_user, make_team, backend_server):
    ada = make_user("ada")
    team = make_team("Robots", admins=[ada])
    face = AnnotationType.objects.create(name="face", team=team, vector_type=VectorType.BOUNDING_BOX)
    person = AnnotationType.objects.create(name="person", team=team, vector_type=VectorType.BOUNDING_BOX)
    log_in(page, live_server, ada)

    page.goto(f"{live_server.url}/users/team/{team.pk}/")
    page.locator("#model-backends-link").click()
    expect(page.locator("h1")).to_have_text("Model backends")
    expect(page.locator("#no-backends")).to_be_visible()
    page.get_by_label("Name").fill("faces")
    page.keyboard.press("Tab")
    page.keyboard.type(backend_server.url)
    page.get_by_label("Authorization header").fill("Bearer browser-secret-7777")
    page.get_by_label("The backend’s label for “face”").fill("face")
    page.get_by_label("The backend’s label for “person”").fill("person")
    page.get_by_label("The backend’s label for “person”").press("Enter")

    expect(page.locator(".alert-success")).to_contain_text("registered")
    row = page.locator("#backends tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Bearer ••••7777")
    expect(row).to_contain_text("not checked yet")
    assert "browser-secret" not in page.content()
    row.get_by_role("button", name="Check faces").click()
    expect(page.locator(".backend-status")).to_have_text("UP, model version v1")
    assert ModelBackend.objects.get().label_map == {"face": face.pk, "person": person.pk}
    shoot_viewports(page, "model-backends", SHOTS)
