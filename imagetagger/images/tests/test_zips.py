"""Zip archives of image sets: the builder, its lease and retries, the sweeper and the download views.

Real daemon processes are exercised in test_zip_daemon.py.
"""

import os
import time
import zipfile
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.template.loader import render_to_string
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from base.tests.s3 import downloaded, fetched
from images import zips
from images.models import ImageSet
from images.permissions import imageset_permissions

from .zip_helpers import (
    add_image,
    archive_entries,
    expected_entries,
    image_bytes,
    make_set,
    zip_files_in,
)

# Every test runs with the local folder and with a bucket (moto's S3 server, see conftest.storage_dir).
pytestmark = [pytest.mark.django_db, pytest.mark.storages("filesystem", "s3")]


@pytest.fixture(autouse=True)
def storage(settings, storage_dir):
    settings.ENABLE_ZIP_DOWNLOAD = True
    settings.USE_NGINX_IMAGE_PROVISION = False
    return storage_dir


@pytest.fixture
def world(make_user, make_team):
    """Team Robots (admin ada, member bob), its private set and public set, and outsider otto."""
    ada, bob, otto = make_user("ada"), make_user("bob"), make_user("otto")
    team = make_team("Robots", admins=[ada], members=[bob])
    return {
        "ada": ada,
        "bob": bob,
        "otto": otto,
        "team": team,
        "private": make_set(team, ada, "field"),
        "public": make_set(team, ada, "open", public=True),
    }


def build_tasks(image_set=None):
    tasks = DBTaskResult.objects.filter(task_path=zips.build_zip.module_path)
    if image_set is not None:
        tasks = [task for task in tasks if task.args_kwargs["args"] == [image_set.pk]]
    return list(tasks)


def run_worker(monkeypatch):
    """``manage.py runzipdaemon --batch`` in this process (inside the test's transaction)."""
    # The worker closes obsolete connections between jobs, which would end the test's transaction.
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    call_command("runzipdaemon", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def fresh(image_set):
    return ImageSet.objects.get(pk=image_set.pk)


def download(client, image_set):
    return client.get(f"/images/imageset/{image_set.pk}/download/")


def status_of(client, image_set):
    response = client.get(f"/images/imageset/{image_set.pk}/zip-status/")
    assert response.status_code == 200
    return response.json()


def body(response):
    """What the client downloads (following the redirect to the bucket's signed URL)."""
    return downloaded(response)


# --- entry names ---------------------------------------------------------------------------------------


def test_entry_names_are_unique_deterministic_and_keep_folders():
    names = ["a.png", "a.png", "A.PNG", "day1/cam.png", "day1/cam.png", "Day1/Cam.png", "noext", "noext"]

    assert zips.entry_names(names) == [
        "a.png",
        "a (2).png",
        "A (3).PNG",
        "day1/cam.png",
        "day1/cam (2).png",
        "Day1/Cam (3).png",
        "noext",
        "noext (2)",
    ]


def test_entry_names_skip_a_counter_that_is_taken_by_a_real_name():
    # Sorted as the builder sorts: "a (2).png" comes before "a.png".
    assert zips.entry_names(["a (2).png", "a.png", "a.png"]) == ["a (2).png", "a.png", "a (3).png"]


def test_entry_names_never_escape_the_archive_and_never_clash_with_folders():
    names = zips.entry_names(["../../etc/passwd", "/abs/x.png", "a\\b.png", "", "d", "d/e.png", "f/g.png", "f"])

    assert names == ["etc/passwd", "abs/x.png", "a/b.png", "image", "d", "d_e.png", "f/g.png", "f (2)"]
    assert len({name.casefold() for name in names}) == len(names)


# --- building --------------------------------------------------------------------------------------------


def test_archive_holds_exactly_the_sets_images_byte_for_byte_stored_under_unique_names(world):
    image_set = world["private"]
    add_image(image_set, "b.png", image_bytes("b", 5000))
    add_image(image_set, "a.png", image_bytes("a1", 3000))
    add_image(image_set, "a.png", image_bytes("a2", 4000))
    add_image(image_set, "night/a.png", image_bytes("n", 100))
    add_image(image_set, "Ünïcode ñame.png", image_bytes("u", 10))

    summary = zips.build_zip.call(image_set.pk)

    image_set = fresh(image_set)
    assert summary == {"image_set": image_set.pk, "builds": 1, "result": "built"}
    assert zips.is_ready(image_set)
    assert image_set.zip_built_version == image_set.content_version
    assert image_set.zip_file.startswith(f"{image_set.image_folder()}/imageset_{image_set.pk}-")
    assert image_set.zip_file.endswith(".zip")
    assert image_set.zip_size == default_storage.size(image_set.zip_file)
    assert (image_set.zip_lease_owner, image_set.zip_lease_until) == ("", None)
    entries, infos = archive_entries(image_set.zip_file)
    assert entries == {
        "a.png": image_bytes("a1", 3000),
        "a (2).png": image_bytes("a2", 4000),
        "b.png": image_bytes("b", 5000),
        "night/a.png": image_bytes("n", 100),
        "Ünïcode ñame.png": image_bytes("u", 10),
    }
    assert entries == expected_entries(image_set)
    assert {info.compress_type for info in infos} == {zipfile.ZIP_STORED}
    assert all(info.compress_size == info.file_size for info in infos)
    with default_storage.open(image_set.zip_file, "rb") as stored, zipfile.ZipFile(stored) as archive:
        assert archive.testzip() is None


def test_an_up_to_date_archive_is_not_built_again(world):
    image_set = world["private"]
    add_image(image_set, "a.png")
    zips.build_zip.call(image_set.pk)
    first = fresh(image_set).zip_file

    summary = zips.build_zip.call(image_set.pk)

    assert summary["result"] == "up to date"
    assert summary["builds"] == 0
    assert fresh(image_set).zip_file == first


def assert_retired(old, storage_backend):
    """The superseded archive ``old`` is gone: from a folder at once; from a bucket once the signed URLs
    given out for it have expired (a deletion task for then), so that running downloads still find it."""
    if storage_backend != "s3":
        assert not default_storage.exists(old)
        return
    assert default_storage.exists(old)
    [task] = DBTaskResult.objects.filter(task_path=zips.delete_archive.module_path)
    assert task.args_kwargs["args"] == [old]
    expected = timezone.now() + timedelta(seconds=300) + zips.RETIRE_MARGIN
    assert expected - timedelta(seconds=30) < task.run_after <= expected
    assert zips.delete_archive.call(old) == {"deleted": old}
    assert not default_storage.exists(old)


def test_a_change_gives_a_new_archive_under_a_new_name_and_the_old_file_is_deleted_after_commit(
    world, django_capture_on_commit_callbacks, storage_backend
):
    image_set = world["private"]
    add_image(image_set, "a.png")
    zips.build_zip.call(image_set.pk)
    old = fresh(image_set).zip_file
    add_image(image_set, "b.png")
    assert not zips.is_ready(fresh(image_set))

    with django_capture_on_commit_callbacks(execute=True):
        zips.build_zip.call(image_set.pk)

    image_set = fresh(image_set)
    assert image_set.zip_file != old
    assert_retired(old, storage_backend)
    assert set(archive_entries(image_set.zip_file)[0]) == {"a.png", "b.png"}
    assert zip_files_in(image_set) == [image_set.zip_file.rsplit("/", 1)[1]]


@pytest.mark.storages("filesystem")  # in a bucket: test_object_storage.py
def test_left_overs_of_crashed_builds_are_removed_by_the_next_build(world, storage):
    image_set = world["private"]
    add_image(image_set, "a.png")
    folder = storage / image_set.image_folder()
    dead = folder / f"imageset_{image_set.pk}-dead.zip.part"
    running = folder / f"imageset_{image_set.pk}-running.zip.part"
    other_set = folder / "imageset_999-dead.zip"
    for path in (dead, running, other_set):
        path.write_bytes(b"partial")
    long_ago = time.time() - 3 * 120
    os.utime(dead, (long_ago, long_ago))
    os.utime(other_set, (long_ago, long_ago))

    zips.build_zip.call(image_set.pk)

    assert not dead.exists()
    assert running.exists()  # may still be written by a worker that lost its lease
    assert other_set.exists()


def test_an_empty_set_needs_no_archive_and_an_emptied_set_loses_its_old_one(
    world, django_capture_on_commit_callbacks, storage_backend
):
    image_set = world["private"]
    zips.build_zip.call(image_set.pk)
    image_set = fresh(image_set)
    assert (image_set.zip_file, image_set.zip_built_version) == ("", image_set.content_version)

    image, _ = add_image(image_set, "a.png")
    zips.build_zip.call(image_set.pk)
    old = fresh(image_set).zip_file
    from images import services

    services.delete_images(actor=world["ada"], image_set=image_set, image_ids=[image.pk])
    with django_capture_on_commit_callbacks(execute=True):
        zips.build_zip.call(image_set.pk)

    image_set = fresh(image_set)
    assert (image_set.zip_file, image_set.zip_size) == ("", 0)
    assert image_set.zip_built_version == image_set.content_version
    assert_retired(old, storage_backend)


def test_a_change_during_a_build_triggers_another_build(world, monkeypatch):
    image_set = world["private"]
    add_image(image_set, "a.png")
    add_image(image_set, "b.png")
    real_add_entry = zips.add_entry
    calls = []
    late = {}

    def add_entry_while_someone_uploads(archive, folder, image, arcname):
        calls.append(arcname)
        if len(calls) == 1:
            # Another request adds an image (and bumps the version) while the archive is written.
            late["image"], late["data"] = add_image(image_set, "late.png")
        return real_add_entry(archive, folder, image, arcname)

    monkeypatch.setattr(zips, "add_entry", add_entry_while_someone_uploads)

    summary = zips.build_zip.call(image_set.pk)

    image_set = fresh(image_set)
    assert summary["builds"] == 2
    assert calls == ["a.png", "b.png", "a.png", "b.png", "late.png"]
    assert image_set.zip_built_version == image_set.content_version
    entries, _ = archive_entries(image_set.zip_file)
    assert entries["late.png"] == late["data"]
    assert entries == expected_entries(image_set)


def test_an_image_deleted_during_the_build_is_skipped_and_the_set_rebuilt(world, monkeypatch):
    image_set = world["private"]
    add_image(image_set, "a.png")
    doomed, _ = add_image(image_set, "b.png")
    real_add_entry = zips.add_entry
    from images import services

    def add_entry_while_someone_deletes(archive, folder, image, arcname):
        if image[0] == doomed.pk and fresh(image_set).images.filter(pk=doomed.pk).exists():
            services.delete_images(actor=world["ada"], image_set=image_set, image_ids=[doomed.pk])
            default_storage.delete(doomed.relative_path)
        return real_add_entry(archive, folder, image, arcname)

    monkeypatch.setattr(zips, "add_entry", add_entry_while_someone_deletes)

    summary = zips.build_zip.call(image_set.pk)

    image_set = fresh(image_set)
    assert summary == {"image_set": image_set.pk, "builds": 2, "result": "built"}
    assert set(archive_entries(image_set.zip_file)[0]) == {"a.png"}
    assert fresh(image_set).zip_error == ""


def test_a_set_that_keeps_changing_is_handed_over_to_a_fresh_task(world, monkeypatch):
    image_set = world["private"]
    add_image(image_set, "a.png")
    real_add_entry = zips.add_entry

    def always_changing(archive, folder, image, arcname):
        ImageSet.objects.filter(pk=image_set.pk).update(content_version=fresh(image_set).content_version + 1)
        return real_add_entry(archive, folder, image, arcname)

    monkeypatch.setattr(zips, "add_entry", always_changing)

    summary = zips.build_zip.call(image_set.pk)

    assert summary == {"image_set": image_set.pk, "builds": zips.MAX_ROUNDS, "result": "handed over"}
    assert len(build_tasks(image_set)) == 1
    assert fresh(image_set).zip_lease_owner == ""


def test_building_into_a_storage_that_is_not_a_local_folder(world, settings):
    image_set = world["private"]
    add_image(image_set, "a.png", b"first")
    add_image(image_set, "b.png", b"second")
    contents = {
        name: default_storage.open(name, "rb").read() for name in (i.relative_path for i in image_set.images.all())
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    for name, data in contents.items():
        default_storage.save(name, __import__("io").BytesIO(data))

    zips.build_zip.call(image_set.pk)

    image_set = fresh(image_set)
    assert zips.is_ready(image_set)
    assert archive_entries(image_set.zip_file)[0] == {"a.png": b"first", "b.png": b"second"}
    assert image_set.zip_size == default_storage.size(image_set.zip_file)


# --- failures and back-off -------------------------------------------------------------------------------


def test_retry_delay_doubles_from_ten_seconds_up_to_an_hour():
    assert [zips.retry_delay(n) for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert zips.retry_delay(9) == 2560
    assert zips.retry_delay(10) == 3600
    assert zips.retry_delay(50) == 3600


def test_a_failed_build_records_its_error_backs_off_and_a_retry_succeeds_later(world, client_for):
    image_set = world["private"]
    image, data = add_image(image_set, "precious.png")
    default_storage.delete(image.relative_path)
    before = timezone.now()

    summary = zips.build_zip.call(image_set.pk)

    image_set = fresh(image_set)
    assert summary["result"] == "failed"
    assert "precious.png" in image_set.zip_error
    assert "missing" in image_set.zip_error
    assert image_set.zip_failures == 1
    assert before + timedelta(seconds=9) < image_set.zip_retry_at < timezone.now() + timedelta(seconds=11)
    assert (image_set.zip_lease_owner, image_set.zip_lease_until) == ("", None)
    assert not zips.is_ready(image_set)
    assert zip_files_in(image_set) == []  # no half-written archive is left behind
    [retry] = build_tasks(image_set)
    assert retry.status == "READY"
    assert retry.run_after == image_set.zip_retry_at

    # The admins see why; readers only see that it failed.
    admin_status = status_of(client_for(world["ada"]), image_set)
    assert admin_status["state"] == "failed"
    assert "precious.png" in admin_status["error"]
    image_set.public = True
    image_set.save(update_fields=["public"])
    reader_status = status_of(client_for(world["otto"]), image_set)
    assert reader_status["state"] == "failed"
    assert "error" not in reader_status
    response = download(client_for(world["otto"]), image_set)
    assert response.status_code == 202
    assert 5 <= int(response["Retry-After"]) <= 11
    assert "error" not in response.json()

    # Before the back-off has passed nobody tries again.
    assert zips.build_zip.call(image_set.pk)["result"] == "up to date"
    assert fresh(image_set).zip_failures == 1

    # A second failure doubles the wait.
    ImageSet.objects.filter(pk=image_set.pk).update(zip_retry_at=timezone.now() - timedelta(seconds=1))
    zips.build_zip.call(image_set.pk)
    image_set = fresh(image_set)
    assert image_set.zip_failures == 2
    assert image_set.zip_retry_at > timezone.now() + timedelta(seconds=19)

    # Once the cause is gone, the retry succeeds and the error disappears.
    default_storage.save(image.relative_path, __import__("io").BytesIO(data))
    ImageSet.objects.filter(pk=image_set.pk).update(zip_retry_at=timezone.now() - timedelta(seconds=1))
    assert zips.build_zip.call(image_set.pk)["result"] == "built"
    image_set = fresh(image_set)
    assert (image_set.zip_error, image_set.zip_failures, image_set.zip_retry_at) == ("", 0, None)
    assert archive_entries(image_set.zip_file)[0] == {"precious.png": data}
    assert status_of(client_for(world["ada"]), image_set)["error"] is None


def test_an_unexpected_error_is_recorded_too(world, monkeypatch):
    image_set = world["private"]
    add_image(image_set, "a.png")

    def broken(*args):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(zips, "add_entry", broken)

    assert zips.build_zip.call(image_set.pk)["result"] == "failed"

    image_set = fresh(image_set)
    assert "disk on fire" in image_set.zip_error
    assert image_set.zip_failures == 1
    assert zip_files_in(image_set) == []


def test_a_content_change_cancels_the_back_off(world):
    image_set = world["private"]
    add_image(image_set, "a.png")
    ImageSet.objects.filter(pk=image_set.pk).update(
        zip_error="old", zip_failures=3, zip_retry_at=timezone.now() + timedelta(hours=1)
    )

    zips.schedule_build(image_set.pk)

    image_set = fresh(image_set)
    assert image_set.zip_retry_at is None
    assert zips.build_zip.call(image_set.pk)["result"] == "built"


# --- the lease ---------------------------------------------------------------------------------------


def test_a_live_lease_keeps_other_workers_off_and_an_expired_one_lets_another_take_over(world):
    image_set = world["private"]
    zips.build_zip.call(world["public"].pk)  # empty, marked built: the sweeper leaves it alone
    add_image(image_set, "a.png")
    assert zips.claim(image_set.pk, "crashed-worker")

    # While the lease lives, another worker does not touch the set.
    assert zips.build(image_set.pk, owner="worker-b")["result"] == "up to date"
    assert fresh(image_set).zip_lease_owner == "crashed-worker"
    assert zips.sweep() == []

    # The first worker crashed: its lease expires and the sweeper queues the set again.
    ImageSet.objects.filter(pk=image_set.pk).update(zip_lease_until=timezone.now() - timedelta(seconds=1))
    assert zips.sweep() == [image_set.pk]
    assert zips.build(image_set.pk, owner="worker-b")["result"] == "built"
    image_set = fresh(image_set)
    assert zips.is_ready(image_set)

    # Should the first worker come back, it can neither renew nor swap in its archive.
    with pytest.raises(zips.LeaseLost):
        zips.renew(image_set.pk, "crashed-worker")
    assert not zips.swap(image_set.pk, "crashed-worker", name="x.zip", version=99, size=1, previous="")
    assert fresh(image_set).zip_file == image_set.zip_file


def test_a_builder_whose_lease_was_taken_over_discards_its_archive(world, monkeypatch):
    image_set = world["private"]
    add_image(image_set, "a.png")
    real_add_entry = zips.add_entry

    def stalled_then_taken_over(archive, folder, image, arcname):
        # The builder stalled past its lease; another worker claimed the set meanwhile.
        ImageSet.objects.filter(pk=image_set.pk).update(
            zip_lease_owner="worker-b", zip_lease_until=timezone.now() + timedelta(minutes=2)
        )
        return real_add_entry(archive, folder, image, arcname)

    monkeypatch.setattr(zips, "add_entry", stalled_then_taken_over)

    assert zips.build(image_set.pk, owner="worker-a")["result"] == "taken over"

    image_set = fresh(image_set)
    assert image_set.zip_file == ""
    assert image_set.zip_lease_owner == "worker-b"
    assert image_set.zip_error == ""
    assert zip_files_in(image_set) == []


def test_the_lease_is_renewed_while_a_large_set_is_built(world, monkeypatch, settings, storage_backend):
    image_set = world["private"]
    for number in range(3):
        add_image(image_set, f"{number}.png")
    settings.ZIP_LEASE_SECONDS = 1
    clock = iter(range(0, 1000, 10))
    monkeypatch.setattr(zips.time, "monotonic", lambda: next(clock))
    renewals = []
    real_renew = zips.renew
    monkeypatch.setattr(zips, "renew", lambda *args: renewals.append(args) or real_renew(*args))

    assert zips.build(image_set.pk, owner="worker-a")["result"] == "built"

    # Once per entry; a bucket also once right before the archive is sent to it.
    assert len(renewals) == (4 if storage_backend == "s3" else 3)
    assert zips.is_ready(fresh(image_set))


# --- scheduling and the sweeper --------------------------------------------------------------------------


def test_schedule_build_queues_one_task_shortly_after_the_change(world):
    image_set = world["private"]
    add_image(image_set, "a.png")

    zips.schedule_build(image_set.pk)
    zips.schedule_build(image_set.pk)

    [queued] = build_tasks(image_set)
    assert queued.status == "READY"
    assert timezone.now() < queued.run_after <= timezone.now() + zips.SCHEDULE_DELAY


def test_schedule_build_does_nothing_when_zip_downloads_are_off(world, settings):
    settings.ENABLE_ZIP_DOWNLOAD = False

    zips.schedule_build(world["private"].pk)

    assert build_tasks() == []


def test_the_sweeper_queues_stale_free_sets_once(world):
    ready, stale, leased, backing_off = (make_set(world["team"], world["ada"], f"s{i}") for i in range(4))
    for image_set in (ready, stale, leased, backing_off):
        add_image(image_set, "a.png")
    zips.build_zip.call(ready.pk)
    ImageSet.objects.filter(pk=leased.pk).update(
        zip_lease_owner="w", zip_lease_until=timezone.now() + timedelta(minutes=1)
    )
    ImageSet.objects.filter(pk=backing_off.pk).update(zip_retry_at=timezone.now() + timedelta(minutes=1))
    ImageSet.objects.exclude(pk__in=[ready.pk, stale.pk, leased.pk, backing_off.pk]).update(
        zip_built_version=1, zip_file=""
    )

    assert zips.sweep() == [stale.pk]
    assert zips.sweep() == []  # a queued task covers it
    assert len(build_tasks(stale)) == 1


def test_the_worker_in_batch_mode_builds_everything_due_and_exits(world, monkeypatch):
    first, second = world["private"], world["public"]
    add_image(first, "a.png")
    add_image(second, "b.png")
    zips.build_zip.enqueue(first.pk)  # the second set's change was never queued: the sweep finds it

    run_worker(monkeypatch)

    assert zips.is_ready(fresh(first))
    assert zips.is_ready(fresh(second))
    assert {task.status for task in build_tasks()} == {"SUCCESSFUL"}


def test_runzipdaemon_refuses_to_start_when_zip_downloads_are_off(settings):
    settings.ENABLE_ZIP_DOWNLOAD = False

    with pytest.raises(CommandError, match="IT_ENABLE_ZIP_DOWNLOAD"):
        call_command("runzipdaemon", "--batch", "--no-reload")


# --- the download view --------------------------------------------------------------------------------


def test_download_answers_204_then_202_then_the_archive(world, client_for, monkeypatch):
    image_set = world["private"]
    client = client_for(world["bob"])

    assert download(client, image_set).status_code == 204
    assert status_of(client, image_set)["state"] == "empty"

    add_image(image_set, "a.png", b"alpha")
    add_image(image_set, "b.png", b"beta")
    response = download(client, image_set)
    assert response.status_code == 202
    assert response["Retry-After"] == "5"
    assert response.json()["state"] == "processing"
    [queued] = build_tasks(image_set)  # the download asked for a build ...
    assert download(client, image_set).status_code == 202
    assert build_tasks(image_set) == [queued]  # ... once
    assert status_of(client, image_set)["state"] == "processing"

    run_worker(monkeypatch)

    status, headers, data = fetched(download(client, image_set))
    assert status == 200
    assert headers["Content-Type"] == "application/zip"
    assert headers["Content-Disposition"] == f'attachment; filename="imageset_{image_set.pk}.zip"'
    assert int(headers["Content-Length"]) == len(data) == fresh(image_set).zip_size
    assert archive_entries(data)[0] == {"a.png": b"alpha", "b.png": b"beta"}
    status = status_of(client, image_set)
    assert status == {
        "state": "ready",
        "size": len(data),
        "download_url": f"/images/imageset/{image_set.pk}/download/",
        "error": None,
    }


def test_a_stale_archive_is_never_served(world, client_for):
    image_set = world["private"]
    add_image(image_set, "a.png")
    zips.build_zip.call(image_set.pk)
    client = client_for(world["ada"])
    assert fetched(download(client, image_set))[0] == 200

    add_image(image_set, "b.png")

    assert download(client, image_set).status_code == 202
    # Also not while somebody is building it.
    assert zips.claim(image_set.pk, "worker")
    response = download(client, image_set)
    assert response.status_code == 202
    assert response.json()["state"] == "processing"


def test_an_archive_lost_from_the_storage_gives_202_and_is_built_again(world, client_for):
    image_set = world["private"]
    add_image(image_set, "a.png", b"alpha")
    zips.build_zip.call(image_set.pk)
    default_storage.delete(fresh(image_set).zip_file)
    client = client_for(world["ada"])

    assert download(client, image_set).status_code == 202
    assert status_of(client, image_set)["state"] == "processing"
    assert len(build_tasks(image_set)) == 1

    zips.build_zip.call(image_set.pk)
    assert archive_entries(body(download(client, image_set)))[0] == {"a.png": b"alpha"}


@pytest.mark.storages("filesystem")  # a bucket's files are never served by nginx
def test_download_through_nginx(world, client_for, settings):
    settings.USE_NGINX_IMAGE_PROVISION = True
    image_set = world["private"]
    add_image(image_set, "a.png")
    zips.build_zip.call(image_set.pk)
    image_set = fresh(image_set)

    response = download(client_for(world["ada"]), image_set)

    assert response.status_code == 200
    assert response.content == b""
    assert response["Content-Type"] == "application/zip"
    assert response["X-Accel-Redirect"] == f"/ngx_static_dn/{image_set.zip_file}"
    assert image_set.zip_file.startswith("images/")
    assert response["Content-Disposition"] == f'attachment; filename="imageset_{image_set.pk}.zip"'


@pytest.mark.parametrize("endpoint", ["download", "zip-status"])
def test_outsiders_get_404_and_public_readers_may_download(world, client_for, endpoint):
    private, public = world["private"], world["public"]
    for image_set in (private, public):
        add_image(image_set, "a.png")
        zips.build_zip.call(image_set.pk)
    otto = client_for(world["otto"])

    assert otto.get(f"/images/imageset/{private.pk}/{endpoint}/").status_code == 404
    assert fetched(otto.get(f"/images/imageset/{public.pk}/{endpoint}/"))[0] == 200
    assert otto.get(f"/images/imageset/999999/{endpoint}/").status_code == 404


@pytest.mark.parametrize("endpoint", ["download", "zip-status"])
def test_anonymous_users_are_sent_to_the_login(world, client, endpoint):
    image_set = world["public"]
    add_image(image_set, "a.png")
    zips.build_zip.call(image_set.pk)

    response = client.get(f"/images/imageset/{image_set.pk}/{endpoint}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/user/login/?next=")


@pytest.mark.parametrize("endpoint", ["download", "zip-status"])
def test_everything_is_404_when_zip_downloads_are_off(world, client_for, settings, endpoint):
    image_set = world["private"]
    add_image(image_set, "a.png")
    zips.build_zip.call(image_set.pk)
    settings.ENABLE_ZIP_DOWNLOAD = False

    assert client_for(world["ada"]).get(f"/images/imageset/{image_set.pk}/{endpoint}/").status_code == 404


def test_download_only_answers_get_and_head(world, client_for):
    image_set = world["private"]
    add_image(image_set, "a.png")
    zips.build_zip.call(image_set.pk)
    client = client_for(world["ada"])

    assert client.post(f"/images/imageset/{image_set.pk}/download/").status_code == 405
    status, headers, data = fetched(client.head(f"/images/imageset/{image_set.pk}/download/"), "HEAD")
    assert (status, headers["Content-Type"], data) == (200, "application/zip", b"")


# --- the panel on the set page ------------------------------------------------------------------------


def render_panel(image_set, user, **extra):
    image_set = fresh(image_set)
    context = {"image_set": image_set, "permissions": imageset_permissions(user, image_set), **extra}
    return render_to_string("images/includes/zip_panel.html", context)


def test_the_panel_shows_the_archives_state(world):
    image_set = world["private"]
    ada = world["ada"]

    assert "no images to download" in render_panel(image_set, ada)
    add_image(image_set, "a.png", image_bytes("a", 2048))
    html = render_panel(image_set, ada, image_count=1)
    assert 'data-state="processing"' in html
    assert "aria-disabled" in html
    assert f'data-status-url="/images/imageset/{image_set.pk}/zip-status/"' in html
    assert "images/js/zip.js" in html

    zips.build_zip.call(image_set.pk)
    html = render_panel(image_set, ada)
    assert 'data-state="ready"' in html
    assert "aria-disabled" not in html
    assert f'href="/images/imageset/{image_set.pk}/download/"' in html
    assert "Download zip (" in html


def test_the_panel_shows_a_failure_to_admins_only(world, settings):
    image_set = world["public"]
    add_image(image_set, "a.png")
    ImageSet.objects.filter(pk=image_set.pk).update(zip_error="The file of the image “a.png” is missing.")

    assert "is missing" in render_panel(image_set, world["ada"])
    reader_html = render_panel(image_set, world["otto"])
    assert 'data-state="failed"' in reader_html
    assert "is missing" not in reader_html

    settings.ENABLE_ZIP_DOWNLOAD = False
    assert render_panel(image_set, world["ada"]).strip() == ""
