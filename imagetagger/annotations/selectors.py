"""Reads for annotations, each a fixed number of queries whatever the number of rows."""

from django.db import connection
from django.db.models import CharField, Count, Exists, F, FloatField, Func, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.fields.json import KeyTransform, compile_json_path
from django.db.models.functions import Coalesce

from base.paging import beyond
from images.models import ImageSet
from images.permissions import imageset_permissions
from users.models import TeamMembership

from .models import Annotation, AnnotationHistory, Origin, Verification
from .permissions import annotation_permissions


def vote_count(verified):
    # A correlated count per row: unlike a Count over a join it groups nothing and does not
    # multiply with other joins, and it is only evaluated for the rows of the page.
    counted = (
        Verification.objects.filter(annotation=OuterRef("pk"), verified=verified)
        .order_by()
        .values("annotation")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def readable_annotations(user):
    """Annotations of image sets ``user`` may read, with everything the serializer shows:
    type, image (and set), creator, last editor, ``accepts``, ``rejects`` (score = accepts − rejects)
    and ``my_vote`` (True = accept, False = reject, None = no vote by ``user``). Any annotation type."""
    if not user.is_authenticated:
        return Annotation.objects.none()
    my_vote = Verification.objects.filter(annotation=OuterRef("pk"), user=user).values("verified")[:1]
    return (
        Annotation.objects.filter(image__image_set__in=ImageSet.objects.visible_to(user))
        .select_related("annotation_type", "image__image_set", "user", "last_editor")
        .annotate(accepts=vote_count(True), rejects=vote_count(False), my_vote=Subquery(my_vote))
    )


def annotation_list(
    user,
    *,
    image=None,
    image_set=None,
    annotation_type=None,
    not_voted_by_me=False,
    not_mine=False,
    origin=None,
    after=None,
    before=None,
    attributes=(),
    order="image",
    model_name=None,
):
    """The API list: readable annotations of active types, by image name then id, filtered.

    ``order="confidence"``: the machine-made ones only, least confident first (no confidence counts
    as the least), then by id — the review queue of a model's labels. ``model_name``: only the labels
    of that model.

    ``attributes``: ``[(name, [values])]``, ANDed: only annotations whose value of each attribute
    ``name`` is one of its ``values`` (compared as JSON: ``True``, ``3`` and ``"3"`` differ).

    ``after`` / ``before`` (annotations) make it a keyset page: only the annotations that come after
    (or before) that one in the list's order, whatever the filters; ``before`` lists the nearest first.
    Unlike page numbers, this stays right while the list shrinks (votes leave "not voted by me").
    """
    annotations = readable_annotations(user).filter(annotation_type__active=True)
    if image is not None:
        annotations = annotations.filter(image_id=image)
    if image_set is not None:
        annotations = annotations.filter(image__image_set_id=image_set)
    if annotation_type is not None:
        annotations = annotations.filter(annotation_type_id=annotation_type)
    if origin is not None:
        annotations = annotations.filter(origin=origin)
    if not_voted_by_me:
        annotations = annotations.filter(~Exists(Verification.objects.filter(annotation=OuterRef("pk"), user=user)))
    if not_mine:
        annotations = annotations.exclude(user=user)
    if model_name is not None:
        annotations = annotations.filter(model_name=model_name)
    annotations = with_attribute_values(annotations, attributes)
    if order == "confidence":
        annotations = annotations.filter(origin=Origin.MACHINE).alias(confidence_rank=CONFIDENCE_RANK)
        keys, values = ("confidence_rank", "id"), lambda anchor: (_confidence_rank(anchor), anchor.pk)
    else:
        keys = ("image__name", "image_id", "id")
        values = lambda anchor: (anchor.image.name, anchor.image_id, anchor.pk)  # noqa: E731
    if after is not None:
        annotations = annotations.filter(beyond(keys, values(after), "gt"))
    if before is not None:
        annotations = annotations.filter(beyond(keys, values(before), "lt"))
        return annotations.order_by(*(f"-{key}" for key in keys))
    return annotations.order_by(*keys)


# The review queue's order: a label without a confidence comes first, as the least sure.
CONFIDENCE_RANK = Coalesce("confidence", Value(-1.0), output_field=FloatField())


def _confidence_rank(annotation):
    return -1.0 if annotation.confidence is None else annotation.confidence


def _json_kinds(value):
    """The SQLite ``JSON_TYPE`` names of ``value``: SQLite compares ``true`` equal to 1 and to "true",
    so its key lookups also check the type (PostgreSQL's jsonb comparison already does)."""
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, int | float):
        return ["integer", "real"]
    return ["text"]


def with_attribute_values(annotations, filters):
    """``annotations`` whose attribute ``name`` holds one of ``values``, for each ``(name, values)`` of
    ``filters`` (ANDed). Values compare as JSON: ``True``, ``3`` and ``"3"`` differ; ``3 == 3.0``."""
    sqlite = connection.vendor == "sqlite"
    for index, (name, values) in enumerate(filters):
        value_alias, kind_alias = f"attribute_value_{index}", f"attribute_kind_{index}"
        annotations = annotations.alias(**{value_alias: KeyTransform(name, "attributes")})
        if sqlite:
            path = Value(compile_json_path([name]))
            kind = Func(F("attributes"), path, function="JSON_TYPE", output_field=CharField())
            annotations = annotations.alias(**{kind_alias: kind})
        matches = Q()
        for value in values:
            match = Q(**{f"{value_alias}__in": [value]})
            if sqlite:
                match &= Q(**{f"{kind_alias}__in": _json_kinds(value)})
            matches |= match
        annotations = annotations.filter(matches)
    return annotations


class PermissionCache:
    """The caller's permissions on annotations, computed once per image set (one membership query
    for the whole response, whatever the number of sets)."""

    def __init__(self, user):
        self.user = user
        self._memberships = None
        self._by_set = {}

    def set_permissions(self, image_set):
        if image_set.pk not in self._by_set:
            if self._memberships is None:
                self._memberships = (
                    {m.team_id: m for m in TeamMembership.objects.filter(user=self.user)}
                    if self.user.is_authenticated
                    else {}
                )
            self._by_set[image_set.pk] = imageset_permissions(
                self.user, image_set, membership=self._memberships.get(image_set.team_id)
            )
        return self._by_set[image_set.pk]

    def know(self, image_set, permissions):
        """Record the caller's permissions on ``image_set``, computed already (e.g. by the service from
        the statement that locked the image), so that the response asks no query for them."""
        self._by_set[image_set.pk] = permissions

    def for_annotation(self, annotation):
        return annotation_permissions(
            self.user, annotation, set_permissions=self.set_permissions(annotation.image.image_set)
        )


def history_of(annotation):
    """Every history entry of ``annotation`` (also those written before a delete), oldest first."""
    return (
        AnnotationHistory.objects.filter(annotation_uuid=annotation.uuid).select_related("user").order_by("time", "id")
    )


def types_visible_to(user):
    """Annotation types ``user`` finds in lists and pickers: active site types (all of them for staff)
    and every type of the user's teams, in schema order. (An inactive site type is still readable one
    by one: ``annotation_type_permissions``.)"""
    from .models import AnnotationType

    if not user.is_authenticated:
        return AnnotationType.objects.none()
    teams = TeamMembership.objects.filter(user=user).values("team_id")
    site = Q(team__isnull=True) if user.is_staff else Q(team__isnull=True, active=True)
    return AnnotationType.objects.filter(site | Q(team_id__in=teams)).in_schema_order()


def types_usable_in_set(image_set):
    """The active types labels of ``image_set`` may use (``permissions.type_usable_in_set``), in schema
    order: its chosen types, or when it chose none, every site type and every type of its (creating)
    team. One query."""
    from .models import AnnotationType
    from .permissions import type_owners_of_set

    allowed = AnnotationType.objects.active().usable_by_teams(type_owners_of_set(image_set))
    chosen = ImageSet.annotation_types.through.objects.filter(imageset_id=image_set.pk)
    return allowed.filter(Q(pk__in=chosen.values("annotationtype_id")) | ~Exists(chosen)).in_schema_order()
