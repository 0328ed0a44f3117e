"""A tiny real task that proves the background machinery end to end: enqueue `ping` from the
web tier, and whichever worker claims it answers with the database it reached."""

from __future__ import annotations

from django.db import connection
from django.utils import timezone
from django_tasks import task


@task()
def ping(message: str = "ping") -> dict[str, str]:
    """Answer with the message, the database vendor and when it ran. Writes nothing."""
    return {
        "message": message,
        "database": connection.vendor,
        "ran_at": timezone.now().isoformat(),
    }
