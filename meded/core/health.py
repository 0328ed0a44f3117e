"""/healthz: is this web server able to work? For load balancers and monitoring: no sign-in,
no personal data, never cached.

200 with {"status": "ok", ...} when the database answers and the task queue's table
(django-tasks-db) can be read; also how many tasks wait in the queue and how long the oldest
has waited (a growing age means no worker is running). 503 with the reason otherwise."""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.db.models import Min
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

log = logging.getLogger(__name__)


def _failure(check: str, error: Exception) -> JsonResponse:
    # The exception's text may name hosts and users: it goes to the log, not to the caller.
    log.error("Health check failed (%s): %s: %s", check, error.__class__.__name__, error)
    return JsonResponse(
        {
            "status": "error",
            "failed": check,
            "reason": f"{check} check failed ({error.__class__.__name__})",
        },
        status=503,
    )


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as e:  # any driver error means "the database does not answer"
        return _failure("database", e)
    try:
        queued = DBTaskResult.objects.filter(status=TaskResultStatus.READY).aggregate(
            oldest=Min("enqueued_at")
        )
        count = DBTaskResult.objects.filter(status=TaskResultStatus.READY).count()
    except DatabaseError as e:  # e.g. migrations not applied
        return _failure("task queue", e)
    oldest = queued["oldest"]
    age = (timezone.now() - oldest).total_seconds() if oldest is not None else None
    return JsonResponse(
        {
            "status": "ok",
            "database": "ok",
            "task_queue": {
                "queued": count,
                "oldest_queued_seconds": round(age, 1) if age is not None else None,
            },
        }
    )
