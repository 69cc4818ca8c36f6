"""The team's model backends page: members see it, admins register, change, check and delete;
outsiders get 404; every refused action says why; the auth header never shows."""

import pytest

from annotations.models import AnnotationType, VectorType
from assist import services
from assist.models import JobState, ModelBackend, PrelabelJob
from images.tests.factories import add_image_rows, make_imageset

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_user, make_team):
    ada, bob, otto = make_user("ada"), make_user("bob"), make_user("otto")
    team = make_team("Robots", admins=[ada], members=[bob])
    face = AnnotationType.objects.create(name="face", team=team, vector_type=VectorType.BOUNDING_BOX)
    line = AnnotationType.objects.create(name="edge", team=team, vector_type=VectorType.LINE)
    return {"ada": ada, "bob": bob, "otto": otto, "team": team, "face": face, "line": line}


def page(world):
    return f"/assist/team/{world['team'].pk}/backends/"


def form(world, url, **fields):
    return {
        "name": "faces",
        "url": url,
        "auth_header": "Bearer page-secret-token-4321",
        f"label_{world['face'].pk}": "face",
        **fields,
    }


def test_an_admin_registers_checks_edits_and_deletes_a_backend(world, client_for, backend_server):
    client = client_for(world["ada"])
    shown = client.get(page(world))
    assert shown.status_code == 200
    html = shown.content.decode()
    assert "The backend’s label for “face”" in html
    assert "“edge”" not in html, "a line type cannot be filled by a backend: not offered"

    response = client.post(page(world), form(world, backend_server.url), follow=True)
    backend = ModelBackend.objects.get()
    assert (backend.label_map, backend.auth_header) == ({"face": world["face"].pk}, "Bearer page-secret-token-4321")
    html = response.content.decode()
    assert "registered" in html
    assert "page-secret" not in html
    assert "Bearer ••••4321" in html

    checked = client.post(f"/assist/backends/{backend.pk}/check/", follow=True).content.decode()
    assert "UP, model version v1" in checked

    edit = f"/assist/backends/{backend.pk}/edit/"
    assert client.get(edit).status_code == 200
    client.post(edit, form(world, backend_server.url, name="faces 2", auth_header=""))
    backend.refresh_from_db()
    assert (backend.name, backend.auth_header) == ("faces 2", "Bearer page-secret-token-4321"), "empty keeps it"
    client.post(edit, form(world, backend_server.url, auth_header="-"))
    backend.refresh_from_db()
    assert backend.auth_header == ""

    client.post(f"/assist/backends/{backend.pk}/delete/")
    assert not ModelBackend.objects.exists()


def test_a_bad_registration_shows_the_reason_and_saves_nothing(world, client_for):
    response = client_for(world["ada"]).post(
        page(world), form(world, "ftp://somewhere", **{f"label_{world['face'].pk}": ""})
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "http:// or https://" in html
    assert not ModelBackend.objects.exists()


def test_members_see_but_may_not_change_outsiders_see_nothing(world, client_for, backend_server):
    client_for(world["ada"]).post(page(world), form(world, backend_server.url))
    backend = ModelBackend.objects.get()
    member = client_for(world["bob"])
    html = member.get(page(world)).content.decode()
    assert "faces" in html
    assert "Register a model backend" not in html
    assert member.post(page(world), form(world, backend_server.url, name="other")).status_code == 403
    for action in ("check", "delete", "edit"):
        assert member.post(f"/assist/backends/{backend.pk}/{action}/").status_code == 403
    outsider = client_for(world["otto"])
    assert outsider.get(page(world)).status_code == 404
    for action in ("check", "delete", "edit"):
        assert outsider.post(f"/assist/backends/{backend.pk}/{action}/").status_code == 404
    assert ModelBackend.objects.get().name == "faces"


@pytest.fixture
def with_set(world, backend_server):
    image_set = make_imageset(world["team"], creator=world["ada"])
    add_image_rows(image_set, 2)
    backend = services.register_backend(
        actor=world["ada"],
        team=world["team"],
        name="faces",
        url=backend_server.url,
        label_map={"face": world["face"].pk},
    )
    return image_set, backend


def test_the_set_page_offers_pre_labelling_to_members_and_shows_the_jobs(world, client_for, with_set):
    image_set, backend = with_set
    member = client_for(world["bob"])
    html = member.get(f"/images/imageset/{image_set.pk}/").content.decode()
    assert "Pre-label this set" in html
    response = member.post(f"/assist/imagesets/{image_set.pk}/prelabel/", {"backend": backend.pk}, follow=True)
    job = PrelabelJob.objects.get()
    html = response.content.decode()
    assert "is labelling the set" in html
    assert f'data-job-id="{job.pk}"' in html
    assert "0 of 2 images" in html
    again = member.post(f"/assist/imagesets/{image_set.pk}/prelabel/", {"backend": backend.pk}, follow=True)
    assert "labelling this set already" in again.content.decode()
    assert PrelabelJob.objects.count() == 1
    member.post(f"/assist/jobs/{job.pk}/cancel/")
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED


def test_outsiders_see_no_panel_and_cannot_start_or_cancel(world, client_for, with_set):
    image_set, backend = with_set
    image_set.public = True
    image_set.save()
    outsider = client_for(world["otto"])
    assert "Pre-label" not in outsider.get(f"/images/imageset/{image_set.pk}/").content.decode()
    refused = outsider.post(f"/assist/imagesets/{image_set.pk}/prelabel/", {"backend": backend.pk}, follow=True)
    assert "Choose one of the team" in refused.content.decode()
    assert not PrelabelJob.objects.exists()
    job, _ = services.start_prelabel(actor=world["bob"], backend=backend, image_set=image_set)
    assert outsider.post(f"/assist/jobs/{job.pk}/cancel/").status_code == 404
    assert (
        client_for(world["bob"]).post(f"/assist/imagesets/{image_set.pk}/prelabel/", {"backend": "x"}).status_code
        == 302
    )


def test_the_annotate_page_offers_the_teams_interactive_backends_to_who_may_draw(world, client_for):
    image_set = make_imageset(world["team"], public=True)
    add_image_rows(image_set, 1)
    image = image_set.images.get()
    outline = AnnotationType.objects.create(name="blob", team=world["team"], vector_type=VectorType.POLYGON)
    for name, interactive in (("sam", True), ("detector", False)):
        services.register_backend(
            actor=world["ada"],
            team=world["team"],
            name=name,
            url="http://127.0.0.1:9/",
            label_map={"object": outline.pk},
            interactive=interactive,
        )
    html = client_for(world["bob"]).get(f"/annotations/{image.pk}/").content.decode()
    assert 'id="assist-outline"' in html
    assert '<option value="">OpenCV</option>' in html
    sam = ModelBackend.objects.get(name="sam")
    assert f'<option value="{sam.pk}" selected>sam</option>' in html, "the model by default"
    assert "detector" not in html, "only backends that answer prompts are offered"

    public = client_for(world["otto"]).get(f"/annotations/{image.pk}/")
    assert public.status_code == 200, "a public set: readable by everyone"
    html = public.content.decode()
    assert 'id="assist-tools"' not in html, "who may not draw gets no drawing tools"
    assert "sam" not in html


def test_the_annotate_page_offers_no_engine_choice_without_an_interactive_backend(world, client_for):
    image_set = make_imageset(world["team"])
    add_image_rows(image_set, 1)
    html = client_for(world["bob"]).get(f"/annotations/{image_set.images.get().pk}/").content.decode()
    assert 'id="assist-wand"' in html, "OpenCV's outline and wand need no backend"
    assert 'id="assist-engine"' not in html
