"""/api/v1/model-backends/ and /api/v1/prelabel-jobs/: the allowed and the refused side of each
action, the auth header never shown back, clear 400s for bad input."""

import pytest

from annotations.models import AnnotationType, VectorType
from assist.models import JobState, ModelBackend, PrelabelJob
from images.tests.factories import add_image_rows, make_imageset

pytestmark = pytest.mark.django_db
BACKENDS, JOBS = "/api/v1/model-backends/", "/api/v1/prelabel-jobs/"


@pytest.fixture
def world(make_user, make_team, backend_server):
    ada, bob, otto = make_user("ada"), make_user("bob"), make_user("otto")
    team = make_team("Robots", admins=[ada], members=[bob])
    others = make_team("Others", admins=[otto])
    face = AnnotationType.objects.create(name="face", team=team, vector_type=VectorType.BOUNDING_BOX)
    foreign = AnnotationType.objects.create(name="car", team=others, vector_type=VectorType.BOUNDING_BOX)
    image_set = make_imageset(team, creator=ada)
    add_image_rows(image_set, 3)
    return {
        "ada": ada,
        "bob": bob,
        "otto": otto,
        "team": team,
        "others": others,
        "face": face,
        "foreign": foreign,
        "set": image_set,
        "server": backend_server,
    }


def register(world, api_for, user="ada", **fields):
    body = {
        "team": world["team"].pk,
        "name": "faces",
        "url": world["server"].url,
        "label_map": {"face": world["face"].pk},
        "auth_header": "Bearer very-secret-token-9876",
        **fields,
    }
    return api_for(world[user]).post(BACKENDS, body, format="json")


def test_an_admin_registers_a_backend_and_the_header_is_never_shown(world, api_for):
    response = register(world, api_for)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["auth_header_masked"] == "Bearer ••••9876"
    assert "auth_header" not in body
    assert "very-secret" not in api_for(world["bob"]).get(f"{BACKENDS}{body['id']}/").content.decode()
    assert ModelBackend.objects.get().auth_header == "Bearer very-secret-token-9876"


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"url": "ftp://x"}, "url", "http://"),
        ({"url": "http://user:pw@host"}, "url", "auth header"),
        ({"label_map": {}}, "label_map", "at least one"),
        ({"label_map": {"face": 999999}}, "label_map", "no active type"),
        ({"name": ""}, "name", ""),
        ({"auth_header": "Bearer a\\nInjected: 1"}, "auth_header", "one header value"),
    ],
)
def test_bad_registrations_answer_400_with_the_reason(world, api_for, fields, field, words):
    fields = {key: (value.replace("\\n", "\n") if isinstance(value, str) else value) for key, value in fields.items()}
    response = register(world, api_for, **fields)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert words in response.json()["detail"]
    assert not ModelBackend.objects.exists()


def test_a_type_of_another_team_cannot_be_mapped(world, api_for):
    response = register(world, api_for, label_map={"car": world["foreign"].pk})
    assert response.status_code == 400
    assert "no active type" in response.json()["detail"]


def test_who_may_register_see_change_and_delete(world, api_for):
    assert register(world, api_for, user="bob").status_code == 403  # a member
    assert register(world, api_for, user="otto").status_code == 400  # not in the team: like a missing one
    backend_id = register(world, api_for).json()["id"]
    url = f"{BACKENDS}{backend_id}/"
    assert api_for(world["bob"]).get(url).status_code == 200
    assert api_for(world["otto"]).get(url).status_code == 404
    assert api_for(world["otto"]).get(BACKENDS).json()["results"] == []
    assert api_for(world["bob"]).patch(url, {"name": "x"}, format="json").status_code == 403
    assert api_for(world["otto"]).patch(url, {"name": "x"}, format="json").status_code == 404
    assert api_for(world["bob"]).delete(url).status_code == 403
    changed = api_for(world["ada"]).patch(url, {"name": "faces 2", "auth_header": ""}, format="json")
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["auth_header_masked"]) == ("faces 2", "")
    assert api_for(world["ada"]).delete(url).status_code == 204


def test_check_asks_health_and_setup(world, api_for):
    backend_id = register(world, api_for).json()["id"]
    checked = api_for(world["ada"]).post(f"{BACKENDS}{backend_id}/check/")
    assert checked.status_code == 200
    assert (checked.json()["last_status"], checked.json()["model_version"]) == ("UP, model version v1", "v1")
    setup = [body for method, path, _, body in world["server"].requests if path == "/setup"][0]
    assert '<Label value="face"/>' in setup["schema"]
    world["server"].health = {"status": "DOWN"}
    assert "not UP" in api_for(world["ada"]).post(f"{BACKENDS}{backend_id}/check/").json()["last_status"]
    assert api_for(world["bob"]).post(f"{BACKENDS}{backend_id}/check/").status_code == 403


def test_a_member_starts_follows_and_cancels_a_job(world, api_for):
    backend_id = register(world, api_for).json()["id"]
    api = api_for(world["bob"])
    started = api.post(JOBS, {"backend": backend_id, "image_set": world["set"].pk}, format="json")
    assert started.status_code == 201, started.json()
    job = started.json()
    assert (job["state"], job["images_total"], job["percent"]) == (JobState.QUEUED, 3, 0)
    again = api.post(JOBS, {"backend": backend_id, "image_set": world["set"].pk}, format="json")
    assert (again.status_code, again.json()["id"]) == (200, job["id"])
    assert [row["id"] for row in api.get(f"{JOBS}?image_set={world['set'].pk}").json()["results"]] == [job["id"]]
    assert api_for(world["otto"]).get(f"{JOBS}{job['id']}/").status_code == 404
    assert api_for(world["otto"]).post(f"{JOBS}{job['id']}/cancel/").status_code == 404
    cancelled = api.post(f"{JOBS}{job['id']}/cancel/")
    assert cancelled.json()["state"] == JobState.CANCELLED
    assert api.post(f"{JOBS}{job['id']}/cancel/").status_code == 404


def test_outsiders_and_bad_ids_cannot_start_jobs(world, api_for):
    backend_id = register(world, api_for).json()["id"]
    outsider = api_for(world["otto"]).post(JOBS, {"backend": backend_id, "image_set": world["set"].pk}, format="json")
    assert outsider.status_code == 400
    assert "backend" in outsider.json()["errors"]
    missing = api_for(world["bob"]).post(JOBS, {"backend": backend_id, "image_set": 10**9}, format="json")
    assert "image_set" in missing.json()["errors"]
    assert not PrelabelJob.objects.exists()
