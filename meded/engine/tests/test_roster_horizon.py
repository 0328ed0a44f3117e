"""A long horizon a window of days at a time (meded.engine.roster.horizon)."""

from __future__ import annotations

import importlib
import random
import time
from dataclasses import replace

import pytest

from meded.engine.roster import ProgressPoint, horizon, solve
from meded.engine.roster.check import check
from meded.engine.roster.problem import (
    AcgmeRules,
    CoverRequirement,
    Fairness,
    Person,
    Roster,
    RosterProblem,
    RuleSet,
    ShiftRequest,
    ShiftType,
)

H = 60
#: the module (the package exports its function under the same name)
solve_module = importlib.import_module("meded.engine.roster.solve")


def residency(persons: int = 8, days: int = 56, seed: int = 0) -> RosterProblem:
    """A small residency of the product's shape: days, nights and 24 h call under the ACGME
    limits, cover with hard minimums and soft targets, vacation, requests and fairness."""
    rng = random.Random(seed)
    shifts = (
        ShiftType("day", 7 * H, 12 * H),
        ShiftType("night", 19 * H, 12 * H, night=True),
        ShiftType("call", 7 * H, 24 * H, in_house_call=True),
    )
    people = []
    for i in range(persons):
        start = rng.randrange(days - 7)
        off = frozenset(range(start, start + 7)) if rng.random() < 0.5 else frozenset()
        people.append(Person(f"r{i}", days_off=off, max_consecutive_work=6))
    cover = []
    for d in range(days):
        weekend = d % 7 in (5, 6)
        cover.append(CoverRequirement(d, "day", 1, target=2 if weekend else 4, under_weight=10))
        cover.append(CoverRequirement(d, "night", 0, target=1, under_weight=10, over_weight=1))
        cover.append(CoverRequirement(d, "call", 0, target=1, under_weight=5, maximum=1))
    ids = tuple(p.id for p in people)
    requests = tuple(
        ShiftRequest(rng.choice(ids), rng.randrange(days), "day", rng.randint(1, 5), on=False)
        for _ in range(persons)
    )
    return RosterProblem(
        horizon=days,
        shifts=shifts,
        persons=tuple(people),
        cover=tuple(cover),
        requests=requests,
        fairness=tuple(Fairness(k, ids, 3) for k in ("nights", "calls", "weekends", "holidays")),
        holidays=frozenset({3, 30}),
        first_weekday=0,
        rules=RuleSet(acgme=AcgmeRules.standard()),
    )


def first_roster(problem: RosterProblem) -> Roster:
    roster = horizon.forwards(problem, 1.0, time.perf_counter() + 60, num_workers=1)
    assert roster is not None
    return roster


def test_a_roster_built_forwards_satisfies_every_hard_rule_of_the_whole_horizon() -> None:
    p = residency()
    report = check(p, first_roster(p))
    assert report.feasible, [v.rule for v in report.hard]


@pytest.mark.parametrize("seed", range(6))
def test_a_window_costs_what_the_whole_roster_costs_up_to_a_constant(seed: int) -> None:
    """Changing the days a window decides changes the window's objective exactly as much as
    the whole roster's: fairness carried in (offsets, the people left out) and cover given
    by the people left out included."""
    p = residency(seed=seed)
    roster = first_roster(p)
    rng = random.Random(seed)
    ids = [q.id for q in p.persons]
    for _ in range(8):
        days = rng.randint(3, 20)
        first = rng.randrange(p.horizon - days + 1)
        chosen = rng.sample(ids, rng.randint(1, len(ids)))
        w = horizon.window(p, first, first + days, roster, chosen)
        before = w.roster_of(roster)
        after = {pid: dict(mine) for pid, mine in before.items()}
        for _ in range(6):
            pid, d = rng.choice(chosen), rng.randrange(first, first + days) - w.lo
            if rng.random() < 0.4:
                after[pid].pop(d, None)
            else:
                after[pid][d] = rng.choice(p.shifts).id
        whole = {pid: dict(mine) for pid, mine in roster.items()}
        w.put(whole, after)
        assert check(p, whole).objective - check(p, roster).objective == (
            check(w.problem, after).objective - check(w.problem, before).objective
        )
        # and a change that breaks a hard rule breaks it in the window too
        assert check(p, whole).feasible == check(w.problem, after).feasible


def test_the_window_search_keeps_the_roster_feasible_and_its_objective_is_the_checker_s() -> None:
    p = residency(seed=3)
    roster = first_roster(p)
    start = check(p, roster).objective
    seen: list[int] = []
    best, objective = horizon.improve(
        p, roster, start, time.perf_counter() + 4.0, num_workers=1, on_improve=seen.append
    )
    report = check(p, best)
    assert report.feasible
    assert objective == report.objective <= start
    assert seen == sorted(seen, reverse=True)
    if seen:
        assert seen[-1] == objective < start


def test_the_windows_apply_only_when_no_rule_spans_a_person_s_whole_horizon() -> None:
    p = residency()
    assert horizon.applies(p)
    assert not horizon.applies(replace(p, horizon=20, cover=(), requests=()))
    for change in (
        {"max_shifts": {"call": 3}},
        {"max_total_minutes": 100 * H},
        {"max_weekends": 2},
        {"min_consecutive_work": 2},
    ):
        persons = (replace(p.persons[0], **change), *p.persons[1:])
        assert not horizon.applies(replace(p, persons=persons))


def test_solve_works_a_long_horizon_in_spans_and_reports_the_checker_s_penalties(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(solve_module, "WINDOWS_MIN_ASSIGNMENTS", 100)
    p = residency(seed=1)
    points: list[ProgressPoint] = []
    # time enough for both spans' rounds to converge (the bound below) on a slower machine:
    # each takes about 4.5 s on one thread here, and CI's machine once needed more than the
    # 12 s this test had
    sol = solve(p, time_limit=30.0, num_workers=2, on_progress=points.append)
    assert sol.strategy[:2] == ["spans", "repair"]
    assert "windows" not in sol.strategy  # the spans' roster, repaired
    assert sol.feasible
    report = check(p, sol.roster)
    assert report.feasible
    assert sol.objective == report.objective
    assert sorted((c.rule, c.person, c.day, c.cost) for c in sol.penalties) == sorted(
        (v.rule, v.person, v.day, v.cost) for v in report.soft if v.cost
    )
    assert sol.first_feasible_s is not None
    assert points and points[-1].objective == sol.objective
    # the spans' bound (its own tests: test_roster_spans.py), and the gap to it
    assert sol.bound is not None and 0 < sol.bound <= sol.objective
    assert sol.gap is not None


def test_a_long_horizon_whose_seams_cannot_be_repaired_is_built_forwards(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(solve_module, "WINDOWS_MIN_ASSIGNMENTS", 100)
    monkeypatch.setattr(solve_module.spans, "repair", lambda *args: None)
    p = residency(seed=1)
    sol = solve(p, time_limit=12.0, num_workers=1)
    assert "windows" in sol.strategy
    assert sol.feasible and sol.objective is not None and check(p, sol.roster).feasible
    assert sol.bound is None or sol.bound <= sol.objective
