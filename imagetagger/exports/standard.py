"""Writers of the standard export formats: COCO, Pascal VOC, YOLO (detection and segmentation) and the
ImageTagger label lines (``image|type|vector|flags``, the label-upload format of spec §4).

Attributes and image tags (what each format carries):
- label lines: a fifth column with the label's attribute values as a JSON object (only on lines of
  labels that have values); image tags as ``image|type|tag|flags``;
- COCO: the values in each annotation's ``attributes`` object, beside ``blurred`` and ``concealed`` (an
  attribute with one of those two names is left out and reported); image tags are left out (COCO has
  no whole-image label) and reported;
- Pascal VOC: ``<attributes><attribute><name>…</name><value>…</value></attribute>…</attributes>`` per
  object (the CVAT / Datumaro convention; true/false, JSON numbers, text); image tags left out, reported;
- YOLO: no attributes: the report counts the labels whose values were left out; image tags left out.

Every writer streams: it reads the set's images and the selected annotations with two database
iterators ordered the same way (image name, image id; then annotation id) and writes to a binary
file, so memory stays flat whatever the size of the set. Every writer fills a ``Report``: how many
annotations of each type were written, and everything it converted or skipped, with the reason
("12 polygons written as boxes", "3 lines skipped: not representable in Pascal VOC").

Options (``Export.options``):
- ``types``: annotation type ids to export (default: all);
- ``min_verifications``: only annotations whose score (accepts − rejects) is at least this (default: all);
- ``keypoints`` (COCO only): ``true`` (default) writes points, lines and multi-lines as keypoints,
  ``false`` skips them.
"""

import json
import shutil
import zipfile
from collections import Counter
from xml.sax.saxutils import escape, quoteattr

import yaml
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db.models import Q

from annotations.models import Annotation, AnnotationType, Origin, VectorType
from annotations.permissions import type_owners_of_set
from images.models import Image
from images.zips import entry_names

from . import leftout
from .models import StandardFormat
from .template import COMPACT_JSON, _decode_json, attribute_text, ordered_attributes, point_keys, score_expression

CHUNK = 2000
FOLDER_SEPARATOR = "__"  # an image's folders in the flat entry names of VOC and YOLO
TYPE_WORDS = {
    VectorType.BOUNDING_BOX: ("box", "boxes"),
    VectorType.POINT: ("point", "points"),
    VectorType.LINE: ("line", "lines"),
    VectorType.MULTI_LINE: ("multi-line", "multi-lines"),
    VectorType.POLYGON: ("polygon", "polygons"),
    VectorType.TAG: ("image tag", "image tags"),
}
# COCO's ``attributes`` keys that hold the flags; an attribute of the same name is left out.
COCO_FLAG_KEYS = ("blurred", "concealed")
TAG_TEXT = "tag"
EXTENSIONS = {
    StandardFormat.COCO: "json",
    StandardFormat.VOC: "zip",
    StandardFormat.YOLO: "zip",
    StandardFormat.YOLO_SEGMENTATION: "zip",
    StandardFormat.PIPE: "txt",
    StandardFormat.CVAT: "xml",
    StandardFormat.LABELME: "zip",
    StandardFormat.LABEL_STUDIO: "json",
    StandardFormat.DATUMARO: "zip",
}
# The formats whose export may hold the images too, in the layout their readers expect.
WITH_IMAGES = (
    StandardFormat.COCO,
    StandardFormat.VOC,
    StandardFormat.YOLO,
    StandardFormat.YOLO_SEGMENTATION,
    StandardFormat.CVAT,
    StandardFormat.LABELME,
    StandardFormat.DATUMARO,
)


def with_images_text():
    """The formats whose exports may hold the images, as a sentence part: "COCO, Pascal VOC, … and Datumaro"."""
    names = list(dict.fromkeys(FORMAT_LABELS[standard].replace(" segmentation", "") for standard in WITH_IMAGES))
    return ", ".join(names[:-1]) + " and " + names[-1]


CONTENT_TYPES = {
    "json": "application/json",
    "zip": "application/zip",
    "txt": "text/plain; charset=utf-8",
    "xml": "application/xml",
}
FORMAT_LABELS = {
    StandardFormat.COCO: "COCO",
    StandardFormat.VOC: "Pascal VOC",
    StandardFormat.YOLO: "YOLO",
    StandardFormat.YOLO_SEGMENTATION: "YOLO segmentation",
    StandardFormat.PIPE: "the label-line format",
    StandardFormat.CVAT: "CVAT",
    StandardFormat.LABELME: "LabelMe",
    StandardFormat.LABEL_STUDIO: "Label Studio",
    StandardFormat.DATUMARO: "Datumaro",
}


# --- options and selection ---------------------------------------------------------------------------


def clean_options(standard, options, image_set=None):
    """Validated options (a new dict); ``ValidationError`` for unknown keys or bad values. With
    ``image_set``, ``types`` may name only types the set's teams may use (site types and their own):
    another team's type answers like a missing one."""
    options = dict(options or {})
    known = {"types", "min_verifications", "origin", "min_confidence"}
    known |= {"keypoints"} if standard == StandardFormat.COCO else set()
    if standard in WITH_IMAGES:
        known.add("images")
    unknown = sorted(set(options) - known)
    if unknown:
        raise ValidationError({"options": f"Unknown options for this format: {', '.join(unknown)}."})
    cleaned = {}
    if options.get("types") is not None:
        types = options["types"]
        if not isinstance(types, list) or not all(isinstance(t, int) and not isinstance(t, bool) for t in types):
            raise ValidationError({"options": "types: give a list of annotation type ids."})
        candidates = AnnotationType.objects.filter(pk__in=types)
        if image_set is not None:
            candidates = candidates.usable_by_teams(type_owners_of_set(image_set))
        found = set(candidates.values_list("pk", flat=True))
        if found != set(types):
            raise ValidationError({"options": "types: some of these annotation types do not exist."})
        cleaned["types"] = sorted(found)
    if options.get("min_verifications") is not None:
        value = options["min_verifications"]
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValidationError({"options": "min_verifications: give a whole number."})
        cleaned["min_verifications"] = value
    if options.get("origin") is not None:
        if options["origin"] not in Origin.values:
            raise ValidationError({"options": "origin: give “human” or “machine”."})
        cleaned["origin"] = options["origin"]
    if options.get("min_confidence") is not None:
        value = options["min_confidence"]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ValidationError({"options": "min_confidence: give a number from 0 to 1."})
        cleaned["min_confidence"] = value
    for flag in ("keypoints", "images"):
        if flag in options:
            if not isinstance(options[flag], bool):
                raise ValidationError({"options": f"{flag}: give true or false."})
            cleaned[flag] = options[flag]
    return cleaned


def extension(standard, options):
    """The export file's extension: COCO with its images is a zip."""
    if standard in (StandardFormat.COCO, StandardFormat.CVAT) and (options or {}).get("images"):
        return "zip"
    return EXTENSIONS[StandardFormat(standard)]


def selected_annotations(image_set_id, options):
    """The annotations an export with ``options`` writes (a queryset, not ordered)."""
    annotations = Annotation.objects.filter(image__image_set_id=image_set_id)
    if options.get("types") is not None:
        annotations = annotations.filter(annotation_type_id__in=options["types"])
    if options.get("min_verifications") is not None:
        # The score (accepts − rejects) as a correlated subquery: no GROUP BY over every label.
        annotations = annotations.alias(_score=score_expression()).filter(_score__gte=options["min_verifications"])
    if options.get("origin") is not None:
        annotations = annotations.filter(origin=options["origin"])
    if options.get("min_confidence") is not None:
        # People's labels carry no confidence and stay; machine-made ones need at least this much.
        annotations = annotations.filter(
            Q(origin=Origin.HUMAN) | Q(origin=Origin.MACHINE, confidence__gte=options["min_confidence"])
        )
    return annotations


def count_selected(image_set_id, options):
    return selected_annotations(image_set_id, options).count()


def _image_rows(image_set_id):
    return (
        Image.objects.filter(image_set_id=image_set_id)
        .order_by("name", "id")
        .values_list("id", "name", "width", "height")
        .iterator(chunk_size=CHUNK)
    )


def _annotation_rows(image_set_id, options, with_attributes=True, raw=False):
    # Without attributes the column is not read (decoding "{}" per row costs a fifth of a plain export).
    attributes = ("attributes",) if with_attributes else ()
    queryset = (
        selected_annotations(image_set_id, options)
        .order_by("image__name", "image_id", "id")
        .values_list("image_id", "id", "annotation_type_id", "vector", "blurred_flag", "concealed_flag", *attributes)
    )
    rows = _cursor_rows(queryset) if raw else queryset.iterator(chunk_size=CHUNK)
    return rows if with_attributes else (row + (None,) for row in rows)


def _cursor_rows(queryset):
    """The rows of a ``values_list`` queryset straight from a database cursor (a server-side one on
    PostgreSQL, as ``iterator()`` uses), without Django's per-value converters: JSON columns come as
    their text, booleans may be 0/1."""
    from django.core.exceptions import EmptyResultSet
    from django.db import connection

    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return
    chunked = not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    with connection.chunked_cursor() if chunked else connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK):
            yield from rows


def images_with_annotations(image_set_id, options, with_attributes=True, raw=False):
    """``(image, [annotation rows])`` for every image of the set, by name: a merge of two streams.
    A row is ``(image id, id, type id, vector, blurred, concealed, attributes)``; attributes are None
    when ``with_attributes`` is false. With ``raw`` the rows come from ``_cursor_rows``: the vector
    and the attributes as JSON text, the flags perhaps as 0/1."""
    annotations = _annotation_rows(image_set_id, options, with_attributes, raw)
    pending = next(annotations, None)
    for image in _image_rows(image_set_id):
        mine = []
        while pending is not None and pending[0] == image[0]:
            mine.append(pending)
            pending = next(annotations, None)
        yield image, mine


def types_by_id(image_set_id, options):
    """The annotation types the selection uses, ``{id: type}``, ordered by name."""
    used = selected_annotations(image_set_id, {"types": options.get("types")}).values("annotation_type_id")
    return {t.pk: t for t in AnnotationType.objects.filter(pk__in=used).order_by("name", "id")}


# --- report ---------------------------------------------------------------------------------------------


class Report:
    """Counts per type written, plus what was converted or skipped and why."""

    def __init__(self, format_label):
        self.format_label = format_label
        self.written = Counter()
        self.converted = Counter()
        self.skipped = Counter()
        self.left_out = Counter()
        self.annotations = 0
        self.images = 0

    def wrote(self, type_name):
        self.written[type_name] += 1
        self.annotations += 1

    def convert(self, vector_type, how):
        self.converted[(vector_type, how)] += 1

    def skip(self, what, reason):
        self.skipped[(what, reason)] += 1

    def leave_out(self, what, reason):
        """A label written without part of its data (its attribute values …)."""
        self.left_out[(what, reason)] += 1

    def as_dict(self):
        converted = [
            f"{n} {_noun(vector_type, n)} written as {how}"
            for (vector_type, how), n in sorted(self.converted.items(), key=_order)
        ]
        skipped = [
            f"{n} {_noun(what, n)} skipped: {reason}" for (what, reason), n in sorted(self.skipped.items(), key=_order)
        ]
        left_out = [
            f"{n} label{'' if n == 1 else 's'}: {what} left out ({reason})"
            for (what, reason), n in sorted(self.left_out.items())
        ]
        return {
            "format": self.format_label,
            "images": self.images,
            "annotations": self.annotations,
            "written": dict(sorted(self.written.items())),
            "converted": converted,
            "skipped": skipped,
            "left_out": left_out,
        }


def _order(item):
    (what, reason), _count = item
    return (0, what, "", reason) if isinstance(what, int) else (1, 0, what, reason)


def _noun(what, n):
    if isinstance(what, int):
        singular, plural = TYPE_WORDS[what]
        return singular if n == 1 else plural
    return what


NOT_IN_IMAGE = "not-in-image label(s)"
ATTRIBUTE_VALUES = "attribute values"


# --- geometry -------------------------------------------------------------------------------------------


def points_of(vector):
    """``[(x, y), …]`` of a vector dict ``{"x1":…, "y1":…}`` in vertex order."""
    count = len(vector) // 2
    return [(float(vector[f"x{i}"]), float(vector[f"y{i}"])) for i in range(1, count + 1)]


def vector_json(vector):
    """The vector as compact JSON with its keys in vertex order (x1, y1, x2, …): PostgreSQL's jsonb
    stores keys sorted, so the stored order is not the vertex order. Numbers are formatted directly
    (json.dumps per vector is the slowest part of a large export)."""
    count = len(vector) // 2
    parts = []
    for i in range(1, count + 1):
        parts.append(f'"x{i}":{_json_number(vector[f"x{i}"])},"y{i}":{_json_number(vector[f"y{i}"])}')
    return "{" + ",".join(parts) + "}"


def _json_number(value):
    if type(value) is int:
        return str(value)
    return json.dumps(value)


def bounds(points):
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    return min(xs), min(ys), max(xs), max(ys)


def polygon_area(points):
    area = 0.0
    for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True):
        area += x1 * y2 - x2 * y1
    return abs(area) / 2


def _num(value):
    """Integers without ".0" (vectors are integer pixels), other numbers as they are."""
    return int(value) if float(value).is_integer() else value


def _rel(value, size):
    return f"{value / size:.6f}"


# --- writers ----------------------------------------------------------------------------------------------


class Writer:
    """Base: ``write(out)`` writes the whole file to the binary file ``out``; ``progress(n)`` is called
    with the number of annotations handled so far (often: the job throttles its updates)."""

    standard = None

    def __init__(self, image_set, options=None, progress=None):
        self.image_set = image_set
        self.options = options or {}
        self.progress = progress or (lambda done: None)
        self.report = Report(FORMAT_LABELS[self.standard])
        self.types = types_by_id(image_set.pk, self.options)
        # Labels hold values only for attributes their type defines (types.update_type refuses to drop
        # a definition while labels hold values): without definitions the values are not read.
        self.with_attributes = any(annotation_type.attributes for annotation_type in self.types.values())
        self.done = 0
        self._image_files = None  # image id -> stored file name, read when the first image is copied

    def step(self, count=1):
        self.done += count
        self.progress(self.done)

    def attributes(self, annotation_type, values):
        """The label's values in the type's definition order."""
        return ordered_attributes(values, [d.get("name") for d in annotation_type.attributes or ()])

    def shapeless(self, annotation_type, vector):
        """Skip (and report) a label without a shape that the format cannot hold: an image tag or
        "not in image". True when skipped."""
        if annotation_type.vector_type == VectorType.TAG:
            self.report.skip(VectorType.TAG, f"{self.report.format_label} has no whole-image labels")
            return True
        if not vector:
            self.report.skip(
                NOT_IN_IMAGE, f"{self.report.format_label} has no way to say that an object is not in an image"
            )
            return True
        return False

    def images(self):
        for image, annotations in images_with_annotations(self.image_set.pk, self.options, self.with_attributes):
            self.report.images += 1
            yield image, annotations

    @property
    def with_images(self):
        return bool(self.options.get("images"))

    def copy_image(self, archive, entry, image_id):
        """Store the image's file as ``entry`` of ``archive`` (as it is: images are compressed already)."""
        if self._image_files is None:
            self._image_files = dict(Image.objects.filter(image_set=self.image_set).values_list("id", "filename"))
        path = f"{self.image_set.image_folder()}/{self._image_files.get(image_id, '')}"
        try:
            source = default_storage.open(path, "rb")
        except (OSError, ValueError):
            self.report.skip("image file(s)", "missing in the storage")
            return False
        with source, archive.open(_entry(entry, zipfile.ZIP_STORED), "w", force_zip64=True) as target:
            shutil.copyfileobj(source, target, 1 << 20)
        return True

    def write_zipped(self, out, document, write_document, images_folder):
        """A zip of one document (``write_document(file)`` streams it into the entry ``document``) and,
        with the images, every image under ``images_folder`` by its name."""
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            with archive.open(_entry(document), "w", force_zip64=True) as entry:
                write_document(entry)
            if self.with_images:
                for image_id, name, _width, _height in _image_rows(self.image_set.pk):
                    self.copy_image(archive, f"{images_folder}{name}", image_id)

    def write(self, out):
        raise NotImplementedError


class PipeWriter(Writer):
    """``image|type|{"x1":…}|flags``, ``image|type|not in image`` or (image tags) ``image|type|tag|flags`` per
    annotation (spec §4), plus ``|{attribute values as JSON}`` when the label has any."""

    standard = StandardFormat.PIPE

    def write(self, out):
        for (_, name, _w, _h), annotations in self.images():
            if "|" in name or "\n" in name or "\r" in name:
                for _ in annotations:
                    self.report.skip("label(s)", f"the image name “{name}” contains | or a line break")
                self.step(len(annotations))
                continue
            lines = []
            for _, _, type_id, vector, blurred, concealed, values in annotations:
                annotation_type = self.types[type_id]
                flags = ("b" if blurred else "") + ("c" if concealed else "")
                if annotation_type.vector_type == VectorType.TAG:
                    line = f"{name}|{annotation_type.name}|{TAG_TEXT}|{flags}"
                elif vector:
                    line = f"{name}|{annotation_type.name}|{vector_json(vector)}|{flags}"
                else:
                    line = f"{name}|{annotation_type.name}|not in image"
                    if values:
                        line += "|"
                if values:
                    line += "|" + _dumps(self.attributes(annotation_type, values))
                lines.append(line + "\n")
                self.report.wrote(annotation_type.name)
            if lines:
                out.write("".join(lines).encode())
            self.step(len(annotations))


class CocoWriter(Writer):
    """COCO instances JSON: images, categories (the annotation types), annotations.

    Boxes become ``bbox`` ``[x, y, w, h]`` and their rectangle as ``segmentation``; polygons
    ``segmentation`` plus their bounding box; points, lines and multi-lines ``keypoints``
    (``[x, y, 2, …]``) with their bounding box and their path there and back as a ``segmentation``
    without area, or are skipped with ``keypoints: false``. "Not in image" labels and image tags have no
    COCO equivalent and are skipped. The blurred and concealed flags and the label's attribute values go
    into each annotation's ``attributes`` (an attribute named like a flag is left out and reported).
    """

    standard = StandardFormat.COCO

    def write(self, out):
        if self.with_images:  # the layout datumaro and CVAT read
            self.write_zipped(out, "annotations/instances_default.json", self.write_json, "images/")
        else:
            self.write_json(out)

    def write_json(self, out):
        keypoints = self.options.get("keypoints", True)
        out.write(b'{"info":')
        out.write(_dumps({"description": f"ImageTagger export of {self.image_set.name}", "version": "1.0"}).encode())
        out.write(b',"licenses":[],"categories":[')
        for index, annotation_type in enumerate(self.types.values()):
            category = {"id": annotation_type.pk, "name": annotation_type.name, "supercategory": ""}
            if keypoints and annotation_type.vector_type in (VectorType.POINT, VectorType.LINE, VectorType.MULTI_LINE):
                nodes = {VectorType.POINT: 1, VectorType.LINE: 2}.get(
                    annotation_type.vector_type, annotation_type.node_count
                )
                category["keypoints"] = [f"p{i}" for i in range(1, nodes + 1)] if nodes else []
                category["skeleton"] = [[i, i + 1] for i in range(1, nodes)] if nodes else []
            out.write((b"," if index else b"") + _dumps(category).encode())
        out.write(b'],"images":[')
        parts = []
        for image_id, name, width, height in _image_rows(self.image_set.pk):
            # What _dumps({"id": …, "file_name": …, "width": …, "height": …}) writes, without the dict.
            parts.append(
                f'{{"id":{_json_int(image_id)},"file_name":{_dumps(name)},'
                f'"width":{_json_int(width)},"height":{_json_int(height)}}}'
            )
            if len(parts) >= CHUNK:
                out.write(("," if self.report.images else "").encode() + ",".join(parts).encode())
                self.report.images += len(parts)
                parts = []
        if parts:
            out.write(("," if self.report.images else "").encode() + ",".join(parts).encode())
            self.report.images += len(parts)
        out.write(b'],"annotations":[')
        # The annotations in export order straight from one query (the images' order: no merge needed).
        first = True
        text = self.annotation_text
        parts = []
        handled = 0
        for row in _annotation_rows(self.image_set.pk, self.options, self.with_attributes, raw=True):
            item = text(row, keypoints)
            if item is not None:
                parts.append(item)
            handled += 1
            if handled == CHUNK:
                if parts:
                    out.write((("" if first else ",") + ",".join(parts)).encode())
                    first, parts = False, []
                self.step(handled)
                handled = 0
        if parts:
            out.write((("" if first else ",") + ",".join(parts)).encode())
        if handled:
            self.step(handled)
        self._report_direct()
        out.write(b"]}")

    def annotation_text(self, row, keypoints):
        """``_dumps(self.annotation(row, keypoints))`` (None when skipped), written directly for the
        usual integer vertices; ``row`` may come straight from a cursor (``_cursor_rows``)."""
        image_id, annotation_id, type_id, vector, blurred, concealed, values = row
        if vector.__class__ is str:
            vector = _decode_json(vector)
        if values.__class__ is str:
            values = _decode_json(values)
        kind = self._kinds.get(type_id) if keypoints == self._kinds_for else self._kinds_of(keypoints).get(type_id)
        if values or not vector or kind is None:
            return self._dumped(image_id, annotation_id, type_id, vector, blurred, concealed, values, keypoints)
        if kind == _BOX:  # the most common label: its corners read directly
            x1, y1, x2, y2 = vector.get("x1"), vector.get("y1"), vector.get("x2"), vector.get("y2")
            if len(vector) != 4 or not (
                x1.__class__ is int and y1.__class__ is int and x2.__class__ is int and y2.__class__ is int
            ):
                return self._dumped(image_id, annotation_id, type_id, vector, blurred, concealed, values, keypoints)
            x1, x2 = (x1, x2) if x1 <= x2 else (x2, x1)
            y1, y2 = (y1, y2) if y1 <= y2 else (y2, y1)
        else:
            flat = list(map(vector.__getitem__, _flat_keys(len(vector) // 2)))
            if {*map(type, flat)} != _INT_ONLY:
                return self._dumped(image_id, annotation_id, type_id, vector, blurred, concealed, values, keypoints)
            xs, ys = flat[0::2], flat[1::2]
            x1, y1, x2, y2 = min(xs), min(ys), max(xs), max(ys)
        head = (
            f'{{"id":{annotation_id},"image_id":{image_id},"category_id":{type_id},"iscrowd":0,'
            f'"bbox":[{x1},{y1},{x2 - x1},{y2 - y1}],"attributes":{_FLAGS_JSON[bool(blurred), bool(concealed)]}'
        )
        if kind == _BOX:
            tail = f',"area":{(x2 - x1) * (y2 - y1)},"segmentation":[[{x1},{y1},{x2},{y1},{x2},{y2},{x1},{y2}]]}}'
        elif kind == VectorType.POLYGON:
            area = polygon_area(list(zip(xs, ys, strict=True)))
            tail = f',"area":{_json_float(area)},"segmentation":[[{",".join(map(str, flat))}]]}}'
        else:
            points = list(zip(xs, ys, strict=True))
            path = points + points[-2:0:-1] if len(points) > 1 else points * 3
            while len(path) < 3:
                path = path + path[-1:]
            segmentation = ",".join(f"{x},{y}" for x, y in path)
            keypoint_text = ",".join(f"{x},{y},2" for x, y in points)
            tail = (
                f',"area":{(x2 - x1) * (y2 - y1)},"segmentation":[[{segmentation}]],'
                f'"keypoints":[{keypoint_text}],"num_keypoints":{len(points)}}}'
            )
            self._converted[kind] += 1
        self._wrote[type_id] += 1
        return head + tail

    # The direct text's bookkeeping: per type id, the vector type when ``annotation_text`` writes its
    # labels itself (None: through ``annotation``), and the counts it adds to the report at the end.
    _kinds_for = None

    def _kinds_of(self, keypoints):
        self._kinds_for = keypoints
        self._kinds = {
            pk: int(annotation_type.vector_type)
            for pk, annotation_type in self.types.items()
            if annotation_type.vector_type in _COCO_SHAPES
            or (keypoints and annotation_type.vector_type != VectorType.TAG)
        }
        self._wrote = Counter()
        self._converted = Counter()
        return self._kinds

    def _report_direct(self):
        """Add the counts of the labels ``annotation_text`` wrote itself to the report."""
        if self._kinds_for is None:
            return
        for type_id, count in self._wrote.items():
            self.report.written[self.types[type_id].name] += count
            self.report.annotations += count
        for vector_type, count in self._converted.items():
            self.report.converted[(vector_type, "keypoints")] += count
        self._wrote.clear()
        self._converted.clear()

    def _dumped(self, image_id, annotation_id, type_id, vector, blurred, concealed, values, keypoints):
        item = self.annotation((image_id, annotation_id, type_id, vector, blurred, concealed, values), keypoints)
        return None if item is None else _dumps(item)

    def annotation(self, row, keypoints):
        image_id, annotation_id, type_id, vector, blurred, concealed, values = row
        annotation_type = self.types[type_id]
        vector_type = annotation_type.vector_type
        if self.shapeless(annotation_type, vector):
            return None
        attributes = {"blurred": bool(blurred), "concealed": bool(concealed)}
        if values:
            for name, value in self.attributes(annotation_type, values).items():
                if name in attributes:
                    self.report.leave_out(
                        f"attribute “{name}”", "COCO's attributes use this name for ImageTagger's flag"
                    )
                else:
                    attributes[name] = value
        points = points_of(vector)
        x1, y1, x2, y2 = bounds(points)
        item = {
            "id": annotation_id,
            "image_id": image_id,
            "category_id": type_id,
            "iscrowd": 0,
            "bbox": [_num(x1), _num(y1), _num(x2 - x1), _num(y2 - y1)],
            "attributes": attributes,
        }
        if vector_type == VectorType.BOUNDING_BOX:
            item["area"] = _num((x2 - x1) * (y2 - y1))
            # Its rectangle as a polygon: readers that make masks (pycocotools' annToMask) need one.
            item["segmentation"] = [[_num(v) for v in (x1, y1, x2, y1, x2, y2, x1, y2)]]
        elif vector_type == VectorType.POLYGON:
            item["area"] = _num(polygon_area(points))
            item["segmentation"] = [[_num(v) for point in points for v in point]]
        elif keypoints:
            item["area"] = _num((x2 - x1) * (y2 - y1))
            # The path there and back as a polygon without area: mask readers (pycocotools' annToMask)
            # get an empty mask instead of failing on an empty segmentation.
            path = points + points[-2:0:-1] if len(points) > 1 else points * 3
            while len(path) < 3:
                path = path + path[-1:]
            item["segmentation"] = [[_num(v) for point in path for v in point]]
            item["keypoints"] = [v for x, y in points for v in (_num(x), _num(y), 2)]
            item["num_keypoints"] = len(points)
            self.report.convert(vector_type, "keypoints")
        else:
            self.report.skip(vector_type, "keypoints were switched off for this export")
            return None
        self.report.wrote(annotation_type.name)
        return item


def _dumps(value):
    return COMPACT_JSON.encode(value)


# CocoWriter.annotation_text: the shapes COCO writes without keypoints, and the "attributes" object of a
# label without attribute values, per (blurred, concealed).
_COCO_SHAPES = (VectorType.BOUNDING_BOX, VectorType.POLYGON)
_FLAGS_JSON = {
    (blurred, concealed): _dumps({"blurred": blurred, "concealed": concealed})
    for blurred in (False, True)
    for concealed in (False, True)
}


_INT_ONLY = {int}
_BOX = int(VectorType.BOUNDING_BOX)
_FLAT_KEYS = {}


def _flat_keys(count):
    """``("x1", "y1", …, "xN", "yN")`` for ``count`` points (made once per count)."""
    keys = _FLAT_KEYS.get(count)
    if keys is None:
        keys = _FLAT_KEYS[count] = tuple(key for x_key, y_key, _, _ in point_keys(count) for key in (x_key, y_key))
    return keys


def _json_int(value):
    """An integer (or None) as JSON."""
    return "null" if value is None else str(value)


def _json_float(value):
    """``_dumps(_num(value))`` of a float."""
    return str(int(value)) if value.is_integer() else _dumps(value)


class _ZipWriter(Writer):
    """A zip archive with one text entry per image (deflated), plus extra entries."""

    folder = ""
    suffix = ""

    def write(self, out):
        self.stems = []  # every entry's name without suffix (VOC's ImageSets list)
        self.pictures = []  # the images copied beside their entries (YOLO's train.txt)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            self.extra_entries(archive)
            # Entry names follow the image names (folders kept), made unique like in the image zips.
            batch = []
            for image, annotations in self.images():
                batch.append((image, annotations))
                if len(batch) >= CHUNK:
                    self._flush(archive, batch)
                    batch = []
            self._flush(archive, batch)
            self.final_entries(archive)

    images_folder = "images/"
    # A copy of each label file beside its image as well (CVAT's and datumaro's YOLO 1.1 read them there).
    labels_beside_images = False

    def _flush(self, archive, batch):
        names = self.entry_names([image[1] for image, _ in batch])
        for (image, annotations), entry in zip(batch, names, strict=True):
            text = self.entry(image, annotations)
            if text is not None:
                _add(archive, f"{self.folder}{entry}", text)
            stem = entry[: -len(self.suffix)]
            self.stems.append(stem)
            if self.with_images:
                # The image beside its label file under the same name, as the format's readers pair them.
                suffix = image[1].rsplit(".", 1)[-1] if "." in image[1].rsplit("/", 1)[-1] else ""
                picture = f"{self.images_folder}{stem}{'.' + suffix if suffix else ''}"
                if self.copy_image(archive, picture, image[0]):
                    self.pictures.append(picture)
                    if self.labels_beside_images and text is not None:
                        _add(archive, f"{self.images_folder}{stem}{self.suffix}", text)
            self.step(len(annotations))

    def final_entries(self, archive):
        pass

    # Pascal VOC and YOLO readers (the devkit, supervision, globox) look into one folder: an image's
    # folders become part of its entry's name, "day1/a.png" -> "day1__a" (the import reads them back).
    flat = False

    def entry_names(self, names):
        if not hasattr(self, "_taken"):
            self._taken = set()
        stems = [_stem(name) for name in names]
        if self.flat:
            stems = [stem.replace("/", FOLDER_SEPARATOR) for stem in stems]
        stems = [stem + self.suffix for stem in stems]
        # entry_names makes one batch unique; across batches a counter on clashes keeps them unique.
        result = []
        for name in entry_names(stems):
            candidate, counter = name, 1
            while candidate.casefold() in self._taken:
                counter += 1
                candidate = f"{name[: -len(self.suffix)]} ({counter}){self.suffix}"
            self._taken.add(candidate.casefold())
            result.append(candidate)
        return result

    def extra_entries(self, archive):
        pass

    def entry(self, image, annotations):
        raise NotImplementedError


def _entry(name, compress_type=zipfile.ZIP_DEFLATED):
    """A zip entry with a fixed time stamp, so that the same labels give the same archive."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = compress_type
    info.external_attr = 0o644 << 16
    return info


def _add(archive, name, text):
    """One deflated entry of ``text``."""
    archive.writestr(_entry(name), text.encode())


def _stem(name):
    head, slash, leaf = name.replace("\\", "/").rpartition("/")
    stem = leaf.rsplit(".", 1)[0] if "." in leaf.lstrip(".") else leaf
    return f"{head}{slash}{stem or 'image'}"


class VocWriter(_ZipWriter):
    """Pascal VOC: ``Annotations/<image>.xml`` per image with ``object``/``bndbox``. Polygons are written
    as their bounding boxes; points, lines and multi-lines, "not in image" labels and image tags are
    skipped. Boxes follow the devkit's 1-based pixel indices: ``xmin``/``ymin`` = x1 + 1, y1 + 1 (the
    first pixel), ``xmax``/``ymax`` = x2, y2 (the last pixel, 1-based). ``occluded`` holds the concealed
    flag; ``truncated`` and ``difficult`` are 0. Attribute
    values go into ``<attributes>`` (name/value pairs, the CVAT and Datumaro convention)."""

    standard = StandardFormat.VOC
    folder = "Annotations/"
    suffix = ".xml"
    images_folder = "JPEGImages/"
    flat = True

    def final_entries(self, archive):
        # What datumaro and the devkit look for: the list of items and the labels with their colours.
        _add(archive, "ImageSets/Main/default.txt", "".join(f"{stem}\n" for stem in self.stems))
        lines = ["# label:color_rgb:parts:actions\n", "background:0,0,0::\n"]
        for annotation_type in self.types.values():
            if annotation_type.vector_type in (VectorType.BOUNDING_BOX, VectorType.POLYGON):
                color = annotation_type.color if len(annotation_type.color or "") == 7 else "#000000"
                rgb = ",".join(str(int(color[i : i + 2], 16)) for i in (1, 3, 5))
                lines.append(f"{annotation_type.name}:{rgb}::\n")
        _add(archive, "labelmap.txt", "".join(lines))

    def entry(self, image, annotations):
        _, name, width, height = image
        objects = []
        for _, _, type_id, vector, _blurred, concealed, values in annotations:
            annotation_type = self.types[type_id]
            vector_type = annotation_type.vector_type
            if self.shapeless(annotation_type, vector):
                continue
            if vector_type not in (VectorType.BOUNDING_BOX, VectorType.POLYGON):
                self.report.skip(vector_type, "not representable in Pascal VOC")
                continue
            if vector_type == VectorType.POLYGON:
                self.report.convert(vector_type, "boxes")
            x1, y1, x2, y2 = bounds(points_of(vector))
            objects.append(
                "  <object>\n"
                f"    <name>{escape(annotation_type.name)}</name>\n"
                "    <pose>Unspecified</pose>\n"
                "    <truncated>0</truncated>\n"
                f"    <occluded>{1 if concealed else 0}</occluded>\n"
                "    <difficult>0</difficult>\n"
                "    <bndbox>\n"
                f"      <xmin>{_num(x1 + 1)}</xmin>\n      <ymin>{_num(y1 + 1)}</ymin>\n"
                f"      <xmax>{_num(x2)}</xmax>\n      <ymax>{_num(y2)}</ymax>\n"
                "    </bndbox>\n" + _voc_attributes(self.attributes(annotation_type, values)) + "  </object>\n"
            )
            self.report.wrote(annotation_type.name)
        return (
            "<annotation>\n"
            f"  <folder>{escape(self.image_set.name)}</folder>\n"
            f"  <filename>{escape(name)}</filename>\n"
            "  <source><database>ImageTagger</database></source>\n"
            f"  <size>\n    <width>{width}</width>\n    <height>{height}</height>\n    <depth>3</depth>\n  </size>\n"
            "  <segmented>0</segmented>\n" + "".join(objects) + "</annotation>\n"
        )


def _voc_attributes(values):
    if not values:
        return ""
    pairs = "".join(
        f"      <attribute><name>{escape(name)}</name><value>{escape(attribute_text(value))}</value></attribute>\n"
        for name, value in values.items()
    )
    return f"    <attributes>\n{pairs}    </attributes>\n"


class YoloWriter(_ZipWriter):
    """YOLO detection: ``labels/<image>.txt`` per image with ``class cx cy w h`` (relative to the image
    size, 6 decimals) and the class names (class i is line i, from 0) in Ultralytics' ``data.yaml``,
    Darknet's ``obj.names`` and ``classes.txt``. With the images: ``images/<image>``, Darknet's
    ``train.txt`` and ``obj.data``, and each label file also beside its image (``images/<image>.txt``,
    where CVAT's and datumaro's "YOLO 1.1" readers look; Ultralytics and Darknet read ``labels/``).
    Polygons are written as their bounding boxes; points, lines, multi-lines, "not in image" labels and
    image tags are skipped.
    Attribute values cannot be written: the report counts the labels that had some."""

    standard = StandardFormat.YOLO
    folder = "labels/"
    suffix = ".txt"
    flat = True
    labels_beside_images = True
    representable = (VectorType.BOUNDING_BOX, VectorType.POLYGON)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.classes = {
            type_id: index
            for index, type_id in enumerate(pk for pk, t in self.types.items() if t.vector_type in self.representable)
        }

    def extra_entries(self, archive):
        names = [self.types[type_id].name for type_id in self.classes]
        lines = "".join(f"{name}\n" for name in names)
        _add(archive, "classes.txt", lines)
        _add(archive, "obj.names", lines)  # Darknet's name for the same list
        # Ultralytics' dataset file: images/<name> beside labels/<name stem>.txt (put the images there).
        header = f"# {self.report.format_label} labels exported by ImageTagger.\n"
        if not self.with_images:
            header += "# Put the images into images/ (same names as in labels/).\n"
        body = yaml.safe_dump(
            {"path": ".", "train": "images", "val": "images", "names": dict(enumerate(names))},
            allow_unicode=True,
            sort_keys=False,
        )
        _add(archive, "data.yaml", header + body)

    def final_entries(self, archive):
        if self.with_images:  # Darknet's list of the images and its data file
            _add(archive, "train.txt", "".join(f"{picture}\n" for picture in self.pictures))
            _add(archive, "obj.data", f"classes = {len(self.classes)}\ntrain = train.txt\nnames = obj.names\n")

    def entry(self, image, annotations):
        _, name, width, height = image
        lines = []
        for _, _, type_id, vector, _blurred, _concealed, values in annotations:
            annotation_type = self.types[type_id]
            vector_type = annotation_type.vector_type
            if self.shapeless(annotation_type, vector):
                continue
            if vector_type not in self.representable:
                self.report.skip(vector_type, f"not representable in {self.report.format_label}")
                continue
            if not width or not height:
                self.report.skip("label(s)", "the image size is unknown")
                continue
            lines.append(self.line(self.classes[type_id], vector_type, points_of(vector), width, height))
            self.report.wrote(annotation_type.name)
            if values:
                self.report.leave_out(ATTRIBUTE_VALUES, f"{self.report.format_label} cannot carry attributes")
        return "".join(lines)

    def line(self, class_index, vector_type, points, width, height):
        if vector_type == VectorType.POLYGON:
            self.report.convert(vector_type, "boxes")
        x1, y1, x2, y2 = bounds(points)
        return (
            f"{class_index} {_rel((x1 + x2) / 2, width)} {_rel((y1 + y2) / 2, height)} "
            f"{_rel(x2 - x1, width)} {_rel(y2 - y1, height)}\n"
        )


class YoloSegmentationWriter(YoloWriter):
    """YOLO segmentation: ``class x1 y1 x2 y2 …`` (relative) per polygon; boxes become 4-point polygons."""

    standard = StandardFormat.YOLO_SEGMENTATION

    def line(self, class_index, vector_type, points, width, height):
        if vector_type == VectorType.BOUNDING_BOX:
            self.report.convert(vector_type, "4-point polygons")
            (x1, y1), (x2, y2) = points[0], points[1]
            points = [(x1, y1), (x2, y1), (x2, y2), (x1, y2)]
        coordinates = " ".join(f"{_rel(x, width)} {_rel(y, height)}" for x, y in points)
        return f"{class_index} {coordinates}\n"


# --- CVAT for images 1.1 -----------------------------------------------------------------------------

CVAT_KINDS = {
    VectorType.BOUNDING_BOX: "rectangle",
    VectorType.POLYGON: "polygon",
    VectorType.LINE: "polyline",
    VectorType.MULTI_LINE: "polyline",
    VectorType.POINT: "points",
    VectorType.TAG: "tag",
}
CVAT_INPUTS = {"checkbox": "checkbox", "number": "number", "text": "text", "select": "select"}


def _cvat_number(value):
    return f"{value:.2f}"


class CvatWriter(Writer):
    """CVAT for images 1.1 XML: the labels with their attributes in ``<meta>``, then an ``<image>`` per
    image with ``box`` / ``polygon`` / ``polyline`` (lines, multi-lines) / ``points`` / ``tag``
    elements. ``occluded`` holds the concealed flag; the blurred flag is the attribute ``blurred``
    (declared on the labels of types that have the flag; left out where a type defines its own
    ``blurred``). "Not in image" labels are skipped. With the images: CVAT's own zip,
    ``annotations.xml`` beside ``images/``."""

    standard = StandardFormat.CVAT

    def write(self, out):
        if self.with_images:  # CVAT's own zip
            self.write_zipped(out, "annotations.xml", self.write_xml, "images/")
        else:
            self.write_xml(out)

    def blurred_attribute(self, annotation_type):
        names = {definition.get("name") for definition in annotation_type.attributes or ()}
        return annotation_type.enable_blurred and "blurred" not in names

    def write_xml(self, out):
        out.write(b'<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n  <version>1.1</version>\n  <meta>\n')
        out.write(f"    <task>\n      <name>{escape(self.image_set.name)}</name>\n      <labels>\n".encode())
        for annotation_type in self.types.values():
            out.write(self.label(annotation_type).encode())
        out.write(b"      </labels>\n    </task>\n  </meta>\n")
        for index, (image, annotations) in enumerate(self.images()):
            image_id, name, width, height = image
            parts = [f'  <image id="{index}" name={quoteattr(name)} width="{width}" height="{height}">\n']
            for row in annotations:
                element = self.shape(row)
                if element:
                    parts.append(element)
            parts.append("  </image>\n")
            out.write("".join(parts).encode())
            self.step(len(annotations))
        out.write(b"</annotations>\n")

    def label(self, annotation_type):
        definitions = list(annotation_type.attributes or ())
        if self.blurred_attribute(annotation_type):
            definitions.append({"name": "blurred", "kind": "checkbox", "default": False})
        attributes = []
        for definition in definitions:
            kind = definition.get("kind")
            if kind == "select":
                values = definition.get("values") or []
            elif kind == "number":
                values = [definition.get("min", 0), definition.get("max", 1_000_000), definition.get("step", 1)]
            elif kind == "checkbox":
                values = ["false", "true"]
            else:
                values = []
            default = definition.get("default")
            attributes.append(
                "          <attribute>\n"
                f"            <name>{escape(definition.get('name', ''))}</name>\n"
                "            <mutable>False</mutable>\n"
                f"            <input_type>{CVAT_INPUTS.get(kind, 'text')}</input_type>\n"
                f"            <default_value>{escape(attribute_text(default))}</default_value>\n"
                f"            <values>{escape(chr(10).join(attribute_text(v) for v in values))}</values>\n"
                "          </attribute>\n"
            )
        return (
            "        <label>\n"
            f"          <name>{escape(annotation_type.name)}</name>\n"
            f"          <color>{escape(annotation_type.color or '')}</color>\n"
            f"          <type>{CVAT_KINDS.get(annotation_type.vector_type, 'any')}</type>\n"
            f"          <attributes>\n{''.join(attributes)}          </attributes>\n"
            "        </label>\n"
        )

    def shape(self, row):
        _image_id, _annotation_id, type_id, vector, blurred, concealed, values = row
        annotation_type = self.types[type_id]
        vector_type = annotation_type.vector_type
        if vector_type != VectorType.TAG and not vector:
            self.report.skip(NOT_IN_IMAGE, "CVAT has no way to say that an object is not in an image")
            return ""
        attributes = dict(self.attributes(annotation_type, values)) if values else {}
        if self.blurred_attribute(annotation_type):
            attributes["blurred"] = bool(blurred)
        elif blurred:
            self.report.leave_out("the blurred flag", "the type has an attribute named “blurred”")
        children = "".join(
            f"      <attribute name={quoteattr(name)}>{escape(attribute_text(value))}</attribute>\n"
            for name, value in attributes.items()
        )
        label = quoteattr(annotation_type.name)
        occluded = 1 if concealed and annotation_type.enable_concealed else 0
        self.report.wrote(annotation_type.name)
        if vector_type == VectorType.TAG:
            return f'    <tag label={label} source="manual">\n{children}    </tag>\n'
        points = points_of(vector)
        common = f'label={label} source="manual" occluded="{occluded}"'
        if vector_type == VectorType.BOUNDING_BOX:
            x1, y1, x2, y2 = bounds(points)
            coordinates = " ".join(
                f'{key}="{_cvat_number(value)}"'
                for key, value in zip(("xtl", "ytl", "xbr", "ybr"), (x1, y1, x2, y2), strict=True)
            )
            return f'    <box {common} {coordinates} z_order="0">\n{children}    </box>\n'
        element = {VectorType.POLYGON: "polygon", VectorType.POINT: "points"}.get(vector_type, "polyline")
        text = ";".join(f"{_cvat_number(x)},{_cvat_number(y)}" for x, y in points)
        return f'    <{element} {common} points="{text}" z_order="0">\n{children}    </{element}>\n'


# --- LabelMe ----------------------------------------------------------------------------------------


class LabelMeWriter(_ZipWriter):
    """LabelMe: a JSON file per image (``<image name without extension>.json``, beside the image when the
    images are included) with ``rectangle``, ``polygon``, ``line`` (lines), ``linestrip`` (multi-lines)
    and ``point`` shapes. The flags are the shape's ``flags`` ``concealed`` / ``blurred``; the
    attribute values its ``attributes`` object (LabelMe keeps keys it does not know). "Not in image"
    labels and image tags are skipped."""

    standard = StandardFormat.LABELME
    folder = ""
    suffix = ".json"
    images_folder = ""
    kinds = {
        VectorType.BOUNDING_BOX: "rectangle",
        VectorType.POLYGON: "polygon",
        VectorType.LINE: "line",
        VectorType.MULTI_LINE: "linestrip",
        VectorType.POINT: "point",
    }

    def entry(self, image, annotations):
        _, name, width, height = image
        shapes = []
        for _, _, type_id, vector, blurred, concealed, values in annotations:
            annotation_type = self.types[type_id]
            if self.shapeless(annotation_type, vector):
                continue
            points = points_of(vector)
            if annotation_type.vector_type == VectorType.BOUNDING_BOX:
                x1, y1, x2, y2 = bounds(points)
                points = [(x1, y1), (x2, y2)]
            shape = {
                "label": annotation_type.name,
                "points": [[_num(x), _num(y)] for x, y in points],
                "group_id": None,
                "description": "",
                "shape_type": self.kinds[annotation_type.vector_type],
                "flags": {"concealed": bool(concealed), "blurred": bool(blurred)},
            }
            if values:
                shape["attributes"] = self.attributes(annotation_type, values)
            shapes.append(shape)
            self.report.wrote(annotation_type.name)
        document = {
            "version": "5.4.1",
            "flags": {},
            "shapes": shapes,
            "imagePath": name.rsplit("/", 1)[-1],
            "imageData": None,
            "imageHeight": height,
            "imageWidth": width,
        }
        return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


# --- Label Studio -----------------------------------------------------------------------------------


class LabelStudioWriter(Writer):
    """Label Studio's JSON: a task per image (``data.image`` its name) whose ``annotations`` hold the
    labels made by people and whose ``predictions`` (one per model) the machine-made ones with their
    scores. Boxes are ``rectanglelabels``, polygons ``polygonlabels``, points ``keypointlabels`` (x, y,
    width and height in percent of the image), image tags ``choices``; a region's flags are its
    ``flags`` choices and its attribute values per-region ``choices`` / ``textarea`` / ``number``
    results with the region's id. Lines, multi-lines and "not in image" labels are skipped."""

    standard = StandardFormat.LABEL_STUDIO
    regions = {
        VectorType.BOUNDING_BOX: "rectanglelabels",
        VectorType.POLYGON: "polygonlabels",
        VectorType.POINT: "keypointlabels",
    }

    def write(self, out):
        machine = dict(
            Annotation.objects.filter(image__image_set=self.image_set, origin="machine").values_list("id", "model_name")
        )
        scores = dict(
            Annotation.objects.filter(
                image__image_set=self.image_set, origin="machine", confidence__isnull=False
            ).values_list("id", "confidence")
        )
        out.write(b"[")
        for index, (image, annotations) in enumerate(self.images()):
            image_id, name, width, height = image
            people, models = [], {}
            for row in annotations:
                results = self.results(row, width, height, scores.get(row[1]))
                if results is None:
                    continue
                if row[1] in machine:
                    models.setdefault(machine[row[1]], []).extend(results)
                else:
                    people.extend(results)
            task = {
                "id": image_id,
                "data": {"image": name},
                "annotations": [{"result": people}] if people else [],
                "predictions": [{"model_version": model, "result": results} for model, results in models.items()],
            }
            out.write((b"," if index else b"") + b"\n" + json.dumps(task, ensure_ascii=False).encode())
            self.step(len(annotations))
        out.write(b"\n]\n")

    def results(self, row, width, height, score):
        _image_id, annotation_id, type_id, vector, blurred, concealed, values = row
        annotation_type = self.types[type_id]
        vector_type = annotation_type.vector_type
        region = f"r{annotation_id}"
        common = {"id": region, "to_name": "image", "original_width": width, "original_height": height}
        if vector_type == VectorType.TAG:
            self.report.wrote(annotation_type.name)
            return [{**common, "type": "choices", "from_name": "tags", "value": {"choices": [annotation_type.name]}}]
        if not vector:
            self.report.skip(NOT_IN_IMAGE, "Label Studio has no way to say that an object is not in an image")
            return None
        if vector_type not in self.regions or not width or not height:
            self.report.skip(vector_type, "Label Studio has no lines on images")
            return None
        kind = self.regions[vector_type]
        points = points_of(vector)
        if vector_type == VectorType.BOUNDING_BOX:
            x1, y1, x2, y2 = bounds(points)
            value = {
                "x": x1 / width * 100,
                "y": y1 / height * 100,
                "width": (x2 - x1) / width * 100,
                "height": (y2 - y1) / height * 100,
                "rotation": 0,
            }
        elif vector_type == VectorType.POLYGON:
            value = {"points": [[x / width * 100, y / height * 100] for x, y in points], "closed": True}
        else:
            value = {"x": points[0][0] / width * 100, "y": points[0][1] / height * 100, "width": 0.5}
        value[kind] = [annotation_type.name]
        region_result = {**common, "type": kind, "from_name": "label", "value": value}
        if score is not None:
            region_result["score"] = score
        results = [region_result]
        flags = [name for name, on in (("concealed", concealed), ("blurred", blurred)) if on]
        if flags:
            results.append({**common, "type": "choices", "from_name": "flags", "value": {"choices": flags}})
        kinds = {d.get("name"): d.get("kind") for d in annotation_type.attributes or ()}
        for name, attribute in (self.attributes(annotation_type, values) if values else {}).items():
            if kinds.get(name) == "number":
                results.append({**common, "type": "number", "from_name": name, "value": {"number": attribute}})
            elif kinds.get(name) == "text":
                results.append({**common, "type": "textarea", "from_name": name, "value": {"text": [attribute]}})
            else:
                choice = attribute_text(attribute)
                results.append({**common, "type": "choices", "from_name": name, "value": {"choices": [choice]}})
        self.report.wrote(annotation_type.name)
        return results


# --- Datumaro ---------------------------------------------------------------------------------------


class DatumaroWriter(Writer):
    """Datumaro's own JSON, zipped as its dataset folder: ``annotations/default.json`` (and
    ``images/default/<name>`` with the images). Every label type is a label (its attribute names
    declared); boxes are ``bbox`` [x, y, w, h], polygons ``polygon``, points ``points``, lines and
    multi-lines ``polyline``, image tags ``label``; the concealed flag is ``occluded``, the blurred flag
    the attribute ``blurred``, the attribute values the other attributes. "Not in image" labels are
    skipped."""

    standard = StandardFormat.DATUMARO
    kinds = {VectorType.POLYGON: "polygon", VectorType.POINT: "points"}

    def write(self, out):
        self.write_zipped(out, "annotations/default.json", self.write_json, "images/default/")

    def write_json(self, out):
        self.label_ids = {type_id: index for index, type_id in enumerate(self.types)}
        labels = [
            {"name": t.name, "parent": "", "attributes": [d.get("name") for d in t.attributes or ()]}
            for t in self.types.values()
        ]
        header = {
            "dm_format_version": "1.0",
            "media_type": 2,
            "infos": {},
            "categories": {"label": {"labels": labels, "label_groups": [], "attributes": ["occluded", "blurred"]}},
        }
        out.write(json.dumps(header, ensure_ascii=False)[:-1].encode() + b',"items":[')
        for index, (image, annotations) in enumerate(self.images()):
            image_id, name, width, height = image
            item = {
                "id": _stem(name),
                "annotations": [a for a in (self.annotation(row) for row in annotations) if a is not None],
                "attr": {},
                "image": {"path": name, "size": [height, width]},
            }
            out.write((b"," if index else b"") + b"\n" + json.dumps(item, ensure_ascii=False).encode())
            self.step(len(annotations))
        out.write(b"\n]}\n")

    def annotation(self, row):
        _image_id, annotation_id, type_id, vector, blurred, concealed, values = row
        annotation_type = self.types[type_id]
        vector_type = annotation_type.vector_type
        attributes = {"occluded": bool(concealed), "blurred": bool(blurred)}
        for name, value in (self.attributes(annotation_type, values) if values else {}).items():
            if name in attributes:
                self.report.leave_out(f"attribute “{name}”", "Datumaro's attributes use this name for a flag")
            else:
                attributes[name] = value
        common = {"id": annotation_id, "attributes": attributes, "group": 0, "label_id": self.label_ids[type_id]}
        if vector_type == VectorType.TAG:
            self.report.wrote(annotation_type.name)
            return {**common, "type": "label"}
        if not vector:
            self.report.skip(NOT_IN_IMAGE, "Datumaro has no way to say that an object is not in an image")
            return None
        points = points_of(vector)
        self.report.wrote(annotation_type.name)
        if vector_type == VectorType.BOUNDING_BOX:
            x1, y1, x2, y2 = bounds(points)
            return {**common, "type": "bbox", "z_order": 0, "bbox": [_num(x1), _num(y1), _num(x2 - x1), _num(y2 - y1)]}
        flat = [_num(v) for point in points for v in point]
        kind = self.kinds.get(vector_type, "polyline")
        extra = {"visibility": [2] * len(points)} if kind == "points" else {}
        return {**common, "type": kind, "z_order": 0, "points": flat, **extra}


WRITERS = {
    StandardFormat.COCO: CocoWriter,
    StandardFormat.VOC: VocWriter,
    StandardFormat.YOLO: YoloWriter,
    StandardFormat.YOLO_SEGMENTATION: YoloSegmentationWriter,
    StandardFormat.PIPE: PipeWriter,
    StandardFormat.CVAT: CvatWriter,
    StandardFormat.LABELME: LabelMeWriter,
    StandardFormat.LABEL_STUDIO: LabelStudioWriter,
    StandardFormat.DATUMARO: DatumaroWriter,
}


def writer_for(standard, image_set, options=None, progress=None):
    return WRITERS[StandardFormat(standard)](image_set, options, progress)


def write(standard, image_set, out, options=None, progress=None):
    """Write the export to the binary file ``out``; returns the report (a dict)."""
    writer = writer_for(standard, image_set, options, progress)
    writer.write(out)
    return {**writer.report.as_dict(), "filtered": leftout.for_standard(image_set, writer.options)}
