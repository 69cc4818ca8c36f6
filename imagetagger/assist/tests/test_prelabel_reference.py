"""The whole loop against the reference backend as a real process: ImageTagger hands it short-lived
links to the set's images (served by a live server), it detects the face in a real photo, the job
saves it as a machine-made label with model and confidence, a plain grey image gets nothing, and a
second run adds nothing."""

import io

import cv2
import numpy as np
import pytest
from matplotlib import cbook

from annotations.models import Annotation, AnnotationType, Origin, VectorType
from assist import jobs, services
from assist.models import JobState
from assist.tests.test_reference_backend import HOPPER_FACE, Backend
from images.ingest import add_image_file
from images.tests.factories import make_imageset

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def reference(tmp_path):
    started = Backend(tmp_path / "stderr.log", "--model-version", "it-1")
    yield started
    started.stop()


def iou(box, other):
    x1, y1 = max(box[0], other[0]), max(box[1], other[1])
    x2, y2 = min(box[2], other[2]), min(box[3], other[3])
    inner = max(0, x2 - x1) * max(0, y2 - y1)
    area = lambda b: (b[2] - b[0]) * (b[3] - b[1])  # noqa: E731
    return inner / (area(box) + area(other) - inner)


def test_the_reference_backend_pre_labels_a_set_through_image_links(
    reference, live_server, storage_dir, settings, make_user, make_team
):
    settings.ASSIST_IMAGE_BASE_URL = live_server.url
    ada = make_user("ada")
    team = make_team("Robots", admins=[ada])
    image_set = make_imageset(team, creator=ada)
    with open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False), "rb") as photo:
        add_image_file(image_set, name="hopper.jpg", fileobj=photo, uploader=ada)
    grey = cv2.imencode(".png", np.full((240, 320, 3), 128, np.uint8))[1].tobytes()
    add_image_file(image_set, name="grey.png", fileobj=io.BytesIO(grey), uploader=ada)
    image_set.refresh_from_db()
    face = AnnotationType.objects.create(name="face", team=team, vector_type=VectorType.BOUNDING_BOX)
    backend = services.register_backend(
        actor=ada, team=team, name="reference", url=reference.url, label_map={"face": face.pk}
    )
    assert services.check_backend(actor=ada, backend=backend) == (True, "UP, model version imagetagger-reference-it-1")

    job, _ = services.start_prelabel(actor=ada, backend=backend, image_set=image_set)
    jobs.run(job.pk)
    job.refresh_from_db()

    assert (job.state, job.images_done, job.backend_errors) == (JobState.FINISHED, 2, 0), job.report
    labels = list(Annotation.objects.filter(image__image_set=image_set))
    assert labels, "the face was found"
    assert {label.image.name for label in labels} == {"hopper.jpg"}
    box = lambda label: tuple(label.vector[key] for key in ("x1", "y1", "x2", "y2"))  # noqa: E731 (jsonb reorders keys)
    best = max(labels, key=lambda label: iou(box(label), HOPPER_FACE))
    assert iou(box(best), HOPPER_FACE) > 0.5
    assert best.origin == Origin.MACHINE
    assert best.model_name == "reference imagetagger-reference-it-1"
    assert 0 <= best.confidence <= 1
    assert job.labels_made == len(labels)

    again, _ = services.start_prelabel(actor=ada, backend=backend, image_set=image_set)
    jobs.run(again.pk)
    again.refresh_from_db()
    assert (again.state, again.labels_made) == (JobState.FINISHED, 0)
    assert Annotation.objects.filter(image__image_set=image_set).count() == len(labels)
