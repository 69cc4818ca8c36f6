"""The maintained counts stay right: ``ImageSet.image_count``, ``ImageTypeCount`` and ``SetTypeCount``
(database triggers, migrations images 0005 and annotations 0005) after every kind of add and delete —
single and bulk, through the services, the label import, the zip upload, "not in image" for a whole
set, deleting images, deleting a set, changing a label's type — checked against a fresh count of the
rows every time. A drifting count would be worse than a slow page."""

import io
import json

import pytest
from django.db.models import Count

from annotations import services, work
from annotations.models import Annotation, AnnotationType, ImageTypeCount, SetTypeCount, VectorType
from exports.imports import import_labels
from images import services as image_services
from images.ingest import ingest_uploads
from images.models import Image, ImageSet
from images.tests.factories import add_image_rows, add_images, distinct_pngs, make_imageset, make_upload, make_zip

BOX = {"x1": 1, "y1": 1, "x2": 5, "y2": 4}


def assert_counts_right():
    """Every maintained count equals a fresh count of the rows."""
    for image_set in ImageSet.objects.all():
        assert image_set.image_count == Image.objects.filter(image_set=image_set).count(), image_set
    pairs = {
        (row["image"], row["annotation_type"]): row["n"]
        for row in Annotation.objects.order_by().values("image", "annotation_type").annotate(n=Count("pk"))
    }
    kept = {(row.image_id, row.annotation_type_id): row.annotations for row in ImageTypeCount.objects.all()}
    assert kept == pairs
    for row in ImageTypeCount.objects.select_related("image"):
        assert row.image_set_id == row.image.image_set_id
    labelled = {
        (row["image__image_set"], row["annotation_type"]): row["n"]
        for row in Annotation.objects.order_by()
        .values("image__image_set", "annotation_type")
        .annotate(n=Count("image", distinct=True))
    }
    kept = {
        (row.image_set_id, row.annotation_type_id): row.labelled_images
        for row in SetTypeCount.objects.filter(labelled_images__gt=0)
    }
    assert kept == labelled
    assert not SetTypeCount.objects.filter(labelled_images__lt=0).exists()


@pytest.fixture
def world(make_user, make_team, storage_dir):
    ada, bob = make_user("ada"), make_user("bob")
    team = make_team("Robots", admins=[ada], members=[bob])
    image_set = make_imageset(team, creator=ada)
    other = make_imageset(team, creator=ada)
    return {
        "ada": ada,
        "bob": bob,
        "team": team,
        "set": image_set,
        "other": other,
        "ball": AnnotationType.objects.create(name="ball", vector_type=VectorType.BOUNDING_BOX),
        "goal": AnnotationType.objects.create(name="goal", vector_type=VectorType.BOUNDING_BOX),
    }


def label(actor, image, annotation_type, vector=BOX):
    annotation, created = services.create_annotation(
        actor=actor, image=image, annotation_type=annotation_type, vector=vector
    )
    assert created
    return annotation


def test_image_count_follows_rows_uploads_and_zip_uploads(world):
    image_set = world["set"]
    add_image_rows(image_set, 3)
    add_images(image_set, 2)
    archive = make_zip([(f"z/{number}.png", data) for number, data in enumerate(distinct_pngs(4, width=9))])
    results = ingest_uploads(actor=world["ada"], image_set=image_set, uploaded_files=[make_upload("a.zip", archive)])
    assert sum(result.status == "added" for result in results) == 4
    image_set.refresh_from_db()
    assert image_set.image_count == 9
    assert_counts_right()


def test_a_stale_instance_saved_does_not_overwrite_the_count(world):
    image_set = world["set"]
    stale = ImageSet.objects.get(pk=image_set.pk)
    add_image_rows(image_set, 2)
    stale.description = "changed"
    stale.save()
    stale.refresh_from_db()
    assert (stale.image_count, stale.description) == (2, "changed")


def test_labels_one_by_one_per_image_and_type(world):
    images = add_images(world["set"], 3)
    ada, ball, goal = world["ada"], world["ball"], world["goal"]
    first = label(ada, images[0], ball)
    Annotation.objects.create(image=images[0], annotation_type=ball, vector=BOX, user=ada)  # a second ball
    label(ada, images[1], ball)
    label(ada, images[1], goal)
    assert_counts_right()
    assert SetTypeCount.objects.get(image_set=world["set"], annotation_type=ball).labelled_images == 2
    assert work.missing_counts(world["set"], [ball, goal]) == {ball.pk: 1, goal.pk: 2}

    services.delete_annotation(actor=ada, annotation=first)  # images[0] keeps its other ball
    assert SetTypeCount.objects.get(image_set=world["set"], annotation_type=ball).labelled_images == 2
    assert_counts_right()
    second = Annotation.objects.get(image=images[0], annotation_type=ball)
    services.delete_annotation(actor=ada, annotation=second)
    assert SetTypeCount.objects.get(image_set=world["set"], annotation_type=ball).labelled_images == 1
    assert_counts_right()


def test_changing_a_labels_type_moves_its_count(world):
    images = add_images(world["set"], 1)
    annotation = label(world["ada"], images[0], world["ball"])
    services.update_annotation(
        actor=world["ada"], annotation=annotation, expected_version=annotation.version, annotation_type=world["goal"]
    )
    assert_counts_right()
    assert work.missing_counts(world["set"], [world["ball"], world["goal"]]) == {
        world["ball"].pk: 1,
        world["goal"].pk: 0,
    }
    Annotation.objects.filter(pk=annotation.pk).update(annotation_type=world["ball"])  # a bulk UPDATE too
    assert_counts_right()


def test_bulk_create_and_bulk_delete_of_labels(world):
    images = add_images(world["set"], 4)
    Annotation.objects.bulk_create(
        Annotation(image=image, annotation_type=world["ball"], vector=BOX, user=world["ada"])
        for image in images + images[:2]
    )
    assert_counts_right()
    Annotation.objects.filter(image__in=images[:3]).delete()
    assert_counts_right()
    assert work.missing_counts(world["set"], [world["ball"]]) == {world["ball"].pk: 3}


def test_label_import_and_not_in_image_for_the_whole_set(world):
    images = add_images(world["set"], 3)
    lines = [f"{images[0].name}|ball|{json.dumps(BOX)}|", f"{images[1].name}|ball|{json.dumps(BOX)}|"]
    result = import_labels(
        actor=world["ada"], image_set=world["set"], fileobj=io.BytesIO("\n".join(lines).encode()), format="pipe"
    )
    result.refresh_from_db()
    assert result.state == "done", result.state
    assert_counts_right()
    assert work.missing_counts(world["set"], [world["ball"]]) == {world["ball"].pk: 1}
    work.annotate_set_not_in_image(actor=world["ada"], image_set=world["set"], annotation_type=world["goal"])
    assert_counts_right()
    assert work.missing_counts(world["set"], [world["goal"]]) == {world["goal"].pk: 0}


def test_deleting_images_and_sets_keeps_every_count(world):
    images = add_images(world["set"], 4)
    others = add_images(world["other"], 2)
    for image in images + others:
        label(world["ada"], image, world["ball"])
    label(world["ada"], images[0], world["goal"])
    image_services.delete_images(actor=world["ada"], image_set=world["set"], image_ids=[images[0].pk, images[1].pk])
    assert_counts_right()
    assert ImageSet.objects.get(pk=world["set"].pk).image_count == 2
    image_services.delete_imageset(actor=world["ada"], image_set=world["set"])
    assert_counts_right()
    assert not ImageTypeCount.objects.filter(image_set_id=world["set"].pk).exists()
    assert not SetTypeCount.objects.filter(image_set_id=world["set"].pk).exists()
    assert ImageSet.objects.get(pk=world["other"].pk).image_count == 2


def test_deleting_an_image_through_the_api(world, api_for):
    images = add_images(world["set"], 2)
    label(world["ada"], images[0], world["ball"])
    response = api_for(world["ada"]).delete(f"/api/v1/images/{images[0].pk}/")
    assert response.status_code == 204
    assert_counts_right()
    assert ImageSet.objects.get(pk=world["set"].pk).image_count == 1
