"""Who may watch and cancel a job: the user who started it, or anyone who can manage its
program (and the GME office)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from meded.core.viewers import viewer_of
from meded.jobs.models import Job


def visible_jobs(user: Any) -> QuerySet[Job]:
    v = viewer_of(user)
    qs = Job.objects.select_related(
        "program", "created_by", "cancelled_by", "stop_requested_by"
    ).defer("input_data")
    if not v.is_authenticated:
        return qs.none()
    if v.is_gme_admin:
        return qs
    return qs.filter(Q(created_by_id=v.user_id) | Q(program_id__in=v.managed_program_ids))


def get_job_for_view(user: Any, job_id: uuid.UUID | str) -> Job:
    """The job, or 404 (also for jobs the user may not see, so their existence does not leak)."""
    try:
        pk = uuid.UUID(str(job_id))
    except ValueError:
        raise Http404("No such job") from None
    job = visible_jobs(user).filter(pk=pk).first()
    if job is None:
        raise Http404("No such job")
    return job


def can_cancel_job(user: Any, job: Job) -> bool:
    """Whoever may see a job may stop it: its starter, its program's managers, the GME
    office."""
    return visible_jobs(user).filter(pk=job.pk).exists()
