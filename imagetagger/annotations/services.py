"""Creating, changing and deleting annotations. Each function is one transaction.

Rules kept here (design.md §4, "No silent loss"):
- vectors are checked by ``vectors.validate_vector``; bad input raises ``ValidationError``;
- a create or update that would make the label similar to another one of the same type on the same
  image raises ``AnnotationConflict`` with that annotation's id: nothing is deleted or merged;
- "not in image" is said once per image and type, and never beside real shapes of that type;
- updates name the version they saw; a stale one raises ``StaleVersion`` with the current state;
- a create with a client-chosen ``uuid`` that already exists returns the existing annotation
  (a retried request), so it never makes a duplicate;
- every change is written to ``AnnotationHistory``; creating casts no vote.

Concurrent writers on one image are serialised by locking the image's row.

The create path is the API's hottest (issue 16): each row is read once. The statement that locks the
image also reads its set, the actor's membership of the set's team and whether the set chose the type
(subqueries), so the permissions cost no query of their own; the type is read once, under its
FOR KEY SHARE lock; the other labels of the image and type and a replayed uuid come in one query; the
INSERT says ``ON CONFLICT (uuid) DO NOTHING`` (so a replay racing the first request needs no
savepoint), and on PostgreSQL the history row is written by the same statement.
"""

import functools
import itertools
import uuid as uuid_module

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Exists, FloatField, OuterRef, Q, Subquery
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from base.prepared import PreparedQuery, planned_once_cursor
from images.models import Image, ImageSet
from images.permissions import (
    imageset_permissions,
    imageset_permissions_from_facts,
    membership_is_admin_of,
)
from webhooks import events as webhook_events
from webhooks.models import Event

from .attributes import clean_values
from .models import Annotation, AnnotationHistory, AnnotationType, HistoryAction, Origin
from .permissions import annotation_permissions, type_usable_in_set
from .vectors import SIMILARITY_PIXELS, find_similar, validate_vector
from .votes import discard_votes

UNSET = object()


class AnnotationConflict(Exception):
    """The change would duplicate (or contradict) another annotation: HTTP 409."""

    def __init__(self, message, *, other_id=None, code="similar"):
        super().__init__(message)
        self.message = message
        self.other_id = other_id
        self.code = code


class StaleVersion(Exception):
    """The client changed an older version than the current one: HTTP 412."""

    def __init__(self, current):
        self.current = current
        self.message = (
            f"This annotation was changed meanwhile; it is now at version {current.version}. "
            "Reload it, then apply your change again."
        )
        super().__init__(self.message)


# The columns ``snapshot`` reads (for ``.only()`` on bulk reads that write history).
SNAPSHOT_FIELDS = (
    "uuid",
    "image_id",
    "annotation_type_id",
    "vector",
    "concealed_flag",
    "blurred_flag",
    "version",
    "origin",
    "attributes",
)


def snapshot(annotation):
    """The state of an annotation as history stores it."""
    return {
        "annotation_type": annotation.annotation_type_id,
        "vector": annotation.vector,
        "concealed": annotation.concealed_flag,
        "blurred": annotation.blurred_flag,
        "version": annotation.version,
        "origin": annotation.origin,
        "attributes": annotation.attributes,
    }


def history_entry(annotation, action, user, before, after):
    """An unsaved history row for ``annotation`` (not linked to it for a delete: the row outlives it)."""
    return AnnotationHistory(
        annotation=annotation if action != HistoryAction.DELETE else None,
        annotation_uuid=annotation.uuid,
        image_id=annotation.image_id,
        action=action,
        user=user,
        before=before,
        after=after,
    )


def _record(annotation, action, user, before, after):
    history_entry(annotation, action, user, before, after).save()


def _image_lock(*, of_annotation, with_member, with_type):
    """The prepared statement of ``_lock_image`` for one shape of its arguments."""

    def build(image_id, user_id=None, type_id=None):
        if of_annotation:  # ``image_id`` is an annotation's id: its image, found in the same statement
            image_id = Subquery(Annotation.objects.filter(pk=image_id).values("image_id"))
        # of=("self",): lock the image's row only, not its set's (which the join would lock too),
        # so that writers on different images of one set do not wait for each other.
        images = Image.objects.select_for_update(of=("self",)).select_related("image_set").filter(pk=image_id)
        # Whether the set's team has a webhook (``image.team_has_webhooks``): events then cost no query without one.
        images = images.annotate(team_has_webhooks=webhook_events.has_webhooks("image_set__team_id"))
        if with_member:
            images = images.annotate(member_is_admin=membership_is_admin_of(user_id, "image_set__team_id"))
        if with_type:
            chosen = ImageSet.annotation_types.through.objects.filter(imageset_id=OuterRef("image_set_id"))
            images = images.annotate(
                set_chooses_types=Exists(chosen), type_is_chosen=Exists(chosen.filter(annotationtype_id=type_id))
            )
        return images

    names = ("image_id",) + ("user_id",) * with_member + ("type_id",) * with_type
    return PreparedQuery(build, *names)


_IMAGE_LOCKS = {
    shape: _image_lock(of_annotation=shape[0], with_member=shape[1], with_type=shape[2])
    for shape in itertools.product((False, True), repeat=3)
}


def _lock_image(image_id, actor=None, *, type_id=None, hide_unreadable=False, of_annotation=False):
    """The image, locked, with its set (``of_annotation``: the image of the annotation ``image_id``).
    With ``actor``: ``image.set_permissions`` (the actor's rights on the set) comes from the same
    statement. With ``type_id``: ``image.chosen_type_ids`` too (the set's chosen types as far as
    ``type_usable_in_set`` needs them). ``hide_unreadable``: an image of a set the actor may not read
    is answered as a missing one."""
    known = actor is not None and actor.is_authenticated
    arguments = {"image_id": int(image_id)}
    if known:
        arguments["user_id"] = actor.pk
    if type_id is not None:
        arguments["type_id"] = int(type_id)
    image = _IMAGE_LOCKS[of_annotation, known, type_id is not None].first(**arguments)
    if image is not None and actor is not None:
        member_is_admin = image.member_is_admin if known else None
        image.set_permissions = imageset_permissions_from_facts(actor, image.image_set, member_is_admin=member_is_admin)
        if hide_unreadable and "read" not in image.set_permissions:
            image = None
    if image is None:
        message = "There is no image with this id." if hide_unreadable else "This image does not exist (any more)."
        raise ValidationError({"image": message})
    if type_id is not None:
        image.chosen_type_ids = _chosen_ids(type_id, image.set_chooses_types, image.type_is_chosen)
    return image


def _chosen_ids(type_id, set_chooses_types, type_is_chosen):
    """The chosen type ids as ``type_usable_in_set`` reads them for ``type_id``: empty when the set
    chose none (all allowed); else a set that holds ``type_id`` exactly when the set chose it."""
    if not set_chooses_types:
        return set()
    return {type_id} if type_is_chosen else {None}


def check_type_active(annotation_type):
    if not annotation_type.active:
        raise ValidationError({"annotation_type": f"The annotation type “{annotation_type.name}” is not active."})


# Django's select_for_update has no FOR KEY SHARE: the prepared statement appends it.
_TYPE_FOR_KEY_SHARE = PreparedQuery(lambda type_id: AnnotationType.objects.filter(pk=type_id), lock="FOR KEY SHARE")


_TYPE_TABLE = AnnotationType._meta.db_table
_TYPE_FIELDS = AnnotationType._meta.concrete_fields


def _with_type_columns(images, type_id):
    """``images`` joined with the type ``type_id``, whose columns come as ``type__<attname>``."""
    quote = connection.ops.quote_name
    columns = {f"type__{field.attname}": f"{quote(_TYPE_TABLE)}.{quote(field.column)}" for field in _TYPE_FIELDS}
    return images.extra(
        select=columns, tables=[_TYPE_TABLE], where=[f"{quote(_TYPE_TABLE)}.{quote('id')} = %s"], params=[type_id]
    )


# The create path on PostgreSQL: the image locked, the actor's rights, the set's chosen types, and the
# type read under a key-share lock, in one statement (``FOR UPDATE OF image FOR KEY SHARE OF type``;
# Django writes the first clause, the prepared statement appends the second).
_IMAGE_AND_TYPE_LOCK = PreparedQuery(
    lambda image_id, user_id, type_id: _with_type_columns(
        _IMAGE_LOCKS[False, True, True]._build(image_id=image_id, user_id=user_id, type_id=type_id), type_id
    ),
    lock=f"FOR KEY SHARE OF {_TYPE_TABLE}",
)


def _lock_image_and_type(image_id, actor, type_id, *, hide_unreadable):
    """``(image, annotation type)`` as ``_lock_image`` and ``_current_type`` give them, in one statement
    on PostgreSQL for a logged-in actor (elsewhere, or when either is missing: the two reads, which
    also say which one is missing)."""
    if connection.vendor != "postgresql" or not actor.is_authenticated:
        image = _lock_image(image_id, actor, type_id=type_id, hide_unreadable=hide_unreadable)
        return image, _current_type(type_id, check_active=False)
    image = _IMAGE_AND_TYPE_LOCK.first(image_id=int(image_id), user_id=actor.pk, type_id=int(type_id))
    if image is None:
        image = _lock_image(image_id, actor, type_id=type_id, hide_unreadable=hide_unreadable)
        return image, _current_type(type_id, check_active=False)
    values = [
        field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
        for field, value in ((field, getattr(image, f"type__{field.attname}")) for field in _TYPE_FIELDS)
    ]
    annotation_type = AnnotationType.from_db("default", [field.attname for field in _TYPE_FIELDS], values)
    image.set_permissions = imageset_permissions_from_facts(
        actor, image.image_set, member_is_admin=image.member_is_admin
    )
    if hide_unreadable and "read" not in image.set_permissions:
        raise ValidationError({"image": "There is no image with this id."})
    image.chosen_type_ids = _chosen_ids(int(type_id), image.set_chooses_types, image.type_is_chosen)
    return image, annotation_type


def _current_type(annotation_type, *, check_active=True):
    """Read the type (``annotation_type``: one or its id), on PostgreSQL under a key-share lock: a
    staff migration of the type (which locks its row for update) then cannot change its geometry
    between our check and our insert. One statement: the read and the lock."""
    type_id = getattr(annotation_type, "pk", annotation_type)
    if connection.vendor == "postgresql":
        found = _TYPE_FOR_KEY_SHARE.first(type_id=type_id)
    else:  # SQLite runs one writing transaction at a time
        found = AnnotationType.objects.filter(pk=type_id).first()
    if found is None:
        raise ValidationError({"annotation_type": "There is no annotation type with this id."})
    if check_active:
        check_type_active(found)
    return found


def check_usable(annotation_type, image_set, *, chosen_ids=None):
    """The type must be one the set uses (``permissions.type_usable_in_set``); a type of another team
    is refused in the same words as a missing one, so that its existence is not revealed.
    ``chosen_ids``: as for ``type_usable_in_set``, when the caller read them already."""
    known = {} if chosen_ids is None else {"chosen_ids": chosen_ids}
    if not type_usable_in_set(annotation_type, image_set, **known):
        if annotation_type.team_id is not None and annotation_type.team_id not in {
            image_set.team_id,
            image_set.created_by_team_id,
        }:
            raise ValidationError({"annotation_type": "There is no annotation type with this id."})
        raise ValidationError(
            {"annotation_type": f"The image set “{image_set.name}” does not use the type “{annotation_type.name}”."}
        )


def _check_place(image, annotation_type, vector, *, exclude_id=None, others=None):
    """Similarity and the "not in image" rules against the other annotations of this image and type
    (``others``: those annotations, when the caller read them already)."""
    if others is None:
        others = [row for row in labels_at(image.pk, annotation_type.pk, near=vector) if row.pk != exclude_id]
    similar = find_similar(vector, others)
    if similar is not None:
        if annotation_type.is_tag:
            raise AnnotationConflict(
                f"This image already has the tag {annotation_type.name} (annotation {similar.pk}).",
                other_id=similar.pk,
            )
        what = "“not in image”" if vector is None else "a similar annotation"
        raise AnnotationConflict(
            f"This image already has {what} of type {annotation_type.name} (annotation {similar.pk}).",
            other_id=similar.pk,
        )
    if vector is None:
        shapes = [other for other in others if other.vector is not None]
        if shapes:
            raise AnnotationConflict(
                f"This image has {len(shapes)} annotation(s) of type {annotation_type.name}, so it cannot be "
                "“not in image” for that type. Delete them first.",
                other_id=shapes[0].pk,
                code="not_in_image",
            )
    else:
        negative = next((other for other in others if other.vector is None), None)
        if negative is not None:
            raise AnnotationConflict(
                f"This image is marked “not in image” for type {annotation_type.name} (annotation "
                f"{negative.pk}). Delete that mark first.",
                other_id=negative.pk,
                code="not_in_image",
            )


def _check_flags(concealed, blurred):
    for name, value in (("concealed", concealed), ("blurred", blurred)):
        if not isinstance(value, bool):
            raise ValidationError({name: "Must be true or false."})


def _check_machine(origin, model_name, confidence):
    if origin not in Origin.values:
        raise ValidationError({"origin": "Must be “human” or “machine”."})
    if origin == Origin.HUMAN and (model_name or confidence is not None):
        raise ValidationError({"origin": "model_name and confidence are for machine-made annotations."})
    if confidence is not None and (
        isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 <= confidence <= 1
    ):
        raise ValidationError({"confidence": "Must be a number from 0 to 1."})


def _labels_near(*, near, with_uuid):
    """The prepared statement of ``labels_at`` for one shape of its arguments."""

    def build(image_id, type_id, x_low=0, x_high=0, y_low=0, y_high=0, uuid=None):
        labels = Annotation.objects
        found = Q(image_id=image_id, annotation_type_id=type_id)
        if near:
            # A similar shape has its first point within the similarity distance too, so only those
            # labels are read (and every "not in image" mark, which a shape may not join); the
            # (image, type) index finds the rows, the first point is checked on them.
            labels = labels.alias(**{f"first_{key}": Cast(KT(f"vector__{key}1"), FloatField()) for key in "xy"})
            found &= Q(vector__isnull=True) | Q(first_x__range=(x_low, x_high), first_y__range=(y_low, y_high))
        if with_uuid:
            found |= Q(uuid=uuid)
        return labels.filter(found)

    names = ("image_id", "type_id") + ("x_low", "x_high", "y_low", "y_high") * near + ("uuid",) * with_uuid
    return PreparedQuery(build, *names)


_LABELS_NEAR = {
    shape: _labels_near(near=shape[0], with_uuid=shape[1]) for shape in itertools.product((False, True), repeat=2)
}


def labels_at(image_id, type_id, *, near=None, uuid=None):
    """The labels of ``type_id`` on the image that a label with the vector ``near`` must be checked
    against (similarity, "not in image"), and the label with ``uuid`` wherever it is. Without a
    shape ``near`` (None or a vector that did not validate): every label of the type on the image."""
    arguments = {"image_id": image_id, "type_id": type_id}
    shape = isinstance(near, dict)
    if shape:
        x, y, reach = near["x1"], near["y1"], SIMILARITY_PIXELS
        arguments.update(x_low=x - reach, x_high=x + reach, y_low=y - reach, y_high=y + reach)
    if uuid is not None:
        arguments["uuid"] = uuid
    return _LABELS_NEAR[shape, uuid is not None].all(**arguments)


@transaction.atomic
def create_annotation(
    *,
    actor,
    image,
    annotation_type,
    vector,
    concealed=False,
    blurred=False,
    uuid=None,
    origin=Origin.HUMAN,
    model_name="",
    confidence=None,
    attributes=None,
    hide_unreadable=False,
):
    """Create a label; returns ``(annotation, created)``. ``created`` is False for a replayed uuid.

    ``image`` and ``annotation_type`` are objects or ids (only their ids are used: both are read
    again here, the image under its lock). ``attributes`` (``{name: value}``) are checked against the
    type's definitions, defaults filled in. ``hide_unreadable`` (the API): an image the actor may not
    read is refused as a missing one. The returned annotation carries ``image.set_permissions``."""
    type_id = getattr(annotation_type, "pk", annotation_type)
    image, annotation_type = _lock_image_and_type(
        getattr(image, "pk", image), actor, type_id, hide_unreadable=hide_unreadable
    )
    if "annotate" not in image.set_permissions:
        raise PermissionDenied("You may not add annotations to this image set.")
    if uuid is not None:
        uuid = uuid if isinstance(uuid, uuid_module.UUID) else uuid_module.UUID(str(uuid))
    try:
        checked_vector, vector_error = validate_vector(vector, annotation_type, image), None
    except ValidationError as error:  # raised below, after the replay check: a replay answers with its label
        checked_vector, vector_error = None, error
    # The other labels of this image and type near the new one, and (one query) an annotation with
    # this uuid: looked up after locking the image, so that a retry that waited for the first
    # request's lock finds its annotation (a replay) instead of reporting it as a similar one.
    rows = labels_at(image.pk, type_id, near=checked_vector, uuid=uuid)
    existing = next((row for row in rows if row.uuid == uuid), None) if uuid is not None else None
    if existing is not None:
        return _replayed(existing, actor, image, annotation_type), False
    check_type_active(annotation_type)
    check_usable(annotation_type, image.image_set, chosen_ids=image.chosen_type_ids)
    _check_flags(concealed, blurred)
    _check_machine(origin, model_name, confidence)
    if vector_error is not None:
        raise vector_error
    vector = checked_vector
    attributes = clean_values(attributes, annotation_type.attributes, type_name=annotation_type.name)
    _check_place(image, annotation_type, vector, others=rows)
    annotation = Annotation(
        image=image,
        annotation_type=annotation_type,
        vector=vector,
        concealed_flag=concealed,
        blurred_flag=blurred,
        user=actor,
        origin=origin,
        model_name=model_name or "",
        confidence=confidence,
        attributes=attributes,
    )
    if uuid is not None:
        annotation.uuid = uuid
    if not _insert_with_history(annotation, actor):
        # The same uuid, inserted meanwhile by a request on another image (one on this image waited
        # for our lock and was found above): a replay or a conflict, and no savepoint was needed.
        existing = Annotation.objects.filter(uuid=annotation.uuid).first()
        if existing is None:
            raise ValidationError("The annotation could not be saved; send it again.")
        return _replayed(existing, actor, image, annotation_type), False
    webhook_events.annotation_changed(Event.ANNOTATION_CREATED, annotation, image, actor, known=image.team_has_webhooks)
    return annotation, True


def _insert_values(instance, *, skip=()):
    """``(quoted columns, fields, parameters)`` of a new row of ``instance`` as ``Model.save`` would
    write it (``auto_now``/``auto_now_add`` and defaults applied to the instance); the fields named in
    ``skip`` (attnames) are listed in ``fields`` but get no parameter."""
    columns, fields = _insert_columns(type(instance), connection.vendor)
    kept = [field for field in fields if field.attname not in skip] if skip else fields
    params = [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in kept]
    return columns, fields, params


@functools.cache
def _insert_columns(model, vendor):
    """``(quoted columns, fields)`` of ``model``'s INSERT: the same for every row (once per process)."""
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    return ", ".join(connection.ops.quote_name(field.column) for field in fields), fields


def _insert_with_history(annotation, actor):
    """INSERT ``annotation`` unless its uuid exists (then False, and nothing is written), and its
    CREATE history row. PostgreSQL: one statement (the history INSERT selects the new id from the
    annotation INSERT's RETURNING); SQLite: two."""
    quote = connection.ops.quote_name
    columns, fields, params = _insert_values(annotation)
    insert = (
        f"INSERT INTO {quote(Annotation._meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))}) "
        "ON CONFLICT (uuid) DO NOTHING RETURNING id"
    )
    entry = history_entry(annotation, HistoryAction.CREATE, actor, None, snapshot(annotation))
    with planned_once_cursor(connection) as cursor:
        if connection.vendor == "postgresql":
            history_columns, history_fields, history_params = _insert_values(entry, skip={"annotation_id"})
            selected = ", ".join("new.id" if field.attname == "annotation_id" else "%s" for field in history_fields)
            cursor.execute(
                f"WITH new AS ({insert}) INSERT INTO {quote(AnnotationHistory._meta.db_table)} ({history_columns}) "
                f"SELECT {selected} FROM new RETURNING annotation_id",
                params + history_params,
            )
        else:
            cursor.execute(insert, params)
        row = cursor.fetchone()
    if row is None:
        return False
    annotation.pk = row[0]
    annotation._state.adding = False
    annotation._state.db = connection.alias
    if connection.vendor != "postgresql":
        entry.annotation = annotation
        entry.save()
    return True


def _replayed(existing, actor, image, annotation_type):
    if (
        existing.image_id != image.pk
        or existing.annotation_type_id != annotation_type.pk
        or (existing.user_id != actor.pk)
    ):
        raise AnnotationConflict(
            "This uuid belongs to another annotation; choose a new uuid for a new annotation.",
            other_id=existing.pk if "read" in imageset_permissions(actor, existing.image.image_set) else None,
            code="uuid",
        )
    return existing


def _lock_annotation(annotation):
    annotation_id = getattr(annotation, "pk", annotation)
    try:
        return (
            Annotation.objects.select_for_update(of=("self",)).select_related("annotation_type").get(pk=annotation_id)
        )
    except Annotation.DoesNotExist:
        raise ValidationError("This annotation no longer exists.", code="gone") from None


def _lock_image_of(annotation, actor, *, type_id=None, hide_unreadable=False):
    """The image of ``annotation`` (one or its id), locked, with the actor's rights on its set (see
    ``_lock_image``); when only the id is known, the image is found by a subquery of that statement.
    A missing annotation (or, with ``hide_unreadable``, one the actor may not read) is "gone"."""
    image_id = getattr(annotation, "image_id", None)
    arguments = {"type_id": type_id, "hide_unreadable": hide_unreadable, "of_annotation": image_id is None}
    try:
        return _lock_image(image_id or getattr(annotation, "pk", annotation), actor, **arguments)
    except ValidationError:
        raise ValidationError("This annotation no longer exists.", code="gone") from None


def _require(actor, annotation, permission, message, *, set_permissions=None):
    if permission not in annotation_permissions(actor, annotation, set_permissions=set_permissions):
        raise PermissionDenied(message)


@transaction.atomic
def update_annotation(
    *,
    actor,
    annotation,
    expected_version,
    vector=UNSET,
    annotation_type=UNSET,
    concealed=UNSET,
    blurred=UNSET,
    attributes=UNSET,
    hide_unreadable=False,
):
    """Change an annotation's geometry, type, flags and attributes (``edit_annotation``).

    ``annotation`` and ``annotation_type`` are objects or ids (both are read again here, under locks).
    ``expected_version`` is the version the client saw; a stale one raises ``StaleVersion``.
    ``attributes`` replaces all values (checked against the type, defaults filled in); a change of
    type re-checks the kept values against the new type's definitions. ``hide_unreadable`` (the API):
    an annotation the actor may not read is "gone" (``ValidationError`` with code ``gone``).
    The returned annotation carries ``image.set_permissions``.
    """
    new_type_id = None if annotation_type is UNSET else getattr(annotation_type, "pk", annotation_type)
    image = _lock_image_of(annotation, actor, type_id=new_type_id, hide_unreadable=hide_unreadable)
    annotation = _lock_annotation(annotation)
    annotation.image = image
    new_type = annotation.annotation_type
    if new_type_id is not None and new_type_id != annotation.annotation_type_id:
        new_type = _current_type(new_type_id, check_active=False)
    _require(
        actor,
        annotation,
        "edit_annotation",
        "You may not change annotations of this image set.",
        set_permissions=image.set_permissions,
    )
    if expected_version is None or expected_version != annotation.version:
        raise StaleVersion(annotation)
    before = snapshot(annotation)
    if new_type.pk != annotation.annotation_type_id:
        check_type_active(new_type)
        check_usable(new_type, image.image_set, chosen_ids=image.chosen_type_ids)
    new_concealed = annotation.concealed_flag if concealed is UNSET else concealed
    new_blurred = annotation.blurred_flag if blurred is UNSET else blurred
    _check_flags(new_concealed, new_blurred)
    new_vector = annotation.vector if vector is UNSET else vector
    geometry_changed = vector is not UNSET or new_type.pk != annotation.annotation_type_id
    if geometry_changed:
        new_vector = validate_vector(new_vector, new_type, image)
        _check_place(image, new_type, new_vector, exclude_id=annotation.pk)
    if attributes is not UNSET or new_type.pk != annotation.annotation_type_id:
        values = annotation.attributes if attributes is UNSET else attributes
        annotation.attributes = clean_values(values, new_type.attributes, type_name=new_type.name)
    annotation.annotation_type = new_type
    annotation.vector = new_vector
    annotation.concealed_flag = new_concealed
    annotation.blurred_flag = new_blurred
    after = snapshot(annotation)
    if after == before:
        return annotation
    annotation.version += 1
    annotation.last_editor = actor
    annotation.save()
    only_flags = not geometry_changed and after["attributes"] == before["attributes"]
    action = HistoryAction.FLAGS if only_flags else HistoryAction.UPDATE
    _record(annotation, action, actor, before, snapshot(annotation))
    webhook_events.annotation_changed(Event.ANNOTATION_UPDATED, annotation, image, actor, known=image.team_has_webhooks)
    return annotation


def set_flags(*, actor, annotation, expected_version, concealed=UNSET, blurred=UNSET):
    """Change only the concealed/blurred flags (``edit_annotation``)."""
    return update_annotation(
        actor=actor, annotation=annotation, expected_version=expected_version, concealed=concealed, blurred=blurred
    )


@transaction.atomic
def delete_annotation(*, actor, annotation, expected_version=None):
    """Delete an annotation (``delete_annotation``); its history stays. ``expected_version`` is
    checked when given."""
    image = _lock_image_of(annotation, actor)
    annotation = _lock_annotation(annotation)
    annotation.image = image
    _require(
        actor,
        annotation,
        "delete_annotation",
        "You may not delete annotations of this image set.",
        set_permissions=image.set_permissions,
    )
    if expected_version is not None and expected_version != annotation.version:
        raise StaleVersion(annotation)
    _record(annotation, HistoryAction.DELETE, actor, snapshot(annotation), None)
    webhook_events.annotation_changed(Event.ANNOTATION_DELETED, annotation, image, actor, known=image.team_has_webhooks)
    discard_votes(Annotation.objects.filter(pk=annotation.pk))  # its creator loses the points of its accepts
    annotation.delete()


class BulkError(Exception):
    """Some items of a bulk create were refused; nothing was saved. ``errors``: index → message."""

    def __init__(self, errors):
        super().__init__(f"{len(errors)} item(s) refused; nothing was saved.")
        self.errors = errors


@transaction.atomic
def bulk_create_annotations(*, actor, items):
    """Create many annotations, all or nothing. ``items``: dicts of ``create_annotation`` arguments
    (without ``actor``). Returns ``[(annotation, created), …]`` or raises ``BulkError``."""
    results, errors = [], {}
    # Lock every image first, in id order: two bulk requests touching the same images in different
    # orders then wait for each other instead of deadlocking.
    image_ids = sorted({item["image"].pk for item in items if getattr(item.get("image"), "pk", None)})
    list(Image.objects.select_for_update(of=("self",)).filter(pk__in=image_ids).order_by("pk").values_list("pk"))
    for index, item in enumerate(items):
        try:
            with transaction.atomic():
                results.append(create_annotation(actor=actor, **item))
        except (ValidationError, PermissionDenied, AnnotationConflict) as error:
            errors[index] = _message(error)
    if errors:
        transaction.set_rollback(True)
        raise BulkError(errors)
    return results


def _message(error):
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    if isinstance(error, AnnotationConflict):
        return error.message
    return str(error) or "Not allowed."


def annotation_type_for(type_id):
    """The annotation type with this id, or a ValidationError."""
    annotation_type = AnnotationType.objects.filter(pk=type_id).first()
    if annotation_type is None:
        raise ValidationError({"annotation_type": "There is no annotation type with this id."})
    return annotation_type
