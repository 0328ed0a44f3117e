"""Solving whole programs: a generated program, infeasibility explanations, repair after a
change, alternative schedules, the greedy baseline and the resident-decomposed search."""

from __future__ import annotations

from dataclasses import replace

import pytest

from benchmarks.generator import generate
from benchmarks.greedy import greedy
from meded.engine.blocks import Limits, cpsat, portfolio
from meded.engine.blocks import solve as solve_blocks
from meded.engine.blocks.check import check
from meded.engine.blocks.cpsat import Result, alternatives, explain, repair, solve
from meded.engine.blocks.lns import (
    _fits,
    _Index,
    can_cover,
    freeze_outside,
    short_cells,
    solve_decomposed,
    tightness,
)
from meded.engine.blocks.model import (
    Calendar,
    CoverageRule,
    Equity,
    Fairness,
    Preference,
    Prerequisite,
    Problem,
    Requirement,
    Resident,
    Rotation,
    SiteChange,
    Unit,
    VacationRequest,
    Waiting,
    sel,
)


def test_a_generated_program_gets_a_schedule_the_checker_accepts() -> None:
    p = generate(residents=60, seed=3)
    res = solve(p, time_limit=8, workers=2)
    assert res.feasible
    rep = check(p, res.schedule)
    assert rep.ok, rep.violations[:5]
    assert res.objective is not None and rep.objective <= res.objective
    assert res.first_feasible_s is not None and res.progress


def micu_program(approved: int) -> Problem:
    interns = tuple(Resident(f"i{k}", 1) for k in range(6))
    micu = Rotation(
        "micu",
        "MICU",
        "icu",
        coverage=(CoverageRule(min=6, max=6, role="intern", blocks=frozenset({3})),),
    )
    return Problem(
        Calendar(5),
        interns,
        (micu, Rotation("el", "Elective", "elective"), Rotation("vac", "Vacation", "vacation")),
        vacation_requests=tuple(
            VacationRequest(f"v{k}", f"i{k}", frozenset({3}), approved=True)
            for k in range(approved)
        ),
        requirements=(Requirement("vac", sel(categories=["vacation"]), max=1),),
    )


def test_an_infeasible_program_is_explained_by_the_rules_that_clash() -> None:
    ex = explain(micu_program(approved=1), time_limit=10)
    assert not ex.feasible
    assert sorted(ex.keys) == ["coverage:micu:intern:0:3", "vacation:v0"]
    text = " ".join(ex.conflicts)
    assert "MICU needs at least 6 and at most 6 interns in block 3" in text
    assert "only 5 interns may work MICU that block" in text
    assert "i0 has approved vacation in block(s) 3" in text


def test_a_feasible_program_needs_no_explanation() -> None:
    ex = explain(micu_program(approved=0), time_limit=10)
    assert ex.feasible and ex.conflicts == []


def test_repair_keeps_the_past_and_changes_few_future_assignments() -> None:
    p = generate(residents=40, seed=2)
    first = solve(p, time_limit=5)
    assert first.feasible
    who = next(r for r in p.residents if r.pgy == 2 and not r.pins and not r.unavailable)
    leave = frozenset({14, 15})
    changed = replace(
        p,
        residents=tuple(
            replace(r, unavailable=r.unavailable | leave) if r.id == who.id else r
            for r in p.residents
        ),
        vacation_requests=tuple(v for v in p.vacation_requests if v.resident != who.id),
        _cache={},
    )
    fixed = repair(changed, first.schedule, from_block=10, time_limit=10)
    assert fixed.result.feasible
    new = fixed.result.schedule
    assert check(changed, new).ok
    for r in p.residents:
        for b in range(10):
            assert new[r.id].get(b) == first.schedule[r.id].get(b)
    assert 14 not in new[who.id] and 15 not in new[who.id]
    assert 2 <= fixed.changes <= 40  # the two leave blocks at least, far from a re-plan
    replanned = sum(
        1
        for r in p.residents
        for b in range(10, 26)
        if first.schedule[r.id].get(b) != new[r.id].get(b)
    )
    assert replanned == fixed.changes


def test_alternatives_are_different_good_schedules() -> None:
    rs = tuple(Resident(f"r{k}", 1) for k in range(3))
    rots = (
        Rotation("nf", "Nights", "night_float", coverage=(CoverageRule(min=1, max=1),)),
        Rotation("el", "Elective", "elective"),
    )
    p = Problem(
        Calendar(3), rs, rots, preferences=tuple(Preference(r.id, sel(["el"]), 1) for r in rs)
    )
    alts = alternatives(p, n=3, within_pct=0, min_diff=2, time_limit=5)
    assert len(alts) == 3
    scheds = [a.schedule for a in alts]
    assert all(a.objective == alts[0].objective for a in alts)
    for i in range(3):
        for j in range(i):
            diff = sum(
                1 for r in rs for b in range(3) if scheds[i][r.id].get(b) != scheds[j][r.id].get(b)
            )
            assert diff >= 2


def test_the_greedy_baseline_is_scored_by_the_same_checker() -> None:
    p = generate(residents=40, seed=1)
    sched = greedy(p)
    rep = check(p, sched)
    assert all(len(row) for row in sched.values())
    for v in rep.violations:  # a greedy pass may leave some: each is named and measured
        assert v.rule and v.measured != v.limit and v.message
    res = solve(p, time_limit=5)
    assert res.objective is not None and check(p, res.schedule).ok
    if rep.ok:
        assert res.objective <= rep.objective


def test_resident_decomposed_search_finds_a_checked_schedule() -> None:
    rs = tuple(Resident(f"r{k}", 1 + k % 2) for k in range(6))
    rots = (
        Rotation("icu", "ICU", "icu", coverage=(CoverageRule(min=2, max=3),)),
        Rotation("el", "Elective", "elective"),
    )
    p = Problem(
        Calendar(4),
        rs,
        rots,
        preferences=tuple(Preference(r.id, sel(["el"]), 1 + k) for k, r in enumerate(rs)),
    )
    res = solve_decomposed(p, time_limit=6, group=3, sub_time=0.5)
    assert res.feasible and check(p, res.schedule).ok
    best = solve(p, time_limit=5)
    assert best.objective is not None and res.objective is not None
    assert res.objective >= best.objective


def test_freezing_outside_a_window_pins_stints_and_makes_idle_blocks_unavailable() -> None:
    rots = (Rotation("a", "A", "wards", length=2), Rotation("b", "B", "wards"))
    p = Problem(Calendar(8), (Resident("r", 1, unavailable=frozenset({7})),), rots)
    row = {0: "a", 1: "a", 3: "b", 5: "a", 6: "a"}
    r = freeze_outside(p, p.residents[0], row, 3, 4)
    assert dict(r.pins) == {0: "a", 1: "a", 5: "a", 6: "a"}  # the stint in block 3 is free
    assert r.unavailable == frozenset({2, 7})  # idle outside the window; 4 stays open


def test_tightness_puts_residents_whose_requirements_fill_their_year_first() -> None:
    rs = (Resident("busy", 1, unavailable=frozenset({2, 3})), Resident("easy", 1))
    p = Problem(
        Calendar(4),
        rs,
        (Rotation("w", "W", "wards"),),
        full_assignment=False,
        requirements=(Requirement("two", sel(["w"]), min=2, max=2),),
    )
    assert tightness(p, rs[0]) == 1.0 and tightness(p, rs[1]) == 0.5


def test_short_cells_are_the_blocks_below_a_hard_staffing_minimum() -> None:
    icu = Rotation("icu", "ICU", "icu", coverage=(CoverageRule(min=2, max=3),))
    p = Problem(Calendar(2), (Resident("a", 1), Resident("b", 1)), (icu,))
    assert short_cells(p, {"a": {0: "icu", 1: "icu"}, "b": {1: "icu"}}) == [("icu", 0, 1)]


def test_can_cover_says_whether_a_resident_s_own_rules_allow_a_block() -> None:
    rots = (Rotation("basic", "Basic", "wards"), Rotation("adv", "Advanced", "wards"))
    p = Problem(
        Calendar(3),
        (Resident("r", 1),),
        rots,
        full_assignment=False,
        prerequisites=(Prerequisite("basic_first", sel(["adv"]), sel(["basic"])),),
    )
    index = _Index(p)
    cache: dict[tuple[str, str, int], bool] = {}
    assert not can_cover(index, "r", "adv", 0, cache)  # nothing can come before block 0
    assert can_cover(index, "r", "adv", 1, cache)
    assert cache == {("r", "adv", 0): False, ("r", "adv", 1): True}


def test_the_decomposed_search_meets_minimums_prerequisites_and_exact_counts() -> None:
    rs = tuple(Resident(f"r{k}", 1, unavailable=frozenset({k % 4})) for k in range(8))
    rots = (
        Rotation("a", "A", "wards", site="s1", length=2, coverage=(CoverageRule(min=1, max=3),)),
        Rotation("b", "B", "wards", site="s2", length=2, coverage=(CoverageRule(min=1, max=3),)),
        Rotation("c", "C", "wards", site="s1", length=2, coverage=(CoverageRule(max=2),)),
    )
    p = Problem(
        Calendar(8),
        rs,
        rots,
        full_assignment=False,
        requirements=(
            Requirement("two", sel(categories=["wards"]), min=2, max=2, unit=Unit.STINTS),
        ),
        prerequisites=(Prerequisite("a_first", sel(["c"]), sel(["a"])),),
        preferences=tuple(Preference(r.id, sel(["c"]), 3) for r in rs),
        site_changes=tuple(SiteChange(r.id, 1) for r in rs),
        waiting=tuple(Waiting(r.id, 1) for r in rs),
        equity=(Equity("worst", 1),),
    )
    res = solve_decomposed(p, time_limit=4, group=3, sub_time=0.3)
    rep = check(p, res.schedule)
    assert res.feasible and rep.ok, rep.violations[:3]
    assert res.objective == rep.objective and res.first_feasible_s is not None


def test_a_complete_hint_sets_every_variable_and_an_infeasible_one_falls_back_to_starts() -> None:
    from meded.engine.blocks.cpsat import add_complete_hint
    from meded.engine.blocks.rules import build, objective_expr

    rs = tuple(Resident(f"r{k}", 1) for k in range(3))
    icu = Rotation("icu", "ICU", "icu", coverage=(CoverageRule(min=1, max=1),))
    p = Problem(
        Calendar(3),
        rs,
        (icu, Rotation("el", "Elective", "elective")),
        preferences=tuple(Preference(r.id, sel(["el"]), 2) for r in rs),
        site_changes=tuple(SiteChange(r.id, 1) for r in rs),
        equity=(Equity("worst", 1),),
    )
    good = {f"r{k}": {b: ("icu" if b == k else "el") for b in range(3)} for k in range(3)}
    ctx = build(p)
    ctx.model.minimize(objective_expr(ctx))
    assert add_complete_hint(ctx, good, 5.0)
    assert len(ctx.model.proto.solution_hint.vars) == len(ctx.model.proto.variables)
    bad = {r.id: {b: "icu" for b in range(3)} for r in rs}  # three on a one-place ICU
    ctx = build(p)
    ctx.model.minimize(objective_expr(ctx))
    assert not add_complete_hint(ctx, bad, 5.0)
    assert len(ctx.model.proto.solution_hint.vars) == len(ctx.start)
    res = solve(p, time_limit=5, hint=good, complete_hint=True)
    assert res.status == "OPTIMAL" and check(p, res.schedule).ok


def test_a_placement_fits_only_while_every_staffing_maximum_holds() -> None:
    icu = Rotation("icu", "ICU", "icu", coverage=(CoverageRule(max=1, blocks=frozenset({0})),))
    p = Problem(Calendar(2), (Resident("a", 1), Resident("b", 1)), (icu,))
    assert _fits(p, {"a": {0: "icu"}, "b": {}}, "b", {1: "icu"})
    assert not _fits(p, {"a": {0: "icu"}, "b": {}}, "b", {0: "icu"})
    assert _fits(p, {"a": {0: "icu"}, "b": {}}, "a", {0: "icu"})  # its own place


def test_the_entry_point_solves_a_residency_with_the_full_model_and_times_from_the_call() -> None:
    rs = tuple(Resident(f"r{k}", 1 + k % 2) for k in range(6))
    rots = (
        Rotation("icu", "ICU", "icu", coverage=(CoverageRule(min=2, max=3),)),
        Rotation("el", "Elective", "elective"),
        Rotation("wards", "Wards", "wards", coverage=(CoverageRule(min=1),)),
    )
    p = Problem(
        Calendar(6),
        rs,
        rots,
        preferences=tuple(Preference(r.id, sel(["el"]), 1 + k) for k, r in enumerate(rs)),
        fairness=(Fairness("icu", "blocks", 3, sel(["icu"])),),
    )
    seen: list[float] = []
    res = solve_blocks(p, Limits(seconds=6), progress=lambda pr: seen.append(pr.wall_s))
    assert res.strategy == "cp-sat"  # fairness spans residents: the full model
    assert res.feasible and check(p, res.schedule).ok
    assert res.objective is not None and res.first_feasible_s is not None
    assert res.objective == check(p, res.schedule).objective
    assert seen == sorted(seen)
    # times are from the call, model building included
    assert res.best_s is not None and res.first_feasible_s <= res.best_s <= res.wall_s


def test_a_large_program_is_searched_by_the_neighbourhoods_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    small, big = generate(residents=100, seed=1), generate(residents=300, seed=1)
    assert portfolio.strategy(small) == "cp-sat"
    assert portfolio.strategy(big) == "cp-sat-neighbourhoods"
    seen: list[dict[str, object]] = []

    def fake(problem: Problem, **kw: object) -> Result:
        params = kw["params"]
        assert isinstance(params, dict)
        seen.append(params)
        return Result("UNKNOWN", {}, None, None, None, None, 0.0, 2)

    monkeypatch.setattr(cpsat, "solve", fake)
    for p in (small, big):
        assert solve_blocks(p, Limits(seconds=1)).strategy == portfolio.strategy(p)
    assert "use_lns_only" not in seen[0]
    assert seen[1]["use_lns_only"] is True
    assert seen[1]["max_presolve_iterations"] == 0  # on top of the strategy's own
