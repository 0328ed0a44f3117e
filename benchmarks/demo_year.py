"""The demo's rotation year solved by the product's own solve job.

    .venv/bin/python benchmarks/demo_year.py --time-limit 30 --runs 3 --json

Builds a fresh demo institution in a temporary SQLite database (``meded load-demo``'s data,
seed 2026), configures Internal Medicine's schedule year as ``meded demo`` does, and for each
run queues a solve as the chief resident (``schedules.actions.do_solve``) and runs the job
in this process, as a worker would (``meded.jobs.tasks.run_job``: the problem built by the
adapter, the engine's entry point in a child process, the draft saved). It prints one JSON
object per run: residents, time limit, status, objective, bound, gap, first schedule and
wall seconds (from the job's own result), then the medians. A run that ends with no schedule
says so, and the script exits 1.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=30.0, help="the demo's own: 30 s")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2026, help="the demo's (2026)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="meded-bench-") as tmp:
        os.environ["MEDED_VAR_DIR"] = tmp
        os.environ.pop("DATABASE_URL", None)
        os.environ["MEDED_DEBUG"] = "1"  # a throw-away database: the built-in key will do
        os.environ["MEDED_TASKS_BACKEND"] = "django_tasks_db.DatabaseBackend"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meded.settings")
        import django

        django.setup()
        from django.contrib.auth.models import User

        from meded.cli import apply_migrations
        from meded.jobs.models import Job
        from meded.jobs.tasks import run_job
        from meded.org.demo import load_demo
        from meded.org.models import Program
        from meded.schedules import adapters
        from meded.schedules.actions import do_solve
        from meded.schedules.demo import load_schedule_demo

        apply_migrations(verbosity=0)
        load_demo(seed=a.seed)
        im = Program.objects.get(slug="internal-medicine")
        year = load_schedule_demo(im)
        residents = len(adapters.build_problem(year).problem.residents)
        chief = User.objects.get(username="chief")
        rows = []
        for run in range(a.runs):
            version = do_solve(chief, year, time_limit=a.time_limit, label=f"bench {run + 1}")
            job_id = str(version.job_id)
            t0 = time.perf_counter()
            run_job.func(job_id)
            wall = time.perf_counter() - t0
            job = Job.objects.get(pk=job_id)
            res = job.result or {}
            row = {
                "run": run + 1,
                "residents": residents,
                "time_limit": a.time_limit,
                "job": job.status,
                "status": res.get("status") or res.get("solver_status"),
                "objective": res.get("objective"),
                "bound": res.get("bound"),
                "gap": None if res.get("gap") is None else round(100 * res["gap"], 2),
                "first_feasible_s": None
                if res.get("first_feasible_s") is None
                else round(res["first_feasible_s"], 2),
                "job_wall_s": round(wall, 2),
            }
            rows.append(row)
            print(json.dumps(row) if a.json else row, flush=True)
        solved = [r for r in rows if r["objective"] is not None]
        if solved:
            med = {
                "median_gap": statistics.median(r["gap"] for r in solved),
                "median_first_feasible_s": statistics.median(r["first_feasible_s"] for r in solved),
                "runs": len(rows),
                "solved": len(solved),
            }
            print(json.dumps(med) if a.json else med, flush=True)
        if len(solved) < len(rows):
            print("a run ended with no schedule", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
