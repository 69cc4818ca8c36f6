"""Site-wide statistics (home page, cached), the labels-per-day chart, and a set's statistics page."""

import datetime
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from annotations import charts, statistics
from annotations.models import Annotation, AnnotationType, Origin, VectorType, Verification
from annotations.tests.vote_factories import build_vote_world, label

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(make_user, make_team):
    return build_vote_world(make_user, make_team)


def make_type(name):
    return AnnotationType.objects.create(name=name, vector_type=VectorType.POINT)


def backdate(annotation, days):
    Annotation.objects.filter(pk=annotation.pk).update(time=timezone.now() - timedelta(days=days))


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(queries)


# --- numbers --------------------------------------------------------------------------------------


def test_site_statistics_count_everything(world, make_user, make_team):
    public_images = world.image(world.public, 3)
    private_image = world.image(world.private)
    label(public_images[0], world.ada, world.box)
    label(public_images[1], world.bob, world.box)
    Annotation.objects.create(image=private_image, annotation_type=world.box, vector=None, user=world.ada)
    robot = label(public_images[2], None, world.box)
    Annotation.objects.filter(pk=robot.pk).update(origin=Origin.MACHINE)
    Verification.objects.create(annotation=robot, user=world.bob, verified=True)
    Verification.objects.create(annotation=robot, user=world.cara, verified=False)
    world.ada.points = 50
    world.ada.save()
    make_user("idle", is_active=False, points=80)
    make_team("Lonely", admins=[make_user()])

    numbers = statistics.compute_site_statistics()

    assert numbers["images"] == {"all": 4, "public": 3}
    assert numbers["image_sets"] == {"all": 3, "public": 2}
    assert numbers["annotations"] == {"all": 4, "shapes": 3, "not_in_image": 1, "tags": 0, "human": 3, "machine": 1}
    assert numbers["votes"] == {"accepts": 1, "rejects": 1}
    assert numbers["users"] == {"all": 5, "active": 1}  # the inactive user is not counted
    assert numbers["teams"] == {"all": 2, "active": 1}  # Robots has ada (50 points)
    assert numbers["top_types"] == [{"name": world.box.name, "color": world.box.color, "count": 4}]


def test_labels_per_day_cover_90_days_with_the_top_types_and_other(world):
    image = world.image(world.public)
    types = [make_type(f"type{number}") for number in range(7)]
    for number, annotation_type in enumerate(types):
        for _ in range(7 - number):  # type0 has most
            backdate(label(image, world.ada, annotation_type), days=2)
    backdate(label(image, world.ada, types[0]), days=89)  # the first day of the chart
    backdate(label(image, world.ada, types[0]), days=90)  # one day too old
    label(image, world.ada, types[6])  # today

    daily = statistics.compute_site_statistics()["daily"]

    assert len(daily["days"]) == 90
    assert daily["days"][-1] == timezone.localdate()
    names = [entry["name"] for entry in daily["series"]]
    assert names == ["type0", "type1", "type2", "type3", "type4", statistics.OTHER]
    by_name = {entry["name"]: entry for entry in daily["series"]}
    assert by_name["type0"]["counts"][-3] == 7
    assert by_name["type0"]["counts"][0] == 1
    assert by_name["type0"]["total"] == 8
    assert by_name[statistics.OTHER]["counts"][-3] == 2 + 1  # type5 and type6
    assert by_name[statistics.OTHER]["counts"][-1] == 1
    assert sum(entry["total"] for entry in daily["series"]) == 7 + 6 + 5 + 4 + 3 + 2 + 1 + 1 + 1


def test_labels_per_day_split_at_local_midnight(world):
    image = world.image(world.public)
    today = timezone.localdate()
    midnight = timezone.make_aware(datetime.datetime.combine(today - timedelta(days=10), datetime.time.min))
    for moment in (midnight - timedelta(seconds=1), midnight, midnight + timedelta(hours=23, minutes=59)):
        Annotation.objects.filter(pk=label(image, world.ada, world.box).pk).update(time=moment)

    counts = statistics.compute_site_statistics()["daily"]["series"][0]["counts"]

    assert counts[-12:-9] == [1, 2, 0]
    assert sum(counts) == 3


def test_statistics_are_cached_and_the_cache_can_be_turned_off(world, settings):
    settings.STATISTICS_CACHE_SECONDS = 300
    image = world.image(world.public)
    label(image, world.ada, world.box)
    with CaptureQueriesContext(connection) as first:
        assert statistics.site_statistics()["annotations"]["all"] == 1
    label(image, world.bob, world.box)
    with CaptureQueriesContext(connection) as second:
        assert statistics.site_statistics()["annotations"]["all"] == 1  # still the cached numbers
    assert len(first) == 8
    assert len(second) == 0
    statistics.forget_site_statistics()
    assert statistics.site_statistics()["annotations"]["all"] == 2

    settings.STATISTICS_CACHE_SECONDS = 0
    label(image, world.cara, world.box)
    assert statistics.site_statistics()["annotations"]["all"] == 3


# --- chart ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "ceiling"), [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (200, 200), (201, 500)])
def test_nice_ceiling(value, ceiling):
    assert charts.nice_ceiling(value) == ceiling


def test_stacked_bars_scale_to_the_highest_day_and_stack_in_order():
    chart = charts.stacked_bars(
        ["d1", "d2", "d3"], [{"name": "a", "counts": [1, 0, 6]}, {"name": "other", "counts": [1, 0, 4]}], other="other"
    )
    plot_height = chart["plot"]["bottom"] - chart["plot"]["top"]
    assert [tick["value"] for tick in chart["ticks"]] == [0, 5, 10]
    assert len(chart["bars"]) == 2  # the empty day has no bar
    first, last = chart["bars"]
    assert [part["height"] for part in last["parts"]] == [round(plot_height * 0.6, 2), round(plot_height * 0.4, 2)]
    assert last["parts"][0]["y"] == round(chart["plot"]["bottom"] - plot_height * 0.6, 2)
    assert last["parts"][1]["colour"] == charts.OTHER_COLOUR
    assert last["parts"][1]["title"] == "d3: 4 other"
    assert first["x"] < last["x"]
    odd = charts.stacked_bars(["d1"], [{"name": "a", "counts": [4]}])
    assert [tick["value"] for tick in odd["ticks"]] == [0, 5]
    assert chart["legend"] == [{"name": "a", "colour": charts.PALETTE[0]}, {"name": "other", "colour": "#999999"}]


# --- home page ------------------------------------------------------------------------------------


def test_home_page_shows_totals_chart_and_table(client_for, world):
    image = world.image(world.public)
    for _ in range(3):
        label(image, world.bob, world.box)
    html = client_for(world.otto).get("/").content.decode()
    section = html[html.index('id="site-statistics"') :]
    assert '<dd class="fs-5 mb-0" id="stat-annotations">3</dd>' in section
    assert '<svg viewBox="0 0 720 220"' in section
    assert 'role="img" aria-labelledby="labels-per-day-title labels-per-day-desc"' in section
    table = section[section.index('id="labels-per-day-table"') :]
    today = timezone.localdate().isoformat()
    assert re.search(rf'<th scope="row">{today}</th><td class="text-end">3</td>', table)


def test_home_page_without_recent_labels_says_so(client_for, world):
    html = client_for(world.otto).get("/").content.decode()
    assert "No labels in the last 90 days." in html
    assert "<svg viewBox" not in html


def test_home_page_queries_stay_constant_whatever_the_data(client_for, world, make_user, make_team):
    client = client_for(world.ada)

    def grow(count):
        types = [make_type(f"grow{AnnotationType.objects.count()}-{n}") for n in range(count)]
        for number in range(count):
            image = world.image(world.public)
            make_team(admins=[make_user(points=60)])
            for annotation_type in types:
                annotation = label(image, make_user(), annotation_type)
                backdate(annotation, days=number)
                Verification.objects.create(annotation=annotation, user=world.ada, verified=True)

    grow(2)
    cache.clear()
    cold_few = count_queries(client, "/")
    warm_few = count_queries(client, "/")
    grow(12)
    cache.clear()
    cold_many = count_queries(client, "/")
    warm_many = count_queries(client, "/")

    assert cold_many == cold_few
    assert warm_many == warm_few
    assert cold_few - warm_few == 8  # the statistics' queries, saved while cached


# --- a set's statistics page ----------------------------------------------------------------------


def set_url(image_set):
    return f"/annotations/imageset/{image_set.pk}/statistics/"


def test_set_statistics_page_needs_read(client, client_for, world):
    assert client.get(set_url(world.private)).status_code == 302
    assert client_for(world.otto).get(set_url(world.private)).status_code == 404
    assert client_for(world.otto).get(set_url(world.public)).status_code == 200
    assert client_for(world.bob).get(set_url(world.private)).status_code == 200
    assert client_for(world.bob).get("/annotations/imageset/999999/statistics/").status_code == 404
    assert client_for(world.bob).post(set_url(world.private)).status_code == 405


def test_set_statistics_page_shows_counts_per_type(client_for, world):
    images = world.image(world.private, 4)
    accepted = label(images[0], world.ada, world.box)
    rejected = label(images[0], world.ada, world.box)
    label(images[1], world.cara, world.box)
    Annotation.objects.create(image=images[2], annotation_type=world.box, vector=None, user=world.ada)
    Annotation.objects.filter(pk=rejected.pk).update(origin=Origin.MACHINE)
    Verification.objects.create(annotation=accepted, user=world.bob, verified=True)
    Verification.objects.create(annotation=rejected, user=world.bob, verified=False)

    html = client_for(world.bob).get(set_url(world.private)).content.decode()

    assert '<dd class="fs-4 mb-0" id="stat-images">4</dd>' in html
    assert '<dd class="fs-4 mb-0" id="stat-annotated-images">3</dd>' in html
    row = html[html.index(f'data-type="{world.box.name}"') :]
    row = row[: row.index("</tr>")]
    cells = re.findall(r'<td class="text-end">(\d+)', row)
    # annotated images, missing, annotations, shapes, not in image, human, machine, accepted, disputed,
    # rejected, unverified
    assert cells == ["3", "1", "4", "3", "1", "3", "1", "1", "0", "1", "2"]
    assert 'aria-label="1 accepted, 1 rejected, 2 unverified"' in row


def test_set_statistics_page_queries_stay_constant(client_for, world):
    client = client_for(world.bob)
    few = None
    for count in (2, 20):
        for image in world.image(world.private, count):
            for annotation_type in (world.box, make_type(f"t{image.pk}")):
                annotation = label(image, world.ada, annotation_type)
                Verification.objects.create(annotation=annotation, user=world.bob, verified=True)
        queries = count_queries(client, set_url(world.private))
        few = few or queries
    assert queries == few


def test_set_page_links_to_the_statistics(client_for, world):
    html = client_for(world.bob).get(f"/images/imageset/{world.private.pk}/").content.decode()
    assert f'href="{set_url(world.private)}" id="statistics-link"' in html
