"""Settings, all from the environment so one codebase serves the demo, the tests and production.

FUNDMGR_PROFILE=production switches on the secure defaults that `manage.py check --deploy` asks
for and refuses to start without a real SECRET_KEY.
"""

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
    "fundmgr",
    "budgets",
    "applications",
    "finance",
    "decisions",
    "transparency",
    "devtools",
]

MIDDLEWARE = [
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
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a writer rather than fail at once, and take the write lock at BEGIN so that two
    # writers queue instead of deadlocking on the SQLite lock upgrade.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
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
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
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

# The council this installation serves: letterheads, page headers and published data use it.
COUNCIL_NAME = os.environ.get("COUNCIL_NAME", "Thornbury Vale District Council")
COUNCIL_ADDRESS = env_list(
    "COUNCIL_ADDRESS", "Council Offices,Market Street,Thornbury Vale,TV1 1AA"
)
COUNCIL_EMAIL = os.environ.get("COUNCIL_EMAIL", "grants@thornburyvale.example")
COUNCIL_PHONE = os.environ.get("COUNCIL_PHONE", "01632 960000")
COUNCIL_LOGO = os.environ.get("COUNCIL_LOGO", "")
# Who applicants contact for help: shown in the footer of every page and at the end of every
# e-mail (fundmgr.notifications.help_footer).
HELP_CONTACT = {
    "name": os.environ.get("HELP_CONTACT_NAME", "Grants team"),
    "email": os.environ.get("HELP_CONTACT_EMAIL", COUNCIL_EMAIL),
    "phone": os.environ.get("HELP_CONTACT_PHONE", COUNCIL_PHONE),
    "hours": os.environ.get("HELP_CONTACT_HOURS", "Monday to Friday, 9am to 5pm"),
}
# The name an authenticator app shows beside the person's code.
OTP_TOTP_ISSUER = f"{COUNCIL_NAME} grants"

# Published grants data (transparency app). The 360Giving prefix is the one 360Giving registers
# for the council; grant and unregistered-group identifiers start with it.
GRANTS_360G_PREFIX = os.environ.get("GRANTS_360G_PREFIX", "360G-thornburyvale-")
GRANTS_DEPARTMENT = os.environ.get("GRANTS_DEPARTMENT", "Democratic and Community Services")
GRANTS_LICENSE = os.environ.get(
    "GRANTS_LICENSE", "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
)

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# BACS: the council as a BACS service user, and the account that payment runs pay from. The
# development defaults are fictional; production has none, and a payment run refuses to export
# until they are set.
BACS_SERVICE_USER_NUMBER = os.environ.get(
    "BACS_SERVICE_USER_NUMBER", "" if PRODUCTION else "912345"
)
BACS_NAME = os.environ.get("BACS_NAME", "" if PRODUCTION else "THORNBURY VALE DC")
BACS_SORT_CODE = os.environ.get("BACS_SORT_CODE", "" if PRODUCTION else "309950")
BACS_ACCOUNT_NUMBER = os.environ.get("BACS_ACCOUNT_NUMBER", "" if PRODUCTION else "10203040")
# The council's bank accounts ("sort code account number", comma separated): a statement for any
# other account is refused. By default, the account BACS payments are made from.
COUNCIL_BANK_ACCOUNTS = env_list(
    "COUNCIL_BANK_ACCOUNTS", f"{BACS_SORT_CODE} {BACS_ACCOUNT_NUMBER}".strip()
)
BACS_ACCOUNT_NAME = os.environ.get("BACS_ACCOUNT_NAME", "" if PRODUCTION else "TVDC GRANTS")
