"""A residency roster of the product's shape through the product's entry point.

A seeded pool of residents over some blocks (benchmarks/roster_gen.py: the demo's shift
templates, cover, ACGME limits, leave and fairness among the residents, as
meded.rosters.adapters builds them) solved by ``meded.engine.roster.solve`` with the options
the roster job (meded.rosters.tasks) uses: the time limit, the solver threads, a progress
callback. The roster is scored again by the engine's independent checker
(meded.engine.roster.check, written from each rule's definition, not the model: the hard
rules it breaks and what it costs), not only by the solver's objective.

    python benchmarks/rosters.py --residents 120 --blocks 13 --time-limit 120 --workers 2
        [--block-days 14] [--seed 1] [--json] [--progress]

A block is the demo's: 14 days (26 to the year), so ``--blocks 13`` is half a year (182 days);
``--blocks 26`` the whole year.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.roster_gen import DEMO_BLOCK_DAYS, residency
from meded.engine.roster import ProgressPoint, solve
from meded.engine.roster.check import check


def run(
    residents: int,
    blocks: int,
    block_days: int,
    time_limit: float,
    workers: int,
    seed: int,
    progress: bool,
) -> dict[str, object]:
    problem = residency(residents, blocks, block_days, seed)

    def show(point: ProgressPoint) -> None:
        print(
            f"  {point.seconds:8.2f}s objective={point.objective} bound={point.bound}",
            file=sys.stderr,
            flush=True,
        )

    began = time.perf_counter()
    solution = solve(
        problem, time_limit=time_limit, num_workers=workers, on_progress=show if progress else None
    )
    seconds = time.perf_counter() - began
    row: dict[str, object] = {
        "residents": residents,
        "blocks": blocks,
        "block_days": block_days,
        "days": problem.horizon,
        "assignments": residents * problem.horizon * len(problem.shifts),
        "time_limit": time_limit,
        "workers": workers,
        "seed": seed,
        "status": solution.status,
        "seconds": round(seconds, 2),
        "feasible": False,
        "objective": None,
        "model_objective": solution.objective,
        "bound": solution.bound,
        "gap": None,
        "first_feasible_s": solution.first_feasible_s,
        "best_s": solution.best_s,
        "strategy": solution.strategy,
    }
    if solution.feasible:
        scored = check(problem, solution.roster)
        row["feasible"] = scored.feasible
        row["violations"] = [f"{v.rule}: {v.person} {v.detail}" for v in scored.hard[:5]]
        row["objective"] = scored.objective
        row["cost_by_rule"] = scored.cost_by_rule()
        if solution.bound is not None:
            row["gap"] = max(0.0, scored.objective - solution.bound) / max(
                1.0, abs(scored.objective)
            )
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--residents", type=int, default=120)
    ap.add_argument("--blocks", type=int, default=13)
    ap.add_argument("--block-days", type=int, default=DEMO_BLOCK_DAYS)
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="one JSON object")
    ap.add_argument("--progress", action="store_true", help="objective and bound to stderr")
    args = ap.parse_args(argv)
    row = run(
        args.residents,
        args.blocks,
        args.block_days,
        args.time_limit,
        args.workers,
        args.seed,
        args.progress,
    )
    if args.json:
        print(json.dumps(row), flush=True)
    else:
        for key, value in row.items():
            print(f"{key:>18}: {value}")
    return 0 if row["feasible"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
