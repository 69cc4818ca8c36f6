"""The set page, the verify entry (the set's "Verify" link), the verify page and the set's images API
answer in the same number of statements for a small and a larger set, and none of their statements
counts the set's images or labels: counts come from the maintained columns (``ImageSet.image_count``,
``SetTypeCount``, kept by triggers; see annotations/tests/test_label_counts.py). Timings at 200 /
20,000 / 100,000 images: ``bench/bench_pages.py``.

Plans on PostgreSQL 15 at 100,000 images (bench data, ANALYZEd):

- set page, images of a page: ``Limit -> Index Scan using images_image_set_name_idx on images_image
  (image_set_id = $1)`` — the (image_set, name, id) index gives the page order, no sort; the count is
  the set's ``image_count`` column (before: ``Aggregate -> Index Only Scan`` over every image, plus a
  ``HashAggregate`` COUNT(DISTINCT image_id) over every label for "images without a label").
- "images without a label of type T" (set page panel) and the verify page's type list:
  ``Index Scan using annotations_settypecount_unique on annotations_settypecount`` (one row per type).
- verify entry, first label I may still vote on (EXPLAIN ANALYZE, 100,000 images, 50 voted on):
  ``Limit -> Incremental Sort (Presorted Key: i.name, a.image_id) -> Nested Loop Anti Join ->
  Nested Loop -> Index Only Scan using images_image_set_name_idx on images_image (actual rows=52)
  -> Index Scan using annotations_annotation_image_id_… (image_id = i.id) -> Index Scan using
  annotations_verification_annotation_id_… (Filter: user_id = me)``, 0.3 ms — it walks the images in
  name order and stops at the first label left (its cost grows with the labels at the front of the set
  that I already voted on, not with the size of the set). Whether the main type has labels is one
  ``SetTypeCount`` row.
- annotations API, a page after an anchor (``after=``, EXPLAIN ANALYZE at 100,000 images, anchor in
  the middle): ``Index Scan using images_image_set_name_idx on images_image (Index Cond: image_set_id
  = $1 AND name >= anchor's name)`` then the labels by ``image_id``, 2 ms; without the ``name >=``
  term the scan started at the set's first image and filtered 50,000 rows (9.7 ms). The pages never
  count: ``annotations/paging.py``.
- images API: the set is read without the former ``Count("images")`` GROUP BY (which sorted every image
  row and spilled 5.4 MB to disk at 20,000 images); the page is the same index range as the set page;
  ``count`` is ``image_count`` (minus the type's ``SetTypeCount`` with ``missing_annotation_type``).
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.models import Annotation, AnnotationType, VectorType, Verification
from images.models import ImageSet
from images.tests.factories import add_image_rows, make_imageset

BOX = {"x1": 0, "y1": 0, "x2": 2, "y2": 2}


def make_set(team, ada, bob, car, size, name):
    image_set = make_imageset(team, creator=ada, name=name)
    ImageSet.objects.filter(pk=image_set.pk).update(main_annotation_type=car)
    images = add_image_rows(image_set, size)
    Annotation.objects.bulk_create(
        Annotation(image=image, annotation_type=car, vector=BOX, user=bob) for image in images
    )
    labels = list(
        Annotation.objects.filter(image__image_set=image_set)
        .order_by("image__name", "image_id", "id")
        .values_list("pk", flat=True)
    )
    Verification.objects.bulk_create(Verification(annotation_id=pk, user=ada, verified=True) for pk in labels[:2])
    image_set.refresh_from_db()
    return image_set, labels


@pytest.fixture
def sets(make_user, make_team):
    ada, bob = make_user("ada"), make_user("bob")
    team = make_team("Robots", admins=[ada], members=[bob])
    car = AnnotationType.objects.create(name="car", team=team, vector_type=VectorType.BOUNDING_BOX)
    AnnotationType.objects.create(name="person", team=team, vector_type=VectorType.BOUNDING_BOX)
    small = make_set(team, ada, bob, car, 4, "small")
    big = make_set(team, ada, bob, car, 90, "big")
    return {"ada": ada, "car": car, "small": small, "big": big}


def urls(image_set, labels, car):
    return {
        "set page": f"/images/imageset/{image_set.pk}/",
        "set page 2": f"/images/imageset/{image_set.pk}/?page=2",
        "verify entry": f"/annotations/imageset/{image_set.pk}/verify/",
        "verify page": f"/annotations/{labels[0]}/verify/",
        "images API": f"/api/v1/imagesets/{image_set.pk}/images/?page_size=3",
        "images API missing": f"/api/v1/imagesets/{image_set.pk}/images/?page_size=3&missing_annotation_type={car.pk}",
        "annotations API": f"/api/v1/annotations/?image_set={image_set.pk}&page_size=3",
        "annotations middle": f"/api/v1/annotations/?image_set={image_set.pk}&page_size=3&after={middle(labels)}",
        "annotations to vote": f"/api/v1/annotations/?image_set={image_set.pk}&page_size=3&not_voted_by_me=true",
    }


def middle(labels):
    return labels[len(labels) // 2]


def captured(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code in (200, 302), (url, response.status_code)
    return response, [query["sql"] for query in queries.captured_queries]


def test_query_counts_equal_for_a_small_and_a_larger_set(sets, client_for):
    client = client_for(sets["ada"])
    small, big = urls(*sets["small"], sets["car"]), urls(*sets["big"], sets["car"])
    for url in small.values():  # warm up the session and the caches of the first request
        client.get(url)
    for name in small:
        few = captured(client, small[name])[1]
        many = captured(client, big[name])[1]
        assert len(few) == len(many), (name, few, many)


# What the pages ran before: COUNT(*) over the images, Count("images") per set, COUNT(DISTINCT image_id)
# over the labels (a label's own vote counts, over its verifications, are fine).
COUNTS_ROWS = re.compile(
    r'COUNT\((DISTINCT )?("images_image"\.|"annotations_annotation"\."image_id")'
    r'|COUNT\(\*\) AS "__count" FROM "(images_image|annotations_annotation)"'
)


def test_no_statement_counts_the_sets_images_or_labels(sets, client_for):
    client = client_for(sets["ada"])
    for url in urls(*sets["big"], sets["car"]).values():
        _, statements = captured(client, url)
        counting = [sql for sql in statements if COUNTS_ROWS.search(sql)]
        assert not counting, (url, counting)


def test_the_counts_shown_come_from_the_maintained_columns(sets, client_for, api_for):
    image_set, labels = sets["big"]
    html = client_for(sets["ada"]).get(f"/images/imageset/{image_set.pk}/").content.decode()
    assert '<td id="image-count">90</td>' in html
    assert "person (90 images without a label)" in html
    assert "car (0 images without a label)" in html
    body = api_for(sets["ada"]).get(f"/api/v1/imagesets/{image_set.pk}/images/?page_size=50").json()
    assert (body["count"], len(body["results"])) == (90, 50)
    assert body["next"]
    Annotation.objects.filter(pk__in=labels[:5]).delete()
    missing = f"/api/v1/imagesets/{image_set.pk}/images/?missing_annotation_type={sets['car'].pk}"
    body = api_for(sets["ada"]).get(missing).json()
    assert (body["count"], len(body["results"])) == (5, 5)
    assert body["next"] is None


def test_the_verify_entry_skips_labels_already_voted_on(sets, client_for):
    image_set, labels = sets["big"]
    response = client_for(sets["ada"]).get(f"/annotations/imageset/{image_set.pk}/verify/")
    assert response.status_code == 302
    assert response["Location"] == f"/annotations/{labels[2]}/verify/"


def test_a_keyset_page_bounds_the_index_walk_by_the_anchors_name(sets):
    """The plan in this module's docstring needs the ``name >=`` term AND-ed to the rest of the
    keyset condition (PostgreSQL makes it the index scan's start); with only the OR of the three
    cases, the scan starts at the set's first image. (At 90 images the planner picks other plans,
    so the SQL is checked here and the plan was read at 100,000 images.)"""
    from annotations import selectors
    from annotations.models import Annotation as Label

    image_set, labels = sets["big"]
    anchor = Label.objects.select_related("image").get(pk=middle(labels))
    for direction, operator in (("after", ">="), ("before", "<=")):
        page = selectors.annotation_list(sets["ada"], image_set=image_set.pk, **{direction: anchor})[:4]
        sql = str(page.query)
        assert re.search(rf'AND "images_image"\."name" {operator} \S+ AND \(', sql), sql
        found = [label.pk for label in page]
        assert found == (labels[46:50] if direction == "after" else labels[44:40:-1])
