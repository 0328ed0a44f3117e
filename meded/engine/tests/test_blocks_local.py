"""The annealing local search over stints (meded.engine.blocks.local): which problems it
takes, that its move-by-move scoring agrees with the checker, that it keeps every hard rule
once it has a schedule that keeps them, and that the staged search uses it."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from benchmarks.formats import mss
from benchmarks.generator import generate
from benchmarks.tests.test_mss_format import TOY
from meded.engine.blocks import Limits, lns, local
from meded.engine.blocks import solve as solve_blocks
from meded.engine.blocks.check import check
from meded.engine.blocks.cpsat import Result, solve
from meded.engine.blocks.lns import hard_only
from meded.engine.blocks.model import (
    Calendar,
    CoverageRule,
    Equity,
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
    Wish,
    sel,
    who,
)


def clinic_program() -> Problem:
    """Six residents, ten blocks, every rule kind the local search scores: staffing minimums
    per role (one soft), stint and block requirements (one over residency with history),
    a prerequisite, per-stint preferences, a wish, vacation requests (one approved), site
    changes, waiting, the worst-off resident's score and a pinned block."""
    rots = (
        Rotation(
            "wa",
            "Wards A",
            "wards",
            site="a",
            discipline="wards",
            length=2,
            coverage=(CoverageRule(min=1, max=2, role="intern", blocks=frozenset({2, 3, 6})),),
        ),
        Rotation(
            "wb",
            "Wards B",
            "wards",
            site="b",
            discipline="wards",
            length=2,
            coverage=(CoverageRule(min=1, max=3),),
        ),
        Rotation(
            "icu",
            "ICU",
            "icu",
            site="a",
            coverage=(CoverageRule(min=1, max=2, blocks=frozenset({4, 5}), weight=7),),
        ),
        Rotation("cl", "Clinic", "ambulatory", site="b", coverage=(CoverageRule(max=2),)),
        Rotation("el", "Elective", "elective", site="c"),
        Rotation("vac", "Vacation", "vacation", site="c"),
    )
    residents = tuple(
        Resident(
            f"r{i}",
            pgy=1 if i < 3 else 2,
            history=(("icu", 2),) if i == 5 else (),
            unavailable=frozenset({9}) if i == 1 else frozenset(),
            pins=((0, "cl"),) if i == 2 else (),
        )
        for i in range(6)
    )
    return Problem(
        Calendar(10),
        residents,
        rots,
        full_assignment=False,
        requirements=(
            Requirement("wards", sel(categories=["wards"]), min=1, max=2, unit=Unit.STINTS),
            Requirement("icu", sel(rotations=["icu"]), min=1, max=3, scope="residency"),
            Requirement("busy", sel(), min=5, max=8, unit=Unit.BLOCKS),
            Requirement("el", sel(rotations=["el"]), max=1, weight=4, unit=Unit.STINTS),
        ),
        prerequisites=(Prerequisite("icu_after_wards", sel(rotations=["icu"]), sel(["wa", "wb"])),),
        vacation_requests=(
            VacationRequest("v0", "r0", frozenset({8}), approved=True),
            VacationRequest("v3", "r3", frozenset({1, 2}), weight=6),
        ),
        preferences=tuple(
            Preference(f"r{i}", sel(rotations=[k]), w)
            for i in range(6)
            for k, w in (("el", 5 + i), ("wb", 3), ("cl", i % 3))
        ),
        wishes=(Wish("w4", "r4", sel(rotations=["icu"]), not_before=5, weight=3),),
        site_changes=tuple(SiteChange(f"r{i}", 2) for i in range(6)),
        waiting=tuple(Waiting(f"r{i}", 1) for i in range(6)),
        equity=(Equity("worst", 1, who=who(pgys=[1, 2])),),
        roles=((1, "intern"),),
    )


def test_it_takes_only_problems_whose_rules_it_scores() -> None:
    assert local.supports(clinic_program())
    assert local.supports(mss.to_problem(mss.parse_dzn(TOY, "toy")))
    # a residency year: every block assigned, fairness, templates ... are not scored here
    assert not local.supports(generate(residents=20, seed=1))
    assert not local.supports(replace(clinic_program(), full_assignment=True, _cache={}))


def test_its_move_by_move_scoring_agrees_with_the_checker() -> None:
    p = clinic_program()
    start = solve(p, time_limit=10, workers=2)
    assert start.feasible
    out = local.improve(p, start.schedule, time_limit=0.5, seed=3, temperature=20.0)
    rep = check(p, out.schedule)
    assert out.hard == 0 and rep.ok, rep.violations[:3]
    # the search's running total, kept by deltas, is the checker's objective of its best
    assert out.progress[-1][1] == rep.objective == out.objective
    assert out.objective <= check(p, start.schedule).objective
    assert out.moves > 0


def test_a_staffing_change_is_priced_as_the_counts_after_it() -> None:
    # the search prices a move's staffing without applying it: the price must be the
    # difference the checker's cell costs would see, for every kind of coverage rule
    p = clinic_program()
    ix = local._Index(p)
    state = local._State(ix, {})
    rng = random.Random(5)
    n_roles = max(ix.role) + 1
    for _ in range(500):
        k, b = rng.randrange(len(ix.rot_ids)), rng.randrange(ix.n)
        role, dv = rng.randrange(n_roles), rng.choice((-1, 1))
        per_role = [rng.randrange(4) for _ in range(n_roles)]
        for r in range(n_roles):
            state.rcnt[k][r][b] = per_role[r]
        state.cnt[k][b] = sum(per_role)
        if per_role[role] + dv < 0:
            continue
        before = state.cell_costs(k, b)
        priced = state.cell_change(k, b, role, dv)
        state.cnt[k][b] += dv
        state.rcnt[k][role][b] += dv
        after = state.cell_costs(k, b)
        assert priced == (after[0] - before[0], after[1] - before[1]), (k, b, role, dv)


def test_it_keeps_every_hard_rule_and_the_pinned_block_once_it_has_them() -> None:
    p = clinic_program()
    start = solve(hard_only(p), time_limit=10, workers=2, params={})
    assert start.feasible and check(p, start.schedule).ok
    for seed in range(3):
        out = local.improve(p, start.schedule, time_limit=0.3, seed=seed, temperature=50.0)
        rep = check(p, out.schedule)
        assert rep.ok, rep.violations[:3]
        assert out.schedule["r2"][0] == "cl"


def test_from_nothing_it_works_the_hard_rules_down_on_the_toy() -> None:
    inst = mss.parse_dzn(TOY, "toy")
    p = mss.to_problem(inst)
    out = local.improve(p, {}, time_limit=0.5, seed=1)
    assert out.hard == 0
    score = mss.evaluate(inst, mss.grid_of(out.schedule, inst))
    assert score.violations == []
    assert score.objective == -out.objective
    assert score.objective >= 32  # at least the hand-made solution's score


def test_parallel_runs_return_the_best_schedule_that_keeps_the_rules() -> None:
    p = clinic_program()
    start = solve(hard_only(p), time_limit=10, workers=2, params={})
    out = local.improve_parallel(p, start.schedule, time_limit=3.0, workers=2, seed=1)
    assert out.hard == 0 and check(p, out.schedule).ok
    assert out.objective <= check(p, start.schedule).objective


def test_each_round_of_parallel_runs_starts_from_the_best_schedule_so_far() -> None:
    p = clinic_program()
    start = solve(hard_only(p), time_limit=10, workers=2, params={})
    first = check(p, start.schedule).objective
    out = local.improve_parallel(p, start.schedule, time_limit=3.0, workers=2, seed=2, rounds=3)
    assert out.hard == 0 and check(p, out.schedule).objective == out.objective
    # the progress of the best run of every round, in time order; no round starts from a
    # schedule worse than the best of the rounds before it, and the last value is the result
    times = [at for at, _ in out.progress]
    assert times == sorted(times) and times[-1] <= 3.5
    values = [v for _, v in out.progress]
    assert values[0] == first and values[-1] == out.objective == min(values)
    assert out.improved_at is None or out.improved_at <= 3.5
    assert out.moves > 0


def test_the_entry_point_anneals_student_schedules() -> None:
    inst = mss.parse_dzn(TOY, "toy")
    seen: list[float] = []
    res = solve_blocks(
        mss.to_problem(inst),
        Limits(seconds=3, workers=1),
        progress=lambda pr: seen.append(pr.wall_s),
    )
    assert res.strategy == "anneal"
    assert res.feasible and res.objective is not None and seen
    score = mss.evaluate(inst, mss.grid_of(res.schedule, inst))
    assert score.violations == []
    assert score.objective == -res.objective >= 32


def test_without_a_first_schedule_it_tries_the_fallback_only_when_time_is_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the first-schedule race found nothing; the decomposed search that would follow needs
    # time to build its models, so with little time left the answer is "none yet", on time
    calls: list[float] = []

    def no_first(problem: Problem, time_limit: float, *args: object) -> Result:
        return Result("UNKNOWN", {}, None, None, None, None, time_limit, 2)

    def fallback(problem: Problem, time_limit: float, **kw: object) -> Result:
        calls.append(time_limit)
        return Result("UNKNOWN", {}, None, None, None, None, time_limit, 2)

    monkeypatch.setattr(lns, "first_schedule", no_first)
    monkeypatch.setattr(lns, "solve_decomposed", fallback)
    p = mss.to_problem(mss.parse_dzn(TOY, "toy"))
    out = lns.solve_annealed(p, time_limit=lns.FALLBACK_MIN_SECONDS - 0.5, workers=2)
    assert not out.feasible and out.status == "UNKNOWN" and calls == []
    out = lns.solve_annealed(p, time_limit=lns.FALLBACK_MIN_SECONDS + 5, workers=2)
    assert len(calls) == 1 and calls[0] > lns.FALLBACK_MIN_SECONDS


def two_residents(waiting: bool) -> Problem:
    """Two residents who must each do exactly one stint, two rotations of one place each;
    block 3 needs somebody on x. With ``waiting``, r0's idle blocks before its stint cost
    10 each (r1's cost nothing); without, each prefers the rotation the other one has."""
    rots = (
        Rotation(
            "x",
            "X",
            "wards",
            site="a",
            coverage=(CoverageRule(max=1), CoverageRule(min=1, blocks=frozenset({3}))),
        ),
        Rotation("y", "Y", "wards", site="a", coverage=(CoverageRule(max=1),)),
    )
    return Problem(
        Calendar(4),
        (Resident("r0", pgy=1), Resident("r1", pgy=1)),
        rots,
        full_assignment=False,
        requirements=(Requirement("one", sel(), min=1, max=1, unit=Unit.STINTS),),
        waiting=(Waiting("r0", 10),) if waiting else (),
        preferences=()
        if waiting
        else (Preference("r0", sel(rotations=["y"]), 5), Preference("r1", sel(rotations=["x"]), 5)),
    )


def test_it_trades_a_late_stint_to_someone_free_then_to_cut_waiting() -> None:
    # r0 covers block 3 and waits three blocks for it; nobody can leave that cell alone
    # and nobody can take a second stint: only a trade of stints between them helps
    p = two_residents(waiting=True)
    start = {"r0": {3: "x"}, "r1": {0: "y"}}
    assert check(p, start).ok and check(p, start).objective == 30
    out = local.improve(p, start, time_limit=0.3, seed=1, temperature=5.0)
    assert out.hard == 0 and out.objective == 0
    assert out.schedule["r1"] == {3: "x"}


def test_it_exchanges_stints_that_start_together_when_both_rotations_are_full() -> None:
    p = two_residents(waiting=False)
    start = {"r0": {3: "x"}, "r1": {3: "y"}}
    assert check(p, start).ok and check(p, start).objective == 0
    out = local.improve(p, start, time_limit=0.3, seed=1, temperature=5.0)
    assert out.hard == 0 and out.objective == -10
    assert set(out.schedule["r0"].values()) == {"y"} and out.schedule["r1"] == {3: "x"}


def test_it_closes_a_one_block_gap_with_a_partner_moving_the_other_way() -> None:
    # two-block stints: r0 idles in block 2 before its stint of a; block 2 of a takes one
    # resident and block 4 needs one, so r0 can move a block earlier only if r1 moves a
    # block later at once (which costs r1 one idle block: no way there one move at a time
    # when the temperature allows no worse move)
    rots = (
        Rotation(
            "a",
            "A",
            "wards",
            site="h",
            length=2,
            coverage=(
                CoverageRule(max=1, blocks=frozenset({2})),
                CoverageRule(min=1, blocks=frozenset({4})),
            ),
        ),
        Rotation("b", "B", "clinic", site="h", length=2),
    )
    p = Problem(
        Calendar(5),
        (Resident("r0", pgy=1), Resident("r1", pgy=1)),
        rots,
        full_assignment=False,
        requirements=(
            Requirement("a", sel(rotations=["a"]), min=1, max=1, unit=Unit.STINTS),
            Requirement("b", sel(rotations=["b"]), min=1, max=1, unit=Unit.STINTS),
        ),
        waiting=(Waiting("r0", 10), Waiting("r1", 1)),
    )
    start = {"r0": {0: "b", 1: "b", 3: "a", 4: "a"}, "r1": {0: "b", 1: "b", 2: "a", 3: "a"}}
    assert check(p, start).ok and check(p, start).objective == 10
    out = local.improve(p, start, time_limit=0.3, seed=1, temperature=0.01)
    assert out.hard == 0 and out.objective == 1
    assert sorted(out.schedule["r0"]) == [0, 1, 2, 3]  # no idle block any more
    assert out.schedule["r1"][4] == "a"  # r1 covers block 4 now
