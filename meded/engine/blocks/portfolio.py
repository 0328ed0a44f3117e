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


@dataclass(frozen=True)
class Limits:
    """How long and on how many threads to search. ``stop``, once set from another thread,
    ends the search early with the best schedule found so far ("good enough, stop here")."""

    seconds: float = 30.0
    workers: int = 2
    seed: int = 0
    stop: threading.Event | None = None


def strategy(problem: Problem) -> str:
    """The strategy :func:`solve` runs on ``problem`` (see the module's docstring)."""
    return "anneal" if local.supports(problem) else "cp-sat"


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
            problem, limits.seconds, limits.workers, limits.seed, on_progress=progress
        )
    else:
        how = "cp-sat"
        res = cpsat.solve(
            problem,
            time_limit=limits.seconds,
            workers=limits.workers,
            hint=hint,
            on_progress=progress,
            stop=limits.stop,
            params=dict(CPSAT_PARAMS),
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
