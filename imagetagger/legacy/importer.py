"""Import of an original ImageTagger 0.6 database and image folder (``manage.py import_imagetagger``).

Kinds are imported in dependency order: users, teams, memberships, annotation types, image sets
(with tags and pins), images, annotations, verifications, export formats, tools, messages; then every
user's points are recomputed with our rule. Small kinds are written in one transaction each; images
one by one through the upload's ingest (``images.ingest``: full decode, SHA-512, thumbnail, original
bytes stored), each committed with its ``LegacyId``; annotations and verifications in transactions
of 1,000 rows. An interrupted import is simply run again.

Every imported row is recorded in ``LegacyId``; a second run updates what changed in the legacy
database and imports only what is new, so it never duplicates. Defects of the legacy data (reference
spec §14) never stop the import: each affected row is skipped or repaired, counted in the report with
its reason and the first legacy ids. What is done with each defect is listed in UPGRADE.md.
"""

import contextlib
import json
import logging
import time
from datetime import timedelta
from pathlib import Path

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from annotations.models import Annotation, AnnotationType, VectorType, Verification
from annotations.palette import next_color
from annotations.votes import recompute_points
from base.storage import delete_quietly
from exports.models import ExportFormat
from exports.template import validate_templates
from images.ingest import ADDED, DUPLICATE, add_image_file, safe_name
from images.models import Image, ImageSet, Priority, SetTag
from images.services import content_changed, normalise_tag_name
from users.models import TEAM_NAME_MAX_LENGTH, Team, TeamMembership

from .models import LegacyId
from .report import Report
from .vectors import LegacyVectorError, repair_vector

logger = logging.getLogger(__name__)

BATCH = 1000
# The original's geometries: 1–5 (it had no whole-image tags).
LEGACY_VECTOR_TYPES = tuple(value for value in VectorType.values if value != VectorType.TAG)
PROGRESS_EVERY = 5000

USER = "user"
TEAM = "team"
MEMBERSHIP = "membership"
TYPE = "annotation type"
SET = "image set"
IMAGE = "image"
ANNOTATION = "annotation"
VERIFICATION = "verification"
EXPORT_FORMAT = "export format"
TOOL = "tool"
MESSAGE = "message"
EXPORT = "export"
MERGED = " (merged)"
KINDS = [USER, TEAM, MEMBERSHIP, TYPE, SET, IMAGE, ANNOTATION, VERIFICATION, EXPORT_FORMAT, EXPORT, TOOL, MESSAGE]


class _DryRun(Exception):
    """Raised at the end of a dry run to roll everything back."""


def _unique_name(desired, taken, own_pk, legacy_id, max_length, *, key=str.lower):
    """``desired``, or ``<desired>-<legacy id>`` (cut to ``max_length``) when another object has it.

    ``taken`` maps ``key(name)`` to the pk holding it; the chosen name is entered for ``own_pk``.
    """
    name = desired[:max_length]
    holder = taken.get(key(name))
    if holder is not None and holder != own_pk:
        suffix = f"-{legacy_id}"
        name = desired[: max_length - len(suffix)] + suffix
        counter = 1
        while taken.get(key(name)) not in (None, own_pk):
            counter += 1
            suffix = f"-{legacy_id}-{counter}"
            name = desired[: max_length - len(suffix)] + suffix
    taken[key(name)] = own_pk if own_pk is not None else object()
    return name


def _vector_key(vector):
    return None if vector is None else json.dumps(vector, sort_keys=True)


class LegacyImport:
    def __init__(self, source, *, images_dir=None, tools_dir=None, dry_run=False, skip_images=False, out=None):
        self.source = source
        self.images_dir = Path(images_dir) if images_dir else None
        self.tools_dir = Path(tools_dir) if tools_dir else None
        self.dry_run = dry_run
        self.skip_images = skip_images
        self.out = out or (lambda text: None)
        self.report = Report()
        self.maps = {kind: {} for kind in KINDS}
        # Legacy ids merged into an object imported for another legacy row: never used to update it.
        self.merged = {kind: set() for kind in KINDS}
        self.written_files = []  # stored during a dry run, deleted at its end
        self.changed_sets = set()

    # --- bookkeeping ----------------------------------------------------------------------------

    def _load_maps(self):
        for kind, legacy_id, object_id in LegacyId.objects.values_list("kind", "legacy_id", "object_id"):
            base = kind.removesuffix(MERGED)
            if base in self.maps:
                self.maps[base][legacy_id] = object_id
                if base != kind:
                    self.merged[base].add(legacy_id)

    def _remember(self, kind, pairs, *, merged=False):
        """Record ``(legacy id, object id)`` pairs (inside the caller's transaction); ``merged``: these
        legacy rows were merged into objects imported for other rows."""
        if not pairs:
            return
        stored_kind, other_kind = (kind + MERGED, kind) if merged else (kind, kind + MERGED)
        legacy_ids = [legacy_id for legacy_id, _ in pairs]
        if any(legacy_id in self.maps[kind] for legacy_id in legacy_ids):
            # re-imported after its object was deleted here: it may change between merged and not
            LegacyId.objects.filter(kind=other_kind, legacy_id__in=legacy_ids).delete()
            self.merged[kind].difference_update(legacy_ids)
        LegacyId.objects.bulk_create(
            [LegacyId(kind=stored_kind, legacy_id=legacy_id, object_id=object_id) for legacy_id, object_id in pairs],
            update_conflicts=True,
            unique_fields=["kind", "legacy_id"],
            update_fields=["object_id"],
            batch_size=BATCH,
        )
        self.maps[kind].update(pairs)
        if merged:
            self.merged[kind].update(legacy_id for legacy_id, _ in pairs)

    def _progress(self, kind, done, total=None):
        if done and done % PROGRESS_EVERY == 0:
            self.out(f"  {kind}: {done}" + (f" of {total}" if total else "") + " rows read")

    def _upsert(self, kind, model, items, *, created_only=None, keep_times=False):
        """Create or update ``model`` objects for ``items`` (``[(legacy id, {attname: value})]``).

        ``created_only`` ({legacy id: {attname: value}}) is set on new objects only. With ``keep_times``
        the model's auto_now/auto_now_add fields take the values in ``fields`` on insert.
        Returns ``{legacy id: pk}``.
        """
        mapping = self.maps[kind]
        existing = model.objects.in_bulk([mapping[lid] for lid, _ in items if lid in mapping])
        created, updated, fields_changed, result = [], [], set(), {}
        for legacy_id, fields in items:
            obj = existing.get(mapping.get(legacy_id))
            if obj is None:
                obj = model(**fields, **(created_only or {}).get(legacy_id, {}))
                created.append((legacy_id, obj, fields))
                continue
            if legacy_id in self.merged[kind]:  # merged into an object that is not its own: left as it is
                self.report.add(kind, "unchanged")
                result[legacy_id] = obj.pk
                continue
            changed = [name for name, value in fields.items() if getattr(obj, name) != value]
            for name in changed:
                setattr(obj, name, fields[name])
            if changed:
                updated.append(obj)
                fields_changed.update(changed)
            self.report.add(kind, "updated" if changed else "unchanged")
            result[legacy_id] = obj.pk
        with transaction.atomic():
            objs = [obj for _, obj, _ in created]
            with _keep_timestamps(model) if keep_times else contextlib.nullcontext():
                model.objects.bulk_create(objs, batch_size=BATCH)
            if updated:
                model.objects.bulk_update(updated, sorted(fields_changed), batch_size=BATCH)
            self._remember(kind, [(legacy_id, obj.pk) for legacy_id, obj, _ in created])
        self.report.add(kind, "imported", len(created))
        result.update({legacy_id: obj.pk for legacy_id, obj, _ in created})
        return result

    def _rows(self, table, columns, *, kind, order_by="id"):
        if not self.source.has_table(table):
            self.report.note(kind, f"table {table} is missing in the legacy database")
            return []
        return list(self.source.rows(table, columns, order_by=order_by))

    # --- run ------------------------------------------------------------------------------------

    def run(self):
        self.source.check_schema()
        try:
            with transaction.atomic(durable=False) if self.dry_run else contextlib.nullcontext():
                self._load_maps()
                steps = [
                    ("users", self.import_users),
                    ("teams", self.import_teams),
                    ("memberships", self.import_memberships),
                    ("annotation types", self.import_types),
                    ("image sets", self.import_sets),
                ]
                if not self.skip_images:
                    steps += [
                        ("images", self.import_images),
                        ("annotations", self.import_annotations),
                        ("verifications", self.import_verifications),
                    ]
                steps += [
                    ("export formats", self.import_export_formats),
                    ("exports", self.import_exports),
                    ("tools", self.import_tools),
                    ("messages", self.import_messages),
                    ("points (recomputing)", self.recompute_points),
                ]
                for title, step in steps:
                    self.out(f"Importing {title}…")
                    started = time.monotonic()
                    step()
                    self.out(f"  done in {time.monotonic() - started:.1f} s")
                if self.skip_images:
                    self.report.message(
                        "Images, annotations and verifications were skipped (--skip-images); run again without it."
                    )
                if self.dry_run:
                    raise _DryRun
        except _DryRun:
            self.report.message("Dry run: nothing was saved (every change was rolled back, copied files deleted).")
        finally:
            if self.dry_run:
                delete_quietly(self.written_files)
        if not self.dry_run:
            for set_id in sorted(self.changed_sets):
                with transaction.atomic():
                    content_changed(set_id)
        return self.report

    # --- users, teams, memberships --------------------------------------------------------------

    def import_users(self):
        User = get_user_model()
        rows = self._rows(
            "users_user",
            [
                "id",
                "password",
                "last_login",
                "is_superuser",
                "username",
                "first_name",
                "last_name",
                "email",
                "is_staff",
                "is_active",
                "date_joined",
                "points",
            ],
            kind=USER,
        )
        taken = {name.lower(): pk for pk, name in User.objects.values_list("pk", "username")}
        mapping = self.maps[USER]
        items, points = [], {}
        for row in rows:
            own = mapping.get(row["id"])
            username = _unique_name(row["username"], taken, own, row["id"], 150)
            if username != row["username"]:
                self.report.note(
                    USER, "username already used (names are unique regardless of case): renamed", row["id"]
                )
            if not row["password"] or row["password"].startswith("!"):
                self.report.note(USER, "no usable password: must reset it", row["id"])
            items.append(
                (
                    row["id"],
                    {
                        "username": username,
                        "password": row["password"] or "!",
                        "email": row["email"] or "",
                        "first_name": (row["first_name"] or "")[:150],
                        "last_name": (row["last_name"] or "")[:150],
                        "is_staff": row["is_staff"],
                        "is_superuser": row["is_superuser"],
                        "is_active": row["is_active"],
                        "date_joined": row["date_joined"],
                        "last_login": row["last_login"],
                    },
                )
            )
            points[row["id"]] = {"points": row["points"] or 0}
        self._upsert(USER, User, items, created_only=points)

    def import_teams(self):
        rows = self._rows("users_team", ["id", "name", "website"], kind=TEAM)
        taken = {name.lower(): pk for pk, name in Team.objects.values_list("pk", "name")}
        validate_url = URLValidator()
        items = []
        for row in rows:
            name = _unique_name(row["name"], taken, self.maps[TEAM].get(row["id"]), row["id"], TEAM_NAME_MAX_LENGTH)
            if name != row["name"]:
                self.report.note(TEAM, "name too long or already used: renamed", row["id"])
            website = (row["website"] or "").strip()
            if website:
                try:
                    validate_url(website)
                except ValidationError:
                    self.report.note(TEAM, "website is not a valid URL: left empty", row["id"])
                    website = ""
            items.append((row["id"], {"name": name, "website": website}))
        self._upsert(TEAM, Team, items)

    def import_memberships(self):
        rows = self._rows("users_teammembership", ["id", "team_id", "user_id", "is_admin"], kind=MEMBERSHIP)
        existing = {
            (team_id, user_id): (pk, is_admin)
            for pk, team_id, user_id, is_admin in TeamMembership.objects.values_list(
                "pk", "team_id", "user_id", "is_admin"
            )
        }
        wanted = {}  # (team, user) -> [legacy ids], admin if any duplicate says so
        admin = {}
        for row in rows:
            team, user = self.maps[TEAM].get(row["team_id"]), self.maps[USER].get(row["user_id"])
            if team is None or user is None:
                self.report.skip(MEMBERSHIP, "team or user was not imported", row["id"])
                continue
            key = (team, user)
            if key in wanted:
                self.report.note(MEMBERSHIP, "duplicate membership of the same user: merged", row["id"])
            wanted.setdefault(key, []).append(row["id"])
            admin[key] = admin.get(key, False) or row["is_admin"]
        created, changed, pairs, merged = [], [], [], []
        for key, legacy_ids in wanted.items():
            if key in existing:
                pk, is_admin = existing[key]
                if is_admin != admin[key]:
                    changed.append(TeamMembership(pk=pk, is_admin=admin[key]))
                    self.report.add(MEMBERSHIP, "updated")
                else:
                    self.report.add(MEMBERSHIP, "unchanged")
                pairs.append((legacy_ids[0], pk))
                merged += [(legacy_id, pk) for legacy_id in legacy_ids[1:]]
            else:
                created.append((legacy_ids, TeamMembership(team_id=key[0], user_id=key[1], is_admin=admin[key])))
        with transaction.atomic():
            TeamMembership.objects.bulk_create([obj for _, obj in created], batch_size=BATCH)
            TeamMembership.objects.bulk_update(changed, ["is_admin"], batch_size=BATCH)
            pairs += [(legacy_ids[0], obj.pk) for legacy_ids, obj in created]
            merged += [(legacy_id, obj.pk) for legacy_ids, obj in created for legacy_id in legacy_ids[1:]]
            self._remember(MEMBERSHIP, pairs)
            self._remember(MEMBERSHIP, merged, merged=True)
        self.report.add(MEMBERSHIP, "imported", len(created))

    # --- annotation types and image sets ----------------------------------------------------------

    def import_types(self):
        rows = self._rows(
            "annotations_annotationtype",
            ["id", "name", "active", "vector_type", "node_count", "enable_concealed", "enable_blurred"],
            kind=TYPE,
        )
        # The original's types were global: they map to site types (names unique among those only).
        site_types = AnnotationType.objects.site()
        ours = list(site_types.values_list("pk", "name", "vector_type", "node_count"))
        taken = {name.lower(): pk for pk, name, _, _ in ours}
        colors = list(site_types.values_list("color", flat=True))
        claimed = set(self.maps[TYPE].values())
        items, created_only = [], {}
        for row in rows:
            if row["vector_type"] not in LEGACY_VECTOR_TYPES:
                self.report.skip(
                    TYPE, f"unknown vector type {row['vector_type']} (its annotations are skipped)", row["id"]
                )
                continue
            node_count = max(row["node_count"] or 0, 0)
            if row["id"] not in self.maps[TYPE]:
                # A type of the same name and geometry made here before the import is the same label class.
                same = [
                    pk
                    for pk, name, vector_type, count in ours
                    if name.lower() == row["name"].lower()
                    and vector_type == row["vector_type"]
                    and count == node_count
                    and pk not in claimed
                ]
                if same:
                    self._remember_in_transaction(TYPE, [(row["id"], same[0])], merged=True)
                    claimed.add(same[0])
                    self.report.note(TYPE, "same name and geometry as an existing type: merged into it", row["id"])
            own = self.maps[TYPE].get(row["id"])
            if own is None:  # a new site type: the next palette colour (bulk_create skips save())
                colors.append(next_color(colors))
                created_only[row["id"]] = {"color": colors[-1]}
            name = _unique_name(row["name"], taken, own, row["id"], 20)
            if name != row["name"]:
                self.report.note(TYPE, "name already used (names are unique regardless of case): renamed", row["id"])
            items.append(
                (
                    row["id"],
                    {
                        "name": name,
                        "active": row["active"],
                        "vector_type": row["vector_type"],
                        "node_count": node_count,
                        "enable_concealed": row["enable_concealed"],
                        "enable_blurred": row["enable_blurred"],
                    },
                )
            )
        self._upsert(TYPE, AnnotationType, items, created_only=created_only)

    def _remember_in_transaction(self, kind, pairs, *, merged=False):
        with transaction.atomic():
            self._remember(kind, pairs, merged=merged)

    def import_sets(self):
        rows = self._rows(
            "images_imageset",
            [
                "id",
                "path",
                "name",
                "location",
                "description",
                "time",
                "team_id",
                "creator_id",
                "public",
                "public_collaboration",
                "image_lock",
                "priority",
                "main_annotation_type_id",
            ],
            kind=SET,
        )
        taken = {
            (team_id, name.lower()): pk for pk, team_id, name in ImageSet.objects.values_list("pk", "team_id", "name")
        }
        items = []
        self.legacy_set_paths = {}
        for row in rows:
            team = self.maps[TEAM].get(row["team_id"]) if row["team_id"] is not None else None
            if row["team_id"] is not None and team is None:
                self.report.note(SET, "its team was not imported: imported without a team", row["id"])
            own = self.maps[SET].get(row["id"])
            name = _unique_name(
                row["name"], taken, own, row["id"], 100, key=lambda text, team=team: (team, text.lower())
            )
            if name != row["name"]:
                self.report.note(SET, "name already used in the team (unique regardless of case): renamed", row["id"])
            public, collaboration, lock = row["public"], row["public_collaboration"], row["image_lock"]
            if team is None and not (public and collaboration and lock):
                public = collaboration = lock = True
                self.report.note(
                    SET, "set without a team: made public, collaborative and locked (a set set free)", row["id"]
                )
            if collaboration and not public:
                collaboration = False
                self.report.note(SET, "collaboration on a set that is not public has no effect: turned off", row["id"])
            priority = row["priority"] if row["priority"] in Priority.values else max(min(row["priority"], 1), -1)
            if priority != row["priority"]:
                self.report.note(SET, "priority outside high/normal/low: clamped", row["id"])
            items.append(
                (
                    row["id"],
                    {
                        "name": name,
                        "location": (row["location"] or "")[:100],
                        "description": row["description"] or "",
                        "time": row["time"],
                        "team_id": team,
                        "creator_id": self.maps[USER].get(row["creator_id"]),
                        "public": public,
                        "public_collaboration": collaboration,
                        "image_lock": lock,
                        "priority": priority,
                        "main_annotation_type_id": self.maps[TYPE].get(row["main_annotation_type_id"]),
                    },
                )
            )
            self.legacy_set_paths[row["id"]] = row["path"]
        result = self._upsert(SET, ImageSet, items, keep_times=True)
        # Storage folders as our sets name them ("<team id>_<set id>"; 0 for sets without a team).
        without_path = ImageSet.objects.filter(pk__in=result.values(), path__isnull=True)
        with transaction.atomic():
            for image_set in without_path:
                image_set.path = f"{image_set.team_id or 0}_{image_set.pk}"
            ImageSet.objects.bulk_update(without_path, ["path"], batch_size=BATCH)
        self._import_tags()
        self._import_pins()

    def _import_tags(self):
        if not self.source.has_table("images_settag"):
            return
        names = {row["id"]: row["name"] for row in self.source.rows("images_settag", ["id", "name"])}
        links = self._rows("images_settag_imagesets", ["id", "settag_id", "imageset_id"], kind=SET)
        wanted = {}
        for row in links:
            image_set = self.maps[SET].get(row["imageset_id"])
            try:
                name = normalise_tag_name(names.get(row["settag_id"], ""))
            except ValidationError:
                self.report.note(SET, "tag with an unusable name: left out", row["imageset_id"])
                continue
            if image_set is not None:
                wanted.setdefault(name, set()).add(image_set)
        Through = SetTag.imagesets.through
        with transaction.atomic():
            for name, set_ids in wanted.items():
                tag, _ = SetTag.objects.get_or_create(name=name)
                Through.objects.bulk_create(
                    [Through(settag_id=tag.pk, imageset_id=set_id) for set_id in set_ids], ignore_conflicts=True
                )

    def _import_pins(self):
        rows = self._rows("images_imageset_pinned_by", ["id", "imageset_id", "user_id"], kind=SET)
        Through = ImageSet.pinned_by.through
        pins = []
        for row in rows:
            image_set, user = self.maps[SET].get(row["imageset_id"]), self.maps[USER].get(row["user_id"])
            if image_set is not None and user is not None:
                pins.append(Through(imageset_id=image_set, user_id=user))
        with transaction.atomic():
            Through.objects.bulk_create(pins, ignore_conflicts=True, batch_size=BATCH)

    # --- images -------------------------------------------------------------------------------------

    def import_images(self):
        if self.images_dir is None:
            self.report.message("No --images-dir given: images (and their annotations) were not imported.")
            return
        if not hasattr(self, "legacy_set_paths"):
            self.legacy_set_paths = {}
        self._find_image_folder()
        sets = ImageSet.objects.in_bulk(list(self.maps[SET].values()))
        columns = ["id", "image_set_id", "name", "filename", "time", "checksum", "width", "height"]
        done = 0
        for batch in self.source.batches("images_image", columns, order_by="image_set_id,id", size=BATCH):
            mapped = set(
                Image.objects.filter(
                    pk__in=[self.maps[IMAGE][row["id"]] for row in batch if row["id"] in self.maps[IMAGE]]
                ).values_list("pk", flat=True)
            )
            times = []
            for row in batch:
                done += 1
                if self.maps[IMAGE].get(row["id"]) in mapped:
                    self.report.add(IMAGE, "unchanged")  # an imported image's file is never copied again
                    continue
                image_set = sets.get(self.maps[SET].get(row["image_set_id"]))
                if image_set is None:
                    self.report.skip(IMAGE, "its image set was not imported", row["id"])
                    continue
                fixed = self._import_image_file(row, image_set)
                if fixed is not None:
                    times.append(fixed)
            with transaction.atomic():
                Image.objects.bulk_update(times, ["time"], batch_size=BATCH)
            self._progress(IMAGE, done)

    def _find_image_folder(self):
        """Accept the original's data folder too (the one holding ``images/``), as operators may give it."""
        folders = [path for path in self.legacy_set_paths.values() if path]
        inner = self.images_dir / "images"
        if (
            folders
            and not any((self.images_dir / path).is_dir() for path in folders)
            and any((inner / path).is_dir() for path in folders)
        ):
            self.report.message(f"Images read from {inner} (the image folder inside the given data folder).")
            self.images_dir = inner

    def _image_name(self, row):
        for candidate in (row["name"], row["filename"], f"image-{row['id']}"):
            try:
                return safe_name(candidate)
            except ValueError:
                continue
        return f"image-{row['id']}"  # pragma: no cover

    def _image_path(self, row, image_set):
        folder = self.legacy_set_paths.get(row["image_set_id"])
        if not folder:
            return None
        return self.images_dir / folder / row["filename"]

    def _import_image_file(self, row, image_set):
        """Copy one legacy image into our storage; returns an Image (pk and time) to fix, or None."""
        path = self._image_path(row, image_set)
        if path is None or not path.is_file():
            self.report.skip(IMAGE, "file missing in the image folder (its annotations are skipped)", row["id"])
            return None
        try:
            with path.open("rb") as source:
                # Each changed set's archive is invalidated once, at the end of the import.
                result = add_image_file(image_set, name=self._image_name(row), fileobj=source, invalidate=False)
        except OSError as error:
            self.report.skip(IMAGE, f"file cannot be read ({error.strerror})", row["id"])
            return None
        if result.status == DUPLICATE:
            self.report.note(IMAGE, "same file as another image of the set: merged into it", row["id"])
            self._remember_in_transaction(IMAGE, [(row["id"], result.image_id)], merged=True)
            self.report.add(IMAGE, "imported")
            return None
        if result.status != ADDED:
            self.report.skip(IMAGE, f"refused: {result.reason}", row["id"])
            return None
        self._remember_in_transaction(IMAGE, [(row["id"], result.image_id)])
        self.report.add(IMAGE, "imported")
        self.changed_sets.add(image_set.pk)
        image = Image.objects.select_related("image_set").get(pk=result.image_id)
        if self.dry_run:
            self.written_files += [image.relative_path, image.thumbnail_path]
        if row["checksum"] is not None and bytes(row["checksum"]) != bytes(image.checksum):
            self.report.note(
                IMAGE, "file differs from the checksum in the legacy database (imported as found)", row["id"]
            )
        if (row["width"], row["height"]) != (image.width, image.height):
            self.report.note(
                IMAGE, "size in the legacy database differs from the file: the file's size is used", row["id"]
            )
        image.time = row["time"]
        return image

    # --- annotations and verifications ----------------------------------------------------------

    def import_annotations(self):
        types = AnnotationType.objects.in_bulk(list(self.maps[TYPE].values()))
        columns = [
            "id",
            "image_id",
            "vector",
            "_concealed",
            "_blurred",
            "time",
            "annotation_type_id",
            "user_id",
            "last_edit_time",
            "last_editor_id",
        ]
        done = 0
        for batch in self.source.batches("annotations_annotation", columns, order_by="image_id,id", size=BATCH):
            done += len(batch)
            self._annotation_batch(batch, types)
            self._progress(ANNOTATION, done)

    def _annotation_batch(self, batch, types):
        mapping = self.maps[ANNOTATION]
        image_ids = {self.maps[IMAGE].get(row["image_id"]) for row in batch} - {None}
        images = {
            pk: (w, h) for pk, w, h in Image.objects.filter(pk__in=image_ids).values_list("pk", "width", "height")
        }
        existing = Annotation.objects.in_bulk([mapping[row["id"]] for row in batch if row["id"] in mapping])
        # What is on these images already: (image, type, vector) -> annotation id
        present = {}
        for pk, image, type_id, vector in Annotation.objects.filter(image_id__in=image_ids).values_list(
            "pk", "image_id", "annotation_type_id", "vector"
        ):
            present.setdefault((image, type_id, _vector_key(vector)), pk)
        created, updated, merged = [], [], []
        fields_changed = set()
        for row in batch:
            image = self.maps[IMAGE].get(row["image_id"])
            type_id = self.maps[TYPE].get(row["annotation_type_id"])
            if image not in images:
                self.report.skip(ANNOTATION, "its image was not imported", row["id"])
                continue
            if type_id is None:
                self.report.skip(ANNOTATION, "its annotation type was not imported", row["id"])
                continue
            try:
                vector, repairs = repair_vector(row["vector"], types[type_id], *images[image])
            except LegacyVectorError as error:
                self.report.skip(ANNOTATION, f"invalid vector: {error.args[0]}", row["id"])
                continue
            for repair in repairs:
                self.report.note(ANNOTATION, f"vector repaired: {repair}", row["id"])
            fields = {
                "image_id": image,
                "annotation_type_id": type_id,
                "vector": vector,
                "concealed_flag": row["_concealed"],
                "blurred_flag": row["_blurred"],
                "user_id": self.maps[USER].get(row["user_id"]),
                "last_editor_id": self.maps[USER].get(row["last_editor_id"]),
                "time": row["time"],
                "last_edit_time": row["last_edit_time"],
            }
            key = (image, type_id, _vector_key(vector))
            obj = existing.get(mapping.get(row["id"]))
            if obj is not None and row["id"] in self.merged[ANNOTATION]:
                self.report.add(ANNOTATION, "unchanged")
                continue
            if obj is not None:
                changed = [name for name, value in fields.items() if getattr(obj, name) != value]
                clash = present.get(key)
                if "vector" in changed and clash is not None and clash != obj.pk:
                    self.report.skip(
                        ANNOTATION, "changed into a duplicate of another annotation: not updated", row["id"]
                    )
                    continue
                for name in changed:
                    setattr(obj, name, fields[name])
                if changed:
                    updated.append(obj)
                    fields_changed.update(changed)
                self.report.add(ANNOTATION, "updated" if changed else "unchanged")
                present.setdefault(key, obj.pk)
                continue
            same = present.get(key)
            if same is not None:
                reason = "second “not in image” of the type on the image" if vector is None else "same vector"
                self.report.note(ANNOTATION, f"duplicate ({reason}): merged into the first one", row["id"])
                merged.append((row["id"], same))
                continue
            obj = Annotation(**fields)
            created.append((row["id"], obj, fields))
            present[key] = obj  # resolved to its pk after the insert
        with transaction.atomic():
            objs = [obj for _, obj, _ in created]
            with _keep_timestamps(Annotation):
                Annotation.objects.bulk_create(objs, batch_size=BATCH)
            if updated:
                for obj in updated:
                    obj.version += 1
                Annotation.objects.bulk_update(updated, sorted(fields_changed | {"version"}), batch_size=BATCH)
            merged = [(legacy_id, same.pk if isinstance(same, Annotation) else same) for legacy_id, same in merged]
            self._remember(ANNOTATION, [(legacy_id, obj.pk) for legacy_id, obj, _ in created])
            self._remember(ANNOTATION, merged, merged=True)
        self.report.add(ANNOTATION, "imported", len(created))

    def import_verifications(self):
        done = 0
        columns = ["id", "annotation_id", "user_id", "verified", "time"]
        for batch in self.source.batches("annotations_verification", columns, size=BATCH):
            done += len(batch)
            self._verification_batch(batch)
            self._progress(VERIFICATION, done)

    def _verification_batch(self, batch):
        mapping = self.maps[VERIFICATION]
        annotation_ids = {self.maps[ANNOTATION].get(row["annotation_id"]) for row in batch} - {None}
        creators = dict(Annotation.objects.filter(pk__in=annotation_ids).values_list("pk", "user_id"))
        votes = {
            (annotation, user): pk
            for pk, annotation, user in Verification.objects.filter(annotation_id__in=annotation_ids).values_list(
                "pk", "annotation_id", "user_id"
            )
            if user is not None
        }
        existing = Verification.objects.in_bulk([mapping[row["id"]] for row in batch if row["id"] in mapping])
        created, updated, merged = [], [], []
        for row in batch:
            annotation = self.maps[ANNOTATION].get(row["annotation_id"])
            if annotation not in creators:
                self.report.skip(VERIFICATION, "its annotation was not imported", row["id"])
                continue
            voter = self.maps[USER].get(row["user_id"])
            if row["user_id"] is not None and voter is None:
                self.report.skip(VERIFICATION, "its user was not imported", row["id"])
                continue
            if voter is not None and voter == creators[annotation]:
                self.report.skip(
                    VERIFICATION, "vote on the voter's own annotation (the original voted for every creator)", row["id"]
                )
                continue
            obj = existing.get(mapping.get(row["id"]))
            if obj is not None and row["id"] in self.merged[VERIFICATION]:
                self.report.add(VERIFICATION, "unchanged")
                continue
            if obj is not None:
                if obj.verified != row["verified"] or obj.time != row["time"]:
                    obj.verified, obj.time = row["verified"], row["time"]
                    updated.append(obj)
                    self.report.add(VERIFICATION, "updated")
                else:
                    self.report.add(VERIFICATION, "unchanged")
                continue
            if voter is not None and (annotation, voter) in votes:
                self.report.note(
                    VERIFICATION,
                    "second vote of the user on a merged duplicate annotation: the first counts",
                    row["id"],
                )
                merged.append((row["id"], votes[(annotation, voter)]))
                continue
            obj = Verification(annotation_id=annotation, user_id=voter, verified=row["verified"], time=row["time"])
            created.append((row["id"], obj, row["time"]))
            if voter is not None:
                votes[(annotation, voter)] = obj
        with transaction.atomic():
            objs = [obj for _, obj, _ in created]
            with _keep_timestamps(Verification):
                Verification.objects.bulk_create(objs, batch_size=BATCH)
            Verification.objects.bulk_update(updated, ["verified", "time"], batch_size=BATCH)
            merged = [(legacy_id, vote.pk if isinstance(vote, Verification) else vote) for legacy_id, vote in merged]
            self._remember(VERIFICATION, [(legacy_id, obj.pk) for legacy_id, obj, _ in created])
            self._remember(VERIFICATION, merged, merged=True)
        self.report.add(VERIFICATION, "imported", len(created))

    def recompute_points(self):
        changed = recompute_points()
        self.report.message(
            f"Points recomputed with our rule (accepts from other users; the original also counted its "
            f"automatic self-votes): {changed} user{'s' if changed != 1 else ''} changed."
        )

    # --- export formats -------------------------------------------------------------------------

    def import_export_formats(self):
        rows = self._rows(
            "annotations_exportformat",
            [
                "id",
                "name",
                "last_change_time",
                "team_id",
                "public",
                "base_format",
                "image_format",
                "annotation_format",
                "vector_format",
                "not_in_image_format",
                "name_format",
                "min_verifications",
                "image_aggregation",
                "include_blurred",
                "include_concealed",
            ],
            kind=EXPORT_FORMAT,
        )
        taken = {
            (team, name.lower()): pk for pk, team, name in ExportFormat.objects.values_list("pk", "team_id", "name")
        }
        items = []
        for row in rows:
            team = self.maps[TEAM].get(row["team_id"])
            if team is None:
                self.report.skip(EXPORT_FORMAT, "its team was not imported", row["id"])
                continue
            own = self.maps[EXPORT_FORMAT].get(row["id"])
            name = _unique_name(
                row["name"], taken, own, row["id"], 100, key=lambda text, team=team: (team, text.lower())
            )
            if name != row["name"]:
                self.report.note(EXPORT_FORMAT, "name already used in the team: renamed", row["id"])
            fields = {
                "name": name,
                "team_id": team,
                "public": row["public"],
                "base_format": row["base_format"] or "",
                "image_format": row["image_format"] or "",
                "annotation_format": row["annotation_format"] or "",
                "vector_format": row["vector_format"] or "",
                "not_in_image_format": row["not_in_image_format"] or "",
                "name_format": (row["name_format"] or "")[:200],
                "min_verifications": row["min_verifications"],
                "image_aggregation": row["image_aggregation"],
                "include_blurred": row["include_blurred"],
                "include_concealed": row["include_concealed"],
                "last_change_time": row["last_change_time"],
            }
            templates = {key: fields[key] for key in fields if key.endswith("_format") and key != "name_format"}
            if validate_templates(templates, image_aggregation=row["image_aggregation"]):
                self.report.note(
                    EXPORT_FORMAT, "template our editor would refuse (imported as it is; fix it on its page)", row["id"]
                )
            items.append((row["id"], fields))
        result = self._upsert(EXPORT_FORMAT, ExportFormat, items, keep_times=True)
        links = self._rows(
            "annotations_exportformat_annotations_types",
            ["id", "exportformat_id", "annotationtype_id"],
            kind=EXPORT_FORMAT,
        )
        wanted = {pk: set() for pk in result.values()}
        for row in links:
            export_format = result.get(row["exportformat_id"])
            annotation_type = self.maps[TYPE].get(row["annotationtype_id"])
            if export_format is not None and annotation_type is not None:
                wanted[export_format].add(annotation_type)
        Through = ExportFormat.annotation_types.through
        present = {}
        for format_id, type_id in Through.objects.filter(exportformat_id__in=wanted).values_list(
            "exportformat_id", "annotationtype_id"
        ):
            present.setdefault(format_id, set()).add(type_id)
        with transaction.atomic():
            Through.objects.bulk_create(
                [
                    Through(exportformat_id=format_id, annotationtype_id=type_id)
                    for format_id, type_ids in wanted.items()
                    for type_id in type_ids - present.get(format_id, set())
                ],
                batch_size=BATCH,
            )
            for format_id, type_ids in wanted.items():
                extra = present.get(format_id, set()) - type_ids
                if extra:
                    Through.objects.filter(exportformat_id=format_id, annotationtype_id__in=extra).delete()

    def import_exports(self):
        """The original kept every export's text in the database: here it becomes a finished export
        with its file in the storage, deprecated ("[dep]") if its format changed after it was made."""
        from exports.jobs import storage_name
        from exports.models import Export, ExportState

        if not self.source.has_table("annotations_export"):
            self.report.note(EXPORT, "table annotations_export is missing in the legacy database")
            return
        formats = ExportFormat.objects.in_bulk(list(self.maps[EXPORT_FORMAT].values()))
        sets = ImageSet.objects.in_bulk(list(self.maps[SET].values()))
        columns = ["id", "time", "annotation_count", "export_text", "filename", "format_id", "image_set_id", "user_id"]
        for batch in self.source.batches("annotations_export", columns, size=100):
            present = set(
                Export.objects.filter(
                    pk__in=[self.maps[EXPORT][row["id"]] for row in batch if row["id"] in self.maps[EXPORT]]
                ).values_list("pk", flat=True)
            )
            for row in batch:
                if self.maps[EXPORT].get(row["id"]) in present:
                    self.report.add(EXPORT, "unchanged")  # an export never changes
                    continue
                image_set = sets.get(self.maps[SET].get(row["image_set_id"]))
                if image_set is None:
                    self.report.skip(EXPORT, "its image set was not imported", row["id"])
                    continue
                export_format = formats.get(self.maps[EXPORT_FORMAT].get(row["format_id"]))
                if export_format is None:
                    self.report.note(EXPORT, "its format was deleted or not imported: shown as deprecated", row["id"])
                filename = (row["filename"] or "").replace("/", "_").replace("\\", "_").strip()[:255]
                export = Export(
                    image_set=image_set,
                    user_id=self.maps[USER].get(row["user_id"]),
                    format=export_format,
                    format_name=export_format.name if export_format else "deleted format",
                    # the format as the export saw it, unless the format changed after it was made
                    format_changed=export_format.last_change_time
                    if export_format and export_format.last_change_time <= row["time"]
                    else None,
                    state=ExportState.DONE,
                    progress=100,
                    time=row["time"],
                    finished=row["time"],
                    annotation_count=max(row["annotation_count"] or 0, 0),
                    filename=filename or f"export_{row['id']}.txt",
                )
                data = (row["export_text"] or "").encode()
                with transaction.atomic():
                    with _keep_timestamps(Export):
                        export.save()
                    export.file = default_storage.save(storage_name(export, export.filename), ContentFile(data))
                    if self.dry_run:
                        self.written_files.append(export.file)
                    export.size = len(data)
                    export.save(update_fields=["file", "size"])
                    self._remember(EXPORT, [(row["id"], export.pk)])
                self.report.add(EXPORT, "imported")

    # --- tools and messages -----------------------------------------------------------------------

    def import_tools(self):
        if not apps.is_installed("tools"):
            self.report.message("Tools were not imported: the tools app is not installed.")
            return
        from tools.models import Tool
        from tools.storage import clean_filename, guess_content_type, store

        rows = self._rows(
            "tools_tool",
            ["id", "name", "filename", "description", "creation_date", "public", "team_id", "creator_id"],
            kind=TOOL,
        )
        existing = Tool.objects.in_bulk([self.maps[TOOL][row["id"]] for row in rows if row["id"] in self.maps[TOOL]])
        for row in rows:
            fields = {
                "name": (row["name"] or "")[:100] or f"tool {row['id']}",
                "description": row["description"] or "",
                "public": row["public"],
                "team_id": self.maps[TEAM].get(row["team_id"]),
                "creator_id": self.maps[USER].get(row["creator_id"]),
            }
            tool = existing.get(self.maps[TOOL].get(row["id"]))
            if tool is not None:
                changed = [name for name, value in fields.items() if getattr(tool, name) != value]
                for name in changed:
                    setattr(tool, name, fields[name])
                if changed:
                    with transaction.atomic():
                        tool.save(update_fields=changed)
                self.report.add(TOOL, "updated" if changed else "unchanged")
                continue
            path = self._tool_path(row)
            if path is None:
                self.report.skip(TOOL, "file missing in the tools folder", row["id"])
                continue
            try:
                filename = clean_filename(path.name.removeprefix(f"{row['id']}_"))
                with path.open("rb") as source:
                    stored = store(File(source, name=filename), filename)
            except (OSError, ValidationError) as error:
                self.report.skip(TOOL, f"file cannot be read or stored ({error})", row["id"])
                continue
            if self.dry_run:
                self.written_files.append(stored)
            try:
                with transaction.atomic():
                    tool = Tool.objects.create(
                        **fields,
                        file=stored,
                        filename=filename,
                        size=path.stat().st_size,
                        content_type=guess_content_type(filename),
                    )
                    Tool.objects.filter(pk=tool.pk).update(created=row["creation_date"])
                    self._remember(TOOL, [(row["id"], tool.pk)])
            except BaseException:
                default_storage.delete(stored)
                raise
            self.report.add(TOOL, "imported")

    def _tool_path(self, row):
        folder = self.tools_dir
        if folder is None and self.images_dir is not None:
            folder = self.images_dir.parent / "tools"
        if folder is None:
            return None
        for name in (row["filename"], f"{row['id']}_{row['name']}"):
            if name and "/" not in name and (folder / name).is_file():
                return folder / name
        return None

    def import_messages(self):
        if not apps.is_installed("tagger_messages"):
            self.report.message("Messages were not imported: the tagger_messages app is not installed.")
            return
        if not self.source.has_table("tagger_messages_message"):
            self.report.note(MESSAGE, "table tagger_messages_message is missing in the legacy database")
            return
        from tagger_messages.models import Audience, Kind, Message, MessageRead

        has_team = self.source.has_table("tagger_messages_teammessage")
        has_global = self.source.has_table("tagger_messages_globalmessage")
        sql = (
            "SELECT m.id, m.title, m.content, m.creator_id, m.creation_time, m.start_time, m.expire_time, "
            + ("t.team_id, t.admins_only, " if has_team else "NULL AS team_id, NULL AS admins_only, ")
            + (
                "g.message_ptr_id AS global_id, g.team_admins_only, g.staff_only "
                if has_global
                else "NULL AS global_id, NULL AS team_admins_only, NULL AS staff_only "
            )
            + "FROM tagger_messages_message m "
            + ("LEFT JOIN tagger_messages_teammessage t ON t.message_ptr_id = m.id " if has_team else "")
            + ("LEFT JOIN tagger_messages_globalmessage g ON g.message_ptr_id = m.id " if has_global else "")
            + "ORDER BY m.id"
        )
        items = []
        for row in self.source.select(sql):
            if row["team_id"] is not None:
                team = self.maps[TEAM].get(row["team_id"])
                if team is None:
                    self.report.skip(MESSAGE, "its team was not imported", row["id"])
                    continue
                kind, audience = Kind.TEAM, Audience.ADMINS if row["admins_only"] else Audience.ALL
            elif row["global_id"] is not None:
                team, kind = None, Kind.ANNOUNCEMENT
                audience = (
                    Audience.STAFF
                    if row["staff_only"]
                    else Audience.ADMINS
                    if row["team_admins_only"]
                    else Audience.ALL
                )
            else:
                self.report.skip(MESSAGE, "neither a team message nor an announcement", row["id"])
                continue
            expire = row["expire_time"]
            if expire <= row["start_time"]:
                expire = row["start_time"] + timedelta(seconds=1)
                self.report.note(MESSAGE, "expires before it starts: expires one second after its start", row["id"])
            items.append(
                (
                    row["id"],
                    {
                        "kind": kind,
                        "team_id": team,
                        "audience": audience,
                        "title": (row["title"] or "")[:100],
                        "content": row["content"] or "",
                        "creator_id": self.maps[USER].get(row["creator_id"]),
                        "start_time": row["start_time"],
                        "expire_time": expire,
                        "created": row["creation_time"],
                    },
                )
            )
        result = self._upsert(MESSAGE, Message, items, keep_times=True)
        reads = self._rows("tagger_messages_message_read_by", ["id", "message_id", "user_id"], kind=MESSAGE)
        now = timezone.now()
        objs = [
            MessageRead(message_id=result[row["message_id"]], user_id=self.maps[USER][row["user_id"]], read_at=now)
            for row in reads
            if row["message_id"] in result and row["user_id"] in self.maps[USER]
        ]
        with transaction.atomic():
            MessageRead.objects.bulk_create(objs, ignore_conflicts=True, batch_size=BATCH)


@contextlib.contextmanager
def _keep_timestamps(model):
    """Inserts of ``model`` keep the values given for its auto_now/auto_now_add fields (the legacy
    times), instead of "now", without a second UPDATE of every row. Only for this process."""
    fields = [
        field
        for field in model._meta.concrete_fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    saved = [(field, field.auto_now, field.auto_now_add) for field in fields]
    for field in fields:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add
