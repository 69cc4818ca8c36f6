"""Managing annotation types (site staff only). Each function is one transaction.

Rules kept here:
- names are 1–20 characters and unique whatever their case ("Ball" and "ball" would be confusing);
- ``node_count`` only means something for polygons (0 or ≥ 3) and multi-lines (0 or ≥ 2); other
  geometries take 0. Geometry (``vector_type``, ``node_count``) is fixed once the type exists: the
  only change offered is the box → polygon migration, which converts the stored vectors with it;
- a type is never deleted while annotations use it (deactivate it instead);
- the migration turns every box into its 4 corners in a fixed number of queries, bumps each
  annotation's version, records a history entry per annotation, deletes the votes on the converted
  annotations and takes the accepted ones off their creators' points. "Not in image" annotations
  of the type keep their votes: their meaning does not change.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, IntegerField, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, JSONObject, Now

from .models import Annotation, AnnotationHistory, AnnotationType, HistoryAction, VectorType, Verification
from .permissions import may_manage_annotation_types
from .services import history_entry, snapshot
from .votes import accepts_from_others, discard_votes

NAME_MAX_LENGTH = AnnotationType._meta.get_field("name").max_length
MAX_NODE_COUNT = 1000
MIGRATION_NODE_COUNTS = (0, 4)
UNSET = object()


def _require_staff(actor):
    if not may_manage_annotation_types(actor):
        raise PermissionDenied("Only site staff may manage annotation types.")


def _clean_name(name, *, exclude_pk=None):
    if not isinstance(name, str):
        raise ValidationError({"name": "Give the name as text."})
    name = name.strip()
    if not name:
        raise ValidationError({"name": "The name must not be empty."})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": f"The name has {len(name)} characters; at most {NAME_MAX_LENGTH} are allowed."})
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        raise ValidationError({"name": "The name must not contain control characters."})
    clash = AnnotationType.objects.filter(name__iexact=name).exclude(pk=exclude_pk).first()
    if clash is not None:
        raise ValidationError({"name": f"There is already an annotation type named “{clash.name}”."})
    return name


def _clean_bool(field, value):
    if not isinstance(value, bool):
        raise ValidationError({field: "Must be true or false."})
    return value


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
    except IntegrityError:  # the name, taken meanwhile (the case-insensitive unique constraint)
        raise ValidationError(
            {"name": f"There is already an annotation type named “{annotation_type.name}”."}
        ) from None


@transaction.atomic
def create_type(
    *,
    actor,
    name,
    vector_type=VectorType.BOUNDING_BOX,
    node_count=0,
    enable_concealed=True,
    enable_blurred=True,
    active=True,
):
    """Create an annotation type."""
    _require_staff(actor)
    _clean_geometry(vector_type, node_count)
    annotation_type = AnnotationType(
        vector_type=vector_type,
        node_count=node_count,
        enable_concealed=_clean_bool("enable_concealed", enable_concealed),
        enable_blurred=_clean_bool("enable_blurred", enable_blurred),
        active=_clean_bool("active", active),
    )
    annotation_type.name = _clean_name(name)
    _save(annotation_type)
    return annotation_type


def _lock(annotation_type, *, no_key=False):
    """The type's row, locked. ``no_key``: a lock that lets annotations of the type be added meanwhile
    (renames and switches); without it, adding annotations of the type waits (migration, deletion)."""
    try:
        return AnnotationType.objects.select_for_update(no_key=no_key).get(pk=annotation_type.pk)
    except AnnotationType.DoesNotExist:
        raise ValidationError("This annotation type no longer exists.", code="gone") from None


@transaction.atomic
def update_type(*, actor, annotation_type, name=UNSET, active=UNSET, enable_concealed=UNSET, enable_blurred=UNSET):
    """Rename a type or change its switches. Its geometry cannot change here (see
    ``migrate_boxes_to_polygons``)."""
    _require_staff(actor)
    annotation_type = _lock(annotation_type, no_key=True)
    changed = []
    for field, value in (
        ("active", active),
        ("enable_concealed", enable_concealed),
        ("enable_blurred", enable_blurred),
    ):
        if value is not UNSET and _clean_bool(field, value) != getattr(annotation_type, field):
            setattr(annotation_type, field, value)
            changed.append(field)
    if name is not UNSET and name != annotation_type.name:
        annotation_type.name = _clean_name(name, exclude_pk=annotation_type.pk)
        changed.append("name")
    if changed:
        _save(annotation_type, update_fields=changed)
    return annotation_type


def deactivate_type(*, actor, annotation_type):
    """Hide a type from the tools, lists and APIs; its annotations stay."""
    return update_type(actor=actor, annotation_type=annotation_type, active=False)


def activate_type(*, actor, annotation_type):
    return update_type(actor=actor, annotation_type=annotation_type, active=True)


@transaction.atomic
def delete_type(*, actor, annotation_type):
    """Delete a type that no annotation uses; a used one is refused (deactivate it instead)."""
    _require_staff(actor)
    annotation_type = _lock(annotation_type)
    used = annotation_type.annotations.count()
    if used:
        raise ValidationError(
            f"“{annotation_type.name}” is used by {used} annotation(s), so it cannot be deleted. "
            "Deactivate it instead: that hides it and keeps the annotations.",
            code="in_use",
        )
    annotation_type.delete()


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
    _require_staff(actor)
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
    boxes = list(
        _boxes(annotation_type)
        .select_for_update(of=("self",))
        .order_by("pk")
        .only("uuid", "image_id", "annotation_type_id", "vector", "concealed_flag", "blurred_flag", "version", "origin")
    )
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
