"""The maintained counts stay exact when many people label at once (PostgreSQL: parallel writers).

The first label of a type on an image (or in a set) inserts the counter row; writers that race for
that first row meet in ``INSERT … ON CONFLICT DO UPDATE`` and must neither fail nor lose a count.
Labellers here work on different images of one set, several on each image, creating and deleting,
all starting together. SQLite serialises every writer on the whole database; CI runs these on
PostgreSQL.
"""

import itertools
import random

import pytest

from annotations import services
from annotations.models import AnnotationType, SetTypeCount, VectorType
from annotations.tests.concurrency import PARALLEL_WRITERS, run_in_threads
from annotations.tests.test_label_counts import assert_counts_right
from images.models import Image
from images.tests.factories import add_image_rows, make_imageset

pytestmark = PARALLEL_WRITERS

WRITERS = 8
IMAGES = 3
LABELS_EACH = 12


@pytest.fixture
def world(make_user, make_team):
    owner = make_user("owner")
    writers = [make_user(f"writer{number}") for number in range(WRITERS)]
    team = make_team("Robots", admins=[owner], members=writers)
    image_set = make_imageset(team, creator=owner)
    images = add_image_rows(image_set, IMAGES)
    Image.objects.filter(image_set=image_set).update(width=4000, height=3000)
    types = [AnnotationType.objects.create(name=name, vector_type=VectorType.BOUNDING_BOX) for name in ("car", "bus")]
    return writers, images, types


def writer_job(writer, number, images, types):
    rng = random.Random(number)

    def job():
        made = []
        for index in range(LABELS_EACH):
            x = 10 + (number * LABELS_EACH + index) * 30  # never similar to another writer's label
            annotation, created = services.create_annotation(
                actor=writer,
                image=rng.choice(images).pk,
                annotation_type=rng.choice(types).pk,
                vector={"x1": x, "y1": 10, "x2": x + 20, "y2": 30},
            )
            assert created
            made.append(annotation)
            if rng.random() < 0.3:  # delete some again: counters go down as well as up, and to zero
                services.delete_annotation(actor=writer, annotation=made.pop(rng.randrange(len(made))))

    return job


def test_racing_first_labels_and_deletes_keep_every_count_exact(world):
    writers, images, types = world
    errors = run_in_threads([writer_job(writer, number, images, types) for number, writer in enumerate(writers)])
    assert not errors, errors
    assert_counts_right()


def test_racing_first_labels_of_a_new_type_count_each_image_once(world):
    """Everyone labels the same fresh (image, type) pairs at the same moment: one counter row each."""
    writers, images, types = world
    fresh = AnnotationType.objects.create(name="tram", vector_type=VectorType.BOUNDING_BOX)

    def job_for(number, writer):
        def job():
            for image, slot in itertools.product(images, range(2)):
                x = 10 + (number * 2 + slot) * 30
                services.create_annotation(
                    actor=writer,
                    image=image.pk,
                    annotation_type=fresh.pk,
                    vector={"x1": x, "y1": 5, "x2": x + 9, "y2": 9},
                )

        return job

    errors = run_in_threads([job_for(number, writer) for number, writer in enumerate(writers)])
    assert not errors, errors
    assert_counts_right()
    assert SetTypeCount.objects.get(image_set=images[0].image_set, annotation_type=fresh).labelled_images == IMAGES
