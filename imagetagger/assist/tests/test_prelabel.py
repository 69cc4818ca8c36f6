"""Pre-label jobs against a real HTTP backend (``scripted_backend``): labels made with the model's
name, version and confidence; every kind of backend failure reported per image while the job goes
on and finishes; nothing half-written; a second run adds nothing; resume after a dead worker;
cancel; who may start and cancel."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from annotations.models import Annotation, AnnotationType, Origin, VectorType
from assist import jobs, services
from assist.models import JobState, PrelabelJob
from assist.tests.scripted_backend import box_result
from images.models import Image
from images.tests.factories import add_image_rows, make_imageset

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_user, make_team, backend_server, settings):
    settings.ASSIST_TIMEOUT = 2.0
    settings.ASSIST_BATCH_SIZE = 2
    ada, bob, otto = make_user("ada"), make_user("bob"), make_user("otto")
    team = make_team("Robots", admins=[ada], members=[bob])
    image_set = make_imageset(team, creator=ada)
    add_image_rows(image_set, 5)
    Image.objects.filter(image_set=image_set).update(width=1000, height=500)
    face = AnnotationType.objects.create(name="face", team=team, vector_type=VectorType.BOUNDING_BOX)
    backend = services.register_backend(
        actor=ada,
        team=team,
        name="faces",
        url=backend_server.url,
        label_map={"face": face.pk},
        auth_header="Bearer s3cret-token-1234",
    )
    image_set.refresh_from_db()
    return {"ada": ada, "bob": bob, "otto": otto, "team": team, "set": image_set, "face": face, "backend": backend}


def start_and_run(world, user="bob"):
    job, created = services.start_prelabel(actor=world[user], backend=world["backend"], image_set=world["set"])
    assert created
    jobs.run(job.pk)
    job.refresh_from_db()
    return job


def faces_everywhere(body):
    return 200, {"results": [{"result": [box_result("face", 10, 20, 30, 40, 0.75)]} for _ in body["tasks"]]}


def test_a_job_labels_every_image_as_machine_made_with_model_and_confidence(world, backend_server):
    backend_server.predict = faces_everywhere
    job = start_and_run(world)

    assert (job.state, job.images_total, job.images_done, job.labels_made, job.labels_refused) == (
        JobState.FINISHED,
        5,
        5,
        5,
        0,
    )
    assert job.percent == 100
    labels = Annotation.objects.filter(image__image_set=world["set"])
    assert labels.count() == 5
    label = labels.first()
    assert (label.origin, label.model_name, label.confidence, label.user) == (
        Origin.MACHINE,
        "faces v1",
        0.75,
        world["bob"],
    )
    assert label.vector == {"x1": 100, "y1": 100, "x2": 400, "y2": 300}  # percent of 1000 × 500
    # Batches of 2: 3 calls, each image once, by a link the backend can fetch; the auth header sent.
    assert [len(tasks) for tasks in backend_server.predicted_tasks()] == [2, 2, 1]
    assert all(
        "/assist/image/" in task["data"]["image"] for tasks in backend_server.predicted_tasks() for task in tasks
    )
    assert all(
        headers.get("Authorization") == "Bearer s3cret-token-1234" for _, _, headers, _ in backend_server.requests
    )


def test_a_second_run_of_the_same_model_adds_nothing(world, backend_server):
    backend_server.predict = faces_everywhere
    start_and_run(world)
    again = start_and_run(world)
    assert (again.state, again.labels_made, again.labels_refused) == (JobState.FINISHED, 0, 0)
    assert Annotation.objects.filter(image__image_set=world["set"]).count() == 5


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (lambda body: (500, {"error": "CUDA out of memory"}), 'answered 500: {"error": "CUDA out of memory"}'),
        (lambda body: (200, b"<html>not json"), "not JSON"),
        (lambda body: (200, {"results": "nothing"}), "no list of results"),
        (lambda body: (200, {"results": [{"result": []}] * (len(body["tasks"]) + 1)}), "results for"),
    ],
)
def test_a_failing_backend_is_reported_per_image_and_the_job_finishes(world, backend_server, answer, words):
    backend_server.predict = answer
    job = start_and_run(world)
    assert job.state == JobState.FINISHED
    assert (job.images_done, job.backend_errors, job.labels_made) == (5, 5, 0)
    assert len(job.report) == 5
    assert all(words in entry["reason"] for entry in job.report)
    assert not Annotation.objects.exists()


def test_a_hanging_backend_times_out_per_batch(world, backend_server, settings):
    settings.ASSIST_TIMEOUT = 0.5
    backend_server.predict = faces_everywhere
    job, _ = services.start_prelabel(actor=world["bob"], backend=world["backend"], image_set=world["set"])
    backend_server.version = "v1"
    PrelabelJob.objects.filter(pk=job.pk).update(model_version="v1")  # /setup answered already
    backend_server.delay = 1.0
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FINISHED
    assert job.backend_errors == 5
    assert "no answer within 0.5 s" in job.report[0]["reason"]


def test_bad_results_are_refused_with_their_reasons_and_good_ones_kept(world, backend_server):
    results = [
        box_result("face", 10, 10, 10, 10),  # good
        box_result("cat", 50, 10, 10, 10),  # a label the map does not name
        box_result("face", 90, 10, 30, 10),  # beyond the right edge
        box_result("face", 30, 30, 10, 10, score=1.5),  # not a confidence
        {"type": "polygonlabels", "value": {"points": [[1, 1], [5, 1], [3, 4]], "polygonlabels": ["face"]}},
        {"type": "brushlabels", "value": {"rle": [1, 2], "brushlabels": ["face"]}},
        "nonsense",
    ]
    backend_server.predict = lambda body: (200, [{"result": results, "score": 0.5} for _ in body["tasks"]])
    job = start_and_run(world)
    assert (job.state, job.labels_made, job.labels_refused) == (JobState.FINISHED, 5, 30)
    reasons = {entry["reason"] for entry in job.report}
    assert "the label 'cat' is not mapped to a type of this team" in reasons
    assert "'face': x 120 % lies outside the image" in reasons
    assert "'face': its score 1.5 is not a number from 0 to 1" in reasons
    assert "'face' maps to “face”, which does not take a polygonlabels result" in reasons
    assert "a result of kind 'brushlabels', which ImageTagger does not read" in reasons
    assert "a result without a value" in reasons
    assert Annotation.objects.filter(confidence=0.9).count() == 5


def test_a_label_similar_to_an_existing_one_is_refused_not_doubled(world, backend_server):
    image = Image.objects.filter(image_set=world["set"]).order_by("name").first()
    Annotation.objects.create(
        image=image,
        annotation_type=world["face"],
        user=world["ada"],
        vector={"x1": 101, "y1": 101, "x2": 401, "y2": 299},
    )
    backend_server.predict = faces_everywhere
    job = start_and_run(world)
    assert (job.labels_made, job.labels_refused) == (4, 1)
    assert "similar annotation" in job.report[0]["reason"]


def test_an_image_whose_entry_carries_an_error_is_reported(world, backend_server):
    backend_server.predict = lambda body: (
        200,
        {"results": [{"result": [], "error": "cannot decode"} for _ in body["tasks"]]},
    )
    job = start_and_run(world)
    assert (job.backend_errors, job.labels_made) == (5, 0)
    assert job.report[0]["reason"] == "the backend could not label this image: cannot decode"


def test_a_job_resumes_after_its_worker_died_without_doubling(world, backend_server):
    backend_server.predict = faces_everywhere
    job, _ = services.start_prelabel(actor=world["bob"], backend=world["backend"], image_set=world["set"])
    # A worker ran two batches (4 images) and died before writing the progress of the second.
    jobs._claim(job.pk)
    job.refresh_from_db()
    job.model_version = "v1"
    types = services.mapped_types(job.backend)
    batch = jobs._next_images(job)
    jobs._label_batch(job, batch, types, "")
    jobs._label_image(job, jobs._next_images(job)[0], faces_everywhere({"tasks": [1]})[1]["results"][0], types)
    PrelabelJob.objects.filter(pk=job.pk).update(model_version="v1", heartbeat=timezone.now() - jobs.STALE_AFTER * 2)

    assert jobs.requeue_stale() == 1
    jobs.run(job.pk)
    job.refresh_from_db()
    assert (job.state, job.images_done) == (JobState.FINISHED, 5)
    assert Annotation.objects.filter(image__image_set=world["set"]).count() == 5
    assert job.labels_made == 4, "the image labelled before the crash replays, it is not made twice"


def test_cancel_stops_a_queued_job_at_once_and_a_running_one_after_its_batch(world, backend_server):
    backend_server.predict = faces_everywhere
    queued, _ = services.start_prelabel(actor=world["bob"], backend=world["backend"], image_set=world["set"])
    assert services.cancel_prelabel(actor=world["bob"], job=queued).state == JobState.CANCELLED
    running, _ = services.start_prelabel(actor=world["bob"], backend=world["backend"], image_set=world["set"])
    jobs._claim(running.pk)
    services.cancel_prelabel(actor=world["ada"], job=running)
    PrelabelJob.objects.filter(pk=running.pk).update(state=JobState.QUEUED)
    jobs.run(running.pk)
    running.refresh_from_db()
    assert (running.state, running.images_done) == (JobState.CANCELLED, 0)
    with pytest.raises(PermissionDenied):
        services.cancel_prelabel(actor=world["otto"], job=running)


def test_one_active_job_per_backend_and_set(world):
    first, created = services.start_prelabel(actor=world["bob"], backend=world["backend"], image_set=world["set"])
    again, created_again = services.start_prelabel(actor=world["ada"], backend=world["backend"], image_set=world["set"])
    assert (created, created_again, again.pk) == (True, False, first.pk)


def test_who_may_start_a_job(world, make_team, make_user):
    with pytest.raises(PermissionDenied):
        services.start_prelabel(actor=world["otto"], backend=world["backend"], image_set=world["set"])
    other_team = make_team("Others", admins=[world["otto"]], members=[world["ada"]])
    with pytest.raises(ValidationError, match="that team's image sets only"):
        services.start_prelabel(actor=world["ada"], backend=world["backend"], image_set=make_imageset(other_team))
