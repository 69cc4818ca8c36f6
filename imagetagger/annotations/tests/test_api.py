"""The annotation REST API: /api/v1/annotations/ (list, create, read, change, delete, bulk, history)
and the image list's "missing annotations of type T" filter."""

import json
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations import services
from annotations.models import Annotation, AnnotationHistory, AnnotationType, VectorType, Verification
from images.models import Image
from images.tests.factories import add_image_rows, make_imageset

pytestmark = pytest.mark.django_db

URL = "/api/v1/annotations/"
BOX = {"x1": 100, "y1": 100, "x2": 200, "y2": 200}


def shifted(vector, by):
    return {key: value + by for key, value in vector.items()}


def sized_images(image_set, count, start=0):
    images = add_image_rows(image_set, count, start=start)
    Image.objects.filter(pk__in=[image.pk for image in images]).update(width=1000, height=800)
    return list(Image.objects.filter(pk__in=[image.pk for image in images]).select_related("image_set"))


@pytest.fixture
def world(make_user, make_team):
    """Team Robots (admin ada, member bob), outsider otto. Sets: private, public (read only for
    outsiders), public + collaboration, locked (private). Images are 1000×800."""
    ada, bob, otto = make_user("ada"), make_user("bob"), make_user("otto")
    team = make_team("Robots", admins=[ada], members=[bob])
    sets = {
        "private": make_imageset(team, creator=ada),
        "public": make_imageset(team, creator=ada, public=True),
        "collab": make_imageset(team, creator=ada, public=True, public_collaboration=True),
        "locked": make_imageset(team, creator=ada, image_lock=True),
    }
    images = {name: sized_images(image_set, 2) for name, image_set in sets.items()}
    return {
        "ada": ada,
        "bob": bob,
        "otto": otto,
        "sets": sets,
        "images": images,
        "image": images["private"][0],
        "box": AnnotationType.objects.create(name="ball"),
        "point": AnnotationType.objects.create(name="spot", vector_type=VectorType.POINT),
        "inactive": AnnotationType.objects.create(name="old", active=False),
    }


def add(world, image, user="bob", annotation_type="box", vector=BOX, **fields):
    annotation, _created = services.create_annotation(
        actor=world[user], image=image, annotation_type=world[annotation_type], vector=vector, **fields
    )
    return annotation


_DEFAULT = object()


def payload(world, image=_DEFAULT, **fields):
    """A create request; ``image`` may be an Image or a raw value (an id, None, …)."""
    if image is _DEFAULT:
        image = world["image"]
    return {
        "image": image.pk if isinstance(image, Image) else image,
        "annotation_type": world["box"].pk,
        "vector": BOX,
        **fields,
    }


def vote(annotation, user, verified=True):
    Verification.objects.create(annotation=annotation, user=user, verified=verified)


# --- create ------------------------------------------------------------------------------------


def test_create_answers_201_with_the_annotation(world, api_for):
    key = uuid.uuid4()
    response = api_for(world["bob"]).post(
        URL, payload(world, uuid=str(key), concealed=True, blurred=False), format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    annotation = Annotation.objects.get()
    assert body["id"] == annotation.pk
    assert body["uuid"] == str(key)
    assert body["image"] == world["image"].pk
    assert body["image_name"] == world["image"].name
    assert body["annotation_type"] == {
        "id": world["box"].pk,
        "name": "ball",
        "vector_type": VectorType.BOUNDING_BOX,
        "color": world["box"].color,
        "is_tag": False,
    }
    assert body["vector"] == BOX
    assert body["not_in_image"] is False
    assert (body["concealed"], body["concealed_flag"], body["blurred"], body["blurred_flag"]) == (
        True,
        True,
        False,
        False,
    )
    assert body["creator"] == "bob"
    assert body["last_editor"] is None
    assert body["version"] == 1
    assert response["ETag"] == '"1"'
    assert (body["origin"], body["model_name"], body["confidence"]) == ("human", "", None)
    assert (body["score"], body["accepts"], body["rejects"], body["my_vote"]) == (0, 0, 0, None)
    # nobody votes on their own labels
    assert body["permissions"] == ["annotate", "delete_annotation", "edit_annotation", "read", "verify"]
    assert body["created"]
    assert body["last_edited"]
    assert not Verification.objects.exists()
    assert AnnotationHistory.objects.get().action == "create"


def test_create_not_in_image_and_machine_made(world, api_for):
    api = api_for(world["bob"])
    response = api.post(URL, payload(world, vector=None, concealed=True), format="json")
    assert response.status_code == 201
    assert response.json()["not_in_image"] is True
    assert response.json()["concealed"] is False
    assert response.json()["concealed_flag"] is True

    machine = payload(world, world["images"]["private"][1], origin="machine", model_name="yolo", confidence=0.25)
    response = api.post(URL, machine, format="json")
    assert response.status_code == 201
    assert (response.json()["origin"], response.json()["model_name"], response.json()["confidence"]) == (
        "machine",
        "yolo",
        0.25,
    )


def test_replaying_a_create_answers_200_with_the_first_annotation(world, api_for):
    api = api_for(world["bob"])
    request = payload(world, uuid=str(uuid.uuid4()))
    first = api.post(URL, request, format="json")
    again = api.post(URL, request, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Annotation.objects.count() == 1

    elsewhere = api.post(URL, {**request, "image": world["images"]["private"][1].pk}, format="json")
    assert elsewhere.status_code == 409
    assert elsewhere.json()["code"] == "uuid"
    assert elsewhere.json()["conflicting_annotation"] == first.json()["id"]
    assert Annotation.objects.count() == 1


def test_a_similar_create_answers_409_with_the_similar_one(world, api_for):
    first = add(world, world["image"])
    response = api_for(world["ada"]).post(URL, payload(world, vector=shifted(BOX, 5)), format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["conflicting_annotation"] == first.pk
    assert body["code"] == "similar"
    assert "similar" in body["detail"]
    assert Annotation.objects.count() == 1

    assert api_for(world["ada"]).post(URL, payload(world, vector=shifted(BOX, 6)), format="json").status_code == 201


def test_not_in_image_conflicts_answer_409(world, api_for):
    api = api_for(world["bob"])
    other = world["images"]["private"][1]
    assert api.post(URL, payload(world, vector=None), format="json").status_code == 201
    second = api.post(URL, payload(world, vector=None), format="json")
    assert second.status_code == 409
    assert second.json()["code"] == "similar"
    shape = api.post(URL, payload(world), format="json")
    assert shape.status_code == 409
    assert shape.json()["code"] == "not_in_image"

    assert api.post(URL, payload(world, other), format="json").status_code == 201
    negative = api.post(URL, payload(world, other, vector=None), format="json")
    assert negative.status_code == 409
    assert negative.json()["code"] == "not_in_image"
    assert Annotation.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"vector": {"x1": 1, "y1": 1}}, "vector", "exactly 2 points"),
        ({"vector": {"x1": 300, "y1": 300, "x2": 300, "y2": 300}}, "vector", "x1 < x2"),
        ({"vector": {"x1": 900, "y1": 100, "x2": 1001, "y2": 200}}, "vector", "outside the image"),
        ({"vector": {"x1": "100", "y1": 100, "x2": 200, "y2": 200}}, "vector", "whole number"),
        ({"vector": {"x1": 100.5, "y1": 100, "x2": 200, "y2": 200}}, "vector", "whole number"),
        ({"vector": {"x1": {"x": 1}, "y1": 100, "x2": 200, "y2": 200}}, "vector", "whole number"),
        ({"vector": {"x0": 100, "y0": 100, "x1": 200, "y1": 200}}, "vector", "key"),
        ({"vector": {}}, "vector", "send null"),
        ({"vector": [100, 100, 200, 200]}, "vector", "JSON object"),
        ({"vector": "not in image"}, "vector", "JSON object"),
        ({"concealed": "true"}, "concealed", "true or false"),
        ({"blurred": 1}, "blurred", "true or false"),
        ({"annotation_type": 999999}, "annotation_type", "no annotation type"),
        ({"annotation_type": "1"}, "annotation_type", "whole number"),
        ({"image": 999999}, "image", "no image"),
        ({"image": None}, "image", "null"),
        ({"image": "1"}, "image", "whole number"),
        ({"image": 2**70}, "image", "less than or equal"),
        ({"image": 0}, "image", "greater than or equal"),
        ({"annotation_type": 2**64}, "annotation_type", "less than or equal"),
        ({"uuid": "not-a-uuid"}, "uuid", "UUID"),
        ({"origin": "alien"}, "origin", "valid choice"),
        ({"model_name": "yolo"}, "origin", "machine-made"),
        ({"origin": "machine", "confidence": 2}, "confidence", "1"),
        ({"origin": "machine", "confidence": "0.5"}, "confidence", "number"),
        ({"origin": "machine", "confidence": 10**400}, "confidence", "1"),
        ({"origin": "machine", "model_name": "m" * 101}, "model_name", "100"),
    ],
)
def test_bad_input_answers_400_with_the_field_and_saves_nothing(world, api_for, change, field, words):
    response = api_for(world["bob"]).post(URL, payload(world, **change), format="json")
    assert response.status_code == 400, response.json()
    body = response.json()
    assert field in body["errors"], body
    assert words.lower() in " ".join(body["errors"][field]).lower(), body
    assert body["detail"]
    assert not Annotation.objects.exists()
    assert not AnnotationHistory.objects.exists()


def test_odd_text_in_a_vector_answers_400_not_500(world, api_for):
    body = json.dumps(payload(world, vector={"x1\n": 100, "y1": 100}))
    response = api_for(world["bob"]).post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert "vector" in response.json()["errors"]
    # Half a surrogate pair is not text at all: the JSON reader refuses the body (base/jsontext.py).
    for vector in ({"\ud800": 1}, {"x1": "\ud800", "y1": 2}):
        body = json.dumps(payload(world, vector=vector))
        response = api_for(world["bob"]).post(URL, body, content_type="application/json")
        assert response.status_code == 400
        assert "half of a surrogate pair" in response.json()["detail"]
    assert not Annotation.objects.exists()


def test_an_inactive_type_is_refused(world, api_for):
    response = api_for(world["bob"]).post(URL, payload(world, annotation_type=world["inactive"].pk), format="json")
    assert response.status_code == 400
    assert "not active" in response.json()["errors"]["annotation_type"][0]
    assert not Annotation.objects.exists()


@pytest.mark.parametrize("missing", ["image", "annotation_type", "vector"])
def test_required_fields(world, api_for, missing):
    data = payload(world)
    del data[missing]
    response = api_for(world["bob"]).post(URL, data, format="json")
    assert response.status_code == 400
    assert missing in response.json()["errors"]


def test_a_body_that_is_not_json_is_refused(world, api_for):
    response = api_for(world["bob"]).post(URL, "image=1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["detail"]


def test_an_image_of_an_unreadable_set_looks_like_a_missing_one(world, api_for):
    hidden = api_for(world["otto"]).post(URL, payload(world), format="json")
    missing = api_for(world["otto"]).post(URL, payload(world, image=999999), format="json")
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json() == missing.json()
    assert not Annotation.objects.exists()


@pytest.mark.parametrize(
    ("user", "set_name", "expected"),
    [
        ("ada", "private", 201),
        ("bob", "private", 201),
        ("otto", "private", 400),  # does not exist for otto
        ("otto", "public", 403),
        ("bob", "public", 201),
        ("otto", "collab", 201),
        ("bob", "locked", 201),  # the lock is about images, not labels
        ("otto", "locked", 400),
    ],
)
def test_who_may_create(world, api_for, user, set_name, expected):
    response = api_for(world[user]).post(URL, payload(world, world["images"][set_name][0]), format="json")
    assert response.status_code == expected, response.json()
    assert Annotation.objects.count() == (1 if expected == 201 else 0)
    if expected == 403:
        assert "may not add annotations" in response.json()["detail"]


# --- anonymous ---------------------------------------------------------------------------------


def test_anonymous_callers_get_401_everywhere(world, api_for):
    annotation = add(world, world["images"]["public"][0])
    api = api_for()
    detail = f"{URL}{annotation.pk}/"
    answers = [
        api.get(URL),
        api.post(URL, payload(world), format="json"),
        api.get(detail),
        api.patch(detail, {"version": 1, "vector": shifted(BOX, 50)}, format="json"),
        api.delete(detail),
        api.get(f"{detail}history/"),
        api.post(f"{URL}bulk/", {"annotations": [payload(world)]}, format="json"),
    ]
    assert [answer.status_code for answer in answers] == [401] * len(answers)
    assert Annotation.objects.get().version == 1


# --- list --------------------------------------------------------------------------------------


def test_list_shows_only_readable_sets_and_active_types_by_image_name(world, api_for):
    private, public = world["images"]["private"], world["images"]["public"]
    late = add(world, private[1])
    early = add(world, private[0], vector=shifted(BOX, 300))
    earliest = add(world, private[0])
    in_public = add(world, public[0])
    add(world, private[0], annotation_type="point", vector={"x1": 1, "y1": 1})
    hidden_type = Annotation.objects.create(image=private[0], annotation_type=world["inactive"], vector=BOX)

    def ids(user, query=""):
        response = api_for(world[user]).get(f"{URL}?{query}")
        assert response.status_code == 200, response.json()
        return [item["id"] for item in response.json()["results"]]

    point = Annotation.objects.get(annotation_type=world["point"]).pk
    # Images of one name (in different sets) stay together, each with its annotations by id.
    assert ids("bob") == [early.pk, earliest.pk, point, in_public.pk, late.pk]
    assert ids("otto") == [in_public.pk]
    assert hidden_type.pk not in ids("ada")
    assert ids("bob", f"image={private[1].pk}") == [late.pk]
    assert ids("otto", f"image={private[1].pk}") == []
    assert ids("bob", f"image_set={world['sets']['public'].pk}") == [in_public.pk]
    assert ids("bob", f"annotation_type={world['point'].pk}") == [point]
    assert ids("bob", f"annotation_type={world['inactive'].pk}") == []


def test_list_filters_by_origin_and_by_my_votes(world, api_for):
    image = world["image"]
    human = add(world, image)
    machine = add(world, image, vector=shifted(BOX, 300), origin="machine", model_name="m", confidence=0.5)
    voted = add(world, image, vector=shifted(BOX, 100))
    vote(voted, world["ada"], verified=False)
    vote(human, world["otto"])

    def ids(query):
        return [item["id"] for item in api_for(world["ada"]).get(f"{URL}?{query}").json()["results"]]

    assert ids("origin=machine") == [machine.pk]
    assert ids("origin=human") == [human.pk, voted.pk]
    assert ids("not_voted_by_me=true") == [human.pk, machine.pk]
    assert ids("not_voted_by_me=false") == [human.pk, machine.pk, voted.pk]


def test_list_leaves_out_my_own_annotations_on_request(world, api_for):
    mine = add(world, world["image"], user="ada")
    theirs = add(world, world["image"], vector=shifted(BOX, 300))

    def ids(query):
        return [item["id"] for item in api_for(world["ada"]).get(f"{URL}?{query}").json()["results"]]

    assert ids("not_mine=true") == [theirs.pk]
    assert ids("not_mine=false") == [mine.pk, theirs.pk]


def test_list_pages_by_keyset_after_and_before_an_annotation(world, api_for):
    first_image, second_image = world["images"]["private"]
    a = add(world, first_image)
    b = add(world, first_image, vector=shifted(BOX, 300))
    c = add(world, second_image)
    d = add(world, second_image, vector=shifted(BOX, 300))
    client = api_for(world["ada"])

    def ids(query):
        response = client.get(f"{URL}?image_set={world['sets']['private'].pk}&count=true&{query}")
        assert response.status_code == 200, response.json()
        return [item["id"] for item in response.json()["results"]], response.json()["count"]

    assert ids(f"after={b.pk}") == ([c.pk, d.pk], 2)
    assert ids(f"after={a.pk}&page_size=1") == ([b.pk], 3)
    assert ids(f"before={c.pk}") == ([b.pk, a.pk], 2), "nearest first"
    assert ids(f"after={d.pk}") == ([], 0)
    # The anchor need not match the filters: it only marks a place in the order.
    vote(b, world["ada"])
    assert ids(f"after={b.pk}&not_voted_by_me=true") == ([c.pk, d.pk], 2)
    assert ids(f"before={c.pk}&not_voted_by_me=true") == ([a.pk], 1)


def test_list_keyset_anchor_must_be_a_readable_annotation(world, api_for):
    hidden = add(world, world["image"])
    for query in (f"after={hidden.pk}", "before=999999", "after=x"):
        response = api_for(world["otto"]).get(f"{URL}?{query}")
        assert response.status_code == 400
        assert query.split("=")[0] in response.json()["errors"]
    assert "no annotation" in api_for(world["otto"]).get(f"{URL}?after={hidden.pk}").json()["errors"]["after"][0]


def test_list_shows_the_image_size(world, api_for):
    add(world, world["image"])
    row = api_for(world["bob"]).get(URL).json()["results"][0]
    assert (row["image_width"], row["image_height"]) == (1000, 800)


@pytest.mark.parametrize(
    "query",
    [
        "image=x",
        f"image={2**70}",
        "image=-1",
        "image_set=1.5",
        "annotation_type=ball",
        "origin=alien",
        "not_voted_by_me=maybe",
        "not_mine=perhaps",
    ],
)
def test_list_refuses_bad_filters(world, api_for, query):
    response = api_for(world["bob"]).get(f"{URL}?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()["errors"]


def test_list_shows_score_my_vote_and_my_permissions(world, api_for):
    annotation = add(world, world["images"]["collab"][0])
    vote(annotation, world["ada"], verified=True)
    vote(annotation, world["otto"], verified=True)
    AnnotationHistory.objects.all().delete()
    ada_row = api_for(world["ada"]).get(URL).json()["results"][0]
    otto_row = api_for(world["otto"]).get(URL).json()["results"][0]
    bob_row = api_for(world["bob"]).get(URL).json()["results"][0]

    assert (ada_row["accepts"], ada_row["rejects"], ada_row["score"], ada_row["my_vote"]) == (2, 0, 2, "accept")
    assert bob_row["my_vote"] is None
    assert "vote" in ada_row["permissions"]
    assert "vote" not in bob_row["permissions"]  # his own
    assert set(otto_row["permissions"]) == {
        "read",
        "annotate",
        "edit_annotation",
        "delete_annotation",
        "verify",
        "vote",
    }

    public = add(world, world["images"]["public"][0])
    vote(public, world["ada"], verified=False)
    rows = {row["id"]: row for row in api_for(world["otto"]).get(URL).json()["results"]}
    assert rows[public.pk]["permissions"] == ["read"]
    assert rows[public.pk]["score"] == -1
    assert api_for(world["ada"]).get(f"{URL}{public.pk}/").json()["my_vote"] == "reject"


def test_list_is_paged_by_keyset_and_says_whether_there_is_more(world, api_for):
    images = world["images"]["private"]
    made = [add(world, images[0], vector=shifted(BOX, 10 * number)).pk for number in range(5)]
    api = api_for(world["bob"])

    first = api.get(f"{URL}?page_size=2").json()
    assert [row["id"] for row in first["results"]] == made[:2]
    assert (first["more"], first["previous"], first["count"], first["count_exact"]) == (True, None, None, None)
    assert f"after={made[1]}" in first["next"]
    second = api.get(first["next"]).json()
    assert [row["id"] for row in second["results"]] == made[2:4]
    assert f"before={made[2]}" in second["previous"]
    assert "after=" not in second["previous"]
    assert [row["id"] for row in api.get(second["previous"]).json()["results"]] == [made[1], made[0]]
    last = api.get(second["next"]).json()
    assert [row["id"] for row in last["results"]] == made[4:]
    assert (last["more"], last["next"]) == (False, None)
    # Walking backwards: "next" goes on before the farthest one shown.
    back = api.get(f"{URL}?before={made[4]}&page_size=3").json()
    assert [row["id"] for row in back["results"]] == [made[3], made[2], made[1]]
    assert back["more"]
    assert f"before={made[1]}" in back["next"]
    assert [row["id"] for row in api.get(back["next"]).json()["results"]] == [made[0]]


def test_list_counts_only_when_asked_exactly_or_up_to_a_limit(world, api_for):
    images = world["images"]["private"]
    made = [add(world, images[0], vector=shifted(BOX, 10 * number)).pk for number in range(5)]
    api = api_for(world["bob"])

    def counted(query):
        body = api.get(f"{URL}?page_size=2&{query}").json()
        return body["count"], body["count_exact"]

    assert counted("count=true") == (5, True)
    assert counted(f"count=true&after={made[0]}") == (4, True)
    assert counted("count=3") == (3, False)
    assert counted("count=5") == (5, True)
    assert counted("count=false") == (None, None)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=2", "page"),
        ("page_size=0", "page_size"),
        ("page_size=501", "page_size"),
        ("page_size=x", "page_size"),
        ("count=0", "count"),
        ("count=yes", "count"),
        ("count=100001", "count"),
        ("count=-1", "count"),
    ],
)
def test_list_paging_input_is_checked(world, api_for, query, field):
    response = api_for(world["bob"]).get(f"{URL}?{query}")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_list_runs_a_constant_number_of_queries(world, api_for, make_user):
    voters = [make_user() for _ in range(3)]
    api = api_for(world["ada"])

    def make(count, start):
        for number in range(count):
            set_name = ["private", "public", "collab"][number % 3]
            annotation = add(world, world["images"][set_name][number % 2], vector=shifted(BOX, 10 * (start + number)))
            for voter in voters[: number % 4]:
                vote(annotation, voter, verified=number % 2 == 0)
            if number % 5 == 0:
                vote(annotation, world["ada"])

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"{URL}?page_size=100")
        assert response.status_code == 200
        return len(queries), len(response.json()["results"])

    make(2, 0)
    few = count_queries()
    make(28, 2)
    many = count_queries()
    assert few[1] == 2
    assert many[1] == 30
    assert many[0] == few[0]


# --- read --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "set_name", "expected"),
    [
        ("ada", "private", 200),
        ("bob", "private", 200),
        ("otto", "private", 404),
        ("otto", "public", 200),
        ("otto", "collab", 200),
        ("otto", "locked", 404),
    ],
)
def test_who_may_read(world, api_for, user, set_name, expected):
    annotation = add(world, world["images"][set_name][0])
    response = api_for(world[user]).get(f"{URL}{annotation.pk}/")
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["id"] == annotation.pk
        assert response["ETag"] == '"1"'
    history = api_for(world[user]).get(f"{URL}{annotation.pk}/history/")
    assert history.status_code == expected


def test_an_unknown_annotation_is_404(world, api_for):
    assert api_for(world["ada"]).get(f"{URL}999999/").status_code == 404


def test_an_annotation_of_an_inactive_type_can_still_be_read(world, api_for):
    annotation = Annotation.objects.create(image=world["image"], annotation_type=world["inactive"], vector=BOX)
    response = api_for(world["bob"]).get(f"{URL}{annotation.pk}/")
    assert response.status_code == 200
    assert response.json()["annotation_type"]["name"] == "old"


# --- update ------------------------------------------------------------------------------------


def test_patch_with_the_version_field_changes_and_bumps_the_version(world, api_for):
    annotation = add(world, world["image"])
    moved = shifted(BOX, 50)
    response = api_for(world["ada"]).patch(
        f"{URL}{annotation.pk}/", {"version": 1, "vector": moved, "blurred": True}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["vector"] == moved
    assert body["blurred"] is True
    assert body["version"] == 2
    assert body["last_editor"] == "ada"
    assert body["creator"] == "bob"
    assert response["ETag"] == '"2"'
    annotation.refresh_from_db()
    assert (annotation.vector, annotation.version) == (moved, 2)


@pytest.mark.parametrize("header", ['"1"', "1", 'W/"1"'])
def test_patch_with_if_match(world, api_for, header):
    annotation = add(world, world["image"])
    response = api_for(world["bob"]).patch(
        f"{URL}{annotation.pk}/", {"concealed": True}, format="json", HTTP_IF_MATCH=header
    )
    assert response.status_code == 200, response.json()
    assert response.json()["concealed"] is True
    assert AnnotationHistory.objects.filter(action="flags").count() == 1


def test_patch_without_a_version_is_refused_with_a_clear_message(world, api_for):
    annotation = add(world, world["image"])
    response = api_for(world["bob"]).patch(f"{URL}{annotation.pk}/", {"vector": shifted(BOX, 50)}, format="json")
    assert response.status_code == 428
    assert "version" in response.json()["detail"]
    annotation.refresh_from_db()
    assert annotation.version == 1


@pytest.mark.parametrize(
    ("body", "headers", "field"),
    [
        ({"version": 1}, {"HTTP_IF_MATCH": '"2"'}, "version"),
        ({}, {"HTTP_IF_MATCH": "*"}, "version"),
        ({}, {"HTTP_IF_MATCH": '"1'}, "version"),
        ({}, {"HTTP_IF_MATCH": '"1", "2"'}, "version"),
        ({}, {"HTTP_IF_MATCH": "9" * 5000}, "version"),
        ({"version": 2**40}, {}, "version"),
        ({"version": "1"}, {}, "version"),
        ({"version": 1, "vector": {"x1": 5, "y1": 5}}, {}, "vector"),
        ({"version": 1, "vector": {"x1": 100, "y1": 100, "x2": 100, "y2": 200}}, {}, "vector"),
        ({"version": 1, "concealed": "yes"}, {}, "concealed"),
        ({"version": 1, "annotation_type": 999999}, {}, "annotation_type"),
    ],
)
def test_patch_refuses_bad_input_and_changes_nothing(world, api_for, body, headers, field):
    annotation = add(world, world["image"])
    response = api_for(world["bob"]).patch(f"{URL}{annotation.pk}/", body, format="json", **headers)
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    annotation.refresh_from_db()
    assert (annotation.vector, annotation.version, annotation.concealed_flag) == (BOX, 1, False)


def test_a_stale_patch_answers_412_with_the_current_annotation(world, api_for):
    annotation = add(world, world["image"])
    api = api_for(world["ada"])
    assert api.patch(f"{URL}{annotation.pk}/", {"version": 1, "concealed": True}, format="json").status_code == 200

    response = api.patch(f"{URL}{annotation.pk}/", {"version": 1, "vector": shifted(BOX, 50)}, format="json")
    assert response.status_code == 412
    body = response.json()
    assert "version 2" in body["detail"]
    assert body["current"]["version"] == 2
    assert body["current"]["concealed"] is True
    assert body["current"]["vector"] == BOX
    annotation.refresh_from_db()
    assert (annotation.vector, annotation.version) == (BOX, 2)

    retried = api.patch(f"{URL}{annotation.pk}/", {"vector": shifted(BOX, 50)}, format="json", HTTP_IF_MATCH='"2"')
    assert retried.status_code == 200
    assert retried.json()["version"] == 3


def test_a_patch_that_becomes_similar_answers_409_and_deletes_nothing(world, api_for):
    first = add(world, world["image"])
    second = add(world, world["image"], vector=shifted(BOX, 100))
    response = api_for(world["bob"]).patch(
        f"{URL}{second.pk}/", {"version": 1, "vector": shifted(BOX, 4)}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["conflicting_annotation"] == first.pk
    assert Annotation.objects.count() == 2
    second.refresh_from_db()
    assert (second.vector, second.version) == (shifted(BOX, 100), 1)


def test_patch_can_change_the_type(world, api_for):
    annotation = add(world, world["image"], annotation_type="point", vector={"x1": 5, "y1": 5})
    api = api_for(world["bob"])
    refused = api.patch(f"{URL}{annotation.pk}/", {"version": 1, "annotation_type": world["box"].pk}, format="json")
    assert refused.status_code == 400
    assert "vector" in refused.json()["errors"]
    inactive = {"version": 1, "annotation_type": world["inactive"].pk, "vector": BOX}
    assert api.patch(f"{URL}{annotation.pk}/", inactive, format="json").status_code == 400

    changed = api.patch(
        f"{URL}{annotation.pk}/", {"version": 1, "annotation_type": world["box"].pk, "vector": BOX}, format="json"
    )
    assert changed.status_code == 200
    assert changed.json()["annotation_type"]["name"] == "ball"


def test_put_is_not_offered(world, api_for):
    annotation = add(world, world["image"])
    response = api_for(world["bob"]).put(f"{URL}{annotation.pk}/", payload(world), format="json")
    assert response.status_code == 405


@pytest.mark.parametrize(
    ("user", "set_name", "expected"),
    [
        ("ada", "private", 200),
        ("bob", "private", 200),
        ("otto", "private", 404),
        ("otto", "public", 403),
        ("bob", "public", 200),
        ("otto", "collab", 200),
        ("bob", "locked", 200),
        ("otto", "locked", 404),
    ],
)
def test_who_may_patch(world, api_for, user, set_name, expected):
    annotation = add(world, world["images"][set_name][0], user="ada")
    response = api_for(world[user]).patch(
        f"{URL}{annotation.pk}/", {"version": 1, "vector": shifted(BOX, 50)}, format="json"
    )
    assert response.status_code == expected
    annotation.refresh_from_db()
    assert annotation.version == (2 if expected == 200 else 1)


# --- delete ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "set_name", "expected"),
    [
        ("ada", "private", 204),
        ("bob", "private", 204),
        ("otto", "private", 404),
        ("otto", "public", 403),
        ("bob", "public", 204),
        ("otto", "collab", 204),
        ("bob", "locked", 204),
        ("otto", "locked", 404),
    ],
)
def test_who_may_delete(world, api_for, user, set_name, expected):
    annotation = add(world, world["images"][set_name][0], user="ada")
    response = api_for(world[user]).delete(f"{URL}{annotation.pk}/")
    assert response.status_code == expected
    assert Annotation.objects.filter(pk=annotation.pk).exists() == (expected != 204)


def test_delete_with_a_stale_version_answers_412(world, api_for):
    annotation = add(world, world["image"])
    services.set_flags(actor=world["bob"], annotation=annotation, expected_version=1, blurred=True)
    api = api_for(world["ada"])

    by_header = api.delete(f"{URL}{annotation.pk}/", HTTP_IF_MATCH='"1"')
    by_query = api.delete(f"{URL}{annotation.pk}/?version=1")
    assert (by_header.status_code, by_query.status_code) == (412, 412)
    assert by_header.json()["current"]["version"] == 2
    assert Annotation.objects.filter(pk=annotation.pk).exists()

    assert api.delete(f"{URL}{annotation.pk}/?version=2").status_code == 204
    assert not Annotation.objects.exists()
    assert api.delete(f"{URL}{annotation.pk}/").status_code == 404


# --- history -----------------------------------------------------------------------------------


def test_history_lists_every_change(world, api_for, make_user):
    carl = make_user("carl")
    world["sets"]["private"].team.memberships.create(user=carl)
    annotation = add(world, world["image"], user="bob")
    api = api_for(world["ada"])
    api.patch(f"{URL}{annotation.pk}/", {"version": 1, "vector": shifted(BOX, 50)}, format="json")
    api_for(carl).patch(f"{URL}{annotation.pk}/", {"version": 2, "concealed": True}, format="json")
    carl.delete()

    response = api_for(world["bob"]).get(f"{URL}{annotation.pk}/history/")
    assert response.status_code == 200
    entries = response.json()
    assert [(entry["action"], entry["user"]) for entry in entries] == [
        ("create", "bob"),
        ("update", "ada"),
        ("flags", "deleted user"),
    ]
    assert entries[0]["before"] is None
    assert entries[0]["after"]["vector"] == BOX
    assert entries[1]["before"]["vector"] == BOX
    assert entries[1]["after"]["vector"] == shifted(BOX, 50)
    assert entries[2]["after"]["concealed"] is True
    assert all(entry["time"] for entry in entries)


def test_history_is_kept_after_delete(world, api_for):
    annotation = add(world, world["image"])
    assert api_for(world["bob"]).delete(f"{URL}{annotation.pk}/").status_code == 204
    entries = AnnotationHistory.objects.filter(annotation_uuid=annotation.uuid)
    assert [entry.action for entry in entries] == ["create", "delete"]


# --- bulk --------------------------------------------------------------------------------------


def test_bulk_creates_every_item(world, api_for):
    images = world["images"]["private"]
    items = [
        payload(world, images[0]),
        payload(world, images[0], vector=shifted(BOX, 100)),
        payload(world, images[1], annotation_type=world["point"].pk, vector={"x1": 3, "y1": 4}),
        payload(world, images[1], vector=None, origin="machine", model_name="m", confidence=0.9),
    ]
    response = api_for(world["bob"]).post(f"{URL}bulk/", {"annotations": items}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [item["vector"] for item in body] == [BOX, shifted(BOX, 100), {"x1": 3, "y1": 4}, None]
    assert [item["id"] for item in body] == sorted(item["id"] for item in body)
    assert Annotation.objects.count() == 4
    assert not Verification.objects.exists()


def test_bulk_replays_answer_200(world, api_for):
    items = [payload(world, uuid=str(uuid.uuid4())), payload(world, vector=shifted(BOX, 50), uuid=str(uuid.uuid4()))]
    api = api_for(world["bob"])
    first = api.post(f"{URL}bulk/", {"annotations": items}, format="json")
    again = api.post(f"{URL}bulk/", {"annotations": items}, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert [item["id"] for item in again.json()] == [item["id"] for item in first.json()]
    assert Annotation.objects.count() == 2


def test_bulk_is_all_or_nothing_with_an_error_per_item(world, api_for):
    items = [
        payload(world),
        payload(world, vector=shifted(BOX, 2)),  # similar to item 0
        payload(world, vector={"x1": 1}),
        payload(world, concealed="no"),
        payload(world, image=world["images"]["public"][0], vector=shifted(BOX, 300)),
        payload(world, vector=shifted(BOX, 100)),
        "not an object",
        payload(world, image=999999),
        payload(world, image=2**70),
    ]
    response = api_for(world["otto"]).post(f"{URL}bulk/", {"annotations": items}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert sorted(errors, key=int) == ["0", "1", "2", "3", "5", "6", "7", "8"]  # otto cannot even see the private set

    response = api_for(world["bob"]).post(f"{URL}bulk/", {"annotations": items}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert "nothing was saved" in body["detail"]
    assert sorted(body["errors"], key=int) == ["3", "6", "7", "8"]  # field errors first: nothing was tried
    assert "concealed" in body["errors"]["3"]
    assert "object" in body["errors"]["6"]
    assert "no image" in body["errors"]["7"]
    assert not Annotation.objects.exists()

    response = api_for(world["bob"]).post(
        f"{URL}bulk/", {"annotations": [items[0], items[1], items[2], items[5]]}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["1", "2"]
    assert "similar" in response.json()["errors"]["1"]
    assert "pairs" in response.json()["errors"]["2"]
    assert not Annotation.objects.exists()
    assert not AnnotationHistory.objects.exists()


def test_bulk_refuses_items_one_may_not_annotate(world, api_for):
    items = [payload(world, world["images"]["collab"][0]), payload(world, world["images"]["public"][0])]
    response = api_for(world["otto"]).post(f"{URL}bulk/", {"annotations": items}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["1"]
    assert "may not" in response.json()["errors"]["1"]
    assert not Annotation.objects.exists()


@pytest.mark.parametrize(
    "body", [{}, {"annotations": "x"}, {"annotations": {"0": {}}}, [payload], {"items": []}], ids=str
)
def test_bulk_needs_a_list(world, api_for, body):
    if body == [payload]:
        body = [payload(world)]
    response = api_for(world["bob"]).post(f"{URL}bulk/", body, format="json")
    assert response.status_code == 400
    assert "annotations" in response.json()["errors"]


def test_bulk_has_a_limit(world, api_for):
    items = [payload(world, vector={"x1": number % 1000, "y1": number // 1000}) for number in range(1001)]
    response = api_for(world["bob"]).post(f"{URL}bulk/", {"annotations": items}, format="json")
    assert response.status_code == 400
    assert "At most 1000" in response.json()["errors"]["annotations"][0]
    assert not Annotation.objects.exists()


def test_an_empty_bulk_creates_nothing(world, api_for):
    response = api_for(world["bob"]).post(f"{URL}bulk/", {"annotations": []}, format="json")
    assert response.status_code == 200
    assert response.json() == []


# --- images without annotations of a type -------------------------------------------------------


def test_image_list_filters_images_missing_a_type(world, api_for):
    image_set = world["sets"]["private"]
    images = sized_images(image_set, 3, start=10)  # five images in all
    add(world, images[0])
    add(world, images[1], vector=None)  # "not in image" counts as an annotation of the type
    add(world, images[2], annotation_type="point", vector={"x1": 1, "y1": 1})
    url = f"/api/v1/imagesets/{image_set.pk}/images/"
    api = api_for(world["bob"])

    def names(query):
        response = api.get(f"{url}?{query}")
        assert response.status_code == 200, response.json()
        return [image["name"] for image in response.json()["results"]]

    everything = [image.name for image in Image.objects.filter(image_set=image_set).order_by("name")]
    assert len(names("")) == 5
    assert names(f"missing_annotation_type={world['box'].pk}") == [
        name for name in everything if name not in (images[0].name, images[1].name)
    ]
    assert names(f"missing_annotation_type={world['point'].pk}") == [
        name for name in everything if name != images[2].name
    ]

    with CaptureQueriesContext(connection) as few:
        api.get(f"{url}?missing_annotation_type={world['box'].pk}")
    sized_images(image_set, 20, start=100)
    with CaptureQueriesContext(connection) as many:
        api.get(f"{url}?missing_annotation_type={world['box'].pk}")
    assert len(few) == len(many)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("ball", "a whole number"),
        (str(2**70), "a whole number"),
        ("0", "a whole number"),
        ("999999", "no annotation type"),
    ],
)
def test_image_list_refuses_a_bad_type(world, api_for, value, words):
    response = api_for(world["bob"]).get(
        f"/api/v1/imagesets/{world['sets']['private'].pk}/images/?missing_annotation_type={value}"
    )
    assert response.status_code == 400
    assert words in response.json()["errors"]["missing_annotation_type"][0]


# --- schema ------------------------------------------------------------------------------------


def test_the_schema_documents_the_annotation_endpoints(world, client_for):
    response = client_for(world["ada"]).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/annotations/"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/annotations/{id}/"])
    assert "put" not in paths["/api/v1/annotations/{id}/"]
    assert "post" in paths["/api/v1/annotations/bulk/"]
    assert "get" in paths["/api/v1/annotations/{id}/history/"]
    patch = paths["/api/v1/annotations/{id}/"]["patch"]
    assert {"409", "412", "428"} <= set(patch["responses"])
    parameters = paths["/api/v1/imagesets/{id}/images/"]["get"]["parameters"]
    assert "missing_annotation_type" in [parameter["name"] for parameter in parameters]


def test_list_by_confidence_is_the_review_queue_of_machine_labels(world, api_for):
    image, other = world["images"]["private"]
    made = {}
    for number, (confidence, model) in enumerate([(0.9, "yolo"), (None, "yolo"), (0.2, "sam"), (0.5, "yolo")]):
        made[confidence] = add(
            world,
            [image, other][number % 2],
            vector=shifted(BOX, 20 * number),
            origin="machine",
            model_name=model,
            confidence=confidence,
        ).pk
    add(world, image, vector=shifted(BOX, 300))  # a person's: not in the queue
    api = api_for(world["ada"])

    def ids(query):
        response = api.get(f"{URL}?image_set={world['sets']['private'].pk}&order=confidence&{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids("") == [made[None], made[0.2], made[0.5], made[0.9]]
    assert ids(f"after={made[0.2]}&page_size=1") == [made[0.5]]
    assert ids(f"before={made[0.5]}") == [made[0.2], made[None]], "nearest first"
    assert ids("model_name=yolo") == [made[None], made[0.5], made[0.9]]
    first = api.get(f"{URL}?order=confidence&page_size=2").json()
    assert [row["id"] for row in api.get(first["next"]).json()["results"]] == [made[0.5], made[0.9]]
    bad = api.get(f"{URL}?order=score")
    assert bad.status_code == 400
    assert "order" in bad.json()["errors"]
