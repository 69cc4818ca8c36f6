"""The manage-annotations page of a set: access, filters, table, pagination, per-row delete, bulk delete
(confirmation, count, points, history, query counts) and each annotation's history."""

import datetime
import html as html_module
import itertools
import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotations import bulk, services, votes
from annotations.models import Annotation, AnnotationHistory, AnnotationType, HistoryAction, Origin, Verification
from annotations.tests.vote_factories import expected_points
from images.models import Image
from images.tests.factories import add_image_rows, make_imageset

pytestmark = pytest.mark.django_db
User = get_user_model()
_offset = itertools.count(1)


class World:
    pass


@pytest.fixture
def w(make_user, make_team):
    """Team Robots (admin ada, members bob and cara), outsider otto; a private set with 3 images, a
    public read-only set and a public collaborative set (one image each); types ball, goal and an
    inactive one."""
    w = World()
    w.ada, w.bob, w.cara, w.otto = (make_user(name) for name in ("ada", "bob", "cara", "otto"))
    w.team = make_team("Robots", admins=[w.ada], members=[w.bob, w.cara])
    w.ball = AnnotationType.objects.create(name="mg-ball")
    w.goal = AnnotationType.objects.create(name="mg-goal")
    w.old = AnnotationType.objects.create(name="mg-old", active=False)
    w.private = make_imageset(w.team, creator=w.ada, name="Field")
    w.images = add_image_rows(w.private, 3)
    w.public = make_imageset(w.team, creator=w.ada, public=True, name="Shown")
    w.public_image = add_image_rows(w.public, 1, start=100)[0]
    w.collab = make_imageset(w.team, creator=w.ada, public=True, public_collaboration=True, name="Open")
    w.collab_image = add_image_rows(w.collab, 1, start=200)[0]
    return w


def label(image, annotation_type, user, *, vector="box", created=None, **fields):
    """An annotation made directly (no rules); ``created`` sets its creation time."""
    if vector == "box":
        offset = next(_offset)
        vector = {"x1": offset, "y1": 0, "x2": offset + 1, "y2": 1}
    annotation = Annotation.objects.create(
        image=image, annotation_type=annotation_type, vector=vector, user=user, **fields
    )
    if created is not None:
        Annotation.objects.filter(pk=annotation.pk).update(time=created)
        annotation.refresh_from_db()
    return annotation


def vote(annotation, voter, accept=True):
    Verification.objects.create(annotation=annotation, user=voter, verified=accept)


def at(day, hour=12):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def manage_url(image_set, **params):
    url = reverse("annotations:manage_annotations", args=[image_set.pk])
    if params:
        url += "?" + "&".join(f"{key}={value}" for key, value in params.items())
    return url


def bulk_url(image_set):
    return reverse("annotations:delete_annotations", args=[image_set.pk])


def row_delete_url(annotation, image_set=None):
    image_set = image_set or annotation.image.image_set
    return reverse("annotations:manage_delete_annotation", args=[image_set.pk, annotation.pk])


def history_url(annotation_or_uuid, image_set):
    value = getattr(annotation_or_uuid, "uuid", annotation_or_uuid)
    return reverse("annotations:annotation_history", args=[image_set.pk, value])


def row_ids(response):
    return [int(pk) for pk in re.findall(r'data-annotation-id="(\d+)"', response.content.decode())]


def flashes(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def points(user):
    return User.objects.values_list("points", flat=True).get(pk=user.pk)


# --- access ---------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_log_in(client, w):
    response = client.get(manage_url(w.private))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_outsider_gets_404_on_a_private_set_for_every_page(client_for, w):
    annotation = label(w.images[0], w.ball, w.ada)
    otto = client_for(w.otto)

    assert otto.get(manage_url(w.private)).status_code == 404
    assert otto.post(bulk_url(w.private), {"confirm": "1", "expected": "1"}).status_code == 404
    assert otto.post(row_delete_url(annotation), {"confirm": "1"}).status_code == 404
    assert otto.get(history_url(annotation, w.private)).status_code == 404
    assert Annotation.objects.filter(pk=annotation.pk).exists()


def test_unknown_set_is_404(client_for, w):
    assert client_for(w.ada).get("/annotations/manage/999999/").status_code == 404


@pytest.mark.parametrize("who", ["ada", "bob"])
def test_team_admin_and_member_see_the_table_with_every_action(client_for, w, who):
    annotation = label(w.images[0], w.ball, w.cara)

    response = client_for(getattr(w, who)).get(manage_url(w.private))

    assert response.status_code == 200
    html = response.content.decode()
    assert row_ids(response) == [annotation.pk]
    assert f"/annotations/{w.images[0].pk}/?edit={annotation.pk}" in html  # the annotate page opens it to edit
    assert f"/annotations/{annotation.pk}/verify/" in html
    assert row_delete_url(annotation) in html
    assert history_url(annotation, w.private) in html
    assert 'id="bulk-delete-form"' in html


def test_public_reader_sees_the_table_but_no_change_actions(client_for, w):
    annotation = label(w.public_image, w.ball, w.ada)

    response = client_for(w.otto).get(manage_url(w.public))

    assert response.status_code == 200
    html = response.content.decode()
    assert row_ids(response) == [annotation.pk]
    assert f"/annotations/{w.public_image.pk}/" in html  # the image link
    assert "?edit=" not in html
    assert "/verify/" not in html
    assert row_delete_url(annotation) not in html
    assert 'id="bulk-delete-form"' not in html
    assert history_url(annotation, w.public) in html


def test_public_reader_may_not_delete(client_for, w):
    annotation = label(w.public_image, w.ball, w.ada)
    otto = client_for(w.otto)

    assert otto.post(bulk_url(w.public)).status_code == 403
    assert otto.post(bulk_url(w.public), {"confirm": "1", "expected": "1"}).status_code == 403
    assert otto.post(row_delete_url(annotation)).status_code == 403
    assert otto.post(row_delete_url(annotation), {"confirm": "1"}).status_code == 403
    assert Annotation.objects.filter(pk=annotation.pk).exists()
    assert not AnnotationHistory.objects.filter(action=HistoryAction.DELETE).exists()


def test_public_collaboration_lets_anybody_delete(client_for, w):
    first = label(w.collab_image, w.ball, w.ada)
    second = label(w.collab_image, w.ball, w.ada)
    otto = client_for(w.otto)

    html = otto.get(manage_url(w.collab)).content.decode()
    assert 'id="bulk-delete-form"' in html
    assert row_delete_url(first) in html

    assert otto.post(row_delete_url(first), {"confirm": "1"}).status_code == 302
    response = otto.post(bulk_url(w.collab), {"confirm": "1", "expected": "1"})
    assert response.status_code == 302
    assert not Annotation.objects.filter(pk__in=[first.pk, second.pk]).exists()


def test_post_only_urls_refuse_get(client_for, w):
    annotation = label(w.images[0], w.ball, w.ada)
    ada = client_for(w.ada)

    assert ada.get(bulk_url(w.private)).status_code == 405
    assert ada.get(bulk_url(w.private) + "?confirm=1&expected=1").status_code == 405
    assert ada.get(row_delete_url(annotation)).status_code == 405
    assert ada.get(row_delete_url(annotation) + "?confirm=1").status_code == 405
    assert ada.post(manage_url(w.private)).status_code == 405
    assert Annotation.objects.filter(pk=annotation.pk).exists()


def test_the_set_page_links_to_the_manage_page_only_when_the_set_has_annotations(client_for, w):
    otto = client_for(w.otto)
    link = manage_url(w.public)

    assert link not in otto.get(w.public.get_absolute_url()).content.decode()
    label(w.public_image, w.ball, w.ada)
    assert link in otto.get(w.public.get_absolute_url()).content.decode()


# --- the table ------------------------------------------------------------------------------------


def test_rows_show_content_badges_creator_editor_and_score(client_for, w):
    plain = label(w.images[0], w.ball, w.bob, last_editor=w.cara)
    hidden = label(w.images[1], w.goal, w.bob, vector=None)
    flagged = label(w.images[2], w.ball, None, blurred_flag=True, concealed_flag=True)
    machine = label(w.images[2], w.goal, w.ada, origin=Origin.MACHINE, model_name="yolo-v9", confidence=0.5)
    long_vector = {f"{axis}{n}": 1000 + n for n in range(1, 8) for axis in "xy"}
    long = label(w.images[0], w.old, w.ada, vector=long_vector)
    vote(plain, w.ada)
    vote(plain, w.cara)
    vote(plain, w.otto, accept=False)

    response = client_for(w.ada).get(manage_url(w.private))
    html = response.content.decode()

    assert row_ids(response) == [plain.pk, hidden.pk, flagged.pk, machine.pk, long.pk]
    rows = dict(zip(row_ids(response), re.split(r"<tr data-annotation-id=", html)[1:], strict=True))
    assert '<td class="text-end score" title="2 accepted, 1 rejected">1</td>' in rows[plain.pk]
    assert ">cara<" in rows[plain.pk]
    assert ">bob<" in rows[plain.pk]
    assert "Not in image" in rows[hidden.pk]
    assert "Blurred" in rows[flagged.pk]
    assert "Concealed" in rows[flagged.pk]
    assert "deleted user" in rows[flagged.pk]
    assert "machine · yolo-v9" in rows[machine.pk]
    assert "machine" not in rows[plain.pk]
    assert "inactive" in rows[long.pk]
    shown = html_module.unescape(re.search(r"<code[^>]*>([^<]*)</code>", rows[long.pk]).group(1))
    assert len(shown) == 60
    assert shown.endswith("…")
    assert shown.startswith('{"x1":1001,"y1":1001')


def test_empty_set_says_so(client_for, w):
    response = client_for(w.ada).get(manage_url(w.private))
    assert response.status_code == 200
    assert "This set has no annotations yet." in response.content.decode()
    assert 'id="bulk-delete-form"' not in response.content.decode()


def test_only_the_sets_annotations_are_listed(client_for, w):
    mine = label(w.images[0], w.ball, w.ada)
    label(w.public_image, w.ball, w.ada)

    assert row_ids(client_for(w.ada).get(manage_url(w.private))) == [mine.pk]


# --- filters --------------------------------------------------------------------------------------


@pytest.fixture
def filtered(w):
    """Five annotations of the private set made to tell the filters apart."""
    w.f_ball_old = label(w.images[0], w.ball, w.bob, created=at(datetime.date(2025, 6, 1)))
    w.f_goal_new = label(w.images[0], w.goal, w.cara, created=at(datetime.date(2026, 3, 1)))
    w.f_ball_edited = label(w.images[1], w.ball, w.bob, last_editor=w.cara, created=at(datetime.date(2026, 1, 1)))
    w.f_machine = label(w.images[1], w.goal, None, origin=Origin.MACHINE, created=at(datetime.date(2026, 1, 2)))
    w.f_ball_new = label(w.images[2], w.ball, w.cara, created=at(datetime.date(2026, 2, 1)))
    # scores: f_ball_old +2, f_goal_new -1, f_ball_edited +1, f_machine 0, f_ball_new 0
    vote(w.f_ball_old, w.ada)
    vote(w.f_ball_old, w.cara)
    vote(w.f_goal_new, w.ada, accept=False)
    vote(w.f_ball_edited, w.ada)
    vote(w.f_ball_new, w.ada)
    vote(w.f_ball_new, w.bob, accept=False)
    return w


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["f_ball_old", "f_goal_new", "f_ball_edited", "f_machine", "f_ball_new"]),
        ({"type": "mg-ball"}, ["f_ball_old", "f_ball_edited", "f_ball_new"]),
        ({"type": "mg-goal"}, ["f_goal_new", "f_machine"]),
        ({"editor": "bob"}, ["f_ball_old"]),  # f_ball_edited was last changed by cara
        ({"editor": "cara"}, ["f_goal_new", "f_ball_edited", "f_ball_new"]),
        ({"editor": "ada"}, []),
        ({"newer_than": "2026-01-01"}, ["f_goal_new", "f_machine", "f_ball_new"]),  # strictly after the day
        ({"older_than": "2026-01-02"}, ["f_ball_old", "f_ball_edited"]),  # strictly before the day
        ({"newer_than": "2025-12-31", "older_than": "2026-01-03"}, ["f_ball_edited", "f_machine"]),
        ({"score_min": "1"}, ["f_ball_old", "f_ball_edited"]),
        ({"score_max": "0"}, ["f_goal_new", "f_machine", "f_ball_new"]),
        ({"score_min": "0", "score_max": "0"}, ["f_machine", "f_ball_new"]),
        ({"score_max": "-1"}, ["f_goal_new"]),
        ({"origin": "machine"}, ["f_machine"]),
        ({"origin": "human"}, ["f_ball_old", "f_goal_new", "f_ball_edited", "f_ball_new"]),
        ({"type": "mg-ball", "older_than": "2026-01-15", "score_min": "1"}, ["f_ball_old", "f_ball_edited"]),
        ({"type": "mg-ball", "editor": "cara", "newer_than": "2026-01-10"}, ["f_ball_new"]),
        ({"type": "mg-goal", "origin": "human", "score_max": "-1"}, ["f_goal_new"]),
        ({"type": "mg-old"}, []),
        ({"editor": "  cara  ", "origin": ""}, ["f_goal_new", "f_ball_edited", "f_ball_new"]),
    ],
)
def test_filters(client_for, filtered, params, expected):
    w = filtered
    response = client_for(w.ada).get(manage_url(w.private), params)

    assert response.status_code == 200
    assert row_ids(response) == [getattr(w, name).pk for name in expected]
    summary = re.search(r'id="match-summary"><strong>(\d+)</strong>', response.content.decode()).group(1)
    assert int(summary) == len(expected)


def test_newer_and_older_than_use_the_sites_time_zone(client_for, w):
    # 2026-01-01 23:30 in Berlin is 22:30 UTC: it is on the 1st, so not newer than the 1st.
    berlin = datetime.timezone(datetime.timedelta(hours=1))
    late = label(w.images[0], w.ball, w.ada, created=datetime.datetime(2026, 1, 1, 23, 30, tzinfo=berlin))
    early = label(w.images[0], w.ball, w.ada, created=datetime.datetime(2026, 1, 2, 0, 30, tzinfo=berlin))
    ada = client_for(w.ada)

    assert row_ids(ada.get(manage_url(w.private, newer_than="2026-01-01"))) == [early.pk]
    assert row_ids(ada.get(manage_url(w.private, older_than="2026-01-02"))) == [late.pk]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"type": "nope"}, "type", "This set has no annotation type named “nope”."),
        ({"editor": "ghost"}, "editor", "There is no user named “ghost”."),
        ({"newer_than": "2026-13-01"}, "newer_than", "Enter a date as YYYY-MM-DD."),
        ({"older_than": "yesterday"}, "older_than", "Enter a date as YYYY-MM-DD."),
        ({"older_than": "1800-01-01"}, "older_than", "Enter a date from 1900-01-01 to 9999-12-30."),
        ({"newer_than": "9999-12-31"}, "newer_than", "Enter a date from 1900-01-01 to 9999-12-30."),
        (
            {"newer_than": "2026-02-01", "older_than": "2026-01-01"},
            "older_than",
            "“Older than” must be a later date than “newer than”.",
        ),
        ({"score_min": "abc"}, "score_min", "Enter a whole number."),
        ({"score_max": "1.5"}, "score_max", "Enter a whole number."),
        ({"score_min": "99999999999999999999"}, "score_min", "less than or equal to 1000000"),
        (
            {"score_min": "3", "score_max": "1"},
            "score_max",
            "The maximum score must not be below the minimum score.",
        ),
        ({"origin": "robot"}, "origin", "Choose “human” or “machine”."),
    ],
)
def test_invalid_filters_give_a_clear_error_and_no_rows(client_for, w, params, field, message):
    label(w.images[0], w.ball, w.ada)

    response = client_for(w.ada).get(manage_url(w.private), params)

    assert response.status_code == 400
    assert message in response.context["form"].errors[field][0]
    assert any(text.startswith("Invalid filter.") and message in text for text in flashes(response))
    html = response.content.decode()
    assert "is-invalid" in html
    assert row_ids(response) == []
    assert 'id="bulk-delete-form"' not in html


def test_the_filter_form_shows_the_values_again(client_for, filtered):
    response = client_for(filtered.ada).get(
        manage_url(filtered.private, type="mg-ball", editor="cara", newer_than="2026-01-10", score_min="-2")
    )
    html = response.content.decode()
    assert '<option value="mg-ball" selected>' in html
    assert 'value="cara"' in html
    assert 'value="2026-01-10"' in html
    assert 'value="-2"' in html
    assert '<option value="mg-old">mg-old (inactive)</option>' in html


# --- pagination and query counts ------------------------------------------------------------------


def test_pagination_keeps_the_filters(client_for, w):
    balls = [label(w.images[0], w.ball, w.bob) for _ in range(60)]
    label(w.images[1], w.goal, w.bob)
    ada = client_for(w.ada)

    first = ada.get(manage_url(w.private, type="mg-ball"))
    assert row_ids(first) == [annotation.pk for annotation in balls[:50]]
    html = first.content.decode()
    assert "page 1 of 2" in html
    assert '?type=mg-ball&amp;page=2" rel="next"' in html

    second = ada.get(manage_url(w.private, type="mg-ball", page="2"))
    assert row_ids(second) == [annotation.pk for annotation in balls[50:]]
    assert '?type=mg-ball&amp;page=1" rel="prev"' in second.content.decode()
    # the bulk delete still covers every filtered row, not one page
    assert "Delete the 60 filtered annotations" in second.content.decode()
    # an unknown page shows the last one
    assert row_ids(ada.get(manage_url(w.private, type="mg-ball", page="99"))) == [a.pk for a in balls[50:]]


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def _fill(w, count):
    users = [w.ada, w.bob, w.cara, None]
    for number in range(count):
        annotation = label(
            w.images[number % 3],
            w.ball if number % 2 else w.goal,
            users[number % 4],
            last_editor=users[(number + 1) % 4],
            origin=Origin.MACHINE if number % 5 == 0 else Origin.HUMAN,
            blurred_flag=number % 3 == 0,
        )
        if users[number % 4] is not w.otto:
            vote(annotation, w.otto, accept=number % 2 == 0)


@pytest.mark.parametrize("params", [{}, {"type": "mg-ball", "editor": "bob", "score_min": "-5", "origin": "human"}])
def test_the_page_is_a_constant_number_of_queries(client_for, w, params):
    ada = client_for(w.ada)
    _fill(w, 2)
    small, response = _queries(ada, manage_url(w.private, **params))
    assert row_ids(response) or params
    _fill(w, 58)
    large, response = _queries(ada, manage_url(w.private, **params))
    if not params:
        assert len(row_ids(response)) == 50
    assert small == large


def test_the_history_page_is_a_constant_number_of_queries(client_for, w):
    annotation = label(w.images[0], w.ball, w.ada)
    ada = client_for(w.ada)

    def add_entries(count):
        AnnotationHistory.objects.bulk_create(
            AnnotationHistory(
                annotation=annotation,
                annotation_uuid=annotation.uuid,
                image=annotation.image,
                action=HistoryAction.UPDATE,
                user=[w.ada, w.bob, w.cara][number % 3],
                before={"annotation_type": w.ball.pk, "vector": {"x1": number}},
                after={"annotation_type": w.goal.pk if number % 2 else w.ball.pk, "vector": {"x1": number + 1}},
            )
            for number in range(count)
        )

    add_entries(2)
    small, _ = _queries(ada, history_url(annotation, w.private))
    add_entries(30)
    large, response = _queries(ada, history_url(annotation, w.private))
    assert response.content.decode().count('data-action="update"') == 32
    assert small == large


# --- bulk delete ----------------------------------------------------------------------------------


def _bulk_world(w, matching=37):
    """``matching`` old balls (by bob) plus non-matching rows: a new ball, an old goal, another set's ball."""
    old = at(datetime.date(2025, 12, 1))
    w.matching = [label(w.images[n % 3], w.ball, w.bob, created=old) for n in range(matching)]
    w.new_ball = label(w.images[0], w.ball, w.bob, created=at(datetime.date(2026, 2, 1)))
    w.old_goal = label(w.images[0], w.goal, w.bob, created=old)
    w.other_set = label(w.public_image, w.ball, w.bob, created=old)
    return w


FILTERS = {"type": "mg-ball", "older_than": "2026-01-01"}


def test_bulk_delete_asks_first_stating_the_count_and_the_filters(client_for, w):
    _bulk_world(w)

    response = client_for(w.ada).post(bulk_url(w.private), FILTERS)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Delete 37 annotations of set Field matching: type = mg-ball, older than 2026-01-01?" in html
    assert 'name="expected" value="37"' in html
    assert 'name="confirm" value="1"' in html
    assert 'name="type" value="mg-ball"' in html
    assert 'name="older_than" value="2026-01-01"' in html
    assert Annotation.objects.count() == 37 + 3  # nothing deleted yet


def test_bulk_delete_confirmed_deletes_exactly_the_filtered_rows(client_for, w):
    _bulk_world(w)

    response = client_for(w.ada).post(bulk_url(w.private), {**FILTERS, "confirm": "1", "expected": "37"})

    assert response.status_code == 302
    assert response["Location"] == manage_url(w.private) + "?type=mg-ball&older_than=2026-01-01"
    assert "Deleted 37 annotations of Field." in flashes(response)
    assert set(Annotation.objects.values_list("pk", flat=True)) == {w.new_ball.pk, w.old_goal.pk, w.other_set.pk}
    deleted = AnnotationHistory.objects.filter(action=HistoryAction.DELETE)
    assert deleted.count() == 37
    assert set(deleted.values_list("annotation_uuid", flat=True)) == {a.uuid for a in w.matching}
    entry = deleted.get(annotation_uuid=w.matching[0].uuid)
    assert entry.user == w.ada
    assert entry.annotation is None
    assert entry.after is None
    assert entry.before["vector"] == w.matching[0].vector
    assert entry.before["annotation_type"] == w.ball.pk


def test_bulk_delete_without_filters_deletes_the_whole_set_only(client_for, w):
    _bulk_world(w, matching=3)
    ada = client_for(w.ada)

    confirm = ada.post(bulk_url(w.private))
    assert "Delete 5 annotations of set Field?" in confirm.content.decode()

    ada.post(bulk_url(w.private), {"confirm": "1", "expected": "5"})
    assert list(Annotation.objects.values_list("pk", flat=True)) == [w.other_set.pk]


def test_bulk_delete_needs_the_count_from_the_confirmation(client_for, w):
    _bulk_world(w, matching=3)
    ada = client_for(w.ada)

    for data in ({"confirm": "1"}, {"confirm": "1", "expected": "x"}, {"confirm": "1", "expected": "-3"}):
        response = ada.post(bulk_url(w.private), {**FILTERS, **data})
        assert response.status_code == 302
        assert "Confirm the deletion on the confirmation page, which states the count." in flashes(response)
    assert Annotation.objects.count() == 3 + 3


def test_bulk_delete_refuses_when_the_matching_rows_changed(client_for, w):
    _bulk_world(w, matching=3)
    label(w.images[1], w.ball, w.cara, created=at(datetime.date(2025, 12, 2)))  # added after the confirmation

    response = client_for(w.ada).post(bulk_url(w.private), {**FILTERS, "confirm": "1", "expected": "3"})

    assert response.status_code == 409
    html = response.content.decode()
    assert "4 match now instead of 3" in html
    assert "Delete 4 annotations of set Field matching" in html
    assert Annotation.objects.count() == 3 + 3 + 1
    assert not AnnotationHistory.objects.exists()


def test_bulk_delete_with_invalid_filters_deletes_nothing(client_for, w):
    _bulk_world(w, matching=3)
    ada = client_for(w.ada)

    for data in ({"type": "nope"}, {"score_min": "x", "confirm": "1", "expected": "6"}, {"origin": "robot"}):
        response = ada.post(bulk_url(w.private), data)
        assert response.status_code == 302
        assert response["Location"].startswith(manage_url(w.private) + "?")
        assert any(text.startswith("Invalid filter.") and "Nothing was deleted." in text for text in flashes(response))
    assert Annotation.objects.count() == 6
    # the manage page then shows the error on the field
    follow = ada.get(response["Location"])
    assert follow.status_code == 400
    assert "origin" in follow.context["form"].errors


def test_bulk_delete_with_no_match_deletes_nothing(client_for, w):
    _bulk_world(w, matching=3)
    ada = client_for(w.ada)

    confirm = ada.post(bulk_url(w.private), {"type": "mg-old"})
    assert "Nothing to delete" in confirm.content.decode()
    response = ada.post(bulk_url(w.private), {"type": "mg-old", "confirm": "1", "expected": "0"})
    assert "No annotation matched: nothing was deleted." in flashes(response)
    assert Annotation.objects.count() == 6


def test_points_are_corrected_after_a_bulk_delete(client_for, w):
    doomed = [label(w.images[0], w.ball, w.bob), label(w.images[1], w.ball, w.cara)]
    kept = label(w.images[2], w.goal, w.bob)
    for annotation in (*doomed, kept):
        votes.cast_vote(actor=w.ada, annotation=annotation, vote="accept")
    # otto may not vote on the private set: his accepts are written directly, then points recounted
    for annotation in (*doomed, kept):
        vote(annotation, w.otto)
    votes.cast_vote(actor=w.cara, annotation=doomed[0], vote="reject")
    votes.recompute_points()
    assert (points(w.bob), points(w.cara)) == (4, 2)

    client_for(w.ada).post(bulk_url(w.private), {"type": "mg-ball", "confirm": "1", "expected": "2"})

    assert (points(w.bob), points(w.cara)) == (2, 0)
    for user in (w.ada, w.bob, w.cara):
        assert points(user) == expected_points(user)
    assert set(Verification.objects.values_list("annotation_id", flat=True)) == {kept.pk}


@pytest.mark.parametrize("filters", [{}, {"type": "mg-ball", "score_max": "5"}])
def test_bulk_delete_is_a_bounded_number_of_queries(client_for, w, filters):
    ada = client_for(w.ada)

    def delete(count):
        made = [label(w.images[n % 3], w.ball, [w.bob, w.cara][n % 2]) for n in range(count)]
        for annotation in made:
            vote(annotation, w.ada)
        with CaptureQueriesContext(connection) as queries:
            response = ada.post(bulk_url(w.private), {**filters, "confirm": "1", "expected": str(count)})
        assert response.status_code == 302
        assert not Annotation.objects.exists()
        return len(queries)

    assert delete(3) == delete(40)


def test_bulk_service_refuses_readers_and_keeps_to_its_set(w):
    mine = label(w.public_image, w.ball, w.ada)
    elsewhere = label(w.images[0], w.ball, w.ada)

    with pytest.raises(PermissionDenied):
        bulk.delete_annotations(w.otto, w.public, Annotation.objects.all())
    assert Annotation.objects.count() == 2

    assert bulk.delete_annotations(w.ada, w.public, Annotation.objects.all()) == 1
    assert not Annotation.objects.filter(pk=mine.pk).exists()
    assert Annotation.objects.filter(pk=elsewhere.pk).exists()


def test_bulk_service_counts_check(w):
    label(w.images[0], w.ball, w.ada)
    with pytest.raises(bulk.CountChanged) as raised:
        bulk.delete_annotations(w.ada, w.private, Annotation.objects.all(), expected_count=2)
    assert (raised.value.expected, raised.value.found) == (2, 1)
    assert Annotation.objects.count() == 1


def test_bulk_service_works_in_chunks(w, monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK", 4)
    made = [label(w.images[n % 3], w.ball, w.bob) for n in range(10)]
    for annotation in made:
        vote(annotation, w.ada)
    votes.recompute_points()

    assert bulk.delete_annotations(w.ada, w.private, Annotation.objects.all()) == 10
    assert not Annotation.objects.exists()
    assert AnnotationHistory.objects.filter(action=HistoryAction.DELETE).count() == 10
    assert points(w.bob) == 0


# --- deleting one annotation ----------------------------------------------------------------------


def test_row_delete_asks_then_deletes_and_keeps_the_filters(client_for, w):
    annotation = label(w.images[0], w.ball, w.bob)
    vote(annotation, w.ada)
    votes.recompute_points()
    ada = client_for(w.ada)
    back = "type=mg-ball&page=1"

    confirm = ada.post(row_delete_url(annotation), {"back": back})
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "Delete this annotation?" in html
    assert f'name="version" value="{annotation.version}"' in html
    assert Annotation.objects.filter(pk=annotation.pk).exists()

    response = ada.post(row_delete_url(annotation), {"back": back, "confirm": "1", "version": annotation.version})
    assert response.status_code == 302
    assert response["Location"] == manage_url(w.private) + "?type=mg-ball&page=1"
    assert f"Deleted annotation {annotation.pk} (mg-ball)." in flashes(response)
    assert not Annotation.objects.filter(pk=annotation.pk).exists()
    assert AnnotationHistory.objects.filter(annotation_uuid=annotation.uuid, action=HistoryAction.DELETE).exists()
    assert points(w.bob) == 0


def test_row_delete_keeps_only_filter_names_in_the_way_back(client_for, w):
    annotation = label(w.images[0], w.ball, w.bob)
    response = client_for(w.ada).post(
        row_delete_url(annotation), {"back": "type=mg-ball&next=//evil.example&x=1", "confirm": "1"}
    )
    assert response["Location"] == manage_url(w.private) + "?type=mg-ball"


def test_row_delete_of_a_changed_annotation_deletes_nothing(client_for, w):
    annotation = label(w.images[0], w.ball, w.bob)
    Annotation.objects.filter(pk=annotation.pk).update(version=2)

    response = client_for(w.ada).post(row_delete_url(annotation), {"confirm": "1", "version": "1"})

    assert response.status_code == 302
    assert any("changed meanwhile" in text and "Nothing was deleted." in text for text in flashes(response))
    assert Annotation.objects.filter(pk=annotation.pk).exists()


def test_row_delete_through_another_sets_url_is_404(client_for, w):
    annotation = label(w.public_image, w.ball, w.ada)
    response = client_for(w.ada).post(row_delete_url(annotation, w.private), {"confirm": "1"})
    assert response.status_code == 404
    assert Annotation.objects.filter(pk=annotation.pk).exists()


def test_row_delete_of_an_unknown_annotation_is_404(client_for, w):
    response = client_for(w.ada).post(
        reverse("annotations:manage_delete_annotation", args=[w.private.pk, 999999]), {"confirm": "1"}
    )
    assert response.status_code == 404


# --- history --------------------------------------------------------------------------------------


def test_history_lists_every_change_with_before_and_after(client_for, w):
    Image.objects.filter(pk=w.images[0].pk).update(width=1000, height=800)
    image = Image.objects.select_related("image_set").get(pk=w.images[0].pk)
    annotation, _ = services.create_annotation(
        actor=w.bob, image=image, annotation_type=w.ball, vector={"x1": 10, "y1": 10, "x2": 50, "y2": 50}
    )
    annotation = services.update_annotation(
        actor=w.cara,
        annotation=annotation,
        expected_version=1,
        vector={"x1": 20, "y1": 20, "x2": 60, "y2": 60},
        annotation_type=w.goal,
    )
    annotation = services.set_flags(actor=w.ada, annotation=annotation, expected_version=2, blurred=True)

    response = client_for(w.bob).get(history_url(annotation, w.private))

    assert response.status_code == 200
    html = html_module.unescape(response.content.decode())
    assert re.findall(r'data-action="(\w+)"', html) == ["create", "update", "flags"]
    assert f"History of annotation {annotation.pk}" in html
    assert '<code>{"x1":10,"y1":10,"x2":50,"y2":50}</code> → <code>{"x1":20,"y1":20,"x2":60,"y2":60}</code>' in html
    assert "<code>mg-ball</code> → <code>mg-goal</code>" in html
    assert "<code>no</code> → <code>yes</code>" in html  # blurred
    assert ">cara<" in html
    assert ">ada<" in html
    assert ">bob<" in html
    flags_row = html.split('data-action="flags"')[1]
    assert "vector" not in flags_row  # only what changed


def test_history_of_a_deleted_annotation_stays_readable(client_for, w):
    annotation = label(w.images[0], w.ball, w.bob)
    bulk.delete_annotations(w.ada, w.private, Annotation.objects.filter(pk=annotation.pk))

    response = client_for(w.bob).get(history_url(annotation, w.private))

    assert response.status_code == 200
    html = html_module.unescape(response.content.decode())
    assert "History of a deleted annotation" in html
    assert re.findall(r'data-action="(\w+)"', html) == ["delete"]
    assert "<code>mg-ball</code> → <span" in html


def test_history_needs_read_and_the_right_set(client_for, w):
    annotation = label(w.images[0], w.ball, w.bob)
    AnnotationHistory.objects.create(
        annotation=annotation, annotation_uuid=annotation.uuid, image=annotation.image, action="create", user=w.bob
    )
    assert client_for(w.otto).get(history_url(annotation, w.private)).status_code == 404
    assert client_for(w.ada).get(history_url(annotation, w.public)).status_code == 404
    assert client_for(w.ada).get(history_url(uuid.uuid4(), w.private)).status_code == 404
    assert client_for(w.ada).get(history_url(annotation, w.private)).status_code == 200


def test_history_of_an_annotation_without_entries_says_so(client_for, w):
    annotation = label(w.images[0], w.ball, w.bob)
    response = client_for(w.ada).get(history_url(annotation, w.private))
    assert response.status_code == 200
    assert "No change of this annotation has been recorded." in response.content.decode()
