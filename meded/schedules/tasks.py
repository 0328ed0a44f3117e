"""The solve job: runs the block-schedule engine on a schedule year, in a child process
(meded.jobs.isolation) so that a cancellation stops it at once, and saves the result as the
job's draft version through meded.schedules.actions.do_save_solution, in the transaction
that finishes the job. Progress (objective, bound, elapsed) is the job's heartbeat."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
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
CANNOT_STOP = "This search runs to its time limit; it cannot stop early (cancel it instead)."
NO_SCHEDULE_YET = (
    "No schedule has been found yet, so there is nothing to keep: wait for the first one "
    "(the button appears then), or cancel."
)


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


def _num(x: float | None) -> float | None:
    """A figure fit for JSON: a bound the strategy does not prove (NaN) is None."""
    return None if x is None or math.isnan(x) else x


def gap_of(objective: float | None, bound: float | None) -> float | None:
    """How far the best schedule may still be from the best possible (as Result.gap)."""
    if objective is None or bound is None:
        return None
    return abs(objective - bound) / max(1.0, abs(objective))


def _pct(gap: float | None) -> str:
    return "—" if gap is None else f"{100 * gap:.1f}%"


class _Watch:
    """The engine's progress points, as they arrive from the solver's process, and what
    each rule costs in the latest schedule."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.points: list[list[float | None]] = []
        self.costs: dict[str, int] = {}

    def __call__(self, p: Progress) -> None:
        with self.lock:
            self.points.append([round(p.wall_s, 2), _num(p.objective), _num(p.bound)])
            self.costs = dict(p.costs)

    def snapshot(self) -> tuple[list[list[float | None]], dict[str, int]]:
        with self.lock:
            return list(self.points[-MAX_POINTS:]), dict(self.costs)


def _engine(
    job: Job,
    limit: float,
    fn: Any,
    *args: Any,
    progress: bool = False,
    progress_kw: str = "on_progress",
    stop: threading.Event | None = None,
    stop_kw: str | None = None,
    words: Callable[[dict[str, int]], list[tuple[str, int]]] | None = None,
    stop_note: str = CANNOT_STOP,
    **kw: Any,
) -> Any:
    """``fn(*args, **kw)`` in a child process, beating with its progress until it ends. With
    ``stop`` (and ``stop_kw``, where ``fn`` takes its event), the job may be stopped early
    once a schedule is found: a request seen at a heartbeat sets ``stop``, and the child
    wraps up; without, the heartbeat says ``stop_note`` to whoever asks. ``words`` names the
    latest schedule's costs by rule for the page."""
    watch = _Watch()

    def tick(elapsed: float) -> bool:
        points, costs = watch.snapshot()
        result: dict[str, Any] = {"progress": points, "elapsed_s": round(elapsed, 1)}
        if points:
            _, obj, bound = points[-1]
            gap = gap_of(obj, bound)
            result.update(objective=obj, bound=bound, gap=gap)
            if words is not None:
                result["costs"] = words(costs)
            message = f"Best {_fmt(obj)} · bound {_fmt(bound)}"
            message += f" · gap {_pct(gap)}" if gap is not None else ""
            message += f" · {elapsed:.1f} s"
            if stop is not None and stop.is_set():
                message = f"Stopping here at gap {_pct(gap)}: keeping the best schedule · {message}"
        else:
            message = f"Searching for a first schedule · {elapsed:.1f} s"
        if stop is None:
            result["stop_early"] = stop_note
        else:
            result["stop_early"] = True if points else NO_SCHEDULE_YET
        alive = lifecycle.beat(
            job,
            done=min(int(elapsed * 10), int(limit * 10)),
            message=message,
            result=result,
        )
        # Only once there is a schedule to keep (the action refuses before; this is the
        # second lock on that door): CP-SAT stopped before its first one has nothing.
        asked = alive and stop is not None and points and not stop.is_set()
        if asked and stop is not None and lifecycle.stop_early_requested(job):
            stop.set()
        return alive

    return run_isolated(
        fn,
        *args,
        tick=tick,
        every=PROGRESS_EVERY,
        on_progress=watch if progress else None,
        progress_kw=progress_kw if progress else None,
        method=settings.MEDED_JOB_PROCESS,
        on_start=lambda pid: lifecycle.solver_started(job, pid),
        stop=stop,
        stop_kw=stop_kw,
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
        # "Good enough, stop here": every strategy ends on Limits.stop with its best
        # schedule (CP-SAT at once, the annealing within a few hundred moves)
        stop = threading.Event()
        results = [
            _engine(
                job,
                limit,
                solve,
                built.problem,
                limits=Limits(seconds=limit, workers=workers),
                progress=True,
                progress_kw="progress",
                stop=stop,
                stop_kw="limits.stop",
                words=lambda costs: adapters.costs_in_words(costs, built),
            )
        ]
        if stop.is_set():
            extra["stopped_early"] = True
    result = results[0]
    points = [[round(p.wall_s, 2), _num(p.objective), _num(p.bound)] for p in result.progress][
        -MAX_POINTS:
    ]
    if not result.feasible:
        _no_schedule(job, built, result, mode, limit, extra, points)
        return
    label = f"{version.label}: {extra['changes']} changed" if mode == "repair" else None
    message = _done_message(mode, result, len(results), extra)
    costs: dict[str, int] = {}
    for c in result.costs:
        costs[c.rule] = costs.get(c.rule, 0) + c.cost
    with transaction.atomic():
        report = actions.do_save_solution(
            job.created_by,
            job,
            version,
            built,
            results,
            label=label,
            note=message if extra.get("stopped_early") else "",
        )
        lifecycle.finish(
            job,
            message=message,
            result={
                "progress": points,
                "costs": adapters.costs_in_words(costs, built),
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
    points: list[list[float | None]],
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
    if extra.get("stopped_early") and result.status != "OPTIMAL":
        return (
            f"Stopped early at gap {_pct(result.gap)}, as asked: the best schedule so far is "
            f"saved (objective {_fmt(result.objective)}, bound {_fmt(result.bound)}, "
            f"{result.wall_s:.1f} s)"
        )
    return head


lifecycle.register(actions.SOLVE_JOB, run_solve, on_end=actions.do_end_solve)
