"""Archive bombs (images/ingest.py): members are checked before they are inflated, and while they are.

Every upload goes through the real API (multipart POST of a real file from the test's folder) into
the real database and storage. The bombs are real: a zip holding 1 GiB of zeros (about 1 MiB), and
tar.gz/bz2/xz archives of the same (their compressed streams are concatenations of one compressed
MiB of zeros, which gzip, bzip2 and xz readers accept as one stream).
"""

import bz2
import gzip
import io
import lzma
import os
import random
import tarfile
import tempfile
import time
import zipfile

import pytest
from django.test import override_settings
from PIL import Image as PILImage

from images.models import Image
from images.tests.factories import distinct_pngs, make_imageset, make_png

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024
GIB = 1024 * MIB
ZEROS = bytes(MIB)


@pytest.fixture(autouse=True)
def _restore_pillow_limit(monkeypatch):
    """Ingestion sets Pillow's global pixel limit from the settings; give it back after each test."""
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", PILImage.MAX_IMAGE_PIXELS)


@pytest.fixture
def site(make_user, make_team, storage_dir, settings, tmp_path, api_for, monkeypatch):
    """Admin ada's set, an API client for her, and the folders where files could be left behind."""
    ada = make_user("ada")
    team = make_team("Robots", admins=[ada])
    upload_tmp = tmp_path / "upload-tmp"
    upload_tmp.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(upload_tmp)
    monkeypatch.setattr(tempfile, "tempdir", str(upload_tmp))  # anything made without a dir= lands here too
    rollovers = []
    real_rollover = tempfile.SpooledTemporaryFile.rollover

    def rollover(spool):  # a spooled member that goes to disk
        rollovers.append(spool)
        return real_rollover(spool)

    monkeypatch.setattr(tempfile.SpooledTemporaryFile, "rollover", rollover)
    image_set, api = make_imageset(team, creator=ada, name="field"), api_for(ada)
    # The first request of a process imports every URL module (seconds): not part of what is timed.
    assert api.get(f"/api/v1/imagesets/{image_set.pk}/images/").status_code == 200
    return {
        "set": image_set,
        "api": api,
        "storage": storage_dir,
        "scratch": [upload_tmp, settings.TMP_FS_URL],
        "rollovers": rollovers,
        "files": tmp_path / "files",
    }


def post(site, name, data):
    """Upload ``data`` as the file ``name`` through the API; (results by name, results, seconds taken)."""
    site["files"].mkdir(exist_ok=True)
    path = site["files"] / name
    if data is not None:
        path.write_bytes(data)
    with path.open("rb") as upload:
        started = time.perf_counter()
        response = site["api"].post(
            f"/api/v1/imagesets/{site['set'].pk}/images/", {"files": [upload]}, format="multipart"
        )
        seconds = time.perf_counter() - started
    assert response.status_code in (200, 201), response.content
    results = response.json()["files"]
    return {result["name"]: result for result in results}, results, seconds


def files_below(folder):
    return sorted(
        os.path.relpath(os.path.join(parent, name), folder)
        for parent, _dirs, names in os.walk(folder)
        for name in names
    )


def assert_only_stored(site, names):
    """The set holds exactly the images ``names``, the storage only their files, the scratch folders nothing."""
    images = list(Image.objects.filter(image_set=site["set"]))
    assert sorted(image.name for image in images) == sorted(names)
    expected = sorted(
        [os.path.relpath(image.relative_path, "") for image in images]
        + [os.path.relpath(image.thumbnail_path, "") for image in images]
    )
    assert files_below(site["storage"]) == expected
    for folder in site["scratch"]:
        assert files_below(folder) == [], folder
    assert site["rollovers"] == []  # no member was ever spooled to disk


def bomb_png_bytes():
    """What the bombs inflate to: 1 GiB of zeros (named like an image)."""
    for _ in range(GIB // MIB):
        yield ZEROS


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory):
    """A zip of "bomb.png", 1 GiB of zeros (about 1 MiB deflated), then a good PNG: written streaming."""
    path = tmp_path_factory.mktemp("bombs") / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("bomb.png", "w", force_zip64=True) as member:
            for chunk in bomb_png_bytes():
                member.write(chunk)
        archive.writestr("good.png", make_png(20, 10, (1, 2, 3)))
    return path


def test_a_zip_bomb_is_refused_within_a_second_and_the_good_image_is_kept(site, zip_bomb):
    bomb = zipfile.ZipFile(zip_bomb).getinfo("bomb.png")
    assert bomb.file_size == GIB
    assert bomb.compress_size < 1.1 * MIB

    by_name, results, seconds = post(site, "bomb.zip", zip_bomb.read_bytes())

    assert seconds < 1.0, f"the bomb took {seconds:.2f} s"
    assert [(r["name"], r["status"]) for r in results] == [("bomb.png", "refused"), ("good.png", "added")]
    times, kib = bomb.file_size // bomb.compress_size, bomb.compress_size / 1024
    assert kib < 1024
    assert by_name["bomb.png"]["reason"] == (
        f"It would inflate {times:,} times (1.0 GiB from {kib:.1f} KiB); the limit is 100 times (IT_ARCHIVE_MAX_RATIO)."
    )
    assert by_name["bomb.png"]["size"] == GIB
    assert_only_stored(site, ["good.png"])


def zip_bytes(entries, compression=zipfile.ZIP_DEFLATED):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return out.getvalue()


def set_declared_size(data, name, size):
    """The zip ``data`` with the uncompressed size of ``name`` replaced by ``size`` in its central directory."""
    data = bytearray(data)
    position = data.find(b"PK\x01\x02")
    while position >= 0:
        name_length = int.from_bytes(data[position + 28 : position + 30], "little")
        if data[position + 46 : position + 46 + name_length] == name.encode():
            data[position + 24 : position + 28] = size.to_bytes(4, "little")
        position = data.find(b"PK\x01\x02", position + 4)
    return bytes(data)


@pytest.fixture
def count_member_reads(monkeypatch):
    """Bytes read from each zip member, by member name."""
    counts = {}
    real_read = zipfile.ZipExtFile.read

    def read(self, n=-1):
        data = real_read(self, n)
        counts[self.name] = counts.get(self.name, 0) + len(data)
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", read)
    return counts


def test_a_member_inflating_past_its_declared_size_is_refused(site, count_member_reads):
    """The header says 64 KiB, the deflated data is a PNG signature and 64 MiB of zeros."""
    good, lying = distinct_pngs(2)
    liar = lying[:16] + bytes(64 * MIB)
    data = set_declared_size(zip_bytes([("liar.png", liar), ("good.png", good)]), "liar.png", 64 * 1024)

    by_name, results, seconds = post(site, "liar.zip", data)

    assert [(r["name"], r["status"]) for r in results] == [("liar.png", "refused"), ("good.png", "added")]
    assert by_name["liar.png"]["reason"] == (
        "It inflates past the 64.0 KiB its header declares: the archive is damaged or made to mislead."
    )
    assert count_member_reads["liar.png"] <= 64 * 1024 + 1
    assert_only_stored(site, ["good.png"])


def test_a_member_that_is_not_an_image_is_refused_after_its_first_bytes(site, count_member_reads):
    document = b"%PDF-1.7\n" + random.Random(7).randbytes(3 * MIB)  # stored as it is: a ratio of 1
    good = make_png(12, 12, (9, 9, 9))
    data = zip_bytes([("report.png", document), ("good.png", good)], compression=zipfile.ZIP_STORED)

    by_name, results, _seconds = post(site, "mixed.zip", data)

    assert [(r["name"], r["status"]) for r in results] == [("report.png", "refused"), ("good.png", "added")]
    assert by_name["report.png"]["reason"] == (
        "This is not a PNG or JPEG image (the type is decided by the content, not the name)."
    )
    assert count_member_reads["report.png"] <= 64  # its first bytes, not the 3 MiB
    assert_only_stored(site, ["good.png"])


def concatenated(compress, repeat):
    """A compressed stream of ``repeat`` MiB of zeros: one compressed MiB, repeated (a multi-member stream)."""
    return compress(ZEROS) * repeat


def tar_entry(name, data):
    """One tar entry (header, data, padding to the next block)."""
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info.tobuf(tarfile.PAX_FORMAT) + data + bytes(-len(data) % tarfile.BLOCKSIZE)


COMPRESSORS = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}


@pytest.mark.parametrize("kind", ["gz", "bz2", "xz"])
def test_a_compressed_tar_bomb_is_refused_within_a_second(site, kind):
    """good.png, then bomb.png (1 GiB of zeros), then after.png: the first is kept, the rest never inflated."""
    good, after = distinct_pngs(2, 16, 16)
    compress = COMPRESSORS[kind]
    bomb = tarfile.TarInfo("bomb.png")
    bomb.size = GIB  # its data (a multiple of 512 bytes, no padding) is the compressed zeros
    head = tar_entry("good.png", good) + bomb.tobuf(tarfile.PAX_FORMAT)
    tail = tar_entry("after.png", after) + bytes(2 * tarfile.BLOCKSIZE)  # and the end of the archive
    data = compress(head) + concatenated(compress, GIB // MIB) + compress(tail)
    assert len(data) < 2 * MIB

    by_name, results, seconds = post(site, f"bomb.tar.{kind}", data)

    assert seconds < 1.0, f"the bomb took {seconds:.2f} s"
    assert [(r["name"], r["status"]) for r in results] == [
        ("good.png", "added"),
        ("bomb.png", "refused"),
        (f"bomb.tar.{kind}", "refused"),
    ]
    assert by_name["bomb.png"]["reason"].startswith("It would inflate the archive ")
    assert by_name["bomb.png"]["reason"].endswith("; the limit is 100 times (IT_ARCHIVE_MAX_RATIO).")
    assert by_name[f"bomb.tar.{kind}"]["reason"] == (
        "The files after bomb.png were not imported: they can only be reached by inflating it."
    )
    assert_only_stored(site, ["good.png"])


def test_many_small_members_stop_at_the_running_total(site):
    """Members of 1 MiB are not checked for their ratio one by one; together they are, as they are read."""
    signature = make_png()[:16]
    members = [(f"{index:02}.png", signature + bytes(MIB - 16)) for index in range(40)]
    data = zip_bytes(members)
    assert len(data) < 64 * 1024  # 40 MiB from less than 64 KiB: at 100 times, at most 6.25 MiB may be read

    by_name, results, _seconds = post(site, "many.zip", data)

    limit = len(data) * 100
    assert results[-1]["name"] == "many.zip"
    assert results[-1]["reason"] == (
        f"The archive unpacks to more than {limit / MIB:.1f} MiB (100 times its size of {len(data) / 1024:.1f} KiB, "
        "IT_ARCHIVE_MAX_RATIO); the remaining files were not imported."
    )
    read = results[:-1]
    assert len(read) == limit // MIB  # each declared 1 MiB: read while the next one still fits
    assert all(r["status"] == "refused" and "damaged" in r["reason"] for r in read)
    assert_only_stored(site, [])


def png_of_ratio(noise):
    """A PNG of 1.5 MiB saved without compression, ``noise`` bytes of it random: its zip ratio falls as noise grows."""
    raw = bytearray(1024 * 512 * 3)
    raw[:noise] = random.Random(noise).randbytes(noise)
    out = io.BytesIO()
    PILImage.frombytes("RGB", (1024, 512), bytes(raw)).save(out, "PNG", compress_level=0)
    return out.getvalue()


@pytest.fixture(scope="module")
def near_the_ratio():
    """under.png inflates a little less than 100 times in a zip, over.png a little more: (zip bytes, ratios)."""
    data = zip_bytes([("under.png", png_of_ratio(12500)), ("over.png", png_of_ratio(11500))])
    ratios = {
        info.filename: info.file_size / info.compress_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist()
    }
    assert 95 < ratios["under.png"] < 100 < ratios["over.png"] < 106, ratios
    assert all(info.file_size > MIB for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
    return data, ratios


def test_a_member_just_under_the_ratio_is_accepted_one_just_over_is_not(site, near_the_ratio):
    data, ratios = near_the_ratio

    by_name, _results, _seconds = post(site, "near.zip", data)

    assert by_name["under.png"]["status"] == "added"
    assert by_name["over.png"]["status"] == "refused"
    assert by_name["over.png"]["reason"].startswith(f"It would inflate {ratios['over.png']:,.1f} times (1.5 MiB from ")
    assert by_name["over.png"]["reason"].endswith("; the limit is 100 times (IT_ARCHIVE_MAX_RATIO).")
    assert_only_stored(site, ["under.png"])


def test_the_ratio_setting_changes_the_limit(site, near_the_ratio):
    data, _ratios = near_the_ratio

    with override_settings(ARCHIVE_MAX_RATIO=50):
        strict, _results, _seconds = post(site, "near.zip", data)
    assert (strict["under.png"]["status"], strict["over.png"]["status"]) == ("refused", "refused")
    assert strict["under.png"]["reason"].endswith("; the limit is 50 times (IT_ARCHIVE_MAX_RATIO).")
    assert_only_stored(site, [])

    with override_settings(ARCHIVE_MAX_RATIO=110):
        lenient, _results, _seconds = post(site, "near.zip", data)
    assert (lenient["under.png"]["status"], lenient["over.png"]["status"]) == ("added", "added")
    assert_only_stored(site, ["under.png", "over.png"])
