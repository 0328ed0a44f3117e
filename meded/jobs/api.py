"""Jobs in the JSON API: poll a background job's progress and result."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from meded.jobs.access import get_job_for_view

router = Router(tags=["jobs"])


class JobOut(Schema):
    id: uuid.UUID
    kind: str
    title: str
    status: str
    done: int
    total: int
    percent: int
    message: str
    program: str | None
    result: dict[str, Any]
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


def job_out(job: Any) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "title": job.title,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "message": job.message,
        "program": job.program.slug if job.program else None,
        "result": job.result,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


@router.get("/{job_id}", response=JobOut)
def get_job(request: HttpRequest, job_id: uuid.UUID) -> dict[str, Any]:
    """A job's status and progress (its creator, or a manager of its program; others 404)."""
    return job_out(get_job_for_view(request.user, job_id))
