"""Costbook settings: every value that varies between machines is read from the environment here,
and nowhere else.

DATABASE_URL   postgres://user@host:port/name or sqlite:///absolute/path (default: ./costbook.sqlite3)
REDIS_URL      redis://host:port/db (default: redis://127.0.0.1:6379/0)
SECRET_KEY     required when DEBUG is off; the .env.example placeholder is refused
DEBUG          1/true/yes or 0/false/no (default: on without SECRET_KEY, off with it)
ALLOWED_HOSTS  comma-separated host names (default: localhost,127.0.0.1 with DEBUG, else none)
DATABASE_WORK_MEM  PostgreSQL work_mem for the app's connections (default: 64MB)
FILES_DIR      where uploaded import files and finished exports are kept; web and workers share it
               (default: ./var/files)
IMPORT_MAX_BYTES  largest upload accepted, in bytes (default: 200 MB)
EXPORT_JOB_ROWS   lists and reports longer than this are exported by a job (default: 5000)
PROXY_COUNT    reverse proxies in front of the app that append to X-Forwarded-For; sign-in
               throttling counts attempts per user and client address (default: 0, the
               connection's address)
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
# .env.example's value: a deployment that copied the example and forgot to change it would sign
# sessions and password-reset tokens with a key anyone can read in the repository.
SECRET_KEY_PLACEHOLDER = "change-me-to-50-or-more-random-characters-before-deploying-costbook"
if SECRET_KEY == SECRET_KEY_PLACEHOLDER:
    raise ImproperlyConfigured("SECRET_KEY is still the placeholder from .env.example: set 50 or more random "
                               "characters (python3 -c \"import secrets; print(secrets.token_urlsafe(50))\").")
# A checkout with no configuration is a developer's machine: debug on, embedded SQLite. A deployment
# sets SECRET_KEY, and debug is then off unless DEBUG says otherwise.
DEBUG = env_bool("DEBUG", default=not SECRET_KEY)

if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "costbook-insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tables2",
    "django_filters",
    "django_rq",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "common",
    "ledger",
    "inventory",
    "closing",
    "reports",
    "warehouse",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.roles",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'costbook.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web server, RQ worker and management commands share the file: wait for locks instead of
    # failing at once, and take the write lock at BEGIN so read-then-write never deadlocks.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # Reports and the close aggregate a million rows at a time: with PostgreSQL's default 4 MB a
    # hash or sort spills to disk in batches, and just-in-time compilation spends ~0.2 s compiling
    # each such query before it runs (measured on the 1M benchmark set, docs/benchmarks.md).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c work_mem={os.environ.get('DATABASE_WORK_MEM', '64MB')} -c jit=off")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# A queued or running close that has not moved for this long, with nothing working on it and
# nothing waiting in the queue, is queued again (at most CLOSING_MAX_REQUEUES times), then failed
# as stalled (closing/services/watch.py).
CLOSING_STALL_SECONDS = int(os.environ.get("CLOSING_STALL_SECONDS", "60"))
CLOSING_MAX_REQUEUES = int(os.environ.get("CLOSING_MAX_REQUEUES", "3"))

RQ_QUEUES = {
    "closing": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600},
    "default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in throttling (django-axes): after 5 failed attempts for one user name from one address,
# that pair is refused for 15 minutes, even with the right password, on the site's and the admin's
# sign-in alike. Counting by the pair, not by address alone, keeps an office behind one NAT address
# working while one person is locked out; counting by name alone would let anyone lock anyone out.
# Axes' backend comes first: it refuses before the password is even checked. It needs the request,
# so authenticate() without one (Client.login in a test) raises instead of skipping the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# 15 minutes from the attempt that locked, not from the latest refused one: a user who tries again
# (with the right password, even) during the lockout does not push its end further away.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "config.security.client_ip"
PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))

# A session ends after a working day without a request, and when the browser closes: the cookie
# has no expiry (a session cookie), and the server refuses it 9 hours after its last request.
SESSION_COOKIE_AGE = 9 * 60 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# django-rq also registers its dashboard in the Django admin, where any staff member may use it:
# config/urls.py mounts it once, behind config.security.QUEUE_PERMISSION.
RQ_SHOW_ADMIN_LINK = False

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# One date format everywhere (config/formats/en/formats.py): 2026-11-30, 2026-11-30 14:05.
FORMAT_MODULE_PATH = ["config.formats"]

# Uploaded import files wait here for their job, and export jobs write their files here: the web
# server and every worker must see the same folder (docker-compose mounts one volume on both).
FILES_DIR = Path(os.environ.get("FILES_DIR") or BASE_DIR / "var" / "files")
MEDIA_ROOT = FILES_DIR
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(200 * 1024 * 1024)))
# An upload larger than this is refused before it is read; Django's own limits must let it through.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
EXPORT_JOB_ROWS = int(os.environ.get("EXPORT_JOB_ROWS", "5000"))

# Mail: whoever starts a run is e-mailed when it ends or fails (reports.notifications). Without
# EMAIL_HOST the mails are written to the console (development); with it, sent by SMTP.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Costbook <costbook@localhost>")
# The address the links in the mails start with, e.g. https://costbook.example.com
SITE_URL = os.environ.get("SITE_URL", "")

REST_FRAMEWORK = {
    "DEFAULT_VERSIONING_CLASS": None,
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Costbook API",
    "DESCRIPTION": "Month-end inventory costing: items, transactions, closing runs, imports, exports and the "
                   "ledger feed. Authenticate with `Authorization: Bearer <token>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.strict_objects"],
    # Import and export jobs both have a `kind`: name the exports' choices apart.
    "ENUM_NAME_OVERRIDES": {"ExportKindEnum": "reports.exports.KIND_CHOICES",
                            "ImportKindEnum": "inventory.models.ImportJob.Kind"},
}

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table"}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_traceback_for_client_errors": {"()": "config.log_filters.NoTracebackForClientErrors"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["no_traceback_for_client_errors"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # django-axes logs each failed sign-in and lockout as a warning; its info lines (a banner at every
    # start, one line per handler call) are chatter.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
