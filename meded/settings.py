"""Settings for meded.

SQLite under var/ by default (zero set-up); PostgreSQL when DATABASE_URL is set.
Everything a deployment changes comes from the environment (MEDED_*), never from edits here;
README.md lists every setting.

DEBUG is off unless MEDED_DEBUG turns it on (`meded demo` does that for itself). With DEBUG
off, no process starts on the built-in secret key (meded/core/startup.py), cookies are
secure, HSTS is sent and plain HTTP is redirected to HTTPS.
"""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from meded.core.startup import BUILTIN_SECRET_KEY

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MEDED_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [v.strip() for v in os.environ.get(name, default).split(",") if v.strip()]


SECRET_KEY = os.environ.get("MEDED_SECRET_KEY", "").strip() or BUILTIN_SECRET_KEY
DEBUG = env_bool("MEDED_DEBUG", False)
ALLOWED_HOSTS = env_list("MEDED_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("MEDED_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    # ninja's own Swagger UI assets (served from static files, never a CDN)
    "ninja",
    "csp",
    "axes",
    "meded.core",
    "meded.audit",
    "meded.org",
    "meded.accounts",
    "meded.jobs",
    "meded.public",
    "meded.schedules",
    "meded.calendars",
    "meded.rosters",
    "meded.home",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Refuses input the database cannot store (NUL...) naming the parameter; BadInput -> 400.
    "meded.core.middleware.BadInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # last, as django-axes asks: it turns a locked-out sign-in into the lockout page
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "meded.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "meded" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "meded.accounts.context_processors.viewer",
            ],
        },
    },
]

WSGI_APPLICATION = "meded.wsgi.application"

DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    # A second connection to the same database for progress reports: a long import runs in
    # one transaction, and progress written on its own connection is seen while it runs.
    # (SQLite has one writer at a time, so there progress shares the import's connection.)
    DATABASES["progress"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "meded.sqlite3"),
            "OPTIONS": {
                # The web server and a worker share the file: wait instead of failing,
                # take the write lock up front, and let readers run beside a writer.
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Sign-in ---------------------------------------------------------------------------------
# Local accounts (the demo, small sites) and, when MEDED_OIDC_RP_CLIENT_ID is set, single
# sign-on through the hospital's OpenID Connect identity provider (meded/accounts/oidc.py).
# django-axes counts failed local sign-ins and locks the account out for a while.

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("MEDED_PASSWORD_MIN_LENGTH", 10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "public:facts"
# Local username-and-password sign-in; a site that signs in only through its identity
# provider turns it off.
MEDED_LOCAL_LOGIN = env_bool("MEDED_LOCAL_LOGIN", True)

OIDC_RP_CLIENT_ID = os.environ.get("MEDED_OIDC_RP_CLIENT_ID", "").strip()
MEDED_OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
OIDC_RP_CLIENT_SECRET = os.environ.get("MEDED_OIDC_RP_CLIENT_SECRET", "")
# Either the provider's discovery document (/.well-known/openid-configuration) or each
# endpoint; an endpoint given here wins over the discovered one.
MEDED_OIDC_DISCOVERY_URL = os.environ.get("MEDED_OIDC_DISCOVERY_URL", "").strip()
for _name in ("AUTHORIZATION", "TOKEN", "USER", "JWKS"):
    _value = os.environ.get(f"MEDED_OIDC_OP_{_name}_ENDPOINT", "").strip()
    if _value:
        globals()[f"OIDC_OP_{_name}_ENDPOINT"] = _value
# ID tokens must name this issuer (default: the discovery document's "issuer").
MEDED_OIDC_ISSUER = os.environ.get("MEDED_OIDC_ISSUER", "").strip()
OIDC_RP_SIGN_ALGO = os.environ.get("MEDED_OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("MEDED_OIDC_RP_SCOPES", "openid email profile")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
# The name on the sign-in button: "Sign in with <provider>".
MEDED_OIDC_PROVIDER_NAME = os.environ.get("MEDED_OIDC_PROVIDER_NAME", "the hospital account")
# The claim that carries the id meded knows a person by (Person.external_id), e.g.
# "employee_id"; without it (or when a user lacks the claim) a verified e-mail address
# is matched to Person.email.
MEDED_OIDC_PERSON_CLAIM = os.environ.get("MEDED_OIDC_PERSON_CLAIM", "").strip()
# Match by e-mail only when the provider says the address is verified (email_verified).
# Some providers never send that claim for their own directory: turn this off for them.
MEDED_OIDC_REQUIRE_VERIFIED_EMAIL = env_bool("MEDED_OIDC_REQUIRE_VERIFIED_EMAIL", True)

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out sign-in before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    *(["django.contrib.auth.backends.ModelBackend"] if MEDED_LOCAL_LOGIN else []),
    *(["meded.accounts.oidc.PersonOIDCBackend"] if MEDED_OIDC_ENABLED else []),
]

AXES_FAILURE_LIMIT = env_int("MEDED_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("MEDED_LOGIN_LOCKOUT_MINUTES", 15))
# What is locked: by default the pair of username and client address, so one source cannot
# go on guessing a password, and colleagues behind the same hospital proxy are not locked out
# with it. Comma-separated alternatives, "+" for a pair: "username,ip_address" locks the
# username (from anywhere) and the address (for any username) separately.
AXES_LOCKOUT_PARAMETERS = [
    part.split("+") if "+" in part else part
    for part in env_list("MEDED_LOGIN_LOCKOUT_BY", "username+ip_address")
]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "meded.accounts.views.locked_out"
AXES_HTTP_RESPONSE_CODE = 429
# Behind a proxy, the client's address is the last hop the proxy appends.
AXES_CLIENT_IP_CALLABLE = "meded.accounts.lockout.client_ip"
MEDED_PROXY_COUNT = env_int("MEDED_PROXY_COUNT", 0)

SESSION_COOKIE_AGE = env_int("MEDED_SESSION_HOURS", 12) * 3600

# --- E-mail (password reset) ---------------------------------------------------------------
# Printed to the console unless an SMTP host is set.
EMAIL_HOST = os.environ.get("MEDED_EMAIL_HOST", "").strip()
EMAIL_BACKEND = os.environ.get("MEDED_EMAIL_BACKEND", "").strip() or (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("MEDED_EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("MEDED_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("MEDED_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("MEDED_EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.environ.get("MEDED_FROM_EMAIL", "meded <meded@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
PASSWORD_RESET_TIMEOUT = env_int("MEDED_PASSWORD_RESET_HOURS", 24) * 3600

# --- HTTPS, cookies and headers ----------------------------------------------------------------
# With DEBUG off (production) the cookies are secure, HSTS is sent and plain HTTP is
# redirected to HTTPS. Behind a TLS-terminating proxy, MEDED_PROXY_SSL_HEADER names the header
# the proxy sets to "https" (e.g. X-Forwarded-Proto).
_secure = not DEBUG
SESSION_COOKIE_SECURE = env_bool("MEDED_SECURE_COOKIES", _secure)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
# Pages take the CSRF token from the page itself (htmx's hx-headers, Swagger UI's data
# attribute), never from the cookie, so scripts need not read it.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env_bool("MEDED_SSL_REDIRECT", _secure)
# Load balancers probe the health check over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("MEDED_HSTS_SECONDS", 365 * 24 * 3600 if _secure else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("MEDED_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("MEDED_HSTS_PRELOAD", False)
if os.environ.get("MEDED_PROXY_SSL_HEADER", "").strip():
    _header = os.environ["MEDED_PROXY_SSL_HEADER"].strip().upper().replace("-", "_")
    SECURE_PROXY_SSL_HEADER = (f"HTTP_{_header}", "https")
USE_X_FORWARDED_HOST = env_bool("MEDED_USE_X_FORWARDED_HOST", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = []
if not SECURE_HSTS_PRELOAD:
    # Preloading is a site-wide commitment of the hospital's domain (it cannot be taken back
    # quickly), so it is opt-in (MEDED_HSTS_PRELOAD=1) rather than a deployment warning.
    SILENCED_SYSTEM_CHECKS.append("security.W021")

# The Content-Security-Policy of every response (django-csp): scripts and styles only from
# meded's own static files (no inline script, style or event handler anywhere), no plug-ins,
# no framing, forms post only to meded.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("MEDED_TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("MEDED_STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "meded" / "static"]
# In production whitenoise serves the collected files (`meded serve --production` collects
# them first) compressed and with hashed names, cached for a year.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Background work goes through Django's tasks API; the database backend lets workers on
# any number of machines share the queue through the one database.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("MEDED_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Uploads: the roster import keeps the file in the database (workers may run elsewhere).
MEDED_MAX_UPLOAD_BYTES = int(os.environ.get("MEDED_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = MEDED_MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# An uploaded XLSX is refused before it is parsed when it unpacks to more bytes, inflates more
# (one part, uncompressed over compressed), or declares or holds a cell beyond these rows or
# columns, or more cells (meded.core.spreadsheet.check_xlsx).
MEDED_MAX_XLSX_UNCOMPRESSED_BYTES = int(
    os.environ.get("MEDED_MAX_XLSX_UNCOMPRESSED_BYTES", str(100 * 1024 * 1024))
)
MEDED_MAX_XLSX_COMPRESSION_RATIO = int(os.environ.get("MEDED_MAX_XLSX_COMPRESSION_RATIO", "100"))
MEDED_MAX_XLSX_ROWS = int(os.environ.get("MEDED_MAX_XLSX_ROWS", "100000"))
MEDED_MAX_XLSX_COLUMNS = int(os.environ.get("MEDED_MAX_XLSX_COLUMNS", "200"))
MEDED_MAX_XLSX_CELLS = int(os.environ.get("MEDED_MAX_XLSX_CELLS", "2000000"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("MEDED_LOG_LEVEL", "WARNING")},
}

# Long jobs (meded.jobs.lifecycle). Threads each solver uses; seconds without a heartbeat
# after which a running job counts as abandoned (its worker died) and is failed; how a solve
# is isolated from the worker so that cancelling it stops it at once: "forkserver" (a child
# process forked from a small server that has the engine loaded) or "spawn" (a fresh
# interpreter per solve, where forkserver is not available).
MEDED_SOLVER_THREADS = int(os.environ.get("MEDED_SOLVER_THREADS", "2"))
MEDED_JOB_STALE_SECONDS = float(os.environ.get("MEDED_JOB_STALE_SECONDS", "60"))
MEDED_JOB_PROCESS = os.environ.get("MEDED_JOB_PROCESS", "forkserver")
