"""``manage.py import_imagetagger``: bring an original ImageTagger 0.6 installation over (UPGRADE.md)."""

import json
import os

from django.core.management.base import BaseCommand, CommandError

from legacy.importer import LegacyImport
from legacy.source import LegacyDatabase, LegacySourceError, conninfo


class Command(BaseCommand):
    help = (
        "Import users (with their passwords), teams, image sets, images, annotation types, annotations, "
        "verifications, export formats, tools and messages from an original ImageTagger 0.6 PostgreSQL "
        "database and its data folder. Safe to run again: what was imported before is updated, not duplicated."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database-url", help="postgresql://user:password@host:port/name of the original database")
        parser.add_argument("--db-host", help="instead of --database-url: host of the original database")
        parser.add_argument("--db-port", help="its port (default 5432)")
        parser.add_argument("--db-name", help="its name")
        parser.add_argument("--db-user", help="its user")
        parser.add_argument(
            "--db-password", help="its password (or set PGPASSWORD, which keeps it out of the process list)"
        )
        parser.add_argument(
            "--images-dir",
            help="the original's image folder, holding one <team id>_<set id> folder per set "
            "(<IT_FS_URL>/images; /app/data/images in its container)",
        )
        parser.add_argument(
            "--tools-dir", help="the original's tools folder (default: the folder 'tools' beside --images-dir)"
        )
        parser.add_argument(
            "--skip-images",
            action="store_true",
            help="leave images, annotations and verifications for a later run (import everything else now)",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="do the whole import, report, then roll it back and delete copied files",
        )
        parser.add_argument("--json", action="store_true", help="print the final report as JSON too")

    def handle(self, *args, **options):
        url = options["database_url"]
        if not url and not (options["db_name"] or options["db_host"]):
            raise CommandError("Name the original database: --database-url postgresql://… or --db-host/--db-name/….")
        if options["images_dir"] and not os.path.isdir(options["images_dir"]):
            raise CommandError(f"--images-dir {options['images_dir']} is not a folder.")
        if options["tools_dir"] and not os.path.isdir(options["tools_dir"]):
            raise CommandError(f"--tools-dir {options['tools_dir']} is not a folder.")
        if not options["images_dir"] and not options["skip_images"]:
            raise CommandError("Give --images-dir (the original's image folder), or --skip-images to import the rest.")
        info = conninfo(
            url=url,
            host=options["db_host"],
            port=options["db_port"],
            name=options["db_name"],
            user=options["db_user"],
            password=options["db_password"],
        )
        try:
            source = LegacyDatabase(info)
        except LegacySourceError as error:
            raise CommandError(error.args[0]) from None
        try:
            importer = LegacyImport(
                source,
                images_dir=options["images_dir"],
                tools_dir=options["tools_dir"],
                dry_run=options["dry_run"],
                skip_images=options["skip_images"],
                out=self.stdout.write,
            )
            try:
                report = importer.run()
            except LegacySourceError as error:
                raise CommandError(error.args[0]) from None
        finally:
            source.close()
        self.stdout.write("")
        self.stdout.write("Import report" + (" (dry run)" if options["dry_run"] else "") + ":")
        for line in report.lines():
            self.stdout.write(line)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2, sort_keys=True))
