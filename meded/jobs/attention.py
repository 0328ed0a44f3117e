"""What background jobs put on the home page (meded.core.attention), from the last few days:
the jobs that failed among those the user may watch (their own, their managed programs'; the
GME office: every program's), each with its own item, and the user's own jobs that ended
otherwise (finished or cancelled: any status that is not queued, running or failed), as one
item with links to the latest. Three queries, however many jobs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone

from meded.core.attention import INFO, WARNING, Item
from meded.core.viewers import Viewer
from meded.jobs.access import visible_jobs
from meded.jobs.models import Job

AREA = "Jobs"
RECENT = dt.timedelta(days=3)
MAX_FAILED = 5  # failed jobs listed one by one
MAX_LINKS = 3  # latest ended jobs linked from the summary item


def _url(job: Job) -> str:
    return reverse("jobs:detail", args=[job.pk])


def recent_jobs(viewer: Viewer, user: Any, today: dt.date) -> list[Item]:
    if not viewer.is_authenticated:
        return []
    since = timezone.now() - RECENT
    recent = visible_jobs(user).filter(finished_at__gte=since).order_by("-finished_at")
    items = [
        Item(
            f"Failed: {job.title}",
            _url(job),
            AREA,
            severity=WARNING,
            program=job.program.name if job.program else "",
            detail=job.message,
        )
        for job in recent.filter(status=Job.Status.FAILED)[:MAX_FAILED]
    ]
    own = recent.filter(created_by_id=viewer.user_id, status__in=Job.FINISHED).exclude(
        status=Job.Status.FAILED
    )
    mine, total = list(own[:MAX_LINKS]), own.count()
    if total == 1 and mine:
        job = mine[0]
        items.append(
            Item(f"{job.get_status_display()}: {job.title}", _url(job), AREA, detail=job.message)
        )
    elif mine:
        items.append(
            Item(
                "Your jobs that ended",
                _url(mine[0]),
                AREA,
                count=total,
                severity=INFO,
                detail="in the last 3 days; the latest:",
                links=tuple((f"{j.get_status_display()}: {j.title}", _url(j)) for j in mine),
            )
        )
    return items
