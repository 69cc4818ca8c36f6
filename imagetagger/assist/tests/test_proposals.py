"""/api/v1/images/<id>/shape-proposal/: GrabCut and magic-wand polygons of a real stored image,
an interactive backend's outline, nothing saved; the refused side of every permission and every bad
input with its reason."""

import io

import cv2
import numpy as np
import pytest

from annotations.models import Annotation, AnnotationType, VectorType
from assist import services
from images.ingest import add_image_file
from images.tests.factories import make_imageset

pytestmark = pytest.mark.django_db
DISC_CENTRE, DISC_RADIUS = (160, 120), 60


def disc_png():
    """A 320×240 PNG: a red disc (DISC_CENTRE, DISC_RADIUS) on green noise."""
    rng = np.random.default_rng(3)
    scene = (rng.integers(0, 40, (240, 320, 3), dtype=np.uint8) + np.array([60, 120, 70], np.uint8)).astype(np.uint8)
    cv2.circle(scene, DISC_CENTRE, DISC_RADIUS, (40, 40, 220), -1)
    return cv2.imencode(".png", scene)[1].tobytes()


@pytest.fixture
def world(make_user, make_team, storage_dir):
    ada, bob, otto = make_user("ada"), make_user("bob"), make_user("otto")
    team = make_team("Robots", admins=[ada], members=[bob])
    image_set = make_imageset(team, creator=ada)
    add_image_file(image_set, name="disc.png", fileobj=io.BytesIO(disc_png()))
    return {"ada": ada, "bob": bob, "otto": otto, "team": team, "image": image_set.images.get()}


def url(image):
    return f"/api/v1/images/{image.pk}/shape-proposal/"


def disc_iou(vector):
    points = np.array([[vector[f"x{n}"], vector[f"y{n}"]] for n in range(1, len(vector) // 2 + 1)], np.int32)
    drawn, disc = np.zeros((240, 320), np.uint8), np.zeros((240, 320), np.uint8)
    cv2.fillPoly(drawn, [points], 1)
    cv2.circle(disc, DISC_CENTRE, DISC_RADIUS, 1, -1)
    return (drawn & disc).sum() / (drawn | disc).sum()


def test_a_box_becomes_the_polygon_of_the_object_in_it(world, api_for):
    response = api_for(world["bob"]).post(url(world["image"]), {"box": [90, 50, 230, 190]}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["source"] == "grabcut"
    assert disc_iou(body["vector"]) > 0.85
    assert body["milliseconds"] > 0
    assert not Annotation.objects.exists(), "a proposal is not saved"


def test_a_click_becomes_the_region_of_similar_colour(world, api_for):
    body = api_for(world["bob"]).post(url(world["image"]), {"point": [160, 120], "tolerance": 40}, format="json").json()
    assert body["source"] == "magic wand"
    assert disc_iou(body["vector"]) > 0.9


def test_an_interactive_backend_outlines_the_prompt(world, api_for, backend_server, settings):
    settings.ASSIST_TIMEOUT = 2.0
    outline = {
        "type": "polygonlabels",
        "value": {"points": [[10, 10], [50, 10], [30, 40]], "polygonlabels": ["object"]},
    }
    backend_server.predict = lambda body: (200, {"results": [{"result": [outline]}]})
    thing = AnnotationType.objects.create(name="thing", team=world["team"], vector_type=VectorType.POLYGON)
    backend = services.register_backend(
        actor=world["ada"],
        team=world["team"],
        name="sam",
        url=backend_server.url,
        label_map={"object": thing.pk},
        interactive=True,
    )
    response = api_for(world["bob"]).post(
        url(world["image"]), {"point": [160, 120], "backend": backend.pk}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["vector"] == {"x1": 32, "y1": 24, "x2": 160, "y2": 24, "x3": 96, "y3": 96}
    assert response.json()["source"] == "sam"
    prompt = backend_server.requests[-1][3]["params"]["context"]["result"][0]
    assert prompt["type"] == "keypointlabels"
    assert prompt["value"]["x"] == 50.0
    assert "/assist/image/" in backend_server.requests[-1][3]["tasks"][0]["data"]["image"]

    backend_server.predict = lambda body: (200, {"results": [{"result": []}]})
    empty = api_for(world["bob"]).post(
        url(world["image"]), {"box": [1, 1, 50, 50], "backend": backend.pk}, format="json"
    )
    assert (empty.status_code, "no polygon" in empty.json()["detail"]) == (400, True)
    services.update_backend(actor=world["ada"], backend=backend, interactive=False)
    plain = api_for(world["bob"]).post(
        url(world["image"]), {"box": [1, 1, 50, 50], "backend": backend.pk}, format="json"
    )
    assert "does not answer prompts" in plain.json()["detail"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, "either a box"),
        ({"box": [1, 1, 50, 50], "point": [3, 3]}, "either a box"),
        ({"box": [50, 50, 10, 10]}, "x1 < x2"),
        ({"box": [0, 0, 400, 100]}, "not inside the image"),
        ({"point": [500, 10]}, "not on the image"),
        ({"point": [10, 10], "tolerance": 300}, "255"),
        ({"box": [1, 2, 3]}, "box"),
        ({"point": [10, 10], "backend": 999999}, "no model backend"),
    ],
)
def test_bad_input_answers_400_with_the_reason(world, api_for, body, words):
    response = api_for(world["bob"]).post(url(world["image"]), body, format="json")
    assert response.status_code == 400
    assert words in response.json()["detail"]


def test_who_may_ask(world, api_for):
    assert api_for(world["otto"]).post(url(world["image"]), {"point": [5, 5]}, format="json").status_code == 404
    world["image"].image_set.public = True
    world["image"].image_set.save()
    assert api_for(world["otto"]).post(url(world["image"]), {"point": [5, 5]}, format="json").status_code == 403
    assert (
        api_for(world["bob"])
        .post("/api/v1/images/999999/shape-proposal/", {"point": [5, 5]}, format="json")
        .status_code
        == 404
    )
