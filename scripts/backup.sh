#!/usr/bin/env bash
# Back up ImageTagger: the PostgreSQL database (pg_dump, custom format) and the data folder
# (IT_FS_URL: images, zip archives, exports, tools) into a new folder. See README.md, "Backup and restore".
#
#   scripts/backup.sh BACKUP_FOLDER
#
# Reads the same variables as the site: IT_DB_HOST, IT_DB_PORT, IT_DB_NAME, IT_DB_USER,
# IT_DB_PASSWORD and IT_FS_URL. BACKUP_FOLDER must not exist yet (or be empty). It receives
# database.dump, files.tar and SHA256SUMS, which scripts/restore.sh checks before restoring.
#
# The database is dumped first, then the files are copied: every file the dump refers to is then in
# the copy, unless it was deleted in between (stop the workers and uploads for an exact copy).
set -euo pipefail

usage() { echo "usage: $0 BACKUP_FOLDER" >&2; exit 2; }
fail() { echo "backup: $*" >&2; exit 1; }

[[ $# -eq 1 ]] || usage
target=$1

: "${IT_DB_HOST:?backup: set IT_DB_HOST (and IT_DB_NAME, IT_DB_USER, IT_DB_PASSWORD) to the PostgreSQL database}"
: "${IT_FS_URL:?backup: set IT_FS_URL to the data folder}"
export PGHOST=$IT_DB_HOST PGPORT=${IT_DB_PORT:-5432} PGUSER=${IT_DB_USER:-imagetagger}
export PGDATABASE=${IT_DB_NAME:-imagetagger}
[[ -n ${IT_DB_PASSWORD:-} ]] && export PGPASSWORD=$IT_DB_PASSWORD
[[ -d $IT_FS_URL ]] || fail "the data folder $IT_FS_URL does not exist"

if [[ -e $target ]]; then
    [[ -d $target && -z $(ls -A "$target") ]] || fail "$target exists and is not an empty folder; choose a new one"
fi
mkdir -p "$target"
target=$(cd "$target" && pwd)

echo "backup: dumping database $PGDATABASE on $PGHOST:$PGPORT"
pg_dump --format=custom --no-owner --no-privileges --file="$target/database.dump.part" "$PGDATABASE"
mv "$target/database.dump.part" "$target/database.dump"

echo "backup: copying the data folder $IT_FS_URL"
# Archives being written (*.part) are left out: they are incomplete by definition.
tar --create --file="$target/files.tar.part" --directory="$IT_FS_URL" --exclude='*.part' .
mv "$target/files.tar.part" "$target/files.tar"

(cd "$target" && sha256sum database.dump files.tar > SHA256SUMS)
echo "backup: done: $target ($(du -sh "$target" | cut -f1))"
