"""Medical Student Scheduling benchmark: solve MSS instances with the block engine.

    .venv/bin/python benchmarks/mss.py ../shared/benchdata/mss/zanazzo_generated/I40_12_1.dzn \
        --time-limit 60 --workers 2 --out var/mss --json

Each instance is parsed, expressed in the engine's own model (benchmarks.formats.mss
.to_problem), solved through ``meded.engine.blocks.solve``, the entry point the product's solve
job calls (its portfolio picks the strategy from the problem; see its docstring), written in the
published solution format, read back from that text and scored by the independent evaluator
written from SPEC.md (benchmarks.formats.mss.evaluate). The reported objective is the
evaluator's; a solution with any hard violation counts as infeasible. Times include parsing and
model building. An instance that ends with no solution is reported as such, and the run exits 1.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.data import mss_dir
from benchmarks.formats import mss
from meded.engine.blocks import Limits, solve

BEST_KNOWN = mss_dir() / "best_known.csv"  # ../shared/benchdata, or $MEDED_BENCHDATA


def best_known(path: Path = BEST_KNOWN) -> dict[str, int]:
    if not path.exists():
        return {}
    with path.open() as fh:
        return {
            row["instance"]: int(row["best_known"])
            for row in csv.DictReader(fh)
            if row.get("best_known")
        }


def run(
    path: Path,
    time_limit: float,
    workers: int,
    out: Path | None,
    seed: int,
) -> dict[str, object]:
    t0 = time.perf_counter()
    inst = mss.load(path)
    problem = mss.to_problem(inst)
    limit = max(1.0, time_limit - (time.perf_counter() - t0))
    res = solve(problem, Limits(seconds=limit, workers=workers, seed=seed))
    pre = time.perf_counter() - t0 - res.wall_s  # parse + translate
    row: dict[str, object] = {
        "instance": inst.name,
        "students": inst.S,
        "feasible": False,
        "objective": None,
    }
    if res.feasible:
        grid = mss.grid_of(res.schedule, inst)
        text = mss.write_solution(grid, inst, mss.evaluate(inst, grid))
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{inst.name}-sol.dzn").write_text(text)
        score = mss.evaluate(inst, mss.read_solution(text, inst))  # from the written text
        row["feasible"] = not score.violations
        row["objective"] = score.objective
        row["violations"] = len(score.violations)
        row["engine_objective"] = None if res.objective is None else -res.objective
        row["bound"] = None if res.bound is None else -res.bound
    row["strategy"] = res.strategy
    bk = best_known().get(inst.name)
    row["best_known"] = bk
    obj = row["objective"]
    row["gap"] = round((bk - obj) / abs(bk), 4) if bk and isinstance(obj, int) else None
    bound = row.get("bound")
    row["bound_gap"] = (
        round((float(bound) - obj) / abs(float(bound)), 4)  # type: ignore[arg-type]
        if isinstance(obj, int) and bound is not None
        else None
    )
    row["first_feasible_s"] = (
        None if res.first_feasible_s is None else round(pre + res.first_feasible_s, 2)
    )
    row["best_s"] = None if res.best_s is None else round(pre + res.best_s, 2)
    row["wall_s"] = round(time.perf_counter() - t0, 2)
    row["workers"] = workers
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("instances", nargs="+", type=Path)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    cols = [
        "instance",
        "objective",
        "best_known",
        "gap",
        "bound",
        "first_feasible_s",
        "best_s",
        "wall_s",
        "workers",
    ]
    if not a.json:
        print(" | ".join(cols))
    failed = []
    for path in a.instances:
        try:
            mss.load(path)  # a file that is not an instance is named, not a traceback
        except (OSError, ValueError) as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            return 2
        row = run(path, a.time_limit, a.workers, a.out, a.seed)
        if not row["feasible"]:
            failed.append(str(row["instance"]))
        if a.json:
            print(json.dumps(row), flush=True)
        else:
            cells = []
            for c in cols:
                v = row.get(c)
                cells.append(f"{100 * v:.2f}%" if c == "gap" and isinstance(v, float) else str(v))
            print(" | ".join(cells), flush=True)
    if failed:
        print(f"no feasible solution for: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
