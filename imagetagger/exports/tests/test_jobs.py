"""The export job, the service's permissions, downloads (HTML and API) and the queued path run by the worker."""

import io
import json
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.urls import reverse

from base.tests.s3 import fetched
from exports import jobs
from exports.models import Export, ExportFormat, ExportState, StandardFormat

from .format_factories import make_format
from .helpers import BOX, labelled_set

# Every test runs with the local folder and with a bucket (moto's S3 server, see conftest.storage_dir).
pytestmark = pytest.mark.storages("filesystem", "s3")


@pytest.fixture
def world(make_user, make_team, storage_dir):
    """alice admins team A (set "Field day", private, labelled); bob is in team B; carol in no team."""
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    team_a = make_team("A", admins=[alice])
    team_b = make_team("B", admins=[bob])
    image_set, types = labelled_set(team_a, alice, name="Field day")
    return {"alice": alice, "bob": bob, "carol": carol, "team_a": team_a, "team_b": team_b, "set": image_set, **types}


def pipe_format(team, types, **fields):
    return make_format(
        team,
        types,
        annotation_format="%%imagename|%%type|{%%vector}",
        vector_format='"x%%count1": %%x,"y%%count1": %%y,',
        not_in_image_format="%%imagename|%%type|not in image",
        name_format="%%imageset-%%exportid.txt",
        **fields,
    )


def read(export):
    with default_storage.open(export.file, "rb") as handle:
        return handle.read()


def test_small_standard_export_is_done_at_once(world):
    export = jobs.create_export(actor=world["alice"], image_set=world["set"], standard=StandardFormat.PIPE)
    assert export.state == ExportState.DONE
    assert export.progress == 100
    assert export.filename == "Field day_pipe.txt"
    assert export.file == f"exports/{world['set'].path}/{export.pk}-Field_day_pipe.txt"
    assert export.annotation_count == 6
    assert export.size == len(read(export))
    assert read(export).decode().count("\n") == 6
    assert export.report["written"] == {"ball": 2, "field": 2, "line": 1, "spot": 1}
    assert export.finished is not None


@pytest.mark.parametrize(
    ("standard", "name"),
    [("coco", "Field day_coco.json"), ("voc", "Field day_voc.zip"), ("yolo", "Field day_yolo.zip")],
)
def test_standard_file_names(world, standard, name):
    export = jobs.create_export(actor=world["alice"], image_set=world["set"], standard=standard)
    assert export.filename == name
    assert export.state == ExportState.DONE


def test_template_export_uses_the_template_engine(world):
    export_format = pipe_format(world["team_a"], [world["ball"], world["field"]])
    export = jobs.create_export(actor=world["alice"], image_set=world["set"], export_format=export_format)
    assert export.state == ExportState.DONE
    assert export.filename == f"Field day-{export.pk}.txt"
    assert export.format_name == f"A/{export_format.name}"
    text = read(export).decode()
    assert 'img00000.png|ball|{"x1": 10,"y1": 20,"x2": 110,"y2": 220,}' in text
    assert "img00001.png|field|not in image" in text
    assert export.annotation_count == 4
    assert export.report["written"] == {"ball": 2, "field": 2}


def test_an_old_base_format_without_content_reports_no_labels_written(world):
    """The form requires %%content now; an older format without it writes only its frame, and the
    report says so instead of counting the labels it left out as written."""
    export_format = pipe_format(world["team_a"], [world["ball"], world["field"]])
    ExportFormat.objects.filter(pk=export_format.pk).update(base_format="labels of %%imageset\n")
    export_format.refresh_from_db()
    export = jobs.create_export(actor=world["alice"], image_set=world["set"], export_format=export_format)
    assert export.state == ExportState.DONE
    assert read(export).decode() == "labels of Field day\n"
    assert export.annotation_count == 0
    assert export.report["written"] == {}


def test_service_refusals(world):
    alice, carol = world["alice"], world["carol"]
    image_set = world["set"]
    with pytest.raises(PermissionDenied):
        jobs.create_export(actor=carol, image_set=image_set, standard="coco")
    private_b = pipe_format(world["team_b"], [world["ball"]])
    with pytest.raises(PermissionDenied, match="export format"):
        jobs.create_export(actor=alice, image_set=image_set, export_format=private_b)
    with pytest.raises(ValidationError, match="Unknown standard"):
        jobs.create_export(actor=alice, image_set=image_set, standard="tiff")
    with pytest.raises(ValidationError, match="either"):
        jobs.create_export(actor=alice, image_set=image_set)
    with pytest.raises(ValidationError, match="Unknown options"):
        jobs.create_export(actor=alice, image_set=image_set, standard="voc", options={"keypoints": True})
    assert not Export.objects.exists()


def test_reader_of_public_set_may_export_with_public_and_own_formats_only(world, api_for, make_team):
    image_set = world["set"]
    image_set.public = True
    image_set.save()
    carol = world["carol"]
    team_c = make_team("C", admins=[carol])
    own = pipe_format(team_c, [world["ball"]])
    public_b = pipe_format(world["team_b"], [world["ball"]], public=True)
    private_b = pipe_format(world["team_b"], [world["ball"]])
    api = api_for(carol)
    url = reverse("api:imageset-exports", args=[image_set.pk])
    assert api.post(url, {"format": own.pk}, format="json").status_code == 201
    assert api.post(url, {"format": public_b.pk}, format="json").status_code == 201
    refused = api.post(url, {"format": private_b.pk}, format="json")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "You may not use this export format."}
    assert api.post(url, {"standard": "coco"}, format="json").status_code == 201
    listed = {item["id"] for item in api.get(reverse("api:export-format-list")).json()["results"]}
    assert listed == {own.pk, public_b.pk}


def test_api_create_poll_download(world, api_for):
    api = api_for(world["alice"])
    response = api.post(
        reverse("api:imageset-exports", args=[world["set"].pk]),
        {"standard": "coco", "options": {"keypoints": False}},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "done"
    assert response["Location"] == body["status_url"]
    assert body["report"]["skipped"] == [
        "1 point skipped: keypoints were switched off for this export",
        "1 line skipped: keypoints were switched off for this export",
        "1 not-in-image label(s) skipped: COCO has no way to say that an object is not in an image",
    ]
    status = api.get(body["status_url"]).json()
    assert status["download_url"].endswith(f"/api/v1/exports/{body['id']}/download/")
    status, headers, data = fetched(api.get(status["download_url"]))
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert headers["Content-Disposition"] == 'attachment; filename="Field day_coco.json"'
    document = json.loads(data)
    assert len(document["annotations"]) == 3
    listed = api.get(reverse("api:imageset-exports", args=[world["set"].pk])).json()
    assert [item["id"] for item in listed["results"]] == [body["id"]]


def test_api_bad_requests(world, api_for):
    api = api_for(world["alice"])
    url = reverse("api:imageset-exports", args=[world["set"].pk])
    both = api.post(url, {"standard": "coco", "format": 1}, format="json")
    assert both.status_code == 400
    assert "either" in both.json()["detail"]
    assert api.post(url, {"standard": "tiff"}, format="json").status_code == 400
    assert api.post(url, {"format": 987654}, format="json").json()["errors"] == {
        "format": ["There is no export format with this id."]
    }
    bad = api.post(url, {"standard": "coco", "options": {"types": "x"}}, format="json")
    assert bad.status_code == 400
    assert "types" in bad.json()["detail"]


def test_outsiders_get_404_everywhere(world, api_for, client_for):
    export = jobs.create_export(actor=world["alice"], image_set=world["set"], standard="pipe")
    api = api_for(world["bob"])
    assert api.post(reverse("api:imageset-exports", args=[world["set"].pk]), {"standard": "coco"}).status_code == 404
    assert api.get(reverse("api:imageset-exports", args=[world["set"].pk])).status_code == 404
    assert api.get(reverse("api:export-detail", args=[export.pk])).status_code == 404
    assert api.get(reverse("api:export-download", args=[export.pk])).status_code == 404
    client = client_for(world["bob"])
    assert client.get(reverse("exports:download_export", args=[export.pk])).status_code == 404
    assert client.get(reverse("exports:export_status", args=[export.pk])).status_code == 404
    assert client.get(reverse("exports:set_exports", args=[world["set"].pk])).status_code == 404
    assert client.post(reverse("exports:create_export", args=[world["set"].pk]), {}).status_code == 404
    assert api_for().get(reverse("api:export-detail", args=[export.pk])).status_code in (401, 403)


def test_html_download_for_readers_with_quoted_name(world, client_for):
    world["set"].name = 'Feld "ä"; x'
    world["set"].save()
    export = jobs.create_export(actor=world["alice"], image_set=world["set"], standard="voc")
    status, headers, data = fetched(
        client_for(world["alice"]).get(reverse("exports:download_export", args=[export.pk]))
    )
    assert status == 200
    assert headers["Content-Type"] == "application/zip"
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''")
    assert "%22" in disposition
    assert '"ä"' not in disposition
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "Annotations/img00000.xml" in archive.namelist()
    # Anonymous: to the login page.
    from django.test import Client

    assert Client().get(reverse("exports:download_export", args=[export.pk])).status_code == 302


def test_html_create_from_the_set_page(world, client_for):
    client = client_for(world["alice"])
    url = reverse("exports:create_export", args=[world["set"].pk])
    response = client.post(url, {"export_format": "standard:yolo"})
    assert response.status_code == 302
    export = Export.objects.get()
    assert export.standard == "yolo"
    assert export.state == ExportState.DONE
    private_b = pipe_format(world["team_b"], [world["ball"]])
    client.post(url, {"export_format": f"format:{private_b.pk}"})
    client.post(url, {"export_format": "nonsense"})
    assert Export.objects.count() == 1
    page = client.get(world["set"].get_absolute_url())
    assert page.status_code == 200
    panel = page.content.decode()
    assert 'id="exports"' in panel
    assert "Field day_yolo.zip" in panel
    assert "1 polygon written as boxes" in panel
    assert "standard:coco" in panel
    status = client.get(reverse("exports:set_exports", args=[world["set"].pk])).json()
    assert status["exports"][0]["report"]["converted"] == ["1 polygon written as boxes"]


def test_html_create_with_the_images(world, client_for):
    client = client_for(world["alice"])
    url = reverse("exports:create_export", args=[world["set"].pk])
    response = client.post(url, {"export_format": "standard:voc", "images": "on"}, follow=True)
    export = Export.objects.get()
    assert (export.standard, export.options) == ("voc", {"images": True})
    assert export.state == ExportState.QUEUED, "the worker copies the images"
    assert "being written in the background" in response.content.decode()
    for refused in ("standard:pipe", f"format:{pipe_format(world['team_a'], [world['ball']]).pk}"):
        response = client.post(url, {"export_format": refused, "images": "on"}, follow=True)
        assert (
            "Only COCO, Pascal VOC, YOLO, CVAT, LabelMe and Datumaro exports can hold the images."
            in response.content.decode()
        )
    assert Export.objects.count() == 1
    assert 'id="export-images"' in client.get(world["set"].get_absolute_url()).content.decode()


def test_html_create_with_the_filters(world, client_for):
    client = client_for(world["alice"])
    url = reverse("exports:create_export", args=[world["set"].pk])
    form = {"export_format": "standard:coco", "origin": "machine", "min_verifications": "1", "min_confidence": "0.5"}
    client.post(url, form)
    export = Export.objects.get()
    assert export.options == {"origin": "machine", "min_verifications": 1, "min_confidence": 0.5}
    for bad, words in ((("min_confidence", "lots"), "is not a number"), (("min_confidence", "3"), "from 0 to 1")):
        response = client.post(url, {**form, bad[0]: bad[1]}, follow=True)
        assert words in response.content.decode()
    assert Export.objects.count() == 1


def test_panel_shown_to_members_and_to_readers_of_public_sets(world, client_for):
    page = client_for(world["alice"]).get(world["set"].get_absolute_url()).content.decode()
    assert 'id="export-form"' in page
    world["set"].public = True
    world["set"].save()
    # A reader of a public set may export too (create_export is part of the public rights).
    assert 'id="export-form"' in client_for(world["carol"]).get(world["set"].get_absolute_url()).content.decode()


def test_download_of_unfinished_and_failed_exports(world, api_for):
    export = Export.objects.create(image_set=world["set"], user=world["alice"], standard="pipe", format_name="x")
    api = api_for(world["alice"])
    queued = api.get(reverse("api:export-download", args=[export.pk]))
    assert queued.status_code == 202
    assert queued["Retry-After"] == "2"
    Export.objects.filter(pk=export.pk).update(state=ExportState.FAILED, error="Disk full.")
    failed = api.get(reverse("api:export-download", args=[export.pk]))
    assert failed.status_code == 409
    assert failed.json()["detail"] == "The export failed: Disk full."


def test_a_failing_job_records_a_clear_error_and_writes_nothing(world, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr("exports.standard.write", broken)
    export = jobs.create_export(actor=world["alice"], image_set=world["set"], standard="coco")
    assert export.state == ExportState.FAILED
    assert export.error == "Unexpected error while writing the export (OSError: No space left on device)."
    assert export.file == ""
    assert not default_storage.exists(f"exports/{world['set'].path}")


def test_a_job_runs_once(world):
    export = jobs.create_export(actor=world["alice"], image_set=world["set"], standard="pipe")
    assert jobs.run(export.pk) == {"export": export.pk, "result": "not queued"}


def _run_worker():
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()


@pytest.mark.django_db(transaction=True)
def test_large_export_is_queued_and_the_worker_writes_it(world, settings, api_for):
    from annotations.models import Annotation

    settings.EXPORT_INLINE_LIMIT = 3
    image = world["set"].images.get(name="img00002.png")
    Annotation.objects.bulk_create(
        [Annotation(image=image, annotation_type=world["ball"], vector={**BOX, "x1": index}) for index in range(0, 10)]
    )
    api = api_for(world["alice"])
    response = api.post(reverse("api:imageset-exports", args=[world["set"].pk]), {"standard": "pipe"}, format="json")
    assert response.status_code == 202
    body = response.json()
    assert body["state"] == "queued"
    assert body["download_url"] is None
    assert api.get(body["status_url"]).json()["state"] == "queued"
    _run_worker()
    status = api.get(body["status_url"]).json()
    assert status["state"] == "done"
    assert status["progress"] == 100
    assert status["annotation_count"] == 16
    status, _headers, data = fetched(api.get(status["download_url"]))
    assert (status, data.decode().count("\n")) == (200, 16)


@pytest.mark.django_db(transaction=True)
def test_an_export_abandoned_by_a_dead_worker_is_queued_again_and_written(world):
    from datetime import timedelta

    from django.utils import timezone

    export = jobs.create_export(actor=world["alice"], image_set=world["set"], standard="pipe")
    # As if a worker had claimed it and died six minutes ago, half-way through.
    Export.objects.filter(pk=export.pk).update(
        state=ExportState.RUNNING, progress=40, heartbeat=timezone.now() - timedelta(minutes=6), file=""
    )
    fresh = jobs.create_export(actor=world["alice"], image_set=world["set"], standard="coco")
    Export.objects.filter(pk=fresh.pk).update(state=ExportState.RUNNING, heartbeat=timezone.now())

    assert jobs.requeue_stale() == 1
    _run_worker()

    export.refresh_from_db()
    fresh.refresh_from_db()
    assert export.state == ExportState.DONE
    assert export.file
    assert fresh.state == ExportState.RUNNING  # alive: left alone
    assert jobs.requeue_stale() == 0


def test_progress_is_written_now_and_then(world, monkeypatch):
    export = Export.objects.create(image_set=world["set"], standard="pipe", format_name="x", state=ExportState.RUNNING)
    monkeypatch.setattr(jobs, "PROGRESS_SECONDS", 0)
    progress = jobs._Progress(export.pk, 2000)
    progress(100)
    export.refresh_from_db()
    assert export.progress == 0
    progress(1000)
    export.refresh_from_db()
    assert export.progress == 50


def test_deleting_the_set_deletes_its_export_files(world, django_capture_on_commit_callbacks):
    from images.services import delete_imageset

    export = jobs.create_export(actor=world["alice"], image_set=world["set"], standard="coco")
    assert default_storage.exists(export.file)
    with django_capture_on_commit_callbacks(execute=True):
        delete_imageset(actor=world["alice"], image_set=world["set"])
    assert not Export.objects.exists()
    assert not default_storage.exists(export.file)
