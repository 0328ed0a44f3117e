"""The solve task: runs the block-schedule engine on a schedule year and saves the result as
the Job's draft version. Progress (objective, bound, elapsed) is written to the Job while the
solver runs, on the `progress` connection where there is one (meded.org.tasks.PROGRESS_DB)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from meded.audit import log as audit
from meded.audit.models import AuditEntry
from meded.engine.blocks.check import check
from meded.engine.blocks.solve import Progress, Result, alternatives, explain, repair, solve
from meded.jobs.models import Job
from meded.jobs.running import run_watched
from meded.org.tasks import PROGRESS_DB
from meded.schedules import adapters
from meded.schedules.models import Assignment, ScheduleVersion, ScheduleYear

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


T = TypeVar("T")


def _run(work: Callable[[Callable[[Progress], None]], T], limit: float, job_id: Any) -> T:
    """Run ``work(on_progress)`` on a thread while this thread writes its progress."""
    watch = _Watch()
    return run_watched(
        lambda: work(watch),
        lambda elapsed: _write_progress(job_id, elapsed, limit, watch.snapshot()),
        PROGRESS_EVERY,
        f"solve-{job_id}",
    )


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
    mode = job.options.get("mode", "solve")
    extra: dict[str, Any] = {}
    try:
        if mode == "repair":
            base = ScheduleVersion.objects.get(pk=job.options["base"])
            from_block = int(job.options["from_block"])
            built = adapters.build_problem(sy, cohorts=base.cohorts)
            published = adapters.schedule_of(base)
            fixed = built.problem
            rep = _run(
                lambda _cb: repair(fixed, published, from_block, time_limit=limit, workers=WORKERS),
                limit,
                job.pk,
            )
            results = [rep.result]
            extra = {"base": base.pk, "from_block": from_block, "changes": rep.changes}
        elif mode == "alternatives":
            built = adapters.build_problem(sy)
            n = int(job.options.get("n", 2))
            pct = float(job.options.get("within_pct", 5.0))
            problem = built.problem
            results = _run(
                lambda _cb: alternatives(
                    problem, n=n, within_pct=pct, time_limit=limit / n, workers=WORKERS
                ),
                limit,
                job.pk,
            )
        else:
            built = adapters.build_problem(sy)
            problem = built.problem
            results = [
                _run(
                    lambda cb: solve(problem, time_limit=limit, workers=WORKERS, on_progress=cb),
                    limit,
                    job.pk,
                )
            ]
    except Exception as e:
        log.exception("Schedule solve job %s failed", job.pk)
        return _fail(
            job,
            version,
            "failed",
            f"The solver stopped with an error ({e})",
            error=str(e) or e.__class__.__name__,
        )
    result = results[0]
    job.refresh_from_db()
    points = [[round(p.wall_s, 2), p.objective, p.bound] for p in result.progress][-MAX_POINTS:]
    job.result = {"progress": points, **extra}
    if not result.feasible:
        conflicts: list[str] = []
        if result.status == "INFEASIBLE":
            try:
                conflicts = [adapters.in_words(c, built) for c in explain(built.problem).conflicts]
            except Exception:
                log.exception("explain() failed for job %s", job.pk)
        if mode == "repair" and result.status == "INFEASIBLE" and not conflicts:
            message = (
                f"No schedule keeps blocks before {extra['from_block'] + 1} as they are and "
                "meets every hard rule; re-plan from an earlier block."
            )
        elif result.status == "INFEASIBLE":
            message = "No schedule satisfies every hard rule."
        else:
            message = f"No schedule found within {limit:g} s; try a longer time limit."
        return _fail(
            job, version, result.status, message, conflicts=conflicts, solver_status=result.status
        )
    label = None
    if mode == "repair":
        label = f"{version.label}: {extra['changes']} changed"
    with transaction.atomic():
        report = _save(job, version, built, result, label)
        for i, other in enumerate(results[1:], start=2):
            if not other.feasible:
                continue
            extra_version = ScheduleVersion.objects.create(
                schedule_year=sy,
                number=_next_number(sy),
                label=f"Alternative {i}",
                solver_status="running",
                created_by=job.created_by,
                job=job,
            )
            _save(job, extra_version, built, other, None)
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.SUCCEEDED,
            finished_at=timezone.now(),
            done=job.total,
            message=_done_message(mode, result, len(results), extra)[:300],
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
                "versions": sorted(
                    ScheduleVersion.objects.filter(job=job).values_list("pk", flat=True)
                ),
            },
        )
    return Job.Status.SUCCEEDED


def _next_number(sy: ScheduleYear) -> int:
    from meded.schedules.actions import _next_number as next_number

    return next_number(sy)


def _done_message(mode: str, result: Result, n: int, extra: dict[str, Any]) -> str:
    head = (
        f"{result.status.capitalize()}: objective {_fmt(result.objective)}, bound "
        f"{_fmt(result.bound)} in {result.wall_s:.1f} s"
    )
    if mode == "repair":
        return (
            f"{head}; {extra['changes']} assignments changed from block "
            f"{extra['from_block'] + 1} on"
        )
    if mode == "alternatives":
        return f"{head}; {n} different schedules"
    return head


def _save(
    job: Job,
    version: ScheduleVersion,
    built: adapters.Built,
    result: Result,
    label: str | None,
) -> Any:
    """Write a result's assignments and scores into ``version`` (inside a transaction)."""
    sy = version.schedule_year
    report = check(built.problem, result.schedule)
    costs = {"by_rule": adapters.costs_summary(report.costs), "total": report.objective}
    Assignment.objects.bulk_create(
        adapters.assignments_for(version, built, result.schedule), batch_size=2000
    )
    fields: dict[str, Any] = dict(
        solver_status=result.status,
        objective=result.objective,
        bound=result.bound,
        gap=result.gap,
        wall_s=result.wall_s,
        costs=costs,
        cohorts=built.cohorts,
    )
    if label:
        fields["label"] = label[:120]
    ScheduleVersion.objects.filter(pk=version.pk).update(**fields)
    audit.record(
        job.created_by,
        AuditEntry.Action.UPDATE,
        version,
        program=sy.program,
        object_repr=f"{sy} version {version.number}",
        changes={"solver_status": ["running", result.status]},
        note=(
            f"solved: {result.status}, objective {_fmt(result.objective)}, {result.wall_s:.1f} s"
        ),
    )
    return report
