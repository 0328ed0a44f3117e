"""The one background task: run a Job of any kind on whichever worker claims it.

The kind's runner (registered with meded.jobs.lifecycle.register) does the work; this task
claims the job, and ends it failed when the runner raises, or cancelled when it stopped on
a cancellation."""

from __future__ import annotations

import logging

from django_tasks import task

from meded.jobs import lifecycle
from meded.jobs.models import Job

log = logging.getLogger(__name__)


def _status(job_id: str) -> str:
    return str(Job.objects.filter(pk=job_id).values_list("status", flat=True).first() or "missing")


@task()
def run_job(job_id: str) -> str:
    """Run a queued Job; the outcome lands on the Job (status, message, result)."""
    job = lifecycle.claim(job_id)
    if job is None:
        return _status(job_id)  # cancelled before it started, or run already
    kind = lifecycle.kind_of(job)
    try:
        if kind is None:
            raise ValueError(f"No runner for jobs of kind {job.kind!r}.")
        kind.run(job)
    except lifecycle.Stopped:
        return lifecycle.settle_stopped(job)
    except Exception as e:
        log.exception("Job %s (%s) failed", job.pk, job.kind)
        reason = str(e) or e.__class__.__name__
        lifecycle.fail(
            job, f"The job stopped with an error; nothing was changed. ({reason})", error=reason
        )
    return _status(job_id)
