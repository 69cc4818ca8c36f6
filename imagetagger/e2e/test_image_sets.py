"""Upload a zip on the set page, see the thumbnails, wait for the archive and download it."""

import hashlib
import threading
import zipfile

import pytest
from playwright.sync_api import expect

from e2e.helpers import log_in
from images.models import ImageSet
from images.tests.factories import distinct_pngs, make_zip

pytestmark = pytest.mark.django_db(transaction=True)


class WorkerThread(threading.Thread):
    """The background worker, in-process: runs ``runzipdaemon --batch`` until stopped."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stopped = threading.Event()

    def run(self):
        from django.db import connection
        from django_tasks_db.management.commands.db_worker import Worker

        from base import background

        # What runzipdaemon does, minus its signal handling (signals belong to the main thread).
        worker = Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="e2e-worker",
            excluded_queue_names=[],
        )
        while not self.stopped.is_set():
            background.run_every_round()
            worker.run()
            self.stopped.wait(0.3)
        connection.close()

    def stop(self):
        self.stopped.set()
        self.join(timeout=30)


@pytest.fixture
def worker(storage_dir):
    thread = WorkerThread()
    thread.start()
    yield thread
    thread.stop()


def test_upload_zip_see_thumbnails_download_archive(page, live_server, make_user, make_team, worker, tmp_path):
    from images.services import create_imageset

    user = make_user("uploader")
    team = make_team("Robots", admins=[user])
    image_set = create_imageset(actor=user, team=team, name="Field day")
    pictures = {f"day1/img{number}.png": data for number, data in enumerate(distinct_pngs(5, 40, 30))}
    archive = tmp_path / "upload.zip"
    archive.write_bytes(make_zip(list(pictures.items())))

    log_in(page, live_server, user)
    page.goto(f"/images/imageset/{image_set.pk}/")
    expect(page.locator("#zip-note")).to_contain_text("no images")

    page.get_by_label("Drop files here, or choose them").set_input_files(str(archive))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#upload-overall-bar")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("#upload-status")).to_contain_text("5 image(s) added")

    thumbnails = page.locator("img[src*='/thumbnail/']")
    expect(thumbnails).to_have_count(5)
    for index in range(5):
        thumbnail = thumbnails.nth(index)
        expect(thumbnail).to_have_js_property("complete", True)
        assert thumbnail.evaluate("img => img.naturalWidth") > 0

    download_link = page.locator("#zip-download")
    expect(download_link).not_to_have_class("disabled", timeout=30_000)
    with page.expect_download() as download_info:
        download_link.click()
    downloaded = download_info.value.path()

    with zipfile.ZipFile(downloaded) as result:
        contents = {info.filename: result.read(info) for info in result.infolist()}
        assert {info.compress_type for info in result.infolist()} == {zipfile.ZIP_STORED}
    assert contents == pictures
    assert {hashlib.sha512(data).hexdigest() for data in contents.values()} == {
        bytes(image.checksum).hex() for image in ImageSet.objects.get(pk=image_set.pk).images.all()
    }
