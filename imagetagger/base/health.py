"""Probes for Docker and Kubernetes, answered before the host and HTTPS checks (``middleware.py``).

- ``/healthz`` (liveness): the process serves requests. It touches neither the database nor the
  storage, so an outage of either never makes Kubernetes restart healthy web pods.
- ``/readyz`` (readiness): the database answers, the storage accepts a write and a delete, and every
  migration this code knows is applied. Until then (e.g. while the migration job runs after an
  upgrade) the pod gets no traffic. 503 names what failed.
"""

import logging

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

# Unapplied migrations named in a failed /readyz answer at most.
LISTED_MIGRATIONS = 5


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_storage():
    name = default_storage.save(".readyz", ContentFile(b"ok"))
    default_storage.delete(name)


def check_migrations():
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]
        listed = ", ".join(names[:LISTED_MIGRATIONS]) + (", …" if len(names) > LISTED_MIGRATIONS else "")
        return f"error: {len(names)} not applied ({listed})"
    return None


READINESS_CHECKS = (("database", check_database), ("storage", check_storage), ("migrations", check_migrations))


@never_cache
@require_safe
def healthz(request):
    """Liveness: 200 as long as Django answers."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request):
    """Readiness: 200 when the database, the storage and the schema are usable; 503 naming what is not."""
    results = readiness()
    ready = all(value == "ok" for value in results.values())
    return JsonResponse({"status": "ok" if ready else "error", **results}, status=200 if ready else 503)


def readiness():
    """``{check name: "ok" or "error: …"}`` for every readiness check (``/readyz`` and the status page)."""
    results = {}
    for name, check in READINESS_CHECKS:
        try:
            problem = check()
        except Exception as error:
            logger.warning("readiness check %s failed: %s", name, error)
            problem = f"error: {error.__class__.__name__}"
        results[name] = problem or "ok"
    return results
