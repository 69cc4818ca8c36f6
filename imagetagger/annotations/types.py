"""Managing annotation types: site types (staff) and team types (the team's admins). Each function
is one transaction.

Who may do what (``permissions.annotation_type_permissions`` / ``users.permissions.team_permissions``):
- a site type (``team`` null) is created, changed, deleted and migrated by site staff only;
- a team's type is created by the team's admins (the team permission ``manage_annotation_types``)
  and changed, deleted and migrated by those holding ``manage`` on it (the same admins). Nobody
  else, staff included: a team's schema is the team's.

Rules kept here:
- names are 1–20 characters and unique whatever their case within their owner (site types among
  site types, a team's among that team's): "Ball" and "ball" side by side would be confusing. The
  database's constraints back this; a race answers the same message;
- ``color`` is "#rrggbb" (stored lower case); none given → the owner's next palette colour;
- ``sort_order`` (position in pickers and legends) defaults to the owner's largest plus one;
- ``shortcut`` (the key 1–9 that picks the type on the annotate page) is unique among the owner's
  active types;
- ``node_count`` only means something for polygons (0 or ≥ 3) and multi-lines (0 or ≥ 2); other
  geometries take 0. Geometry (``vector_type``, ``node_count``) is fixed once the type exists: the
  only change offered is the box → polygon migration, which converts the stored vectors with it;
- a tag type (``VectorType.TAG``) labels a whole image: no geometry, node count 0. Its
  ``enable_concealed`` / ``enable_blurred`` switches are kept as given but mean nothing (a tag is
  never concealed or blurred, see ``Annotation.concealed``);
- ``attributes`` are checked by ``attributes.clean_definitions``; a change of the definitions must
  keep every existing label valid (``_check_labels``): it is refused, with the number of labels and
  the attribute's name, while labels hold values the new definitions refuse (an attribute removed,
  its kind changed, a select value removed, min/max/step/max_length narrowed) or lack a value that
  becomes required without a default. A new (or newly required) attribute with a default gives that
  default to the labels lacking a value (one UPDATE per attribute, no version change: the value is
  what the label would get anyway when next saved);
- a type is never deleted while annotations use it (deactivate it instead);
- the migration turns every box into its 4 corners in a fixed number of queries, bumps each
  annotation's version, records a history entry per annotation, deletes the votes on the converted
  annotations and takes the accepted ones off their creators' points. "Not in image" annotations
  of the type keep their votes: their meaning does not change;
- a dissolved team's types (``release_team_types``): unused ones are deleted, used ones become
  inactive site types, so that the labels of the sets it set free keep their type.
"""

import json
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, Func, IntegerField, JSONField, Max, OuterRef, Q, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, JSONObject, Now

from users.permissions import team_permissions

from . import attributes as attribute_rules
from .models import (
    Annotation,
    AnnotationHistory,
    AnnotationType,
    AttributeKind,
    HistoryAction,
    VectorType,
    Verification,
)
from .palette import is_color, next_color, normalize_color
from .permissions import annotation_type_permissions, may_manage_annotation_types
from .services import SNAPSHOT_FIELDS, history_entry, snapshot
from .votes import accepts_from_others, discard_votes

NAME_MAX_LENGTH = AnnotationType._meta.get_field("name").max_length
MAX_NODE_COUNT = 1000
MAX_SORT_ORDER = 1_000_000
SHORTCUTS = range(1, 10)
MIGRATION_NODE_COUNTS = (0, 4)
UNSET = object()
COLOR_FORMAT = "Give the colour as #rrggbb (six hexadecimal digits), e.g. #e6194b."
SITE_STAFF_ONLY = "Only site staff may manage site annotation types."


def team_admins_only(team_name):
    return f"Only the admins of the team “{team_name}” may manage its annotation types."


# --- permissions ---------------------------------------------------------------------------------


def _require_create(actor, team):
    if team is None:
        if not may_manage_annotation_types(actor):
            raise PermissionDenied(SITE_STAFF_ONLY)
    elif "manage_annotation_types" not in team_permissions(actor, team):
        raise PermissionDenied(team_admins_only(team.name))


def _require_manage(actor, annotation_type):
    if "manage" not in annotation_type_permissions(actor, annotation_type):
        if annotation_type.team_id is None:
            raise PermissionDenied(SITE_STAFF_ONLY)
        raise PermissionDenied(team_admins_only(annotation_type.team.name))


def _owned_like(team_id):
    """The types of the same owner: the site's (``team_id`` None) or a team's."""
    if team_id is None:
        return AnnotationType.objects.site()
    return AnnotationType.objects.filter(team_id=team_id)


# --- field rules ---------------------------------------------------------------------------------


def _name_taken(name, team_id):
    if team_id is None:
        return f"There is already an annotation type named “{name}”."
    return f"Your team already has an annotation type named “{name}”."


def _clean_name(name, *, team_id=None, exclude_pk=None):
    if not isinstance(name, str):
        raise ValidationError({"name": "Give the name as text."})
    name = name.strip()
    if not name:
        raise ValidationError({"name": "The name must not be empty."})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": f"The name has {len(name)} characters; at most {NAME_MAX_LENGTH} are allowed."})
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        raise ValidationError({"name": "The name must not contain control characters."})
    clash = _owned_like(team_id).filter(name__iexact=name).exclude(pk=exclude_pk).first()
    if clash is not None:
        raise ValidationError({"name": _name_taken(clash.name, team_id)})
    return name


def _clean_bool(field, value):
    if not isinstance(value, bool):
        raise ValidationError({field: "Must be true or false."})
    return value


def _clean_color(color, team_id, *, exclude_pk=None):
    if color is None:
        return next_color(_owned_like(team_id).exclude(pk=exclude_pk).values_list("color", flat=True))
    if not is_color(color):
        raise ValidationError({"color": COLOR_FORMAT})
    return normalize_color(color)


def _whole_number(value):
    return not isinstance(value, bool) and isinstance(value, int)


def _clean_sort_order(sort_order, team_id):
    if sort_order is None:
        highest = _owned_like(team_id).aggregate(highest=Max("sort_order"))["highest"]
        return 0 if highest is None else min(highest + 1, MAX_SORT_ORDER)
    if not _whole_number(sort_order) or not 0 <= sort_order <= MAX_SORT_ORDER:
        raise ValidationError({"sort_order": f"Give the position as a whole number from 0 to {MAX_SORT_ORDER}."})
    return sort_order


def _clean_shortcut(shortcut, *, team_id, active, exclude_pk=None):
    """The key 1–9 or None; refused when another active type of the owner has it (while this one is
    active: inactive types are not on the annotate page)."""
    if shortcut is None:
        return None
    if not _whole_number(shortcut) or shortcut not in SHORTCUTS:
        raise ValidationError({"shortcut": "Give the keyboard number as a whole number from 1 to 9, or none."})
    if active:
        other = _owned_like(team_id).active().filter(shortcut=shortcut).exclude(pk=exclude_pk).first()
        if other is not None:
            raise ValidationError(
                {"shortcut": f"The key {shortcut} already picks the type “{other.name}”; choose another key or none."}
            )
    return shortcut


def _clean_geometry(vector_type, node_count):
    if isinstance(vector_type, bool) or not isinstance(vector_type, int) or vector_type not in VectorType.values:
        choices = ", ".join(f"{choice.value} ({choice.label})" for choice in VectorType)
        raise ValidationError({"vector_type": f"Choose one of {choices}."})
    if isinstance(node_count, bool) or not isinstance(node_count, int):
        raise ValidationError({"node_count": "Give the node count as a whole number (0 = any number)."})
    if node_count < 0 or node_count > MAX_NODE_COUNT:
        raise ValidationError({"node_count": f"The node count must be from 0 (any number) to {MAX_NODE_COUNT}."})
    if vector_type == VectorType.POLYGON and 0 < node_count < 3:
        raise ValidationError({"node_count": "A polygon has at least 3 nodes: use 0 (any number) or 3 and more."})
    if vector_type == VectorType.MULTI_LINE and node_count == 1:
        raise ValidationError({"node_count": "A multi-line has at least 2 nodes: use 0 (any number) or 2 and more."})
    if vector_type not in (VectorType.POLYGON, VectorType.MULTI_LINE) and node_count != 0:
        label = VectorType(vector_type).label.lower()
        raise ValidationError(
            {"node_count": f"The node count applies only to polygons and multi-lines; a {label} type takes 0."}
        )


def _save(annotation_type, **kwargs):
    try:
        with transaction.atomic():
            annotation_type.save(**kwargs)
    except IntegrityError:  # the name, taken meanwhile (the case-insensitive unique constraints)
        raise ValidationError({"name": _name_taken(annotation_type.name, annotation_type.team_id)}) from None


def _lock_owner(team):
    """Serialise the changes to one team's types (sort order, shortcuts) by locking the team's row."""
    if team is not None:
        from users.models import Team

        Team.objects.select_for_update().filter(pk=team.pk).values_list("pk").first()


@transaction.atomic
def create_type(
    *,
    actor,
    name,
    team=None,
    vector_type=VectorType.BOUNDING_BOX,
    node_count=0,
    enable_concealed=True,
    enable_blurred=True,
    active=True,
    color=None,
    attributes=None,
    sort_order=None,
    shortcut=None,
):
    """Create a site type (``team`` None; staff) or a type of ``team`` (its admins)."""
    _require_create(actor, team)
    _lock_owner(team)
    team_id = team.pk if team is not None else None
    _clean_geometry(vector_type, node_count)
    active = _clean_bool("active", active)
    annotation_type = AnnotationType(
        team=team,
        vector_type=vector_type,
        node_count=node_count,
        enable_concealed=_clean_bool("enable_concealed", enable_concealed),
        enable_blurred=_clean_bool("enable_blurred", enable_blurred),
        active=active,
    )
    annotation_type.name = _clean_name(name, team_id=team_id)
    annotation_type.color = _clean_color(color, team_id)
    annotation_type.attributes = attribute_rules.clean_definitions(attributes)
    annotation_type.sort_order = _clean_sort_order(sort_order, team_id)
    annotation_type.shortcut = _clean_shortcut(shortcut, team_id=team_id, active=active)
    _save(annotation_type)
    return annotation_type


def _lock(annotation_type, *, no_key=False):
    """The type's row, locked. ``no_key``: a lock that lets annotations of the type be added meanwhile
    (renames and switches); without it, adding annotations of the type waits (migration, deletion,
    a change of the attribute definitions)."""
    try:
        return (
            AnnotationType.objects.select_for_update(no_key=no_key, of=("self",))
            .select_related("team")
            .get(pk=annotation_type.pk)
        )
    except AnnotationType.DoesNotExist:
        raise ValidationError("This annotation type no longer exists.", code="gone") from None


@transaction.atomic
def update_type(
    *,
    actor,
    annotation_type,
    name=UNSET,
    active=UNSET,
    enable_concealed=UNSET,
    enable_blurred=UNSET,
    color=UNSET,
    attributes=UNSET,
    sort_order=UNSET,
    shortcut=UNSET,
):
    """Change a type (``manage`` on it). Its geometry cannot change here (see
    ``migrate_boxes_to_polygons``). A change of ``attributes`` keeps existing labels valid
    (``_check_labels``)."""
    _require_manage(actor, annotation_type)
    _lock_owner(annotation_type.team)
    # A new attribute definition must not race with labels being saved under the old one.
    annotation_type = _lock(annotation_type, no_key=attributes is UNSET)
    team_id = annotation_type.team_id
    changed = []

    def change(field, value):
        if value != getattr(annotation_type, field):
            setattr(annotation_type, field, value)
            changed.append(field)

    for field, value in (
        ("active", active),
        ("enable_concealed", enable_concealed),
        ("enable_blurred", enable_blurred),
    ):
        if value is not UNSET:
            change(field, _clean_bool(field, value))
    if name is not UNSET and name != annotation_type.name:
        change("name", _clean_name(name, team_id=team_id, exclude_pk=annotation_type.pk))
    if color is not UNSET:
        change("color", _clean_color(color, team_id, exclude_pk=annotation_type.pk))
    if sort_order is not UNSET:
        change("sort_order", _clean_sort_order(sort_order, team_id))
    if shortcut is not UNSET or "active" in changed:
        wanted = annotation_type.shortcut if shortcut is UNSET else shortcut
        cleaned = _clean_shortcut(wanted, team_id=team_id, active=annotation_type.active, exclude_pk=annotation_type.pk)
        change("shortcut", cleaned)
    fill = {}
    if attributes is not UNSET:
        definitions = attribute_rules.clean_definitions(attributes)
        if definitions != annotation_type.attributes:
            fill = _check_labels(annotation_type, annotation_type.attributes or [], definitions)
            change("attributes", definitions)
    if changed:
        _save(annotation_type, update_fields=changed)
    for attribute, default in fill.items():
        _fill_default(annotation_type, attribute, default)
    return annotation_type


def deactivate_type(*, actor, annotation_type):
    """Hide a type from the tools, lists and APIs; its annotations stay."""
    return update_type(actor=actor, annotation_type=annotation_type, active=False)


def activate_type(*, actor, annotation_type):
    return update_type(actor=actor, annotation_type=annotation_type, active=True)


@transaction.atomic
def delete_type(*, actor, annotation_type):
    """Delete a type that no annotation uses; a used one is refused (deactivate it instead)."""
    _require_manage(actor, annotation_type)
    annotation_type = _lock(annotation_type)
    used = annotation_type.annotations.count()
    if used:
        raise ValidationError(
            f"“{annotation_type.name}” is used by {used} annotation(s), so it cannot be deleted. "
            "Deactivate it instead: that hides it and keeps the annotations.",
            code="in_use",
        )
    annotation_type.delete()


# --- changing attribute definitions --------------------------------------------------------------


def _labels(count):
    return "1 label" if count == 1 else f"{count} labels"


def _check_labels(annotation_type, old, new):
    """Refuse a change of definitions that existing labels of the type would not survive; returns
    ``{attribute: default}`` for the new (or newly required) attributes whose default the labels
    lacking a value get. Reads only the labels' ``attributes`` column, in one query."""
    old_by_name = {definition["name"]: definition for definition in old}
    new_by_name = {definition["name"]: definition for definition in new}
    removed = [name for name in old_by_name if name not in new_by_name]
    changed = {
        name: definition
        for name, definition in new_by_name.items()
        if name in old_by_name and definition != old_by_name[name]
    }
    newly_required = {
        name
        for name, definition in new_by_name.items()
        if definition.get("required") and not (old_by_name.get(name) or {}).get("required")
    }
    fill = {
        name: definition["default"]
        for name, definition in new_by_name.items()
        if definition.get("default") is not None and (name not in old_by_name or name in newly_required)
    }
    missing = {name for name in newly_required if new_by_name[name].get("default") is None}
    if not (removed or changed or missing):
        return fill
    holding = dict.fromkeys(removed, 0)
    lacking = dict.fromkeys(missing, 0)
    refused = {name: {} for name in changed}  # name → {problem key: [count, problem, value]}
    values = Annotation.objects.filter(annotation_type=annotation_type).values_list("attributes", flat=True)
    for label in values.iterator(chunk_size=2000):
        label = label if isinstance(label, dict) else {}
        for name in removed:
            if label.get(name) is not None:
                holding[name] += 1
        for name in missing:
            if label.get(name) is None:
                lacking[name] += 1
        for name, definition in changed.items():
            value = label.get(name)
            if value is None:
                continue
            problem = attribute_rules.value_problem(definition, value)
            if problem:
                key = value if definition["kind"] == AttributeKind.SELECT and isinstance(value, str) else problem
                entry = refused[name].setdefault(json.dumps(key), [0, problem, value])
                entry[0] += 1
    errors = [
        f"“{name}”: {_labels(count)} {'holds' if count == 1 else 'hold'} a value for it, which would be removed."
        for name, count in holding.items()
        if count
    ]
    for name, problems in refused.items():
        was_select = old_by_name[name]["kind"] == AttributeKind.SELECT
        for count, problem, value in problems.values():
            one = count == 1
            if was_select and new_by_name[name]["kind"] == AttributeKind.SELECT and isinstance(value, str):
                use = "uses" if one else "use"
                errors.append(f"“{name}”: {_labels(count)} {use} the value “{value}”, which would be removed.")
            else:
                hold = "holds" if one else "hold"
                errors.append(f"“{name}”: {_labels(count)} {hold} a value it would refuse (it {problem[:-1]}).")
    for name, count in lacking.items():
        if count:
            have = "has" if count == 1 else "have"
            errors.append(f"“{name}”: {_labels(count)} {have} no value, and it would be required without a default.")
    if errors:
        errors.append("Change or delete those labels first, or keep the definition.")
        raise ValidationError({"attributes": errors}, code="attributes_in_use")
    return fill


class _MergeJSON(Func):
    """``attributes`` with the keys of a JSON object added (PostgreSQL ``||``, SQLite ``json_patch``)."""

    arity = 2
    output_field = JSONField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="JSON_PATCH", **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" || ", **extra_context)


def _fill_default(annotation_type, name, default):
    """Give ``default`` to the labels of the type without a value for ``name`` (one UPDATE)."""
    patch = Value({name: default}, output_field=JSONField())
    lacking = Annotation.objects.filter(annotation_type=annotation_type).exclude(attributes__has_key=name)
    lacking.update(attributes=_MergeJSON(F("attributes"), patch))


# --- a dissolved team's types --------------------------------------------------------------------


def _free_site_name(name, taken, team_name):
    """``name``, or a variant no site type has (case-insensitively): "Car (Labs)", "Car (2)", … within
    the name's 20 characters."""
    candidates = [name, f"{name} ({team_name})"] + [f"{name} ({number})" for number in range(2, 10_000)]
    for candidate in candidates:
        if len(candidate) > NAME_MAX_LENGTH:
            suffix = candidate[len(name) :]
            candidate = name[: NAME_MAX_LENGTH - len(suffix)].rstrip() + suffix
            if len(candidate) > NAME_MAX_LENGTH or candidate.startswith(" "):
                continue
        if candidate.lower() not in taken:
            return candidate
    raise ValidationError(f"No free site type name for “{name}”.")  # pragma: no cover (10,000 clashes)


def release_team_types(team):
    """For a team being dissolved (inside the caller's transaction): delete its unused types; keep the
    used ones as inactive site types (renamed when a site type has the name), so that the labels of
    the sets it set free keep their type. A fixed number of queries plus one UPDATE per used type."""
    owned = AnnotationType.objects.select_for_update().filter(team=team)
    used = Annotation.objects.filter(annotation_type=OuterRef("pk"))
    rows = list(owned.annotate(used=Exists(used)).order_by("pk"))
    AnnotationType.objects.filter(pk__in=[row.pk for row in rows if not row.used]).delete()
    kept = [row for row in rows if row.used]
    if not kept:
        return []
    taken = {name.lower() for name in AnnotationType.objects.site().values_list("name", flat=True)}
    for row in kept:
        row.name = _free_site_name(row.name, taken, team.name)
        taken.add(row.name.lower())
        row.team = None
        row.active = False
        row.shortcut = None
        row.save(update_fields=["name", "team", "active", "shortcut"])
    return kept


# --- box → polygon migration ---------------------------------------------------------------------


def _boxes(annotation_type):
    """The annotations the migration converts: those with a shape ("not in image" stays)."""
    return Annotation.objects.filter(annotation_type=annotation_type, vector__isnull=False)


def _lost_points(annotation_type):
    """``{creator id: points}`` the migration takes away: the accepts from others on the boxes."""
    return dict(
        accepts_from_others()
        .filter(annotation__in=_boxes(annotation_type).values("pk"))
        .order_by()
        .values_list("annotation__user")
        .annotate(count=Count("pk"))
    )


@dataclass(frozen=True)
class MigrationPreview:
    annotations: int  # become polygons
    not_in_image: int  # stay as they are
    votes: int  # are deleted
    points: int  # taken off the creators
    users: int  # who lose points


def migration_preview(annotation_type):
    """What ``migrate_boxes_to_polygons`` would do now (three queries)."""
    counts = Annotation.objects.filter(annotation_type=annotation_type).aggregate(
        annotations=Count("pk", filter=Q(vector__isnull=False)),
        not_in_image=Count("pk", filter=Q(vector__isnull=True)),
    )
    votes = Verification.objects.filter(annotation__in=_boxes(annotation_type).values("pk")).count()
    lost = _lost_points(annotation_type)
    return MigrationPreview(**counts, votes=votes, points=sum(lost.values()), users=len(lost))


@dataclass(frozen=True)
class MigrationResult:
    annotation_type: AnnotationType
    annotations: int
    votes: int
    points: int
    users: int


def _corners():
    """The box ``{x1, y1, x2, y2}`` as the polygon (x1,y1), (x2,y1), (x2,y2), (x1,y2), computed by the
    database from each row's own vector."""

    def coordinate(key):
        return Cast(KT(f"vector__{key}"), output_field=IntegerField())

    corners = [("x1", "y1"), ("x2", "y1"), ("x2", "y2"), ("x1", "y2")]
    fields = {}
    for index, (x, y) in enumerate(corners, start=1):
        fields[f"x{index}"] = coordinate(x)
        fields[f"y{index}"] = coordinate(y)
    return JSONObject(**fields)


def _polygon(vector):
    x1, y1, x2, y2 = vector["x1"], vector["y1"], vector["x2"], vector["y2"]
    return {"x1": x1, "y1": y1, "x2": x2, "y2": y1, "x3": x2, "y3": y2, "x4": x1, "y4": y2}


@transaction.atomic
def migrate_boxes_to_polygons(*, actor, annotation_type, node_count):
    """Turn a bounding-box type into a polygon type (``node_count`` 0 = any number, or 4).

    Every box becomes its 4 corners; the votes on those annotations are deleted (they judged a box)
    and the accepted ones are taken off their creators' points. Irreversible. Runs a fixed number of
    queries whatever the number of annotations.
    """
    _require_manage(actor, annotation_type)
    if isinstance(node_count, bool) or node_count not in MIGRATION_NODE_COUNTS:
        raise ValidationError({"node_count": "Choose 0 (any number of nodes) or 4."})
    # Locking the type's row also waits for transactions that are adding annotations of this type
    # (they hold a key-share lock on it), and keeps new ones out until the migration is done.
    annotation_type = _lock(annotation_type)
    if annotation_type.vector_type != VectorType.BOUNDING_BOX:
        raise ValidationError(
            f"Only bounding-box types can be migrated to polygons; “{annotation_type.name}” is a "
            f"{annotation_type.get_vector_type_display().lower()} type.",
            code="not_a_box",
        )
    # Lock the boxes (editors of single annotations lock the same rows) and read their state for history.
    boxes = list(_boxes(annotation_type).select_for_update(of=("self",)).order_by("pk").only(*SNAPSHOT_FIELDS))
    # Votes change only under their annotation's lock (see ``votes``), which is held now: count the
    # points they are worth, then delete them and take the points off (one UPDATE).
    lost = _lost_points(annotation_type) if boxes else {}
    votes = discard_votes(_boxes(annotation_type)) if boxes else 0
    if boxes:
        _boxes(annotation_type).update(vector=_corners(), version=F("version") + 1, last_edit_time=Now())
    annotation_type.vector_type = VectorType.POLYGON
    annotation_type.node_count = node_count
    annotation_type.save(update_fields=["vector_type", "node_count"])

    history = []
    for box in boxes:
        before = snapshot(box)
        box.vector = _polygon(box.vector)
        box.version += 1
        history.append(history_entry(box, HistoryAction.UPDATE, actor, before, snapshot(box)))
    AnnotationHistory.objects.bulk_create(history, batch_size=500)
    return MigrationResult(
        annotation_type=annotation_type,
        annotations=len(boxes),
        votes=votes,
        points=sum(lost.values()),
        users=len(lost),
    )
