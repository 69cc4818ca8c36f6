"""Issue 17's acceptance, in the browser against the reference backend as a real process: a team admin
registers it and checks it; a set of photos with known faces (and two without) is pre-labelled while
the set page's progress bar runs to "Finished"; a member reviews the machine-made labels least sure
first with j (accept, when the box covers a known face) and k (reject); an export with "machine-made,
at least one vote" holds exactly the accepted ones and loads in pycocotools; a second run adds nothing.
Screenshots at three widths go to /tmp/shots/ and the test artifacts."""

import io
import re
import threading
from pathlib import Path

import pytest
from django.db import connection
from playwright.sync_api import expect
from pycocotools.coco import COCO

from annotations.models import Annotation, AnnotationType, Origin, VectorType
from assist import jobs
from assist.models import JobState, PrelabelJob
from assist.tests.faces import covers_a_face, face_pictures
from assist.tests.test_reference_backend import Backend
from e2e.conftest import ARTIFACTS
from e2e.helpers import export_accepted_machine_labels, log_in, shoot_viewports
from images.ingest import add_image_file
from images.tests.factories import make_imageset

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = [Path("/tmp/shots"), ARTIFACTS / "prelabel-review"]
JOB_SECONDS = 120


def _box(label):
    return tuple(label.vector[key] for key in ("x1", "y1", "x2", "y2"))


def _run_in_worker(job_id):
    """The worker's part, in a thread beside the live server (as the worker process would)."""
    failure = []

    def work():
        try:
            jobs.run(job_id)
        except BaseException as error:  # reported to the test below
            failure.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread, failure


def _start_and_finish_a_run(page, live_server, image_set, expected_counts):
    page.goto(f"{live_server.url}/images/imageset/{image_set.pk}/")
    page.locator("#prelabel-button").click()
    expect(page.locator(".alert-success")).to_contain_text("is labelling the set")
    job = PrelabelJob.objects.order_by("-pk").first()
    entry = page.locator(f'#prelabel-jobs li[data-job-id="{job.pk}"]')
    expect(entry.locator(".progress")).to_be_visible()
    thread, failure = _run_in_worker(job.pk)
    expect(entry.locator(".job-state")).to_have_text("Finished", timeout=JOB_SECONDS * 1000)
    thread.join(JOB_SECONDS)
    assert not thread.is_alive()
    assert not failure, failure
    expect(entry.locator(".progress")).to_have_count(0)
    expect(entry.locator(".job-counts")).to_have_text(expected_counts)
    job.refresh_from_db()
    assert (job.state, job.backend_errors) == (JobState.FINISHED, 0), job.report
    return job


def test_pre_label_with_the_reference_backend_review_with_j_k_and_export_the_accepted(
    page, live_server, make_user, make_team, storage_dir, settings, tmp_path
):
    settings.ASSIST_IMAGE_BASE_URL = live_server.url
    settings.ASSIST_BATCH_SIZE = 2  # several batches: the progress bar moves
    ada, bob = make_user("ada"), make_user("bob")
    team = make_team("Robots", admins=[ada], members=[bob])
    face = AnnotationType.objects.create(name="face", team=team, vector_type=VectorType.BOUNDING_BOX)
    image_set = make_imageset(team, creator=ada, name="Faces")
    pictures = face_pictures()
    for picture in pictures:
        added = add_image_file(image_set, name=picture.name, fileobj=io.BytesIO(picture.data), uploader=ada)
        assert added.status == "added"
    faces = {picture.name: picture.faces for picture in pictures}
    reference = Backend(tmp_path / "reference.log")
    try:
        # A team admin registers the backend and checks it.
        log_in(page, live_server, ada)
        page.goto(f"{live_server.url}/users/team/{team.pk}/")
        page.locator("#model-backends-link").click()
        page.get_by_label("Name").fill("reference")
        page.keyboard.press("Tab")
        page.keyboard.type(reference.url)
        page.get_by_label("The backend’s label for “face”").fill("face")
        page.get_by_label("The backend’s label for “face”").press("Enter")
        expect(page.locator(".alert-success")).to_contain_text("registered")
        page.get_by_role("button", name="Check reference").click()
        expect(page.locator(".backend-status")).to_have_text("UP, model version imagetagger-reference-1.0")

        # Pre-label the set; the progress bar runs to "Finished".
        count = len(pictures)
        first = _start_and_finish_a_run(page, live_server, image_set, _counts_pattern(count))
        labels = list(Annotation.objects.filter(image__image_set=image_set).select_related("image"))
        assert first.labels_made == len(labels) > 0
        assert all(label.origin == Origin.MACHINE and label.annotation_type == face for label in labels)
        truth = {label.pk: covers_a_face(_box(label), faces[label.image.name]) for label in labels}
        assert sum(truth.values()) >= 4, f"the reference backend found most faces: {truth}"
        shoot_viewports(page, "prelabel-finished", SHOTS)

        # A member reviews them least sure first: j accepts a box on a face, k rejects the rest.
        page.context.clear_cookies()
        log_in(page, live_server, bob)
        page.goto(f"{live_server.url}/images/imageset/{image_set.pk}/")
        page.locator("#verify-link").click()
        page.locator("#order-filter").select_option("confidence")
        model = labels[0].model_name
        page.locator("#model-filter").select_option(model)
        confidence = {label.pk: label.confidence for label in labels}
        seen = []
        body = page.locator("body")
        for _ in labels:
            expect(body).to_have_attribute("data-verify-annotation", _any_of(set(truth) - set(seen)))
            current = int(body.get_attribute("data-verify-annotation"))
            seen.append(current)
            if len(seen) == 2:
                shoot_viewports(page, "prelabel-review", SHOTS)
            page.keyboard.press("j" if truth[current] else "k")
        expect(page.get_by_text("There are no more annotations in the list.")).to_be_visible()
        expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")
        assert sorted(seen) == sorted(truth), "every machine label came up once"
        assert [confidence[pk] for pk in seen] == sorted(confidence[pk] for pk in seen), "least sure first"
        assert "order=confidence" in page.url

        # Export only what people accepted; pycocotools reads it as downloaded.
        download = tmp_path / "accepted.json"
        download.write_bytes(export_accepted_machine_labels(page, live_server, image_set))
        coco = COCO(str(download))
        exported = coco.loadAnns(coco.getAnnIds())
        accepted = [pk for pk, good in truth.items() if good]
        assert len(exported) == len(accepted)
        for annotation in exported:
            x, y, width, height = annotation["bbox"]
            name = coco.loadImgs(annotation["image_id"])[0]["file_name"]
            assert covers_a_face((x, y, x + width, y + height), faces[name]), (name, annotation["bbox"])

        # A second run adds nothing.
        page.context.clear_cookies()
        log_in(page, live_server, ada)
        second = _start_and_finish_a_run(page, live_server, image_set, f"{count} of {count} images · 0 labels made")
        assert second.labels_made == 0
        assert Annotation.objects.filter(image__image_set=image_set).count() == len(labels)
    finally:
        reference.stop()


def _counts_pattern(count):
    return re.compile(rf"^{count} of {count} images · \d+ labels? made$")


def _any_of(ids):
    return re.compile("^(" + "|".join(str(pk) for pk in sorted(ids)) + ")$")
