"""Settings for Deliverability Review: one file, every value from the environment.

Defaults make a fresh checkout run (SQLite under var/, tasks on an in-process thread);
DATABASE_URL and REDIS_URL switch to PostgreSQL and Celery on Redis.
"""
from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

from csp.constants import NONCE as CSP_NONCE
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF

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
# The placeholder of .env.example is public: a site started with it signs sessions, reset links
# and page cursors with a key everyone has.
PLACEHOLDER_SECRET_KEY = "change-me-to-a-long-random-string"
if SECRET_KEY == PLACEHOLDER_SECRET_KEY:
    raise ConfigError("SECRET_KEY is still the placeholder from .env.example: set a long random value "
                      "(python -c 'import secrets; print(secrets.token_urlsafe(50))')")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "deliverability.accounts",
    "deliverability.bounces",
    "deliverability.domains",
    "deliverability.senders",
    "deliverability.campaigns",
    "deliverability.verdicts",
    "deliverability.webhooks",
    "deliverability.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "deliverability.hardening.HardeningMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: the user's saved language, else the organisation's, over Accept-Language.
    "deliverability.accounts.language.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "deliverability.accounts.audit.ExportAuditMiddleware",
    # Last, as django-axes asks: refuses sign-ins during a lock-out.
    "axes.middleware.AxesMiddleware",
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
                # LANGUAGES as settings name them, each in its own language (the switcher: "English / Español /
                # Català" whatever the page's language, as switchers do), unlike {% get_available_languages %}.
                "django.template.context_processors.i18n",
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
# Login throttling (django-axes, counts kept in the database: works without Redis). After
# AXES_FAILURE_LIMIT failures for one username, or from one address, every sign-in to it (the
# right password included) is refused until AXES_COOLOFF_TIME has passed since the last failure.
AUTHENTICATION_BACKENDS = [
    "deliverability.accounts.throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", default=10, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", default=15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one reaching the limit locks
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "deliverability.accounts.throttle.locked_out"
AXES_VERBOSE = False
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are in our audit log already
# Behind a proxy, the client's address comes from X-Forwarded-For only when the proxy is trusted.
AXES_IPWARE_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", default=0, minimum=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
# Password resets and invitations (django-ratelimit, on the cache: per process without Redis).
PASSWORD_RESET_RATE = env_str("PASSWORD_RESET_RATE") or "5/h"  # per address asked for, and 4x per client address
INVITATION_RATE = env_str("INVITATION_RATE") or "30/h"  # invitations sent per staff user
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Languages (issue 23): English (the source text), Spanish and Catalan; the same URL serves each one.
# Whose language: the user's own choice (UserLanguage), else the organisation's (Organization.language,
# blank by default), else the browser's Accept-Language (accounts.language.UserLanguageMiddleware).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español"), ("ca", "Català")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Django's own es/ca formats (11,2, d/m/Y, Monday first) with the overrides in deliverability/formats
# (es 1.234; en keeps the ISO dates and plain counts it always showed). Counts are grouped where shown, by
# the |num filter (dashboard/templatetags/labels.py), not everywhere: a global thousand separator would
# also write ids in form values and data attributes as "1.234".
FORMAT_MODULE_PATH = ["deliverability.formats"]
USE_THOUSAND_SEPARATOR = False
FIRST_DAY_OF_WEEK = 1
TIME_ZONE = "UTC"
USE_I18N = True
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
# The import (campaigns/importer.py): rows per batch (each batch passes once over the recipient and event
# indexes, so bigger is faster; memory grows with it: 80k kept 1 GB files under 500 MB, docs/benchmarks.md),
# entries per per-import dictionary, and the pipelined writer on PostgreSQL (off: one connection, batch
# after batch).
IMPORT_BATCH_SIZE = env_int("IMPORT_BATCH_SIZE", default=80_000, minimum=1)
IMPORT_CACHE_LIMIT = env_int("IMPORT_CACHE_LIMIT", default=100_000, minimum=1)
IMPORT_PIPELINE = env_bool("IMPORT_PIPELINE", default=True)
# A running import writes a heartbeat on its upload at each committed batch; one silent this long whose
# import lock is free lost its worker and is queued again by the beat (campaigns.tasks.recover_uploads,
# every IMPORT_RECOVERY_EVERY_SECONDS, which also queues uploads that came while the queue was down).
IMPORT_LOST_AFTER_SECONDS = env_int("IMPORT_LOST_AFTER_SECONDS", default=90, minimum=1)
IMPORT_RECOVERY_EVERY_SECONDS = env_int("IMPORT_RECOVERY_EVERY_SECONDS", default=30, minimum=1)
# ESP webhooks (deliverability/webhooks): the largest request body (413 past it; separate from uploads),
# how far a signed timestamp may be from now (Mailgun, SendGrid: replays outside it are refused), how
# long raw requests are kept (never past the organisation's retention), the micro-batch schedule (first
# import this long after a quiet endpoint's request; the next no sooner than WEBHOOK_REFRESH_SECONDS after
# the last, so a campaign is judged again at most once a minute), requests per import, and whether a
# verified SNS SubscriptionConfirmation is confirmed by fetching its SubscribeURL.
WEBHOOK_MAX_BYTES = env_int("WEBHOOK_MAX_BYTES", default=5 * 1024**2, minimum=1)
WEBHOOK_TIMESTAMP_TOLERANCE = env_int("WEBHOOK_TIMESTAMP_TOLERANCE", default=300, minimum=1)
WEBHOOK_PAYLOAD_DAYS = env_int("WEBHOOK_PAYLOAD_DAYS", default=30, minimum=1)
WEBHOOK_BATCH_DELAY_SECONDS = env_int("WEBHOOK_BATCH_DELAY_SECONDS", default=5, minimum=0)
WEBHOOK_REFRESH_SECONDS = env_int("WEBHOOK_REFRESH_SECONDS", default=60, minimum=0)
WEBHOOK_IMPORT_MAX_PAYLOADS = env_int("WEBHOOK_IMPORT_MAX_PAYLOADS", default=2000, minimum=1)
WEBHOOK_IMPORT_STUCK_SECONDS = env_int("WEBHOOK_IMPORT_STUCK_SECONDS", default=1800, minimum=60)
WEBHOOK_SNS_AUTO_CONFIRM = env_bool("WEBHOOK_SNS_AUTO_CONFIRM", default=True)

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# HTTPS, off unless set (a plain-HTTP local stack keeps working). Behind a TLS-terminating proxy:
# SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO (the proxy must set or strip that header).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
if env_str("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = (env_str("SECURE_PROXY_SSL_HEADER"), "https")
# Content-Security-Policy (django-csp): the pages run no inline script and load nothing from
# elsewhere. plotly.js's style rules come from our vendored stylesheet (it injects none when the
# page marks them provided, see templates/dashboard/base.html); chart elements get their
# positions through the CSSOM, which style-src does not govern.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF],
        "style-src": [CSP_SELF, CSP_NONCE],  # the nonce: the verdict colours' <style> (labels.verdict_styles)
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_NONE],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
    },
}

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
# Lost imports queued again, uploads that came while the queue was down queued (campaigns.tasks).
CELERY_BEAT_SCHEDULE["recover-uploads"] = {"task": "deliverability.campaigns.tasks.recover_uploads",
                                           "schedule": float(IMPORT_RECOVERY_EVERY_SECONDS),
                                           "options": {"queue": "default", "expires": IMPORT_RECOVERY_EVERY_SECONDS}}
# Daily: every organisation's sending domains and IPs checked (SPF, DKIM, DMARC, PTR, blocklists).
CELERY_BEAT_SCHEDULE["sender-checks"] = {"task": "deliverability.senders.tasks.check_all_senders",
                                         "schedule": 86400.0, "options": {"queue": "default"}}
# Every minute: webhook imports whose queued message was lost, payloads of a worker that died (webhooks.tasks).
CELERY_BEAT_SCHEDULE["webhook-sweep"] = {"task": "deliverability.webhooks.tasks.sweep_webhooks", "schedule": 60.0,
                                         "options": {"queue": "default", "expires": 60}}
# Daily: raw webhook payloads past WEBHOOK_PAYLOAD_DAYS or their organisation's retention.
CELERY_BEAT_SCHEDULE["webhook-payload-purge"] = {"task": "deliverability.webhooks.tasks.purge_webhook_payloads",
                                                 "schedule": 86400.0, "options": {"queue": "default"}}
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
# Sender health (deliverability/senders): blocklist zones asked for sending IPs and domains, the
# agency's Spamhaus Data Query Service key (rewrites the *.spamhaus.org zones; Spamhaus refuses
# commercial use of the public mirrors) and the questions per second sent to one zone.
SENDER_DNSBL_ZONES = env_list("SENDER_DNSBL_ZONES", default=["zen.spamhaus.org", "b.barracudacentral.org", "bl.spamcop.net"])
SENDER_DOMAIN_BLOCKLISTS = env_list("SENDER_DOMAIN_BLOCKLISTS", default=["dbl.spamhaus.org"])
SPAMHAUS_DQS_KEY = env_str("SPAMHAUS_DQS_KEY") or ""
SENDER_DNSBL_RATE = env_int("SENDER_DNSBL_RATE", default=20, minimum=1)
SENDER_CHECK_RATE = env_str("SENDER_CHECK_RATE") or "6/h"  # "Check now" runs per organisation (django-ratelimit)

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
    # django-axes logs every sign-in at INFO; failures and lock-outs are in the audit log already.
    "loggers": {"axes": {"level": "WARNING"}},
}
