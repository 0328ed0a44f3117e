"""Jobs in the JSON API: poll a background job's progress and result."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from meded.core.viewers import viewer_of
from meded.jobs.access import get_job_for_view, visible_jobs
from meded.jobs.actions import JobError, do_cancel_job, do_stop_job_early
from meded.jobs.models import Job

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
    created_by: str | None
    worker: str
    heartbeat_at: dt.datetime | None
    cancel_requested: bool
    stop_requested: bool
    result: dict[str, Any]
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class JobsOut(Schema):
    items: list[JobOut]


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
        "created_by": job.created_by.username if job.created_by else None,
        "worker": job.worker,
        "heartbeat_at": job.heartbeat_at,
        "cancel_requested": job.cancel_requested_at is not None,
        "stop_requested": job.stop_requested_at is not None,
        "result": job.result,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


@router.get("", response=JobsOut)
def list_jobs(
    request: HttpRequest,
    status: str = "",
    limit: int = Query(50, ge=1, le=200),
) -> dict[str, Any]:
    """Jobs the user may see (started by them, or of the programs they manage), newest
    first; ``status`` one of queued, running, succeeded, failed, cancelled."""
    if not viewer_of(request.user).has_any_role:
        raise HttpError(403, "Your account has no role in any program.")
    jobs = visible_jobs(request.user)
    if status:
        if status not in Job.Status.values:
            raise HttpError(422, f"status: one of {', '.join(Job.Status.values)}.")
        jobs = jobs.filter(status=status)
    return {"items": [job_out(j) for j in jobs.order_by("-created_at")[:limit]]}


@router.post("/{job_id}/cancel", response=JobOut)
def cancel_job(request: HttpRequest, job_id: uuid.UUID) -> dict[str, Any]:
    """Cancel a queued job (at once) or a running one (at its worker's next heartbeat);
    409 when it has ended."""
    job = get_job_for_view(request.user, job_id)
    try:
        return job_out(do_cancel_job(request.user, job))
    except JobError as e:
        raise HttpError(409, str(e)) from None
    except PermissionDenied as e:
        raise HttpError(403, str(e)) from None


@router.post("/{job_id}/stop", response=JobOut)
def stop_job_early(request: HttpRequest, job_id: uuid.UUID) -> dict[str, Any]:
    """ "Good enough, stop here": a running job ends at its worker's next heartbeat and keeps
    the best it has found (a solve: its best schedule so far, saved as the draft). 409 when
    it has ended, is being cancelled, or has nothing to keep yet (no schedule found so far:
    ``result.stop_early`` says why); the job's ``result.stop_early`` is true when it may."""
    job = get_job_for_view(request.user, job_id)
    try:
        return job_out(do_stop_job_early(request.user, job))
    except JobError as e:
        raise HttpError(409, str(e)) from None
    except PermissionDenied as e:
        raise HttpError(403, str(e)) from None


@router.get("/{job_id}", response=JobOut)
def get_job(request: HttpRequest, job_id: uuid.UUID) -> dict[str, Any]:
    """A job's status and progress (its creator, or a manager of its program; others 404)."""
    return job_out(get_job_for_view(request.user, job_id))
