"""scripts/backup.sh and scripts/restore.sh on PostgreSQL: backup, drop, restore gives back every row
of every table and every file, byte for byte.

The data is made in a scratch database (a copy of the migrated test database) that the test's
connection is switched to, so the test can drop it. PostgreSQL only (skipped on SQLite).
"""

import os
import subprocess
import uuid
from pathlib import Path

import pytest
from django.db import connection, connections

from annotations.models import AnnotationType, VectorType
from annotations.services import create_annotation
from exports.jobs import create_export
from exports.models import ExportState
from images.tests.factories import add_images, make_imageset

REPO_DIR = Path(__file__).resolve().parents[3]
BACKUP = REPO_DIR / "scripts" / "backup.sh"
RESTORE = REPO_DIR / "scripts" / "restore.sh"

pytestmark = pytest.mark.django_db(transaction=True)


def psql(env, database, sql):
    subprocess.run(
        ["psql", "--dbname", database, "--set=ON_ERROR_STOP=1", "--quiet", "--command", sql],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture
def scratch(storage_dir):
    """The name of a scratch database (a copy of the test database) that ``default`` now points to,
    and the environment the scripts need; the copy is dropped afterwards."""
    if connection.vendor != "postgresql":
        pytest.skip("backup and restore work on PostgreSQL (set IT_DB_HOST)")
    original = connections["default"]
    settings_dict = original.settings_dict
    env = {
        **os.environ,
        "IT_DB_HOST": str(settings_dict["HOST"]),
        "IT_DB_PORT": str(settings_dict["PORT"] or 5432),
        "IT_DB_USER": str(settings_dict["USER"]),
        "IT_DB_PASSWORD": str(settings_dict["PASSWORD"] or ""),
        "IT_FS_URL": str(storage_dir),
        "PGHOST": str(settings_dict["HOST"]),
        "PGPORT": str(settings_dict["PORT"] or 5432),
        "PGUSER": str(settings_dict["USER"]),
        "PGPASSWORD": str(settings_dict["PASSWORD"] or ""),
    }
    name = f"{settings_dict['NAME']}_scratch_{uuid.uuid4().hex[:8]}"
    env["IT_DB_NAME"] = name
    original.close()
    psql(env, "postgres", f'CREATE DATABASE "{name}" TEMPLATE "{settings_dict["NAME"]}"')
    wrapper = type(original)({**settings_dict, "NAME": name}, "default")
    connections["default"] = wrapper
    try:
        yield env
    finally:
        wrapper.close()
        connections["default"] = original
        psql(env, "postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def every_row():
    """``{table: sorted rows}`` of every table of the database."""
    result = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            result[table] = sorted(tuple(map(repr, row)) for row in cursor.fetchall())
    return result


def every_file(folder):
    return {
        str(path.relative_to(folder)): path.read_bytes() for path in sorted(Path(folder).rglob("*")) if path.is_file()
    }


def make_data(make_user, make_team):
    ada, bob = make_user("ada"), make_user("bob")
    team = make_team("Robots", admins=[ada], members=[bob])
    box = AnnotationType.objects.create(name="ball", vector_type=VectorType.BOUNDING_BOX)
    for number in range(2):
        image_set = make_imageset(team, name=f"field{number}", creator=ada)
        images = add_images(image_set, 3, uploader=ada)
        for index, image in enumerate(images):
            create_annotation(
                actor=ada, image=image, annotation_type=box, vector={"x1": 1, "y1": 1, "x2": 3 + index, "y2": 4}
            )
        export = create_export(actor=bob, image_set=image_set, standard="coco")
        assert export.state == ExportState.DONE
        assert export.file


def run(script, env, *args):
    return subprocess.run(["bash", str(script), *args], env=env, capture_output=True, text=True, timeout=120)


def test_backup_drop_restore_gives_back_every_row_and_file(scratch, storage_dir, tmp_path, make_user, make_team):
    make_data(make_user, make_team)
    rows, files = every_row(), every_file(storage_dir)
    assert sum(map(len, rows.values())) > 50
    assert any(name.startswith("exports/") for name in files)
    assert any(name.startswith("images/") for name in files)

    backup = tmp_path / "backup"
    result = run(BACKUP, scratch, str(backup))
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(backup)) == ["SHA256SUMS", "database.dump", "files.tar"]

    # Disaster: the database and the files are gone.
    connection.close()
    psql(scratch, "postgres", f'DROP DATABASE "{scratch["IT_DB_NAME"]}" WITH (FORCE)')
    for path in sorted(storage_dir.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()

    result = run(RESTORE, scratch, str(backup))
    assert result.returncode == 0, result.stderr
    assert every_row() == rows
    assert every_file(storage_dir) == files

    # The sequences came back too: new rows get new ids.
    carl = make_user("carl")
    assert carl.pk > max(int(row[0]) for row in rows["users_user"])


def test_restore_refuses_a_database_or_folder_in_use(scratch, storage_dir, tmp_path, make_user, make_team):
    make_data(make_user, make_team)
    backup = tmp_path / "backup"
    assert run(BACKUP, scratch, str(backup)).returncode == 0
    rows = every_row()

    result = run(RESTORE, scratch, str(backup))
    assert result.returncode == 1
    assert "already has" in result.stderr
    assert "--replace" in result.stderr
    assert every_row() == rows

    # --replace restores over it.
    make_user("dora")
    result = run(RESTORE, scratch, "--replace", str(backup))
    assert result.returncode == 0, result.stderr
    assert every_row() == rows


def test_restore_refuses_a_damaged_backup(scratch, storage_dir, tmp_path, make_user):
    make_user("ada")
    backup = tmp_path / "backup"
    assert run(BACKUP, scratch, str(backup)).returncode == 0
    with open(backup / "files.tar", "r+b") as tar:
        tar.seek(10)
        tar.write(b"X")
    rows = every_row()
    result = run(RESTORE, scratch, "--replace", str(backup))
    assert result.returncode == 1
    assert "damaged" in result.stderr
    assert every_row() == rows


def test_backup_refuses_a_used_folder(scratch, tmp_path):
    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / "older.txt").write_text("keep me")
    result = run(BACKUP, scratch, str(backup))
    assert result.returncode == 1
    assert "not an empty folder" in result.stderr
    assert os.listdir(backup) == ["older.txt"]


def test_scripts_say_what_is_missing(tmp_path):
    env = {name: value for name, value in os.environ.items() if not name.startswith("IT_")}
    for script in (BACKUP, RESTORE):
        result = run(script, env, str(tmp_path / "backup"))
        assert result.returncode != 0
        assert "IT_DB_HOST" in result.stderr
        result = run(script, env)
        assert result.returncode == 2
        assert "usage:" in result.stderr
