"""Upload through the HTML endpoint, image and thumbnail serving (images/views_files.py): permissions,
content types, ETag/304, Cache-Control and X-Accel-Redirect."""

import io

import pytest
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from PIL import Image as PILImage

from base.tests.s3 import downloaded
from images.models import Image, ImageSet
from images.tests.factories import add_images, distinct_pngs, make_image_bytes, make_imageset, make_png, make_zip
from users.tests.html_helpers import assert_login_redirect

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_user, make_team, storage_dir):
    """Team Robots (admin ada, member bob, member carla who created "carla's"); outsider otto.

    Sets: "private" (by ada), "public" (by ada, public), "locked" (private, locked), "carla's" (by carla).
    """
    ada, bob, carla, otto = (make_user(name) for name in ("ada", "bob", "carla", "otto"))
    team = make_team("Robots", admins=[ada], members=[bob, carla])
    sets = {
        "private": make_imageset(team, creator=ada, name="private"),
        "public": make_imageset(team, creator=ada, name="public", public=True),
        "locked": make_imageset(team, creator=ada, name="locked", image_lock=True),
        "carla's": make_imageset(team, creator=carla, name="carla's"),
    }
    users = {"ada": ada, "bob": bob, "carla": carla, "otto": otto}
    return {"users": users, "team": team, "sets": sets, "storage": storage_dir}


def upload_url(image_set):
    return reverse("images:upload_images", args=[image_set.pk])


def post_files(client, image_set, *files, field="files"):
    """POST (name, bytes) pairs as multipart field ``field``."""
    uploads = []
    for name, data in files:
        handle = io.BytesIO(data)
        handle.name = name
        uploads.append(handle)
    return client.post(upload_url(image_set), {field: uploads})


# --- upload endpoint -----------------------------------------------------------------------------


@pytest.mark.parametrize(("user", "set_name"), [("ada", "private"), ("bob", "private"), ("carla", "carla's")])
def test_team_members_upload_and_get_a_result_per_file(world, client_for, user, set_name):
    image_set = world["sets"][set_name]
    png = make_png()

    response = post_files(client_for(world["users"][user]), image_set, ("a.png", png))

    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    image = Image.objects.get()
    assert response.json() == {
        "files": [{"name": "a.png", "size": len(png), "status": "added", "reason": "", "image_id": image.pk}]
    }
    assert image.image_set == image_set
    assert image.uploader == world["users"][user]


@pytest.mark.storages("filesystem", "s3")
def test_several_files_and_archives_in_one_request(world, client_for):
    image_set = world["sets"]["private"]
    first, second, third = distinct_pngs(3)
    version = image_set.content_version

    response = post_files(
        client_for(world["users"]["ada"]),
        image_set,
        ("one.png", first),
        ("folder.zip", make_zip([("day1/two.png", second), ("day1/three.png", third), ("copy.png", first)])),
        ("notes.txt", b"not an image"),
    )

    assert response.status_code == 201
    files = response.json()["files"]
    assert [(f["name"], f["status"]) for f in files] == [
        ("one.png", "added"),
        ("day1/two.png", "added"),
        ("day1/three.png", "added"),
        ("copy.png", "duplicate"),
        ("notes.txt", "refused"),
    ]
    assert "not a PNG or JPEG image" in files[-1]["reason"]
    assert ImageSet.objects.get(pk=image_set.pk).content_version == version + 1


def test_the_field_may_be_called_files_with_brackets(world, client_for):
    response = post_files(
        client_for(world["users"]["ada"]), world["sets"]["private"], ("a.png", make_png()), field="files[]"
    )

    assert response.status_code == 201
    assert response.json()["files"][0]["status"] == "added"


def test_an_upload_that_adds_nothing_answers_200(world, client_for):
    response = post_files(client_for(world["users"]["ada"]), world["sets"]["private"], ("x.png", b"nope"))

    assert response.status_code == 200
    assert response.json()["files"][0]["status"] == "refused"
    assert Image.objects.count() == 0


def test_no_file_is_a_bad_request(world, client_for):
    response = client_for(world["users"]["ada"]).post(upload_url(world["sets"]["private"]), {"other": "x"})

    assert response.status_code == 400
    assert "Choose one or more files" in response.json()["detail"]


def test_get_is_not_allowed(world, client_for):
    response = client_for(world["users"]["ada"]).get(upload_url(world["sets"]["private"]))

    assert response.status_code == 405


def test_anonymous_uploads_are_sent_to_the_login_page(world, client):
    url = upload_url(world["sets"]["public"])

    response = post_files(client, world["sets"]["public"], ("a.png", make_png()))

    assert_login_redirect(response, url)
    assert Image.objects.count() == 0


def test_outsiders_get_404_for_private_sets(world, client_for):
    response = post_files(client_for(world["users"]["otto"]), world["sets"]["private"], ("a.png", make_png()))

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"private" not in response.content
    assert Image.objects.count() == 0


def test_unknown_sets_are_404(world, client_for):
    response = client_for(world["users"]["ada"]).post("/images/imageset/999999/upload/", {})

    assert response.status_code == 404


def test_readers_of_a_public_set_may_not_upload(world, client_for):
    response = post_files(client_for(world["users"]["otto"]), world["sets"]["public"], ("a.png", make_png()))

    assert response.status_code == 403
    assert response.json() == {"detail": "You may not upload images to this image set."}
    assert Image.objects.count() == 0


@pytest.mark.parametrize("user", ["ada", "bob"])
def test_locked_sets_refuse_uploads_with_a_reason(world, client_for, user):
    response = post_files(client_for(world["users"][user]), world["sets"]["locked"], ("a.png", make_png()))

    assert response.status_code == 403
    assert "This image set is locked" in response.json()["detail"]
    assert Image.objects.count() == 0
    assert default_storage.listdir("")[1] == []


def test_uploads_need_the_csrf_token(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world["users"]["ada"])

    response = post_files(client, world["sets"]["private"], ("a.png", make_png()))

    assert response.status_code == 403
    assert Image.objects.count() == 0


# --- the upload panel ----------------------------------------------------------------------------


def test_the_upload_panel_renders_with_the_notice_and_the_accepted_types(world, settings):
    settings.UPLOAD_NOTICE = "Images are <strong>CC0</strong>."
    settings.IMAGE_EXTENSION = ["png", "jpeg", "webp"]
    image_set = world["sets"]["private"]
    request = RequestFactory().get("/")
    request.user = world["users"]["ada"]

    html = render_to_string("images/includes/upload_panel.html", {"image_set": image_set}, request=request)

    assert f'data-upload-url="{upload_url(image_set)}"' in html
    assert "Images are <strong>CC0</strong>." in html
    assert "PNG, JPEG or WEBP" in html
    assert 'type="file" id="upload-input" name="files" multiple' in html
    assert 'id="upload-button"' in html
    assert "csrfmiddlewaretoken" in html
    assert "images/js/upload.js" in html


# --- serving -------------------------------------------------------------------------------------


@pytest.fixture
def pictures(world):
    """One PNG in each set, plus a JPEG in the private set."""
    images = {name: add_images(image_set, names=[f"{name}.png"])[0] for name, image_set in world["sets"].items()}
    jpeg = make_image_bytes("jpeg", 400, 300, (0, 0, 200))
    from images.ingest import add_image_file

    result = add_image_file(world["sets"]["private"], name="photo.jpg", fileobj=io.BytesIO(jpeg))
    images["jpeg"] = Image.objects.get(pk=result.image_id)
    return images


def image_url(image):
    return reverse("images:view_image", args=[image.pk])


def thumbnail_url(image):
    return reverse("images:thumbnail", args=[image.pk])


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def stored_bytes(image):
    with default_storage.open(image.relative_path, "rb") as stored:
        return stored.read()


@pytest.mark.parametrize(
    ("user", "set_name"),
    [
        ("ada", "private"),
        ("bob", "private"),
        ("carla", "carla's"),
        ("otto", "public"),
        ("bob", "locked"),
    ],
)
def test_readers_see_images_with_their_type_and_caching_headers(world, pictures, client_for, user, set_name):
    image = pictures[set_name]

    response = client_for(world["users"][user]).get(image_url(image))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert body(response) == stored_bytes(image)
    assert response["ETag"] == f'"{image.checksum_hex}"'
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["Content-Disposition"] == f'inline; filename="{set_name}.png"'
    assert "X-Accel-Redirect" not in response


def test_jpeg_and_webp_content_types(world, pictures, client_for, settings):
    settings.IMAGE_EXTENSION = ["png", "jpeg", "webp"]
    from images.ingest import add_image_file

    webp = add_image_file(world["sets"]["private"], name="w.webp", fileobj=io.BytesIO(make_image_bytes("webp")))
    client = client_for(world["users"]["ada"])

    jpeg_response = client.get(image_url(pictures["jpeg"]))
    webp_response = client.get(reverse("images:view_image", args=[webp.image_id]))

    assert jpeg_response["Content-Type"] == "image/jpeg"
    assert webp_response["Content-Type"] == "image/webp"
    assert body(webp_response)[8:12] == b"WEBP"


@pytest.mark.parametrize("view", [image_url, thumbnail_url])
def test_outsiders_get_404_for_images_of_private_sets(world, pictures, client_for, view):
    response = client_for(world["users"]["otto"]).get(view(pictures["private"]))

    assert response.status_code == 404
    assert "ETag" not in response


@pytest.mark.parametrize("view", [image_url, thumbnail_url])
def test_an_outsider_with_a_matching_etag_still_gets_404(world, pictures, client_for, view):
    image = pictures["private"]

    response = client_for(world["users"]["otto"]).get(view(image), HTTP_IF_NONE_MATCH="*")

    assert response.status_code == 404


@pytest.mark.parametrize("view", [image_url, thumbnail_url])
def test_anonymous_visitors_are_sent_to_the_login_page(world, pictures, client, view):
    url = view(pictures["public"])

    assert_login_redirect(client.get(url), url)


def test_unknown_images_are_404(world, client_for):
    assert client_for(world["users"]["ada"]).get("/images/image/987654/").status_code == 404
    assert client_for(world["users"]["ada"]).get("/images/image/987654/thumbnail/").status_code == 404


@pytest.mark.parametrize(
    "header",
    ['"{etag}"', 'W/"{etag}"', '"other", "{etag}"', "*"],
    ids=["exact", "weak", "in a list", "any"],
)
def test_a_matching_etag_answers_304(world, pictures, client_for, header):
    image = pictures["private"]

    response = client_for(world["users"]["bob"]).get(
        image_url(image), HTTP_IF_NONE_MATCH=header.format(etag=image.checksum_hex)
    )

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == f'"{image.checksum_hex}"'
    assert response["Cache-Control"] == "private, max-age=3600"


def test_another_etag_gets_the_image(world, pictures, client_for):
    response = client_for(world["users"]["bob"]).get(image_url(pictures["private"]), HTTP_IF_NONE_MATCH='"stale"')

    assert response.status_code == 200


def test_head_and_post(world, pictures, client_for):
    client = client_for(world["users"]["ada"])

    head = client.head(image_url(pictures["private"]))

    assert head.status_code == 200
    assert head["Content-Type"] == "image/png"
    assert client.post(image_url(pictures["private"])).status_code == 405
    assert client.post(thumbnail_url(pictures["private"])).status_code == 405


def test_a_missing_file_is_404(world, pictures, client_for):
    default_storage.delete(pictures["private"].relative_path)

    assert client_for(world["users"]["ada"]).get(image_url(pictures["private"])).status_code == 404


def test_thumbnails_are_jpegs_with_their_own_etag(world, pictures, client_for):
    image = pictures["jpeg"]
    client = client_for(world["users"]["ada"])

    response = client.get(thumbnail_url(image))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    thumbnail = PILImage.open(io.BytesIO(body(response)))
    assert thumbnail.size == (256, 192)
    etag = response["ETag"]
    assert etag != f'"{image.checksum_hex}"'
    assert response["Cache-Control"] == "private, max-age=3600"
    assert client.get(thumbnail_url(image), HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_a_missing_thumbnail_is_made_on_request(world, pictures, client_for):
    image = pictures["public"]
    default_storage.delete(image.thumbnail_path)

    response = client_for(world["users"]["otto"]).get(thumbnail_url(image))

    assert response.status_code == 200
    assert PILImage.open(io.BytesIO(body(response))).format == "JPEG"
    assert default_storage.exists(image.thumbnail_path)


def test_no_thumbnail_without_an_image_file_is_404(world, pictures, client_for):
    image = pictures["private"]
    default_storage.delete(image.thumbnail_path)
    default_storage.delete(image.relative_path)

    assert client_for(world["users"]["ada"]).get(thumbnail_url(image)).status_code == 404


def test_nginx_serves_the_files_after_the_permission_check(world, pictures, client_for, settings):
    settings.USE_NGINX_IMAGE_PROVISION = True
    image = pictures["private"]
    client = client_for(world["users"]["bob"])

    response = client.get(image_url(image))
    thumbnail = client.get(thumbnail_url(image))
    refused = client_for(world["users"]["otto"]).get(image_url(image))

    assert response.status_code == 200
    assert response.content == b""
    assert response["X-Accel-Redirect"] == f"/ngx_static_dn/images/{image.image_set.path}/{image.filename}"
    assert response["Content-Type"] == "image/png"
    assert response["ETag"] == f'"{image.checksum_hex}"'
    assert thumbnail["X-Accel-Redirect"] == f"/ngx_static_dn/{image.thumbnail_path}"
    assert thumbnail["Content-Type"] == "image/jpeg"
    assert refused.status_code == 404
    assert "X-Accel-Redirect" not in refused


def test_nginx_paths_are_url_encoded(world, pictures, client_for, settings):
    settings.USE_NGINX_IMAGE_PROVISION = True
    settings.IMAGE_PATH = "my images"
    image = pictures["private"]

    response = client_for(world["users"]["ada"]).get(image_url(image))

    assert response["X-Accel-Redirect"].startswith("/ngx_static_dn/my%20images/")


def test_a_set_set_free_stays_readable_by_everyone(world, pictures, client_for):
    image_set = world["sets"]["private"]
    image_set.team = None
    image_set.public = True
    image_set.image_lock = True
    image_set.save()

    response = client_for(world["users"]["otto"]).get(image_url(pictures["private"]))

    assert response.status_code == 200


@pytest.mark.storages("filesystem", "s3")
def test_an_uploaded_image_is_served_byte_for_byte(world, client_for):
    png = make_image_bytes("png", 33, 44, (4, 5, 6))
    client = client_for(world["users"]["bob"])

    image_id = post_files(client, world["sets"]["private"], ("x.png", png)).json()["files"][0]["image_id"]
    response = client.get(reverse("images:view_image", args=[image_id]))

    assert downloaded(response) == png
