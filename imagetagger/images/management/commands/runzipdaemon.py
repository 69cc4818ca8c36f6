"""The background worker: ``manage.py runzipdaemon``.

It runs the jobs queued in the database (django-tasks with its database backend): zip archives,
large exports and imports. Several may run at once, on one machine or many; each job is taken by
exactly one worker (the queue uses ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL), and a build
lease on each set keeps two workers from building the same set's archive at once.

Besides the job loop it runs the apps' *sweeps* (``base/background.py``) every ``--sweep-interval``
seconds: a build is queued for every set whose archive is stale and which nobody is building (a
build whose worker crashed, its lease expired, or that was never queued still gets done), exports
whose worker died are queued again, and hourly orphaned image files are removed. With ``--batch`` it
runs the sweeps of every round once, runs everything that is due and exits.
"""

import os
import signal
import threading

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand
from django_tasks_db.management.commands.db_worker import valid_interval

from base import background

DISABLED_MESSAGE = (
    "Zip downloads are disabled (IT_ENABLE_ZIP_DOWNLOAD is off), so runzipdaemon does not start. "
    "Set IT_ENABLE_ZIP_DOWNLOAD=true to offer image sets as zip archives."
)


class Command(DatabaseWorkerCommand):
    help = "Run the background worker that builds zip archives, exports and imports."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--sweep-interval",
            default=5.0,
            type=valid_interval,
            help="Seconds between two looks for image sets whose archive needs a build nobody queued "
            "or whose builder crashed (default: %(default)r)",
        )

    def handle(self, *args, **options):
        if not settings.ENABLE_ZIP_DOWNLOAD:
            raise CommandError(DISABLED_MESSAGE)
        sweep_interval = options.pop("sweep_interval")
        if options["batch"]:
            background.run_every_round()
            return self._run_restoring_signals(*args, **options)
        sweeper = None
        if not self._is_reloader_parent(options):
            sweeper = background.Sweeper(sweep_interval)
            sweeper.start()
        try:
            return super().handle(*args, **options)
        finally:
            if sweeper is not None:
                sweeper.stop()

    @staticmethod
    def _is_reloader_parent(options):
        """With ``--reload`` the first process only watches files; the worker runs in its child."""
        return options["reload"] and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"

    def _run_restoring_signals(self, *args, **options):
        """``--batch`` (also called from tests): keep the caller's signal handlers afterwards."""
        if threading.current_thread() is not threading.main_thread():
            return super().handle(*args, **options)
        names = [name for name in ("SIGINT", "SIGTERM", "SIGQUIT") if hasattr(signal, name)]
        saved = {name: signal.getsignal(getattr(signal, name)) for name in names}
        try:
            return super().handle(*args, **options)
        finally:
            for name, handler in saved.items():
                signal.signal(getattr(signal, name), handler)
