"""The one check every meded process makes as it starts (the web server under gunicorn or
runserver, `meded worker`, every management command): with DEBUG off it refuses to run on the
built-in secret key, which anyone can read in the source, so sessions, password-reset links
and CSRF tokens could be forged.

Called from meded.core's AppConfig.ready(), i.e. by django.setup(), which each of those runs
before serving anything. Pure Python (settings.py imports the key from here)."""

from __future__ import annotations

import sys

# The key of development and the demo: public, so never good enough with DEBUG off.
BUILTIN_SECRET_KEY = "dev-only-not-secret-change-me-in-production"  # noqa: S105 (public on purpose)

# gunicorn's "worker failed to boot": its arbiter stops instead of restarting the worker
# over and over. Any other caller simply sees a non-zero exit.
REFUSAL_EXIT_CODE = 3

REFUSAL = (
    "meded: refusing to start: MEDED_DEBUG is off and MEDED_SECRET_KEY is not set (the built-in "
    "key is public). Set MEDED_SECRET_KEY to a long random value, e.g. the output of "
    "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`, or MEDED_DEBUG=1 on a "
    "development machine (`meded demo` does that for itself)."
)


def refusal(*, debug: bool, secret_key: str) -> str | None:
    """Why this configuration must not start, or None when it may."""
    if debug:
        return None
    if not secret_key or secret_key == BUILTIN_SECRET_KEY:
        return REFUSAL
    return None


def refuse_to_start_if_insecure(*, debug: bool, secret_key: str) -> None:
    """Print the one-line reason to standard error and exit when the configuration is unsafe."""
    reason = refusal(debug=debug, secret_key=secret_key)
    if reason is None:
        return
    print(reason, file=sys.stderr, flush=True)
    raise SystemExit(REFUSAL_EXIT_CODE)
