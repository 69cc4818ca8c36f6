"""Object storage (``IT_STORAGE=s3``) against a local S3-compatible server (moto's server mode).

The image-set, upload, zip and export test modules run in this mode too (marker ``storages``); this
module tests what only a bucket does: the settings, redirects to short-lived signed URLs after the
permission check, thumbnails streamed through the site, streamed reads, listing by key prefix, the
left-over archive and orphan clean-ups, and the readiness probe.

moto does not enforce signatures or expiry of signed URLs, so the URLs' parameters are checked here.
"""

import json
import types
import zipfile
from datetime import timedelta
from io import BytesIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from base.storage import BucketStorage, is_object_storage, list_prefix, open_stream
from base.tests import s3
from base.tests.s3 import fetch, fetched
from base.tests.test_settings import environment, manage, production_environment
from exports import jobs
from images import ingest, zips
from images.models import ImageSet
from images.tests.factories import add_images, make_imageset
from imagetagger.settings import Base

from .zip_helpers import add_image, archive_entries, make_set

pytestmark = [pytest.mark.django_db, pytest.mark.storages("s3")]

S3_VARIABLES = {
    "IT_STORAGE": "s3",
    "IT_S3_ENDPOINT_URL": "http://127.0.0.1:9",
    "IT_S3_BUCKET": "tagger",
    "IT_S3_ACCESS_KEY": "key",
    "IT_S3_SECRET_KEY": "secret",
}


@pytest.fixture
def world(make_user, make_team, storage_dir, settings):
    """Team Robots (admin ada) with a private set holding one image; outsider otto."""
    settings.ENABLE_ZIP_DOWNLOAD = True
    ada, otto = make_user("ada"), make_user("otto")
    team = make_team("Robots", admins=[ada])
    image_set = make_imageset(team, creator=ada, name="field")
    (image,) = add_images(image_set, 1, uploader=ada)
    return {"ada": ada, "otto": otto, "team": team, "set": image_set, "image": image}


def query_of(url):
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def stored(name):
    with default_storage.open(name, "rb") as handle:
        return handle.read()


# --- settings -------------------------------------------------------------------------------------------


def settings_values(**values):
    defaults = {
        "STORAGE": "s3",
        "S3_ENDPOINT_URL": "",
        "S3_BUCKET": "tagger",
        "S3_ACCESS_KEY": "",
        "S3_SECRET_KEY": "",
        "S3_REGION": "us-east-1",
        "S3_ADDRESSING_STYLE": "path",
        "S3_PREFIX": "",
        "S3_URL_EXPIRY_SECONDS": 300,
        "FS_URL": "/data",
    }
    return types.SimpleNamespace(**{**defaults, **values})


def test_s3_settings_make_a_private_bucket_storage_with_signed_urls():
    storage = Base.default_storage(
        settings_values(S3_ENDPOINT_URL="http://minio:9000", S3_ACCESS_KEY="k", S3_SECRET_KEY="s", S3_PREFIX="/site1/")
    )

    assert storage["BACKEND"] == "base.storage.BucketStorage"
    options = storage["OPTIONS"]
    assert options["bucket_name"] == "tagger"
    assert options["endpoint_url"] == "http://minio:9000"
    assert (options["access_key"], options["secret_key"]) == ("k", "s")
    assert (options["region_name"], options["addressing_style"]) == ("us-east-1", "path")
    assert options["location"] == "site1"
    assert options["file_overwrite"] is False  # a new upload never replaces a stored file
    assert options["default_acl"] is None  # objects stay private: readers get signed URLs
    assert (options["querystring_auth"], options["querystring_expire"]) == (True, 300)


def test_empty_s3_credentials_leave_them_to_boto3s_own_chain():
    options = Base.default_storage(settings_values())["OPTIONS"]
    assert (options["endpoint_url"], options["access_key"], options["secret_key"]) == (None, None, None)


def test_the_default_is_the_local_folder():
    assert Base.default_storage(settings_values(STORAGE="filesystem")) == {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": "/data"},
    }


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"STORAGE": "gcs"}, "IT_STORAGE: 'gcs' is not a storage; use 'filesystem' or 's3'."),
        ({"S3_ADDRESSING_STYLE": "sideways"}, "IT_S3_ADDRESSING_STYLE: 'sideways'; use 'path' or 'virtual'."),
    ],
)
def test_bad_storage_values_are_refused_by_name(values, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)") + "$"):
        Base.default_storage(settings_values(**values))


def test_an_unknown_storage_stops_manage_py_with_the_variables_name(tmp_path):
    result = manage("shell", "-c", "print(1)", env=environment(tmp_path, IT_STORAGE="nfs"))
    assert result.returncode != 0
    assert "IT_STORAGE: 'nfs' is not a storage" in result.stderr


def test_prod_with_s3_names_the_missing_bucket_and_credentials(tmp_path):
    result = manage("shell", "-c", "print(1)", env=production_environment(tmp_path, IT_STORAGE="s3"))
    assert result.returncode != 0
    assert "which are not set: IT_S3_BUCKET, IT_S3_ACCESS_KEY, IT_S3_SECRET_KEY." in result.stderr


def test_prod_with_s3_starts_with_them_and_uses_the_bucket(tmp_path):
    code = "from django.conf import settings; import json; print('S3:' + json.dumps(settings.STORAGES['default']))"
    result = manage("shell", "-c", code, env=production_environment(tmp_path, **S3_VARIABLES))
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("S3:"))
    storage = json.loads(line.removeprefix("S3:"))
    assert storage["BACKEND"] == "base.storage.BucketStorage"
    assert storage["OPTIONS"]["bucket_name"] == "tagger"
    assert storage["OPTIONS"]["endpoint_url"] == "http://127.0.0.1:9"


def test_the_tests_bucket_storage_is_the_settings_one(storage_dir):
    assert is_object_storage()
    assert isinstance(default_storage._wrapped, BucketStorage)


# --- images: redirect after the permission check -------------------------------------------------------


def test_a_reader_is_redirected_to_a_signed_url_that_gives_the_images_bytes(world, client_for):
    image = world["image"]

    response = client_for(world["ada"]).get(reverse("images:view_image", args=[image.pk]))

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(s3_endpoint() + f"/{s3.BUCKET}/")
    assert image.relative_path in location
    query = query_of(location)
    assert query["X-Amz-Expires"] == "300"
    assert query["X-Amz-Credential"].startswith(s3.ACCESS_KEY + "/")
    assert "X-Amz-Signature" in query
    # The browser may keep the redirect for half the URL's lifetime, never past its end.
    assert response["Cache-Control"] == "private, max-age=150"
    assert "ETag" not in response
    status, headers, data = fetch(location)
    assert status == 200
    assert data == stored(image.relative_path)
    assert headers["Content-Type"] == "image/png"
    assert headers["Content-Disposition"] == 'inline; filename="image0000.png"'


def test_the_url_lifetime_follows_the_setting(world, client_for, settings):
    settings.S3_URL_EXPIRY_SECONDS = 40
    response = client_for(world["ada"]).get(reverse("images:view_image", args=[world["image"].pk]))
    assert query_of(response["Location"])["X-Amz-Expires"] == "40"
    assert response["Cache-Control"] == "private, max-age=20"


def test_outsiders_and_anonymous_visitors_never_get_a_signed_url(world, client_for):
    url = reverse("images:view_image", args=[world["image"].pk])

    refused = client_for(world["otto"]).get(url)
    anonymous = Client().get(url)

    assert refused.status_code == 404
    assert "Location" not in refused
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/user/login/")
    assert "X-Amz" not in anonymous["Location"]


def test_a_matching_etag_answers_304_without_a_redirect(world, client_for):
    image = world["image"]
    response = client_for(world["ada"]).get(
        reverse("images:view_image", args=[image.pk]), HTTP_IF_NONE_MATCH=f'"{image.checksum_hex}"'
    )
    assert response.status_code == 304
    assert "Location" not in response


def test_head_gets_a_url_signed_for_head(world, client_for):
    response = client_for(world["ada"]).head(reverse("images:view_image", args=[world["image"].pk]))
    assert response.status_code == 302
    status, headers, data = fetch(response["Location"], "HEAD")
    assert (status, headers["Content-Type"], data) == (200, "image/png", b"")


def test_thumbnails_are_streamed_through_the_site_with_their_etag(world, client_for, monkeypatch):
    image = world["image"]
    client = client_for(world["ada"])
    # One request to the bucket (its GET), no existence check before.
    monkeypatch.setattr(BucketStorage, "exists", lambda *args: pytest.fail("a HEAD request was made"))

    response = client.get(reverse("images:thumbnail", args=[image.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["ETag"] == f'"{image.checksum_hex[:64]}-thumbnail"'
    assert response["Cache-Control"] == "private, max-age=3600"
    assert b"".join(response.streaming_content) == stored(image.thumbnail_path)
    again = client.get(reverse("images:thumbnail", args=[image.pk]), HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_a_missing_thumbnail_is_made_and_stored_in_the_bucket(world, client_for):
    image = world["image"]
    default_storage.delete(image.thumbnail_path)

    response = client_for(world["ada"]).get(reverse("images:thumbnail", args=[image.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")
    assert default_storage.exists(image.thumbnail_path)


def test_a_thumbnail_that_cannot_be_made_is_404(world, client_for):
    image = world["image"]
    default_storage.delete(image.thumbnail_path)
    default_storage.delete(image.relative_path)
    assert client_for(world["ada"]).get(reverse("images:thumbnail", args=[image.pk])).status_code == 404


def test_token_scripts_follow_the_redirect_too(world):
    from users.services import create_api_token

    key = create_api_token(user=world["ada"], name="script")[1]
    response = Client().get(f"/images/image/{world['image'].pk}/", HTTP_AUTHORIZATION=f"Token {key}")
    status, _headers, data = fetched(response)
    assert response.status_code == 302
    assert (status, data) == (200, stored(world["image"].relative_path))


def s3_endpoint():
    return default_storage.endpoint_url


# --- zips and exports: attachments ----------------------------------------------------------------------


def test_a_zip_download_redirects_to_a_signed_attachment(world, client_for):
    image_set = world["set"]
    zips.build_zip.call(image_set.pk)
    image_set = ImageSet.objects.get(pk=image_set.pk)

    response = client_for(world["ada"]).get(f"/images/imageset/{image_set.pk}/download/")

    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]
    query = query_of(response["Location"])
    assert query["response-content-disposition"] == f'attachment; filename="imageset_{image_set.pk}.zip"'
    assert query["response-content-type"] == "application/zip"
    status, headers, data = fetch(response["Location"])
    assert status == 200
    assert int(headers["Content-Length"]) == len(data) == image_set.zip_size
    assert archive_entries(data)[0] == {"image0000.png": stored(world["image"].relative_path)}
    assert client_for(world["otto"]).get(f"/images/imageset/{image_set.pk}/download/").status_code == 404


def test_nginx_provision_does_not_apply_to_a_bucket(world, client_for, settings):
    settings.USE_NGINX_IMAGE_PROVISION = True
    zips.build_zip.call(world["set"].pk)
    client = client_for(world["ada"])

    for url in (
        reverse("images:view_image", args=[world["image"].pk]),
        f"/images/imageset/{world['set'].pk}/download/",
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert "X-Accel-Redirect" not in response
    thumbnail = client.get(reverse("images:thumbnail", args=[world["image"].pk]))
    assert "X-Accel-Redirect" not in thumbnail
    assert b"".join(thumbnail.streaming_content) == stored(world["image"].thumbnail_path)


def test_a_zip_lost_from_the_bucket_is_rebuilt_instead_of_redirecting_to_nothing(world, client_for):
    image_set = world["set"]
    zips.build_zip.call(image_set.pk)
    default_storage.delete(ImageSet.objects.get(pk=image_set.pk).zip_file)

    response = client_for(world["ada"]).get(f"/images/imageset/{image_set.pk}/download/")

    assert response.status_code == 202
    assert ImageSet.objects.get(pk=image_set.pk).zip_built_version is None


def test_an_export_download_redirects_to_a_signed_attachment(world, client_for, api_for):
    export = jobs.create_export(actor=world["ada"], image_set=world["set"], standard="coco")

    response = client_for(world["ada"]).get(reverse("exports:download_export", args=[export.pk]))
    api_response = api_for(world["ada"]).get(reverse("api:export-download", args=[export.pk]))

    for answer in (response, api_response):
        assert answer.status_code == 302
        query = query_of(answer["Location"])
        assert query["response-content-disposition"] == 'attachment; filename="field_coco.json"'
        status, _headers, data = fetch(answer["Location"])
        assert status == 200
        assert json.loads(data)["images"][0]["file_name"] == "image0000.png"
    assert client_for(world["otto"]).get(reverse("exports:download_export", args=[export.pk])).status_code == 404
    assert api_for(world["otto"]).get(reverse("api:export-download", args=[export.pk])).status_code == 404


def test_an_export_whose_file_is_gone_is_404_not_a_redirect(world, client_for):
    export = jobs.create_export(actor=world["ada"], image_set=world["set"], standard="coco")
    default_storage.delete(export.file)
    response = client_for(world["ada"]).get(reverse("exports:download_export", args=[export.pk]))
    assert response.status_code == 404


# --- streaming, listing, clean-ups ---------------------------------------------------------------------


def test_open_stream_reads_the_object_as_it_arrives(storage_dir):
    default_storage.save("big/blob.bin", ContentFile(b"x" * 3_000_000))

    with open_stream("big/blob.bin") as stream:
        assert not hasattr(stream, "seek") or not stream.seekable()  # a response body, not a copy
        assert stream.read(10) == b"x" * 10
        assert len(stream.read()) == 3_000_000 - 10
    with pytest.raises(FileNotFoundError):
        open_stream("big/none.bin")


@pytest.mark.storages("filesystem", "s3")
def test_list_prefix_finds_only_names_with_the_prefix_in_that_folder(storage_dir):
    for name in ("a/set_1-x.zip", "a/set_1-y.zip", "a/set_10-z.zip", "a/other.png", "a/set_1-/deeper.zip"):
        default_storage.save(name, ContentFile(b"."))

    found = list_prefix("a/set_1-")

    assert sorted(name for name, _modified in found) == ["a/set_1-x.zip", "a/set_1-y.zip"]
    assert all(modified.tzinfo is not None for _name, modified in found)
    assert list_prefix("nowhere/x") == []


# Transactional: with a lease of 0 s the build's keep-alive thread renews the lease every 0.5 s on
# its own connection, which must see the committed set (inside the test's transaction it would not,
# and a slow upload would then look like a lost lease).
@pytest.mark.django_db(transaction=True)
def test_left_over_archives_in_the_bucket_are_removed_by_the_next_build(world, settings):
    image_set = world["set"]
    folder = image_set.image_folder()
    dead = default_storage.save(f"{folder}/imageset_{image_set.pk}-dead.zip", ContentFile(b"partial"))
    other_set = default_storage.save(f"{folder}/imageset_{image_set.pk}0-dead.zip", ContentFile(b"other"))
    settings.ZIP_LEASE_SECONDS = 0  # everything counts as old

    zips.build_zip.call(image_set.pk)

    current = ImageSet.objects.get(pk=image_set.pk).zip_file
    assert default_storage.exists(current)
    assert not default_storage.exists(dead)
    assert default_storage.exists(other_set)


# Transactional: with a lease of 0 s the build's keep-alive thread renews the lease every 0.5 s on
# its own connection, which must see the committed set (inside the test's transaction it would not,
# and a slow upload would then look like a lost lease).
@pytest.mark.django_db(transaction=True)
def test_an_archive_waiting_for_its_delayed_deletion_is_not_a_left_over(world, settings):
    image_set = world["set"]
    retiring = default_storage.save(
        f"{image_set.image_folder()}/imageset_{image_set.pk}-superseded.zip", ContentFile(b"old")
    )
    zips.retire(retiring)
    settings.ZIP_LEASE_SECONDS = 0  # everything counts as old

    zips.build_zip.call(image_set.pk)

    assert default_storage.exists(retiring)  # a download may still read it until its URL expires


def test_young_left_overs_in_the_bucket_are_kept(world):
    image_set = world["set"]
    running = default_storage.save(
        f"{image_set.image_folder()}/imageset_{image_set.pk}-running.zip", ContentFile(b"being written")
    )
    zips.build_zip.call(image_set.pk)
    assert default_storage.exists(running)  # may still belong to a worker that lost its lease


def test_orphan_files_in_the_bucket_are_found_by_listing_and_deleted(world):
    image = world["image"]
    root = f"images/{world['set'].path}"
    orphan = default_storage.save(f"{root}/{'a' * 32}.png", ContentFile(b"x"))
    thumbnail = default_storage.save(f"images/thumbnails/{world['set'].path}/{'c' * 32}.jpg", ContentFile(b"x"))
    archive = default_storage.save(f"{root}/imageset_{world['set'].pk}.zip", ContentFile(b"x"))

    assert ingest.delete_orphan_files() == []  # younger than an hour: maybe an upload in progress
    deleted = ingest.delete_orphan_files(older_than=timedelta(0))

    assert sorted(deleted) == sorted([orphan, thumbnail])
    assert not default_storage.exists(orphan)
    assert not default_storage.exists(thumbnail)
    assert default_storage.exists(archive)
    assert default_storage.exists(image.relative_path)
    assert default_storage.exists(image.thumbnail_path)


def test_deleting_a_set_deletes_its_files_from_the_bucket(world, django_capture_on_commit_callbacks):
    from images import services

    paths = [world["image"].relative_path, world["image"].thumbnail_path]
    assert all(default_storage.exists(path) for path in paths)
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_imageset(actor=world["ada"], image_set=world["set"])
    assert not any(default_storage.exists(path) for path in paths)


def test_the_zip_builder_streams_images_from_the_bucket(world, monkeypatch):
    """Entries are copied from ``open_stream`` (one GET each), not from ``storage.open`` copies."""
    image_set = make_set(world["team"], world["ada"], "streamed")
    add_image(image_set, "a.png", b"alpha" * 1000)
    opened = []
    real = zips.open_stream
    monkeypatch.setattr(zips, "open_stream", lambda name: opened.append(name) or real(name))
    monkeypatch.setattr(BucketStorage, "_open", lambda *args, **kwargs: pytest.fail("storage.open was used"))

    zips.build_zip.call(image_set.pk)

    image_set = ImageSet.objects.get(pk=image_set.pk)
    assert len(opened) == 1
    with open_stream(image_set.zip_file) as stream, zipfile.ZipFile(BytesIO(stream.read())) as archive:
        assert archive.read("a.png") == b"alpha" * 1000


# --- readiness --------------------------------------------------------------------------------------------


def test_readyz_writes_and_deletes_in_the_bucket(client, storage_dir):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["storage"] == "ok"
    assert default_storage.listdir("") == ([], [])


def test_readyz_reports_a_missing_bucket(client, storage_dir, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {**settings.STORAGES["default"]["OPTIONS"], "bucket_name": "no-such-bucket"},
        },
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["storage"].startswith("error: ")
