"""The Python client against the real site (pytest-django's live server, real database and files):
sets, resumable uploads that never duplicate, annotations in bulk with uuids and paged reads, votes,
a COCO export read by pycocotools, a label import, model backends, pre-label jobs, the refused side
(a wrong token, another team's set, bad input) with the server's reasons, and the client's records
compared with the served OpenAPI schema so they cannot drift."""

import dataclasses
import json

import pytest
from pycocotools.coco import COCO

from imagetagger_client import AuthenticationFailed, BadRequest, Client, NotFound, PermissionDenied
from imagetagger_client.models import RECORDS

from .pictures import picture_bytes, picture_folder

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tagger(site):
    with Client(site["url"], site["token"], retries=2) as client:
        yield client


@pytest.fixture
def image_set(tagger, site):
    return tagger.create_image_set(site["team"].pk, "Street")


def _box_type(site):
    from annotations.models import AnnotationType, VectorType

    return AnnotationType.objects.create(name="car", team=site["team"], vector_type=VectorType.BOUNDING_BOX)


def test_who_teams_and_sets(tagger, site, image_set):
    assert tagger.whoami().username == "ada"
    assert [team.name for team in tagger.teams()] == ["Robots"]
    assert image_set.name == "Street"
    assert image_set.team == site["team"].pk
    assert [found.id for found in tagger.image_sets(team=site["team"].pk)] == [image_set.id]
    assert tagger.image_set(image_set.id).image_count == 0


def test_a_folder_upload_resumes_without_duplicates(tagger, image_set, tmp_path):
    folder = picture_folder(tmp_path / "photos", 12)
    (folder / "notes.txt").write_text("not an image")
    (folder / ".hidden.png").write_bytes(picture_bytes(999))
    (folder / "broken.png").write_bytes(b"this is no PNG")
    first = tagger.upload(image_set, [folder], workers=3, progress=False)
    assert len(first.added) == 12
    assert [result.name for result in first.refused] == ["broken.png"]
    assert "not" in first.refused[0].reason.lower()
    assert [path.name for path in first.ignored] == ["notes.txt"], "hidden files are skipped, others named"

    picture_folder(folder, 3, start=12)
    again = tagger.upload(image_set, [folder], progress=False)
    assert (len(again.added), len(again.skipped)) == (3, 12), "only what is missing is sent"
    names = [image.name for image in tagger.images(image_set)]
    assert len(names) == len(set(names)) == 15
    assert tagger.image_set(image_set.id).image_count == 15


def test_an_archive_is_sent_whole_and_unpacked_by_the_server(tagger, image_set, tmp_path):
    import zipfile

    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for index in range(4):
            out.writestr(f"day1/p{index}.png", picture_bytes(500 + index))
    summary = tagger.upload(image_set, [archive], progress=False)
    assert len(summary.added) == 4
    assert sorted(image.name for image in tagger.images(image_set)) == [f"day1/p{index}.png" for index in range(4)]


def test_annotations_in_bulk_paged_reads_and_votes(tagger, site, image_set, tmp_path):
    from django.contrib.auth import get_user_model

    from users.models import TeamMembership
    from users.services import create_api_token

    tagger.upload(image_set, [picture_folder(tmp_path / "p", 3)], progress=False)
    images = list(tagger.images(image_set))
    car = _box_type(site)
    items = [
        {"image": images[index % 3].id, "annotation_type": car.pk, "vector": {"x1": n, "y1": 1, "x2": n + 3, "y2": 9}}
        for index, n in enumerate(range(0, 60, 5))
    ]
    made = tagger.create_annotations(items)
    assert len(made) == 12
    assert all(annotation.uuid for annotation in made)
    replay = tagger.create_annotations(
        [{**item, "uuid": annotation.uuid} for item, annotation in zip(items, made, strict=True)]
    )
    assert [annotation.id for annotation in replay] == [annotation.id for annotation in made], "a replay adds nothing"
    listed = list(tagger.annotations(image_set=image_set, page_size=5))
    assert sorted(annotation.id for annotation in listed) == sorted(annotation.id for annotation in made)

    bob = get_user_model().objects.create_user("bob", password="pw-bob-12345")
    TeamMembership.objects.create(team=site["team"], user=bob)
    with Client(site["url"], create_api_token(user=bob, name="t")[1]) as bobs:
        tally = bobs.vote(made[0], "accept")
        assert (tally["accepts"], tally["vote"]) == (1, "accept")
        bobs.vote(made[0], None)
    with pytest.raises(PermissionDenied, match="own annotation"):
        tagger.vote(made[0], "accept")
    with pytest.raises(BadRequest) as refused:
        tagger.create_annotations([{"image": images[0].id, "annotation_type": car.pk, "vector": {"x1": 5}}])
    assert "errors" in refused.value.data


def test_export_coco_download_and_read_it_with_pycocotools(tagger, site, image_set, tmp_path):
    tagger.upload(image_set, [picture_folder(tmp_path / "p", 2)], progress=False)
    images = list(tagger.images(image_set))
    car = _box_type(site)
    tagger.create_annotations(
        [
            {"image": image.id, "annotation_type": car.pk, "vector": {"x1": 2, "y1": 3, "x2": 20, "y2": 30}}
            for image in images
        ]
    )
    export = tagger.wait_export(tagger.export(image_set, standard="coco"), progress=False)
    assert export.state == "done"
    target = tagger.download_export(export, tmp_path / "labels.json")
    coco = COCO(str(target))
    assert len(coco.getAnnIds()) == 2
    assert coco.loadAnns(coco.getAnnIds())[0]["bbox"] == [2, 3, 18, 27]


def test_label_import_round_trip(tagger, site, image_set, tmp_path):
    tagger.upload(image_set, [picture_folder(tmp_path / "p", 2)], progress=False)
    car = _box_type(site)
    lines = tmp_path / "labels.txt"
    lines.write_text(
        "img0000.png|car|" + json.dumps({"x1": 1, "y1": 1, "x2": 9, "y2": 9}) + "|\n" + "nosuch.png|car|{}|\n"
    )
    done = tagger.wait_label_import(
        tagger.import_labels(image_set, lines, format="pipe", machine_made=True, model_name="detector v1"),
        progress=False,
    )
    assert done.state == "done"
    assert done.errors == 1, done.report
    labels = list(tagger.annotations(image_set=image_set, annotation_type=car.pk))
    assert [(label.origin, label.model_name) for label in labels] == [("machine", "detector v1")]


def test_model_backends_and_a_pre_label_job_are_listed_and_started(tagger, site, image_set, tmp_path):
    from annotations.models import AnnotationType, VectorType
    from assist import services

    face = AnnotationType.objects.create(name="face", team=site["team"], vector_type=VectorType.BOUNDING_BOX)
    backend = services.register_backend(
        actor=site["ada"], team=site["team"], name="faces", url="http://127.0.0.1:9/", label_map={"face": face.pk}
    )
    assert [found.name for found in tagger.model_backends(team=site["team"].pk)] == ["faces"]
    tagger.upload(image_set, [picture_folder(tmp_path / "p", 1)], progress=False)
    job = tagger.prelabel(image_set, backend.pk)
    assert (job.state, job.image_set, job.backend) == ("queued", image_set.id, backend.pk)
    assert tagger.get_prelabel_job(job).id == job.id


def test_refusals_carry_the_servers_reason(tagger, site, image_set):
    with Client(site["url"], "not-a-token", retries=0) as stranger, pytest.raises(AuthenticationFailed) as refused:
        stranger.whoami()
    assert refused.value.status == 401
    assert "token" in str(refused.value).lower()
    with Client(site["url"], site["otto_token"]) as otto:
        with pytest.raises(NotFound):
            otto.image_set(image_set.id)
        with pytest.raises(NotFound):
            list(otto.images(image_set))
        assert list(otto.image_sets()) == []
    with pytest.raises(BadRequest, match="name"):
        tagger.create_image_set(site["team"].pk, "")
    with pytest.raises(BadRequest, match="standard|format"):
        tagger.export(image_set, standard="no-such-format")


def test_the_records_match_the_served_openapi_schema(tagger, site):
    schema = tagger.transport.json("GET", "/api/schema/", params={"format": "json"})
    components = schema["components"]["schemas"]
    for record in RECORDS:
        served = set(components[record.SCHEMA]["properties"])
        mine = {item.name for item in dataclasses.fields(record)} - {"extra"}
        assert mine == served, f"{record.__name__}: missing {served - mine}, not served {mine - served}"
