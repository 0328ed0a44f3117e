"""The roster solve job: one engine problem per rotation of the block (meded.rosters.adapters),
solved one after the other within the job's time limit, each in a child process
(meded.jobs.isolation) so that a cancellation stops it at once. The result is written as the
block's draft by meded.rosters.actions.do_save_generated, in the transaction that finishes
the job. An infeasible rotation leaves the draft as it was and puts the engine's plain-words
explanation on the job page."""

from __future__ import annotations

import threading
import time
from typing import Any

from django.conf import settings
from django.db import transaction

from meded.engine.roster import ProgressPoint, RosterSolution, solve
from meded.jobs import lifecycle
from meded.jobs.isolation import run_isolated
from meded.jobs.models import Job
from meded.rosters import actions, adapters
from meded.rosters.models import Roster, Shift

PROGRESS_EVERY = 0.5


class _Watch:
    """The engine's last progress point, as reported from the solver's process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last: ProgressPoint | None = None

    def __call__(self, p: ProgressPoint) -> None:
        with self.lock:
            self.last = p


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


def _solve(
    job: Job, bp: adapters.BlockProblem, limit: float, head: str, done0: float, total: float
) -> RosterSolution:
    watch = _Watch()

    def tick(elapsed: float) -> bool:
        p = watch.last
        best = f"best {_fmt(p.objective)} · bound {_fmt(p.bound)}" if p else "searching"
        return lifecycle.beat(
            job,
            done=min(int((done0 + elapsed) * 10), int(total * 10)),
            message=f"{head} · {best} · {elapsed:.1f} s",
        )

    result: RosterSolution = run_isolated(
        solve,
        bp.problem,
        time_limit=limit,
        num_workers=settings.MEDED_SOLVER_THREADS,
        tick=tick,
        every=PROGRESS_EVERY,
        on_progress=watch,
        progress_kw="on_progress",
        method=settings.MEDED_JOB_PROCESS,
        on_start=lambda pid: lifecycle.solver_started(job, pid),
    )
    return result


def run_generate(job: Job) -> None:
    """Generate the job's roster (its block's draft)."""
    roster = (
        Roster.objects.select_related("schedule_year__program", "schedule_year__academic_year")
        .filter(pk=job.options.get("roster"), job=job)
        .first()
    )
    if roster is None:
        lifecycle.fail(job, "The roster to generate is gone.")
        return
    limit = float(job.options.get("time_limit") or 20)
    lifecycle.beat(job, message="Building the model")
    problems, reason = adapters.build_block(roster)
    if not problems:
        lifecycle.fail(job, reason, roster=roster.pk)
        return
    rows: list[Shift] = []
    summary: list[dict[str, Any]] = []
    statuses = []
    start = time.monotonic()
    for i, bp in enumerate(problems):
        left = limit - (time.monotonic() - start)
        share = max(1.0, left / (len(problems) - i))
        head = f"{bp.rotation.name} ({i + 1} of {len(problems)})"
        result = _solve(job, bp, share, head, time.monotonic() - start, limit)
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
            if result.status == "INFEASIBLE":
                message = f"{bp.rotation.name}: no roster satisfies every hard rule."
            else:
                message = f"{bp.rotation.name}: no roster found within {share:.0f} s."
            lifecycle.fail(
                job,
                message,
                roster=roster.pk,
                solver_status=result.status,
                conflicts=[bp.in_words(c) for c in result.conflict],
                explanation=bp.in_words(result.explanation()),
                rotations=summary,
            )
            return
        rows += adapters.shifts_from(bp, result.roster, roster)
    status = "OPTIMAL" if all(s == "OPTIMAL" for s in statuses) else "FEASIBLE"
    seconds = time.monotonic() - start
    with transaction.atomic():
        actions.do_save_generated(job.created_by, job, roster, rows, status, seconds)
        lifecycle.finish(
            job,
            message=f"{status.capitalize()}: {len(rows)} shifts for {len(problems)} rotations",
            result={"roster": roster.pk, "rotations": summary, "shifts": len(rows)},
        )


lifecycle.register(actions.SOLVE_JOB, run_generate, on_end=actions.do_end_generation)
