"""Safe ingestion of uploads (images/ingest.py): every refusal, names, duplicates, storage, thumbnails, orphans.

Every file is built by the test itself (Pillow images, zipfile/tarfile archives; see factories.py).
"""

import hashlib
import io
import os
import stat
import struct
import tarfile
import time
import zipfile
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.management import call_command
from django.db import IntegrityError, OperationalError
from PIL import Image as PILImage
from PIL import ImageFile

from images import ingest
from images.ingest import ensure_thumbnail, ingest_upload, ingest_uploads, safe_name
from images.models import Image, ImageSet
from images.tests.factories import (
    add_images,
    distinct_pngs,
    make_image_bytes,
    make_imageset,
    make_png,
    make_tar,
    make_upload,
    make_zip,
    tar_member,
)

# Tests using storage_dir run with the local folder and with a bucket (moto's S3 server, conftest.storage_dir).
pytestmark = [pytest.mark.django_db, pytest.mark.storages("filesystem", "s3")]


@pytest.fixture(autouse=True)
def _restore_pillow_limit(monkeypatch):
    """Ingestion sets Pillow's global pixel limit from the settings; give it back after each test."""
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", PILImage.MAX_IMAGE_PIXELS)


@pytest.fixture
def robots(make_user, make_team, storage_dir):
    """Team Robots: admin ada, member bob; outsider otto; a private set created by ada."""
    ada, bob, otto = make_user("ada"), make_user("bob"), make_user("otto")
    team = make_team("Robots", admins=[ada], members=[bob])
    image_set = make_imageset(team, creator=ada, name="field")
    return {"ada": ada, "bob": bob, "otto": otto, "team": team, "set": image_set, "storage": storage_dir}


def upload(robots, name, data, user="ada"):
    return ingest_upload(actor=robots[user], image_set=robots["set"], uploaded_file=make_upload(name, data))


def only(results):
    assert len(results) == 1, results
    return results[0]


def files_below(root):
    """Every file below the folder ``root``, relative, with "/" separators."""
    return sorted(
        os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/")
        for folder, _dirs, names in os.walk(root)
        for name in names
    )


def stored_files():
    """Every file in the default storage (a folder or a bucket), with "/" separators."""
    found = []

    def walk(folder):
        try:
            folders, names = default_storage.listdir(folder)
        except FileNotFoundError:
            return
        found.extend(f"{folder}/{name}" if folder else name for name in names)
        for child in folders:
            walk(f"{folder}/{child}" if folder else child)

    walk("")
    return sorted(found)


def assert_nothing_stored(robots):
    assert Image.objects.count() == 0
    assert stored_files() == []


def patch_central_directory(data, field_offset, fmt, value):
    """Overwrite a field in every central directory header of a zip (``field_offset`` from its start)."""
    data = bytearray(data)
    position = data.find(b"PK\x01\x02")
    assert position >= 0
    while position >= 0:
        struct.pack_into(fmt, data, position + field_offset, value)
        position = data.find(b"PK\x01\x02", position + 4)
    return bytes(data)


# --- single images -------------------------------------------------------------------------------


def test_a_png_is_stored_with_its_metadata_and_a_thumbnail(robots):
    data = make_image_bytes("png", 600, 300, (10, 200, 30))

    result = only(upload(robots, "field day.png", data))

    assert result.status == "added"
    assert result.reason == ""
    assert result.size == len(data)
    image = Image.objects.get(pk=result.image_id)
    assert image.image_set == robots["set"]
    assert image.name == "field day.png"
    assert (image.width, image.height, image.format, image.file_size) == (600, 300, "png", len(data))
    assert bytes(image.checksum) == hashlib.sha512(data).digest()
    assert image.uploader == robots["ada"]
    assert ingest.STORED_NAME.match(image.filename)
    assert image.filename.endswith(".png")
    assert len(image.filename) <= 100
    assert image.relative_path == f"images/{robots['set'].path}/{image.filename}"
    with default_storage.open(image.relative_path, "rb") as stored:
        assert stored.read() == data
    with default_storage.open(image.thumbnail_path, "rb") as thumbnail_file:
        thumbnail = PILImage.open(io.BytesIO(thumbnail_file.read()))
    assert thumbnail.format == "JPEG"
    assert thumbnail.size == (256, 128)
    assert result.as_dict() == {
        "name": "field day.png",
        "size": len(data),
        "status": "added",
        "reason": "",
        "image_id": image.pk,
    }


def test_a_jpeg_is_stored_as_jpg(robots):
    result = only(upload(robots, "photo.JPEG", make_image_bytes("jpeg", 40, 30)))

    image = Image.objects.get(pk=result.image_id)
    assert (image.format, image.content_type) == ("jpeg", "image/jpeg")
    assert image.filename.endswith(".jpg")
    assert image.name == "photo.JPEG"


def test_the_type_comes_from_the_content_not_the_name(robots):
    result = only(upload(robots, "actually-a-png.jpg", make_png()))

    image = Image.objects.get(pk=result.image_id)
    assert image.format == "png"
    assert image.filename.endswith(".png")
    assert image.name == "actually-a-png.jpg"


def test_webp_is_refused_unless_configured(robots, settings):
    webp = make_image_bytes("webp", 20, 10)

    refused = only(upload(robots, "a.webp", webp))
    assert refused.status == "refused"
    assert "not a PNG or JPEG image" in refused.reason
    assert_nothing_stored(robots)

    settings.IMAGE_EXTENSION = ["png", "jpeg", "webp"]
    added = only(upload(robots, "a.webp", webp))
    image = Image.objects.get(pk=added.image_id)
    assert (image.format, image.content_type) == ("webp", "image/webp")
    assert image.filename.endswith(".webp")


def test_configured_types_limit_what_is_accepted(robots, settings):
    settings.IMAGE_EXTENSION = ["jpeg"]

    result = only(upload(robots, "a.png", make_png()))

    assert result.status == "refused"
    assert "not a JPEG image" in result.reason
    assert_nothing_stored(robots)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("random.png", os.urandom(3000)),
        ("text.png", b"just some text, renamed to .png\n" * 20),
        ("empty.png", b""),
        ("animation.png", make_image_bytes("gif", 10, 10, 3, mode="P")),
        ("bitmap.jpg", make_image_bytes("bmp", 10, 10)),
    ],
)
def test_non_images_and_other_types_are_refused(robots, name, data):
    result = only(upload(robots, name, data))

    assert result.status == "refused"
    assert "not a PNG or JPEG image" in result.reason
    assert result.image_id is None
    assert_nothing_stored(robots)


def noisy(format, width=120, height=120):
    """An image of random pixels: it does not compress, so cutting it cuts into the pixel data."""
    image = PILImage.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    buffer = io.BytesIO()
    image.save(buffer, format.upper())
    return buffer.getvalue()


@pytest.mark.parametrize("format", ["png", "jpeg"])
def test_truncated_images_are_refused(robots, format):
    data = noisy(format)

    result = only(upload(robots, f"cut.{format}", data[: len(data) // 2]))

    assert result.status == "refused"
    assert "damaged" in result.reason
    assert_nothing_stored(robots)
    assert not ImageFile.LOAD_TRUNCATED_IMAGES


def test_a_corrupt_png_header_is_refused(robots):
    data = bytearray(make_png(50, 50))
    data[16:24] = b"\xff" * 8  # width and height in the IHDR chunk

    result = only(upload(robots, "corrupt.png", bytes(data)))

    assert result.status == "refused"
    assert result.reason == "The image is damaged: it starts like a PNG but cannot be read."
    assert_nothing_stored(robots)


@pytest.mark.parametrize("pixels", [110, 400], ids=["over the limit", "over twice the limit"])
def test_decompression_bombs_are_refused(robots, settings, pixels):
    settings.MAX_IMAGE_PIXELS = 100
    width = 10 if pixels == 110 else 20

    result = only(upload(robots, "bomb.png", make_png(width, pixels // width)))

    assert result.status == "refused"
    assert "too many pixels" in result.reason
    assert "decompression bomb" in result.reason
    assert_nothing_stored(robots)
    assert PILImage.MAX_IMAGE_PIXELS == 100


def test_images_up_to_the_pixel_limit_are_accepted(robots, settings):
    settings.MAX_IMAGE_PIXELS = 100

    assert only(upload(robots, "ok.png", make_png(10, 10))).status == "added"


def test_a_file_larger_than_any_allowed_image_is_refused_before_decoding(robots, monkeypatch):
    monkeypatch.setattr(ingest, "_max_file_bytes", lambda: 50)

    single = only(upload(robots, "big.png", make_png()))
    in_zip = only(upload(robots, "big.zip", make_zip([("big.png", make_png())])))

    assert single.status == in_zip.status == "refused"
    assert "larger than any image" in single.reason
    assert "larger than any image" in in_zip.reason
    assert_nothing_stored(robots)


def test_a_large_upload_kept_on_disk_is_stored_whole(robots):
    data = make_image_bytes("png", 300, 200, (1, 2, 3))
    uploaded = TemporaryUploadedFile("disk.png", "image/png", len(data), None)
    uploaded.write(data)
    uploaded.seek(0)

    result = only(ingest_upload(actor=robots["ada"], image_set=robots["set"], uploaded_file=uploaded))

    image = Image.objects.get(pk=result.image_id)
    with default_storage.open(image.relative_path, "rb") as stored:
        assert stored.read() == data
    uploaded.close()


# --- thumbnails ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("format", "mode", "color", "size", "expected"),
    [
        ("png", "RGBA", (0, 0, 255, 0), (1000, 10), (256, 3)),
        ("png", "LA", (100, 128), (20, 30), (20, 30)),
        ("png", "P", 3, (300, 300), (256, 256)),
        ("png", "I;16", 40000, (512, 100), (256, 50)),
        ("png", "1", 1, (64, 640), (26, 256)),
        ("jpeg", "L", 80, (2000, 1000), (256, 128)),
        ("jpeg", "CMYK", (0, 50, 100, 0), (300, 600), (128, 256)),
    ],
)
def test_thumbnails_are_small_jpegs_for_every_colour_mode(robots, format, mode, color, size, expected):
    data = make_image_bytes(format, size[0], size[1], color, mode=mode)

    image = Image.objects.get(pk=only(upload(robots, f"x.{format}", data)).image_id)

    with default_storage.open(image.thumbnail_path, "rb") as stored:
        thumbnail = PILImage.open(io.BytesIO(stored.read()))
        thumbnail.load()
    assert thumbnail.format == "JPEG"
    assert thumbnail.mode in ("RGB", "L")
    assert thumbnail.size == expected
    assert (image.width, image.height) == size


def test_thumbnails_follow_the_exif_orientation(robots):
    exif = PILImage.Exif()
    exif[0x0112] = 6  # shown rotated by 90° clockwise
    data = make_image_bytes("jpeg", 400, 200, (200, 10, 10), exif=exif.tobytes())

    image = Image.objects.get(pk=only(upload(robots, "turned.jpg", data)).image_id)

    # The size as viewers show it; the bytes stay as uploaded (viewers and tools turn them).
    assert (image.width, image.height) == (200, 400)
    with default_storage.open(image.relative_path, "rb") as stored:
        assert stored.read() == data
    with default_storage.open(image.thumbnail_path, "rb") as stored:
        assert PILImage.open(io.BytesIO(stored.read())).size == (128, 256)


@pytest.mark.parametrize(("orientation", "size"), [(1, (400, 200)), (3, (400, 200)), (5, (200, 400)), (8, (200, 400))])
def test_the_stored_size_is_the_size_viewers_show(robots, orientation, size):
    exif = PILImage.Exif()
    exif[0x0112] = orientation
    data = make_image_bytes("jpeg", 400, 200, (10, 10, 200), exif=exif.tobytes())
    image = Image.objects.get(pk=only(upload(robots, f"o{orientation}.jpg", data)).image_id)
    assert (image.width, image.height) == size


def test_a_missing_thumbnail_is_made_when_asked_for(robots):
    image = add_images(robots["set"])[0]
    default_storage.delete(image.thumbnail_path)

    assert ensure_thumbnail(image) == image.thumbnail_path

    with default_storage.open(image.thumbnail_path, "rb") as stored:
        assert PILImage.open(io.BytesIO(stored.read())).format == "JPEG"
    assert ensure_thumbnail(image) == image.thumbnail_path


def test_no_thumbnail_without_the_image_file(robots):
    image = add_images(robots["set"])[0]
    default_storage.delete(image.thumbnail_path)
    default_storage.delete(image.relative_path)

    assert ensure_thumbnail(image) is None
    assert not default_storage.exists(image.thumbnail_path)


def test_a_failing_thumbnail_does_not_refuse_the_image(robots, monkeypatch):
    def broken(image):
        raise ValueError("no thumbnails today")

    monkeypatch.setattr(ingest, "thumbnail_bytes", broken)

    result = only(upload(robots, "a.png", make_png()))

    image = Image.objects.get(pk=result.image_id)
    assert default_storage.exists(image.relative_path)
    assert not default_storage.exists(image.thumbnail_path)


# --- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a/b/c.png", "a/b/c.png"),
        ("./a/./b.png", "a/b.png"),
        ("a//b.png", "a/b.png"),
        ("win\\dir\\x.png", "win/dir/x.png"),
        ("e\u0301t\u00e9.png", "\u00e9t\u00e9.png"),
        ("bell\x07\x00tab\t.png", "belltab.png"),
        ("rtl\u202egnp.exe", "rtlgnp.exe"),
        ("  spaced name .png ", "spaced name .png"),
        ("x" * 251 + ".png", "x" * 251 + ".png"),
    ],
)
def test_names_are_made_safe(raw, expected):
    assert safe_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("../x.png", "“..”"),
        ("a/../../x.png", "“..”"),
        ("a\\..\\x.png", "“..”"),
        ("/abs.png", "Absolute paths"),
        ("\\\\server\\share\\x.png", "Absolute paths"),
        ("C:/x.png", "drive letters"),
        ("c:x.png", "drive letters"),
        ("./", "empty"),
        ("\x01\x02", "empty"),
        ("x" * 300 + ".png", "longer than 255"),
    ],
)
def test_unsafe_names_are_refused(raw, reason):
    with pytest.raises(ValueError, match=reason):
        safe_name(raw)


# --- zip archives --------------------------------------------------------------------------------


def test_a_zip_keeps_its_folders_and_skips_folder_entries(robots):
    red, green, blue = distinct_pngs(3)
    data = make_zip(["a/", "a/b/", ("a/b/c.png", red), ("top.png", green), ("win\\sub\\x.png", blue)])

    results = upload(robots, "set.zip", data)

    assert [(r.name, r.status) for r in results] == [
        ("a/b/c.png", "added"),
        ("top.png", "added"),
        ("win/sub/x.png", "added"),
    ]
    assert sorted(Image.objects.values_list("name", flat=True)) == ["a/b/c.png", "top.png", "win/sub/x.png"]
    c = Image.objects.get(name="a/b/c.png")
    with default_storage.open(c.relative_path, "rb") as stored:
        assert stored.read() == red
    assert results[0].size == len(red)


def test_a_stored_zip_and_macos_resource_forks(robots):
    data = make_zip(
        [("photo.png", make_png()), ("__MACOSX/._photo.png", b"\x00\x05\x16\x07resource fork")],
        compression=zipfile.ZIP_STORED,
    )

    results = upload(robots, "mac.zip", data)

    assert [(r.name, r.status) for r in results] == [("photo.png", "added")]


@pytest.mark.storages("filesystem")  # about the local folder
def test_a_zip_with_traversal_absolute_and_drive_names_stores_nothing_outside(robots, tmp_path):
    good = make_png(color=(9, 9, 9))
    data = make_zip(
        [
            ("../x.png", make_png(color=(1, 1, 1))),
            ("a/../../y.png", make_png(color=(2, 2, 2))),
            ("/abs.png", make_png(color=(3, 3, 3))),
            ("C:\\windows\\z.png", make_png(color=(4, 4, 4))),
            ("fine.png", good),
        ]
    )

    results = upload(robots, "evil.zip", data)

    reasons = {r.name: (r.status, r.reason) for r in results}
    assert reasons["fine.png"] == ("added", "")
    assert reasons["../x.png"][0] == "refused"
    assert "“..”" in reasons["../x.png"][1]
    assert "“..”" in reasons["a/../../y.png"][1]
    assert "Absolute paths" in reasons["/abs.png"][1]
    assert "drive letters" in reasons["C:\\windows\\z.png"][1]
    assert Image.objects.count() == 1
    everything = files_below(tmp_path)
    assert all(path.startswith(f"data/images/{robots['set'].path}/") or "thumbnails" in path for path in everything)
    assert len(everything) == 2  # the image and its thumbnail


def test_names_over_the_length_limit_are_refused(robots):
    long_name = "n" * 296 + ".png"
    data = make_zip([(long_name, make_png(color=(1, 2, 3))), ("d/" + "m" * 249 + ".png", make_png())])

    results = upload(robots, "long.zip", data)

    assert results[0].status == "refused"
    assert results[0].reason == "The name is longer than 255 characters."
    assert results[1].status == "added"
    assert len(Image.objects.get().name) == 255


def test_names_in_archives_lose_control_characters_and_are_nfc(robots):
    data = make_zip([("cafe\u0301\x1b[31m.png", make_png())])

    assert only(upload(robots, "u.zip", data)).name == "caf\u00e9[31m.png"
    assert Image.objects.get().name == "caf\u00e9[31m.png"


@pytest.mark.parametrize(
    "data",
    [make_zip([]), make_zip(["only/", "folders/"]), make_tar([]), make_tar([tar_member("d")], compression="gz")],
    ids=["empty zip", "zip of folders", "empty tar", "tar.gz of a folder"],
)
def test_empty_archives_are_refused(robots, data):
    result = only(upload(robots, "empty.zip", data))

    assert (result.name, result.status, result.reason) == ("empty.zip", "refused", "The archive holds no files.")
    assert_nothing_stored(robots)


def test_a_zip_with_too_many_entries_is_refused_whole(robots, settings):
    settings.ARCHIVE_MAX_ENTRIES = 3
    data = make_zip([(f"{index}.png", png) for index, png in enumerate(distinct_pngs(4))])

    result = only(upload(robots, "many.zip", data))

    assert result.status == "refused"
    assert result.reason == "The archive has more than 3 entries."
    assert_nothing_stored(robots)


def test_a_zip_declaring_too_many_entries_is_refused_before_it_is_read(robots, settings, monkeypatch):
    settings.ARCHIVE_MAX_ENTRIES = 3
    data = bytearray(make_zip([("a.png", make_png())]))
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 60000, 60000)  # entries on this disk, entries in total

    def never(*args, **kwargs):
        raise AssertionError("the central directory must not be read")

    monkeypatch.setattr(zipfile, "ZipFile", never)
    result = only(upload(robots, "lying.zip", bytes(data)))

    assert "more than 3 entries" in result.reason
    assert_nothing_stored(robots)


def test_a_zip64_end_record_is_read_for_the_entry_count(robots, settings):
    settings.ARCHIVE_MAX_ENTRIES = 2
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for index, png in enumerate(distinct_pngs(3)):
            archive.writestr(f"{index}.png", png)
    data = bytearray(out.getvalue())
    # Turn the end record into a zip64 one: a zip64 end record and locator before the classic record.
    end = data.rfind(b"PK\x05\x06")
    entries, cd_size, cd_offset = struct.unpack_from("<HLL", data, end + 10)
    record = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries, cd_size, cd_offset)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, end, 1)
    classic = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    data = bytes(data[:end]) + record + locator + classic

    assert ingest._zip_declared_entries(io.BytesIO(data)) == 3
    result = only(upload(robots, "zip64.zip", data))
    assert "more than 2 entries" in result.reason


def test_a_zip_declaring_huge_sizes_is_refused_before_unpacking(robots):
    data = make_zip([(f"{index}.png", png) for index, png in enumerate(distinct_pngs(6))])
    data = patch_central_directory(data, 24, "<L", 0xFFFFFFF0)  # six times 4 GiB > 20 GiB

    result = only(upload(robots, "bomb.zip", data))

    assert result.status == "refused"
    assert result.reason == "The archive would unpack to more than 20.0 GiB."
    assert_nothing_stored(robots)


def test_a_zip_within_a_lowered_size_limit_only(robots, settings):
    settings.ARCHIVE_MAX_BYTES = 100
    data = make_zip([(f"{index}.png", png) for index, png in enumerate(distinct_pngs(2))])

    result = only(upload(robots, "big.zip", data))

    assert result.reason == "The archive would unpack to more than 100 bytes."
    assert_nothing_stored(robots)


def test_a_zip_entry_holding_more_than_it_declares_is_not_trusted(robots):
    png = make_image_bytes("png", 30, 30, (5, 6, 7))
    data = make_zip([("liar.png", png)], compression=zipfile.ZIP_STORED)
    data = patch_central_directory(data, 24, "<L", 10)  # declares 10 bytes

    result = only(upload(robots, "liar.zip", data))

    assert result.status == "refused"
    assert "damaged" in result.reason
    assert_nothing_stored(robots)


def test_reading_more_than_the_limit_stops_the_archive(robots, monkeypatch):
    """The bytes read count too, not only the sizes the archive declares."""
    pngs = distinct_pngs(3)
    real_budget = ingest._Budget
    monkeypatch.setattr(ingest, "_Budget", lambda limit, why="": real_budget(len(pngs[0]) + 5))
    data = make_zip([(f"{index}.png", png) for index, png in enumerate(pngs)])

    results = upload(robots, "grows.zip", data)

    assert [r.status for r in results] == ["added", "refused"]
    assert results[1].name == "grows.zip"
    assert "unpacks to more than" in results[1].reason
    assert Image.objects.count() == 1


def test_symlinks_in_a_zip_are_refused(robots):
    link = zipfile.ZipInfo("link.png")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(link, "/etc/passwd")
        archive.writestr("real.png", make_png())

    results = upload(robots, "links.zip", out.getvalue())

    assert [(r.name, r.status, r.reason) for r in results] == [
        ("link.png", "refused", "Links are not imported."),
        ("real.png", "added", ""),
    ]


def test_a_damaged_zip_is_refused(robots):
    data = make_zip([("a.png", make_png())])

    result = only(upload(robots, "cut.zip", data[: len(data) - 30]))

    assert result.status == "refused"
    assert "damaged" in result.reason
    assert_nothing_stored(robots)


def test_an_entry_with_an_unsupported_compression_is_refused(robots):
    data = make_zip([("a.png", make_png())], compression=zipfile.ZIP_STORED)
    data = patch_central_directory(data, 10, "<H", 9)  # Deflate64, which zipfile cannot read

    result = only(upload(robots, "d64.zip", data))

    assert result.status == "refused"
    assert "not supported" in result.reason


def test_encrypted_entries_are_refused(robots):
    data = make_zip([("secret.png", make_png())], compression=zipfile.ZIP_STORED)
    data = patch_central_directory(data, 8, "<H", 0x1)

    result = only(upload(robots, "secret.zip", data))

    assert (result.status, result.reason) == ("refused", "Encrypted files are not supported.")


def test_refused_entries_do_not_stop_the_others(robots):
    data = make_zip(
        [
            ("broken.png", noisy("png")[:5000]),
            ("notes.txt", b"hello"),
            ("good.png", make_png(color=(0, 1, 2))),
        ]
    )

    results = upload(robots, "mixed.zip", data)

    assert [r.status for r in results] == ["refused", "refused", "added"]
    assert "damaged" in results[0].reason
    assert "not a PNG or JPEG image" in results[1].reason


# --- tar archives --------------------------------------------------------------------------------


@pytest.mark.parametrize("compression", ["", "gz", "bz2", "xz"])
def test_tar_archives_are_recognised_by_their_content(robots, compression):
    first, second = distinct_pngs(2)
    data = make_tar([tar_member("a"), ("a/b/c.png", first), ("top.png", second)], compression=compression)

    results = upload(robots, "no-extension", data)

    assert [(r.name, r.status) for r in results] == [("a/b/c.png", "added"), ("top.png", "added")]


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        (tar_member("link.png", tarfile.SYMTYPE, linkname="/etc/passwd"), "Links are not imported."),
        (tar_member("hard.png", tarfile.LNKTYPE, linkname="real.png"), "Links are not imported."),
        (tar_member("tty.png", tarfile.CHRTYPE, devmajor=5, devminor=0), "Devices and pipes are not imported."),
        (tar_member("disk.png", tarfile.BLKTYPE, devmajor=8, devminor=0), "Devices and pipes are not imported."),
        (tar_member("pipe.png", tarfile.FIFOTYPE), "Devices and pipes are not imported."),
    ],
)
def test_links_and_devices_in_tar_files_are_refused(robots, member, reason):
    data = make_tar([("real.png", make_png()), member], compression="gz")

    results = upload(robots, "special.tar.gz", data)

    assert [(r.status, r.reason) for r in results] == [("added", ""), ("refused", reason)]
    assert Image.objects.count() == 1


@pytest.mark.storages("filesystem")  # about the local folder
def test_traversal_and_absolute_names_in_tar_files_are_refused(robots, tmp_path):
    data = make_tar([("../x.png", make_png(color=(1, 1, 1))), ("/abs.png", make_png(color=(2, 2, 2)))])

    results = upload(robots, "evil.tar", data)

    assert [r.status for r in results] == ["refused", "refused"]
    assert "“..”" in results[0].reason
    assert "Absolute paths" in results[1].reason
    assert files_below(tmp_path) == []


def test_a_tar_with_too_many_entries_stops_at_the_limit(robots, settings):
    settings.ARCHIVE_MAX_ENTRIES = 3
    data = make_tar([(f"{index}.png", png) for index, png in enumerate(distinct_pngs(5))], compression="gz")

    results = upload(robots, "many.tgz", data)

    assert [r.status for r in results] == ["added", "added", "added", "refused"]
    assert results[-1].name == "many.tgz"
    assert "more than 3 entries" in results[-1].reason
    assert Image.objects.count() == 3


def test_a_tar_declaring_more_than_the_size_limit_stops_there(robots, settings):
    pngs = distinct_pngs(3)
    settings.ARCHIVE_MAX_BYTES = len(pngs[0]) * 2 + 10
    data = make_tar([(f"{index}.png", png) for index, png in enumerate(pngs)], compression="gz")

    results = upload(robots, "big.tgz", data)

    assert [r.status for r in results] == ["added", "added", "refused"]
    assert "unpacks to more than" in results[-1].reason
    assert Image.objects.count() == 2


def test_a_tar_header_bigger_than_declared_is_not_read_into_memory(robots, monkeypatch):
    member = tarfile.TarInfo("big-header.png")
    member.pax_headers = {"comment": "x" * (3 * 1024 * 1024)}
    png = make_png()
    member.size = len(png)
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz", format=tarfile.PAX_FORMAT) as archive:
        archive.addfile(tarfile.TarInfo("first.png"), io.BytesIO(b""))
        archive.addfile(member, io.BytesIO(png))
    reads = []
    real_read = ingest._TarStream.read

    def read(self, size=-1):
        reads.append(size)
        return real_read(self, size)

    monkeypatch.setattr(ingest._TarStream, "read", read)
    results = upload(robots, "pax.tgz", out.getvalue())

    assert results[-1].name == "pax.tgz"
    assert results[-1].status == "refused"
    assert "more data than its entries declare" in results[-1].reason
    assert Image.objects.count() == 0
    assert max(reads) > 3 * 1024 * 1024  # tarfile asked for the whole header at once, and was refused


def test_a_truncated_tar_gz_stops_with_a_reason(robots):
    first, second = (make_image_bytes("png", 200, 200, color) for color in ((1, 2, 3), (4, 5, 6)))
    data = make_tar([("a.png", first), ("b.png", os.urandom(60000)), ("c.png", second)], compression="gz")

    results = upload(robots, "cut.tgz", data[: len(data) * 2 // 3])

    assert results[0].status == "added"
    assert results[-1].status == "refused"
    assert "damaged" in results[-1].reason
    assert Image.objects.count() == 1


def test_a_compressed_file_that_is_not_a_tar_is_refused(robots):
    import gzip

    result = only(upload(robots, "image.png.gz", gzip.compress(make_png())))

    assert (result.status, result.reason) == ("refused", "This gzip file does not hold a tar archive.")


# --- duplicates ----------------------------------------------------------------------------------


def test_duplicates_inside_one_upload_are_skipped(robots):
    png, other = distinct_pngs(2)
    data = make_zip([("a.png", png), ("b.png", other), ("copy/a.png", png)])

    results = upload(robots, "dups.zip", data)

    assert [(r.name, r.status) for r in results] == [
        ("a.png", "added"),
        ("b.png", "added"),
        ("copy/a.png", "duplicate"),
    ]
    assert results[2].reason == "The same image came earlier in this upload."
    assert results[2].image_id == results[0].image_id
    assert Image.objects.count() == 2
    assert len(stored_files()) == 4  # two images, two thumbnails


def test_duplicates_of_images_in_the_set_are_skipped(robots):
    png = make_png()
    first = only(upload(robots, "a.png", png))

    again = only(upload(robots, "renamed.png", png))
    in_tar = only(upload(robots, "t.tar", make_tar([("x/y.png", png)])))

    assert (again.status, again.image_id) == ("duplicate", first.image_id)
    assert again.reason == "This image is already in the set."
    assert in_tar.status == "duplicate"
    assert Image.objects.count() == 1


def test_the_same_image_may_be_in_two_sets(robots):
    other_set = make_imageset(robots["team"], creator=robots["ada"], name="other")
    png = make_png()
    upload(robots, "a.png", png)

    result = only(ingest_upload(actor=robots["ada"], image_set=other_set, uploaded_file=make_upload("a.png", png)))

    assert result.status == "added"


def test_a_concurrent_duplicate_hits_the_unique_constraint_and_leaves_no_file(robots, monkeypatch):
    png = make_png()
    first = only(upload(robots, "a.png", png))
    files_before = stored_files()
    real_existing = ingest._Ingest._existing
    calls = []

    def existing(self, digest):
        calls.append(digest)
        # The first look misses the row, as if it had been committed by another request just after.
        return None if len(calls) == 1 else real_existing(self, digest)

    monkeypatch.setattr(ingest._Ingest, "_existing", existing)
    result = only(upload(robots, "race.png", png, user="bob"))

    assert (result.status, result.image_id) == ("duplicate", first.image_id)
    assert Image.objects.count() == 1
    assert stored_files() == files_before


# --- no orphans ----------------------------------------------------------------------------------


class HalfWritingStorage(FileSystemStorage):
    """Writes half of every file, then fails like a full disk."""

    def _save(self, name, content):
        data = content.read()
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as partial:
            partial.write(data[: len(data) // 2])
        raise OSError(28, "No space left on device")


@pytest.mark.storages("filesystem")  # about the local folder
def test_a_failing_storage_write_leaves_no_row_and_no_partial_file(robots, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": f"{HalfWritingStorage.__module__}.HalfWritingStorage",
            "OPTIONS": {"location": str(robots["storage"])},
        },
    }

    results = upload(robots, "two.zip", make_zip([(f"{i}.png", png) for i, png in enumerate(distinct_pngs(2))]))

    assert [r.status for r in results] == ["refused", "refused"]
    assert results[0].reason == "The image could not be stored. Please try again later."
    assert_nothing_stored(robots)
    assert ImageSet.objects.get().content_version == robots["set"].content_version


def test_a_refused_row_insert_deletes_the_stored_files(robots, monkeypatch):
    def refuse(**fields):
        raise IntegrityError("simulated constraint failure")

    monkeypatch.setattr(Image.objects, "create", refuse)

    result = only(upload(robots, "a.png", make_png()))

    assert (result.status, result.reason) == ("refused", "The image could not be saved. Please try again later.")
    assert_nothing_stored(robots)


def test_a_failing_database_deletes_the_stored_files_and_raises(robots, monkeypatch):
    def broken(**fields):
        raise OperationalError("the database went away")

    monkeypatch.setattr(Image.objects, "create", broken)

    with pytest.raises(OperationalError):
        upload(robots, "a.png", make_png())

    assert_nothing_stored(robots)


def test_a_failure_after_some_images_still_records_the_change(robots, monkeypatch):
    real_create = Image.objects.create
    calls = []

    def create(**fields):
        calls.append(fields["name"])
        if len(calls) == 2:
            raise OperationalError("the database went away")
        return real_create(**fields)

    monkeypatch.setattr(Image.objects, "create", create)
    version = robots["set"].content_version

    with pytest.raises(OperationalError):
        upload(robots, "two.zip", make_zip([(f"{i}.png", png) for i, png in enumerate(distinct_pngs(2))]))

    assert Image.objects.count() == 1
    assert len(stored_files()) == 2  # the first image and its thumbnail
    assert ImageSet.objects.get().content_version == version + 1


# --- orphan clean-up -----------------------------------------------------------------------------


def _age(path, hours):
    old = time.time() - hours * 3600
    os.utime(path, (old, old))


@pytest.mark.storages("filesystem")  # about the local folder
def test_cleanorphans_deletes_old_files_without_rows_only(robots, capsys):
    image = add_images(robots["set"])[0]
    folder = robots["storage"] / "images" / robots["set"].path
    thumbnails = robots["storage"] / "images" / "thumbnails" / robots["set"].path
    old_orphan = folder / ("a" * 32 + ".png")
    new_orphan = folder / ("b" * 32 + ".jpg")
    old_thumbnail = thumbnails / ("c" * 32 + ".jpg")
    archive = folder / f"imageset_{robots['set'].pk}.zip"
    stray_folder = robots["storage"] / "images" / "9_99"
    stray_folder.mkdir()
    stray = stray_folder / ("d" * 32 + ".webp")
    for path in (old_orphan, new_orphan, old_thumbnail, archive, stray):
        path.write_bytes(b"x")
    for path in [*folder.iterdir(), *thumbnails.iterdir(), stray]:
        if path != new_orphan:
            _age(path, 2)

    call_command("cleanorphans", "--dry-run")
    assert old_orphan.exists()
    assert "would delete" in capsys.readouterr().out

    call_command("cleanorphans")

    assert not old_orphan.exists()
    assert not old_thumbnail.exists()
    assert not stray.exists()
    assert new_orphan.exists()  # may belong to an upload in progress
    assert archive.exists()  # not a name the upload makes
    assert default_storage.exists(image.relative_path)
    assert default_storage.exists(image.thumbnail_path)
    assert "3 orphan file(s) deleted" in capsys.readouterr().out


@pytest.mark.storages("filesystem")  # about the local folder
def test_cleanorphans_with_a_shorter_age_and_no_image_folder(robots, capsys):
    call_command("cleanorphans")
    assert "0 orphan file(s) deleted" in capsys.readouterr().out

    folder = robots["storage"] / "images" / robots["set"].path
    folder.mkdir(parents=True)
    orphan = folder / ("e" * 32 + ".png")
    orphan.write_bytes(b"x")
    _age(orphan, 0.5)
    assert ingest.delete_orphan_files() == []
    assert ingest.delete_orphan_files(older_than=timedelta(minutes=10)) == [
        f"images/{robots['set'].path}/{orphan.name}"
    ]
    assert not orphan.exists()


# --- permissions and bookkeeping -----------------------------------------------------------------


def test_members_and_the_creator_may_upload(robots, make_user):
    creator = make_user("carla")
    robots["team"].memberships.create(user=creator, is_admin=False)
    own_set = make_imageset(robots["team"], creator=creator)

    assert only(upload(robots, "a.png", make_png(color=(1, 1, 1)), user="bob")).status == "added"
    assert only(upload(robots, "b.png", make_png(color=(2, 2, 2)), user="ada")).status == "added"
    result = only(ingest_upload(actor=creator, image_set=own_set, uploaded_file=make_upload("c.png", make_png())))
    assert result.status == "added"


@pytest.mark.parametrize("public", [False, True])
def test_outsiders_may_not_upload(robots, public):
    robots["set"].public = public
    robots["set"].public_collaboration = public
    robots["set"].save()

    with pytest.raises(PermissionDenied, match="You may not upload images to this image set."):
        upload(robots, "a.png", make_png(), user="otto")

    assert_nothing_stored(robots)


@pytest.mark.parametrize("user", ["ada", "bob"])
def test_nobody_uploads_to_a_locked_set(robots, user):
    robots["set"].image_lock = True
    robots["set"].save()

    with pytest.raises(PermissionDenied, match="locked"):
        upload(robots, "a.png", make_png(), user=user)

    assert_nothing_stored(robots)


def test_the_set_changes_once_per_upload_and_not_for_nothing(robots):
    version = robots["set"].content_version
    pngs = distinct_pngs(4)

    ingest_uploads(
        actor=robots["ada"],
        image_set=robots["set"],
        uploaded_files=[
            make_upload("a.zip", make_zip([("1.png", pngs[0]), ("2.png", pngs[1])])),
            make_upload("3.png", pngs[2]),
        ],
    )
    assert ImageSet.objects.get().content_version == version + 1

    upload(robots, "again.png", pngs[2])
    upload(robots, "junk.png", b"junk")
    assert ImageSet.objects.get().content_version == version + 1


def test_the_archive_is_rebuilt_after_an_upload(robots, django_capture_on_commit_callbacks, monkeypatch):
    from images import zips

    scheduled = []
    monkeypatch.setattr(zips, "schedule_build", scheduled.append)

    with django_capture_on_commit_callbacks(execute=True):
        upload(robots, "a.zip", make_zip([(f"{i}.png", png) for i, png in enumerate(distinct_pngs(3))]))

    assert scheduled == [robots["set"].pk]


def test_many_images_through_a_disk_spool(robots, monkeypatch):
    monkeypatch.setattr(ingest, "SPOOL_MEMORY", 100)
    monkeypatch.setattr(ingest, "CHUNK_SIZE", 64)
    pngs = distinct_pngs(30, 40, 40)

    results = upload(robots, "many.zip", make_zip([(f"d{i % 3}/{i}.png", png) for i, png in enumerate(pngs)]))

    assert [r.status for r in results] == ["added"] * 30
    checksums = {bytes(c) for c in Image.objects.values_list("checksum", flat=True)}
    assert checksums == {hashlib.sha512(png).digest() for png in pngs}


def test_a_plain_tar_with_a_huge_first_header_is_refused_as_an_archive(robots):
    member = tarfile.TarInfo("big-header.png")
    member.pax_headers = {"comment": "x" * (2 * 1024 * 1024)}
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as archive:
        archive.addfile(member, io.BytesIO(b""))

    result = only(upload(robots, "pax.tar", out.getvalue()))

    assert (result.name, result.status) == ("pax.tar", "refused")
    assert "more data than its entries declare" in result.reason
