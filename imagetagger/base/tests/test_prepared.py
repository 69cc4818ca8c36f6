"""``base.prepared.PreparedQuery``: the same objects as the queryset it was built from, for every
prepared query of the site, and clear refusals for what it cannot prepare."""

import itertools

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import OperationalError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from annotations import services
from annotations.models import Annotation, AnnotationType
from base.prepared import PreparedQuery, planned_once_cursor
from images.models import Image, ImageSet
from images.tests.factories import add_image_rows, make_imageset
from users import authentication
from users.models import ApiToken
from users.services import create_api_token

pytestmark = pytest.mark.django_db(transaction=True)


def state(instance):
    """Everything an instance holds: its fields, annotations and the objects select_related filled in."""
    values = {key: value for key, value in vars(instance).items() if key != "_state"}
    related = {name: state(value) for name, value in instance._state.fields_cache.items() if value is not None}
    return values, related


def same(prepared, queryset):
    expected = [state(instance) for instance in queryset]
    assert [state(instance) for instance in prepared] == expected
    return expected


@pytest.fixture
def world(make_user, make_team):
    ada, otto = make_user("ada"), make_user("otto")
    team = make_team("Robots", admins=[ada])
    image_set = make_imageset(team, creator=ada)
    images = add_image_rows(image_set, 2)
    box = AnnotationType.objects.create(name="ball")
    chosen = make_imageset(team, creator=ada)
    chosen.annotation_types.add(box)
    chosen_image = add_image_rows(chosen, 1, start=10)[0]
    labels = [
        Annotation.objects.create(image=images[0], annotation_type=box, vector=vector, user=ada)
        for vector in (
            {"x1": 10, "y1": 10, "x2": 50, "y2": 50},
            {"x1": 14, "y1": 6, "x2": 60, "y2": 60},
            {"x1": 16, "y1": 10, "x2": 60, "y2": 60},
            {"x1": 10.0, "y1": 15, "x2": 60, "y2": 60},
            None,
        )
    ]
    return ada, otto, images, chosen_image, box, labels


@pytest.mark.parametrize("shape", list(itertools.product((False, True), repeat=3)))
def test_image_locks_read_what_their_querysets_read(world, shape):
    ada, otto, images, chosen_image, box, labels = world
    of_annotation, with_member, with_type = shape
    prepared = services._IMAGE_LOCKS[shape]
    for target, user, type_id in itertools.product((images[0], chosen_image), (ada, otto), (box.pk, box.pk + 1000)):
        arguments = {"image_id": labels[0].pk if of_annotation else target.pk}
        if of_annotation and target != images[0]:
            continue
        if with_member:
            arguments["user_id"] = user.pk
        if with_type:
            arguments["type_id"] = type_id
        with transaction.atomic():
            found = same(prepared.all(**arguments), prepared._build(**arguments))
        assert len(found) == 1
    with transaction.atomic():
        arguments = {
            "image_id": 10**9,
            **({"user_id": ada.pk} if with_member else {}),
            **({"type_id": 1} if with_type else {}),
        }
        assert prepared.all(**arguments) == []


def test_labels_near_read_what_their_querysets_read_and_stay_within_reach(world):
    ada, otto, images, chosen_image, box, labels = world
    for near, with_uuid in itertools.product((False, True), repeat=2):
        arguments = {"image_id": images[0].pk, "type_id": box.pk}
        if near:
            arguments.update(x_low=5, x_high=15, y_low=5, y_high=15)
        if with_uuid:
            arguments["uuid"] = labels[2].uuid
        found = same(
            services._LABELS_NEAR[near, with_uuid].all(**arguments),
            services._LABELS_NEAR[near, with_uuid]._build(**arguments),
        )
        ids = {values["id"] for values, _related in found}
        if near:
            # Within ±5 of (10, 10), edges included: labels 0, 1 and 3 (x1 stored as 10.0); the "not in
            # image" mark; and the uuid's label (x1 16 is out of reach) when asked for.
            within = {labels[0].pk, labels[1].pk, labels[3].pk, labels[4].pk}
            assert ids == within | ({labels[2].pk} if with_uuid else set())
        else:
            assert ids == {label.pk for label in labels}


def test_labels_at_finds_every_similar_label(world):
    """The first-point filter loses nothing ``find_similar`` would find."""
    ada, otto, images, chosen_image, box, labels = world
    for x, y in itertools.product(range(0, 30, 3), repeat=2):
        vector = {"x1": x, "y1": y, "x2": x + 45, "y2": y + 45}
        everything = list(Annotation.objects.filter(image=images[0], annotation_type=box))
        near = services.labels_at(images[0].pk, box.pk, near=vector)
        assert services.find_similar(vector, near) == services.find_similar(vector, everything)
        assert {label.pk for label in near} >= {label.pk for label in everything if label.vector is None}


def test_the_token_lookup_reads_the_token_and_its_user(world):
    ada = world[0]
    token, key = create_api_token(user=ada, name="script")
    digest = ApiToken.objects.get(pk=token.pk).digest
    found = same(
        authentication._TOKEN_BY_DIGEST.all(digest=digest),
        ApiToken.objects.filter(digest=digest).select_related("user"),
    )
    assert len(found) == 1
    assert authentication._TOKEN_BY_DIGEST.first(digest="0" * 64) is None


def test_it_compiles_once_and_runs_one_statement(world):
    images = world[2]
    prepared = PreparedQuery(lambda pk: Image.objects.filter(pk=pk).select_related("image_set"))
    prepared.first(pk=images[0].pk)
    with CaptureQueriesContext(connection) as queries:
        found = prepared.first(pk=images[1].pk)
    assert found.pk == images[1].pk
    assert found.image_set.pk == images[1].image_set_id  # filled in by the same statement
    assert len(queries.captured_queries) == 1


def test_arguments_must_all_be_given_and_not_none(world):
    prepared = PreparedQuery(lambda pk: Image.objects.filter(pk=pk))
    with pytest.raises(TypeError, match="needs every one of"):
        prepared.all()
    with pytest.raises(TypeError, match="none of them None"):
        prepared.all(pk=None)
    with pytest.raises(TypeError, match="needs every one of"):
        prepared.all(pk=1, other=2)
    prepared.all(pk=1)  # compiled for an int
    with pytest.raises(TypeError, match="pk must be int"):
        prepared.all(pk="1")


def test_what_cannot_be_prepared_is_refused_with_the_reason(world):
    with pytest.raises(ImproperlyConfigured, match="no true/false arguments"):
        PreparedQuery(lambda flag: ImageSet.objects.filter(public=flag)).all(flag=True)
    with pytest.raises(ImproperlyConfigured, match="ints, strings and UUIDs"):
        PreparedQuery(lambda names: Image.objects.filter(name__in=names)).all(names=["a"])
    # A limit is written into the SQL text, not passed as a parameter: it cannot be prepared.
    with pytest.raises(ImproperlyConfigured, match="cannot take its arguments as parameters"):
        PreparedQuery(lambda count: Image.objects.all()[:count]).all(count=3)
    # An argument that the SQL does not use.
    with pytest.raises(ImproperlyConfigured, match=r"does not take \['name'\]"):
        PreparedQuery(lambda name: Image.objects.filter(pk=1)).all(name="x")


def test_a_locking_query_needs_a_transaction(world):
    images = world[2]
    prepared = PreparedQuery(lambda pk: Image.objects.select_for_update().filter(pk=pk))
    with transaction.atomic():
        assert prepared.first(pk=images[0].pk).pk == images[0].pk
    with pytest.raises(TransactionManagementError):
        prepared.first(pk=images[0].pk)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="FOR KEY SHARE is PostgreSQL's")
def test_a_lock_clause_is_appended_and_needs_a_transaction(world):
    box = world[4]
    prepared = PreparedQuery(lambda pk: AnnotationType.objects.filter(pk=pk), lock="FOR KEY SHARE")
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        assert state(prepared.first(pk=box.pk)) == state(AnnotationType.objects.get(pk=box.pk))
    assert queries.captured_queries[0]["sql"].endswith("FOR KEY SHARE")
    with pytest.raises(TransactionManagementError):
        prepared.first(pk=box.pk)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the create path's one statement is PostgreSQL's")
def test_the_image_and_type_lock_reads_what_the_two_reads_give(world):
    ada, otto, images, chosen_image, box, labels = world
    AnnotationType.objects.filter(pk=box.pk).update(
        attributes=[{"name": "colour", "kind": "text", "required": False, "default": None, "max_length": 20}]
    )
    for target in (images[0], chosen_image):
        with transaction.atomic():
            image, annotation_type = services._lock_image_and_type(target.pk, ada, box.pk, hide_unreadable=True)
            expected_image = services._lock_image(target.pk, ada, type_id=box.pk, hide_unreadable=True)
        assert state(annotation_type) == state(AnnotationType.objects.get(pk=box.pk))
        assert (image.pk, image.set_permissions, image.chosen_type_ids) == (
            expected_image.pk,
            expected_image.set_permissions,
            expected_image.chosen_type_ids,
        )
    with transaction.atomic(), pytest.raises(ValidationError, match="annotation type"):
        services._lock_image_and_type(images[0].pk, ada, 10**9, hide_unreadable=True)
    with transaction.atomic(), pytest.raises(ValidationError, match="no image"):
        services._lock_image_and_type(images[0].pk, otto, box.pk, hide_unreadable=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's (psycopg's)")
def test_hot_statements_are_planned_once_by_postgresql_and_others_are_not(world):
    """IT_DB_PREPARED_STATEMENTS (on by default): the prepared queries (and the create's INSERT) run
    as prepared statements of the connection, planned once (half the database's CPU of a label
    create); Django's other statements bind on the client, without the protocol's 65,535 parameters."""
    ada, _, images = world[0], world[1], world[2]
    key = create_api_token(user=ada, name="often")[1]

    def prepared_statements(like):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [like])
            return cursor.fetchone()[0]

    assert connection.settings_dict["OPTIONS"]["prepare_threshold"] == 5
    for _ in range(6):
        assert authentication.ApiTokenAuthentication().authenticate_credentials(key)[0] == ada
        assert Image.objects.filter(name=images[0].name).count() == 1
    assert prepared_statements('%FROM "users_apitoken"%') == 1  # (the connection lives on: maybe prepared earlier)
    assert prepared_statements('%"images_image"."name" = %') == 0
    many = [image.pk for image in images] + list(range(10**9, 10**9 + 70_000))
    assert Image.objects.filter(pk__in=many).count() == len(images)  # 70,000 parameters: client-side


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's (psycopg's)")
def test_a_broken_connection_gives_djangos_error_and_is_closed_after_the_request(world):
    """As with Django's own cursors: the database's error is Django's, and the connection is marked
    so that the end of the request closes it (the next one connects afresh)."""
    connection.ensure_connection()
    connection.health_check_done = True  # the request's check passed before the connection broke
    connection.connection.close()
    try:
        with pytest.raises(OperationalError), planned_once_cursor(connection) as cursor:
            cursor.execute("SELECT 1")
        assert connection.errors_occurred
        connection.close_if_unusable_or_obsolete()
        assert connection.connection is None
    finally:
        connection.close()
    assert ApiToken.objects.count() == 0  # the next statement connects again
