"""The roster solve task: one engine problem per rotation of the block (meded.rosters.adapters),
solved one after the other within the job's time limit, the result written as the block's
draft. Progress (rotation, objective, bound) goes to the Job while the solver runs; an
infeasible rotation leaves the draft as it was and puts the engine's plain-words
explanation on the job page."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from meded.audit import log as audit
from meded.audit.models import AuditEntry
from meded.engine.roster import ProgressPoint, RosterSolution, solve
from meded.jobs.models import Job
from meded.jobs.running import run_watched
from meded.org.tasks import PROGRESS_DB
from meded.rosters import adapters
from meded.rosters.models import Roster, Shift

log = logging.getLogger(__name__)

PROGRESS_EVERY = 0.5
WORKERS = 2


class _Watch:
    """The engine's progress points (reported on its threads), read by the task's thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last: ProgressPoint | None = None

    def __call__(self, p: ProgressPoint) -> None:
        with self.lock:
            self.last = p


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


def _solve_with_progress(
    bp: adapters.BlockProblem, limit: float, job_id: Any, head: str, done0: float, total: float
) -> RosterSolution:
    watch = _Watch()

    def tick(elapsed: float) -> None:
        p = watch.last
        best = f"best {_fmt(p.objective)} · bound {_fmt(p.bound)}" if p else "searching"
        Job.objects.using(PROGRESS_DB).filter(pk=job_id).update(
            done=min(int((done0 + elapsed) * 10), int(total * 10)),
            message=f"{head} · {best} · {elapsed:.1f} s"[:300],
        )

    return run_watched(
        lambda: solve(bp.problem, time_limit=limit, num_workers=WORKERS, on_progress=watch),
        tick,
        PROGRESS_EVERY,
        f"roster-{job_id}",
    )


def _fail(job: Job, roster: Roster, status: str, message: str, **result: Any) -> str:
    Roster.objects.filter(pk=roster.pk).update(solver_status=status)
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.FAILED,
        finished_at=timezone.now(),
        message=message[:300],
        result={**(job.result or {}), **result, "roster": roster.pk},
    )
    return Job.Status.FAILED


@task()
def solve_roster(job_id: str) -> str:
    """Solve a queued roster Job into its block's draft."""
    job = Job.objects.select_related("program", "created_by").filter(pk=job_id).first()
    if job is None:
        return "missing"
    if job.is_finished:
        return job.status
    roster = (
        Roster.objects.select_related("schedule_year__program", "schedule_year__academic_year")
        .filter(pk=job.options.get("roster"))
        .first()
    )
    if roster is None:
        Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, message="No roster.")
        return Job.Status.FAILED
    limit = float(job.options.get("time_limit") or 20)
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), message="Building the model"
    )
    Roster.objects.filter(pk=roster.pk).update(solver_status="running")
    try:
        problems, reason = adapters.build_block(roster)
    except Exception as e:
        log.exception("Roster job %s failed", job.pk)
        return _fail(job, roster, "failed", f"The roster could not be built ({e})")
    if not problems:
        return _fail(job, roster, "failed", reason)
    rows: list[Shift] = []
    summary: list[dict[str, Any]] = []
    statuses = []
    start = time.monotonic()
    for i, bp in enumerate(problems):
        left = limit - (time.monotonic() - start)
        share = max(1.0, left / (len(problems) - i))
        head = f"{bp.rotation.name} ({i + 1} of {len(problems)})"
        try:
            result = _solve_with_progress(bp, share, job.pk, head, time.monotonic() - start, limit)
        except Exception as e:
            log.exception("Roster job %s failed on %s", job.pk, bp.rotation.code)
            return _fail(job, roster, "failed", f"The solver stopped with an error ({e})")
        statuses.append(result.status)
        summary.append(
            {
                "rotation": bp.rotation.name,
                "status": result.status,
                "objective": result.objective,
                "wall_s": round(result.wall_s, 2),
                "people": len(bp.people),
            }
        )
        if not result.feasible:
            conflicts = [bp.in_words(c) for c in result.conflict]
            if result.status == "INFEASIBLE":
                message = f"{bp.rotation.name}: no roster satisfies every hard rule."
            else:
                message = f"{bp.rotation.name}: no roster found within {share:.0f} s."
            return _fail(
                job,
                roster,
                result.status,
                message,
                conflicts=conflicts,
                explanation=bp.in_words(result.explanation()),
                rotations=summary,
            )
        rows += adapters.shifts_from(bp, result.roster, roster)
    status = "OPTIMAL" if all(s == "OPTIMAL" for s in statuses) else "FEASIBLE"
    with transaction.atomic():
        Shift.objects.filter(roster=roster, published=False).delete()
        Shift.objects.bulk_create(rows, batch_size=2000)
        Roster.objects.filter(pk=roster.pk).update(
            solver_status=status, draft_changed=roster.is_published
        )
        audit.record(
            job.created_by,
            AuditEntry.Action.UPDATE,
            roster,
            program=roster.schedule_year.program,
            object_repr=str(roster),
            note=f"generated: {status}, {len(rows)} shifts in {time.monotonic() - start:.1f} s",
        )
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.SUCCEEDED,
            finished_at=timezone.now(),
            done=job.total,
            message=f"{status.capitalize()}: {len(rows)} shifts for {len(problems)} rotations"[
                :300
            ],
            result={"roster": roster.pk, "rotations": summary, "shifts": len(rows)},
        )
    return Job.Status.SUCCEEDED
