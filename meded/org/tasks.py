"""Background work of the org app: the roster import, run by `meded worker` (django-tasks'
database backend) or inline (the immediate backend, in tests)."""

from __future__ import annotations

import logging
import time
import uuid

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from meded.jobs.models import Job
from meded.org.actions import do_import_roster

log = logging.getLogger(__name__)

# Progress is written at most this often (seconds), besides the first and the last report.
PROGRESS_EVERY = 0.5
# Written outside the import's transaction where the database allows (settings.py).
PROGRESS_DB = "progress" if "progress" in settings.DATABASES else "default"


class _Progress:
    """A progress callback that writes Job.done/total/message, throttled."""

    def __init__(self, job_id: uuid.UUID) -> None:
        self.job_id = job_id
        self.last = 0.0

    def __call__(self, done: int, total: int, message: str) -> None:
        now = time.monotonic()
        final = total and done >= total
        if not final and now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        fields = {"done": done, "message": message[:300]}
        if total:
            fields["total"] = total
        Job.objects.using(PROGRESS_DB).filter(pk=self.job_id).update(**fields)


@task()
def run_roster_import(job_id: str) -> str:
    """Run a queued roster import Job; the outcome lands on the Job (status, result)."""
    job = Job.objects.select_related("program", "created_by").filter(pk=job_id).first()
    if job is None:
        return "missing"
    if job.is_finished:
        return job.status  # run twice (a retried task): nothing more to do
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), message="Starting"
    )
    try:
        if job.program is None:
            raise ValueError("The job names no program.")
        result = do_import_roster(
            job.created_by,
            job.program,
            job.input_name,
            bytes(job.input_data or b""),
            dry_run=bool(job.options.get("dry_run")),
            progress=_Progress(job.pk),
        )
    except Exception as e:
        log.exception("Roster import job %s failed", job.pk)
        reason = str(e) or e.__class__.__name__
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.FAILED,
            finished_at=timezone.now(),
            message=f"The import stopped with an error; nothing was changed. ({reason})"[:300],
            result={"error": reason},
        )
        return Job.Status.FAILED
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.SUCCEEDED,
        finished_at=timezone.now(),
        done=max(1, result.rows),
        total=max(1, result.rows),
        message=result.summary[:300],
        result=result.as_dict(),
    )
    return Job.Status.SUCCEEDED


def start_roster_import(job: Job) -> Job:
    """Enqueue a Job made by do_queue_roster_import and return it as it now stands.

    Views call this in autocommit (no surrounding atomic block), so the Job row is committed
    before a worker can look for it. Were it called inside a transaction, the database
    backend's queue row would land in the same transaction, so a worker still never sees the
    task before its Job. With the immediate backend (tests) the import runs right here."""
    result = run_roster_import.enqueue(str(job.id))
    Job.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    job.refresh_from_db()
    return job
