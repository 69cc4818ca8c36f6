"""The statistics page of an image set (``work.imageset_statistics``: aggregate queries only)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from images.models import ImageSet
from images.permissions import imageset_permissions

from . import charts, work

STATE_STYLES = (
    ("accepted", "bg-success"),
    ("disputed", "bg-warning"),
    ("rejected", "bg-danger"),
    ("unverified", "bg-secondary"),
)


def _shares(counts):
    """The verification states of ``counts`` as parts of a stacked bar (percent of the annotations)."""
    total = counts["annotations"]
    return [
        {"state": state, "style": style, "count": counts[state], "percent": round(100 * counts[state] / total, 2)}
        for state, style in STATE_STYLES
        if total and counts[state]
    ]


def _review_chart(model):
    """A stacked bar per confidence band: what people made of that model's labels."""
    labels = [band["band"] for band in model["bands"]]
    series = [
        {"name": outcome, "counts": [band[outcome] for band in model["bands"]]} for outcome in work.REVIEW_OUTCOMES
    ]
    return charts.stacked_bars(labels, series)


@login_required
@require_safe
def imageset_statistics(request, imageset_id):
    image_set = ImageSet.objects.select_related("team").filter(pk=imageset_id).first()
    if image_set is None or "read" not in imageset_permissions(request.user, image_set):
        raise Http404("No such image set.")
    statistics = work.imageset_statistics(image_set)
    images = statistics["images"]
    for row in statistics["types"]:
        row["shares"] = _shares(row)
        row["coverage"] = round(100 * row["annotated_images"] / images, 1) if images else 0
    statistics["shares"] = _shares(statistics["annotations"])
    statistics["models"] = [
        {**model, "chart": _review_chart(model), "chart_id": f"model-review-{number}"}
        for number, model in enumerate(work.machine_review_statistics(image_set), start=1)
    ]
    statistics["coverage"] = round(100 * statistics["annotated_images"] / images, 1) if images else 0
    return render(request, "annotations/imageset_statistics.html", {"image_set": image_set, "statistics": statistics})
