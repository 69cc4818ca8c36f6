"""Parsers for label import: each turns an uploaded file into ``Record``s, one per label.

Formats (``FORMATS``):

- ``pipe``: the original ImageTagger's upload format (reference spec §4), one label per line, UTF-8:
  ``<image name>|<type name>|<vector JSON | not in image | {} | tag>[|<flags>[|<attributes JSON>]]``.
  Tolerant of CRLF line ends, blank lines (skipped, not reported), a byte-order mark and a trailing
  comma before ``}``. Values may be numbers or numeric strings. Flags: ``b`` blurred, ``c`` concealed;
  other characters are reported as a warning and the line is still imported. ``tag`` (or ``{}``) is
  the vector of an image tag. The optional fifth column holds the label's attribute values as a JSON
  object (``{"colour": "red", "occluded": true}``); it runs to the end of the line, so its text may
  contain ``|``. Without it the type's defaults apply.
- ``coco``: a COCO instances JSON. ``bbox`` ``[x, y, w, h]`` gives a box, the largest
  ``segmentation`` polygon or the outline of an RLE mask's largest part a polygon (``masks.py``; the
  parts and holes left out are reported), ``keypoints`` (visible ones) points/lines; the importer picks
  the one that fits the type. Categories are types by name, ``images[].file_name`` image names.
  An annotation's ``attributes`` object gives the flags (``blurred``, ``concealed``) and the attribute
  values (the other keys; CVAT's ``occluded`` and ``rotation`` are understood when the type has no
  attribute of that name).
- ``voc``: one Pascal VOC XML, or a zip of them; ``object/bndbox`` gives a box (1-based pixel indices
  as the devkit writes them, unless a box of the file starts at 0: see ``_voc_one_based``),
  ``occluded`` the concealed flag, ``<attributes><attribute><name>…</name><value>…</value>``
  the attribute values (text, read by the kind the type defines: true/false, numbers).
- ``yolo``: a zip with the class names (Ultralytics' ``data.yaml`` ``names``, Darknet's ``obj.names`` or
  ``classes.txt``, one per line) and a txt file per image whose rows are ``class cx cy w h``
  (normalised, a box) or ``class x1 y1 x2 y2 …`` (normalised, a polygon; a box type takes a 4-point
  polygon along the axes as its box). Darknet's image lists (``train.txt`` …) are skipped.

A record's ``number`` is its line (pipe, YOLO) or its position (COCO annotation, VOC object); ``source``
says where it came from for the report. A record with ``error`` set could not be read; the importer
reports it and goes on. Coordinates stay as numbers here (floats allowed, normalised for YOLO); the
importer rounds them to whole pixels and checks them with ``annotations.vectors.validate_vector``.
"""

import json
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree

import yaml

from base import jsontext
from base.jsontext import JSONTextError

from .masks import MaskError, coco_rle_mask, mask_outline, polygon_area, row_runs_mask

FORMATS = {
    "pipe": "ImageTagger label lines (image|type|vector|flags[|attributes JSON])",
    "coco": "COCO instances JSON",
    "voc": "Pascal VOC XML (one file or a zip of them)",
    "yolo": "YOLO (zip with classes.txt and a txt per image)",
    "cvat": "CVAT for images 1.1 XML (annotations.xml, or CVAT's zip)",
    "labelme": "LabelMe JSON (one file, or a zip of one per image)",
    "labelstudio": "Label Studio JSON (its JSON export: tasks with annotations and predictions)",
    "datumaro": "Datumaro JSON (annotations/default.json, or the dataset zipped)",
}
NOT_IN_IMAGE = "not in image"
TAG = "tag"
FIFTH_COLUMN = "The fifth column (attribute values)"
_TRAILING_COMMA = re.compile(r",\s*}")
_NUMBER = re.compile(r"\s*-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*")
MAX_ZIP_MEMBERS = 200_000


@dataclass(slots=True)
class Record:
    number: int
    source: str = ""
    image: str = ""
    type: str = ""
    # The vector as given (pipe) — or None for "not in image" when ``given`` is True.
    vector: dict | None = None
    given: bool = False
    # Alternatives for formats that carry several shapes: "box", "polygon", "points" → vector.
    shapes: dict = field(default_factory=dict)
    normalised: bool = False  # coordinates are fractions of the image's width/height (YOLO)
    match_stem: bool = False  # the image may be matched by its name without extension
    blurred: bool = False
    concealed: bool = False
    # The third field of a pipe line was "tag" (an image tag) / "not in image".
    tag: bool = False
    said_not_in_image: bool = False
    # Attribute values as given (None: none given). ``attributes_text``: values may be text to be read
    # by the kind the type defines ("true", "2.5"); ``cvat_keys``: COCO's fixed occluded/rotation keys.
    attributes: dict | None = None
    attributes_text: bool = False
    cvat_keys: bool = False
    # A prediction of a model (Label Studio's "predictions"): machine-made with its model and score.
    machine: bool = False
    model_name: str = ""
    confidence: float | None = None
    # The values checked against the type's definitions (set by the importer).
    values: dict = field(default_factory=dict)
    warning: str = ""
    # What was left out of a shape (a mask's other parts), reported only when that shape is used.
    shape_notes: dict = field(default_factory=dict)
    error: str = ""


class ImportFileError(Exception):
    """The file as a whole cannot be read (not JSON, not a zip, no classes.txt …)."""


def parse(format, fileobj):
    """Records of ``fileobj`` (a binary file) in ``format``; raises ``ImportFileError``."""
    try:
        parser = PARSERS[format]
    except KeyError:
        raise ImportFileError(f"Unknown format “{format}”; choose one of {', '.join(FORMATS)}.") from None
    return parser(fileobj)


def as_number(value):
    """A JSON value or numeric string as a number, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return float(value) if any(c in value for c in ".eE") else int(value)
    return None


# --- pipe -----------------------------------------------------------------------------------------


def parse_vector_text(text):
    """``(vector, error)`` of the third field of a pipe line; ``(None, "")`` is "not in image"."""
    text = text.strip()
    if text.lower() == NOT_IN_IMAGE or text == "{}":
        return None, ""
    try:
        data = jsontext.loads(_TRAILING_COMMA.sub("}", text), what="The vector")
    except JSONTextError as error:
        return None, str(error)
    if not isinstance(data, dict):
        return None, 'The vector must be a JSON object like {"x1": 10, "y1": 20, …}, “not in image” or {}.'
    if not data:
        return None, ""
    vector = {}
    for key, value in data.items():
        number = as_number(value)
        if number is None:
            return None, f"{key} must be a number, not {json.dumps(value)[:40]}."
        vector[key] = number
    return vector, ""


def parse_attributes_text(text):
    """``(values, error)`` of the fifth column of a pipe line; ``(None, "")`` when it is empty."""
    text = text.strip()
    if not text:
        return None, ""
    try:
        data = jsontext.loads(text, what=FIFTH_COLUMN)
    except JSONTextError as error:
        return None, str(error)
    if not isinstance(data, dict):
        return None, f'{FIFTH_COLUMN} must be a JSON object like {{"colour": "red"}}, not {text[:40]}.'
    return data, ""


def parse_pipe(fileobj):
    for number, raw in enumerate(fileobj, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield Record(number, f"line {number}", error="The line is not UTF-8 text.")
            continue
        if number == 1:
            line = line.removeprefix("\ufeff")
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        record = Record(number, f"line {number}", given=True)
        # At most 5 fields: the fifth (JSON attribute values) runs to the end of the line.
        parts = line.split("|", 4)
        if len(parts) < 3:
            record.error = "Expected image|type|vector[|flags[|attributes]]: found fewer than 3 fields."
            yield record
            continue
        record.image, record.type = parts[0], parts[1].strip()
        word = parts[2].strip().lower()
        record.tag, record.said_not_in_image = word == TAG, word == NOT_IN_IMAGE
        if not record.tag:
            record.vector, record.error = parse_vector_text(parts[2])
        if len(parts) == 5:
            record.attributes, problem = parse_attributes_text(parts[4])
            record.error = record.error or problem
        flags = parts[3].strip() if len(parts) >= 4 else ""
        unknown = "".join(sorted({flag for flag in flags if flag not in "bc"}))
        record.blurred, record.concealed = "b" in flags, "c" in flags
        if unknown:
            record.warning = f"Unknown flag(s) “{unknown}” ignored (b = blurred, c = concealed)."
        yield record


# --- COCO -----------------------------------------------------------------------------------------


def parse_coco(fileobj):
    """A COCO JSON, or a zip with COCO's layout (``annotations/instances_*.json``, as we, CVAT and
    datumaro write it; or a zip holding one JSON file), its files read one after the other."""
    counter = 0
    for member, data in _coco_documents(fileobj):
        for record in _coco_records(data):
            counter += 1
            record.number = counter
            if member:
                record.source = f"{member}, {record.source}"
            yield record


def _coco_documents(fileobj):
    head = fileobj.read(4)
    fileobj.seek(0)
    if not head.startswith(b"PK"):
        yield "", _coco_json(fileobj.read())
        return
    archive, members = _zip_members(fileobj, (".json",))
    instances = [m for m in members if posixpath.basename(m.filename).lower().startswith("instances_")]
    chosen = instances or members
    if len(chosen) != 1 and not instances:
        raise ImportFileError(
            "A COCO zip holds its labels in annotations/instances_<subset>.json (or one JSON file); "
            f"this one has {len(members)} JSON files and none named instances_…"
        )
    for member in sorted(chosen, key=lambda m: m.filename):
        yield member.filename, _coco_json(archive.read(member), member.filename)


def _coco_json(data, name=""):
    where = f"{name}: " if name else ""
    try:
        document = jsontext.loads(data, what=f"{where}The file")
    except JSONTextError as error:
        raise ImportFileError(str(error)) from None
    if not isinstance(document, dict) or not isinstance(document.get("annotations"), list):
        raise ImportFileError(f"{where}A COCO file is a JSON object with “images”, “categories” and “annotations”.")
    for key, fields in (("images", "id and file_name"), ("categories", "id and name")):
        if problem := _not_objects(document, key, f" (each with {fields})", required=True):
            raise ImportFileError(f"{where}The file's {problem}")
    return document


def _not_objects(document, key, each="", *, required=False):
    """Why ``document[key]`` is not a list of JSON objects (a sentence from its name on), or None.
    Without ``required`` a missing (or null) one is no problem."""
    value = document.get(key)
    if (value is None and not required) or (isinstance(value, list) and all(isinstance(v, dict) for v in value)):
        return None
    return f"“{key}” must be a list of objects{each}, not {_json_kind(value)}."


def _json_kind(value):
    """What a JSON value is, in words, for a report ("a number", "a list holding a text")."""
    if value is None:
        return "null (or missing)"
    if isinstance(value, list):
        odd = [item for item in value if not isinstance(item, dict)]
        return f"a list holding {_json_kind(odd[0])}" if odd else "a list of objects"
    kinds = {bool: "true or false", int: "a number", float: "a number", str: "a text", dict: "an object"}
    return kinds.get(type(value), "something else")


def _coco_records(data):
    images = {item["id"]: item.get("file_name", "") for item in _listed(data.get("images")) if _is_key(item.get("id"))}
    categories = {
        item["id"]: item.get("name", "") for item in _listed(data.get("categories")) if _is_key(item.get("id"))
    }
    for number, item in enumerate(data["annotations"], start=1):
        record = Record(number, f"annotation {number}")
        if not isinstance(item, dict):
            record.error = "An annotation must be a JSON object."
            yield record
            continue
        record.source = f"annotation {number} (id {item.get('id')})"
        if not _is_key(item.get("image_id")) or item.get("image_id") not in images:
            record.error = f"Its image_id {item.get('image_id')} is not among the file's images."
        elif not _is_key(item.get("category_id")) or item.get("category_id") not in categories:
            record.error = f"Its category_id {item.get('category_id')} is not among the file's categories."
        else:
            record.image = str(images[item["image_id"]])
            record.type = str(categories[item["category_id"]])
            _coco_shapes(record, item)
            _coco_attributes(record, item.get("attributes"))
        yield record


def _listed(value):
    """The JSON objects of a list (anything else in it, or a non-list, is ignored)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _is_key(value):
    """An id that can name an image or category: a number or a text (not a list, object or bool)."""
    return isinstance(value, int | str) and not isinstance(value, bool)


def _coco_attributes(record, attributes):
    if attributes is None:
        return
    if not isinstance(attributes, dict):
        record.error = record.error or "Its “attributes” must be a JSON object."
        return
    values = dict(attributes)
    for flag in ("blurred", "concealed"):
        if flag in values:
            setattr(record, flag, truth(values.pop(flag)))
    record.attributes = values
    record.attributes_text = True
    record.cvat_keys = True


def truth(value):
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return bool(value)


def _coco_shapes(record, item):
    bbox = item.get("bbox")
    if isinstance(bbox, list) and len(bbox) == 4 and all(as_number(v) is not None for v in bbox):
        x, y, w, h = (as_number(v) for v in bbox)
        record.shapes["box"] = {"x1": x, "y1": y, "x2": x + w, "y2": y + h}
    segmentation = item.get("segmentation")
    if isinstance(segmentation, list) and segmentation and isinstance(segmentation[0], list):
        _coco_polygons(record, segmentation)
    elif isinstance(segmentation, dict):
        _coco_rle(record, segmentation)
    keypoints = item.get("keypoints")
    if isinstance(keypoints, list) and len(keypoints) % 3 == 0 and all(as_number(v) is not None for v in keypoints):
        triples = [keypoints[i : i + 3] for i in range(0, len(keypoints), 3)]
        flat = [value for x, y, v in triples if as_number(v) > 0 for value in (as_number(x), as_number(y))]
        if flat:
            record.shapes["points"] = _points(flat)
    if not record.shapes:
        notes = "".join(f" {note}" for note in record.shape_notes.values() if note)
        record.error = f"It has no usable bbox, segmentation or keypoints.{notes}"


def _coco_polygons(record, segmentation):
    """A polygon list: its largest polygon (by area), the others reported."""
    polygons = [
        [as_number(v) for v in flat]
        for flat in segmentation
        if isinstance(flat, list)
        and len(flat) >= 6
        and len(flat) % 2 == 0
        and all(as_number(v) is not None for v in flat)
    ]
    if not polygons:
        return
    record.shapes["polygon"] = _points(max(polygons, key=polygon_area))
    if len(segmentation) > 1:
        others = len(segmentation) - 1
        record.shape_notes["polygon"] = (
            f"Its segmentation has {len(segmentation)} parts: the largest became the polygon "
            f"({others} smaller part{'s' if others > 1 else ''} left out)."
        )


def _coco_rle(record, rle):
    """An RLE mask (pycocotools' ``{"size": [h, w], "counts": …}``): the outline of its largest part."""
    try:
        outline = mask_outline(coco_rle_mask(rle))
    except MaskError as error:
        record.shape_notes["polygon"] = f"Its RLE segmentation could not be read: {error}."
        return
    record.shapes["polygon"] = _points([value for point in outline.points for value in point])
    record.shape_notes["polygon"] = outline.note


def _points(flat):
    vector = {}
    for index in range(len(flat) // 2):
        vector[f"x{index + 1}"] = flat[2 * index]
        vector[f"y{index + 1}"] = flat[2 * index + 1]
    return vector


# --- Pascal VOC -----------------------------------------------------------------------------------


def _zip_members(fileobj, suffixes):
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError):
        raise ImportFileError("The file is not a zip archive.") from None
    members = [
        info
        for info in archive.infolist()
        if not info.is_dir() and info.filename.lower().endswith(suffixes) and "__MACOSX/" not in info.filename
    ]
    if len(members) > MAX_ZIP_MEMBERS:
        raise ImportFileError(f"The archive has more than {MAX_ZIP_MEMBERS} label files.")
    return archive, sorted(members, key=lambda info: info.filename)


def parse_voc(fileobj):
    """One VOC XML or a zip of them. The coordinate convention is decided for the whole upload: one box
    of any file that starts at 0 makes every file 0-based (``_voc_one_based``)."""
    head = fileobj.read(4)
    fileobj.seek(0)
    if head.startswith(b"PK"):
        archive, members = _zip_members(fileobj, (".xml",))
        files = [(info.filename, _voc_parsed(archive.read(info))) for info in members]
    else:
        files = [("the file", _voc_parsed(fileobj.read()))]
    one_based = _voc_one_based([values for _, parsed in files if isinstance(parsed, tuple) for values in parsed[2]])
    counter = 0
    for name, parsed in files:
        if isinstance(parsed, str):
            counter += 1
            yield Record(counter, name, error=parsed)
            continue
        image, objects, boxes = parsed
        for index, (obj, values) in enumerate(zip(objects, boxes, strict=True), start=1):
            counter += 1
            yield _voc_record(
                Record(counter, f"{name}, object {index}", image=image, match_stem=True), obj, values, one_based
            )


def _voc_parsed(data):
    """``(image name, objects, their bndbox numbers)`` of one VOC XML, or the reason it cannot be read."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        return "XML with DOCTYPE or ENTITY declarations is refused."
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        return f"Not valid XML: {error}."
    image = (root.findtext("filename") or "").strip()
    if not image:
        return "It has no <filename>."
    objects = list(root.iter("object"))
    boxes = []
    for obj in objects:
        box = obj.find("bndbox")
        boxes.append([as_number((box.findtext(key) or "").strip()) if box is not None else None for key in _VOC_KEYS])
    return image, objects, boxes


def _voc_record(record, obj, values, one_based):
    record.type = (obj.findtext("name") or "").strip()
    if None in values:
        record.error = "Its <bndbox> needs numeric xmin, ymin, xmax and ymax."
    else:
        xmin, ymin, xmax, ymax = values
        if one_based:  # the devkit's first pixel is 1 and xmax its last pixel: the far edge already
            xmin, ymin = xmin - 1, ymin - 1
        record.shapes["box"] = {"x1": xmin, "y1": ymin, "x2": xmax, "y2": ymax}
    # <occluded> is the concealed flag; <truncated> (cut by the image border) is something else.
    record.concealed = (obj.findtext("occluded") or "0").strip() == "1"
    _voc_attributes(record, obj.find("attributes"))
    return record


def _voc_one_based(boxes):
    """Whether an upload's boxes follow the Pascal VOC devkit (1-based pixel indices: the convention of
    the devkit, supervision and ImageTagger's own export) or count from 0 (datumaro's, and so CVAT's,
    default): an upload with an xmin or ymin below 1 in any file counts from 0, any other is 1-based."""
    return not any(values[0] < 1 or values[1] < 1 for values in boxes if None not in values)


def _voc_attributes(record, element):
    """``<attributes><attribute><name>…</name><value>…</value></attribute>…</attributes>`` as text values."""
    if element is None:
        return
    values = {}
    for attribute in element.findall("attribute"):
        name = (attribute.findtext("name") or "").strip()
        if not name:
            record.error = record.error or "An <attribute> has no <name>."
            return
        if name in values:
            record.error = record.error or f"Attribute “{name}” is given twice."
            return
        values[name] = attribute.findtext("value") or ""
    if "blurred" in values:  # the flag, as CVAT and datumaro write it beside the attributes
        record.blurred = truth(values.pop("blurred"))
    if values:
        record.attributes = values
        record.attributes_text = True


_VOC_KEYS = ("xmin", "ymin", "xmax", "ymax")


# --- YOLO -----------------------------------------------------------------------------------------


CLASS_FILES = ("data.yaml", "data.yml", "obj.names", "classes.txt")  # Ultralytics, Darknet, plain
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp")
LIST_FILES = ("train.txt", "val.txt", "valid.txt", "test.txt")  # Darknet's lists of image paths


def parse_yolo(fileobj):
    archive, members = _zip_members(fileobj, (".txt", ".names", ".yaml", ".yml"))
    by_kind = {}
    for member in members:
        base = posixpath.basename(member.filename).lower()
        if base in CLASS_FILES:
            by_kind.setdefault(base, member)
    classes_file = next((by_kind[name] for name in CLASS_FILES if name in by_kind), None)
    if classes_file is None:
        raise ImportFileError(
            "A YOLO zip needs its class names: data.yaml (names), obj.names or classes.txt (one per line)."
        )
    classes = _yolo_classes(archive, classes_file)
    counter = 0
    for info in members:
        if info is classes_file or not info.filename.lower().endswith(".txt"):
            continue
        if posixpath.basename(info.filename).lower() == "classes.txt":
            continue
        image = _yolo_image_name(info.filename)
        try:
            lines = archive.read(info).decode("utf-8-sig").splitlines()
        except UnicodeDecodeError:
            counter += 1
            yield Record(counter, info.filename, error="The file is not UTF-8 text.")
            continue
        if (posixpath.basename(info.filename).lower() in LIST_FILES and _lists_paths(lines)) or _lists_images(lines):
            continue  # train.txt (or a list named after its subset, as datumaro writes) names images
        for line_number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            counter += 1
            record = Record(
                counter, f"{info.filename}, line {line_number}", image=image, normalised=True, match_stem=True
            )
            _yolo_row(record, line.split(), classes)
            yield record


def _lists_paths(lines):
    first = next((line.split() for line in lines if line.strip()), None)
    return first is not None and as_number(first[0]) is None


def _lists_images(lines):
    """Every row one path ending in an image file's extension: a list of images, whatever its name."""
    rows = [line.strip() for line in lines if line.strip()]
    return bool(rows) and all(len(row.split()) == 1 and row.lower().endswith(IMAGE_SUFFIXES) for row in rows)


def _yolo_classes(archive, member):
    """The class names of data.yaml (``names`` as a list or an index → name mapping) or of a file with
    one name per line (obj.names, classes.txt)."""
    name = posixpath.basename(member.filename)
    try:
        text = archive.read(member).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(f"{name} is not UTF-8 text.") from None
    if name.lower().endswith((".yaml", ".yml")):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise ImportFileError(f"{name} is not valid YAML: {str(error).splitlines()[0]}") from None
        names = data.get("names") if isinstance(data, dict) else None
        if isinstance(names, dict) and all(isinstance(key, int) for key in names):
            names = [str(names.get(index, "")) for index in range(max(names) + 1)] if names else []
        if not isinstance(names, list) or not names:
            raise ImportFileError(f"{name} has no “names” (a list of class names, or index: name).")
        return [str(value).strip() for value in names]
    classes = [line.strip() for line in text.splitlines()]
    while classes and not classes[-1]:
        classes.pop()
    return classes


def _yolo_image_name(filename):
    """The image a label file names: its path without extension, minus a leading "labels/" folder."""
    stem = filename.rsplit(".", 1)[0]
    parts = stem.split("/")
    folders = parts[:-1]
    if "labels" in folders:
        last = len(folders) - 1 - folders[::-1].index("labels")
        parts = parts[last + 1 :]
    return "/".join(parts)


def _yolo_row(record, fields, classes):
    numbers = [as_number(value) for value in fields]
    if None in numbers:
        record.error = "A row is a class number followed by numbers."
        return
    cls, values = numbers[0], numbers[1:]
    if not isinstance(cls, int) or not 0 <= cls < len(classes):
        record.error = f"Class {fields[0]} is not among the class names (there are {len(classes)})."
        return
    record.type = classes[cls]
    if len(values) == 4:
        cx, cy, w, h = values
        record.shapes["box"] = {"x1": cx - w / 2, "y1": cy - h / 2, "x2": cx + w / 2, "y2": cy + h / 2}
    elif len(values) >= 6 and len(values) % 2 == 0:
        record.shapes["polygon"] = _points(values)
    else:
        record.error = f"Expected 4 numbers (cx cy w h) or an even number ≥ 6 (polygon), found {len(values)}."


# --- CVAT for images 1.1 ---------------------------------------------------------------------------

CVAT_SHAPES = ("box", "polygon", "polyline", "points", "mask", "tag")


def parse_cvat(fileobj):
    """CVAT for images 1.1: ``<image name=…>`` with ``box`` (xtl ytl xbr ybr), ``polygon``, ``polyline``
    and ``points`` (``points="x,y;x,y"``), ``mask`` (``rle`` runs over its ``left top width height`` box,
    imported as the outline of its largest part) and ``tag``; ``occluded="1"`` is the concealed flag, the
    ``<attribute name=…>`` children the attribute values (``blurred`` the blurred flag). CVAT's zip
    (annotations.xml beside images/) or the bare XML."""
    head = fileobj.read(4)
    fileobj.seek(0)
    if head.startswith(b"PK"):
        archive, members = _zip_members(fileobj, (".xml",))
        member = next((m for m in members if posixpath.basename(m.filename) == "annotations.xml"), None)
        if member is None:
            raise ImportFileError("A CVAT zip has its labels in annotations.xml; this zip has none.")
        data = archive.read(member)
    else:
        data = fileobj.read()
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ImportFileError("XML with DOCTYPE or ENTITY declarations is refused.")
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise ImportFileError(f"Not valid XML: {error}.") from None
    if root.tag != "annotations":
        raise ImportFileError("A CVAT file's root element is <annotations> (CVAT for images 1.1).")
    if root.find("track") is not None and root.find("image") is None:
        raise ImportFileError("This is CVAT for video (tracks); export the task as “CVAT for images 1.1”.")
    counter = 0
    for image in root.iter("image"):
        name = (image.get("name") or "").strip()
        for index, shape in enumerate(image, start=1):
            counter += 1
            record = Record(counter, f"image “{name}”, {shape.tag} {index}", image=name)
            if not name:
                record.error = "Its <image> has no name."
            else:
                record.type = (shape.get("label") or "").strip()
                _cvat_shape(record, shape)
            yield record


def _cvat_shape(record, shape):
    kind = shape.tag
    if kind not in CVAT_SHAPES:
        record.error = (
            f"CVAT {kind} shapes cannot be imported (boxes, polygons, polylines, points, masks and tags can)."
        )
        return
    if kind == "tag":
        record.given, record.tag = True, True
    elif kind == "box":
        values = [as_number(shape.get(key, "")) for key in ("xtl", "ytl", "xbr", "ybr")]
        if None in values:
            record.error = "Its <box> needs numeric xtl, ytl, xbr and ybr."
            return
        record.shapes["box"] = dict(zip(("x1", "y1", "x2", "y2"), values, strict=True))
        if as_number(shape.get("rotation", "0")) not in (0, None):
            record.warning = "Its rotation was left out (ImageTagger's boxes follow the image's axes)."
    elif kind == "mask":
        if not _cvat_mask(record, shape):
            return
    else:
        flat = []
        for pair in (shape.get("points") or "").split(";"):
            numbers = [as_number(value) for value in pair.split(",")]
            if len(numbers) != 2 or None in numbers:
                record.error = f"Its points must be “x,y;x,y…”, not “{shape.get('points')}”."
                return
            flat.extend(numbers)
        record.shapes["polygon" if kind == "polygon" else "points"] = _points(flat)
    record.concealed = shape.get("occluded") == "1"
    values = {}
    for attribute in shape.findall("attribute"):
        values[(attribute.get("name") or "").strip()] = attribute.text or ""
    if "blurred" in values:
        record.blurred = truth(values.pop("blurred"))
    if values:
        record.attributes = values
        record.attributes_text = True


def _cvat_mask(record, shape):
    box = [as_number(shape.get(key, "")) for key in ("left", "top", "width", "height")]
    runs = [as_number(run) for run in (shape.get("rle") or "").split(",")]
    if None in box or None in runs or not all(float(n).is_integer() and n >= 0 for n in box + runs):
        record.error = "Its <mask> needs whole numbers in rle, left, top, width and height."
        return False
    left, top, width, height = (int(n) for n in box)
    try:
        outline = mask_outline(row_runs_mask([int(run) for run in runs], width, height), offset=(left, top))
    except MaskError as error:
        record.error = f"Its mask could not be read: {error}."
        return False
    record.shapes["polygon"] = _points([value for point in outline.points for value in point])
    record.shape_notes["polygon"] = outline.note
    return True


# --- LabelMe ---------------------------------------------------------------------------------------

LABELME_SHAPES = {"rectangle": "box", "polygon": "polygon", "line": "points", "linestrip": "points", "point": "points"}


def parse_labelme(fileobj):
    """LabelMe JSON: one file per image (``imagePath``, ``shapes`` of ``rectangle``, ``polygon``,
    ``line``, ``linestrip`` and ``point``), alone or zipped. A shape's ``flags`` ``concealed`` and
    ``blurred`` are the flags; its ``attributes`` object (kept by LabelMe) the attribute values."""
    head = fileobj.read(4)
    fileobj.seek(0)
    counter = [0]
    if head.startswith(b"PK"):
        archive, members = _zip_members(fileobj, (".json",))
        if not members:
            raise ImportFileError("A LabelMe zip has a JSON file per image; this zip has none.")
        for info in members:
            yield from _labelme_file(archive.read(info), info.filename, counter)
    else:
        yield from _labelme_file(fileobj.read(), "the file", counter)


def _labelme_file(data, name, counter):
    try:
        document = jsontext.loads(data, what="The file")
    except JSONTextError as error:
        counter[0] += 1
        yield Record(counter[0], name, error=str(error))
        return
    if not isinstance(document, dict) or not isinstance(document.get("shapes"), list):
        counter[0] += 1
        yield Record(counter[0], name, error="A LabelMe file is a JSON object with “shapes” and “imagePath”.")
        return
    image = str(document.get("imagePath") or "").replace("\\", "/").lstrip("./")
    if not image:  # the JSON file sits beside its image and has its name
        image = name.rsplit(".", 1)[0]
    for index, shape in enumerate(document["shapes"], start=1):
        counter[0] += 1
        record = Record(counter[0], f"{name}, shape {index}", image=image, match_stem=True)
        if not isinstance(shape, dict):
            record.error = "A shape must be a JSON object."
        else:
            record.type = str(shape.get("label") or "").strip()
            _labelme_shape(record, shape)
        yield record


def _labelme_shape(record, shape):
    kind = shape.get("shape_type") or "polygon"
    if not isinstance(kind, str) or kind not in LABELME_SHAPES:
        record.error = f"LabelMe {kind} shapes cannot be imported (rectangles, polygons, lines and points can)."
        return
    points = shape.get("points")
    if not isinstance(points, list) or not all(
        isinstance(p, list) and len(p) == 2 and None not in (as_number(p[0]), as_number(p[1])) for p in points
    ):
        record.error = "Its points must be a list of [x, y] pairs."
        return
    flat = [as_number(value) for point in points for value in point]
    if kind == "rectangle":
        if len(points) != 2:
            record.error = "A rectangle has 2 points (two corners)."
            return
        x1, y1, x2, y2 = flat
        record.shapes["box"] = {"x1": min(x1, x2), "y1": min(y1, y2), "x2": max(x1, x2), "y2": max(y1, y2)}
    else:
        record.shapes[LABELME_SHAPES[kind]] = _points(flat)
    flags = shape.get("flags") if isinstance(shape.get("flags"), dict) else {}
    record.concealed = truth(flags.get("concealed", False))
    record.blurred = truth(flags.get("blurred", False))
    attributes = shape.get("attributes")
    if isinstance(attributes, dict) and attributes:
        record.attributes = attributes
    elif attributes is not None and not isinstance(attributes, dict):
        record.error = "Its “attributes” must be a JSON object."


# --- Label Studio ----------------------------------------------------------------------------------

LABEL_STUDIO_REGIONS = {"rectanglelabels": "box", "polygonlabels": "polygon", "keypointlabels": "points"}
_UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{8}-(.+)$")  # Label Studio renames uploads "8f2a1b3c-a.png"


def parse_labelstudio(fileobj):
    """Label Studio's JSON export: a list of tasks, ``data.image`` naming the image, ``annotations`` (made
    by people) and ``predictions`` (machine-made, with ``model_version`` and ``score``) holding
    ``result`` lists. Regions: ``rectanglelabels``, ``polygonlabels``, ``keypointlabels`` (x, y in
    percent of the image); ``choices`` of the image are image tags; per-region ``choices`` /
    ``textarea`` / ``number`` results (same ``id`` as the region) are its attribute values, the
    per-region choices of ``flags`` its concealed / blurred flags."""
    try:
        tasks = jsontext.loads(fileobj.read(), what="The file")
    except JSONTextError as error:
        raise ImportFileError(str(error)) from None
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list):
        raise ImportFileError("A Label Studio export is a JSON list of tasks (Export → JSON).")
    counter = 0
    for number, task in enumerate(tasks, start=1):
        data = task.get("data") if isinstance(task, dict) else None
        if not isinstance(data, dict):
            counter += 1
            yield Record(counter, f"task {number}", error="A task is a JSON object with “data” (its image).")
            continue
        if problem := _labelstudio_problem(task):
            counter += 1
            yield Record(counter, f"task {number}", error=f"Its {problem}")
            continue
        image = _labelstudio_image(data)
        groups = [(group, False) for group in task.get("annotations") or []]
        groups += [(group, True) for group in task.get("predictions") or []]
        for group, predicted in groups:
            if not isinstance(group, dict) or group.get("was_cancelled"):
                continue
            for record in _labelstudio_results(group, predicted, image, f"task {number} ({image})"):
                counter += 1
                record.number = counter
                yield record


def _labelstudio_problem(task):
    """Why a task's annotations or predictions cannot be read (None when they can)."""
    for key in ("annotations", "predictions"):
        if problem := _not_objects(task, key, " with “result”"):
            return problem
        for group in task.get(key) or []:
            if problem := _not_objects(group, "result", " (the regions)"):
                return problem
    return None


def _labelstudio_image(data):
    value = str(data.get("image") or next((v for v in data.values() if isinstance(v, str)), ""))
    if "?d=" in value:  # local files: /data/local-files/?d=images/day1/a.png
        value = value.split("?d=", 1)[1]
    path = value.split("?", 1)[0].rstrip("/")
    base = path.rsplit("/", 1)[-1]
    match = _UPLOAD_PREFIX.match(base)
    return match.group(1) if match else path.lstrip("/")


def _labelstudio_results(group, predicted, image, source):
    results = [item for item in _listed(group.get("result")) if isinstance(item.get("type"), str)]
    results = [{**item, "id": item.get("id") if _is_key(item.get("id")) else None} for item in results]
    regions = {item["id"]: item for item in results if item["type"] in LABEL_STUDIO_REGIONS and item["id"]}
    extras = {}
    for item in results:
        if item["type"] not in LABEL_STUDIO_REGIONS and item["id"] in regions:
            extras.setdefault(item["id"], []).append(item)
    model = str(group.get("model_version") or "")[:100] if predicted else ""
    for item in results:
        kind = item["type"]
        value = item.get("value") if isinstance(item.get("value"), dict) else {}
        if kind == "choices" and item["id"] not in regions:
            choices = value.get("choices")
            for choice in choices if isinstance(choices, list) else []:
                record = Record(0, f"{source}, choice {choice}", image=image, type=str(choice))
                record.given, record.tag = True, True
                _labelstudio_origin(record, predicted, model, item, group)
                yield record
            continue
        if kind not in LABEL_STUDIO_REGIONS:
            if item.get("id") not in regions:
                reason = f"Label Studio {kind} results cannot be imported."
                yield Record(0, f"{source}, {kind} result", image=image, error=reason)
            continue
        labels = value.get(kind) if isinstance(value.get(kind), list) else []
        record = Record(0, f"{source}, region {item.get('id')}", image=image, normalised=True)
        record.type = str(labels[0]) if labels else ""
        _labelstudio_origin(record, predicted, model, item, group)
        _labelstudio_region(record, kind, value)
        _labelstudio_extras(record, extras.get(item.get("id"), []))
        yield record


def _labelstudio_origin(record, predicted, model, item, group):
    if not predicted:
        return
    record.machine, record.model_name = True, model
    score = as_number(item.get("score", group.get("score")))
    if score is not None and 0 <= score <= 1:
        record.confidence = float(score)


def _labelstudio_region(record, kind, value):
    if kind == "rectanglelabels":
        numbers = [as_number(value.get(key)) for key in ("x", "y", "width", "height")]
        if None in numbers:
            record.error = "Its value needs numeric x, y, width and height (percent)."
            return
        x, y, w, h = (n / 100 for n in numbers)
        record.shapes["box"] = {"x1": x, "y1": y, "x2": x + w, "y2": y + h}
        if as_number(value.get("rotation", 0)) not in (0, None):
            record.warning = "Its rotation was left out (ImageTagger's boxes follow the image's axes)."
    elif kind == "polygonlabels":
        points = value.get("points")
        if not isinstance(points, list) or not all(
            isinstance(p, list) and len(p) == 2 and None not in (as_number(p[0]), as_number(p[1])) for p in points
        ):
            record.error = "Its points must be a list of [x, y] pairs (percent)."
            return
        record.shapes["polygon"] = _points([as_number(v) / 100 for point in points for v in point])
    else:
        x, y = as_number(value.get("x")), as_number(value.get("y"))
        if x is None or y is None:
            record.error = "Its value needs numeric x and y (percent)."
            return
        record.shapes["points"] = {"x1": x / 100, "y1": y / 100}


def _labelstudio_extras(record, items):
    values = {}
    for item in items:
        name = str(item.get("from_name") or "")
        value = item.get("value") if isinstance(item.get("value"), dict) else {}
        if name == "flags":
            chosen = value.get("choices") if isinstance(value.get("choices"), list) else []
            record.concealed, record.blurred = "concealed" in chosen, "blurred" in chosen
        elif "choices" in value:
            choices = value.get("choices")
            values[name] = choices[0] if isinstance(choices, list) and len(choices) == 1 else choices
        elif "text" in value:
            text = value.get("text")
            values[name] = text[0] if isinstance(text, list) and text else text
        elif "number" in value:
            values[name] = value.get("number")
    if values:
        record.attributes = values
        record.attributes_text = True


# --- Datumaro ---------------------------------------------------------------------------------------

DATUMARO_SHAPES = {"bbox": "box", "polygon": "polygon", "points": "points", "polyline": "points"}


def parse_datumaro(fileobj):
    """Datumaro's own JSON (``annotations/<subset>.json``, zipped with the dataset or alone): ``items``
    with ``bbox`` ([x, y, w, h]), ``polygon``, ``points``, ``polyline`` and ``label`` (an image tag)
    annotations; ``label_id`` indexes ``categories.label.labels``. Annotations sharing a ``group``
    are one label seen several ways (datumaro reads a COCO polygon as a polygon and its box): the type
    picks the shape it holds. ``occluded`` is the concealed flag, ``blurred`` the blurred flag, the
    other attributes the attribute values."""
    head = fileobj.read(4)
    fileobj.seek(0)
    if head.startswith(b"PK"):
        archive, members = _zip_members(fileobj, (".json",))
        members = [m for m in members if posixpath.basename(posixpath.dirname(m.filename)) == "annotations"]
        if not members:
            raise ImportFileError("A Datumaro zip has its labels in annotations/<subset>.json; this zip has none.")
        documents = [(archive.read(member), member.filename) for member in members]
    else:
        documents = [(fileobj.read(), "the file")]
    counter = [0]
    for data, name in documents:
        yield from _datumaro_file(data, name, counter)


def _datumaro_file(data, name, counter):
    where = name[0].upper() + name[1:]
    try:
        document = jsontext.loads(data, what=where)
    except JSONTextError as error:
        raise ImportFileError(str(error)) from None
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise ImportFileError("A Datumaro file is a JSON object with “categories” and “items”.")
    categories = document.get("categories")
    if not isinstance(categories, dict | None):
        raise ImportFileError(f"{where}: its “categories” must be an object, not {_json_kind(categories)}.")
    label_category = (categories or {}).get("label")
    if not isinstance(label_category, dict | None):
        raise ImportFileError(f"{where}: its “categories.label” must be an object, not {_json_kind(label_category)}.")
    for problem in (_not_objects(document, "items", " (the images)"), _not_objects(label_category or {}, "labels")):
        if problem:
            raise ImportFileError(f"{where}: its {problem.replace('“labels”', '“categories.label.labels”')}")
    labels = [str(label.get("name", "")) for label in (label_category or {}).get("labels") or []]
    for item in document["items"]:
        if problem := _not_objects(item, "annotations"):
            counter[0] += 1
            yield Record(counter[0], f"{name}, item {item.get('id')}", error=f"Its {problem}")
            continue
        image_info = item.get("image") if isinstance(item.get("image"), dict) else {}
        image = str(image_info.get("path") or item.get("id") or "")
        groups = {}
        for index, annotation in enumerate(_listed(item.get("annotations")), start=1):
            group = annotation.get("group")
            key = ("group", group) if _is_key(group) and group else ("alone", index)
            groups.setdefault(key, []).append(annotation)
        for annotations in groups.values():
            counter[0] += 1
            source = f"{name}, item {item.get('id')}, annotation {annotations[0].get('id')}"
            record = Record(counter[0], source, image=image, match_stem=not image_info.get("path"))
            _datumaro_record(record, annotations, labels)
            yield record


def _datumaro_record(record, annotations, labels):
    for annotation in annotations:
        kind = annotation.get("type")
        label_id = annotation.get("label_id")
        if not isinstance(label_id, int) or isinstance(label_id, bool) or not 0 <= label_id < len(labels):
            record.error = f"Its label_id {label_id!r} is not among the file's {len(labels)} labels."
            return
        record.type = labels[label_id]
        if kind == "label":
            record.given, record.tag = True, True
        elif kind in DATUMARO_SHAPES:
            values = annotation.get("bbox") if kind == "bbox" else annotation.get("points")
            if not isinstance(values, list) or not values or any(as_number(v) is None for v in values):
                record.error = f"Its {kind} needs a list of numbers."
                return
            numbers = [as_number(v) for v in values]
            if kind == "bbox":
                if len(numbers) != 4:
                    record.error = "A bbox is [x, y, width, height]."
                    return
                x, y, w, h = numbers
                record.shapes["box"] = {"x1": x, "y1": y, "x2": x + w, "y2": y + h}
            elif len(numbers) % 2:
                record.error = f"Its {kind} points must come in x, y pairs."
                return
            else:
                record.shapes[DATUMARO_SHAPES[kind]] = _points(numbers)
        else:
            record.error = f"Datumaro {kind} annotations cannot be imported."
            return
        attributes = annotation.get("attributes") if isinstance(annotation.get("attributes"), dict) else {}
        values = dict(attributes)
        values.pop("is_crowd", None)
        record.concealed = record.concealed or truth(values.pop("occluded", False))
        record.blurred = record.blurred or truth(values.pop("blurred", False))
        if values:
            record.attributes = {**(record.attributes or {}), **values}
            record.attributes_text = True


PARSERS = {
    "datumaro": parse_datumaro,
    "labelstudio": parse_labelstudio,
    "pipe": parse_pipe,
    "coco": parse_coco,
    "voc": parse_voc,
    "yolo": parse_yolo,
    "cvat": parse_cvat,
    "labelme": parse_labelme,
}
