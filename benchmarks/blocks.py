"""Block-schedule benchmark: a seeded Internal-Medicine-like program solved by the engine.

The solve goes through ``meded.engine.blocks.solve``, the entry point the product's solve job
calls; a run that ends with no schedule says so and exits 1.

    .venv/bin/python benchmarks/blocks.py --residents 190 --seed 1 --time-limit 60 --json
    .venv/bin/python benchmarks/blocks.py --residents 190 --seed 1 --greedy --json

Times include building the model (and, for --greedy, the greedy pass). The objective is
recomputed by the independent pure-Python checker (meded.engine.blocks.check), and the
number of hard violations it finds is reported (0 for every solver schedule).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generator import generate
from benchmarks.greedy import greedy
from meded.engine.blocks import Limits, solve
from meded.engine.blocks.check import Report, check
from meded.engine.blocks.model import Problem, Schedule


def fairness(problem: Problem, rep: Report) -> dict[str, int]:
    return {f"{c[0]} {c[2]}": c[3] for c in rep.costs if c[0].startswith("fairness:")}


def penalty(rep: Report) -> int:
    """Sum of positive costs (everything but rewards)."""
    return sum(c[3] for c in rep.costs if c[3] > 0)


def run_solver(
    problem: Problem, time_limit: float, workers: int, seed: int
) -> tuple[dict[str, object], Schedule]:
    """Through the product's entry point (the solve job calls the same)."""
    res = solve(problem, Limits(seconds=time_limit, workers=workers, seed=seed))
    out: dict[str, object] = {
        "strategy": res.strategy,
        "feasible": res.feasible,
        "status": res.status,
        "objective": res.objective,
        "bound": res.bound,
        "gap": res.gap,
        "first_feasible_s": None
        if res.first_feasible_s is None
        else round(res.first_feasible_s, 2),
        "best_s": None if res.best_s is None else round(res.best_s, 2),
    }
    return out, res.schedule


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--residents", type=int, default=190)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--greedy", action="store_true", help="run the greedy baseline instead")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    problem = generate(residents=a.residents, seed=a.seed)
    if a.greedy:
        sched = greedy(problem, seed=a.seed)
        out: dict[str, object] = {"method": "greedy", "feasible": None}
    else:
        t0 = time.perf_counter()  # the solve, model building included (not the generation)
        out, sched = run_solver(problem, a.time_limit, a.workers, a.seed)
        out["method"] = "engine"
    wall = time.perf_counter() - t0
    result: dict[str, object] = {"residents": len(problem.residents), "seed": a.seed}
    result.update(out)
    if not a.greedy and not sched:
        print(json.dumps(result) if a.json else "no schedule found", flush=True)
        print(f"no schedule within {a.time_limit:g} s", file=sys.stderr)
        return 1
    if sched:
        rep = check(problem, sched)
        result["checker_objective"] = rep.objective
        result["hard_violations"] = len(rep.violations)
        result["penalty"] = penalty(rep)
        result["fairness"] = fairness(problem, rep)
        if a.greedy:
            result["feasible"] = rep.ok
            result["objective"] = rep.objective
            result.update({"bound": None, "gap": None, "first_feasible_s": None})
    result["wall_s"] = round(wall, 2)
    result["workers"] = a.workers if not a.greedy else 1
    if a.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:>18}: {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
