"""Podlab settings, read from the environment.

DATABASE_URL  default: a SQLite file under var/ (WAL, IMMEDIATE transactions)
REDIS_URL     default: redis://127.0.0.1:6379/0 (Celery broker and Channels layer)
SECRET_KEY    default: generated once into var/secret_key; required when DEBUG=0
DEBUG         "1" or "0", default "1". DEBUG=0 is production: HTTPS behind a proxy
ALLOWED_HOSTS comma-separated, default "127.0.0.1,localhost"
CSRF_TRUSTED_ORIGINS  comma-separated, default https://<host> for each allowed host
SECURE_HSTS_SECONDS   production only, default 31536000 (a year); 0 turns HSTS off
"""

import datetime as dt
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PODLAB_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "1" if default else "0")
    return value.lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def load_secret_key(*, production: bool) -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    if production:
        # A key made up on one machine would differ on the next web process or
        # worker, and a lost var/ would log everyone out: production names its own.
        raise ImproperlyConfigured(
            "SECRET_KEY must be set in the environment when DEBUG=0 (production)."
        )
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DEBUG = env_flag("DEBUG", True)
PRODUCTION = not DEBUG
SECRET_KEY = load_secret_key(production=PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")


def https_origin(host: str) -> str:
    """The HTTPS origin a browser sends for an allowed host (".example.org": any subdomain)."""
    return f"https://*{host}" if host.startswith(".") else f"https://{host}"


CSRF_TRUSTED_ORIGINS = env_list(
    "CSRF_TRUSTED_ORIGINS",
    ",".join(https_origin(host) for host in ALLOWED_HOSTS if host != "*"),
)

if PRODUCTION:
    # Production is served over HTTPS by a reverse proxy in front of Daphne (README,
    # "Deploying"). The proxy terminates TLS and says so in X-Forwarded-Proto, which it
    # must set itself (overwriting whatever the client sent): Django trusts the header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_flag("SECURE_HSTS_PRELOAD", True)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_celery_beat",
    "django_htmx",
    # Login throttling: failed logins are counted per username and address (see AXES_* below).
    "axes",
    # Only for its system checks (a cache it cannot count in is an error); the limits
    # themselves are sandbox/rate_limits.py.
    "django_ratelimit",
    "cluster",
    "sandbox",
    "lessons",
    "kubeapi",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out username and address are refused before the password
    # is even checked.
    "sandbox.login_throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "sandbox.urls"
ASGI_APPLICATION = "sandbox.asgi.application"
WSGI_APPLICATION = None

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
            ],
        },
    },
]

SQLITE_FILE = VAR_DIR / "podlab.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{SQLITE_FILE}"), conn_max_age=600
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process, a worker and beat read while one writes;
    # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the busy
    # timeout instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not :memory:, so that test worker processes share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-podlab.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A kept connection is checked before its first query of a request or task, so a
    # restarted PostgreSQL costs one reconnect, not one failed tick per worker process.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # The store's few statements (cluster.store_sql) run on server-binding cursors,
    # which psycopg prepares after 5 runs on a connection, so PostgreSQL stops
    # parsing and planning them at every call. Django turns this off for the sake
    # of transaction-mode poolers, which Podlab does not use. The ORM's cursors
    # bind on the client and never prepare.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
# Daphne serves no static files itself; WhiteNoise does, straight from the
# finders, so neither `make run` nor a test needs a collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one
# username from one address, that pair is locked out for AXES_COOLOFF_TIME. Not the
# address alone: a classroom often shares one address behind its router, and one
# student's typos must not lock out the class. A right password resets the count.
AXES_FAILURE_LIMIT = int(os.environ.get("PODLAB_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("PODLAB_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The login page again, with a message saying why and for how long (429, Retry-After).
AXES_LOCKOUT_CALLABLE = "sandbox.login_throttle.locked_out"
# The address Daphne saw (behind a reverse proxy, Daphne's --proxy-headers puts the
# client's there). Never a header the client could write itself, such as X-Forwarded-For.
AXES_CLIENT_IP_CALLABLE = "sandbox.login_throttle.client_address"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

# The pub/sub layer: a group send is one Redis PUBLISH, which each web process
# receives once and hands to its own viewers of the group. (The default layer
# writes a copy into a list per viewer, which made every API call's push cost
# more the more students watched.) It keeps nothing for a socket that is not
# listening, which the live page does not need: it resyncs from a snapshot
# when it sees a revision gap or reconnects (ARCHITECTURE.md, "push, then resync").
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            "hosts": [{"address": REDIS_URL}],
            "prefix": os.environ.get("PODLAB_CHANNEL_PREFIX", "podlab"),
        },
    }
}

# The cache holds the per-user rate limits' counters (sandbox/rate_limits.py), shared by
# every Daphne process of an installation, so it is Redis, not each process's memory.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("PODLAB_CACHE_PREFIX", "podlab"),
    }
}
# django-ratelimit names the cache backends it was tested with; Django's own Redis
# backend counts with Redis's INCR like the ones it names.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]

# Per-user limits on the calls that cost the server most (sandbox/rate_limits.py), as
# django-ratelimit rates ("count/period"). A student working normally never meets them:
# opening the live page reads the history in pages of 500 revisions (up to 20 requests
# with the default PODLAB_STORE_HISTORY), and a snapshot is sent at connect and on a resync.
PODLAB_RATE_LIMITS = {
    "history": "120/m",
    "snapshot": "60/m",
    "clock-step": "120/m",
    "etcd-browse": "120/m",
}
# PODLAB_RATE_LIMITS=0 turns them off (the benchmarks' crowds of viewers are one user).
RATELIMIT_ENABLE = env_flag("PODLAB_RATE_LIMITS", True)

CELERY_BROKER_URL = REDIS_URL
# After Redis restarts, a worker reconnects within a second (sandbox/celery.py, instead
# of Celery's 2, 4, 6 s back-off), and keeps trying as long as it takes.
CELERY_WORKER_CONSUMER = "sandbox.celery:PromptReconnectConsumer"
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_keepalive": True,
    # An idle connection is pinged this often: a dead one is found and replaced.
    "health_check_interval": 10,
    # Task priorities (cluster/tasks.py): one Redis list per step, taken lowest first. The
    # lists are named "<queue>:<step>", beside the queue's other keys.
    "priority_steps": [0, 3, 6, 9],
    "sep": ":",
}
CELERY_TASK_IGNORE_RESULT = True
# One queue name per installation, so a test run's worker and a `make run`
# worker on the same Redis never take each other's ticks.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("PODLAB_TASK_QUEUE", "podlab")
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fix-up closes the database connections before and after every task
# unless this is set, so each tick paid for a new PostgreSQL backend (a fork, a login, a
# cold catalogue cache, no statement ever prepared): most of an idle sandbox's cost, and
# much of a busy one's. Set, it closes them only every 2 x this many tasks; in between,
# sandbox/celery.py closes those past CONN_MAX_AGE or broken, as Django does per request.
CELERY_DB_REUSE_MAX = 10_000
# All periodic work is one task: it finds each sandbox's components that are due, and
# queues their ticks to run when due (a tick due sooner than that is queued by the tick
# before it, cluster.tasks.tick). Every 2 s, not 1: a beat message and a task cost about
# 10 ms of CPU each, and a server whose sandboxes are all idle pays for nothing else.
CELERY_BEAT_SCHEDULE = {
    "podlab-resync": {
        "task": "cluster.tasks.resync",
        "schedule": 2.0,
        "options": {"expires": 4.0},
    },
    # Lesson runs that nothing advanced for a while (a worker killed, a restart) resume.
    "podlab-lessons-resume": {
        "task": "lessons.tasks.resume_runs",
        "schedule": 5.0,
        "options": {"expires": 5.0},
    },
    "podlab-trim-history": {
        "task": "cluster.tasks.trim_history",
        "schedule": 60.0,
        "options": {"expires": 30.0, "priority": 6},
    },
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

# A form's body Django reads at most: room for a YAML manifest up to the API server's
# own limit (3 MiB, cluster.apiserver.limits) after URL-encoding, so that the editor,
# not Django's 400, answers a bigger one with upstream's 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 3 * 1024 * 1024

# How many sandboxes one account may own (administrators: any number). Each costs its
# components' ticks and its history's rows; a student deletes one to make room.
PODLAB_MAX_SANDBOXES_PER_USER = int(os.environ.get("PODLAB_MAX_SANDBOXES_PER_USER", "5"))

# The store keeps this many revisions of history per sandbox for watchers;
# a watch from before that is "too old" (410 Expired) and must relist.
PODLAB_STORE_HISTORY = int(os.environ.get("PODLAB_STORE_HISTORY", "10000"))
# ... and at most this many bytes of it (the JSON of each change and of what it replaced),
# the oldest revisions going first: a few big objects rewritten often fill it by size.
PODLAB_STORE_HISTORY_BYTES = int(os.environ.get("PODLAB_STORE_HISTORY_BYTES", str(64 << 20)))
# Each sandbox's traces (the timeline's calls) are trimmed every minute to the newest
# 20,000 and to at most this many bytes of their texts.
PODLAB_TRACE_HISTORY_BYTES = int(os.environ.get("PODLAB_TRACE_HISTORY_BYTES", str(32 << 20)))
# How many objects one sandbox's store may hold (Events aside): a create past it is 403
# Forbidden "exceeded quota", as a ResourceQuota answers.
PODLAB_MAX_OBJECTS_PER_SANDBOX = int(os.environ.get("PODLAB_MAX_OBJECTS_PER_SANDBOX", "2000"))

# Each sandbox's Kubernetes API (kubeapi/), for kubectl and the Python client: served over
# TLS on PODLAB_API_PORT by Daphne (Procfile), with a certificate from a local CA made on
# the first `make run` (in PODLAB_TLS_DIR) that the kubeconfigs embed. Behind a reverse
# proxy with a real certificate, set PODLAB_API_URL to its address and PODLAB_API_LOCAL_CA=0
# (README.md).
PODLAB_API_PORT = int(os.environ.get("PODLAB_API_PORT", "8443"))
PODLAB_API_URL = os.environ.get("PODLAB_API_URL", f"https://127.0.0.1:{PODLAB_API_PORT}")
PODLAB_API_LOCAL_CA = env_flag("PODLAB_API_LOCAL_CA", "PODLAB_API_URL" not in os.environ)
PODLAB_TLS_DIR = Path(os.environ.get("PODLAB_TLS_DIR", VAR_DIR / "tls"))

# Django logs a 500's traceback on "django.request" and, with DEBUG off, hands it only
# to mail_admins (no ADMINS here): production would lose it. The student sees
# templates/500.html; the traceback goes to the web process's stderr for the operator.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "handlers": {
        "stderr_in_production": {
            "level": "ERROR",
            "filters": ["require_debug_false"],
            "class": "logging.StreamHandler",
        }
    },
    "loggers": {"django.request": {"handlers": ["stderr_in_production"], "level": "ERROR"}},
}
