"""The worker's sweeps meet in base/background.py: each app registers its own, the worker runs them all,
a failing one does not stop the others, and the apps do not import each other for it (issue 15: the
images app imported the exports app's sweeper while exports imported images: an import circle)."""

import ast
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from django.utils.module_loading import import_string

from base import background
from exports import jobs
from exports.models import Export, ExportState
from images.tests.factories import make_imageset

APPS_DIR = Path(__file__).resolve().parents[2]


def test_every_app_sweep_is_registered_and_importable():
    sweeps = {sweep.name: sweep for sweep in background.registered()}
    assert {"zip archives", "orphaned image files", "abandoned exports"} <= set(sweeps)
    assert sweeps["orphaned image files"].every == 3600
    assert sweeps["zip archives"].every is None
    for sweep in sweeps.values():
        assert callable(import_string(sweep.path)), sweep.path


@pytest.fixture
def only_these(monkeypatch):
    """Replace the registered sweeps by the test's own for its duration."""
    monkeypatch.setattr(background, "_SWEEPS", {})
    return background


def test_each_round_sweeps_run_every_time_and_timed_ones_when_due(only_these, monkeypatch):
    calls = []
    monkeypatch.setattr("base.tests.test_background.record_a", lambda: calls.append("a"), raising=False)
    monkeypatch.setattr("base.tests.test_background.record_b", lambda: calls.append("b"), raising=False)
    only_these.register("a", "base.tests.test_background.record_a")
    only_these.register("b", "base.tests.test_background.record_b", every=100)
    assert only_these.run_due(now=1000) == ["a", "b"]
    assert only_these.run_due(now=1050) == ["a"]
    assert only_these.run_due(now=1100) == ["a", "b"]
    assert calls == ["a", "b", "a", "a", "b"]
    assert only_these.run_every_round() == ["a"]


def fail():
    raise RuntimeError("the storage is down")


def test_a_failing_sweep_is_logged_and_the_others_still_run(only_these, monkeypatch, caplog):
    calls = []
    monkeypatch.setattr("base.tests.test_background.record_c", lambda: calls.append("c"), raising=False)
    only_these.register("broken", "base.tests.test_background.fail")
    only_these.register("c", "base.tests.test_background.record_c")
    with caplog.at_level(logging.ERROR, logger="base.background"):
        assert only_these.run_due(now=5) == ["broken", "c"]
    assert calls == ["c"]
    assert "The background sweep “broken” failed" in caplog.text
    assert "the storage is down" in caplog.text


def test_a_new_sweeper_waits_before_the_first_run_of_a_delayed_sweep(only_these, monkeypatch):
    monkeypatch.setattr("base.tests.test_background.record_d", lambda: None, raising=False)
    only_these.register("d", "base.tests.test_background.record_d", every=3600, first_after=60)
    sweeper = only_these.Sweeper(interval=5)
    due = background.registered()[0].next_run
    assert only_these.run_due(now=due - 1) == []
    assert only_these.run_due(now=due) == ["d"]
    sweeper.stop()


@pytest.mark.django_db(transaction=True)
def test_the_batch_worker_runs_the_exports_sweep_too(make_user, make_team, storage_dir):
    user = make_user()
    image_set = make_imageset(make_team(admins=[user]), creator=user)
    export = jobs.create_export(actor=user, image_set=image_set, standard="pipe")
    Export.objects.filter(pk=export.pk).update(
        state=ExportState.RUNNING, heartbeat=timezone.now() - timedelta(minutes=6), file=""
    )
    call_command("runzipdaemon", "--batch", verbosity=0)
    export.refresh_from_db()
    assert export.state == ExportState.DONE  # queued again by the sweep, then written by the worker


def imported_modules(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_the_images_app_does_not_import_the_exports_app():
    offenders = [
        (str(path.relative_to(APPS_DIR)), module)
        for path in sorted((APPS_DIR / "images").rglob("*.py"))
        if "tests" not in path.parts
        for module in imported_modules(path)
        if module == "exports" or module.startswith("exports.")
    ]
    assert offenders == []
