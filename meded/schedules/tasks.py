"""The solve task: runs the block-schedule engine on a schedule year and saves the result as
the Job's draft version. Progress (objective, bound, elapsed) is written to the Job while the
solver runs, on the `progress` connection where there is one (meded.org.tasks.PROGRESS_DB)."""

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
from meded.engine.blocks.check import check
from meded.engine.blocks.solve import Progress, Result, explain, solve
from meded.jobs.models import Job
from meded.org.tasks import PROGRESS_DB
from meded.schedules import adapters
from meded.schedules.models import Assignment, ScheduleVersion

log = logging.getLogger(__name__)

PROGRESS_EVERY = 0.5  # seconds between progress writes
MAX_POINTS = 200  # progress points kept on the Job
WORKERS = 2


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


class _Watch:
    """Collects the engine's progress reports (called on the solver's threads) for the task's
    own thread to write: database connections stay on the task's thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.points: list[list[float]] = []

    def __call__(self, p: Progress) -> None:
        with self.lock:
            self.points.append([round(p.wall_s, 2), p.objective, p.bound])

    def snapshot(self) -> list[list[float]]:
        with self.lock:
            return list(self.points[-MAX_POINTS:])


def _write_progress(job_id: Any, elapsed: float, limit: float, points: list[list[float]]) -> None:
    if points:
        _, obj, bound = points[-1]
        message = f"Best {_fmt(obj)} · bound {_fmt(bound)} · {elapsed:.1f} s"
    else:
        message = f"Searching for a first schedule · {elapsed:.1f} s"
    Job.objects.using(PROGRESS_DB).filter(pk=job_id).update(
        done=min(int(elapsed * 10), int(limit * 10)),
        message=message[:300],
        result={"progress": points},
    )


def _run(problem: Any, limit: float, job_id: Any) -> Result:
    watch = _Watch()
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["result"] = solve(problem, time_limit=limit, workers=WORKERS, on_progress=watch)
        except BaseException as e:
            box["error"] = e

    thread = threading.Thread(target=work, name=f"solve-{job_id}", daemon=True)
    t0 = time.monotonic()
    thread.start()
    while thread.is_alive():
        thread.join(PROGRESS_EVERY)
        _write_progress(job_id, time.monotonic() - t0, limit, watch.snapshot())
    if "error" in box:
        raise box["error"]
    result: Result = box["result"]
    return result


def _fail(job: Job, version: ScheduleVersion, status: str, message: str, **result: Any) -> str:
    ScheduleVersion.objects.filter(pk=version.pk).update(solver_status=status)
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.FAILED,
        finished_at=timezone.now(),
        message=message[:300],
        result={**(job.result or {}), **result, "version": version.pk},
    )
    return Job.Status.FAILED


@task()
def solve_schedule(job_id: str) -> str:
    """Solve a queued schedule Job into its draft version."""
    job = Job.objects.select_related("program", "created_by").filter(pk=job_id).first()
    if job is None:
        return "missing"
    if job.is_finished:
        return job.status
    version = (
        ScheduleVersion.objects.select_related(
            "schedule_year__program", "schedule_year__academic_year"
        )
        .filter(pk=job.options.get("version"))
        .first()
    )
    if version is None:
        Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, message="No version.")
        return Job.Status.FAILED
    sy = version.schedule_year
    limit = float(job.options.get("time_limit") or sy.solve_seconds)
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), message="Building the model"
    )
    ScheduleVersion.objects.filter(pk=version.pk).update(solver_status="running")
    try:
        built = adapters.build_problem(sy)
        result = _run(built.problem, limit, job.pk)
    except Exception as e:
        log.exception("Schedule solve job %s failed", job.pk)
        return _fail(
            job,
            version,
            "failed",
            f"The solver stopped with an error ({e})",
            error=str(e) or e.__class__.__name__,
        )
    job.refresh_from_db()
    points = [[round(p.wall_s, 2), p.objective, p.bound] for p in result.progress][-MAX_POINTS:]
    job.result = {"progress": points}
    if not result.feasible:
        conflicts: list[str] = []
        if result.status == "INFEASIBLE":
            try:
                conflicts = [adapters.in_words(c, built) for c in explain(built.problem).conflicts]
            except Exception:
                log.exception("explain() failed for job %s", job.pk)
        message = (
            "No schedule satisfies every hard rule."
            if result.status == "INFEASIBLE"
            else f"No schedule found within {limit:g} s; try a longer time limit."
        )
        return _fail(
            job, version, result.status, message, conflicts=conflicts, solver_status=result.status
        )
    report = check(built.problem, result.schedule)
    costs = {"by_rule": adapters.costs_summary(report.costs), "total": report.objective}
    with transaction.atomic():
        Assignment.objects.bulk_create(
            adapters.assignments_for(version, built, result.schedule), batch_size=2000
        )
        ScheduleVersion.objects.filter(pk=version.pk).update(
            solver_status=result.status,
            objective=result.objective,
            bound=result.bound,
            gap=result.gap,
            wall_s=result.wall_s,
            costs=costs,
            cohorts=built.cohorts,
        )
        audit.record(
            job.created_by,
            AuditEntry.Action.UPDATE,
            version,
            program=sy.program,
            object_repr=f"{sy} version {version.number}",
            changes={"solver_status": ["running", result.status]},
            note=(
                f"solved: {result.status}, objective {_fmt(result.objective)}, "
                f"{result.wall_s:.1f} s"
            ),
        )
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.SUCCEEDED,
            finished_at=timezone.now(),
            done=job.total,
            message=(
                f"{result.status.capitalize()}: objective {_fmt(result.objective)}, bound "
                f"{_fmt(result.bound)} in {result.wall_s:.1f} s"
            )[:300],
            result={
                **job.result,
                "version": version.pk,
                "status": result.status,
                "objective": result.objective,
                "bound": result.bound,
                "gap": result.gap,
                "wall_s": result.wall_s,
                "first_feasible_s": result.first_feasible_s,
                "violations": len(report.violations),
                "skipped": [a.pk for a in built.skipped],
            },
        )
    return Job.Status.SUCCEEDED
