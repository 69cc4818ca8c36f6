"""A team admin registers a model backend in the browser (keyboard), checks it against a real HTTP
backend, and sees its status; the auth header never shows. Screenshots at three widths go to
/tmp/shots/ and the test artifacts."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from annotations.models import AnnotationType, VectorType
from assist.models import ModelBackend, PrelabelJob
from e2e.conftest import ARTIFACTS
from e2e.helpers import log_in, shoot_viewports

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = [Path("/tmp/shots"), ARTIFACTS / "model-backends"]


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


def test_a_member_pre_labels_a_set_and_sees_the_job_finish(page, live_server, make_user, make_team, backend_server):
    from assist import jobs, services
    from assist.tests.scripted_backend import box_result
    from images.models import Image
    from images.tests.factories import add_image_rows, make_imageset

    ada, bob = make_user("ada"), make_user("bob")
    team = make_team("Robots", admins=[ada], members=[bob])
    face = AnnotationType.objects.create(name="face", team=team, vector_type=VectorType.BOUNDING_BOX)
    image_set = make_imageset(team, creator=ada)
    add_image_rows(image_set, 3)
    Image.objects.filter(image_set=image_set).update(width=400, height=300)
    services.register_backend(actor=ada, team=team, name="faces", url=backend_server.url, label_map={"face": face.pk})
    results = [box_result("face", 10, 10, 20, 20, 0.8), box_result("cat", 50, 50, 10, 10)]
    backend_server.predict = lambda body: (200, {"results": [{"result": results} for _ in body["tasks"]]})
    log_in(page, live_server, bob)

    page.goto(f"{live_server.url}/images/imageset/{image_set.pk}/")
    page.locator("#prelabel-button").click()
    expect(page.locator(".alert-success")).to_contain_text("is labelling the set")
    job = page.locator("#prelabel-jobs li")
    expect(job.locator(".job-state")).to_have_text("Queued")
    expect(job.locator(".progress")).to_be_visible()
    jobs.run(PrelabelJob.objects.get().pk)  # the worker's part, here in the test
    expect(job.locator(".job-state")).to_have_text("Finished", timeout=10_000)
    expect(job.locator(".job-counts")).to_have_text("3 of 3 images · 3 labels made · 3 refused")
    job.locator("summary").click()
    expect(job.locator("details li").first).to_contain_text("the label 'cat' is not mapped")
    shoot_viewports(page, "prelabel-panel", SHOTS)
