"""The ``imagetagger`` command.

    imagetagger login [--url URL]              store the server and a token (from your profile page)
    imagetagger whoami
    imagetagger sets [--team ID]
    imagetagger upload SET PATH…               files, folders, archives; resumable, skips what the set has
    imagetagger download SET [-o FILE]         the set's images as a zip archive
    imagetagger export SET [--format coco] [--option key=value…] [-o FILE]
    imagetagger import-labels SET FILE --format coco [--machine-made --model-name NAME]
    imagetagger prelabel SET --backend ID [--no-wait]

``--json`` prints one JSON document on standard output (progress bars go to standard error and are
off with ``--quiet``). Exit status: 0 done, 1 refused or failed (the server's reason on standard
error), 2 a usage error.
"""

import argparse
import getpass
import json
import sys
from pathlib import Path

from . import __version__, config, errors
from .client import Client


def _option(text):
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"{text!r}: write key=value")
    key, value = text.split("=", 1)
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


def parser():
    main = argparse.ArgumentParser(prog="imagetagger", description="ImageTagger from the command line.")
    main.add_argument("--version", action="version", version=f"imagetagger-client {__version__}")
    main.add_argument("--url", help="the server (else IMAGETAGGER_URL or the config file)")
    main.add_argument("--token", help="an API token (else IMAGETAGGER_TOKEN or the config file)")
    main.add_argument("--json", action="store_true", help="print JSON for scripts")
    main.add_argument("--quiet", action="store_true", help="no progress bars")
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")

    login = commands.add_parser("login", help="store the server address and a token in the config file")
    login.add_argument("--token-stdin", action="store_true", help="read the token from standard input")
    commands.add_parser("whoami", help="the token's user")
    sets = commands.add_parser("sets", help="the image sets you may read")
    sets.add_argument("--team", type=int)

    upload = commands.add_parser("upload", help="upload images, folders and archives into a set")
    upload.add_argument("set", type=int)
    upload.add_argument("paths", nargs="+", type=Path)
    upload.add_argument("--workers", type=int, default=2, help="requests in parallel (2)")
    upload.add_argument("--keep-folders", action="store_true", help="name images by their path below the folder")

    download = commands.add_parser("download", help="download a set's images as a zip archive")
    download.add_argument("set", type=int)
    download.add_argument("-o", "--output", type=Path)
    download.add_argument("--timeout", type=float, default=3600)

    export = commands.add_parser("export", help="export a set's labels and download the file")
    export.add_argument("set", type=int)
    chosen = export.add_mutually_exclusive_group()
    chosen.add_argument("--format", default="coco", help="a standard format: coco, voc, yolo, yolo-seg, pipe, cvat, …")
    chosen.add_argument("--format-id", type=int, help="a team's template export format (id)")
    export.add_argument("--option", type=_option, action="append", default=[], help="key=value (JSON values)")
    export.add_argument("-o", "--output", type=Path)
    export.add_argument("--timeout", type=float, default=3600)

    labels = commands.add_parser("import-labels", help="import labels from a file into a set")
    labels.add_argument("set", type=int)
    labels.add_argument("file", type=Path)
    labels.add_argument("--format", required=True, help="pipe, coco, voc, yolo, … (as the set page lists)")
    labels.add_argument("--machine-made", action="store_true")
    labels.add_argument("--model-name", default="")
    labels.add_argument("--timeout", type=float, default=3600)

    prelabel = commands.add_parser("prelabel", help="pre-label a set with a team's model backend")
    prelabel.add_argument("set", type=int)
    prelabel.add_argument("--backend", type=int, required=True)
    prelabel.add_argument("--no-wait", action="store_true", help="start the job and return")
    prelabel.add_argument("--timeout", type=float, default=24 * 3600)
    return main


def _print(options, data, text):
    if options.json:
        json.dump(data, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        print(text)


def _login(options):
    url = options.url or input("Server address (e.g. https://tagger.example.org): ").strip()
    if options.token:
        token = options.token
    elif options.token_stdin:
        token = sys.stdin.readline().strip()
    else:
        token = getpass.getpass("API token (make one on your profile page): ").strip()
    with Client(url, token, retries=1) as client:
        me = client.whoami()
    where = config.save(url, token)
    _print(
        options,
        {"username": me.username, "url": url, "config": str(where)},
        f"Logged in as {me.username} at {url} ({where}).",
    )


def _run(options, client):
    progress = not options.quiet and not options.json
    command = options.command
    if command == "whoami":
        me = client.whoami()
        _print(options, me.to_dict(), f"{me.username} ({me.email or 'no e-mail'}){' · staff' if me.is_staff else ''}")
    elif command == "sets":
        found = list(client.image_sets(team=options.team))
        lines = [f"{s.id:>6}  {s.name}  ({s.team_name or 'no team'}, {s.image_count} images)" for s in found]
        _print(options, [s.to_dict() for s in found], "\n".join(lines) or "No image sets.")
    elif command == "upload":
        roots = [path for path in options.paths if path.is_dir()]
        relative = roots[0] if options.keep_folders and len(roots) == 1 else None
        summary = client.upload(
            options.set, options.paths, workers=options.workers, progress=progress, names_relative_to=relative
        )
        text = (
            f"{len(summary.added)} added, {len(summary.skipped)} already in the set, "
            f"{len(summary.duplicates)} duplicates, {len(summary.refused)} refused"
        )
        for result in summary.refused:
            text += f"\n  refused {result.name}: {result.reason}"
        _print(options, summary.to_dict(), text)
        return 1 if summary.refused else 0
    elif command == "download":
        target = options.output or Path(f"imageset-{options.set}.zip")
        client.download_zip(options.set, target, timeout=options.timeout, progress=progress)
        _print(options, {"file": str(target), "size": target.stat().st_size}, f"Saved {target}.")
    elif command == "export":
        if options.format_id:
            export = client.export(options.set, format=options.format_id)
        else:
            export = client.export(options.set, standard=options.format, options=dict(options.option) or None)
        export = client.wait_export(export, timeout=options.timeout, progress=progress)
        target = options.output or Path(export.filename or f"export-{export.id}")
        client.download_export(export, target)
        _print(
            options,
            {**export.to_dict(), "file": str(target)},
            f"{export.annotation_count} labels exported to {target}.",
        )
    elif command == "import-labels":
        label_import = client.import_labels(
            options.set,
            options.file,
            format=options.format,
            machine_made=options.machine_made,
            model_name=options.model_name,
        )
        label_import = client.wait_label_import(label_import, timeout=options.timeout, progress=progress)
        _print(options, label_import.to_dict(), f"Imported: {label_import.summary}")
    elif command == "prelabel":
        job = client.prelabel(options.set, options.backend)
        if not options.no_wait:
            job = client.wait_prelabel(job, timeout=options.timeout, progress=progress)
        text = (
            f"Job {job.id}: {job.state}, {job.images_done} of {job.images_total} images, {job.labels_made} labels made"
        )
        _print(options, job.to_dict(), text)
    return 0


def main(argv=None):
    options = parser().parse_args(argv)
    try:
        if options.command == "login":
            _login(options)
            return 0
        found = config.resolve(url=options.url, token=options.token)
        if not found.token:
            print("No API token: run `imagetagger login`, or set IMAGETAGGER_TOKEN.", file=sys.stderr)
            return 2
        with Client(found.url, found.token) as client:
            return _run(options, client)
    except errors.ImageTaggerError as error:
        print(f"imagetagger: {error}", file=sys.stderr)
        return 1
    except (FileNotFoundError, KeyboardInterrupt) as error:
        print(f"imagetagger: {error or 'interrupted'}", file=sys.stderr)
        return 1
