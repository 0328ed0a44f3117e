"""The block schedule's one entry point: :func:`solve` picks a strategy from the problem.

Both the product's solve job and the benchmarks call this, so that a benchmark figure is a
figure of what users run.

- ``anneal``: every rule of the problem is one the local search scores move by move
  (``local.supports``: coverage, requirements, prerequisites, preferences, wishes, vacation,
  site changes, waiting, equity; the MSS benchmark families). A first schedule that keeps the
  hard rules comes from a race between CP-SAT without an objective and the local search on
  the hard rules, then simulated annealing improves it, one run per worker
  (``lns.solve_annealed``). It proves no bound.
- ``cp-sat``: anything else (windows, templates, sequences, fairness spreads, aligned
  rotations, full assignment: a residency's rules). The full CP-SAT model, which proves a
  bound and so reports its gap (``cpsat.solve``).
- ``cp-sat-neighbourhoods``: the same model when it is large (``large``: at least
  ``NEIGHBOURHOODS_STARTS`` possible stints), searched by CP-SAT's neighbourhood workers
  only. On a model that size CP-SAT's full-problem worker, which would prove a bound better
  than the model's own, spends its whole core without finding a schedule or raising the
  bound, so both cores go to the neighbourhoods; the bound reported is the model's own
  (every reward granted, no penalty), still a proven one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from meded.engine.blocks import cpsat, lns, local
from meded.engine.blocks.cpsat import Progress, Result
from meded.engine.blocks.model import Problem, Schedule

# CP-SAT's parameters for the cp-sat strategy. On residency-sized models (60,000-90,000
# variables) presolve spends 5-9 s of a 30 s solve expanding the objective and symmetry
# detection more; without them the search starts at once and its neighbourhoods, not the
# presolved model, do the work. Measured on the demo year (198 residents, 30 s, 2 workers,
# 3 runs each, same load): gap 1.4-2.2 % and a first schedule after 1 s of search, against
# 4-12.7 % and 6-7 s with one presolve iteration (benchmarks/README.md).
CPSAT_PARAMS: dict[str, object] = {"max_presolve_iterations": 0, "symmetry_level": 0}

# From how many possible stints (residents' eligible rotations times blocks) the cp-sat
# strategy leaves out the full-problem worker. Measured (2 workers, benchmarks/README.md):
# the demo year (198 residents, 94,224) is better with it (its bound 4.5 % above the
# model's own), a generated 190-resident program (139,152) the same either way, and at 400
# residents (292,344) the full worker found nothing in 52 s (34 conflicts) while the
# neighbourhoods alone took the gap at 60 s from 5.9 % to 0.6 %.
NEIGHBOURHOODS_STARTS = 200_000
NEIGHBOURHOODS_PARAMS: dict[str, object] = {"use_lns_only": True}


@dataclass(frozen=True)
class Limits:
    """How long and on how many threads to search. ``stop``, once set from another thread,
    ends the search early with the best schedule found so far ("good enough, stop here")."""

    seconds: float = 30.0
    workers: int = 2
    seed: int = 0
    stop: threading.Event | None = None


def large(problem: Problem) -> bool:
    """Whether the full model is too large for CP-SAT's full-problem worker to help."""
    n = problem.calendar.n_blocks
    starts = sum(
        n for res in problem.residents for rot in problem.rotations if problem.eligible(res, rot)
    )
    return starts >= NEIGHBOURHOODS_STARTS


def _model_strategy(problem: Problem) -> str:
    """Which of the two strategies on the full model suits ``problem``."""
    return "cp-sat-neighbourhoods" if large(problem) else "cp-sat"


def strategy(problem: Problem) -> str:
    """The strategy :func:`solve` runs on ``problem`` (see the module's docstring)."""
    return "anneal" if local.supports(problem) else _model_strategy(problem)


def solve(
    problem: Problem,
    limits: Limits | None = None,
    progress: Callable[[Progress], None] | None = None,
    hint: Schedule | None = None,
) -> Result:
    """The best schedule found within ``limits``, with its objective, the bound when the
    strategy proves one, and the progress of both over time. ``progress`` is called with each
    better schedule's objective and bound as it is found."""
    t0 = time.perf_counter()
    limits = limits or Limits()
    how = strategy(problem)
    if how == "anneal" and hint is None:
        res = lns.solve_annealed(
            problem,
            limits.seconds,
            limits.workers,
            limits.seed,
            on_progress=progress,
            stop=limits.stop,
        )
    else:
        if how == "anneal":  # from a given schedule: the model, which takes a hint
            how = _model_strategy(problem)
        params = dict(CPSAT_PARAMS)
        if how == "cp-sat-neighbourhoods":
            params.update(NEIGHBOURHOODS_PARAMS)
        res = cpsat.solve(
            problem,
            time_limit=limits.seconds,
            workers=limits.workers,
            hint=hint,
            on_progress=progress,
            stop=limits.stop,
            params=params,
        )
    # times from this call, model building included: what a user (or a benchmark) waits
    wall = time.perf_counter() - t0
    before = max(0.0, wall - res.wall_s)
    return replace(
        res,
        strategy=how,
        wall_s=wall,
        first_feasible_s=None if res.first_feasible_s is None else before + res.first_feasible_s,
        best_s=None if res.best_s is None else before + res.best_s,
    )
