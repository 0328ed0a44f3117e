"""Test settings: the immediate task backend (tasks run inline) and a fast password hasher."""

from meded.settings import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DEBUG = False

# Static files are served by runserver/whitenoise in real use; tests need no collected files.
MIDDLEWARE = [m for m in MIDDLEWARE if "whitenoise" not in m]  # noqa: F405

# Tests run in one transaction per test: progress shares the default connection there.
DATABASES.pop("progress", None)  # noqa: F405
