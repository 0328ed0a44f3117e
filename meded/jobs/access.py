"""Who may watch a job: the user who started it, or anyone who can manage its program."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import Http404

from meded.accounts.access import can_manage_program, viewer_for
from meded.jobs.models import Job


def get_job_for_view(user: Any, job_id: uuid.UUID | str) -> Job:
    """The job, or 404 (also for jobs the user may not see, so their existence does not leak)."""
    try:
        pk = uuid.UUID(str(job_id))
    except ValueError:
        raise Http404("No such job") from None
    job = (
        Job.objects.select_related("program", "created_by")
        .defer("input_data")
        .filter(pk=pk)
        .first()
    )
    if job is None or not viewer_for(user).is_authenticated:
        raise Http404("No such job")
    if job.created_by_id is not None and job.created_by_id == user.pk:
        return job
    if job.program is not None and can_manage_program(user, job.program):
        return job
    raise Http404("No such job")
