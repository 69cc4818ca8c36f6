"""Issue 18's acceptance for the command line: the `imagetagger` command installed by `make install`
uploads a folder of 1,000 images to a live site (gunicorn with the site's configuration, and the
background worker, as real processes) with a progress bar; the server is killed in the middle and
started again, and the upload goes on and ends without a duplicate; a second run sends nothing; a COCO
export is made, downloaded and read by pycocotools; the set's zip archive, built by the worker, is
downloaded. The processes share the test's database (see images/tests/test_zip_daemon.py)."""

import json
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest
from pycocotools.coco import COCO

from images.models import Image
from images.tests.factories import make_imageset
from images.tests.test_zip_daemon import Daemons, shared_db, sqlite_template  # noqa: F401 (pytest fixtures)
from users.services import create_api_token

pytestmark = pytest.mark.django_db(transaction=True)

REPO = Path(__file__).resolve().parents[2]
IMAGETAGGER = Path(sys.executable).parent / "imagetagger"
GUNICORN = Path(sys.executable).parent / "gunicorn"
IMAGES = 1000
TIMEOUT = 300


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Site:
    """gunicorn serving the site on ``port`` with config/gunicorn.conf.py; restartable."""

    def __init__(self, env, folder, port):
        self.env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2"}
        self.folder = folder
        self.url = f"http://127.0.0.1:{port}"
        self.port = port
        self.process = None
        self.starts = 0

    def start(self):
        self.starts += 1
        log = open(self.folder / f"gunicorn-{self.starts}.log", "w")  # noqa: SIM115 (closed with the process)
        self.process = subprocess.Popen(
            [str(GUNICORN), "-c", str(REPO / "config" / "gunicorn.conf.py"), "imagetagger.wsgi"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    pytest.fail(f"gunicorn exited: {(self.folder / f'gunicorn-{self.starts}.log').read_text()}")
                time.sleep(0.2)
        pytest.fail("gunicorn did not listen within 60 s")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _cli(site, token, *arguments, timeout=TIMEOUT):
    return subprocess.run(
        [str(IMAGETAGGER), "--url", site.url, f"--token={token}", *arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_the_cli_uploads_a_folder_through_a_restart_exports_coco_and_downloads_the_zip(
    shared_db,  # noqa: F811 (the fixture imported above)
    tmp_path,
    make_user,
    make_team,
):
    from PIL import Image as PILImage

    assert IMAGETAGGER.exists(), "make install installs the imagetagger command into the virtualenv"
    ada = make_user("ada")
    team = make_team("Robots", admins=[ada])
    image_set = make_imageset(team, creator=ada, name="Street")
    token = create_api_token(user=ada, name="cli")[1]
    folder = tmp_path / "photos"
    folder.mkdir()
    for index in range(IMAGES):
        PILImage.new("RGB", (48, 32), (index % 256, index // 256, 90)).save(folder / f"img{index:04d}.png")

    site = Site({**shared_db, "GUNICORN_CHDIR": str(REPO / "imagetagger")}, tmp_path, _free_port())
    worker = Daemons(shared_db, tmp_path)
    site.start()
    worker.start()
    try:
        upload = subprocess.Popen(
            [str(IMAGETAGGER), "--url", site.url, f"--token={token}", "upload", str(image_set.pk), str(folder)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        restarted = threading.Event()

        data = Path(shared_db["IT_FS_URL"])  # files, not rows: this thread has no connection to the test's database

        def restart_in_the_middle():
            deadline = time.monotonic() + TIMEOUT
            while time.monotonic() < deadline and upload.poll() is None:
                if sum(1 for _ in data.glob(f"**/{image_set.path}/*.png")) >= IMAGES // 4:
                    site.kill()  # no goodbye: requests in flight are cut off
                    time.sleep(1.0)
                    site.start()
                    restarted.set()
                    return
                time.sleep(0.05)

        watcher = threading.Thread(target=restart_in_the_middle, daemon=True)
        watcher.start()
        out, err = upload.communicate(timeout=TIMEOUT)
        watcher.join(timeout=60)
        assert restarted.is_set(), f"the upload ended before the restart: {out} {err[-2000:]}"
        assert upload.returncode == 0, err[-3000:]
        assert "upload" in err
        assert "100%" in err, "a progress bar on standard error"
        names = list(Image.objects.filter(image_set=image_set).values_list("name", flat=True))
        assert len(names) == IMAGES
        assert len(set(names)) == IMAGES, "no duplicates"
        assert "added" in out

        again = _cli(site, token, "--json", "upload", str(image_set.pk), str(folder))
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["added"] == 0
        assert json.loads(again.stdout)["skipped"] == IMAGES

        target = tmp_path / "labels.json"
        exported = _cli(site, token, "--json", "export", str(image_set.pk), "--format", "coco", "-o", str(target))
        assert exported.returncode == 0, exported.stderr
        assert json.loads(exported.stdout)["state"] == "done"
        assert len(COCO(str(target)).getImgIds()) == IMAGES

        archive = tmp_path / "street.zip"
        downloaded = _cli(site, token, "download", str(image_set.pk), "-o", str(archive))
        assert downloaded.returncode == 0, downloaded.stderr
        with zipfile.ZipFile(archive) as opened:
            assert len([name for name in opened.namelist() if name.endswith(".png")]) == IMAGES

        refused = _cli(site, "wrong-token", "whoami")
        assert refused.returncode == 1
        assert "token" in refused.stderr.lower()
    finally:
        site.stop()
        worker.stop()
        shutil.rmtree(folder, ignore_errors=True)
