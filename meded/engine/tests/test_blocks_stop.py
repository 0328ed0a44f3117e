"""The block schedule's entry point stops early on request ("good enough, stop here"), in both
of its strategies, and its progress reports say what each rule costs in the schedule found."""

from __future__ import annotations

import threading
from collections import Counter

from benchmarks.formats import mss
from benchmarks.generator import generate
from benchmarks.tests.test_mss_format import TOY
from meded.engine.blocks import Limits, local, solve
from meded.engine.blocks.check import check
from meded.engine.blocks.cpsat import Progress
from meded.engine.blocks.portfolio import strategy
from meded.engine.blocks.rules import build

LIMIT = 60.0  # far longer than a 60-resident program needs for a first schedule


def test_setting_stop_on_the_first_schedule_returns_that_schedule_early_and_feasible() -> None:
    p = generate(residents=60, seed=1)
    assert strategy(p) == "cp-sat"  # the strategy that proves a bound, and honours stop
    stop = threading.Event()
    seen: list[Progress] = []

    def progress(point: Progress) -> None:
        seen.append(point)
        stop.set()  # "good enough" as soon as there is anything to keep

    res = solve(p, Limits(seconds=LIMIT, workers=2, stop=stop), progress)

    assert seen, "no schedule was reported before the stop"
    assert res.status == "FEASIBLE"  # stopped, not proved optimal and not out of ideas
    assert check(p, res.schedule).ok
    assert res.objective is not None and res.bound is not None and res.gap is not None
    # Not a timing measure: a search that ignored the stop would run out its whole limit.
    assert res.wall_s < LIMIT / 2


def test_each_progress_point_carries_the_costs_by_rule_of_its_schedule() -> None:
    p = generate(residents=30, seed=2)
    points: list[Progress] = []
    res = solve(p, Limits(seconds=3, workers=2), points.append)
    assert res.feasible and points
    offset = build(p).offset
    for point in points:
        assert point.costs, "a point without its rule costs"
        assert sum(point.costs.values()) + offset == point.objective
    final: Counter[str] = Counter()
    for c in res.costs:
        final[c.rule] += c.cost
    assert points[-1].costs == {rule: cost for rule, cost in final.items() if cost}


def test_the_annealing_asks_stop_every_few_hundred_moves_and_keeps_its_best() -> None:
    p = mss.to_problem(mss.parse_dzn(TOY, "toy"))
    start = solve(p, Limits(seconds=3, workers=1))
    asked = 0

    def stop() -> bool:
        nonlocal asked
        asked += 1
        return asked > 3

    out = local.improve(p, start.schedule, time_limit=LIMIT, seed=1, stop=stop)
    # asked at the first move and then every 256: the fourth answer ends it
    assert asked == 4 and out.moves <= 3 * 256 + 1
    assert out.hard == 0 and check(p, out.schedule).ok
    assert out.objective == check(p, out.schedule).objective


def test_setting_stop_ends_the_annealing_and_its_helper_processes_early() -> None:
    p = mss.to_problem(mss.parse_dzn(TOY, "toy"))
    assert strategy(p) == "anneal"
    stop = threading.Event()
    seen: list[Progress] = []

    def progress(point: Progress) -> None:
        seen.append(point)
        stop.set()

    res = solve(p, Limits(seconds=LIMIT, workers=2, stop=stop), progress)

    assert seen and res.status == "FEASIBLE"
    assert check(p, res.schedule).ok
    # Not a timing measure: each of the search's rounds lasts a quarter of the limit, so a
    # helper process that ignored the stop would hold the first one for that long.
    assert res.wall_s < LIMIT / local.ROUNDS / 2
