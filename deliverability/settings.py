"""Settings for Deliverability Review: one file, every value from the environment.

Defaults make a fresh checkout run (SQLite under var/, tasks on an in-process thread);
DATABASE_URL and REDIS_URL switch to PostgreSQL and Celery on Redis.
"""
from __future__ import annotations

import secrets
from pathlib import Path

from deliverability.env import (
    ConfigError,
    env_bool,
    env_database,
    env_int,
    env_list,
    env_nameservers,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ConfigError("SECRET_KEY must be set when DEBUG is off (set DEBUG=1 for a generated development key)")
    SECRET_KEY = "dev-" + secrets.token_urlsafe(40)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "deliverability.accounts",
    "deliverability.bounces",
    "deliverability.domains",
    "deliverability.campaigns",
    "deliverability.verdicts",
    "deliverability.dashboard",
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
    "deliverability.accounts.audit.ExportAuditMiddleware",
]

ROOT_URLCONF = "deliverability.urls"
WSGI_APPLICATION = "deliverability.wsgi.application"

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

DATABASES = {"default": env_database("DATABASE_URL", default_url=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Static files are served by WhiteNoise from the app folders too, so a fresh checkout (and the
# test suite) works without collectstatic; production runs collectstatic at image build.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")
# Uploads stream to disk past 2.5 MB; the import reads them back in chunks.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", default=2 * 1024**3, minimum=1)

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Tasks: Celery on Redis when REDIS_URL is set; otherwise a background thread in this process.
REDIS_URL = env_str("REDIS_URL") or None
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", default=3600, minimum=10)
# A task not acknowledged within the visibility timeout is redelivered; it must exceed the longest task.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 300, minimum=1)
}
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES_NAMES = ("default", "import", "enrich", "reports")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
# Periodic tasks (`celery -A deliverability beat`). Entries are independent; each task is safe to run twice.
CELERY_BEAT_SCHEDULE = {
    # Hourly: every organisation whose Monday 06:00 has come gets last week's snapshot and digest.
    "weekly-review-snapshots": {"task": "deliverability.dashboard.tasks.weekly_tick", "schedule": 3600.0,
                                "options": {"queue": "reports"}},
}
# Daily: each organisation's retention period (events of older campaigns go, figures stay).
CELERY_BEAT_SCHEDULE["retention-purge"] = {"task": "deliverability.verdicts.tasks.purge_expired_events",
                                           "schedule": 86400.0, "options": {"queue": "default"}}

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

DNS_NAMESERVERS = env_nameservers("DNS_NAMESERVERS")
DNS_TIMEOUT = float(env_int("DNS_TIMEOUT_MS", default=2000, minimum=50)) / 1000
DNS_CONCURRENCY = env_int("DNS_CONCURRENCY", default=100, minimum=1)

EMAIL_BACKEND = env_str("EMAIL_BACKEND") or "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "review@localhost"
# Absolute links in mail sent by background tasks (no request to build them from).
SITE_URL = (env_str("SITE_URL") or "http://localhost:8000").rstrip("/")
# SMTP (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend) for invitations and password resets.
EMAIL_HOST = env_str("EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", default=587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", default=20, minimum=1)
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", default=3 * 3600, minimum=300)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL") or "INFO"},
}
