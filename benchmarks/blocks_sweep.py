"""How block-schedule solving grows with program size: runs benchmarks/blocks.py (CP-SAT and
the greedy baseline) over sizes and seeds, one process per run, and writes the raw JSON
lines, a Markdown table of medians and an SVG plot (time to first schedule and gap against
residents).

    .venv/bin/python benchmarks/blocks_sweep.py --sizes 50 100 190 200 400 --seeds 1 2 3 \\
        --time-limit 60 --workers 2 --out var/bench/blocks

Writes OUT/runs.jsonl (appended: re-running adds runs; --fresh starts over), OUT/table.md
and OUT/scaling.svg. --report-only redraws the table and plot from runs.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from tqdm import tqdm

HERE = Path(__file__).resolve().parent


def run_one(size: int, seed: int, time_limit: float, workers: int, greedy: bool) -> dict[str, Any]:
    cmd = [
        sys.executable,
        str(HERE / "blocks.py"),
        "--residents",
        str(size),
        "--seed",
        str(seed),
        "--time-limit",
        str(time_limit),
        "--workers",
        str(workers),
        "--json",
    ]
    if greedy:
        cmd.append("--greedy")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    row: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    row["size"] = size
    row["time_limit"] = time_limit
    row["load_before"] = round(os.getloadavg()[0], 2)
    return row


def _median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def summarize(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by[(int(r["size"]), str(r["method"]))].append(r)
    out = []
    for (size, method), rs in sorted(by.items()):
        gaps = [100 * float(r["gap"]) for r in rs if r.get("gap") is not None]
        ff = [float(r["first_feasible_s"]) for r in rs if r.get("first_feasible_s") is not None]
        out.append(
            {
                "size": size,
                "method": method,
                "runs": len(rs),
                "feasible": sum(1 for r in rs if r.get("feasible")),
                "first_feasible_s": _median(ff),
                "ff_min": min(ff) if ff else None,
                "ff_max": max(ff) if ff else None,
                "gap_pct": _median(gaps),
                "gap_min": min(gaps) if gaps else None,
                "gap_max": max(gaps) if gaps else None,
                "objective": _median([float(r["objective"]) for r in rs if r.get("objective")]),
                "penalty": _median([float(r["penalty"]) for r in rs if "penalty" in r]),
                "hard_violations": _median(
                    [float(r["hard_violations"]) for r in rs if "hard_violations" in r]
                ),
                "wall_s": _median([float(r["wall_s"]) for r in rs]),
                "time_limit": rs[0].get("time_limit"),
                "workers": rs[0].get("workers"),
            }
        )
    return out


def _f(x: Any, fmt: str = "{:.2f}") -> str:
    return "-" if x is None else fmt.format(x)


def table(summary: list[dict[str, Any]]) -> str:
    lines = [
        "| residents | method | runs | feasible | first schedule s (median, min-max) "
        "| gap % (median, min-max) | objective | penalty | hard violations | wall s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in summary:
        ff = (
            f"{_f(s['first_feasible_s'])} ({_f(s['ff_min'])}-{_f(s['ff_max'])})"
            if s["first_feasible_s"] is not None
            else "-"
        )
        gap = (
            f"{_f(s['gap_pct'])} ({_f(s['gap_min'])}-{_f(s['gap_max'])})"
            if s["gap_pct"] is not None
            else "-"
        )
        lines.append(
            f"| {s['size']} | {s['method']} | {s['runs']} | {s['feasible']}/{s['runs']} | {ff} "
            f"| {gap} | {_f(s['objective'], '{:.0f}')} | {_f(s['penalty'], '{:.0f}')} "
            f"| {_f(s['hard_violations'], '{:.0f}')} | {_f(s['wall_s'], '{:.1f}')} |"
        )
    return "\n".join(lines) + "\n"


def _panel(
    x0: float,
    title: str,
    points: list[tuple[float, float, float, float]],
    y_label: str,
    bar: float | None,
) -> list[str]:
    """One chart: x = residents, y = median with a min-max whisker; an optional bar line."""
    w, h, pad = 300.0, 200.0, 40.0
    xs = [p[0] for p in points] or [1.0]
    ys = [p[3] for p in points] + ([bar] if bar is not None else []) or [1.0]
    xmax = max(xs) * 1.1
    ymax = max(ys) * 1.15 or 1.0

    def px(x: float) -> float:
        return x0 + pad + (w - pad - 10) * x / xmax

    def py(y: float) -> float:
        return 20 + (h - 20 - pad) * (1 - y / ymax)

    out = [
        f'<text x="{x0 + w / 2}" y="14" text-anchor="middle" font-size="12">{title}</text>',
        f'<line x1="{px(0)}" y1="{py(0)}" x2="{px(xmax)}" y2="{py(0)}" stroke="#333"/>',
        f'<line x1="{px(0)}" y1="{py(0)}" x2="{px(0)}" y2="{py(ymax)}" stroke="#333"/>',
        f'<text x="{x0 + w / 2}" y="{h - 4}" text-anchor="middle" font-size="10">residents</text>',
        f'<text x="{x0 + 10}" y="{py(ymax / 2)}" font-size="10" '
        f'transform="rotate(-90 {x0 + 10} {py(ymax / 2)})" text-anchor="middle">{y_label}</text>',
    ]
    for i in range(5):
        y = ymax * i / 4
        out.append(
            f'<text x="{px(0) - 4}" y="{py(y) + 3}" text-anchor="end" font-size="9">{y:.3g}</text>'
        )
    for x in sorted(set(xs)):
        out.append(
            f'<text x="{px(x)}" y="{py(0) + 12}" text-anchor="middle" font-size="9">{x:.0f}</text>'
        )
    if bar is not None:
        out.append(
            f'<line x1="{px(0)}" y1="{py(bar)}" x2="{px(xmax)}" y2="{py(bar)}" '
            f'stroke="#c00" stroke-dasharray="4 3"/>'
            f'<text x="{px(xmax)}" y="{py(bar) - 3}" text-anchor="end" font-size="9" '
            f'fill="#c00">bar</text>'
        )
    pts = sorted(points)
    out.append(
        '<polyline fill="none" stroke="#1f5fbf" stroke-width="1.5" points="'
        + " ".join(f"{px(x):.1f},{py(m):.1f}" for x, m, _, _ in pts)
        + '"/>'
    )
    for x, m, lo, hi in pts:
        out.append(
            f'<line x1="{px(x):.1f}" y1="{py(lo):.1f}" x2="{px(x):.1f}" y2="{py(hi):.1f}" '
            f'stroke="#1f5fbf"/><circle cx="{px(x):.1f}" cy="{py(m):.1f}" r="3" fill="#1f5fbf"/>'
        )
    return out


def plot(summary: list[dict[str, Any]], note: str) -> str:
    cp = [s for s in summary if s["method"] in ("engine", "cp-sat")]
    ff = [
        (float(s["size"]), s["first_feasible_s"], s["ff_min"], s["ff_max"])
        for s in cp
        if s["first_feasible_s"] is not None
    ]
    gap = [
        (float(s["size"]), s["gap_pct"], s["gap_min"], s["gap_max"])
        for s in cp
        if s["gap_pct"] is not None
    ]
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="240" '
        'viewBox="0 0 640 240" font-family="sans-serif">',
        '<rect width="640" height="240" fill="#fff"/>',
        *_panel(0, "First schedule (s)", ff, "seconds", 10.0),
        *_panel(320, "Gap at the time limit (%)", gap, "gap %", 1.0),
        f'<text x="320" y="236" text-anchor="middle" font-size="9" fill="#555">{note}</text>',
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 190, 200, 400])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("var/bench/blocks"))
    ap.add_argument("--no-greedy", action="store_true")
    ap.add_argument("--fresh", action="store_true", help="forget earlier runs in OUT")
    ap.add_argument("--report-only", action="store_true")
    a = ap.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    runs = a.out / "runs.jsonl"
    if a.fresh and runs.exists():
        runs.unlink()
    if not a.report_only:
        jobs = [(n, s, g) for n in a.sizes for s in a.seeds for g in (False, True)]
        jobs = [j for j in jobs if not (j[2] and a.no_greedy)]
        for n, s, g in tqdm(jobs, desc="block schedules", unit="run"):
            row = run_one(n, s, a.time_limit, a.workers, g)
            with runs.open("a") as fh:
                fh.write(json.dumps(row) + "\n")
    rows = [json.loads(line) for line in runs.read_text().splitlines() if line.strip()]
    summary = summarize(rows)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    limits = sorted({str(s["time_limit"]) for s in summary})
    note = (
        f"{machine}; CP-SAT {a.workers} workers; time limit {'/'.join(limits)} s; "
        "median of seeds, whiskers min-max"
    )
    (a.out / "table.md").write_text(f"{note}\n\n{table(summary)}")
    (a.out / "scaling.svg").write_text(plot(summary, note))
    print(note)
    print(table(summary))
    print(f"wrote {a.out / 'table.md'} and {a.out / 'scaling.svg'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
