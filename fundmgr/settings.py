"""Settings, all from the environment so one codebase serves the demo, the tests and production.

FUNDMGR_PROFILE=production switches on the secure defaults that `manage.py check --deploy` asks
for and refuses to start without a real SECRET_KEY.
"""

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PROFILE = os.environ.get("FUNDMGR_PROFILE", "development")
PRODUCTION = PROFILE == "production"

DEBUG = env_bool("DEBUG", not PRODUCTION)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("Set SECRET_KEY: production refuses to run with a default key.")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"
# Rotating the key (README "Security"): the old key here, comma separated, until the sessions and
# links signed with it have expired.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
# The service's own address, for links in e-mails sent with no request to read it from (the
# daily `manage.py send_reminders`, which refuses to send without it).
SITE_URL = os.environ.get("SITE_URL", "" if PRODUCTION else "http://localhost:8000")
# The council (its path prefix, Council.slug) a request is for when its host name and path name
# none (fundmgr/councils.py): the demo's first council outside production, so the demo and the
# tests serve it at the bare address; blank in production (such a request is for no council).
DEFAULT_COUNCIL = os.environ.get("DEFAULT_COUNCIL", "" if PRODUCTION else "thornbury-vale")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "govuk_frontend_django",
    "crispy_forms",
    "crispy_forms_gds",
    "django_fsm",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    "fundmgr",
    "budgets",
    "applications",
    "finance",
    "decisions",
    "transparency",
    "devtools",
]

MIDDLEWARE = [
    # First: every later line of the log, and the answer, carry the request's id.
    "fundmgr.observability.RequestId",
    "django.middleware.security.SecurityMiddleware",
    # fundmgr/middleware.py and README "Security": the CSP on every answer; nothing a signed-in
    # person is sent is stored by a browser or a cache.
    "csp.middleware.CSPMiddleware",
    "fundmgr.middleware.NoStoreWhenSignedIn",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The council the request is for (host name or path prefix): every query after this keeps to
    # that council's rows (fundmgr/councils.py).
    "fundmgr.councils.CouncilMiddleware",
    # Auditors read everything and change nothing: any other method is a 403 before any view.
    "fundmgr.access.AuditorsReadOnly",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Sign-in (fundmgr/sign_in.py, fundmgr/two_factor.py): the session's 2FA device, staff
    # signed out when idle, 2FA before anything else where a role needs it, then axes's lockout.
    "django_otp.middleware.OTPMiddleware",
    "fundmgr.sign_in.StaffIdleSignOut",
    "fundmgr.two_factor.TwoFactorRequired",
    "axes.middleware.AxesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # fundmgr.contention: a deadlock no service retried is a 409 page, not a 500.
    "fundmgr.middleware.SimultaneousChangeRefused",
]

ROOT_URLCONF = "fundmgr.urls"
WSGI_APPLICATION = "fundmgr.wsgi.application"
AUTH_USER_MODEL = "fundmgr.User"

# The API under /api/v1/ (fundmgr/api.py): session sign-in for the pages' own scripts, tokens
# for programs (an administrator issues them in /admin/); errors as RFC 9457 problem details.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Tokens first, so a request with neither answers 401 with WWW-Authenticate: Token.
        "rest_framework.authentication.TokenAuthentication",
        # The pages' session, once past two-factor authentication where the person has it.
        "fundmgr.two_factor.VerifiedSessionAuthentication",
    ],
    # Per person signed in, else per address (PROXY_COUNT proxies in front); 429 past the rate.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "60/min"),
        "user": os.environ.get("API_THROTTLE_USER", "1000/min"),
    },
    "NUM_PROXIES": int(os.environ.get("PROXY_COUNT", "0")),
    # fundmgr/access.py: signed in, and no writes by auditors; each view names its own rules.
    "DEFAULT_PERMISSION_CLASSES": ["fundmgr.access.ApiSignedIn"],
    "DEFAULT_PAGINATION_CLASS": "fundmgr.api.Pagination",
    "DEFAULT_FILTER_BACKENDS": [
        "fundmgr.api.FilterBackend",  # django-filter, strict about empty and repeated filters
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "fundmgr.api_schema.AutoSchema",
    "EXCEPTION_HANDLER": "fundmgr.api.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "fundmgr API",
    "DESCRIPTION": (
        "Everything a person can do in fundmgr's pages, for programs with the same permissions. "
        "Money is a string of pounds with two decimal places. Errors are problem details "
        "(RFC 9457): 400 bad input, 401 not signed in, 403 not permitted, 404 not found or not "
        "yours, 409 refused by the rules now, 412/428 edits without the current version."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "/static/favicon.svg",  # the service's own, as on every page
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Several models have a `kind` or a `status`: each set of choices gets its own name.
    "ENUM_NAME_OVERRIDES": {
        "FundKindEnum": "budgets.models.Fund.Kind",
        "LedgerTransactionKindEnum": "budgets.models.LedgerTransaction.Kind",
        "PaymentFileKindEnum": "budgets.models.PaymentFile.Kind",
        "MatchKindEnum": "budgets.models.Match.Kind",
        "PaymentStatusEnum": "budgets.models.Payment.Status",
        "PaymentRunStatusEnum": "budgets.models.PaymentRun.Status",
        "PaymentRunLineStatusEnum": "budgets.models.PaymentRunLine.Status",
        "StatementLineStatusEnum": "budgets.models.StatementLine.Status",
        "ApplicationStatusEnum": "applications.workflow.Status",
        "OrganisationKindEnum": "applications.models.Organisation.Kind",
        "InterestDeclarationKindEnum": "applications.models.InterestDeclaration.Kind",
    },
}
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in (README "Security"). With an e-mail address or a username; django-axes counts wrong
# passwords per account and per address, and after SIGN_IN_FAILURE_LIMIT of them refuses that
# account, or address, for SIGN_IN_LOCKOUT_MINUTES (an administrator unlocks sooner).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: a locked account is refused before its password
    "fundmgr.sign_in.EmailOrUsernameBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("SIGN_IN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("SIGN_IN_LOCKOUT_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "fundmgr.sign_in.username_tried"
AXES_CLIENT_IP_CALLABLE = "fundmgr.sign_in.client_address"
AXES_LOCKOUT_CALLABLE = "fundmgr.sign_in.locked_out"
# Links in password-reset and confirm-your-address e-mails work for this long.
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_SECONDS", str(24 * 60 * 60)))
# Staff roles are signed out after this long without a request; applicants keep Django's two weeks.
STAFF_SESSION_IDLE_SECONDS = int(os.environ.get("STAFF_SESSION_IDLE_SECONDS", str(30 * 60)))

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
                "fundmgr.context_processors.council",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
        # A kept connection the server has closed (a restart) is found before a request uses it.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a writer rather than fail at once, and take the write lock at BEGIN so that two
    # writers queue instead of deadlocking on the SQLite lock upgrade.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Pages ask short questions; PostgreSQL's JIT compiler starts on any query the planner
    # costs high (a subquery per row is costed high) and compiled longer than it ran: 1.2 s of
    # the payments page's 1.6 s query at 100k bids (`manage.py benchmark pages`). Off.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    # Prepared statements: a query a connection has sent DATABASE_PREPARE_THRESHOLD times is
    # prepared on the server, and planned once (a generic plan) rather than at every request.
    # Planning is the dearer half of most of the service's queries (the councils' row-level
    # security adds each table's policy to every plan): an approval spent 3.4 ms of the
    # server's CPU planning its statements and 4.1 ms running them. The parameters go to the
    # server apart from the SQL (psycopg's server-side binding), as a prepared statement needs.
    # Only a connection kept between requests (CONN_MAX_AGE above 0) reuses what it prepared.
    # "off" sends every query whole, as Django does by default: for a pool in front of
    # PostgreSQL that shares one server session between clients mid-session (PgBouncer's
    # transaction pooling before version 1.21), where a prepared statement is not there next time.
    prepare = os.environ.get("DATABASE_PREPARE_THRESHOLD", "5").strip().lower()
    if prepare not in ("off", ""):
        DATABASES["default"]["OPTIONS"].update(
            {"server_side_binding": True, "prepare_threshold": int(prepare)}
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Uploads and stored documents: local disk (MEDIA_ROOT) by default, or S3-compatible object
# storage shared by several app servers (FUNDMGR_STORAGE=s3 and the S3_* settings below). Every
# read and write goes through Django's storage API, never a path on disk.
FILE_STORAGE = os.environ.get("FUNDMGR_STORAGE", "local").strip().lower()
if FILE_STORAGE not in {"local", "s3"}:
    raise ImproperlyConfigured("FUNDMGR_STORAGE is local (the default) or s3.")
DEFAULT_STORAGE: dict = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
if FILE_STORAGE == "s3":
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("S3_BUCKET", ""),
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("S3_REGION") or None,
            "access_key": os.environ.get("S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("S3_PREFIX", ""),
            # Private: a file is served only through the view that checks who may see it.
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    if not DEFAULT_STORAGE["OPTIONS"]["bucket_name"]:
        raise ImproperlyConfigured("FUNDMGR_STORAGE=s3 needs S3_BUCKET.")
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "grants@example.gov.uk")
# The SMTP relay (EMAIL_BACKEND's default in production): docs/operating.md "E-mail".
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
# How the outbox's messages leave: `smtp` (Django's EMAIL_BACKEND above) or `notify` (GOV.UK
# Notify: NOTIFY_API_KEY, and a template id per kind of message in NOTIFY_TEMPLATES, JSON such as
# {"email": "...", "sms": "..."}; NOTIFY_BASE_URL only for a test double).
MAIL_SERVICE = os.environ.get("FUNDMGR_MAIL", "smtp").strip().lower()
if MAIL_SERVICE not in {"smtp", "notify"}:
    raise ImproperlyConfigured("FUNDMGR_MAIL is smtp (the default) or notify.")
NOTIFY_API_KEY = os.environ.get("NOTIFY_API_KEY", "")
NOTIFY_BASE_URL = os.environ.get("NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk")
NOTIFY_TEMPLATES: dict = json.loads(os.environ.get("NOTIFY_TEMPLATES", "{}") or "{}")
if MAIL_SERVICE == "notify" and not NOTIFY_API_KEY:
    raise ImproperlyConfigured("FUNDMGR_MAIL=notify needs NOTIFY_API_KEY.")
# A sender claims an outbox row for this long before sending it (fundmgr/notifications.py): no
# other worker or timer run tries it until then, and one that died holding it is taken over after.
NOTIFICATION_LEASE_SECONDS = int(os.environ.get("NOTIFICATION_LEASE_SECONDS", "300"))
# Text messages (through GOV.UK Notify only): reminders of an offer about to lapse and of an
# overdue report also go to the group's mobile number (applications/reminders.py).
FUNDMGR_SMS = env_bool("FUNDMGR_SMS", False)

# The service's own name: on its own pages (the front page and sign-in where several councils
# share the service, the service administrator's /admin/) and in authenticator apps. Each
# council's name, address, logo, help contact and BACS details are its own settings, in the
# database (fundmgr.models.Council), edited by its administrator in /admin/.
SERVICE_NAME = os.environ.get("SERVICE_NAME", "Community grants")
# Who to contact about the service itself, on its own pages (blank parts are left out).
SERVICE_HELP_CONTACT = {
    "name": os.environ.get("SERVICE_HELP_NAME", "service desk"),
    "email": os.environ.get("SERVICE_HELP_EMAIL", ""),
    "phone": os.environ.get("SERVICE_HELP_PHONE", ""),
    "hours": os.environ.get("SERVICE_HELP_HOURS", ""),
}
# The name an authenticator app shows beside the person's code: one account, one code, at
# every council on the service.
OTP_TOTP_ISSUER = SERVICE_NAME

# Published grants data (transparency app): the licence every council's data is published
# under. Each council's 360Giving prefix and department are its own settings (Council).
GRANTS_LICENSE = os.environ.get(
    "GRANTS_LICENSE", "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
)

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # The load balancer's health check talks plain HTTP to the app server.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp), in every profile so that the browser tests run under it:
# scripts, styles and fonts only from our own static files, no inline script or style anywhere
# (GOV.UK Frontend's start-up and the API documentation's are static files), no plugins, never
# framed, forms posted only to us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF],
        "img-src": [csp.SELF, "data:"],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    }
}
# /api/v1/schema/ and /api/v1/docs/ are for signed-in callers unless this opens them to anyone.
API_DOCS_PUBLIC = env_bool("API_DOCS_PUBLIC", False)

# Logs: one JSON object per line (LOG_FORMAT=json, production's default) for a log collector,
# or plain text; every line written while a request is answered carries its request id (the
# proxy's X-Request-ID, or one made up), which the answer repeats in its own X-Request-ID.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json" if PRODUCTION else "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "fundmgr.observability.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        # The worker's own lines (task started, finished, failed) at INFO.
        "django_tasks": {"level": os.environ.get("TASKS_LOG_LEVEL", "INFO")},
        "django_tasks_db": {"level": os.environ.get("TASKS_LOG_LEVEL", "INFO")},
    },
}

# Background work (documents, e-mails, reminders): django-tasks. `database` (the default) keeps
# the queue in the database and `manage.py db_worker` runs it, so a small council needs nothing
# more; `rq` is for a shared service with several workers (pip install fundmgr[rq], REDIS_URL);
# `immediate` runs each task at once when its transaction commits (the tests, and a quick try).
TASKS_BACKEND = os.environ.get("FUNDMGR_TASKS", "database").strip().lower()
_TASK_BACKENDS = {
    "database": {"BACKEND": "django_tasks_db.DatabaseBackend"},
    "immediate": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "rq": {
        "BACKEND": "django_tasks_rq.RQBackend",
        "QUEUES": ["default"],
    },
}
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured("FUNDMGR_TASKS is database (the default), rq or immediate.")
TASKS = {"default": _TASK_BACKENDS[TASKS_BACKEND]}
if TASKS_BACKEND == "rq":
    # django-rq's `manage.py rqworker` runs the queue (docs/operating.md "The task queue").
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")}}
# A task is retried this many times in all, waiting TASK_RETRY_SECONDS, then twice, four times...
# as long between tries; a worker that died holding a task gives it up after TASK_LEASE_SECONDS.
TASK_ATTEMPTS = int(os.environ.get("TASK_ATTEMPTS", "5"))
TASK_RETRY_SECONDS = int(os.environ.get("TASK_RETRY_SECONDS", "60"))
TASK_LEASE_SECONDS = int(os.environ.get("TASK_LEASE_SECONDS", "900"))
# /healthz calls the worker unwell when its heartbeat task has waited longer than this.
WORKER_STALE_SECONDS = int(os.environ.get("WORKER_STALE_SECONDS", "300"))
# ...and the queue unwell when more tasks than this wait to run now (the worker is not keeping up).
HEALTH_MAX_QUEUE = int(os.environ.get("HEALTH_MAX_QUEUE", "1000"))

# Error reports to Sentry (or a compatible service such as GlitchTip) only when a DSN is set; no
# personal data is sent with them.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:  # pragma: no cover - needs a DSN
    import sentry_sdk

    from fundmgr.observability import without_personal_data

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", PROFILE),
        send_default_pii=False,
        # A frame's variables, a form's fields and a query string can hold a person's name,
        # address or bank details: none of them is sent.
        include_local_variables=False,
        max_request_body_size="never",
        before_send=without_personal_data,
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )

# FIRST_COUNCIL is read once, by the migration that makes council 1 of an installation that
# served one council before (fundmgr/migrations/0009_council_settings.py), from the environment
# variables that installation was configured with. Nothing else reads it: after that migration
# these values are council 1's own settings, in the database. The BACS development defaults are
# fictional; production has none (a payment run refuses to export until the council has them).
_first_email = os.environ.get("COUNCIL_EMAIL", "grants@thornburyvale.example")
_first_phone = os.environ.get("COUNCIL_PHONE", "01632 960000")
_first_sort_code = os.environ.get("BACS_SORT_CODE", "" if PRODUCTION else "309950")
_first_account = os.environ.get("BACS_ACCOUNT_NUMBER", "" if PRODUCTION else "10203040")
FIRST_COUNCIL = {
    "address": env_list("COUNCIL_ADDRESS", "Council Offices,Market Street,Thornbury Vale,TV1 1AA"),
    "email": _first_email,
    "phone": _first_phone,
    "logo": os.environ.get("COUNCIL_LOGO", ""),
    "help_name": os.environ.get("HELP_CONTACT_NAME", "Grants team"),
    "help_email": os.environ.get("HELP_CONTACT_EMAIL", _first_email),
    "help_phone": os.environ.get("HELP_CONTACT_PHONE", _first_phone),
    "help_hours": os.environ.get("HELP_CONTACT_HOURS", "Monday to Friday, 9am to 5pm"),
    "threesixty_prefix": os.environ.get("GRANTS_360G_PREFIX", "360G-thornburyvale-"),
    "department": os.environ.get("GRANTS_DEPARTMENT", "Democratic and Community Services"),
    "bacs_service_user_number": os.environ.get(
        "BACS_SERVICE_USER_NUMBER", "" if PRODUCTION else "912345"
    ),
    "bacs_name": os.environ.get("BACS_NAME", "" if PRODUCTION else "THORNBURY VALE DC"),
    "bacs_sort_code": _first_sort_code,
    "bacs_account_number": _first_account,
    "bacs_account_name": os.environ.get("BACS_ACCOUNT_NAME", "" if PRODUCTION else "TVDC GRANTS"),
    # "sort code account number", comma separated; by default the account paid from.
    "bank_accounts": env_list(
        "COUNCIL_BANK_ACCOUNTS", f"{_first_sort_code} {_first_account}".strip()
    ),
}
