"""Writes to jobs made by people (the worker's own transitions are meded.jobs.lifecycle)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied

from meded.jobs import lifecycle
from meded.jobs.access import can_cancel_job
from meded.jobs.models import Job

Actor = AbstractBaseUser | AnonymousUser | None


class JobError(ValueError):
    """A job change that cannot be made (the message says why)."""


def do_cancel_job(actor: Actor, job: Job) -> Job:
    """Cancel a queued job, or ask a running one to stop; audited. A finished job cannot be
    cancelled."""
    if actor is None or not can_cancel_job(actor, job):
        raise PermissionDenied("Only the job's starter and its program's managers can cancel it.")
    if job.is_finished:
        raise JobError(f"This job has ended ({job.get_status_display().lower()}).")
    return lifecycle.request_cancel(actor, job)
