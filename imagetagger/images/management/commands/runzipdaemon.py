"""The background worker: ``manage.py runzipdaemon``.

It runs the jobs queued in the database (django-tasks with its database backend): zip archives,
large exports and imports. Several may run at once, on one machine or many; each job is taken by
exactly one worker (the queue uses ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL).
"""

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand


class Command(DatabaseWorkerCommand):
    help = "Run the background worker that builds zip archives, exports and imports."
