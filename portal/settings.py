"""Settings for the SME pilot portal. Everything deployment-specific comes from the environment.

With no environment at all the portal runs as the embedded first-run setup: SQLite under
``var/``, a file-system Celery broker, email to the console and the in-app outbox. Production
sets ``DJANGO_DEBUG=0`` and the variables listed in README.md.
"""

import base64
import hashlib
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
_DEV_SECRET = "dev-only-insecure-key-change-me"  # noqa: S105 - never used when DEBUG is off
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not SECRET_KEY or (not DEBUG and SECRET_KEY == _DEV_SECRET):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from this origin (no CDN)
    "django_celery_beat",
    "import_export",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "portal",
    "applications",
    "pilots",
    "evaluation",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.DefaultLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    "portal.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.middleware.VisibilityMiddleware",
    # After the visibility (it reads the user's roles from it) and after the forced password
    # change: staff without a verified second factor reach only the enrol and verify pages.
    "portal.middleware.SecondFactorMiddleware",
    "portal.middleware.SessionTrackingMiddleware",
    # AxesMiddleware turns a locked-out login into our lockout page; it must stay last.
    "axes.middleware.AxesMiddleware",
]

if not DEBUG:
    # Production serves the collected, hashed static files itself (no CDN on an intranet).
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.navigation",
            ],
        },
    },
]

# Database: PostgreSQL whenever DATABASE_URL is set (production, CI); an SQLite file otherwise.
if not os.environ.get("DATABASE_URL"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded first run has a web process and a worker writing the same file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool(
    "PORTAL_DATABASE_JIT", False
):
    # The portal's queries are short pages and counts: compiling them (PostgreSQL's JIT starts at
    # a plan cost that a correlated visibility test reaches on a staff list's count) costs far
    # more than it saves (docs/decisions.md, "Staff lists near their floor").
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out account before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "portal.security.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "portal.security.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Lockout after repeated failures (等保 2.0 三级 / ASVS V2.2): per account, 5 tries, 30 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("PORTAL_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("PORTAL_LOCKOUT_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = ["username"]
# Per-account lockout, not per IP: a county bureau's whole office shares one NAT address, and
# an IP lockout would let one mistyped password lock out every colleague (docs/decisions.md).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "portal.security.lockout_response"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("PORTAL_PROXY_COUNT", "0"))

# Two-factor login (等保 2.0 三级 身份鉴别: two factors for administrators and staff; ASVS V2.7/V2.8):
# TOTP enrolled with a QR code, single-use recovery codes, and a browser remembered for a while.
OTP_TOTP_ISSUER = os.environ.get("PORTAL_OTP_ISSUER", "SME Pilot Portal")
PORTAL_OTP_REMEMBER_DAYS = int(os.environ.get("PORTAL_OTP_REMEMBER_DAYS", "30"))
PORTAL_OTP_RECOVERY_CODES = 10
# A session's "last seen" (on the user's sessions page) is written at most this often.
PORTAL_SESSION_TOUCH_SECONDS = int(os.environ.get("PORTAL_SESSION_TOUCH_SECONDS", "300"))


def _rate_limits(spec: str) -> dict[str, tuple[int, int]]:
    """``login_ip=60/600,objection_notice=200/3600``: hits per window of seconds, by scope."""
    limits = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        try:
            scope, rule = item.split("=")
            hits, seconds = rule.split("/")
            limits[scope.strip()] = (int(hits), int(seconds))
        except ValueError as error:
            raise ImproperlyConfigured(
                f"PORTAL_RATE_LIMITS: {item!r} is not scope=hits/seconds"
            ) from error
    return limits


# Abuse limits on login, registration, verification and objections (portal/ratelimit.py holds
# the scopes and their defaults; this overrides any of them).
PORTAL_RATE_LIMITS = _rate_limits(os.environ.get("PORTAL_RATE_LIMITS", ""))

# Idle session timeout of 30 minutes: the cookie's age is renewed on every request.
SESSION_COOKIE_AGE = int(os.environ.get("PORTAL_IDLE_TIMEOUT_SECONDS", str(30 * 60)))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Internationalisation: Simplified Chinese unless the user picked English.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "portal" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", VAR_DIR / "media"))
# Uploads are never served from a public URL: permission-checked views stream them.
MEDIA_URL = "/media-not-public/"
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
# An S3-compatible object store (MinIO, or a cloud's) for uploads and generated documents, so
# every web and worker node reads the same files; the local file system is the embedded default.
PORTAL_S3_BUCKET = os.environ.get("PORTAL_S3_BUCKET", "")
if PORTAL_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": PORTAL_S3_BUCKET,
            "endpoint_url": os.environ.get("PORTAL_S3_ENDPOINT_URL") or None,
            "access_key": os.environ.get("PORTAL_S3_ACCESS_KEY", ""),
            "secret_key": os.environ.get("PORTAL_S3_SECRET_KEY", ""),
            "region_name": os.environ.get("PORTAL_S3_REGION", "us-east-1"),
            # Private objects; links, if ever used, are signed and short-lived. Downloads go
            # through permission-checked views that stream the object.
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": False,
            "addressing_style": "path",
        },
    }
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

# Email: console in the embedded default (the in-app inbox is the visible channel).
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "noreply@localhost")

# Caches: Redis when configured (production), local memory otherwise.
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }

# Celery: Redis in production and CI; a file-system broker for the first run without services.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "celery-broker"
    for _folder in ("out", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # The exchange table too, under var/ (kombu's default is ./control, inside the checkout).
        "control_folder": str(_broker_dir / "control"),
    }
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "portal")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {
        "task": "portal.tasks.record_heartbeat",
        "schedule": float(os.environ.get("PORTAL_HEARTBEAT_SECONDS", "60")),
    },
    # Planning and sending are separate ticks: a sending backlog never delays planning.
    "plan-reminders": {
        "task": "portal.tasks.plan_due_reminders",
        "schedule": float(os.environ.get("PORTAL_REMINDER_SECONDS", "60")),
    },
    "send-reminders": {
        "task": "portal.tasks.send_due_reminders",
        "schedule": float(os.environ.get("PORTAL_REMINDER_SECONDS", "60")),
    },
    # Renders and exports whose worker died (or whose message a broker outage lost) are queued
    # again; the claim makes a duplicate harmless.
    "resume-stalled-jobs": {
        "task": "portal.tasks.resume_stalled_jobs",
        "schedule": float(os.environ.get("PORTAL_RESUME_SECONDS", "60")),
    },
    "archive-audit-records": {
        "task": "portal.tasks.archive_audit_records",
        "schedule": float(os.environ.get("PORTAL_AUDIT_ARCHIVE_SECONDS", str(24 * 3600))),
    },
    "run-due-actions": {
        "task": "portal.tasks.run_deadline_actions",
        "schedule": float(os.environ.get("PORTAL_REMINDER_SECONDS", "60")),
    },
}
# A document render or an export whose worker died is taken over after this many seconds.
PORTAL_JOB_CLAIM_TIMEOUT = int(os.environ.get("PORTAL_JOB_CLAIM_TIMEOUT", "600"))
# The fonts generated PDFs are printed with, and the only ones (portal.pdf_fonts).
PORTAL_FONT_DIR = Path(os.environ.get("PORTAL_FONT_DIR", BASE_DIR / "portal" / "fonts"))
# Keys that sign stamped bundles (PAdES, portal.signing): ``<signer>.key.pem`` and
# ``<signer>.cert.pem`` where the signer is ``bureau-<division code>``,
# ``organization-<unified social credit code>`` or ``portal`` (made on first use when missing).
PORTAL_SIGNING_DIR = Path(os.environ.get("PORTAL_SIGNING_DIR", VAR_DIR / "signing"))
# A claimed reminder whose worker died is taken over after this many seconds.
PORTAL_REMINDER_CLAIM_TIMEOUT = int(os.environ.get("PORTAL_REMINDER_CLAIM_TIMEOUT", "300"))
# Pause between two sends, to spare a mail relay.
PORTAL_REMINDER_THROTTLE_SECONDS = float(os.environ.get("PORTAL_REMINDER_THROTTLE_SECONDS", "0"))
if CELERY_BROKER_URL.startswith("redis://"):
    # An unacknowledged task (its worker died) is delivered again after this many seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))
    }

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # A personal token first, so an anonymous caller is told to authenticate (401).
        "portal.api.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "portal.api.auth.TokenScope",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["portal.api.auth.ApiRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.ApiCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "portal.api.errors.api_exception_handler",
}
# Requests per token (per user for the browser, per address for the public); DRF's rate syntax.
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600/minute")
SPECTACULAR_SETTINGS = {
    "TITLE": "SME digital-transformation pilot portal API",
    "DESCRIPTION": (
        "Version 1 of the portal's API. Authenticate with a personal token from the portal "
        "(account menu → API tokens) as `Authorization: Bearer <token>`. Lists are cursor-paged "
        "(`next`/`previous`); errors are JSON with a stable `code` and a `message` in the "
        "language of `Accept-Language` (Simplified Chinese by default)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api.schema.add_error_responses",
    ],
}

# Production hardening (manage.py check --deploy is clean with DJANGO_DEBUG=0).
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}

# Portal-specific knobs.
PORTAL_NAME = _("SME Digital Transformation Pilot Portal")
PORTAL_HEARTBEAT_STALE_AFTER = timedelta(minutes=5)

# Security of stored data (issue 14; GB/T 22239-2019 level 3, GB/T 39786-2021).
# "international": SHA-256 and AES-256-GCM; "national": SM3 and SM4-GCM (portal.crypto).
PORTAL_CRYPTO = os.environ.get("PORTAL_CRYPTO", "international")


def _data_keys() -> dict[str, str]:
    """``PORTAL_DATA_KEYS=id:base64,id:base64`` (32 random bytes each). Without it, key "0" is
    derived from the secret key: production should set its own, so that changing the secret key
    never makes personal data unreadable (docs/decisions.md)."""
    configured = env_list("PORTAL_DATA_KEYS")
    if configured:
        return dict(item.split(":", 1) for item in configured)
    derived = hashlib.sha256(f"portal-data-key:{SECRET_KEY}".encode()).digest()
    return {"0": base64.b64encode(derived).decode()}


PORTAL_DATA_KEYS = _data_keys()
PORTAL_DATA_KEY_ID = os.environ.get("PORTAL_DATA_KEY_ID", next(iter(PORTAL_DATA_KEYS)))
# Audit records are kept this many calendar months before the archive moves them out
# (GB/T 22239-2019 8.1.4.3 with the Cybersecurity Law Art. 21: at least 6 months).
PORTAL_AUDIT_RETENTION_MONTHS = int(os.environ.get("PORTAL_AUDIT_RETENTION_MONTHS", "36"))
PORTAL_AUDIT_RETENTION_MINIMUM_MONTHS = 6
