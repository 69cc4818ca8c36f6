"""ImageTagger settings, organised with django-configurations.

Three classes: ``Dev`` (the default of ``manage.py``), ``Prod`` (the default of the WSGI entry point and
the container) and ``Test`` (used by pytest). Every value an operator may change is read from an
environment variable with the ``IT_`` prefix; README.md lists them all.

Operators who need more can write their own class in ``imagetagger/settings_local.py`` (in the
container: ``/app/config/settings.py``) and select it with ``DJANGO_SETTINGS_MODULE`` and
``DJANGO_CONFIGURATION``; see ``config/settings_local.example.py``.
"""

import functools
import os
import tempfile
from pathlib import Path

from configurations import Configuration, values
from django.contrib.messages import constants as message_constants

# imagetagger/ (the folder holding manage.py) and the repository root above it.
PROJECT_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = PROJECT_DIR.parent


def env(value_class, *args, **kwargs):
    """A django-configurations value read from ``IT_<NAME>``."""
    return _naming_errors(value_class)(*args, environ_prefix="IT", **kwargs)


@functools.cache
def _naming_errors(value_class):
    """``value_class``, but a value it cannot interpret is reported with its variable's name."""

    class Value(value_class):
        def setup(self, name):
            try:
                return super().setup(name)
            except ValueError as error:
                raise ValueError(f"{self.full_environ_name(name)}: {error}") from None

    Value.__name__ = Value.__qualname__ = value_class.__name__
    return Value


class MissingEnvironmentError(Exception):
    """A required ``IT_*`` variable is not set.

    Deliberately not an ``ImproperlyConfigured``: ``manage.py`` swallows that while loading the
    settings and then fails later without saying why.
    """


class Base(Configuration):
    # --- environment-driven values (README.md "Configuration") ---
    DEBUG = env(values.BooleanValue, False)
    SECRET_KEY = env(values.SecretValue)
    ALLOWED_HOSTS = env(values.ListValue, [])
    CSRF_TRUSTED_ORIGINS = env(values.ListValue, [])

    DB_HOST = env(values.Value, None)
    DB_PORT = env(values.PositiveIntegerValue, 5432)
    DB_NAME = env(values.Value, "imagetagger")
    DB_USER = env(values.Value, "imagetagger")
    DB_PASSWORD = env(values.Value, "")
    DB_CONN_MAX_AGE = env(values.IntegerValue, 60)
    # Prepared statements for the hot paths (a label create: base/prepared.py), planned once per
    # connection by PostgreSQL. Off for a connection pooler in transaction mode that cannot keep
    # them (PgBouncer before 1.21).
    DB_PREPARED_STATEMENTS = env(values.BooleanValue, True)

    LANGUAGE_CODE = env(values.Value, "en-us")
    TIME_ZONE = env(values.Value, "Europe/Berlin")
    # Dates and times are written one way everywhere (imagetagger/formats/en/formats.py).
    FORMAT_MODULE_PATH = ["imagetagger.formats"]
    STATIC_ROOT = env(values.Value, str(REPO_DIR / "static-collected"))

    USE_IMPRINT = env(values.BooleanValue, False)
    IMPRINT_NAME = env(values.Value, None)
    IMPRINT_URL = env(values.Value, None)
    DOWNLOAD_BASE_URL = env(values.Value, "")

    TOOLS_ENABLED = env(values.BooleanValue, True)
    TOOL_UPLOAD_NOTICE = env(values.Value, "")
    # Largest tool file accepted (bytes).
    TOOL_MAX_BYTES = env(values.PositiveIntegerValue, 2 * 1024**2)
    ENABLE_ZIP_DOWNLOAD = env(values.BooleanValue, True)
    # Seconds a zip builder holds a set before another worker may take it over (it renews the lease
    # while it works, so this only delays the recovery after a crash).
    ZIP_LEASE_SECONDS = env(values.PositiveIntegerValue, 120)
    # Seconds "next image to annotate" reserves an image for one annotator; the annotation page
    # renews the lease while the image is open, so this is how long an abandoned image stays blocked.
    ANNOTATION_LEASE_SECONDS = env(values.PositiveIntegerValue, 120)
    # Exports of at most this many annotations are written within the request; larger ones by the worker.
    EXPORT_INLINE_LIMIT = env(values.PositiveIntegerValue, 10000)
    # Label imports with more records than this run in the background worker instead of the request.
    IMPORT_INLINE_LIMIT = env(values.PositiveIntegerValue, 5000)
    # Model backends (assist app): seconds one call may take, images per /predict call, the least
    # seconds between two calls of one job (a rate limit), how long an image link handed to a backend
    # works, and the address backends fetch images from (default: DOWNLOAD_BASE_URL).
    ASSIST_TIMEOUT = env(values.FloatValue, 60.0)
    ASSIST_BATCH_SIZE = env(values.PositiveIntegerValue, 8)
    ASSIST_MIN_INTERVAL = env(values.FloatValue, 0.0)
    ASSIST_IMAGE_LINK_SECONDS = env(values.PositiveIntegerValue, 300)
    ASSIST_IMAGE_BASE_URL = env(values.Value, "")
    # Webhooks (webhooks app, README.md "Webhooks"): seconds one delivery may take; the first retry's
    # delay (it doubles with every failed attempt); how long a delivery is retried before it is given up;
    # deliveries given up in a row that disable a webhook; seconds a worker holds a delivery it is
    # sending (another worker sends it again after that; at least twice the timeout); days the delivery log
    # keeps finished deliveries; whether webhooks may call private, loopback and link-local addresses.
    WEBHOOK_TIMEOUT = env(values.FloatValue, 10.0)
    WEBHOOK_RETRY_SECONDS = env(values.FloatValue, 30.0)
    WEBHOOK_RETRY_FOR_SECONDS = env(values.FloatValue, 24 * 3600.0)
    WEBHOOK_DISABLE_AFTER = env(values.PositiveIntegerValue, 20)
    WEBHOOK_LEASE_SECONDS = env(values.FloatValue, 60.0)
    WEBHOOK_LOG_DAYS = env(values.PositiveIntegerValue, 30)
    WEBHOOK_PRIVATE_ADDRESSES = env(values.BooleanValue, True)
    # Seconds the site-wide statistics of the home page are cached (0: computed on every view).
    STATISTICS_CACHE_SECONDS = env(values.PositiveIntegerValue, 300)
    USE_NGINX_IMAGE_PROVISION = env(values.BooleanValue, False)
    FS_URL = env(values.Value, str(REPO_DIR / "data"))
    TMP_FS_URL = env(values.Value, str(Path(tempfile.gettempdir()) / "imagetagger"))
    UPLOAD_NOTICE = env(
        values.Value,
        "By uploading images to this tool you accept that the images get licensed under the "
        "Creative Commons license CC0 and may be used by other users of this site.",
    )
    IMAGE_PATH = env(values.Value, "images")
    TMP_IMAGE_PATH = env(values.Value, "images")
    TOOLS_PATH = env(values.Value, "tools")
    IMAGE_EXTENSION = env(values.ListValue, ["png", "jpeg"])
    # Upload safety limits (images/ingest.py): pixels of one image (more is a decompression bomb),
    # entries of one archive and the bytes it may unpack to (checked while reading, not only declared).
    MAX_IMAGE_PIXELS = env(values.PositiveIntegerValue, 178956970)
    ARCHIVE_MAX_ENTRIES = env(values.PositiveIntegerValue, 100000)
    ARCHIVE_MAX_BYTES = env(values.PositiveIntegerValue, 20 * 1024**3)
    ARCHIVE_MAX_RATIO = env(values.PositiveIntegerValue, 100)  # times a member over 1 MiB, or the archive, may inflate
    ACCOUNT_ACTIVATION_DAYS = env(values.PositiveIntegerValue, 7)
    REGISTRATION_OPEN = env(values.BooleanValue, True)

    # Login rate limiting (django-axes, users/throttle.py): failures of one account from one address
    # within the cool-off.
    LOGIN_FAILURE_LIMIT = env(values.PositiveIntegerValue, 5)
    LOGIN_COOLOFF_MINUTES = env(values.PositiveIntegerValue, 15)
    # Ceilings above the per-(account, address) limit: an address on any accounts (a lab behind one
    # NAT address), an account from any addresses (users/throttle.py).
    LOGIN_ADDRESS_FAILURE_LIMIT = env(values.PositiveIntegerValue, 50)
    LOGIN_ACCOUNT_FAILURE_LIMIT = env(values.PositiveIntegerValue, 50)

    EMAIL_HOST = env(values.Value, "localhost")
    EMAIL_PORT = env(values.PositiveIntegerValue, 25)
    EMAIL_HOST_USER = env(values.Value, "")
    EMAIL_HOST_PASSWORD = env(values.Value, "")
    EMAIL_USE_TLS = env(values.BooleanValue, False)
    DEFAULT_FROM_EMAIL = env(values.Value, "imagetagger@localhost")

    # Single sign-on with OpenID Connect (users/oidc.py, README.md "Single sign-on"): on when
    # IT_OIDC_CLIENT_ID is set. The endpoints come from the issuer's discovery document
    # (<issuer>/.well-known/openid-configuration) unless they are given one by one.
    OIDC_CLIENT_ID = env(values.Value, "")
    OIDC_CLIENT_SECRET = env(values.Value, "")
    OIDC_ISSUER = env(values.Value, "")
    OIDC_AUTHORIZATION_ENDPOINT = env(values.Value, "")
    OIDC_TOKEN_ENDPOINT = env(values.Value, "")
    OIDC_USERINFO_ENDPOINT = env(values.Value, "")
    OIDC_JWKS_ENDPOINT = env(values.Value, "")
    OIDC_SCOPES = env(values.Value, "openid email profile")
    OIDC_SIGN_ALGO = env(values.Value, "RS256")
    # The button says "Sign in with <name>".
    OIDC_PROVIDER_NAME = env(values.Value, "SSO")
    # A claim listing team names: each login makes the user a member of those teams (see README.md).
    OIDC_TEAM_CLAIM = env(values.Value, "")
    # Seconds one request to the provider may take.
    OIDC_TIMEOUT = env(values.FloatValue, 10.0)
    # false: no password log-in anywhere (site and admin), no password registration or reset.
    PASSWORD_LOGIN = env(values.BooleanValue, True)

    LOG_LEVEL = env(values.Value, "INFO")
    # Bearer token Prometheus sends to /metrics; unset: no /metrics (README.md "Operations").
    METRICS_TOKEN = env(values.Value, "")

    # --- fixed settings ---
    INSTALLED_APPS = [
        "base",
        "users",
        "images",
        "annotations",
        "exports",
        "administration",
        "tools",
        "tagger_messages",
        "assist",
        "webhooks",
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "whitenoise.runserver_nostatic",
        "django.contrib.staticfiles",
        "django_registration",
        "rest_framework",
        "drf_spectacular",
        "drf_spectacular_sidecar",
        "csp",
        "widget_tweaks",
        "axes",
        "django_tasks",
        "django_tasks_db",
        "legacy",
    ]
    MIDDLEWARE = [
        "base.logs.RequestLogMiddleware",
        "base.metrics.MetricsMiddleware",
        "base.middleware.HealthCheckMiddleware",
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
        # After whitenoise: static files need no policy.
        "csp.middleware.CSPMiddleware",
        "base.middleware.PermissionsPolicyMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.locale.LocaleMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        "axes.middleware.AxesMiddleware",
    ]
    ROOT_URLCONF = "imagetagger.urls"
    WSGI_APPLICATION = "imagetagger.wsgi.application"
    TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [],
            "APP_DIRS": True,
            "OPTIONS": {
                "context_processors": [
                    "django.template.context_processors.request",
                    "django.contrib.auth.context_processors.auth",
                    "django.contrib.messages.context_processors.messages",
                    "base.context_processors.base_data",
                    "tagger_messages.context_processors.unread_messages",
                ],
            },
        }
    ]
    AUTH_USER_MODEL = "users.User"
    AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        # Refuses passwords while IT_PASSWORD_LOGIN is false (before ModelBackend could accept one).
        "users.oidc.PasswordLoginSwitch",
        "django.contrib.auth.backends.ModelBackend",
        # Single sign-on; inert while IT_OIDC_CLIENT_ID is unset.
        "users.oidc.OidcBackend",
    ]
    AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
        {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
        {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    ]
    LOGIN_URL = "/user/login/"
    LOGIN_REDIRECT_URL = "/"
    LOGOUT_REDIRECT_URL = "/"
    USE_I18N = True
    USE_TZ = True
    DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
    STATIC_URL = "/static/"
    MEDIA_URL = "/media/"
    MESSAGE_TAGS = {message_constants.ERROR: "danger"}
    MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
    DEFAULT_EXPIRE_TIME = 7
    MESSAGES_PER_PAGE = 10
    SITE_NAME = "ImageTagger"
    PROBLEMS_URL = ""
    # Users listed by an autocomplete at most.
    AUTOCOMPLETE_LIMIT = 10
    DATA_UPLOAD_MAX_NUMBER_FIELDS = 10000
    # The largest JSON body the API reads (bulk creates of a few thousand labels fit in 1 MiB).
    API_JSON_MAX_BYTES = env(values.PositiveIntegerValue, 16 * 1024**2)

    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": [
            # Token first: failed requests then answer 401 with "WWW-Authenticate: Token".
            "users.authentication.ApiTokenAuthentication",
            "rest_framework.authentication.SessionAuthentication",
        ],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        "DEFAULT_PAGINATION_CLASS": "imagetagger.api.Pagination",
        # JSON with a depth and a size limit (base/jsontext.py); forms and uploads as DRF's defaults.
        "DEFAULT_PARSER_CLASSES": [
            "base.parsers.JSONParser",
            "rest_framework.parsers.FormParser",
            "rest_framework.parsers.MultiPartParser",
        ],
        "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
        "EXCEPTION_HANDLER": "imagetagger.api.exception_handler",
        "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    }
    SPECTACULAR_SETTINGS = {
        "TITLE": "ImageTagger API",
        "DESCRIPTION": (
            "Label images collaboratively. Authenticate scripts with `Authorization: Token <key>`; "
            "create keys on your profile page."
        ),
        "VERSION": "1",
        "SERVE_INCLUDE_SCHEMA": False,
        "SCHEMA_PATH_PREFIX": r"/api/v1",
        "COMPONENT_SPLIT_REQUEST": True,
        # Swagger UI from the drf-spectacular-sidecar package, served by us, not from a CDN.
        "SWAGGER_UI_DIST": "SIDECAR",
        "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
        "REDOC_DIST": "SIDECAR",
        # One name per choice set: accept/reject (the votes API's "vote", the annotations' "my_vote"), the
        # pre-label jobs' states, the exports' and label imports' states.
        "ENUM_NAME_OVERRIDES": {
            "VoteEnum": ["accept", "reject"],
            "PrelabelJobStateEnum": "assist.models.JobState",
            "StateEnum": "exports.models.ExportState",
            "WebhookEventEnum": "webhooks.models.Event",
        },
    }

    # --- security headers (README.md "Security headers"), in every configuration ---
    SECURE_REFERRER_POLICY = "same-origin"
    # Browser features the site never uses, off for it and anything it embeds; full screen (the annotate
    # page) keeps the browser's default (this site only). base.middleware.PermissionsPolicyMiddleware.
    PERMISSIONS_POLICY = {
        feature: []
        for feature in (
            "accelerometer",
            "autoplay",
            "browsing-topics",
            "camera",
            "display-capture",
            "geolocation",
            "gyroscope",
            "hid",
            "magnetometer",
            "microphone",
            "midi",
            "payment",
            "serial",
            "usb",
        )
    }

    @property
    def CONTENT_SECURITY_POLICY(self):
        """Content-Security-Policy (django-csp): our own scripts, styles, fonts and requests only, no inline
        script or style (no nonces either: no page needs one), no plugins, no framing. The canvas draws
        images from blob: and data: URLs; with IT_STORAGE=s3 images are redirects to the bucket."""
        from csp.constants import NONE, SELF

        return {
            "DIRECTIVES": {
                "default-src": [SELF],
                "script-src": [SELF],
                "style-src": [SELF],
                "img-src": [SELF, "data:", "blob:", *self.bucket_origins()],
                "font-src": [SELF],
                "connect-src": [SELF],
                "object-src": [NONE],
                "base-uri": [SELF],
                "frame-ancestors": [NONE],
                "form-action": [SELF],
            }
        }

    def bucket_origins(self):
        """The origins of the bucket's signed URLs (as boto3 makes them), for img-src; none for local files."""
        from urllib.parse import urlsplit

        if (self.STORAGE or "").strip().lower() != "s3" or not self.S3_BUCKET:
            return []
        styles = {"path": ["path"], "virtual": ["virtual"]}.get(self.S3_ADDRESSING_STYLE, ["path", "virtual"])
        if self.S3_ENDPOINT_URL:
            endpoint = urlsplit(self.S3_ENDPOINT_URL)
            hosts = [(endpoint.scheme, endpoint.netloc)]
        else:  # AWS: the global name in us-east-1 (and for "auto"), the regional one elsewhere
            hosts = [("https", "s3.amazonaws.com"), ("https", f"s3.{self.S3_REGION}.amazonaws.com")]
        origins = []
        for style in styles:
            for scheme, host in hosts:
                origin = f"{scheme}://{self.S3_BUCKET}.{host}" if style == "virtual" else f"{scheme}://{host}"
                if origin not in origins:
                    origins.append(origin)
        return origins

    @property
    def DATABASES(self):
        if self.DB_HOST:
            return {
                "default": {
                    "ENGINE": "django.db.backends.postgresql",
                    "HOST": self.DB_HOST,
                    "PORT": self.DB_PORT,
                    "NAME": self.DB_NAME,
                    "USER": self.DB_USER,
                    "PASSWORD": self.DB_PASSWORD,
                    "CONN_MAX_AGE": self.DB_CONN_MAX_AGE,
                    "CONN_HEALTH_CHECKS": True,
                    # Statements are prepared only by base.prepared.planned_once_cursor (hot paths).
                    "OPTIONS": {"prepare_threshold": 5} if self.DB_PREPARED_STATEMENTS else {},
                }
            }
        return {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(Path(self.FS_URL) / "imagetagger.sqlite3"),
                "OPTIONS": {
                    # Writers take the lock when the transaction starts, so a check-then-write
                    # inside one transaction is serialised, and waiting beats failing.
                    "transaction_mode": "IMMEDIATE",
                    "timeout": 20,
                    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                },
            }
        }

    # Where images, thumbnails, archives and exports live: "filesystem" (IT_FS_URL) or "s3" (an
    # S3-compatible bucket through django-storages; downloads are redirects to short-lived signed URLs).
    STORAGE = env(values.Value, "filesystem")
    S3_ENDPOINT_URL = env(values.Value, "")
    S3_BUCKET = env(values.Value, "")
    S3_ACCESS_KEY = env(values.Value, "")
    S3_SECRET_KEY = env(values.Value, "")
    S3_REGION = env(values.Value, "us-east-1")
    # "path" (bucket in the path: MinIO, Ceph, moto) or "virtual" (bucket in the host name: AWS).
    S3_ADDRESSING_STYLE = env(values.Value, "path")
    # Key prefix inside the bucket (to share one bucket between sites); empty: the bucket's root.
    S3_PREFIX = env(values.Value, "")
    S3_URL_EXPIRY_SECONDS = env(values.PositiveIntegerValue, 300)

    @property
    def STORAGES(self):
        return {"default": self.default_storage(), "staticfiles": {"BACKEND": self.STATICFILES_BACKEND}}

    def default_storage(self):
        kind = (self.STORAGE or "filesystem").strip().lower()
        if kind == "filesystem":
            return {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": self.FS_URL}}
        if kind != "s3":
            raise ValueError(f"IT_STORAGE: {self.STORAGE!r} is not a storage; use 'filesystem' or 's3'.")
        if self.S3_ADDRESSING_STYLE not in ("path", "virtual", "auto"):
            raise ValueError(f"IT_S3_ADDRESSING_STYLE: {self.S3_ADDRESSING_STYLE!r}; use 'path' or 'virtual'.")
        return {
            "BACKEND": "base.storage.BucketStorage",
            "OPTIONS": {
                "bucket_name": self.S3_BUCKET,
                "endpoint_url": self.S3_ENDPOINT_URL or None,
                # Empty: boto3's own chain (AWS_* variables, instance or pod roles).
                "access_key": self.S3_ACCESS_KEY or None,
                "secret_key": self.S3_SECRET_KEY or None,
                "region_name": self.S3_REGION,
                "addressing_style": self.S3_ADDRESSING_STYLE,
                "signature_version": "s3v4",
                "location": self.S3_PREFIX.strip("/"),
                "file_overwrite": False,
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": self.S3_URL_EXPIRY_SECONDS,
                # Files read through storage.open() spill to disk beyond this, never all in memory.
                "max_memory_size": 8 * 1024 * 1024,
            },
        }

    STATICFILES_BACKEND = "whitenoise.storage.CompressedManifestStaticFilesStorage"
    # Front-end packages come from the npm registry (package.json + lock), never from git.
    STATICFILES_DIRS = [
        ("vendor/bootstrap", str(REPO_DIR / "node_modules" / "bootstrap" / "dist")),
        ("vendor/bootstrap-icons", str(REPO_DIR / "node_modules" / "bootstrap-icons" / "font")),
        ("vendor/jquery", str(REPO_DIR / "node_modules" / "jquery" / "dist")),
    ]

    @property
    def AXES_FAILURE_LIMIT(self):
        return self.LOGIN_FAILURE_LIMIT

    @property
    def AXES_COOLOFF_TIME(self):
        from datetime import timedelta

        return timedelta(minutes=self.LOGIN_COOLOFF_MINUTES)

    # Pause an account on one address after LOGIN_FAILURE_LIMIT failures; the address as a whole and
    # the account as a whole only at their higher ceilings (users/throttle.py).
    AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
    AXES_HANDLER = "users.throttle.LoginThrottle"
    AXES_RESET_ON_SUCCESS = True
    AXES_LOCKOUT_TEMPLATE = "users/locked_out.html"
    AXES_USERNAME_FORM_FIELD = "username"

    @property
    def LOGGING(self):
        return {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
            "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
            "root": {"handlers": ["console"], "level": self.LOG_LEVEL},
            "loggers": {
                # Django's own console handler would print every record a second time.
                "django": {"handlers": [], "level": self.LOG_LEVEL, "propagate": True},
                "axes": {"level": "WARNING"},
                # One record per request (base.logs); runserver prints its own access log.
                "imagetagger.requests": {"level": "WARNING"},
            },
        }

    @classmethod
    def post_setup(cls):
        super().post_setup()
        for folder in (cls.FS_URL, cls.TMP_FS_URL, cls.STATIC_ROOT):
            Path(folder).mkdir(parents=True, exist_ok=True)


class SingleSignOnConfigurationError(MissingEnvironmentError):
    """The ``IT_OIDC_*`` variables (or ``IT_PASSWORD_LOGIN``) are incomplete or do not fit together."""


OIDC_SIGN_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "HS256")
OIDC_URL_SETTINGS = ("ISSUER", "AUTHORIZATION_ENDPOINT", "TOKEN_ENDPOINT", "USERINFO_ENDPOINT", "JWKS_ENDPOINT")


def single_sign_on_problems(config):
    """What is wrong with the single sign-on settings of ``config`` (a configuration class or
    ``django.conf.settings``), one sentence each; empty when it is complete or off. Prod refuses to
    start with any of them; the system check ``users.E001`` reports them in every configuration."""
    problems = []
    if not config.OIDC_CLIENT_ID:
        if not config.PASSWORD_LOGIN:
            problems.append(
                "IT_PASSWORD_LOGIN is false but single sign-on is off (IT_OIDC_CLIENT_ID is not set): "
                "nobody could log in."
            )
        return problems
    if not config.OIDC_ISSUER:
        problems.append("IT_OIDC_ISSUER is not set: give the provider's issuer URL, e.g. https://id.example.org.")
    if not config.OIDC_CLIENT_SECRET:
        problems.append("IT_OIDC_CLIENT_SECRET is not set: the secret the provider gave ImageTagger's client.")
    for name in OIDC_URL_SETTINGS:
        url = getattr(config, f"OIDC_{name}")
        if url and not url.startswith(("https://", "http://")):
            problems.append(f"IT_OIDC_{name} is not an http(s) URL: {url!r}.")
    if "openid" not in config.OIDC_SCOPES.split():
        problems.append(f"IT_OIDC_SCOPES must include 'openid' (it is {config.OIDC_SCOPES!r}).")
    if config.OIDC_SIGN_ALGO not in OIDC_SIGN_ALGORITHMS:
        problems.append(
            f"IT_OIDC_SIGN_ALGO {config.OIDC_SIGN_ALGO!r} is not supported; use one of "
            + ", ".join(OIDC_SIGN_ALGORITHMS)
            + "."
        )
    return problems


class Dev(Base):
    """Local development: embedded SQLite unless IT_DB_HOST is set, mail printed to the console."""

    DEBUG = env(values.BooleanValue, True)
    SECRET_KEY = env(values.Value, "DEV-KEY ONLY! DONT USE IN PRODUCTION!")
    ALLOWED_HOSTS = env(values.ListValue, ["localhost", "127.0.0.1", "[::1]"])
    DOWNLOAD_BASE_URL = env(values.Value, "http://127.0.0.1:8000")
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    STATICFILES_BACKEND = "django.contrib.staticfiles.storage.StaticFilesStorage"


class Prod(Base):
    """Production: no insecure defaults; PostgreSQL, SMTP, HTTPS-only cookies, HSTS."""

    # Each of these must be set in the environment; see README.md "Minimal production configuration".
    REQUIRED_ENVIRONMENT = ("IT_SECRET_KEY", "IT_ALLOWED_HOSTS", "IT_DB_HOST")
    # With IT_STORAGE=s3 these are required too.
    REQUIRED_S3_ENVIRONMENT = ("IT_S3_BUCKET", "IT_S3_ACCESS_KEY", "IT_S3_SECRET_KEY")

    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    SECURE_SSL_REDIRECT = env(values.BooleanValue, True)
    SECURE_HSTS_SECONDS = env(values.PositiveIntegerValue, 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env(values.BooleanValue, True)
    SECURE_HSTS_PRELOAD = env(values.BooleanValue, True)
    # TLS ends at the ingress / reverse proxy, which tells us the original scheme.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Webhooks may not call the cluster's own services (private, loopback, link-local addresses) unless allowed.
    WEBHOOK_PRIVATE_ADDRESSES = env(values.BooleanValue, False)

    @property
    def LOGGING(self):
        """One JSON object per line (base.logs.JsonFormatter), with a record per request."""
        logging = super().LOGGING
        logging["formatters"]["json"] = {"()": "base.logs.JsonFormatter"}
        logging["handlers"]["console"]["formatter"] = "json"
        logging["loggers"]["imagetagger.requests"] = {"level": "INFO"}
        return logging

    @classmethod
    def post_setup(cls):
        problems = single_sign_on_problems(cls)
        if problems:
            raise SingleSignOnConfigurationError(
                "Single sign-on is configured incompletely: "
                + " ".join(problems)
                + " See README.md, section 'Single sign-on'."
            )
        super().post_setup()

    @classmethod
    def pre_setup(cls):
        super().pre_setup()
        required = cls.REQUIRED_ENVIRONMENT
        if os.environ.get("IT_STORAGE", "").strip().lower() == "s3":
            required += cls.REQUIRED_S3_ENVIRONMENT
        missing = [name for name in required if not os.environ.get(name)]
        if missing:
            raise MissingEnvironmentError(
                "The Prod configuration needs these environment variables, which are not set: "
                + ", ".join(missing)
                + ". See README.md, section 'Minimal production configuration'."
            )


class Test(Base):
    """pytest: like Dev, but fast password hashing, mail kept in memory, and an isolated data folder."""

    DEBUG = False
    SECRET_KEY = "test-key-not-for-production"
    ALLOWED_HOSTS = ["*"]
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    STATICFILES_BACKEND = "django.contrib.staticfiles.storage.StaticFilesStorage"
    FS_URL = env(values.Value, str(Path(tempfile.gettempdir()) / "imagetagger-test-data"))

    @property
    def DATABASES(self):
        databases = super().DATABASES
        default = databases["default"]
        if default["ENGINE"].endswith("sqlite3"):
            # A file, not SQLite's shared in-memory database: the browser tests' server and worker
            # threads then lock and wait as in production (WAL, busy timeout) instead of failing.
            default["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"imagetagger-test-{os.getpid()}.sqlite3")}
        return databases
