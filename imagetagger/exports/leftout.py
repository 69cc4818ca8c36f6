"""What an export's filters leave out, and why (issue 19: an export said nothing of the label its
least score dropped). Each label of the set that is not exported is counted once, under the first
filter it fails, in this order: its type, blurred, concealed, its score (accepts − rejects), its
origin, its model confidence. One aggregate query over the set's labels.

The writers' own skips (a format that cannot hold an image tag or "not in image") are in the report's
``skipped`` lines; these are the ``filtered`` ones."""

from django.db.models import Count, Q

from annotations.models import Annotation, Origin

from .template import score_expression


def _plural(count):
    return "label" if count == 1 else "labels"


def left_out(
    image_set,
    *,
    type_ids=None,
    include_blurred=True,
    include_concealed=True,
    min_score=None,
    origin=None,
    min_confidence=None,
):
    """``[(count, reason), …]`` for the labels of ``image_set`` these filters leave out (none: [])."""
    labels = Annotation.objects.filter(image__image_set=image_set)
    conditions = []
    if type_ids is not None:
        conditions.append(("its type is not among the exported ones", ~Q(annotation_type_id__in=list(type_ids))))
    if not include_blurred:
        conditions.append(("blurred (the format leaves blurred labels out)", Q(blurred_flag=True)))
    if not include_concealed:
        conditions.append(("concealed (the format leaves concealed labels out)", Q(concealed_flag=True)))
    if min_score is not None:
        labels = labels.alias(_score=score_expression())
        conditions.append((f"its score (accepts − rejects) is below {min_score}", Q(_score__lt=min_score)))
    if origin is not None:
        made_by = "a person" if origin == Origin.MACHINE else "a model"
        conditions.append((f"made by {made_by} (only {origin}-made labels are exported)", ~Q(origin=origin)))
    if min_confidence is not None:
        low = Q(origin=Origin.MACHINE) & (Q(confidence__lt=min_confidence) | Q(confidence__isnull=True))
        conditions.append((f"machine-made with a confidence below {min_confidence}", low))
    if not conditions:
        return []
    aggregates, passed = {}, Q()
    for index, (_reason, excluded) in enumerate(conditions):
        aggregates[f"reason{index}"] = Count("pk", filter=passed & excluded)
        passed &= ~excluded
    counts = labels.aggregate(**aggregates)
    return [(counts[f"reason{i}"], reason) for i, (reason, _) in enumerate(conditions) if counts[f"reason{i}"]]


def lines(found):
    """The report's ``filtered`` lines: "2 labels left out: their score … is below 0"."""
    return [f"{count} {_plural(count)} left out: {reason}" for count, reason in found]


def for_template(export_format, image_set):
    return lines(
        left_out(
            image_set,
            type_ids=export_format.annotation_types.values_list("pk", flat=True),
            include_blurred=export_format.include_blurred,
            include_concealed=export_format.include_concealed,
            min_score=export_format.min_verifications,
        )
    )


def for_standard(image_set, options):
    options = options or {}
    return lines(
        left_out(
            image_set,
            type_ids=options.get("types"),
            min_score=options.get("min_verifications"),
            origin=options.get("origin"),
            min_confidence=options.get("min_confidence"),
        )
    )
