"""The solve job: runs the block-schedule engine on a schedule year, in a child process
(meded.jobs.isolation) so that a cancellation stops it at once, and saves the result as the
job's draft version through meded.schedules.actions.do_save_solution, in the transaction
that finishes the job. Progress (objective, bound, elapsed) is the job's heartbeat."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.db import transaction

from meded.engine.blocks import Limits, solve
from meded.engine.blocks.cpsat import Progress, Result, alternatives, explain, repair
from meded.jobs import lifecycle
from meded.jobs.isolation import ChildFailed, run_isolated
from meded.jobs.models import Job
from meded.schedules import actions, adapters
from meded.schedules.models import ScheduleVersion

log = logging.getLogger(__name__)

PROGRESS_EVERY = 0.5  # seconds between heartbeats (with the progress)
MAX_POINTS = 200  # progress points kept on the Job


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


class _Watch:
    """The engine's progress points, as they arrive from the solver's process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.points: list[list[float]] = []

    def __call__(self, p: Progress) -> None:
        with self.lock:
            self.points.append([round(p.wall_s, 2), p.objective, p.bound])

    def snapshot(self) -> list[list[float]]:
        with self.lock:
            return list(self.points[-MAX_POINTS:])


def _engine(
    job: Job,
    limit: float,
    fn: Any,
    *args: Any,
    progress: bool = False,
    progress_kw: str = "on_progress",
    **kw: Any,
) -> Any:
    """``fn(*args, **kw)`` in a child process, beating with its progress until it ends."""
    watch = _Watch()

    def tick(elapsed: float) -> bool:
        points = watch.snapshot()
        if points:
            _, obj, bound = points[-1]
            message = f"Best {_fmt(obj)} · bound {_fmt(bound)} · {elapsed:.1f} s"
        else:
            message = f"Searching for a first schedule · {elapsed:.1f} s"
        return lifecycle.beat(
            job,
            done=min(int(elapsed * 10), int(limit * 10)),
            message=message,
            result={"progress": points},
        )

    return run_isolated(
        fn,
        *args,
        tick=tick,
        every=PROGRESS_EVERY,
        on_progress=watch if progress else None,
        progress_kw=progress_kw if progress else None,
        method=settings.MEDED_JOB_PROCESS,
        on_start=lambda pid: lifecycle.solver_started(job, pid),
        **kw,
    )


def run_solve(job: Job) -> None:
    """Solve (or re-plan, or find alternatives for) the job's draft version."""
    version = (
        ScheduleVersion.objects.select_related(
            "schedule_year__program", "schedule_year__academic_year"
        )
        .filter(pk=job.options.get("version"), job=job)
        .first()
    )
    if version is None:
        lifecycle.fail(job, "The version to solve is gone.")
        return
    sy = version.schedule_year
    limit = float(job.options.get("time_limit") or sy.solve_seconds)
    workers = settings.MEDED_SOLVER_THREADS
    mode = job.options.get("mode", "solve")
    extra: dict[str, Any] = {}
    lifecycle.beat(job, message="Building the model")
    if mode == "repair":
        base = ScheduleVersion.objects.get(pk=job.options["base"])
        from_block = int(job.options["from_block"])
        built = adapters.build_problem(sy, cohorts=base.cohorts)
        rep = _engine(
            job,
            limit,
            repair,
            built.problem,
            adapters.schedule_of(base),
            from_block,
            time_limit=limit,
            workers=workers,
        )
        results: list[Result] = [rep.result]
        extra = {"base": base.pk, "from_block": from_block, "changes": rep.changes}
    elif mode == "alternatives":
        built = adapters.build_problem(sy)
        n = int(job.options.get("n", 2))
        results = _engine(
            job,
            limit,
            alternatives,
            built.problem,
            n=n,
            within_pct=float(job.options.get("within_pct", 5.0)),
            time_limit=limit / n,
            workers=workers,
        )
    else:
        built = adapters.build_problem(sy)
        results = [
            _engine(
                job,
                limit,
                solve,
                built.problem,
                Limits(seconds=limit, workers=workers),
                progress=True,
                progress_kw="progress",
            )
        ]
    result = results[0]
    points = [[round(p.wall_s, 2), p.objective, p.bound] for p in result.progress][-MAX_POINTS:]
    if not result.feasible:
        _no_schedule(job, built, result, mode, limit, extra, points)
        return
    label = f"{version.label}: {extra['changes']} changed" if mode == "repair" else None
    with transaction.atomic():
        report = actions.do_save_solution(job.created_by, job, version, built, results, label=label)
        lifecycle.finish(
            job,
            message=_done_message(mode, result, len(results), extra),
            result={
                "progress": points,
                **extra,
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


def _no_schedule(
    job: Job,
    built: adapters.Built,
    result: Result,
    mode: str,
    limit: float,
    extra: dict[str, Any],
    points: list[list[float]],
) -> None:
    conflicts: list[str] = []
    if result.status == "INFEASIBLE":
        try:
            why = _engine(job, limit, explain, built.problem)
        except ChildFailed:
            log.exception("explain() failed for job %s", job.pk)
        else:
            conflicts = [adapters.in_words(c, built) for c in why.conflicts]
    if mode == "repair" and result.status == "INFEASIBLE" and not conflicts:
        message = (
            f"No schedule keeps blocks before {extra['from_block'] + 1} as they are and "
            "meets every hard rule; re-plan from an earlier block."
        )
    elif result.status == "INFEASIBLE":
        message = "No schedule satisfies every hard rule."
    else:
        message = f"No schedule found within {limit:g} s; try a longer time limit."
    lifecycle.fail(
        job,
        message,
        progress=points,
        conflicts=conflicts,
        solver_status=result.status,
        version=job.options.get("version"),
        **extra,
    )


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


lifecycle.register(actions.SOLVE_JOB, run_solve, on_end=actions.do_end_solve)
