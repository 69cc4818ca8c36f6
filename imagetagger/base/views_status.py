"""The status page (``/status/``) inside the site's layout: the readiness checks for everyone (the
same as ``/readyz``, which stays the JSON for probes), and for staff the background worker's queue and
when the last exports finished."""

from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .health import readiness

CHECK_NAMES = {"database": "Database", "storage": "File storage", "migrations": "Database schema (migrations)"}


def worker_facts():
    """What staff see of the background work: queued and running jobs, the oldest queued one, failures
    of the last day, the last finished exports and the sets whose zip archive waits for a build."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from exports.models import Export, ExportState
    from images.models import ImageSet

    tasks = DBTaskResult.objects
    oldest = tasks.filter(status=TaskResultStatus.READY).order_by("enqueued_at").values_list("enqueued_at", flat=True)
    since = timezone.now() - timedelta(days=1)
    return {
        "queued": tasks.filter(status=TaskResultStatus.READY).count(),
        "running": tasks.filter(status=TaskResultStatus.RUNNING).count(),
        "oldest_queued": oldest.first(),
        "failed_today": tasks.filter(status=TaskResultStatus.FAILED, finished_at__gte=since).count(),
        "last_exports": list(
            Export.objects.filter(state=ExportState.DONE, finished__isnull=False)
            .select_related("image_set")
            .order_by("-finished")[:5]
        ),
        "zips_waiting": ImageSet.objects.needing_zip().filter(image_count__gt=0).count(),
    }


@never_cache
@require_safe
def status_page(request):
    results = readiness()
    checks = [(CHECK_NAMES.get(name, name), value) for name, value in results.items()]
    context = {"checks": checks, "ready": all(value == "ok" for value in results.values())}
    if request.user.is_authenticated and request.user.is_staff:
        context["worker"] = worker_facts()
    return render(request, "base/status.html", context, status=200 if context["ready"] else 503)
