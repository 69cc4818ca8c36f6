# ImageTagger container image: one image for the web server, the migrations and the worker.
#   docker build -t imagetagger .
#   docker run -p 8000:8000 -e IT_SECRET_KEY=… -e IT_ALLOWED_HOSTS=… -e IT_DB_HOST=… imagetagger

# Front-end packages, exactly as locked in package-lock.json.
FROM node:20-bookworm-slim AS frontend
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --omit=dev

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    IN_DOCKER=true \
    DJANGO_SETTINGS_MODULE=imagetagger.settings \
    DJANGO_CONFIGURATION=Prod \
    IT_FS_URL=/app/data \
    IT_STATIC_ROOT=/app/static
WORKDIR /app

COPY requirements.txt ./
RUN pip install --no-cache-dir --disable-pip-version-check -r requirements.txt

COPY --from=frontend /app/node_modules ./node_modules
COPY imagetagger ./imagetagger
COPY config/gunicorn.conf.py /app/gunicorn.conf.py
COPY config/docker-entrypoint.sh /usr/local/bin/docker-entrypoint

# /app/config/settings.py is the operator's custom settings module (imagetagger.settings_local).
RUN groupadd --system --gid 5008 imagetagger \
    && useradd --system --uid 5008 --gid imagetagger --home-dir /app/data imagetagger \
    && mkdir -p /app/data /app/config /app/static \
    && touch /app/config/settings.py \
    && ln -s /app/config/settings.py /app/imagetagger/imagetagger/settings_local.py \
    && cd /app/imagetagger \
    && IT_SECRET_KEY=collectstatic-only IT_ALLOWED_HOSTS=localhost IT_DB_HOST=unused IT_FS_URL=/tmp/build-data \
       python manage.py collectstatic --noinput --verbosity 0 \
    && rm -rf /tmp/build-data \
    && chown -R imagetagger:imagetagger /app/data /app/config

USER imagetagger
VOLUME ["/app/data", "/app/config"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
ENTRYPOINT ["docker-entrypoint"]
CMD ["web"]
