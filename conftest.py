"""Shared test fixtures: the demo program at a small scale, loaded once per test session, and
the personas every access test speaks of.

Personas (usernames from meded.org.demo.PERSONAS):
  gme-admin, director, coordinator, chief, faculty, resident (Internal Medicine),
  surgery-coordinator (a user of another program), outsider (signed in, no role).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from meded.org.demo import SMALL, demo_loaded, load_demo

# Playwright's sync API keeps an event loop in the test thread; the ORM calls that tests make
# between browser steps are ordinary synchronous calls, so Django's async guard is lifted.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PERSONA_NAMES = [
    "gme-admin",
    "director",
    "coordinator",
    "chief",
    "faculty",
    "resident",
    "surgery-coordinator",
    "outsider",
]
CHROMIUM = os.environ.get("MEDED_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    """The small demo institution, once for all tests that use the `db` fixture (each test
    runs in a transaction that is rolled back). Transactional tests load their own."""
    with django_db_blocker.unblock():
        load_demo(scale=SMALL)


@pytest.fixture
def users(db: Any) -> dict[str, User]:
    return {u.username: u for u in User.objects.filter(username__in=PERSONA_NAMES)}


@pytest.fixture
def as_user(db: Any) -> Callable[[str | None], Client]:
    """as_user("coordinator") -> a Client signed in as that persona; as_user(None) -> anonymous."""

    def make(username: str | None) -> Client:
        client = Client()
        if username is not None:
            client.force_login(User.objects.get(username=username))
        return client

    return make


@pytest.fixture
def im(db: Any) -> Any:
    from meded.org.models import Program

    return Program.objects.get(slug="internal-medicine")


@pytest.fixture
def surgery(db: Any) -> Any:
    from meded.org.models import Program

    return Program.objects.get(slug="general-surgery-residency")


# --- Browser tests -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright launches Debian's Chromium (never a downloaded browser)."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; .ci/run installs it with apt-get")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def demo_live(transactional_db: Any, live_server: Any) -> Any:
    """A live server with the small demo loaded. The first transactional test still finds the
    session's demo (committed by django_db_setup); later ones start from flushed tables."""
    if not demo_loaded():
        load_demo(scale=SMALL)
    return live_server
