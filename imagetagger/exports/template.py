"""The export placeholder language (reference spec §3.3 and §3.4), tokenised.

A template is split once into literal text and placeholders (``%%name``); rendering joins the
literals with the values. Values coming from data (image names, set names, descriptions, type names,
the rendered vector) are inserted as they are and never scanned again, so data containing ``%%…``
text comes out unchanged (the original's sequential ``str.replace`` re-substituted it, spec §14.4).

At each ``%%`` the longest placeholder known to that template kind is taken, so ``%%bry`` in a
vector format is ``%%br`` followed by ``y``, as in the original. Unknown ``%%…`` text stays literal
(``validate_templates`` reports it). No placeholder of one kind is a prefix of another of the same
kind, so for well-formed templates the output equals the original's.

Conditionals (``%%ifblurred``, ``%%ifnotblurred``, ``%%ifconcealed``, ``%%ifnotconcealed``) exist only
in the annotation format; each one runs up to the first following ``%%endif`` (no nesting). An
``%%if…`` without ``%%endif`` and a stray ``%%endif`` stay literal text (and fail validation).

Values are written with ``str()`` as the original did (``12``, ``60.0``, ``0.15625``), except that
missing values (``None``) are written as empty strings, not as ``None``.

Attributes (beyond the original), in the annotation, vector and not-in-image formats:
- ``%%attributes``: the label's attribute values as a compact JSON object (UTF-8, not escaped), keys in
  the order of the type's definitions (values of names the type no longer defines after them, sorted);
  ``{}`` when it has none.
- ``%%attr:NAME``: the value of attribute NAME as text: ``true``/``false`` for a checkbox, a JSON number
  (``0``, ``2.5``) for a number, the text itself for a text or select; empty when the label has no value.
  NAME is the longest run of letters, digits, ``_`` and ``-`` after the colon (so ``%%attr:colour,`` is
  the attribute ``colour`` followed by a comma). A name with any other character (a space, a dot …) is
  written in braces: ``%%attr:{truck type}``, NAME running up to the first ``}``. A ``%%attr`` in neither
  form stays literal and fails validation.

Image tags (types of kind "tag": a whole-image label, no vector) are written with the annotation
format, with ``%%vector`` and every geometry placeholder empty; the conditionals work as for shapes.
Only labels of "not in image" (no vector, a type that has shapes) use the not-in-image format.
"""

import json
import re
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Case, IntegerField, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from annotations.models import Annotation, AnnotationType, VectorType, Verification

KINDS = ("name", "base", "image", "annotation", "vector", "not_in_image")

_IMAGE = ("imageset", "imagewidth", "imageheight", "imagename", "imageid")
GEOMETRY = (
    "rad",
    "relrad",
    "dia",
    "reldia",
    "cx",
    "relcx",
    "cy",
    "relcy",
    "minx",
    "relminx",
    "maxx",
    "relmaxx",
    "miny",
    "relminy",
    "maxy",
    "relmaxy",
    "width",
    "relwidth",
    "height",
    "relheight",
)
CONDITIONALS = ("ifblurred", "ifnotblurred", "ifconcealed", "ifnotconcealed")
ENDIF = "endif"
# The attribute placeholders: ``%%attributes`` and ``%%attr:NAME`` / ``%%attr:{NAME}`` (see above).
ATTRIBUTES = "attributes"
ATTR_PREFIX = "attr:"
ATTRIBUTE_KINDS = ("annotation", "vector", "not_in_image")
_ATTR = r"attr:(?:\{(?P<braced>[^}\r\n]+)\}|(?P<bare>[\w-]+))"
_ATTR_AT = re.compile("%%" + _ATTR)

PLACEHOLDERS = {
    "name": ("imageset", "team", "setlocation", "exportid"),
    "base": ("content", "imageset", "setdescription", "team", "setlocation"),
    "image": (*_IMAGE, "annotations", "annoamount"),
    "annotation": (*_IMAGE, "type", "veriamount", "vector", *GEOMETRY, ATTRIBUTES),
    "vector": ("count0", "count1", "x", "relx", "y", "rely", "br", "sep", ATTRIBUTES),
    "not_in_image": (*_IMAGE, "type", "veriamount", ATTRIBUTES),
}

# Which model field holds which template kind, and the kind of each field.
FIELD_KINDS = {
    "name_format": "name",
    "base_format": "base",
    "image_format": "image",
    "annotation_format": "annotation",
    "vector_format": "vector",
    "not_in_image_format": "not_in_image",
}

DELETED_TEAM = "DeletedTeam"
BATCH_SIZE = 2000
CHUNK_CHARS = 64 * 1024


def _known(kind):
    names = PLACEHOLDERS[kind]
    if kind == "annotation":
        names = (*names, *CONDITIONALS, ENDIF)
    return names


def _pattern(kind):
    alternation = "|".join(re.escape(name) for name in sorted(_known(kind), key=len, reverse=True))
    if kind in ATTRIBUTE_KINDS:
        return re.compile(f"%%(?:{_ATTR}|(?P<name>{alternation}))")
    return re.compile(f"%%(?P<name>{alternation})")


def _match_name(match):
    """The placeholder a match of ``_PATTERNS`` names: ``"type"``, ``"attr:colour"`` …"""
    name = match.group("name")
    if name is not None:
        return name
    return ATTR_PREFIX + (match.group("braced") if match.group("braced") is not None else match.group("bare"))


_PATTERNS = {kind: _pattern(kind) for kind in KINDS}
_ANY_PLACEHOLDER = re.compile(r"%%([A-Za-z][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Placeholder:
    name: str


@dataclass(frozen=True)
class Conditional:
    name: str
    body: tuple


def tokenize(template, kind):
    """The template as a tuple of literal strings, ``Placeholder`` and ``Conditional`` tokens."""
    template = template or ""
    flat = []
    position = 0
    for match in _PATTERNS[kind].finditer(template):
        if match.start() > position:
            flat.append(template[position : match.start()])
        flat.append(Placeholder(_match_name(match)))
        position = match.end()
    if position < len(template):
        flat.append(template[position:])
    return tuple(_fold_conditionals(flat))


def _fold_conditionals(flat):
    out = []
    index = 0
    while index < len(flat):
        token = flat[index]
        if isinstance(token, Placeholder) and token.name in CONDITIONALS:
            end = next(
                (j for j in range(index + 1, len(flat)) if isinstance(flat[j], Placeholder) and flat[j].name == ENDIF),
                None,
            )
            if end is None:  # unterminated: literal text
                out.append("%%" + token.name)
                index += 1
                continue
            body = tuple(_literal_conditionals(flat[index + 1 : end]))
            out.append(Conditional(token.name, body))
            index = end + 1
            continue
        if isinstance(token, Placeholder) and token.name == ENDIF:  # stray %%endif: literal
            out.append("%%" + ENDIF)
        else:
            out.append(token)
        index += 1
    return _merge_literals(out)


def _literal_conditionals(tokens):
    # A %%if… inside a conditional body would be nesting, which the language does not have.
    for token in tokens:
        if isinstance(token, Placeholder) and token.name in CONDITIONALS:
            yield "%%" + token.name
        else:
            yield token


def _merge_literals(tokens):
    merged = []
    for token in tokens:
        if isinstance(token, str) and merged and isinstance(merged[-1], str):
            merged[-1] += token
        else:
            merged.append(token)
    return merged


def placeholders_used(tokens):
    names = set()
    for token in tokens:
        if isinstance(token, Placeholder):
            names.add(token.name)
        elif isinstance(token, Conditional):
            names |= placeholders_used(token.body)
    return names


def fmt(value):
    """A value as the original wrote it with ``str()``, but ``None`` as an empty string."""
    return "" if value is None else str(value)


def _json_text(value):
    return json.dumps(value, ensure_ascii=False)[1:-1]


def _csv_text(value):
    if any(character in value for character in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


# How a format's ``output`` writes text values (names, descriptions, type names, text attributes).
ESCAPES = {"text": str, "jsonl": _json_text, "json": _json_text, "csv": _csv_text}


def render_tokens(tokens, values, flags=None):
    """Join ``tokens``; ``values`` maps placeholder names to already formatted strings;
    ``flags`` maps conditional names to booleans."""
    parts = []
    for token in tokens:
        if isinstance(token, str):
            parts.append(token)
        elif isinstance(token, Placeholder):
            parts.append(values.get(token.name, "%%" + token.name))
        elif flags and flags.get(token.name):
            parts.append(render_tokens(token.body, values))
    return "".join(parts)


# --- validation ---------------------------------------------------------------------------------


def unknown_placeholders(template, kind):
    """The ``%%words`` of ``template`` that start with no placeholder of ``kind``, in order."""
    known = _known(kind)
    unknown = []
    for match in _ANY_PLACEHOLDER.finditer(template or ""):
        word = match.group(1)
        if kind in ATTRIBUTE_KINDS and _ATTR_AT.match(template, match.start()):
            continue
        if not any(word.startswith(name) for name in known) and "%%" + word not in unknown:
            unknown.append("%%" + word)
    return unknown


def attribute_names_used(template, kind):
    """The attribute names of the ``%%attr:`` placeholders of ``template``, in order, once each."""
    names = []
    if kind in ATTRIBUTE_KINDS:
        for match in _PATTERNS[kind].finditer(template or ""):
            name = _match_name(match)
            if name.startswith(ATTR_PREFIX) and name[len(ATTR_PREFIX) :] not in names:
                names.append(name[len(ATTR_PREFIX) :])
    return names


def conditional_errors(template):
    """Problems with the conditionals of an annotation format: unterminated, nested, stray ``%%endif``."""
    errors = []
    open_name = None
    for match in _PATTERNS["annotation"].finditer(template or ""):
        name = _match_name(match)
        if name in CONDITIONALS:
            if open_name is not None:
                errors.append(f"%%{name} inside %%{open_name}: conditionals cannot be nested.")
            else:
                open_name = name
        elif name == ENDIF:
            if open_name is None:
                errors.append("%%endif without an opening %%if….")
            open_name = None
    if open_name is not None:
        errors.append(f"%%{open_name} has no closing %%endif.")
    return errors


def validate_templates(fields, *, image_aggregation=False):
    """``{field_name: [error, …]}`` for the template fields in ``fields`` (a dict of field name →
    template text); empty when everything is fine."""
    errors = {}
    for field, text in fields.items():
        kind = FIELD_KINDS.get(field)
        if kind is None or (kind == "image" and not image_aggregation and not text):
            continue
        messages = []
        unknown = unknown_placeholders(text, kind)
        if unknown:
            messages.append(f"Unknown placeholder{'s' if len(unknown) > 1 else ''} here: {', '.join(unknown)}.")
            if kind in ATTRIBUTE_KINDS and "%%attr" in unknown:
                messages.append(
                    "%%attr needs an attribute name: %%attr:NAME (letters, digits, _ and -) or %%attr:{NAME}."
                )
        if kind == "annotation":
            messages.extend(conditional_errors(text))
        if kind == "base" and "%%content" not in (text or ""):
            messages.append("The base format must contain %%content.")
        if kind == "image" and image_aggregation and "%%annotations" not in (text or ""):
            messages.append("The image format should contain %%annotations when grouping by images.")
        if messages:
            errors[field] = messages
    return errors


# --- geometry -----------------------------------------------------------------------------------


# ``(x key, y key, count0, count1)`` of the first points, made once (``point_keys``).
_POINT_KEYS = []


def point_keys(count):
    """``[("x1", "y1", "0", "1"), …]`` for ``count`` points."""
    while len(_POINT_KEYS) < count:
        number = len(_POINT_KEYS) + 1
        _POINT_KEYS.append((f"x{number}", f"y{number}", str(number - 1), str(number)))
    return _POINT_KEYS[:count]


def vector_points(vector):
    """``[(x1, y1), …, (xN, yN)]`` with N = number of keys / 2."""
    return [(vector.get(f"x{i}"), vector.get(f"y{i}")) for i in range(1, len(vector) // 2 + 1)]


def geometry(vector, vector_type, image_width, image_height, names=None):
    """The derived values of spec §1.3.2, formatted. Fixes: widths are never negative (max − min), a
    multi-line's centre is its bounding-box centre instead of (0, 0)."""
    xs = [value for key, value in vector.items() if key.startswith("x")]
    ys = [value for key, value in vector.items() if key.startswith("y")]
    min_x, max_x, min_y, max_y = min(xs), max(xs), min(ys), max(ys)
    width = max_x - min_x
    height = max_y - min_y
    diameter = (width + height) / 2 if vector_type in (VectorType.BOUNDING_BOX, VectorType.POLYGON) else 0
    radius = diameter / 2
    if vector_type == VectorType.POINT:
        cx, cy = vector.get("x1", min_x), vector.get("y1", min_y)
    else:
        cx, cy = min_x + width / 2, min_y + height / 2
    relrad = (radius / image_width + radius / image_height) / 2 if image_width and image_height else None

    def rel_x(value):
        return value / image_width if image_width else None

    def rel_y(value):
        return value / image_height if image_height else None

    values = {
        "rad": radius,
        "relrad": relrad,
        "dia": diameter,
        "reldia": None if relrad is None else relrad * 2,
        "cx": cx,
        "relcx": rel_x(cx),
        "cy": cy,
        "relcy": rel_y(cy),
        "minx": min_x,
        "relminx": rel_x(min_x),
        "maxx": max_x,
        "relmaxx": rel_x(max_x),
        "miny": min_y,
        "relminy": rel_y(min_y),
        "maxy": max_y,
        "relmaxy": rel_y(max_y),
        "width": width,
        "relwidth": rel_x(width),
        "height": height,
        "relheight": rel_y(height),
    }
    if names is None:
        names = values
    return {name: fmt(values[name]) for name in names}


# --- rendering ----------------------------------------------------------------------------------


def team_name(image_set):
    return image_set.team.name if image_set.team_id is not None else DELETED_TEAM


def set_values(image_set):
    return {
        "imageset": fmt(image_set.name),
        "team": team_name(image_set),
        "setlocation": fmt(image_set.location),
        "setdescription": fmt(image_set.description),
    }


def render_filename(export_format, image_set, export_id=None):
    """The file name from ``name_format``; ``%%exportid`` stays literal while ``export_id`` is None."""
    values = set_values(image_set)
    if export_id is not None:
        values["exportid"] = str(export_id)
    return render_tokens(tokenize(export_format.name_format, "name"), values)


def selected_annotations(export_format, image_set, *, type_ids=None):
    """The annotations an export of ``image_set`` in ``export_format`` writes (spec §3.2), in the
    order image name, image id, annotation id, with ``score``, image and type loaded."""
    if type_ids is None:
        type_ids = list(export_format.annotation_types.values_list("pk", flat=True))
    queryset = Annotation.objects.filter(image__image_set=image_set, annotation_type_id__in=type_ids)
    if not export_format.include_blurred:
        queryset = queryset.filter(blurred_flag=False)
    if not export_format.include_concealed:
        queryset = queryset.filter(concealed_flag=False)
    return (
        queryset.with_score()
        .filter(score__gte=export_format.min_verifications)
        .select_related("image", "annotation_type")
        .order_by("image__name", "image_id", "id")
    )


def score_expression():
    """An annotation's score (accepts − rejects) as a correlated subquery over its votes (0 without
    any): one index probe per row, where ``with_score()`` joins every vote and groups every row."""
    votes = (
        Verification.objects.filter(annotation_id=OuterRef("pk"))
        .order_by()
        .values("annotation_id")
        .annotate(total=Sum(Case(When(verified=True, then=Value(1)), default=Value(-1), output_field=IntegerField())))
        .values("total")
    )
    return Coalesce(Subquery(votes, output_field=IntegerField()), Value(0))


def _selection(export_format, image_set, type_ids):
    """``selected_annotations`` without the grouping: the score is ``score_expression`` (an alias)."""
    queryset = Annotation.objects.filter(image__image_set=image_set, annotation_type_id__in=type_ids)
    if not export_format.include_blurred:
        queryset = queryset.filter(blurred_flag=False)
    if not export_format.include_concealed:
        queryset = queryset.filter(concealed_flag=False)
    return queryset


def count_selected(export_format, image_set, *, type_ids=None):
    """``selected_annotations(…).count()``, computed without grouping every row."""
    if type_ids is None:
        type_ids = list(export_format.annotation_types.values_list("pk", flat=True))
    if not type_ids:
        return 0
    return (
        _selection(export_format, image_set, type_ids)
        .alias(score=score_expression())
        .filter(score__gte=export_format.min_verifications)
        .count()
    )


def export_rows(export_format, image_set, type_ids, fields, *, limit=None, batch_size=BATCH_SIZE):
    """The rows of ``selected_annotations`` as plain tuples of ``fields`` (``score`` is the score), in
    export order, straight from a database cursor: no model instances and no per-value converters, so
    JSON columns come as their text (see ``CompiledFormat.render_row``) and booleans may be 0/1."""
    if not type_ids:
        return
    queryset = (
        _selection(export_format, image_set, type_ids)
        .annotate(score=score_expression())
        .filter(score__gte=export_format.min_verifications)
        .order_by("image__name", "image_id", "id")
        .values_list(*fields)
    )
    if limit is not None:
        queryset = queryset[:limit]
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return
    # A server-side cursor on PostgreSQL (as ``QuerySet.iterator`` uses), so rows arrive in batches.
    chunked = limit is None and not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    with connection.chunked_cursor() if chunked else connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(batch_size):
            yield from rows


# One selected annotation as ``render_export`` reads it: plain values, no model instances.
ROW_FIELDS = (
    "image_id",
    "image__name",
    "image__width",
    "image__height",
    "annotation_type__name",
    "annotation_type__vector_type",
    "annotation_type__enable_blurred",
    "annotation_type__enable_concealed",
    "vector",
    "blurred_flag",
    "concealed_flag",
    "score",
)
# Read only when the templates write attributes.
ATTRIBUTE_ROW_FIELDS = ("attributes", "annotation_type_id")


# The vector format's placeholders as positions of ``str.format`` (``CompiledFormat.vector_call``).
_VECTOR_POSITIONS = {"count0": "0", "count1": "1", "x": "2", "y": "3", "br": "4", "relx": "5", "rely": "6"}
_scan_json = json.JSONDecoder().scan_once


def _decode_json(text):
    """A JSON column's text as Python values: the C scanner called directly (``json.loads`` adds two
    layers of calls and two regular-expression matches per value)."""
    try:
        return _scan_json(text, 0)[0]
    except StopIteration:  # leading white space, or not JSON: json.loads explains
        return json.loads(text)


class _Values(dict):
    """Placeholder values for ``str.format_map``; one without a value stays literal text."""

    def __missing__(self, key):
        return "%%" + key


def to_format_string(tokens, flags=None, key=None):
    """The tokens as a ``str.format_map`` string: literals with their braces doubled, placeholders as
    ``{name}``, conditionals resolved with ``flags`` (dropped without them). The values are inserted
    by ``format_map`` in one pass (C speed) and never scanned again. ``key`` maps a placeholder name to
    its field (default ``value_key``; e.g. positions for ``str.format(*values)``)."""
    key = key or value_key
    parts = []
    for token in tokens:
        if isinstance(token, str):
            parts.append(token.replace("{", "{{").replace("}", "}}"))
        elif isinstance(token, Placeholder):
            parts.append("{" + key(token.name) + "}")
        elif flags and flags.get(token.name):
            parts.append(to_format_string(token.body, key=key))
    return "".join(parts)


# One encoder for all (``json.dumps`` with options builds a new one per call): compact, UTF-8 as is.
COMPACT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def value_key(name):
    """The ``format_map`` key of a placeholder: its name, or for ``attr:NAME`` (any characters) a key
    made of the name's UTF-8 bytes in hex, which ``str.format`` reads as one plain field name."""
    if name.startswith(ATTR_PREFIX):
        return "attr_" + name[len(ATTR_PREFIX) :].encode().hex()
    return name


def attribute_text(value):
    """An attribute value as ``%%attr:NAME`` writes it: true/false, a JSON number, the text; "" for none."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return json.dumps(value)
    return COMPACT_JSON.encode(value)


def ordered_attributes(values, order):
    """``values`` (a dict) with its keys in ``order`` (a type's definition names), others after, sorted."""
    if not values:
        return {}
    ordered = {name: values[name] for name in order if name in values}
    if len(ordered) != len(values):
        for name in sorted(name for name in values if name not in ordered):
            ordered[name] = values[name]
    return ordered


def attributes_json(values, order=()):
    """``%%attributes``: the values as compact JSON in definition order; ``{}`` when there are none."""
    if not values:
        return "{}"
    return COMPACT_JSON.encode(ordered_attributes(values, order))


def _flags(blurred, concealed):
    return {
        "ifblurred": blurred,
        "ifnotblurred": not blurred,
        "ifconcealed": concealed,
        "ifnotconcealed": not concealed,
    }


class CompiledFormat:
    """An export format's templates, tokenised once and turned into ``format_map`` strings."""

    def __init__(self, export_format):
        self.export_format = export_format
        self.aggregate = export_format.image_aggregation
        output = getattr(export_format, "output", "text") or "text"
        self.escape = ESCAPES[output]
        # The original's %%content starts with an empty line; files meant to be parsed do not.
        self.leading_newline = output == "text"
        self.base = tokenize(export_format.base_format, "base")
        image = tokenize(export_format.image_format, "image")
        annotation = tokenize(export_format.annotation_format, "annotation")
        vector = tokenize(export_format.vector_format, "vector")
        self.image_format = to_format_string(image)
        # One string per (blurred, concealed): the conditionals are resolved here, once.
        self.annotation_formats = {
            (blurred, concealed): to_format_string(annotation, _flags(blurred, concealed))
            for blurred in (False, True)
            for concealed in (False, True)
        }
        self.vector_format = to_format_string(vector)
        # Without attribute placeholders every vector placeholder is one of ``_VECTOR_POSITIONS``: the
        # points are then written with one ``str.format`` call each, from positional values.
        self.vector_call = None
        self.vector_needs_separator = "sep" in placeholders_used(vector)
        if not self.vector_needs_separator and not any(
            name == ATTRIBUTES or name.startswith(ATTR_PREFIX) for name in placeholders_used(vector)
        ):
            self.vector_call = to_format_string(vector, key=_VECTOR_POSITIONS.__getitem__).format
        not_in_image = tokenize(export_format.not_in_image_format, "not_in_image")
        self.not_in_image_format = to_format_string(not_in_image)
        used = placeholders_used(annotation)
        self.geometry_used = used & set(GEOMETRY)
        self.empty_geometry = dict.fromkeys(self.geometry_used, "")
        self.needs_vector = "vector" in used
        vector_used = placeholders_used(vector)
        self.vector_needs_relative = bool(vector_used & {"relx", "rely"})
        # Attribute placeholders anywhere a label is written: rows then carry the label's values.
        attribute_used = {
            name
            for name in used | vector_used | placeholders_used(not_in_image)
            if name == ATTRIBUTES or name.startswith(ATTR_PREFIX)
        }
        self.attribute_json = ATTRIBUTES in attribute_used
        self.attribute_keys = [
            (value_key(name), name[len(ATTR_PREFIX) :]) for name in sorted(attribute_used) if name != ATTRIBUTES
        ]
        self.needs_attributes = bool(attribute_used)
        self.vector_needs_attributes = any(name == ATTRIBUTES or name.startswith(ATTR_PREFIX) for name in vector_used)
        self.attribute_order = {}  # type id → its attribute names in definition order (``load_types``)

    def load_types(self, type_ids):
        """Read the attribute order of the exported types (one query, only when attributes are written)."""
        if self.attribute_json:
            self.attribute_order = {
                pk: [definition.get("name") for definition in definitions or ()]
                for pk, definitions in AnnotationType.objects.filter(pk__in=type_ids).values_list("pk", "attributes")
            }

    def row_fields(self):
        return ROW_FIELDS + ATTRIBUTE_ROW_FIELDS if self.needs_attributes else ROW_FIELDS

    def attribute_values(self, values, type_id):
        """The attribute placeholders' values of one label."""
        values = values or {}
        escape = self.escape
        out = {key: escape(attribute_text(values.get(name))) for key, name in self.attribute_keys}
        if self.attribute_json:
            # Already JSON: inserted as it is in JSON outputs, quoted as one field in CSV.
            text = attributes_json(values, self.attribute_order.get(type_id, ()))
            out[ATTRIBUTES] = _csv_text(text) if escape is _csv_text else text
        return out

    def set_values(self, image_set):
        """The set's placeholders, text escaped for the format's output."""
        return {name: self.escape(value) for name, value in set_values(image_set).items()}

    def image_values(self, image_set_values, image_id, name, width, height):
        return {
            "imageset": image_set_values["imageset"],
            "imagewidth": fmt(width),
            "imageheight": fmt(height),
            "imagename": self.escape(fmt(name)),
            "imageid": fmt(image_id),
        }

    def render_vector(self, vector, width, height, label_values=None):
        keys = point_keys(len(vector) // 2)
        get = vector.get
        call = self.vector_call
        if call is not None and not label_values:
            if not self.vector_needs_relative:
                return "".join(
                    [
                        call(
                            count0,
                            count1,
                            "" if (x := get(x_key)) is None else str(x),
                            "" if (y := get(y_key)) is None else str(y),
                            "\n",
                        )
                        for x_key, y_key, count0, count1 in keys
                    ]
                )
            parts = []
            for x_key, y_key, count0, count1 in keys:
                x, y = get(x_key), get(y_key)
                parts.append(
                    call(
                        count0,
                        count1,
                        "" if x is None else str(x),
                        "" if y is None else str(y),
                        "\n",
                        str(x / float(width)) if width and x is not None else "",
                        str(y / float(height)) if height and y is not None else "",
                    )
                )
            return "".join(parts)
        vector_format = self.vector_format
        relative = self.vector_needs_relative
        last = len(keys) - 1
        parts = []
        for index, (x_key, y_key, count0, count1) in enumerate(keys):
            x, y = get(x_key), get(y_key)
            values = _Values(count0=count0, count1=count1, x=fmt(x), y=fmt(y), br="\n")
            values["sep"] = "" if index == last else ","
            if relative:
                values["relx"] = fmt(x / float(width)) if width and x is not None else ""
                values["rely"] = fmt(y / float(height)) if height and y is not None else ""
            if label_values:
                values.update(label_values)
            parts.append(vector_format.format_map(values))
        return "".join(parts)

    def render_row(self, row, values):
        """The text of one annotation (a ``ROW_FIELDS`` tuple, plus ``ATTRIBUTE_ROW_FIELDS`` when the
        templates write attributes). ``values``: the image's ``_Values``, which this fills with the
        annotation's own (every row sets the same keys, so one dict serves all rows of an image)."""
        width, height, type_name, vector_type, enable_blurred, enable_concealed, vector, blurred, concealed, score = (
            row[2:12]
        )
        values["type"] = self.escape(fmt(type_name))
        values["veriamount"] = fmt(score)
        # Rows straight from a cursor (``export_rows``) carry JSON columns as text.
        if vector.__class__ is str:
            vector = _decode_json(vector)
        label_values = None
        if self.needs_attributes:
            attributes = row[12]
            label_values = self.attribute_values(
                _decode_json(attributes) if attributes.__class__ is str else attributes, row[13]
            )
            values.update(label_values)
        if vector_type == VectorType.TAG:  # a whole-image tag: the annotation format, no geometry
            values["vector"] = ""
            values.update(self.empty_geometry)
        elif not vector:  # not in image
            return self.not_in_image_format.format_map(values)
        else:
            if self.needs_vector:
                values["vector"] = self.render_vector(
                    vector, width, height, label_values if self.vector_needs_attributes else None
                )
            if self.geometry_used:
                values.update(geometry(vector, vector_type, width, height, self.geometry_used))
        # The derived flags (spec §1.3.2): meaningful for the type, and never for "not in image".
        return self.annotation_formats[
            (bool(enable_blurred and blurred), bool(enable_concealed and concealed))
        ].format_map(values)

    def render_image(self, image_values, annotation_texts):
        values = _Values(image_values)
        values["annotations"] = "".join(text + "\n" for text in annotation_texts)
        values["annoamount"] = str(len(annotation_texts))
        return self.image_format.format_map(values)

    def content(self, rows, image_set_values, stats, written=None):
        """CONTENT of spec §3.3 as a stream of strings, from ``ROW_FIELDS`` tuples in export order (the
        leading empty line only for plain-text formats)."""
        if self.leading_newline:
            yield "\n"
        current_image_id = None
        current_values = None
        pending = []  # the current image's annotation texts (aggregated mode)
        if written is None:
            written = {}  # type name → annotations written
        for row in rows:
            stats["annotations"] += 1
            written[row[4]] = written.get(row[4], 0) + 1
            if row[0] != current_image_id:
                if pending:
                    yield self.render_image(current_values, pending) + "\n"
                    pending = []
                current_image_id = row[0]
                current_values = _Values(self.image_values(image_set_values, *row[:4]))
            text = self.render_row(row, current_values)
            if self.aggregate:
                pending.append(text)
            else:
                yield text + "\n"
        if pending:
            yield self.render_image(current_values, pending) + "\n"


def _buffered(pieces):
    size = CHUNK_CHARS
    buffer = []
    length = 0
    for piece in pieces:
        buffer.append(piece)
        length += len(piece)
        if length >= size:
            yield "".join(buffer)
            buffer, length = [], 0
    if buffer:
        yield "".join(buffer)


def render_export(export_format, image_set, *, limit=None, batch_size=BATCH_SIZE, type_ids=None, written=None):
    """Render ``export_format`` for ``image_set``: ``(chunks, stats)``.

    ``chunks`` is a generator of text pieces (about 64 KiB each) that reads the annotations in
    batches of ``batch_size`` (one query per batch), so the whole text is never in memory.
    ``stats["annotations"]`` counts the annotations written; it is final once ``chunks`` is
    exhausted. ``written``, a dict, is filled with the counts per type name (when a ``%%content`` is
    rendered; the first one counts). ``limit`` renders only the first ``limit`` annotations (previews); ``type_ids``
    replaces the format's annotation types (previews of unsaved formats).
    """
    stats = {"annotations": 0}
    compiled = CompiledFormat(export_format)
    if type_ids is None:
        type_ids = list(export_format.annotation_types.values_list("pk", flat=True))
    compiled.load_types(type_ids)
    values = compiled.set_values(image_set)

    def annotations():
        return export_rows(
            export_format, image_set, type_ids, compiled.row_fields(), limit=limit, batch_size=batch_size
        )

    def pieces():
        content_passes = 0
        for token in compiled.base:
            if isinstance(token, str):
                yield token
            elif token.name == "content":
                # The content is written again for each %%content (rare); only the first pass counts.
                first = content_passes == 0
                pass_stats = stats if first else {"annotations": 0}
                content_passes += 1
                yield from compiled.content(annotations(), values, pass_stats, written if first else None)
            else:
                yield values.get(token.name, "%%" + token.name)

    return _buffered(pieces()), stats


def render_to_string(export_format, image_set, **options):
    """The whole text (tests and previews only)."""
    chunks, stats = render_export(export_format, image_set, **options)
    return "".join(chunks), stats
