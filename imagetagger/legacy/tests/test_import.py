"""``manage.py import_imagetagger`` against a scratch database with the original's table layout."""

import hashlib
import io
import json
from datetime import timedelta
from unittest.mock import ANY

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client, RequestFactory

from annotations.models import Annotation, AnnotationType, VectorType, Verification
from exports.models import Export, ExportFormat, ExportState
from images.models import Image, ImageSet, SetTag
from legacy.importer import MERGED
from legacy.models import LegacyId
from users.models import Team, TeamMembership

from .legacy_world import OLD_PASSWORD, T0, LegacyWorld, old_hash, server_info

User = get_user_model()

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (the original ImageTagger's database is PostgreSQL). Runs in CI.",
)

PBKDF2_FIRST = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
]


@pytest.fixture
def world(db, tmp_path):
    created = LegacyWorld(connection.settings_dict, tmp_path).create()
    yield created
    created.drop()


def run(world, *extra, **options):
    out = io.StringIO()
    call_command(
        "import_imagetagger",
        "--database-url",
        world.url,
        "--images-dir",
        str(world.images_dir),
        *extra,
        stdout=out,
        **options,
    )
    return out.getvalue()


def legacy(kind, legacy_id):
    """The id of what legacy row ``legacy_id`` of ``kind`` became (merged or not)."""
    return LegacyId.objects.get(kind__in=[kind, kind + MERGED], legacy_id=legacy_id).object_id


def counts():
    models = [
        User,
        Team,
        TeamMembership,
        AnnotationType,
        ImageSet,
        Image,
        Annotation,
        Verification,
        ExportFormat,
        Export,
    ]
    result = {model.__name__: model.objects.count() for model in models}
    result["tags"] = SetTag.imagesets.through.objects.count()
    result["pins"] = ImageSet.pinned_by.through.objects.count()
    result["format types"] = ExportFormat.annotation_types.through.objects.count()
    result["legacy ids"] = LegacyId.objects.count()
    return result


def test_imports_everything_and_a_second_run_changes_nothing(world, storage_dir, make_user, settings):
    settings.PASSWORD_HASHERS = PBKDF2_FIRST
    make_user("BOB")  # an account made here before the import: the legacy "bob" is renamed
    AnnotationType.objects.create(name="Ball", vector_type=VectorType.BOUNDING_BOX)  # the same class: merged

    output = run(world)

    # users: passwords verbatim, the case clash and the local account renamed, points recomputed
    alice = User.objects.get(pk=legacy("user", 1))
    assert alice.username == "alice"
    assert alice.first_name == "Alice"
    assert alice.email == "alice@old.example.org"
    assert alice.is_staff
    assert alice.is_superuser
    assert alice.is_active
    assert alice.date_joined == T0
    assert alice.last_login == T0
    assert alice.password == old_hash(OLD_PASSWORD)
    assert User.objects.get(pk=legacy("user", 2)).username == "bob-2"
    assert User.objects.get(pk=legacy("user", 3)).username == "Carol"
    assert User.objects.get(pk=legacy("user", 4)).username == "carol-4"
    dave = User.objects.get(pk=legacy("user", 5))
    assert not dave.is_active
    assert not dave.has_usable_password()
    # accepts from others only: alice's box got bob's accept (his second vote, on the merged
    # duplicate, does not count twice); carol's point got the deleted voter's accept
    points = {name: User.objects.get(pk=legacy("user", pk)).points for name, pk in [("a", 1), ("b", 2), ("c", 3)]}
    assert points == {"a": 1, "b": 1, "c": 1}

    # teams and memberships
    robots, vision, long = (Team.objects.get(pk=legacy("team", pk)) for pk in (1, 2, 3))
    assert (robots.name, robots.website) == ("Robots", "https://robots.example.org")
    assert (vision.name, vision.website) == ("Vision", "")
    assert long.name == "A team name much longer than t"
    members = {(m.team_id, m.user_id): m.is_admin for m in TeamMembership.objects.all()}
    bob = legacy("user", 2)
    assert members == {
        (robots.pk, alice.pk): True,
        (robots.pk, bob): True,  # two legacy rows, one of them admin
        (vision.pk, legacy("user", 3)): True,
        (vision.pk, legacy("user", 4)): False,
    }

    # annotation types
    ball = AnnotationType.objects.get(pk=legacy("annotation type", 1))
    assert ball.name == "Ball"  # the type made here before
    field_type = AnnotationType.objects.get(pk=legacy("annotation type", 2))
    assert (field_type.name, field_type.vector_type, field_type.node_count) == ("field", VectorType.POLYGON, 0)
    robot = AnnotationType.objects.get(pk=legacy("annotation type", 3))
    assert not robot.active
    assert robot.enable_concealed
    assert not robot.enable_blurred
    assert not LegacyId.objects.filter(kind="annotation type", legacy_id=5).exists()

    # image sets with their folders, tags and pins
    field_a = ImageSet.objects.get(pk=legacy("image set", 1))
    assert (field_a.name, field_a.location, field_a.description) == ("Field A", "Hall 3", "Balls on the field")
    assert field_a.team == robots
    assert field_a.creator == alice
    assert field_a.time == T0 + timedelta(days=1)
    assert field_a.priority == 1
    assert field_a.main_annotation_type == ball
    assert not field_a.public
    assert not field_a.public_collaboration
    assert not field_a.image_lock
    assert field_a.path == f"{robots.pk}_{field_a.pk}"
    assert list(field_a.set_tags.values_list("name", flat=True)) == ["outdoor_day"]
    assert list(field_a.pinned_by.all()) == [User.objects.get(pk=bob)]
    freed = ImageSet.objects.get(pk=legacy("image set", 2))
    assert freed.team is None
    assert freed.public
    assert freed.public_collaboration
    assert freed.image_lock
    assert freed.path == f"0_{freed.pk}"
    test_set = ImageSet.objects.get(pk=legacy("image set", 3))
    assert test_set.priority == 1
    assert list(test_set.set_tags.values_list("name", flat=True)) == ["test"]

    # images: original bytes, our checksum and size, thumbnails; defects skipped or merged
    a = Image.objects.get(pk=legacy("image", 1))
    assert (a.name, a.width, a.height, a.format, a.image_set) == ("a.png", 40, 30, "png", field_a)
    assert a.time == T0 + timedelta(hours=1)
    with default_storage.open(a.relative_path, "rb") as stored:
        data = stored.read()
    assert data == world.files["a_ABC123.png"]
    assert bytes(a.checksum) == hashlib.sha512(data).digest()
    assert default_storage.exists(a.thumbnail_path)
    assert (Image.objects.get(pk=legacy("image", 2)).width, Image.objects.get(pk=legacy("image", 2)).height) == (50, 40)
    assert legacy("image", 4) == a.pk  # the same file twice in a set: one image
    assert not LegacyId.objects.filter(kind="image", legacy_id__in=[3, 6]).exists()  # missing, not an image
    assert Image.objects.get(pk=legacy("image", 5)).format == "jpeg"
    assert Image.objects.count() == 4

    # annotations: repaired vectors, skipped invalid ones, merged duplicates
    box = Annotation.objects.get(pk=legacy("annotation", 1))
    assert box.vector == {"x1": 1, "y1": 2, "x2": 10, "y2": 12}
    assert box.image == a
    assert box.annotation_type == ball
    assert box.concealed_flag
    assert box.blurred_flag
    assert box.user == alice
    assert box.last_editor_id == bob
    assert box.time == T0 + timedelta(minutes=1)
    assert box.last_edit_time == T0 + timedelta(minutes=1, seconds=30)
    assert Annotation.objects.get(pk=legacy("annotation", 2)).vector == {
        "x1": 1,
        "y1": 1,
        "x2": 40,
        "y2": 1,
        "x3": 5,
        "y3": 9,
    }
    assert Annotation.objects.get(pk=legacy("annotation", 3)).vector == {"x1": 1, "y1": 2, "x2": 10, "y2": 12}
    assert Annotation.objects.get(pk=legacy("annotation", 5)).vector is None
    assert legacy("annotation", 6) == legacy("annotation", 5)
    assert legacy("annotation", 7) == box.pk
    assert Annotation.objects.get(pk=legacy("annotation", 10)).vector is None
    assert Annotation.objects.get(pk=legacy("annotation", 11)).vector == {
        "x1": 1,
        "y1": 1,
        "x2": 5,
        "y2": 5,
        "x3": 9,
        "y3": 1,
    }
    assert Annotation.objects.get(pk=legacy("annotation", 14)).user is None
    assert not LegacyId.objects.filter(kind="annotation", legacy_id__in=[4, 8, 9, 12]).exists()
    assert Annotation.objects.count() == 8

    # verifications: self-votes skipped, the deleted voter's vote kept
    votes = {(v.annotation_id, v.user_id): v.verified for v in Verification.objects.all()}
    assert votes == {
        (box.pk, bob): True,
        (box.pk, legacy("user", 3)): False,
        (legacy("annotation", 3), alice.pk): True,
        (legacy("annotation", 13), None): True,
    }
    assert Verification.objects.get(pk=legacy("verification", 2)).time == T0 + timedelta(days=10, minutes=2)

    # export formats: every template field, the types that exist
    lines = ExportFormat.objects.get(pk=legacy("export format", 1))
    assert (lines.name, lines.team, lines.public, lines.min_verifications) == ("lines", robots, True, 1)
    assert lines.base_format == "%%content"
    assert lines.image_format == ""
    assert lines.annotation_format == "%%imagename|%%type|%%vector\n"
    assert lines.vector_format == "%%x,%%y;"
    assert lines.not_in_image_format == "%%imagename|%%type|not in image\n"
    assert lines.name_format == "export_%%exportid.txt"
    assert not lines.include_blurred
    assert lines.include_concealed
    assert not lines.image_aggregation
    assert lines.last_change_time == T0 + timedelta(days=21)
    assert set(lines.annotation_types.all()) == {ball, field_type}
    grouped = ExportFormat.objects.get(pk=legacy("export format", 2))
    assert grouped.image_aggregation
    assert grouped.image_format == "%%imagename: %%annotations\n"
    assert list(grouped.annotation_types.all()) == [AnnotationType.objects.get(pk=legacy("annotation type", 4))]

    # exports: the stored text becomes a finished export's file; its format changed since: deprecated
    export = Export.objects.get(pk=legacy("export", 1))
    assert (export.state, export.filename, export.annotation_count) == (ExportState.DONE, "export_1.txt", 1)
    assert (export.image_set, export.user, export.format, export.time) == (field_a, alice, lines, T0)
    assert export.deprecated
    with default_storage.open(export.file, "rb") as stored:
        assert stored.read() == b"a.png|ball|1,2;10,12;"
    assert export.size == len(b"a.png|ball|1,2;10,12;")

    # the report names every defect with its legacy ids
    assert "users: 5 imported" in output
    assert "username already used (names are unique regardless of case): renamed (legacy ids 2, 4)" in output
    assert "file missing in the image folder (its annotations are skipped) (legacy ids 3)" in output
    assert "same file as another image of the set: merged into it (legacy ids 4)" in output
    assert "invalid vector: A bounding box has exactly 2 points (x1, y1, x2, y2), not 1. (legacy ids 4)" in output
    assert "vector repaired: points outside the image moved onto its border (legacy ids 2)" in output
    assert "vector repaired: box corners put in order (legacy ids 3)" in output
    assert "vector repaired: repeated vertices dropped (legacy ids 11)" in output
    assert "vote on the voter's own annotation (the original voted for every creator) (legacy ids 1, 8)" in output
    assert "unknown vector type 9 (its annotations are skipped) (legacy ids 5)" in output
    assert "template our editor would refuse (imported as it is; fix it on its page) (legacy ids 3)" in output
    assert "its format was deleted" not in output

    before = counts()
    second = run(world)
    assert counts() == before
    kinds = ("users", "teams", "image sets", "images", "annotations", "verifications", "export formats", "exports")
    for kind in kinds:
        assert f"{kind}: 0 imported, 0 updated" in second

    # an imported user logs in with the password of the original site (the hash is upgraded then)
    client = Client()
    assert client.login(request=RequestFactory().get("/"), username="alice", password=OLD_PASSWORD)
    assert not client.login(request=RequestFactory().get("/"), username="alice", password="wrong")


def test_a_second_run_brings_changes_and_new_rows_over(world, storage_dir):
    run(world)
    world.execute("UPDATE images_imageset SET name = 'Field B', public = true WHERE id = 1")
    world.execute(
        """UPDATE annotations_annotation SET vector = '{"x1": 2, "y1": 3, "x2": 20, "y2": 22}' WHERE id = 1"""
    )
    world.execute("UPDATE annotations_verification SET verified = false WHERE id = 2")
    world.execute(
        "INSERT INTO users_user (id, password, is_superuser, username, first_name, last_name, email, "
        "is_staff, is_active, date_joined, points) VALUES (6, '!', false, 'erin', '', '', '', false, true, now(), 0)"
    )
    world.execute("INSERT INTO users_teammembership (id, team_id, user_id, is_admin) VALUES (6, 1, 6, false)")

    output = run(world)

    assert ImageSet.objects.get(pk=legacy("image set", 1)).name == "Field B"
    assert ImageSet.objects.get(pk=legacy("image set", 1)).public
    box = Annotation.objects.get(pk=legacy("annotation", 1))
    assert box.vector == {"x1": 2, "y1": 3, "x2": 20, "y2": 22}
    assert box.version == 2
    assert not Verification.objects.get(pk=legacy("verification", 2)).verified
    assert User.objects.get(pk=legacy("user", 1)).points == 0  # bob now rejects alice's box
    assert TeamMembership.objects.filter(user_id=legacy("user", 6), team_id=legacy("team", 1)).exists()
    assert "users: 1 imported, 0 updated, 5 unchanged" in output
    assert "image sets: 0 imported, 1 updated, 2 unchanged" in output
    assert "annotations: 0 imported, 1 updated" in output
    assert "verifications: 0 imported, 1 updated" in output


def test_dry_run_saves_nothing_and_deletes_the_copied_files(world, storage_dir):
    # the database named by its parts, the data folder instead of its images folder
    parts = connection.settings_dict
    out = io.StringIO()
    call_command(
        "import_imagetagger",
        f"--db-host={parts['HOST']}",
        f"--db-port={parts['PORT'] or 5432}",
        f"--db-name={world.name}",
        f"--db-user={parts['USER']}",
        f"--db-password={parts['PASSWORD'] or ''}",
        f"--images-dir={world.images_dir.parent}",
        "--dry-run",
        stdout=out,
    )
    output = out.getvalue()
    assert f"Images read from {world.images_dir}" in output

    assert "images: 5 imported" in output  # 3 copied + 1 merged duplicate + 1 jpeg
    assert "Dry run: nothing was saved" in output
    assert User.objects.count() == 0
    assert Image.objects.count() == 0
    assert LegacyId.objects.count() == 0
    assert [path for path in storage_dir.rglob("*") if path.is_file()] == []


def test_skip_images_imports_the_rest_and_a_later_run_adds_the_images(world, storage_dir):
    output = run(world, "--skip-images", "--json")
    report = json.loads(output[output.index("\n{") :])
    assert report["image set"] == {"imported": 3, "updated": 0, "unchanged": 0, "skipped": {}, "notes": ANY}
    assert not {"image", "annotation", "verification"} & set(report)
    assert ImageSet.objects.count() == 3
    assert Image.objects.count() == 0
    assert Annotation.objects.count() == 0
    assert ExportFormat.objects.count() == 3
    assert "were skipped (--skip-images)" in output

    run(world)
    assert Image.objects.count() == 4
    assert Annotation.objects.count() == 8
    assert Verification.objects.count() == 4


@pytest.mark.skipif(not apps.is_installed("tools"), reason="the tools app is not installed")
def test_tools_are_imported_with_their_files(world, storage_dir):
    from tools.models import Tool

    output = run(world, "--tools-dir", str(world.tools_dir))

    tool = Tool.objects.get(pk=legacy("tool", 1))
    assert (tool.name, tool.description, tool.public, tool.filename) == ("Labeler", "Labels things", True, "labeler.py")
    assert tool.team_id == legacy("team", 1)
    assert tool.creator_id == legacy("user", 2)
    assert tool.created == T0
    with default_storage.open(tool.file, "rb") as stored:
        assert stored.read() == b"print('label')\n"
    assert "file missing in the tools folder (legacy ids 2)" in output
    run(world, "--tools-dir", str(world.tools_dir))
    assert Tool.objects.count() == 1


@pytest.mark.skipif(not apps.is_installed("tagger_messages"), reason="the tagger_messages app is not installed")
def test_messages_are_imported_with_their_read_state(world, storage_dir):
    from tagger_messages.models import Audience, Kind, Message

    output = run(world)

    team_message = Message.objects.get(pk=legacy("message", 1))
    assert (team_message.kind, team_message.audience, team_message.team_id) == (
        Kind.TEAM,
        Audience.ADMINS,
        legacy("team", 1),
    )
    assert (team_message.title, team_message.content, team_message.start_time) == ("Admins meeting", "content 1", T0)
    assert list(team_message.readers.values_list("pk", flat=True)) == [legacy("user", 1)]
    announcement = Message.objects.get(pk=legacy("message", 2))
    assert (announcement.kind, announcement.audience, announcement.team) == (Kind.ANNOUNCEMENT, Audience.STAFF, None)
    backwards = Message.objects.get(pk=legacy("message", 3))
    assert backwards.audience == Audience.ALL
    assert backwards.expire_time == T0 + timedelta(seconds=1)
    assert "expires before it starts" in output
    run(world)
    assert Message.objects.count() == 3


def test_clear_errors_for_a_wrong_database_or_folder(world, tmp_path):
    wrong = server_info(connection.settings_dict, "no_such_database_here")
    with pytest.raises(CommandError, match="Cannot connect to the original ImageTagger database"):
        call_command("import_imagetagger", "--database-url", wrong, "--skip-images", stdout=io.StringIO())
    with pytest.raises(CommandError, match="is not a folder"):
        call_command("import_imagetagger", "--database-url", world.url, "--images-dir", str(tmp_path / "no"))
    with pytest.raises(CommandError, match="Give --images-dir"):
        call_command("import_imagetagger", "--database-url", world.url)
    with pytest.raises(CommandError, match="Name the original database"):
        call_command("import_imagetagger", "--skip-images")
    world.execute("DROP TABLE annotations_verification; DROP TABLE annotations_annotation CASCADE")
    with pytest.raises(CommandError, match="missing tables annotations_annotation"):
        call_command("import_imagetagger", "--database-url", world.url, "--skip-images", stdout=io.StringIO())


def test_an_edit_into_a_duplicate_is_not_applied_and_missing_tables_are_reported(world, storage_dir):
    run(world)
    # annotation 14 ("not in image", ball, image a) becomes the same box as annotation 1
    world.execute(
        """UPDATE annotations_annotation SET vector = '{"x1": 1, "y1": 2, "x2": 10, "y2": 12}' WHERE id = 14"""
    )
    world.execute(
        "DROP TABLE tools_tool; DROP TABLE tagger_messages_message_read_by, tagger_messages_teammessage, "
        "tagger_messages_globalmessage, tagger_messages_message"
    )

    output = run(world)

    assert Annotation.objects.get(pk=legacy("annotation", 14)).vector is None
    assert "changed into a duplicate of another annotation: not updated (legacy ids 14)" in output
    assert "table tools_tool is missing in the legacy database" in output
    assert "table tagger_messages_message is missing in the legacy database" in output


def test_what_was_deleted_here_is_imported_again(world, storage_dir):
    run(world)
    ImageSet.objects.get(pk=legacy("image set", 1)).delete()  # with its images and their annotations

    output = run(world)

    field_a = ImageSet.objects.get(pk=legacy("image set", 1))
    assert field_a.name == "Field A"
    assert set(field_a.images.values_list("name", flat=True)) == {"a.png", "b.png"}
    box = Annotation.objects.get(pk=legacy("annotation", 1))
    assert box.image.image_set == field_a
    assert legacy("annotation", 7) == box.pk  # the duplicate is merged into the new one again
    assert Verification.objects.filter(annotation=box).count() == 2
    assert "image sets: 1 imported, 0 updated, 2 unchanged" in output


def test_the_originals_types_become_site_types_whatever_teams_call_theirs(world, storage_dir, make_team):
    team = make_team("Here")
    theirs = AnnotationType.objects.create(name="ball", team=team)  # a team's own "ball": not the original's
    AnnotationType.objects.create(name="Field", team=team, vector_type=VectorType.POLYGON)

    run(world)

    imported = AnnotationType.objects.filter(pk__in=[legacy("annotation type", pk) for pk in (1, 2, 3, 4)])
    assert {annotation_type.name for annotation_type in imported} == {"ball", "field", "robot", "line"}
    assert all(annotation_type.team_id is None for annotation_type in imported)
    assert theirs.pk not in {annotation_type.pk for annotation_type in imported}
    colors = [annotation_type.color for annotation_type in imported]
    assert all(color.startswith("#") and len(color) == 7 for color in colors)
    assert len(set(colors)) == 4  # distinct palette colours
    assert AnnotationType.objects.filter(team=team).count() == 2
