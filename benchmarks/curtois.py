"""The Curtois & Qu shift-scheduling benchmark on the roster engine.

Each instance is read, mapped onto the general roster engine (meded.engine.roster), solved,
written as ``employee_id,day_index,shift_id`` lines, and scored by an evaluator written from the
format description (benchmarks.formats.curtois.evaluate), not by the solver's own objective.

    python benchmarks/curtois.py INSTANCE.txt [more] --time-limit T --workers W
        [--out DIR] [--json] [--progress]

Best known values come from ``best_known.csv`` next to the instance files when it exists.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.formats.curtois import evaluate, parse, roster_lines, to_problem
from meded.engine.roster import ProgressPoint, solve


def best_known(instance: Path) -> int | None:
    table = instance.parent / "best_known.csv"
    if not table.exists():
        return None
    with table.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row.get("instance") == instance.stem:
                return int(row["best_known"])
    return None


def run(path: Path, time_limit: float, workers: int, out: Path | None, progress: bool) -> dict:
    inst = parse(path)

    def show(point: ProgressPoint) -> None:
        print(
            f"  {inst.name} {point.seconds:8.2f}s objective={point.objective} bound={point.bound}",
            file=sys.stderr,
            flush=True,
        )

    solution = solve(
        to_problem(inst),
        time_limit=time_limit,
        num_workers=workers,
        on_progress=show if progress else None,
    )
    known = best_known(path)
    row: dict = {
        "instance": inst.name,
        "feasible": False,
        "objective": None,
        "best_known": known,
        "gap": None,
        "first_feasible_s": solution.first_feasible_s,
        "best_s": solution.best_s,
        "wall_s": round(solution.wall_s, 2),
        "workers": workers,
    }
    if solution.feasible:
        ev = evaluate(inst, solution.roster)
        row["feasible"] = ev.feasible
        row["objective"] = ev.objective
        row["solver_objective"] = solution.objective
        if ev.violations:
            row["violations"] = ev.violations[:20]
        if known is not None:
            row["gap"] = round(100.0 * (ev.objective - known) / known, 2)
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            lines = roster_lines(solution.roster)
            (out / f"{inst.name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        row["status"] = solution.status
        row["explanation"] = solution.explanation()
    return row


def fmt(value: object, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("instances", nargs="+", type=Path)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--json", action="store_true", help="one JSON object per instance")
    ap.add_argument("--progress", action="store_true", help="objective and bound to stderr")
    args = ap.parse_args(argv)
    header = (
        f"{'instance':<12} {'objective':>9} {'best':>6} {'gap %':>6} "
        f"{'first s':>8} {'best s':>8} {'threads':>7}"
    )
    if not args.json:
        print(header, flush=True)
    ok = True
    for path in args.instances:
        row = run(path, args.time_limit, args.workers, args.out, args.progress)
        ok = ok and bool(row["feasible"])
        if args.json:
            print(json.dumps(row), flush=True)
        else:
            print(
                f"{row['instance']:<12} {fmt(row['objective']):>9} {fmt(row['best_known']):>6} "
                f"{fmt(row['gap'], 2):>6} {fmt(row['first_feasible_s'], 2):>8} "
                f"{fmt(row['best_s'], 2):>8} {row['workers']:>7}",
                flush=True,
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
