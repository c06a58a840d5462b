"""Settings of the controlled-substance registry.

Everything that differs between machines comes from the environment, with safe local defaults:
SQLite in the project folder, DEBUG off unless asked for, and no serving with DEBUG off until a
real SECRET_KEY is given.
"""

import datetime
import os
import secrets
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
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

_INSECURE_KEY = "insecure-local-development-key-never-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and os.environ.get("REGISTRY_LOCAL_COMMAND") == "1":
    # A command-line tool that serves nothing (see manage.py): a throwaway key, never stored.
    SECRET_KEY = secrets.token_urlsafe(50)
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off the registry refuses to start without a real "
            "secret key: set SECRET_KEY in the environment (or DEBUG=1 for local development)."
        )
    SECRET_KEY = _INSECURE_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",  # only for the migration of its clear-text tokens to knox
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "substances",
    "registry",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "registry.web.language.ReaderLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "libraries": {
                "web": "registry.web.templatetags.web",
                "checks": "registry.web.templatetags.checks",
            },
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# The embedded default is a SQLite file in the project folder; DATABASE_URL picks another.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while a curator writes; IMMEDIATE takes the write lock at BEGIN, so
    # two writers queue on the busy timeout instead of failing half-way through a transaction.
    # Connections are kept between requests (CONN_MAX_AGE above, checked before reuse), as in
    # production: opening one costs a request about a millisecond (the file, the PRAGMAs, the
    # schema read again) and an idle one in autocommit holds no snapshot back from checkpoints.
    # Each connection (one per thread) keeps its own page cache, SQLITE_CACHE_KIB of it (SQLite's
    # default, 2,000): 500 took about 10 MB off a worker at 100,000 substances, and 0-25 % of its
    # throughput (bench/README.md).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
            f" PRAGMA cache_size=-{int(os.environ.get('SQLITE_CACHE_KIB', '2000'))};"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Uploaded files and the verdicts of check jobs (registry/jobs.py): a folder on disk by default;
# every server and worker of a deployment must see the same one (a shared volume), or configure
# another storage backend in STORAGES["default"].
MEDIA_ROOT = os.environ.get("MEDIA_ROOT", str(BASE_DIR / "media"))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

REDIS_URL = os.environ.get("REDIS_URL", "")
# "representations": the API's details, kept under the registry's version (registry.api.
# detail_cache); its own store, so that filling it never evicts a throttle's counts.
REPRESENTATION_CACHE_SECONDS = int(os.environ.get("REPRESENTATION_CACHE_SECONDS", "3600"))
if REDIS_URL:
    CACHES = {
        alias: {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"IGNORE_EXCEPTIONS": True},
        }
        for alias, prefix in (("default", ""), ("representations", "repr"))
    }
    CACHES["representations"]["TIMEOUT"] = REPRESENTATION_CACHE_SECONDS
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "representations": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "representations",
            "TIMEOUT": REPRESENTATION_CACHE_SECONDS,
            "OPTIONS": {"MAX_ENTRIES": 1000},
        },
    }

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "registry.api.authentication.ScopedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.DjangoModelPermissionsOrAnonReadOnly",
    ],
    "DEFAULT_FILTER_BACKENDS": ["registry.api.filtering.RegistryFilterBackend"],
    # DRF's two, the JSON one answering a kept detail as it was written (registry.api.renderers)
    "DEFAULT_RENDERER_CLASSES": [
        "registry.api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "registry.api.exceptions.exception_handler",
}

# API tokens (django-rest-knox): stored as digests, shown once, with an expiry and a scope.
KNOX_TOKEN_MODEL = "knox.AuthToken"  # knox's own (swappable); the scope is registry.ApiToken
API_TOKEN_DAYS = int(os.environ.get("API_TOKEN_DAYS", "90"))
REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(days=API_TOKEN_DAYS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Controlled-substance registry API",
    "DESCRIPTION": (
        "Controlled substances, whole-class controls, precursors and their legal history."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Three different kinds of "kind" need their own names in the schema. Defined here only: the
    # schema view's settings (registry.api.schema.SCHEMA_SETTINGS) add to these, and the system
    # checks read these, so `check --deploy` passes clean.
    "ENUM_NAME_OVERRIDES": {
        "SubstanceKindEnum": "substances.models.Substance.Kind",
        "RelationKindEnum": "substances.models.Relation.Kind",
        "NameKindEnum": "substances.models.Name.Kind",
        "ClassRuleKindEnum": "substances.models.ClassRule.Kind",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

if not DEBUG:
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- scale-out and hardening (docs/deployment.md) ------------------------------------------

# Anonymous reads are served from the shared cache until the registry changes (registry.cache);
# only with a cache that every worker shares, since invalidation is a value in that cache.
RESPONSE_CACHE_SECONDS = int(os.environ.get("RESPONSE_CACHE_SECONDS", "600" if REDIS_URL else "0"))
# How many structures' drawings `manage.py warm_pages` keeps ahead in the shared cache (6-8 KB
# each): every structure of a national registry, not a million synthetic ones (registry.warming).
WARM_DRAWINGS_MAX = int(os.environ.get("WARM_DRAWINGS_MAX", "20000"))

# Reads may go to a replica; writes, the change feed and transactions stay on the primary.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=60, conn_health_checks=True
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["config.routers.PrimaryReplicaRouter"]

# Review that holds: a change of legal facts (listings, classes and their rules, instruments)
# made by a person in the admin or through the API becomes a draft, which a reviewer other
# than its author publishes (registry.drafts). Off on the embedded default; on in production.
REGISTRY_REQUIRE_REVIEW = env_bool("REGISTRY_REQUIRE_REVIEW", False)

# How many proxies in front of the app append to X-Forwarded-For: who the client is, for the API
# throttles and the login throttle alike (registry.security.client_address).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT

_whitenoise = MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware")
MIDDLEWARE[_whitenoise + 1 : _whitenoise + 1] = [
    "registry.security.SecurityHeadersMiddleware",
    "registry.security.RejectNulMiddleware",
    "config.routers.PinToPrimaryMiddleware",
    "registry.cache.ReadCacheMiddleware",
    "registry.security.LoginThrottleMiddleware",
]

# API rates per client (e.g. "600/minute"); unset keeps registry.api.throttling's defaults.
_rates = {"anon": "API_ANON_RATE", "user": "API_USER_RATE", "export": "API_EXPORT_RATE"}
if any(os.environ.get(name) for name in _rates.values()):
    REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
        scope: os.environ[name] for scope, name in _rates.items() if os.environ.get(name)
    }

# JSON bodies that hold a lone surrogate are refused with a 400 (registry.security).
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "registry.security.StrictJSONParser",
    "rest_framework.parsers.FormParser",
    "rest_framework.parsers.MultiPartParser",
]

# --- check jobs (registry/jobs.py, docs/check-jobs.md) ----------------------------------------

# With a broker, check jobs run on Celery workers (`celery -A config worker`); without one, in a
# local process pool of the server, so that the embedded default needs nothing else started.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ACKS_LATE = True  # a chunk is acknowledged after its verdicts are committed
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # a worker that dies mid-chunk hands the chunk back
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True  # results live in the database and the storage, not in Celery
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A chunk held by a worker that vanished is handed out again after this many seconds.
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
    # ... by a worker's scan for such chunks, every this many seconds. Kombu's defaults scan on
    # one tick in ten (10 s apart), so a vanished worker's chunk waited up to 100 s beyond the
    # timeout, and a worker killed during a scan left its lock for 5 minutes: a job then stood
    # still for minutes with one chunk left.
    "unacked_restore_interval": int(os.environ.get("CELERY_RESTORE_SECONDS", "10")),
    "unacked_restore_throttle": 1,
    "unacked_mutex_expire": 30,
}
# A running job that has committed no chunk for this long has its missing chunks queued again
# by the workers (registry/tasks.py): a message lost by the broker cannot stop a job. 0: never.
CHECK_JOB_STALL_SECONDS = int(os.environ.get("CHECK_JOB_STALL_SECONDS", "900"))
CHECK_JOB_CHUNK_SIZE = int(os.environ.get("CHECK_JOB_CHUNK_SIZE", "2000"))
CHECK_JOB_MAX_RECORDS = int(os.environ.get("CHECK_JOB_MAX_RECORDS", "1000000"))
CHECK_JOB_KEEP_HOURS = int(os.environ.get("CHECK_JOB_KEEP_HOURS", "168"))
CHECK_JOB_MAX_ACTIVE = int(os.environ.get("CHECK_JOB_MAX_ACTIVE", "2"))
CHECK_JOB_DAILY_RECORDS = int(os.environ.get("CHECK_JOB_DAILY_RECORDS", "5000000"))
CHECK_JOB_LOCAL_WORKERS = int(os.environ.get("CHECK_JOB_LOCAL_WORKERS", "0"))  # 0: every core
