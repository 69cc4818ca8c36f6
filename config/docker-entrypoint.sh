#!/bin/sh
# Container entry point. The same image runs every role:
#   web (default)  gunicorn serving the site
#   migrate        apply database migrations, then exit
#   worker         the background worker (manage.py runzipdaemon)
#   anything else  run as a command, e.g. "manage.py createsuperuser"
set -e
cd /app/imagetagger
case "${1:-web}" in
    web) exec gunicorn -c /app/gunicorn.conf.py imagetagger.wsgi ;;
    migrate) exec python manage.py migrate --noinput ;;
    worker) exec python manage.py runzipdaemon ;;
    manage.py) shift; exec python manage.py "$@" ;;
    *) exec "$@" ;;
esac
