"""The annotation services: vector rules, similarity, "not in image", versions, uuids, history,
permissions and bulk creation, against a real database."""

import threading
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from annotations import services
from annotations.models import (
    Annotation,
    AnnotationHistory,
    AnnotationType,
    HistoryAction,
    Origin,
    VectorType,
    Verification,
)
from annotations.services import AnnotationConflict, BulkError, StaleVersion
from images.models import Image
from images.tests.factories import add_image_rows, make_imageset

pytestmark = pytest.mark.django_db

BOX = {"x1": 100, "y1": 100, "x2": 200, "y2": 200}


def sized_images(image_set, count, width=1000, height=800, start=0):
    images = add_image_rows(image_set, count, start=start)
    Image.objects.filter(pk__in=[image.pk for image in images]).update(width=width, height=height)
    return list(Image.objects.filter(pk__in=[image.pk for image in images]).select_related("image_set"))


def shifted(vector, by):
    return {key: value + by for key, value in vector.items()}


@pytest.fixture
def world(make_user, make_team):
    """Team Robots (admin ada, member bob), outsider otto; a private set with two 1000×800 images;
    a public read-only set, a public collaborative set and a locked one; one type per geometry."""
    ada, bob, otto = make_user("ada"), make_user("bob"), make_user("otto")
    team = make_team("Robots", admins=[ada], members=[bob])
    private = make_imageset(team, creator=ada)
    public = make_imageset(team, creator=ada, public=True)
    collab = make_imageset(team, creator=ada, public=True, public_collaboration=True)
    locked = make_imageset(team, creator=ada, image_lock=True)
    image, other_image = sized_images(private, 2)
    return {
        "ada": ada,
        "bob": bob,
        "otto": otto,
        "team": team,
        "private": private,
        "image": image,
        "other_image": other_image,
        "public_image": sized_images(public, 1)[0],
        "collab_image": sized_images(collab, 1)[0],
        "locked_image": sized_images(locked, 1)[0],
        "box": AnnotationType.objects.create(name="ball"),
        "box2": AnnotationType.objects.create(name="robot"),
        "point": AnnotationType.objects.create(name="spot", vector_type=VectorType.POINT),
        "polygon": AnnotationType.objects.create(name="field", vector_type=VectorType.POLYGON, node_count=4),
        "inactive": AnnotationType.objects.create(name="old", active=False),
    }


def create(world, user="bob", image="image", annotation_type="box", vector=BOX, **fields):
    annotation, created = services.create_annotation(
        actor=world[user], image=world[image], annotation_type=world[annotation_type], vector=vector, **fields
    )
    return annotation


# --- create ------------------------------------------------------------------------------------


def test_create_saves_the_annotation_with_history_and_casts_no_vote(world):
    annotation, created = services.create_annotation(
        actor=world["bob"],
        image=world["image"],
        annotation_type=world["box"],
        vector={"y2": 200, "x2": 200, "y1": 100, "x1": 100},
        concealed=True,
    )

    assert created is True
    assert list(annotation.vector) == ["x1", "y1", "x2", "y2"]  # canonical (PostgreSQL's jsonb reorders keys)
    annotation.refresh_from_db()
    assert annotation.vector == BOX
    assert annotation.user == world["bob"]
    assert annotation.version == 1
    assert annotation.origin == Origin.HUMAN
    assert annotation.concealed_flag is True
    assert annotation.concealed is True
    assert annotation.last_editor is None
    assert not Verification.objects.exists()
    (entry,) = AnnotationHistory.objects.all()
    assert entry.action == HistoryAction.CREATE
    assert entry.user == world["bob"]
    assert entry.annotation == annotation
    assert entry.before is None
    assert entry.after["vector"] == BOX
    assert entry.after["version"] == 1


def test_machine_made_annotations_keep_model_and_confidence(world):
    annotation = create(world, origin=Origin.MACHINE, model_name="yolo-v9", confidence=0.75)
    annotation.refresh_from_db()
    assert (annotation.origin, annotation.model_name, annotation.confidence) == ("machine", "yolo-v9", 0.75)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"vector": {"x1": 1, "y1": 1}}, "vector"),
        ({"vector": {"x1": 900, "y1": 100, "x2": 1001, "y2": 200}}, "vector"),
        ({"vector": {}}, "vector"),
        ({"annotation_type": "inactive"}, "annotation_type"),
        ({"concealed": "yes"}, "concealed"),
        ({"blurred": 1}, "blurred"),
        ({"origin": "robot"}, "origin"),
        ({"model_name": "yolo"}, "origin"),
        ({"confidence": 0.5}, "origin"),
        ({"origin": Origin.MACHINE, "confidence": 1.5}, "confidence"),
        ({"origin": Origin.MACHINE, "confidence": -0.1}, "confidence"),
        ({"origin": Origin.MACHINE, "confidence": "0.5"}, "confidence"),
        ({"origin": Origin.MACHINE, "confidence": True}, "confidence"),
    ],
)
def test_create_refuses_bad_input_and_saves_nothing(world, fields, field):
    with pytest.raises(ValidationError) as error:
        create(world, **fields)
    assert field in error.value.message_dict
    assert not Annotation.objects.exists()
    assert not AnnotationHistory.objects.exists()


def test_a_similar_annotation_is_refused_with_its_id(world):
    first = create(world)
    with pytest.raises(AnnotationConflict) as conflict:
        create(world, user="ada", vector=shifted(BOX, 5))
    assert conflict.value.other_id == first.pk
    assert conflict.value.code == "similar"
    assert f"annotation {first.pk}" in conflict.value.message
    assert list(Annotation.objects.values_list("pk", flat=True)) == [first.pk]


def test_six_pixels_away_is_not_similar(world):
    create(world)
    create(world, vector=shifted(BOX, 6))
    assert Annotation.objects.count() == 2


def test_similar_shapes_of_another_type_or_image_are_fine(world):
    create(world)
    create(world, annotation_type="box2")
    create(world, image="other_image")
    assert Annotation.objects.count() == 3


def test_not_in_image_is_said_once_per_image_and_type(world):
    first = create(world, vector=None)
    with pytest.raises(AnnotationConflict) as conflict:
        create(world, user="ada", vector=None)
    assert conflict.value.other_id == first.pk
    assert "not in image" in conflict.value.message
    create(world, vector=None, annotation_type="box2")
    create(world, vector=None, image="other_image")
    assert Annotation.objects.count() == 3


def test_not_in_image_is_refused_beside_shapes_of_that_type(world):
    shape = create(world)
    with pytest.raises(AnnotationConflict) as conflict:
        create(world, vector=None)
    assert (conflict.value.code, conflict.value.other_id) == ("not_in_image", shape.pk)
    assert Annotation.objects.count() == 1


def test_a_shape_is_refused_where_the_type_is_not_in_image(world):
    negative = create(world, vector=None)
    with pytest.raises(AnnotationConflict) as conflict:
        create(world)
    assert (conflict.value.code, conflict.value.other_id) == ("not_in_image", negative.pk)
    assert Annotation.objects.count() == 1


def test_flags_of_not_in_image_annotations_do_not_count(world):
    annotation = create(world, vector=None, concealed=True, blurred=True)
    assert annotation.concealed_flag
    assert annotation.blurred_flag
    assert annotation.concealed is False
    assert annotation.blurred is False


def test_flags_of_types_without_them_do_not_count(world):
    world["box"].enable_blurred = False
    world["box"].save()
    annotation = create(world, blurred=True, concealed=True)
    assert annotation.blurred is False
    assert annotation.concealed is True


# --- permissions of create ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "image", "allowed"),
    [
        ("ada", "image", True),
        ("bob", "image", True),
        ("otto", "image", False),
        ("otto", "public_image", False),
        ("bob", "public_image", True),
        ("otto", "collab_image", True),
        ("bob", "locked_image", True),  # the lock is about images, not labels
        ("otto", "locked_image", False),
    ],
)
def test_who_may_create(world, user, image, allowed):
    if allowed:
        create(world, user=user, image=image)
        assert Annotation.objects.count() == 1
    else:
        with pytest.raises(PermissionDenied):
            create(world, user=user, image=image)
        assert not Annotation.objects.exists()


# --- idempotent create -------------------------------------------------------------------------


def test_the_same_uuid_twice_makes_one_annotation(world):
    key = uuid.uuid4()
    first, created = services.create_annotation(
        actor=world["bob"], image=world["image"], annotation_type=world["box"], vector=BOX, uuid=key
    )
    again, created_again = services.create_annotation(
        actor=world["bob"], image=world["image"], annotation_type=world["box"], vector=BOX, uuid=key
    )
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert first.uuid == key
    assert Annotation.objects.count() == 1
    assert AnnotationHistory.objects.count() == 1


@pytest.mark.parametrize("change", [{"image": "other_image"}, {"annotation_type": "box2"}, {"user": "ada"}])
def test_a_uuid_of_another_annotation_is_a_conflict(world, change):
    key = uuid.uuid4()
    first = create(world, uuid=key)
    with pytest.raises(AnnotationConflict) as conflict:
        create(world, uuid=key, **change)
    assert conflict.value.code == "uuid"
    assert conflict.value.other_id == first.pk
    assert Annotation.objects.count() == 1


def test_a_uuid_conflict_does_not_reveal_an_annotation_one_may_not_read(world):
    key = uuid.uuid4()
    create(world, uuid=key)  # in the private set
    with pytest.raises(AnnotationConflict) as conflict:
        create(world, user="otto", image="collab_image", uuid=key)
    assert conflict.value.other_id is None


# --- update ------------------------------------------------------------------------------------


def test_update_with_the_current_version_changes_and_records_it(world):
    annotation = create(world)
    moved = shifted(BOX, 50)
    updated = services.update_annotation(actor=world["ada"], annotation=annotation, expected_version=1, vector=moved)

    updated.refresh_from_db()
    assert updated.vector == moved
    assert updated.version == 2
    assert updated.last_editor == world["ada"]
    assert updated.user == world["bob"]
    entry = AnnotationHistory.objects.get(action=HistoryAction.UPDATE)
    assert entry.user == world["ada"]
    assert entry.before["vector"] == BOX
    assert entry.before["version"] == 1
    assert entry.after["vector"] == moved
    assert entry.after["version"] == 2
    assert not Verification.objects.exists()


@pytest.mark.parametrize("seen", [None, 0, 1, 3])
def test_a_stale_or_missing_version_changes_nothing(world, seen):
    annotation = create(world)
    services.update_annotation(actor=world["bob"], annotation=annotation, expected_version=1, concealed=True)
    with pytest.raises(StaleVersion) as stale:
        services.update_annotation(
            actor=world["ada"], annotation=annotation, expected_version=seen, vector=shifted(BOX, 50)
        )
    assert stale.value.current.version == 2
    annotation.refresh_from_db()
    assert (annotation.vector, annotation.version) == (BOX, 2)
    assert AnnotationHistory.objects.count() == 2


def test_an_update_that_becomes_similar_is_refused_and_deletes_nothing(world):
    first = create(world)
    second = create(world, vector=shifted(BOX, 100))
    with pytest.raises(AnnotationConflict) as conflict:
        services.update_annotation(actor=world["bob"], annotation=second, expected_version=1, vector=shifted(BOX, 3))
    assert conflict.value.other_id == first.pk
    assert Annotation.objects.count() == 2
    second.refresh_from_db()
    assert (second.vector, second.version) == (shifted(BOX, 100), 1)


def test_an_update_close_to_its_own_old_position_is_fine(world):
    annotation = create(world)
    updated = services.update_annotation(
        actor=world["bob"], annotation=annotation, expected_version=1, vector=shifted(BOX, 2)
    )
    assert updated.version == 2


def test_changing_the_type_checks_the_new_type(world):
    first = create(world, annotation_type="box2")
    second = create(world, vector=shifted(BOX, 2))
    with pytest.raises(AnnotationConflict):
        services.update_annotation(
            actor=world["bob"], annotation=second, expected_version=1, annotation_type=world["box2"]
        )
    with pytest.raises(ValidationError) as error:
        services.update_annotation(
            actor=world["bob"], annotation=second, expected_version=1, annotation_type=world["inactive"]
        )
    assert "annotation_type" in error.value.message_dict
    with pytest.raises(ValidationError) as error:  # a box is no point
        services.update_annotation(
            actor=world["bob"], annotation=second, expected_version=1, annotation_type=world["point"]
        )
    assert "vector" in error.value.message_dict
    second.refresh_from_db()
    assert (second.annotation_type, second.version) == (world["box"], 1)
    assert first.pk != second.pk


def test_an_update_to_not_in_image_beside_other_shapes_is_refused(world):
    create(world)
    second = create(world, vector=shifted(BOX, 100))
    with pytest.raises(AnnotationConflict) as conflict:
        services.update_annotation(actor=world["bob"], annotation=second, expected_version=1, vector=None)
    assert conflict.value.code == "not_in_image"


def test_the_only_shape_may_become_not_in_image(world):
    annotation = create(world)
    updated = services.update_annotation(actor=world["bob"], annotation=annotation, expected_version=1, vector=None)
    assert updated.vector is None


@pytest.mark.parametrize("vector", [{"x1": 1, "y1": 1}, {"x1": 300, "y1": 300, "x2": 300, "y2": 300}, "box"])
def test_an_update_with_an_invalid_vector_changes_nothing(world, vector):
    annotation = create(world)
    with pytest.raises(ValidationError):
        services.update_annotation(actor=world["bob"], annotation=annotation, expected_version=1, vector=vector)
    annotation.refresh_from_db()
    assert (annotation.vector, annotation.version) == (BOX, 1)
    assert AnnotationHistory.objects.count() == 1


def test_set_flags_records_a_flags_entry(world):
    annotation = create(world)
    updated = services.set_flags(actor=world["ada"], annotation=annotation, expected_version=1, blurred=True)
    assert (updated.blurred_flag, updated.version) == (True, 2)
    entry = AnnotationHistory.objects.get(action=HistoryAction.FLAGS)
    assert (entry.before["blurred"], entry.after["blurred"]) == (False, True)
    with pytest.raises(ValidationError):
        services.set_flags(actor=world["ada"], annotation=annotation, expected_version=2, concealed="true")


def test_a_change_to_nothing_keeps_the_version_and_writes_no_history(world):
    annotation = create(world)
    same = services.update_annotation(
        actor=world["ada"], annotation=annotation, expected_version=1, vector=dict(BOX), concealed=False
    )
    assert same.version == 1
    assert AnnotationHistory.objects.count() == 1


@pytest.mark.parametrize(
    ("user", "image", "allowed"),
    [
        ("ada", "image", True),
        ("bob", "image", True),
        ("otto", "image", False),
        ("otto", "public_image", False),
        ("otto", "collab_image", True),
        ("bob", "locked_image", True),
    ],
)
def test_who_may_update_and_delete(world, user, image, allowed):
    annotation = create(world, user="ada", image=image)
    if allowed:
        services.update_annotation(
            actor=world[user], annotation=annotation, expected_version=1, vector=shifted(BOX, 50)
        )
        services.delete_annotation(actor=world[user], annotation=annotation)
        assert not Annotation.objects.exists()
    else:
        with pytest.raises(PermissionDenied):
            services.update_annotation(
                actor=world[user], annotation=annotation, expected_version=1, vector=shifted(BOX, 50)
            )
        with pytest.raises(PermissionDenied):
            services.delete_annotation(actor=world[user], annotation=annotation)
        annotation.refresh_from_db()
        assert annotation.version == 1


# --- delete ------------------------------------------------------------------------------------


def test_delete_keeps_the_whole_history(world):
    annotation = create(world)
    services.update_annotation(actor=world["bob"], annotation=annotation, expected_version=1, vector=shifted(BOX, 50))
    services.delete_annotation(actor=world["ada"], annotation=annotation, expected_version=2)

    assert not Annotation.objects.exists()
    entries = list(AnnotationHistory.objects.filter(annotation_uuid=annotation.uuid))
    assert [entry.action for entry in entries] == ["create", "update", "delete"]
    assert all(entry.annotation_id is None for entry in entries)
    assert entries[-1].user == world["ada"]
    assert entries[-1].before["vector"] == shifted(BOX, 50)
    assert entries[-1].after is None


def test_a_stale_delete_deletes_nothing(world):
    annotation = create(world)
    services.set_flags(actor=world["bob"], annotation=annotation, expected_version=1, concealed=True)
    with pytest.raises(StaleVersion):
        services.delete_annotation(actor=world["ada"], annotation=annotation, expected_version=1)
    assert Annotation.objects.filter(pk=annotation.pk).exists()


def test_deleting_a_deleted_annotation_is_a_clear_error(world):
    annotation = create(world)
    services.delete_annotation(actor=world["ada"], annotation=annotation)
    with pytest.raises(ValidationError) as error:
        services.delete_annotation(actor=world["ada"], annotation=annotation)
    assert error.value.code == "gone"


# --- bulk --------------------------------------------------------------------------------------


def test_bulk_creates_all(world):
    items = [
        {"image": world["image"], "annotation_type": world["box"], "vector": BOX},
        {"image": world["image"], "annotation_type": world["box"], "vector": shifted(BOX, 50)},
        {"image": world["other_image"], "annotation_type": world["point"], "vector": {"x1": 5, "y1": 5}},
    ]
    results = services.bulk_create_annotations(actor=world["bob"], items=items)
    assert [created for _annotation, created in results] == [True, True, True]
    assert Annotation.objects.count() == 3
    assert AnnotationHistory.objects.count() == 3


def test_bulk_is_all_or_nothing_with_an_error_per_item(world):
    items = [
        {"image": world["image"], "annotation_type": world["box"], "vector": BOX},
        {"image": world["image"], "annotation_type": world["box"], "vector": shifted(BOX, 1)},  # similar to 0
        {"image": world["image"], "annotation_type": world["point"], "vector": {"x1": 5}},
        {"image": world["public_image"], "annotation_type": world["box"], "vector": BOX},
        {"image": world["image"], "annotation_type": world["point"], "vector": {"x1": 5, "y1": 5}},
    ]
    with pytest.raises(BulkError) as error:
        services.bulk_create_annotations(actor=world["otto"], items=items[4:])
    assert list(error.value.errors) == [0]

    with pytest.raises(BulkError) as error:
        services.bulk_create_annotations(actor=world["bob"], items=items)
    assert sorted(error.value.errors) == [1, 2]
    assert "similar" in error.value.errors[1]
    assert "pairs" in error.value.errors[2]
    assert not Annotation.objects.exists()
    assert not AnnotationHistory.objects.exists()


# --- concurrency (PostgreSQL) -------------------------------------------------------------------

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite has no row locks, and its test database serialises whole transactions",
)


def _in_parallel(*calls):
    """Run the calls in threads started at the same moment; returns each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # the test inspects it
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_similar_creates_at_once_make_one_annotation(world):
    for round_number in range(5):
        image = sized_images(world["private"], 1, start=10 + round_number)[0] if round_number else world["image"]
        calls = [
            lambda user=user, by=by, image=image: services.create_annotation(
                actor=world[user], image=image, annotation_type=world["box"], vector=shifted(BOX, by)
            )
            for user, by in (("ada", 0), ("bob", 3))
        ]
        results = _in_parallel(*calls)
        created = [result for result in results if isinstance(result, tuple)]
        conflicts = [result for result in results if isinstance(result, AnnotationConflict)]
        assert len(created) == 1, results
        assert len(conflicts) == 1, results
        assert conflicts[0].other_id == created[0][0].pk
        assert Annotation.objects.filter(image=image).count() == 1


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_retry_racing_the_first_request_is_a_replay(world):
    key = uuid.uuid4()

    def call():
        return services.create_annotation(
            actor=world["bob"], image=world["image"], annotation_type=world["box"], vector=BOX, uuid=key
        )

    results = _in_parallel(call, call)
    assert all(isinstance(result, tuple) for result in results), results
    assert sorted(created for _annotation, created in results) == [False, True]
    assert Annotation.objects.count() == 1


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_bulk_requests_on_the_same_images_in_opposite_orders_do_not_deadlock(world):
    first, second = world["image"], world["other_image"]

    def bulk(images, round_number, offset):
        items = [
            {
                "image": image,
                "annotation_type": world["box"],
                "vector": {"x1": 100 + x, "y1": 100 + y, "x2": 200 + x, "y2": 200 + y},
            }
            for x, y, image in (
                (20 * number + offset, 100 * round_number, image) for number, image in enumerate(images)
            )
        ]
        return services.bulk_create_annotations(actor=world["bob"], items=items)

    for round_number in range(5):
        results = _in_parallel(
            lambda r=round_number: bulk([first, second] * 3, r, 0),
            lambda r=round_number: bulk([second, first] * 3, r, 10),
        )
        assert all(isinstance(result, list) for result in results), [getattr(r, "errors", r) for r in results]
    assert Annotation.objects.count() == 5 * 2 * 6
