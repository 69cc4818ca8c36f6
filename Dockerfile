# ImageTagger container image: one image for every role, chosen by the command (config/docker-entrypoint.sh):
#   web (default): gunicorn on port 8000 · migrate: apply the migrations · worker: manage.py runzipdaemon
#
#   docker build -t imagetagger .
#   docker run --rm -e IT_SECRET_KEY=… -e IT_ALLOWED_HOSTS=… -e IT_DB_HOST=… imagetagger migrate
#   docker run -d -p 8000:8000 -v imagetagger-data:/app/data -e … imagetagger
#   docker run -d -v imagetagger-data:/app/data -e … imagetagger worker
# README.md, section "Deployment", has the details.

# --- front-end packages, exactly as locked in package-lock.json -------------------------------------
FROM node:20-bookworm-slim AS frontend
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --omit=dev

# --- Python packages, exactly as pinned in requirements.txt, in a virtualenv --------------------------
FROM python:3.11-slim-bookworm AS python
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install --require-virtualenv -r /tmp/requirements.txt

# --- the image ---------------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm
ARG UID=5008
ARG GID=5008
LABEL org.opencontainers.image.title="ImageTagger" \
      org.opencontainers.image.description="Collaborative image labelling" \
      org.opencontainers.image.licenses="MIT"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=imagetagger.settings \
    DJANGO_CONFIGURATION=Prod \
    IT_FS_URL=/app/data \
    IT_TMP_FS_URL=/tmp/imagetagger \
    IT_STATIC_ROOT=/app/static \
    IMAGETAGGER_APP_DIR=/app \
    GUNICORN_CONFIG=/app/gunicorn.conf.py
WORKDIR /app

COPY --from=python /opt/venv /opt/venv
COPY --from=frontend /app/node_modules ./node_modules
COPY imagetagger ./imagetagger
COPY config/gunicorn.conf.py ./gunicorn.conf.py
COPY config/docker-entrypoint.sh /usr/local/bin/docker-entrypoint

# The user the site runs as; it owns only the volumes. /app/config/settings.py is the operator's
# custom settings module (imagetagger.settings_local, see config/settings_local.example.py).
# Static files are collected (and compressed, with hashed names) now, so the root file system can
# stay read-only; the values given to collectstatic only let the Prod configuration load.
RUN groupadd --system --gid "$GID" imagetagger \
    && useradd --system --uid "$UID" --gid imagetagger --home-dir /app/data --shell /usr/sbin/nologin imagetagger \
    && mkdir -p /app/data /app/config /app/static \
    && touch /app/config/settings.py \
    && ln -s /app/config/settings.py /app/imagetagger/imagetagger/settings_local.py \
    && python -m compileall -q /app/imagetagger \
    && cd /app/imagetagger \
    && IT_SECRET_KEY=collectstatic-only IT_ALLOWED_HOSTS=localhost IT_DB_HOST=unused \
       IT_FS_URL=/tmp/build-data IT_TMP_FS_URL=/tmp/build-tmp \
       python manage.py collectstatic --noinput --verbosity 0 \
    && rm -rf /tmp/build-data /tmp/build-tmp \
    && chown -R imagetagger:imagetagger /app/data /app/config

USER imagetagger:imagetagger
VOLUME ["/app/data", "/app/config"]
EXPOSE 8000
# Liveness: GET /healthz in a web container (readiness with database, storage and migrations is /readyz);
# worker and migrate containers count as healthy while they run.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["docker-entrypoint", "healthcheck"]
ENTRYPOINT ["docker-entrypoint"]
CMD ["web"]
