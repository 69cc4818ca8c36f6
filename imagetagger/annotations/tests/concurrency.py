"""Shared by the tests of parallel writers (PostgreSQL): their marks and a way to start jobs together."""

import threading

import pytest
from django.db import connection, connections

PARALLEL_WRITERS = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (row locks and parallel writers); SQLite serialises all writers. Runs in CI.",
    ),
    pytest.mark.django_db(transaction=True),
]


def run_in_threads(jobs):
    """Start ``jobs`` (callables) together; each runs in its own thread with its own connection.
    Returns the exceptions they raised."""
    barrier = threading.Barrier(len(jobs))
    errors = []

    def run(job):
        try:
            barrier.wait()
            job()
        except BaseException as error:  # reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a voter hung (deadlock?)"
    return errors
