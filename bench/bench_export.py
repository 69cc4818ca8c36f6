"""Benchmark: export of 1,000,000 annotations over 100,000 images (seconds, peak memory).

Baseline, measured in the same run: a plain streaming SELECT of the same rows (image name, type
name, vector, flags, ordered as the export orders them) through ``values_list(...).iterator()`` —
what any export has to do at least. Measured: the export job (``exports.jobs.run``: stream to a
temporary file, save into the storage, record the report) in the template format (label lines via
the template engine), the standard label-line format and COCO. Peak memory comes from a second,
traced run of each export (``tracemalloc``: Python allocations), so the timed run is not slowed down.

    .venv/bin/python bench/bench_export.py [--annotations 1000000] [--images 100000] [--no-trace]
        [--repo DIR ...] [--rounds 3]

``--repo DIR`` (repeatable) measures another checkout too (e.g. ``git worktree add /tmp/before HEAD``,
with the same migrations): every round, this checkout and each other one run the baseline and every
export in a fresh process of their own on the same data, the order alternating; medians per checkout,
each export as a ratio to the SELECT measured in its own processes. (No traced runs in this mode.)
"""

import argparse
import resource
import tracemalloc
from pathlib import Path

import _setup

_setup.setup_django()

from _exportdata import baseline, bench_set, generate, measure_repos, report_repos, run_export  # noqa: E402

from exports.models import ExportFormat  # noqa: E402


def traced_peak(user, image_set, **fields):
    tracemalloc.start()
    run_export(user, image_set, **fields)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotations", type=int, default=1_000_000)
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--no-trace", action="store_true", help="skip the traced runs (peak memory)")
    parser.add_argument("--repo", action="append", default=[], type=Path, help="another checkout to measure too")
    parser.add_argument("--rounds", type=int, default=3, help="rounds with --repo")
    args = parser.parse_args()

    from django.db import connection

    user, team, image_set, types = bench_set()
    generated = generate(image_set, types, args.images, args.annotations)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    template = ExportFormat.objects.create(
        name="lines",
        team=team,
        annotation_format="%%imagename|%%type|{%%vector}|%%ifblurredb%%endif%%ifconcealedc%%endif",
        vector_format='"x%%count1": %%x,"y%%count1": %%y,',
        not_in_image_format="%%imagename|%%type|not in image",
        name_format="%%imageset_%%exportid.txt",
    )
    template.annotation_types.set(types)

    print(f"Export bench on {_setup.machine()}, database {connection.vendor}")
    print(f"{args.annotations} annotations over {args.images} images (generated in {generated:.1f} s)")
    # Twice, keeping the faster: the first run also warms the database's cache for every case.
    base, count = min(baseline(image_set), baseline(image_set))
    print(f"  baseline: streaming SELECT of the same rows: {base:.2f} s ({count / base:,.0f} rows/s)")
    cases = [
        ("template format (label lines)", {"format": template, "format_changed": template.last_change_time}),
        ("standard label lines (pipe)", {"standard": "pipe"}),
        ("COCO JSON", {"standard": "coco"}),
    ]
    if args.repo:
        repos = [_setup.REPO, *(repo.resolve() for repo in args.repo)]
        print(f"{args.rounds} rounds, each checkout in a fresh process per round, alternating:")
        report_repos(measure_repos(repos, image_set, user, cases, args.rounds), cases)
        return
    rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for label, fields in cases:
        elapsed, export = run_export(user, image_set, **fields)
        line = (
            f"  {label}: {elapsed:.2f} s = {elapsed / base:.1f}× the SELECT, "
            f"{export.annotation_count / elapsed:,.0f} annotations/s, file {export.size / 1e6:.1f} MB"
        )
        if not args.no_trace:
            peak = traced_peak(user, image_set, **fields)
            line += f", peak Python memory {peak / 1e6:.1f} MB (traced run)"
        print(line)
    rss_end = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"  process max RSS: {rss_end / 1024:.0f} MB (grew by {(rss_end - rss_start) / 1024:.0f} MB during the exports)"
    )


if __name__ == "__main__":
    main()
