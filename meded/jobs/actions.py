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


def do_stop_job_early(actor: Actor, job: Job) -> Job:
    """ "Good enough, stop here": ask a running job to end now and keep the best it has found
    (a solve saves its best schedule so far as the draft, as a finished solve does); audited.
    The same people may ask as may cancel. Refused for a job that has ended, is being
    cancelled, or has nothing to keep yet (a solve before its first schedule)."""
    if actor is None or not can_cancel_job(actor, job):
        raise PermissionDenied("Only the job's starter and its program's managers can stop it.")
    if job.is_finished:
        raise JobError(f"This job has ended ({job.get_status_display().lower()}).")
    try:
        return lifecycle.request_stop_early(actor, job)
    except lifecycle.Refused as e:
        raise JobError(str(e)) from None
