#!/bin/sh
# Entry point of the container image. The same image runs every role, chosen by its command:
#   web (default)        gunicorn serving the site (config/gunicorn.conf.py)
#   migrate              apply the database migrations, then exit
#   worker               the background worker (manage.py runzipdaemon) once every migration is
#                        applied; run as many as you like
#   wait-for-migrations  wait until every migration is applied (WAIT_INTERVAL seconds between looks)
#   healthcheck          the image's HEALTHCHECK: GET /healthz when this container serves the web,
#                        else success (the worker and the migrations have no port)
#   manage.py ARGS...    any management command, e.g. "manage.py createsuperuser"
#   anything else        run as a command, e.g. "sh"
#
# IMAGETAGGER_APP_DIR (default /app) holds the Django project in imagetagger/; GUNICORN_CONFIG
# (default $IMAGETAGGER_APP_DIR/gunicorn.conf.py) is gunicorn's configuration file.
set -eu

app_dir="${IMAGETAGGER_APP_DIR:-/app}"
gunicorn_config="${GUNICORN_CONFIG:-$app_dir/gunicorn.conf.py}"
cd "$app_dir/imagetagger"

# After an upgrade the worker must not touch the database before the new schema is there.
wait_for_migrations() {
    interval="${WAIT_INTERVAL:-5}"
    until output="$(python manage.py migrate --check 2>&1)"; do
        echo "Waiting for the database migrations (the migrate job, or: docker-entrypoint migrate):" \
            "$(printf '%s\n' "$output" | tail -n 1); next look in ${interval}s" >&2
        sleep "$interval"
    done
    echo "Every migration is applied." >&2
}

role="${1:-web}"
[ "$#" -gt 0 ] && shift

case "$role" in
    web)
        exec gunicorn -c "$gunicorn_config" "$@" imagetagger.wsgi
        ;;
    migrate)
        exec python manage.py migrate --noinput "$@"
        ;;
    worker)
        wait_for_migrations
        exec python manage.py runzipdaemon "$@"
        ;;
    wait-for-migrations)
        wait_for_migrations
        ;;
    healthcheck)
        case "$(tr '\0' ' ' </proc/1/cmdline 2>/dev/null)" in
            *gunicorn* | *"docker-entrypoint web "* | *"docker-entrypoint ") ;;
            *) exit 0 ;;
        esac
        exec python -c 'import sys, urllib.request
url = "http://127.0.0.1:%s/healthz" % (sys.argv[1] or "8000")
sys.exit(urllib.request.urlopen(url, timeout=4).status != 200)' "${HEALTHCHECK_PORT:-}"
        ;;
    manage.py)
        exec python manage.py "$@"
        ;;
    *)
        exec "$role" "$@"
        ;;
esac
