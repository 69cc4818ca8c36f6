"""The `imagetagger` command in process against the live site: login stores the address and token
(owner-only file), every command's text and --json output, exit statuses and the server's reasons on
standard error. (The installed command against gunicorn and the worker: imagetagger/e2e/test_cli.py.)"""

import io
import json
import os
import stat

import pytest

from imagetagger_client import Client
from imagetagger_client.cli import main

from .pictures import picture_folder

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def config_file(tmp_path, monkeypatch):
    path = tmp_path / "config" / "imagetagger.json"
    monkeypatch.setenv("IMAGETAGGER_CONFIG", str(path))
    monkeypatch.delenv("IMAGETAGGER_URL", raising=False)
    monkeypatch.delenv("IMAGETAGGER_TOKEN", raising=False)
    return path


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_login_stores_an_owner_only_config_that_later_commands_use(site, capsys, config_file, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(site["token"] + "\n"))
    status, out, _ = run(capsys, "--url", site["url"], "login", "--token-stdin")
    assert status == 0
    assert "Logged in as ada" in out
    assert json.loads(config_file.read_text()) == {"url": site["url"], "token": site["token"]}
    assert stat.S_IMODE(os.stat(config_file).st_mode) == 0o600
    status, out, _ = run(capsys, "whoami")
    assert (status, out.strip()) == (0, "ada (ada@example.org)")
    status, out, _ = run(capsys, "--json", "whoami")
    assert json.loads(out)["username"] == "ada"


def test_a_wrong_token_is_refused_at_login_and_nothing_is_stored(site, capsys, config_file):
    status, _, err = run(capsys, "--url", site["url"], "--token", "nope", "login")
    assert status == 1
    assert "token" in err.lower()
    assert not config_file.exists()


def test_without_a_token_the_command_says_how_to_get_one(capsys):
    status, _, err = run(capsys, "--url", "http://127.0.0.1:9", "whoami")
    assert status == 2
    assert "imagetagger login" in err


def test_sets_upload_export_and_import_labels(site, capsys, tmp_path):
    from annotations.models import AnnotationType, VectorType

    with Client(site["url"], site["token"]) as tagger:
        image_set = tagger.create_image_set(site["team"].pk, "Street")
    AnnotationType.objects.create(name="car", team=site["team"], vector_type=VectorType.BOUNDING_BOX)
    common = ("--url", site["url"], f"--token={site['token']}")

    status, out, _ = run(capsys, *common, "sets")
    assert (status, out.strip()) == (0, f"{image_set.id}  Street  (Robots, 0 images)")

    folder = picture_folder(tmp_path / "p", 3)
    status, out, _ = run(capsys, *common, "--quiet", "upload", str(image_set.id), str(folder))
    assert (status, out.strip()) == (0, "3 added, 0 already in the set, 0 duplicates, 0 refused")
    (folder / "bad.png").write_bytes(b"no picture")
    status, out, _ = run(capsys, *common, "--json", "upload", str(image_set.id), str(folder))
    body = json.loads(out)
    assert status == 1, "a refused file makes the exit status 1"
    assert (body["added"], body["skipped"], len(body["refused"])) == (0, 3, 1)

    labels = tmp_path / "labels.txt"
    labels.write_text('img0000.png|car|{"x1": 1, "y1": 2, "x2": 10, "y2": 20}|\n')
    status, out, _ = run(
        capsys, *common, "--json", "--quiet", "import-labels", str(image_set.id), str(labels), "--format", "pipe"
    )
    assert status == 0
    assert json.loads(out)["state"] == "done"

    target = tmp_path / "out.json"
    status, out, _ = run(
        capsys,
        *common,
        "--quiet",
        "export",
        str(image_set.id),
        "--format",
        "coco",
        "--option",
        "min_verifications=0",
        "-o",
        str(target),
    )
    assert status == 0, out
    assert out.strip() == f"1 labels exported to {target}."
    assert len(json.loads(target.read_text())["annotations"]) == 1

    status, _, err = run(capsys, *common, "export", str(image_set.id), "--format", "nonsense")
    assert status == 1
    assert "standard" in err


def test_prelabel_starts_a_job_and_an_unknown_backend_is_refused(site, capsys, tmp_path):
    from annotations.models import AnnotationType, VectorType
    from assist import services

    face = AnnotationType.objects.create(name="face", team=site["team"], vector_type=VectorType.BOUNDING_BOX)
    backend = services.register_backend(
        actor=site["ada"], team=site["team"], name="faces", url="http://127.0.0.1:9/", label_map={"face": face.pk}
    )
    with Client(site["url"], site["token"]) as tagger:
        image_set = tagger.create_image_set(site["team"].pk, "Faces")
        tagger.upload(image_set, [picture_folder(tmp_path / "p", 1)], progress=False)
    common = ("--url", site["url"], f"--token={site['token']}")
    status, out, _ = run(
        capsys, *common, "--json", "prelabel", str(image_set.id), "--backend", str(backend.pk), "--no-wait"
    )
    assert status == 0
    assert json.loads(out)["state"] == "queued"
    status, _, err = run(capsys, *common, "prelabel", str(image_set.id), "--backend", "999999", "--no-wait")
    assert status == 1
    assert "backend" in err
