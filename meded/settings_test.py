"""Test settings: the immediate task backend (tasks run inline) and a fast password hasher."""

from meded.settings import *  # noqa: F403

# DEBUG is off as in production, so tests need a key of their own (meded/core/startup.py
# refuses the built-in one).
SECRET_KEY = "test-only-secret-key-not-for-any-deployment-0123456789abcdef"  # noqa: S105
DEBUG = False
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The test client and the live server speak plain HTTP.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0

# Static files are served by runserver/whitenoise in real use; tests need no collected files.
MIDDLEWARE = [m for m in MIDDLEWARE if "whitenoise" not in m]  # noqa: F405

# Tests run in one transaction per test: progress shares the default connection there.
DATABASES.pop("progress", None)  # noqa: F405
