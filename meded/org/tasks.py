"""The roster import job, run by `meded worker` (django-tasks' database backend) or inline (the
immediate backend, in tests) through meded.jobs.lifecycle. The import and the job's end are
one transaction: a cancelled or abandoned import writes nothing."""

from __future__ import annotations

import time
import uuid

from django.db import transaction

from meded.jobs import lifecycle
from meded.jobs.models import Job
from meded.org.actions import IMPORT_JOB, do_import_roster

# Progress is written at most this often (seconds), besides the first and the last report.
PROGRESS_EVERY = 0.5


class _Progress:
    """A progress callback that beats with Job.done/total/message, throttled; it raises
    Stopped (rolling the import back) once the job was cancelled."""

    def __init__(self, job_id: uuid.UUID) -> None:
        self.job_id = job_id
        self.last = 0.0

    def __call__(self, done: int, total: int, message: str) -> None:
        now = time.monotonic()
        final = total and done >= total
        if not final and now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        if not lifecycle.beat(self.job_id, done=done, total=total or None, message=message):
            raise lifecycle.Stopped


def run_import(job: Job) -> None:
    if job.program is None:
        raise ValueError("The job names no program.")
    with transaction.atomic():
        result = do_import_roster(
            job.created_by,
            job.program,
            job.input_name,
            bytes(job.input_data or b""),
            dry_run=bool(job.options.get("dry_run")),
            progress=_Progress(job.pk),
        )
        Job.objects.filter(pk=job.pk).update(done=max(1, result.rows), total=max(1, result.rows))
        lifecycle.finish(job, message=result.summary, result=result.as_dict())


def start_roster_import(job: Job) -> Job:
    """Enqueue a Job made by do_queue_roster_import and return it as it now stands (views call
    this after the Job's transaction; with the immediate backend the import runs here)."""
    return lifecycle.enqueue(job)


lifecycle.register(IMPORT_JOB, run_import)
