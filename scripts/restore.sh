#!/usr/bin/env bash
# Restore an ImageTagger backup made by scripts/backup.sh. See README.md, "Backup and restore".
#
#   scripts/restore.sh [--replace] BACKUP_FOLDER
#
# Reads IT_DB_HOST, IT_DB_PORT, IT_DB_NAME, IT_DB_USER, IT_DB_PASSWORD and IT_FS_URL. Checks the
# backup's checksums first. The database is created when it does not exist; an existing database
# must be empty and the data folder must be empty or missing, unless --replace is given (then the
# database's objects are dropped and re-created, and the files are written over the folder's).
# Stop the site and the workers while restoring.
set -euo pipefail

usage() { echo "usage: $0 [--replace] BACKUP_FOLDER" >&2; exit 2; }
fail() { echo "restore: $*" >&2; exit 1; }

replace=no
if [[ ${1:-} == --replace ]]; then replace=yes; shift; fi
[[ $# -eq 1 ]] || usage
source=$1

: "${IT_DB_HOST:?restore: set IT_DB_HOST (and IT_DB_NAME, IT_DB_USER, IT_DB_PASSWORD) to the PostgreSQL database}"
: "${IT_FS_URL:?restore: set IT_FS_URL to the data folder}"
export PGHOST=$IT_DB_HOST PGPORT=${IT_DB_PORT:-5432} PGUSER=${IT_DB_USER:-imagetagger}
database=${IT_DB_NAME:-imagetagger}
[[ -n ${IT_DB_PASSWORD:-} ]] && export PGPASSWORD=$IT_DB_PASSWORD

for name in database.dump files.tar SHA256SUMS; do
    [[ -f $source/$name ]] || fail "$source/$name is missing: not a backup made by scripts/backup.sh"
done
(cd "$source" && sha256sum --check --quiet SHA256SUMS) || fail "the backup in $source is damaged (checksums differ)"

exists=$(psql --dbname=postgres --tuples-only --no-align --set=ON_ERROR_STOP=1 \
    --command="SELECT 1 FROM pg_database WHERE datname = '${database//\'/\'\'}'")
tables=0
if [[ $exists == 1 ]]; then
    tables=$(psql --dbname="$database" --tuples-only --no-align --set=ON_ERROR_STOP=1 \
        --command="SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
fi
if [[ $tables != 0 && $replace == no ]]; then
    fail "database $database already has $tables tables; drop it first or pass --replace"
fi
if [[ -d $IT_FS_URL && -n $(ls -A "$IT_FS_URL") && $replace == no ]]; then
    fail "the data folder $IT_FS_URL is not empty; empty it first or pass --replace"
fi

if [[ $exists != 1 ]]; then
    echo "restore: creating database $database"
    createdb "$database"
fi
echo "restore: restoring database $database on $PGHOST:$PGPORT"
options=(--no-owner --no-privileges --exit-on-error)
if [[ $replace == yes ]]; then options+=(--clean --if-exists); else options+=(--single-transaction); fi
pg_restore "${options[@]}" --dbname="$database" "$source/database.dump"

echo "restore: restoring the data folder $IT_FS_URL"
mkdir -p "$IT_FS_URL"
tar --extract --file="$source/files.tar" --directory="$IT_FS_URL"
echo "restore: done"
