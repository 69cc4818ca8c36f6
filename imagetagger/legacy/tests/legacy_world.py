"""A scratch PostgreSQL database with the original ImageTagger 0.6 tables and a small, representative
data set (with the defects of reference spec §14), plus its image and tools folders."""

import hashlib
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from PIL import Image as PILImage

from legacy.source import conninfo

SCHEMA = Path(__file__).with_name("legacy_schema.sql")
OLD_PASSWORD = "the-old-password-1"
T0 = datetime(2019, 5, 4, 12, 0, tzinfo=UTC)


def old_hash(password):
    """A Django ``pbkdf2_sha256$…`` hash as the original stored it (few iterations: fast tests)."""
    return PBKDF2PasswordHasher().encode(password, "legacysalt1234", iterations=1000)


def png(width, height, color=(200, 30, 30)):
    out = io.BytesIO()
    PILImage.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def jpeg(width, height):
    out = io.BytesIO()
    PILImage.new("RGB", (width, height), (10, 120, 10)).save(out, "JPEG")
    return out.getvalue()


def server_info(settings_dict, dbname):
    return conninfo(
        host=settings_dict["HOST"],
        port=settings_dict["PORT"],
        name=dbname,
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"],
    )


class LegacyWorld:
    """``create()`` makes the database and folders; ``url`` names the database; ``drop()`` removes it."""

    def __init__(self, settings_dict, folder):
        self.settings_dict = settings_dict
        self.name = f"legacy_src_{uuid.uuid4().hex[:12]}"
        self.url = server_info(settings_dict, self.name)
        self.images_dir = folder / "legacy" / "images"
        self.tools_dir = folder / "legacy" / "tools"
        self.files = {}

    def _admin(self):
        return psycopg.connect(
            server_info(self.settings_dict, self.settings_dict.get("NAME") or "postgres"), autocommit=True
        )

    def create(self):
        with self._admin() as admin:
            admin.execute(f'CREATE DATABASE "{self.name}"')
        with psycopg.connect(self.url) as connection:
            connection.execute(SCHEMA.read_text())
            self._fill(connection)
        return self

    def drop(self):
        with self._admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def execute(self, sql, params=()):
        with psycopg.connect(self.url) as connection:
            connection.execute(sql, params)

    def _insert(self, connection, table, rows):
        for row in rows:
            columns = ", ".join(f'"{key}"' for key in row)
            marks = ", ".join(["%s"] * len(row))
            values = [json.dumps(v) if isinstance(v, dict | list) else v for v in row.values()]
            connection.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', values)
        if rows and "id" in rows[0]:
            connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")

    def _file(self, folder, name, data):
        path = self.images_dir / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.files[name] = data
        return data

    def _fill(self, c):
        def user(id, username, **extra):
            row = {
                "id": id,
                "password": old_hash(OLD_PASSWORD),
                "last_login": None,
                "is_superuser": False,
                "username": username,
                "first_name": "",
                "last_name": "",
                "email": f"{username.lower()}@old.example.org",
                "is_staff": False,
                "is_active": True,
                "date_joined": T0,
                "points": 0,
            }
            row.update(extra)
            return row

        self._insert(
            c,
            "users_user",
            [
                user(1, "alice", is_staff=True, is_superuser=True, points=7, first_name="Alice", last_login=T0),
                user(2, "bob"),
                user(3, "Carol"),
                user(4, "carol"),  # differs from "Carol" only in case: renamed
                user(5, "dave", password="!unusable", is_active=False),
            ],
        )
        self._insert(
            c,
            "users_team",
            [
                {"id": 1, "name": "Robots", "website": "https://robots.example.org"},
                {"id": 2, "name": "Vision", "website": "not a url"},
                {"id": 3, "name": "A team name much longer than thirty chars", "website": ""},
            ],
        )
        self._insert(
            c,
            "users_teammembership",
            [
                {"id": 1, "team_id": 1, "user_id": 1, "is_admin": True},
                {"id": 2, "team_id": 1, "user_id": 2, "is_admin": False},
                {"id": 3, "team_id": 1, "user_id": 2, "is_admin": True},  # duplicate (no unique constraint)
                {"id": 4, "team_id": 2, "user_id": 3, "is_admin": True},
                {"id": 5, "team_id": 2, "user_id": 4, "is_admin": False},
            ],
        )

        def atype(id, name, vector_type, node_count=0, active=True):
            return {
                "id": id,
                "name": name,
                "active": active,
                "vector_type": vector_type,
                "node_count": node_count,
                "enable_concealed": True,
                "enable_blurred": vector_type != 2,
            }

        self._insert(
            c,
            "annotations_annotationtype",
            [
                atype(1, "ball", 1),
                atype(2, "field", 5),
                atype(3, "robot", 2, active=False),
                atype(4, "line", 3),
                atype(5, "weird", 9),  # unknown vector type
            ],
        )

        def imageset(id, name, team, path, **extra):
            row = {
                "id": id,
                "path": path,
                "name": name,
                "location": None,
                "description": None,
                "time": T0 + timedelta(days=id),
                "public": False,
                "public_collaboration": False,
                "image_lock": False,
                "priority": 0,
                "zip_state": 1,
                "creator_id": 1,
                "main_annotation_type_id": None,
                "team_id": team,
            }
            row.update(extra)
            return row

        self._insert(
            c,
            "images_imageset",
            [
                imageset(
                    1,
                    "Field A",
                    1,
                    "1_1",
                    location="Hall 3",
                    description="Balls on the field",
                    public_collaboration=True,  # without public: no effect
                    priority=1,
                    main_annotation_type_id=1,
                ),
                imageset(2, "Freed", None, "2_2", public=True),  # team-less
                imageset(3, "test set", 2, "2_3", priority=5, creator_id=3),
            ],
        )
        self._insert(c, "images_settag", [{"id": 1, "name": "test"}, {"id": 2, "name": "Outdoor Day"}])
        self._insert(
            c,
            "images_settag_imagesets",
            [{"id": 1, "settag_id": 1, "imageset_id": 3}, {"id": 2, "settag_id": 2, "imageset_id": 1}],
        )
        self._insert(c, "images_imageset_pinned_by", [{"id": 1, "imageset_id": 1, "user_id": 2}])

        a = self._file("1_1", "a_ABC123.png", png(40, 30))
        b = self._file("1_1", "b_XYZ789.png", png(50, 40, (0, 0, 255)))
        d = self._file("2_2", "d_QWE456.jpg", jpeg(20, 20))
        self._file("2_2", "broken_RTZ111.png", b"this is not an image")
        e = self._file("2_3", "e_UIO222.png", png(10, 10, (1, 2, 3)))
        self._file("1_1", "copy_DUP000.png", a)  # the same bytes as a.png: merged

        def image(id, set_id, name, filename, data, width, height, checksum=None):
            return {
                "id": id,
                "name": name,
                "filename": filename,
                "time": T0 + timedelta(hours=id),
                "checksum": checksum or hashlib.sha512(data).digest(),
                "width": width,
                "height": height,
                "image_set_id": set_id,
            }

        self._insert(
            c,
            "images_image",
            [
                image(1, 1, "a.png", "a_ABC123.png", a, 40, 30),
                image(2, 1, "b.png", "b_XYZ789.png", b, 800, 600),  # size in the row is wrong
                image(3, 1, "c.png", "c_MISSNG.png", b"", 40, 30),  # file missing
                image(4, 1, "a copy.png", "copy_DUP000.png", a, 40, 30),  # duplicate of 1
                image(5, 2, "d.jpg", "d_QWE456.jpg", d, 20, 20),
                image(6, 2, "broken.png", "broken_RTZ111.png", b"x", 40, 30),  # not an image
                image(7, 3, "e.png", "e_UIO222.png", e, 10, 10, checksum=b"\x00" * 64),  # checksum differs
            ],
        )

        def annotation(id, image_id, type_id, vector, user_id=1, **extra):
            row = {
                "id": id,
                "vector": vector,
                "_concealed": False,
                "_blurred": False,
                "closed": False,
                "time": T0 + timedelta(minutes=id),
                "last_edit_time": T0 + timedelta(minutes=id, seconds=30),
                "annotation_type_id": type_id,
                "image_id": image_id,
                "last_editor_id": None,
                "user_id": user_id,
            }
            row.update(extra)
            return row

        self._insert(
            c,
            "annotations_annotation",
            [
                annotation(
                    1, 1, 1, {"x1": 1, "y1": 2, "x2": 10, "y2": 12}, _concealed=True, _blurred=True, last_editor_id=2
                ),
                annotation(2, 1, 2, {"x1": "1", "y1": 1.7, "x2": 50, "y2": 1, "x3": 5, "y3": 9}),  # strings, outside
                annotation(3, 2, 1, {"x1": 10, "y1": 12, "x2": 1, "y2": 2}, user_id=2),  # corners swapped
                annotation(4, 2, 1, {"x1": 5, "y1": 5}),  # a box with one point: invalid
                annotation(5, 2, 4, None),  # not in image
                annotation(6, 2, 4, None, user_id=2),  # second "not in image": merged
                annotation(7, 4, 1, {"x1": 1, "y1": 2, "x2": 10, "y2": 12}, user_id=2),  # on the duplicate image
                annotation(8, 3, 1, {"x1": 1, "y1": 2, "x2": 10, "y2": 12}),  # its image file is missing
                annotation(9, 1, 5, {"x1": 1, "y1": 1}),  # its type has an unknown vector type
                annotation(10, 1, 4, {}),  # empty: "not in image"
                annotation(11, 1, 2, {"x1": 1, "y1": 1, "x2": 1, "y2": 1, "x3": 5, "y3": 5, "x4": 9, "y4": 1}),
                annotation(12, 1, 4, {"x1": 300, "y1": 300, "x2": 400, "y2": 400}),  # both ends clamp to one
                annotation(13, 5, 3, {"x1": 3, "y1": 4}, user_id=3),
                annotation(14, 1, 1, None, user_id=None),  # "annotate whole set" without a creator
            ],
        )

        def vote(id, annotation_id, user_id, verified):
            return {
                "id": id,
                "time": T0 + timedelta(days=10, minutes=id),
                "verified": verified,
                "annotation_id": annotation_id,
                "user_id": user_id,
            }

        self._insert(
            c,
            "annotations_verification",
            [
                vote(1, 1, 1, True),  # alice on her own annotation (the original's automatic vote)
                vote(2, 1, 2, True),
                vote(3, 1, 3, False),
                vote(4, 7, 2, True),  # bob again, on the duplicate merged into annotation 1
                vote(5, 3, 1, True),
                vote(6, 4, 1, True),  # its annotation is not imported
                vote(7, 13, None, True),  # the voter was deleted
                vote(8, 3, 2, True),  # bob on his own annotation
            ],
        )

        def export_format(id, name, team, **extra):
            row = {
                "id": id,
                "name": name,
                "last_change_time": T0 + timedelta(days=20 + id),
                "public": False,
                "base_format": "%%content",
                "image_format": None,
                "annotation_format": "%%imagename|%%type|%%vector\n",
                "vector_format": "%%x,%%y;",
                "not_in_image_format": "%%imagename|%%type|not in image\n",
                "name_format": "export_%%exportid.txt",
                "min_verifications": 1,
                "image_aggregation": False,
                "include_blurred": False,
                "include_concealed": True,
                "team_id": team,
            }
            row.update(extra)
            return row

        self._insert(
            c,
            "annotations_exportformat",
            [
                export_format(1, "lines", 1, public=True),
                export_format(
                    2,
                    "grouped",
                    2,
                    base_format="header\n%%content\n",
                    image_format="%%imagename: %%annotations\n",
                    image_aggregation=True,
                    min_verifications=0,
                ),
                export_format(3, "broken", 2, base_format="no content placeholder"),
            ],
        )
        self._insert(
            c,
            "annotations_exportformat_annotations_types",
            [
                {"id": 1, "exportformat_id": 1, "annotationtype_id": 1},
                {"id": 2, "exportformat_id": 1, "annotationtype_id": 2},
                {"id": 3, "exportformat_id": 2, "annotationtype_id": 4},
                {"id": 4, "exportformat_id": 2, "annotationtype_id": 5},  # the type that is not imported
            ],
        )
        self._insert(
            c,
            "annotations_export",
            [
                {
                    "id": 1,
                    "time": T0,
                    "annotation_count": 1,
                    "export_text": "a.png|ball|1,2;10,12;",
                    "filename": "export_1.txt",
                    "format_id": 1,
                    "image_set_id": 1,
                    "user_id": 1,
                }
            ],
        )
        self.tools_dir.mkdir(parents=True, exist_ok=True)
        (self.tools_dir / "1_labeler.py").write_bytes(b"print('label')\n")
        self._insert(
            c,
            "tools_tool",
            [
                {
                    "id": 1,
                    "name": "Labeler",
                    "filename": "1_labeler.py",
                    "description": "Labels things",
                    "creation_date": T0,
                    "public": True,
                    "creator_id": 2,
                    "team_id": 1,
                },
                {
                    "id": 2,
                    "name": "Gone",
                    "filename": "2_gone.zip",
                    "description": "",
                    "creation_date": T0,
                    "public": False,
                    "creator_id": 2,
                    "team_id": None,
                },
            ],
        )

        def message(id, title, start, expire):
            return {
                "id": id,
                "title": title,
                "content": f"content {id}",
                "creation_time": T0,
                "start_time": start,
                "expire_time": expire,
                "creator_id": 1,
            }

        self._insert(
            c,
            "tagger_messages_message",
            [
                message(1, "Admins meeting", T0, T0 + timedelta(days=3)),
                message(2, "Maintenance", T0, T0 + timedelta(days=1)),
                message(3, "Backwards", T0, T0 - timedelta(days=1)),  # expires before it starts
            ],
        )
        self._insert(c, "tagger_messages_teammessage", [{"message_ptr_id": 1, "admins_only": True, "team_id": 1}])
        self._insert(
            c,
            "tagger_messages_globalmessage",
            [
                {"message_ptr_id": 2, "team_admins_only": True, "staff_only": True},
                {"message_ptr_id": 3, "team_admins_only": False, "staff_only": False},
            ],
        )
        self._insert(c, "tagger_messages_message_read_by", [{"id": 1, "message_id": 1, "user_id": 1}])
