"""Label import: ``import_labels`` reads a file (``importers``) and adds its labels to an image set.

Decisions:

- **Per line.** Every record (line, COCO annotation, VOC object, YOLO row) is independent: a bad one
  is reported and skipped, the good ones are kept. The report has one entry per record: its line
  number, where it came from, the status ``created``, ``duplicate`` or ``error`` and a message
  (warnings such as unknown flags go with ``created``). Blank lines are skipped silently.
- **The same rules as every other create** (annotations/services.py): the caller needs ``annotate``;
  types must exist and be active; vectors are checked by ``vectors.validate_vector`` against the
  image's size; a label similar to an existing one of the same image and type, or to an earlier record
  of the same file, is a ``duplicate`` (skipped, counted, never merged); "not in image" is said once per
  image and type and never beside shapes of that type (an ``error``). Imported labels belong to the
  uploader, cast **no vote** (the original's "verify" box was a self-vote) and may be marked
  machine-made with a model name (``origin="machine"``). Every created label gets its history entry.
- **Bulk path.** ``create_annotation`` costs several queries per label (lock, permission, type re-read,
  similarity query, insert, history), far too slow for 100,000 lines. So records are read in windows
  of ``WINDOW``, grouped by image, and handled in groups of about ``GROUP`` records (whole images): per
  group, in one transaction, its images are locked in id order (the services' lock order), their
  existing labels of the group's types are read once, every record is checked in memory with the
  functions above, in file order per image, and labels and history entries are inserted with
  ``bulk_create``. The set's images (name → image) and the types are loaded once per import. Records
  of one image are always in the same group, so "earlier line of this file" means what it says.
- **Types and attributes.** A record's type name is matched (exactly) only against the types the set
  may use (``annotations.selectors.types_usable_in_set``: its chosen types, or site types and its
  teams' own): a type of another team is "no such type", never matched; when a team type and a site
  type share the name, the team's wins. Attribute values are checked with the type's definitions
  (``annotations.attributes.clean_values``: unknown names, wrong kinds, out-of-range numbers, missing
  required values); a record with a bad value is an ``error`` whose message names the attribute, and
  nothing of it is saved. Values read from text (VOC, and strings in COCO) are read by the kind the
  type defines (``true``/``false``/``1``/``0`` for a checkbox, a number for a number). Image tags come
  from label lines with ``tag`` (or ``{}``) as the vector.
- Image names match exactly (with relative paths, "day1/a.png"); for VOC and YOLO, whose files name
  images by file or stem, also by the name without extension, and then by the last path part's stem,
  when that is unambiguous. Coordinates are rounded to whole pixels; YOLO's are scaled by the image's
  stored size.
- Imports with more than ``settings.IMPORT_INLINE_LIMIT`` records run in the worker
  (``run_label_import``); the upload is kept in storage until then. Either way a ``LabelImport`` row
  keeps the counts and the first ``REPORT_LIMIT`` report entries; the full report is a CSV in storage.
"""

import csv
import io
import math
import tempfile
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from django_tasks import task

from annotations.attributes import clean_values
from annotations.models import (
    Annotation,
    AnnotationHistory,
    AnnotationType,
    AttributeKind,
    HistoryAction,
    Origin,
    VectorType,
)
from annotations.permissions import type_owners_of_set
from annotations.selectors import types_usable_in_set
from annotations.services import snapshot
from annotations.vectors import find_similar, validate_vector
from images.models import Image
from images.permissions import imageset_permissions
from webhooks import events as webhook_events

from . import importers
from .models import LabelImport

WINDOW = 50000
GROUP = 2000
REPORT_LIMIT = 200
IMPORT_FOLDER = "label-imports"
CREATED, DUPLICATE, ERROR = "created", "duplicate", "error"
NO_ANNOTATE = "You may not add annotations to this image set."


@dataclass(slots=True)
class _Known:
    """An annotation already there (``pk`` > 0) or accepted earlier in this import (``pk`` = −line)."""

    pk: int
    vector: dict | None


def import_labels(*, actor, image_set, fileobj, format, machine_made=False, model_name="", filename=""):
    """Import the labels of ``fileobj`` (binary, seekable) into ``image_set``; returns the ``LabelImport``.

    Raises ``PermissionDenied`` without ``annotate`` and ``ValidationError`` for a bad format name or a
    file that cannot be read at all. The import is done when the returned row's state is ``done``;
    a large one is ``queued`` for the worker.
    """
    if "annotate" not in imageset_permissions(actor, image_set):
        raise PermissionDenied(NO_ANNOTATE)
    if format not in importers.FORMATS:
        raise ValidationError({"format": f"Choose one of {', '.join(importers.FORMATS)}."})
    model_name = (model_name or "").strip()
    if model_name and not machine_made:
        raise ValidationError({"model_name": "A model name is for labels marked machine-made."})
    if len(model_name) > 100:
        raise ValidationError({"model_name": "At most 100 characters."})
    try:
        count = sum(1 for _ in importers.parse(format, fileobj))
    except importers.ImportFileError as error:
        raise ValidationError({"file": str(error)}) from None
    fileobj.seek(0)
    label_import = LabelImport.objects.create(
        image_set=image_set,
        user=actor,
        format=format,
        filename=(filename or "")[:255],
        machine_made=bool(machine_made),
        model_name=model_name,
    )
    if count > settings.IMPORT_INLINE_LIMIT:
        label_import.upload_file = default_storage.save(f"{IMPORT_FOLDER}/{label_import.pk}-upload", File(fileobj))
        label_import.save(update_fields=["upload_file"])
        transaction.on_commit(lambda: run_label_import.enqueue(label_import.pk))
        return label_import
    run(label_import, fileobj)
    return label_import


@task()
def run_label_import(import_id):
    """The background task of a large import."""
    label_import = LabelImport.objects.filter(pk=import_id, state=LabelImport.State.QUEUED).first()
    if label_import is None:
        return {"skipped": import_id}
    try:
        with default_storage.open(label_import.upload_file, "rb") as fileobj:
            run(label_import, fileobj)
    except Exception as error:
        with transaction.atomic():
            LabelImport.objects.filter(pk=import_id).update(
                state=LabelImport.State.FAILED, error=f"{type(error).__name__}: {error}"[:2000], finished=timezone.now()
            )
            failed = LabelImport.objects.select_related("image_set").filter(pk=import_id).first()
            if failed is not None:
                webhook_events.label_import_finished(failed)
        raise
    default_storage.delete(label_import.upload_file)
    LabelImport.objects.filter(pk=import_id).update(upload_file="")
    return {"import": import_id, "created": label_import.created}


def run(label_import, fileobj):
    """Do the import described by ``label_import`` (state → running → done); fills its counts and report."""
    label_import.state = LabelImport.State.RUNNING
    label_import.save(update_fields=["state"])
    importer = _Importer(label_import)
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as report:
        writer = csv.writer(report)
        writer.writerow(["line", "source", "status", "message", "image", "type"])
        importer.writer = writer
        chunk = []
        for record in importers.parse(label_import.format, fileobj):
            chunk.append(record)
            if len(chunk) >= WINDOW:
                importer.process(chunk)
                chunk = []
                LabelImport.objects.filter(pk=label_import.pk).update(records=importer.counts["records"])
        if chunk:
            importer.process(chunk)
        report.seek(0)
        data = io.BytesIO(report.read().encode("utf-8"))
        name = default_storage.save(f"{IMPORT_FOLDER}/{label_import.pk}-report.csv", File(data))
    counts = importer.counts
    label_import.records = counts["records"]
    label_import.created = counts[CREATED]
    label_import.duplicates = counts[DUPLICATE]
    label_import.errors = counts[ERROR]
    label_import.warnings = counts["warnings"]
    label_import.report = importer.first_entries
    label_import.report_file = name
    label_import.state = LabelImport.State.DONE
    label_import.finished = timezone.now()
    with transaction.atomic():
        label_import.save()
        webhook_events.label_import_finished(label_import)
    return label_import


class _Importer:
    def __init__(self, label_import):
        self.label_import = label_import
        self.actor = label_import.user
        self.origin = Origin.MACHINE if label_import.machine_made else Origin.HUMAN
        self.model_name = label_import.model_name if label_import.machine_made else ""
        self.counts = defaultdict(int)
        self.first_entries = []
        self.writer = None
        image_set = label_import.image_set
        self.types = {}
        for annotation_type in types_usable_in_set(image_set):  # schema order: a team's type before a site type
            self.types.setdefault(annotation_type.name, annotation_type)
        # Types the set's teams own (or site types) that it may not use now: named in the messages.
        self.unusable = {
            annotation_type.name: annotation_type
            for annotation_type in AnnotationType.objects.usable_by_teams(type_owners_of_set(image_set)).exclude(
                pk__in=[t.pk for t in self.types.values()]
            )
            if annotation_type.name not in self.types
        }
        self.images = {}
        self.stems = defaultdict(list)
        self.by_name = defaultdict(list)
        self.by_base = defaultdict(list)  # the last part of the name ("a/b/img.png" -> "img.png")
        for image in Image.objects.filter(image_set_id=label_import.image_set_id).only(
            "id", "name", "width", "height", "image_set_id"
        ):
            self.by_name[image.name].append(image)
            self.by_base[image.name.rsplit("/", 1)[-1]].append(image)
            stem = image.name.rsplit(".", 1)[0] if "." in image.name.rsplit("/", 1)[-1] else image.name
            self.stems[stem].append(image)
            base = stem.rsplit("/", 1)[-1]
            if base != stem:
                self.stems[base].append(image)

    # --- one record -----------------------------------------------------------------------------

    def _image(self, record):
        found = self.by_name.get(record.image)
        if not found and record.match_stem:
            # YOLO names the image by its stem ("img.with.dots"), perhaps below other folders
            # ("obj_train_data/img.with.dots"); VOC by its name with its extension.
            name = record.image
            found = self.stems.get(name) or self.stems.get(name.rsplit("/", 1)[-1])
            if not found and "." in name.rsplit("/", 1)[-1]:
                name = name.rsplit(".", 1)[0]
                found = self.stems.get(name) or self.stems.get(name.rsplit("/", 1)[-1])
            if not found and "__" in name:  # our flat VOC / YOLO entries: "day1__a" is "day1/a"
                found = self.stems.get(name.replace("__", "/"))
        if not found:
            found = self._by_path_end(record.image)
        if not found:
            raise ValueError(f"The image “{record.image}” does not exist in this image set.")
        if len({image.pk for image in found}) > 1:
            raise ValueError(f"The name “{record.image}” fits {len(found)} images of this set; rename them first.")
        return found[0]

    def _by_path_end(self, given):
        """The images whose names end most like ``given``: tools name images by their base name
        ("img.png" for "day1/img.png", as supervision writes COCO) or below a folder of their own
        ("images/day1/img.png"). Several equally good ones are reported as ambiguous by the caller."""
        parts = given.replace("\\", "/").strip("/").split("/")
        candidates = self.by_base.get(parts[-1], [])
        if len(candidates) <= 1:
            return candidates

        def common_end(image):
            theirs = image.name.split("/")
            count = 0
            while count < min(len(parts), len(theirs)) and parts[-1 - count] == theirs[-1 - count]:
                count += 1
            return count

        best = max(common_end(image) for image in candidates)
        return [image for image in candidates if common_end(image) == best]

    def _type(self, record):
        annotation_type = self.types.get(record.type)
        if annotation_type is not None:
            return annotation_type
        unusable = self.unusable.get(record.type)
        if unusable is None:
            raise ValueError(f"There is no annotation type “{record.type}” usable in this image set.")
        if not unusable.active:
            raise ValueError(f"The annotation type “{record.type}” is not active.")
        raise ValueError(f"The annotation type “{record.type}” is not one of the types this image set uses.")

    @staticmethod
    def _values(record, annotation_type):
        """The record's attribute values checked with the type's definitions (ValidationError naming
        the attribute)."""
        definitions = annotation_type.attributes or []
        values = record.attributes
        if values is not None and (record.attributes_text or record.cvat_keys):
            values = dict(values)
            by_name = {definition["name"]: definition for definition in definitions}
            if record.cvat_keys:
                _cvat_keys(record, values, by_name)
            if record.attributes_text:
                for name, value in values.items():
                    if name in by_name and isinstance(value, str):
                        values[name] = _from_text(by_name[name]["kind"], value)
        return clean_values(values, definitions, type_name=annotation_type.name)

    @staticmethod
    def _raw_vector(record, annotation_type):
        kind = annotation_type.vector_type
        if kind == VectorType.TAG:
            if not record.given:
                raise ValueError(f"The type “{annotation_type.name}” is an image tag; this record has a shape.")
            if record.said_not_in_image or record.vector is not None:
                raise ValueError(
                    f"The type “{annotation_type.name}” is an image tag: write “tag” in place of the vector."
                )
            return None
        if record.tag:
            raise ValueError(
                f"The type “{annotation_type.name}” is not an image tag: give a vector, “not in image” or {{}}."
            )
        if record.given:
            return record.vector
        if kind == VectorType.BOUNDING_BOX:
            rectangle = _rectangle(record.shapes.get("polygon"))
            if "box" not in record.shapes and rectangle is not None:
                return rectangle  # a box written as its 4 corners (YOLO segmentation, COCO polygons)
            wanted = ("box",)
        elif kind == VectorType.POLYGON:
            wanted = ("polygon",)
        else:
            wanted = ("points",)
        for key in wanted:
            if key in record.shapes:
                if record.shape_notes.get(key):
                    record.warning = f"{record.warning} {record.shape_notes[key]}".strip()
                return record.shapes[key]
        have = ", ".join(sorted(record.shapes)) or "nothing"
        notes = "".join(f" {record.shape_notes[key]}" for key in wanted if record.shape_notes.get(key))
        raise ValueError(
            f"The type “{annotation_type.name}” is a {annotation_type.get_vector_type_display().lower()}, "
            f"but this record has {have}.{notes}"
        )

    @staticmethod
    def _pixels(vector, image, normalised):
        pixels = {}
        for key, value in vector.items():
            if normalised:
                value = value * (image.width if key.startswith("x") else image.height)
            if isinstance(value, float):
                if not math.isfinite(value):
                    raise ValueError(f"{key} is not a finite number.")
                value = round(value)
            pixels[key] = value
        return pixels

    def _resolve(self, record):
        """``(image, type, vector)`` of a record, or ValueError/ValidationError with the reason."""
        if record.error:
            raise ValueError(record.error)
        image = self._image(record)
        annotation_type = self._type(record)
        vector = self._raw_vector(record, annotation_type)
        if vector is not None:
            vector = self._pixels(vector, image, record.normalised)
        vector = validate_vector(vector, annotation_type, image)
        record.values = self._values(record, annotation_type)
        return image, annotation_type, vector

    # --- a chunk ----------------------------------------------------------------------------------

    def process(self, records):
        """Import a chunk of records; their report entries are written in the records' order."""
        self.pending = []
        try:
            self._process(records)
        finally:
            order = {id(record): index for index, record in enumerate(records)}
            for record, status, message in sorted(self.pending, key=lambda entry: order[id(entry[0])]):
                self._write(record, status, message)

    def _process(self, records):
        resolved = []
        for record in records:
            try:
                resolved.append((record, *self._resolve(record)))
            except ValidationError as error:
                self._report(record, ERROR, " ".join(error.messages))
            except ValueError as error:
                self._report(record, ERROR, str(error))
        by_image = defaultdict(list)
        for entry in resolved:
            by_image[entry[1].pk].append(entry)
        group = []
        for image_id in sorted(by_image):
            group.extend(by_image[image_id])
            if len(group) >= GROUP:
                self._create(group)
                group = []
        if group:
            self._create(group)

    @transaction.atomic
    def _create(self, resolved):
        image_ids = sorted({image.pk for _, image, _, _ in resolved})
        type_ids = sorted({annotation_type.pk for _, _, annotation_type, _ in resolved})
        list(Image.objects.select_for_update(of=("self",)).filter(pk__in=image_ids).order_by("pk").values_list("pk"))
        active = self._lock_types(type_ids)
        known = defaultdict(list)
        for image_id, type_id, pk, vector in Annotation.objects.filter(
            image_id__in=image_ids, annotation_type_id__in=type_ids
        ).values_list("image_id", "annotation_type_id", "pk", "vector"):
            known[(image_id, type_id)].append(_Known(pk, vector))
        new, outcomes = [], []
        for record, image, annotation_type, vector in resolved:
            if annotation_type.pk not in active:
                self._report(record, ERROR, f"The annotation type “{annotation_type.name}” is not active.")
                continue
            others = known[(image.pk, annotation_type.pk)]
            problem = _place_problem(vector, others, annotation_type)
            if problem is not None:
                self._report(record, *problem)
                continue
            others.append(_Known(-record.number, vector))
            new.append(
                Annotation(
                    image_id=image.pk,
                    annotation_type_id=annotation_type.pk,
                    vector=vector,
                    concealed_flag=record.concealed,
                    blurred_flag=record.blurred,
                    attributes=record.values,
                    user=self.actor,
                    origin=Origin.MACHINE if record.machine else self.origin,
                    model_name=record.model_name if record.machine else self.model_name,
                    confidence=record.confidence,
                )
            )
            outcomes.append(record)
        if not new:
            return
        created = Annotation.objects.bulk_create(new, batch_size=1000)
        AnnotationHistory.objects.bulk_create(
            [
                AnnotationHistory(
                    annotation_id=annotation.pk,
                    annotation_uuid=annotation.uuid,
                    image_id=annotation.image_id,
                    action=HistoryAction.CREATE,
                    user=self.actor,
                    before=None,
                    after=snapshot(annotation),
                )
                for annotation in created
            ],
            batch_size=1000,
        )
        for record in outcomes:
            self._report(record, CREATED, record.warning)

    @staticmethod
    def _lock_types(type_ids):
        """Ids of the active types among ``type_ids``, read under a key-share lock on PostgreSQL (as
        ``services._current_type``: a staff migration of a type cannot change it under us)."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id FROM annotations_annotationtype WHERE id = ANY(%s) AND active FOR KEY SHARE",
                    [list(type_ids)],
                )
                return {row[0] for row in cursor.fetchall()}
        return set(AnnotationType.objects.filter(pk__in=type_ids, active=True).values_list("pk", flat=True))

    def _report(self, record, status, message):
        self.pending.append((record, status, message))

    def _write(self, record, status, message):
        self.counts["records"] += 1
        self.counts[status] += 1
        if record.warning and status != ERROR:
            self.counts["warnings"] += 1
            if record.warning not in message:
                message = f"{message} {record.warning}".strip()
        row = [record.number, record.source, status, message, record.image, record.type]
        self.writer.writerow(row)
        if len(self.first_entries) < REPORT_LIMIT:
            self.first_entries.append(
                {"line": record.number, "source": record.source, "status": status, "message": message}
            )


def _rectangle(polygon):
    """The box of a 4-point polygon whose sides follow the axes, else None."""
    if not polygon or len(polygon) != 8:
        return None
    xs = [polygon[f"x{i}"] for i in range(1, 5)]
    ys = [polygon[f"y{i}"] for i in range(1, 5)]
    corners = {(x, y) for x, y in zip(xs, ys, strict=True)}
    x1, x2, y1, y2 = min(xs), max(xs), min(ys), max(ys)
    if x1 == x2 or y1 == y2 or corners != {(x1, y1), (x2, y1), (x2, y2), (x1, y2)}:
        return None
    return {"x1": x1, "y1": y1, "x2": x2, "y2": y2}


def _place_problem(vector, others, annotation_type):
    """``(status, message)`` when a label ``vector`` cannot join ``others`` (same image and type), the
    rules of ``services._check_place``; None when it can."""
    similar = find_similar(vector, others)
    if similar is not None:
        where = f"annotation {similar.pk}" if similar.pk > 0 else f"line {-similar.pk} of this file"
        if annotation_type.is_tag:
            return DUPLICATE, f"The image already has the tag {annotation_type.name} ({where}); skipped."
        what = "“not in image”" if vector is None else "a similar label"
        return DUPLICATE, f"The image already has {what} of type {annotation_type.name} ({where}); skipped."
    if vector is None:
        shapes = [other for other in others if other.vector is not None]
        if shapes:
            return ERROR, (
                f"The image has {len(shapes)} label(s) of type {annotation_type.name}, so it cannot be "
                "“not in image” for that type."
            )
    else:
        negative = next((other for other in others if other.vector is None), None)
        if negative is not None:
            return ERROR, f"The image is marked “not in image” for type {annotation_type.name}."
    return None


def _from_text(kind, text):
    """A value given as text (VOC, CVAT's COCO) read by the attribute's kind; unreadable text is kept
    as it is, so that ``clean_values`` reports it with the attribute's name."""
    if kind == AttributeKind.CHECKBOX:
        return {"true": True, "1": True, "false": False, "0": False}.get(text.strip().lower(), text)
    if kind == AttributeKind.NUMBER:
        number = importers.as_number(text)
        return text if number is None else number
    return text


def _cvat_keys(record, values, by_name):
    """CVAT writes ``occluded`` and ``rotation`` into every COCO annotation's attributes: when the type
    has no attribute of that name, ``occluded`` is the concealed flag and a rotation of 0 is dropped."""
    if "occluded" in values and "occluded" not in by_name:
        record.concealed = record.concealed or importers.truth(values.pop("occluded"))
    if "rotation" in values and "rotation" not in by_name:
        rotation = values["rotation"]
        if importers.as_number(rotation) == 0:
            values.pop("rotation")


def visible_import(user, import_id):
    """The import with this id if ``user`` may read its set, else None."""
    label_import = LabelImport.objects.select_related("image_set").filter(pk=import_id).first()
    if label_import is None or "read" not in imageset_permissions(user, label_import.image_set):
        return None
    return label_import
