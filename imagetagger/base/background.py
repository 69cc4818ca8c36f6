"""The one place background work meets: the periodic sweeps the worker (``manage.py runzipdaemon``)
runs beside its job queue.

Each app registers its own sweeps in its ``AppConfig.ready()`` (``register("zip archives",
"images.zips.sweep")``), so the worker runs them all without one app importing another for it: the
images app knows nothing of exports, and exports only use the images app's models and helpers.
Jobs themselves are django-tasks tasks, queued by each app's services and run by the same worker.

A sweep runs every round (``every=None``: each ``--sweep-interval`` seconds) or at most every
``every`` seconds; one that raises is logged and the others still run.
"""

import logging
import threading
import time
from dataclasses import dataclass, field

from django.db import close_old_connections, connection
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass
class Sweep:
    name: str
    path: str  # the dotted path of the function, imported when it first runs
    every: float | None = None  # seconds between runs; None: every round
    first_after: float = 0.0  # seconds after the worker starts before its first run
    next_run: float = field(default=0.0, compare=False)

    def run(self):
        return import_string(self.path)()


_SWEEPS: dict[str, Sweep] = {}


def register(name, path, *, every=None, first_after=0.0):
    """Add (or replace) the sweep ``name``: the function at ``path``, run by the worker."""
    _SWEEPS[name] = Sweep(name, path, every, first_after)


def registered():
    return list(_SWEEPS.values())


def run_due(now=None):
    """Run every sweep that is due at ``now`` (monotonic seconds); returns the names of those run."""
    now = time.monotonic() if now is None else now
    due = [sweep for sweep in registered() if now >= sweep.next_run]
    for sweep in due:
        sweep.next_run = now + sweep.every if sweep.every else now
    return _run(due)


def run_every_round():
    """The sweeps that run each round, once (``runzipdaemon --batch``): the hourly ones wait."""
    return _run([sweep for sweep in registered() if sweep.every is None])


def _run(sweeps):
    """Run ``sweeps`` in order; one that raises is logged and the others still run. Their names."""
    for sweep in sweeps:
        try:
            sweep.run()
        except Exception:
            logger.exception("The background sweep “%s” failed; it runs again later", sweep.name)
    return [sweep.name for sweep in sweeps]


class Sweeper(threading.Thread):
    """Runs the due sweeps every ``interval`` seconds until stopped (the worker's second thread)."""

    def __init__(self, interval):
        super().__init__(name="sweeper", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()
        started = time.monotonic()
        for sweep in registered():
            sweep.next_run = started + sweep.first_after

    def run(self):
        try:
            while True:
                close_old_connections()
                run_due()
                if self.stopped.wait(self.interval):
                    return
        finally:
            connection.close()

    def stop(self):
        self.stopped.set()


def requeue_silent(model, *, stale_after, enqueue, what, reset=None):
    """Queue again the jobs (rows of ``model`` with ``state`` and ``heartbeat``) whose worker died:
    queued or running ones silent for ``stale_after``; ``reset``: more fields to set. For the sweeps of
    exports and pre-label jobs. A queued row is claimed once only, so an extra task for one that was
    merely waiting does no harm. Returns how many were queued again."""
    from django.utils import timezone

    now = timezone.now()
    silent = {"state__in": ["queued", "running"], "heartbeat__lt": now - stale_after}
    requeued = 0
    for row_id in list(model.objects.filter(**silent).values_list("pk", flat=True)):
        if model.objects.filter(pk=row_id, **silent).update(state="queued", heartbeat=now, **(reset or {})):
            logger.warning("%s %s was abandoned by its worker; queued again", what, row_id)
            enqueue(row_id)
            requeued += 1
    return requeued
