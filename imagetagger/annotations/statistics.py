"""Site-wide statistics for the home page, and the chart of labels per day.

Every number is an aggregate query (a fixed number of queries whatever the amount of data), and the
whole result is kept in Django's cache for ``IT_STATISTICS_CACHE_SECONDS`` (default 5 minutes; 0 turns
the cache off), so a busy home page costs one cache read instead of scans over millions of annotations.
The numbers are site-wide totals: they name no image set, image or user, so every logged-in user may
see them. Per-set statistics are ``annotations.work.imageset_statistics``.

"Active" follows the original (spec §8.4): a user with at least ``ACTIVE_POINTS`` points; a team
with at least one such member (the original labelled this "2+ active users", which its code did
not do, spec §14.3).
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, Value, When
from django.utils import timezone

from images.models import Image, ImageSet
from users.models import Team, TeamMembership

from .models import Annotation, Origin, Verification
from .work import label_counters

CACHE_KEY = "annotations.site_statistics.v2"
ACTIVE_POINTS = 50
CHART_DAYS = 90
# The types with the most labels in the chart's period get a series each; the rest are "other".
CHART_TOP_TYPES = 5
OTHER = "other types"
TEAM_TYPES = "team types"
SITE_TYPE = Q(annotation_type__team__isnull=True)


def site_statistics(*, now=None):
    """The home page's numbers (see ``compute_site_statistics``), from the cache when fresh."""
    seconds = settings.STATISTICS_CACHE_SECONDS
    if not seconds:
        return compute_site_statistics(now=now)
    statistics = cache.get(CACHE_KEY)
    if statistics is None:
        statistics = compute_site_statistics(now=now)
        cache.set(CACHE_KEY, statistics, seconds)
    return statistics


def forget_site_statistics():
    cache.delete(CACHE_KEY)


def compute_site_statistics(*, now=None):
    """Eight aggregate queries::

    {"images": {"all", "public"}, "image_sets": {"all", "public"},
     "annotations": {"all", "shapes", "not_in_image", "tags", "human", "machine"},
     "votes": {"accepts", "rejects"}, "users": {"all", "active"}, "teams": {"all", "active"},
     "top_types": [{"name", "color", "count"}, …],            # site types with most labels, up to 5
     "daily": {"start", "end", "days": [date, …],
               "series": [{"name", "color", "counts": [int per day], "total"}, …]},

    Only site types are named: a team's types are its own, so their labels count as "team types"
    (``color`` None) in the chart and are left out of ``top_types``.
     "computed": datetime}
    """
    now = now or timezone.now()
    user_model = get_user_model()
    active_user = Q(is_active=True, points__gte=ACTIVE_POINTS)
    active_member = TeamMembership.objects.filter(team=OuterRef("pk"), user__is_active=True).filter(
        user__points__gte=ACTIVE_POINTS
    )
    statistics = {
        "images": Image.objects.aggregate(all=Count("pk"), public=Count("pk", filter=Q(image_set__public=True))),
        "image_sets": ImageSet.objects.aggregate(all=Count("pk"), public=Count("pk", filter=Q(public=True))),
        "annotations": Annotation.objects.aggregate(
            all=Count("pk"),
            **label_counters(),
            human=Count("pk", filter=Q(origin=Origin.HUMAN)),
            machine=Count("pk", filter=Q(origin=Origin.MACHINE)),
        ),
        "votes": Verification.objects.aggregate(
            accepts=Count("pk", filter=Q(verified=True)), rejects=Count("pk", filter=Q(verified=False))
        ),
        "users": user_model.objects.filter(is_active=True).aggregate(
            all=Count("pk"), active=Count("pk", filter=active_user)
        ),
        "teams": Team.objects.aggregate(all=Count("pk"), active=Count("pk", filter=Q(Exists(active_member)))),
        "top_types": _top_types(),
        "daily": _daily(now),
        "computed": now,
    }
    return statistics


def _top_types(limit=CHART_TOP_TYPES):
    counts = (
        Annotation.objects.filter(annotation_type__team__isnull=True)
        .order_by()
        .values("annotation_type")
        .annotate(count=Count("pk"))
        .order_by("-count", "annotation_type")[:limit]
    )
    rows = list(counts.values_list("annotation_type__name", "annotation_type__color", "count"))
    return [{"name": name, "color": color, "count": count} for name, color, count in rows]


def _day_index(starts, low=0, high=None):
    """SQL for "which of the days beginning at ``starts`` (aware datetimes, ascending) holds ``time``":
    nested CASEs that halve the range each time (7 comparisons a row for 90 days), evaluated by the
    database itself. (``TruncDate`` would call a Python function per row on SQLite, and date arithmetic
    on UTC timestamps would misplace labels near midnight around daylight-saving changes.)"""
    high = len(starts) if high is None else high
    if high - low == 1:
        return Value(low)
    middle = (low + high) // 2
    return Case(
        When(time__gte=starts[middle], then=_day_index(starts, middle, high)),
        default=_day_index(starts, low, middle),
        output_field=IntegerField(),
    )


def _daily(now, days=CHART_DAYS, top=CHART_TOP_TYPES):
    """Labels made per day (midnight to midnight in the site's time zone) over the last ``days`` days,
    per type: the ``top`` types of the period, the others summed as "other types". One grouped query."""
    end = timezone.localdate(now)
    dates = [end - datetime.timedelta(days=days - 1 - offset) for offset in range(days)]
    starts = [timezone.make_aware(datetime.datetime.combine(day, datetime.time.min)) for day in dates]
    rows = (
        Annotation.objects.filter(time__gte=starts[0])
        .annotate(day=_day_index(starts))
        .order_by()
        .annotate(
            type_name=Case(When(SITE_TYPE, then=F("annotation_type__name")), default=Value(TEAM_TYPES)),
            type_color=Case(When(SITE_TYPE, then=F("annotation_type__color")), default=Value("")),
        )
        .values_list("day", "type_name", "type_color")
        .annotate(count=Count("pk"))
    )
    per_type, colors = {}, {}
    for day, name, color, count in rows:
        per_type.setdefault(name, [0] * days)[day] += count
        colors[name] = color or None
    ranked = sorted(per_type.items(), key=lambda item: (-sum(item[1]), item[0]))
    series = [{"name": name, "color": colors[name], "counts": counts} for name, counts in ranked[:top]]
    if len(ranked) > top:
        rest = [sum(values) for values in zip(*(counts for _, counts in ranked[top:]), strict=True)]
        series.append({"name": OTHER, "color": None, "counts": rest})
    for entry in series:
        entry["total"] = sum(entry["counts"])
    return {"start": dates[0], "end": end, "days": dates, "series": series}


def home_statistics():
    """``site_statistics`` plus the geometry of its labels-per-day chart, for the home page template."""
    from .charts import stacked_bars

    statistics = site_statistics()
    daily = statistics["daily"]
    chart = stacked_bars(daily["days"], daily["series"], other=OTHER)
    table = [
        {"day": day, "counts": [entry["counts"][index] for entry in daily["series"]]}
        for index, day in enumerate(daily["days"])
        if any(entry["counts"][index] for entry in daily["series"])
    ]
    return {**statistics, "chart": chart, "daily_table": table}
