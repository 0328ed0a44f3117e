"""Settings for meded.

SQLite under var/ by default (zero set-up); PostgreSQL when DATABASE_URL is set.
Everything a deployment changes comes from the environment, never from edits here.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MEDED_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("MEDED_SECRET_KEY", "dev-only-not-secret-change-me-in-production")
DEBUG = env_bool("MEDED_DEBUG", True)
ALLOWED_HOSTS = os.environ.get("MEDED_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "meded.core",
    "meded.audit",
    "meded.org",
    "meded.accounts",
    "meded.jobs",
    "meded.public",
    "meded.schedules",
    "meded.calendars",
    "meded.rosters",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Refuses input the database cannot store (NUL...) naming the parameter; BadInput -> 400.
    "meded.core.middleware.BadInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "public:facts"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("MEDED_TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "meded" / "static"]

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
