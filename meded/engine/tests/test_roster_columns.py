"""Column generation for rosters: pricing, the relaxation's bound, the dive, and its place in
the search."""

from __future__ import annotations

import random
import time
from dataclasses import replace
from typing import Any

import pytest
from ortools.sat.python import cp_model

from benchmarks.formats.curtois import evaluate, parse_text, to_problem
from benchmarks.tests.test_curtois_format import TINY
from meded.engine.roster import (
    CoverRequirement,
    Fairness,
    Person,
    RosterProblem,
    ShiftRequest,
    ShiftType,
    lns,
    solve,
)
from meded.engine.roster import columns as cg
from meded.engine.roster.construct import person_by_person
from meded.engine.roster.rules import build_model
from meded.engine.roster.solve import _guided, _Progress
from meded.engine.tests.test_roster_search import E, one_shift_each


def tiny() -> RosterProblem:
    return to_problem(parse_text(TINY, "tiny"))


def optimum(problem: RosterProblem) -> int:
    sol = solve(problem, time_limit=20, num_workers=1, lns=False, construct=False)
    assert sol.status == "OPTIMAL"
    assert sol.objective is not None
    return sol.objective


def test_a_persons_own_cost_is_what_their_own_model_charges() -> None:
    # people with no hard rules of their own, so that any schedule is one of theirs
    problem = tiny()
    problem = replace(
        problem,
        persons=tuple(Person(p.id) for p in problem.persons),
        forbidden_successions=frozenset(),
    )
    rng = random.Random(3)
    for person in problem.persons:
        people = cg.person_models(problem)
        rm = people[person.id].rm
        for _ in range(5):
            column = tuple(
                sorted((d, rng.choice(("E", "L"))) for d in range(14) if rng.random() < 0.5)
            )
            model = rm.model.clone()
            worked = dict(column)
            for (_pid, d, sid), var in rm.x.items():
                model.add(var == int(worked.get(d) == sid))
            model.minimize(rm.objective())
            solver = cp_model.CpSolver()
            assert solver.solve(model) == cp_model.OPTIMAL
            assert cg.own_cost(problem, person.id, column) == round(solver.objective_value)


def test_pricing_finds_a_schedule_worth_more_than_the_persons_dual() -> None:
    problem = one_shift_each()
    people = cg.person_models(problem)
    # cover on day 1 is worth 100 to the roster; A's dual says A's current column is worth 0
    rel = cg.Relaxation(0.0, {(0, "E"): 0.0, (1, "E"): 100.0}, {"A": 0.0, "B": 0.0})
    found, exact = cg.price(people["A"], "A", rel, 5.0, 0)
    assert exact
    assert found[0][0] == ((1, "E"),)
    assert found[0][2] == -100.0


def test_pricing_keeps_to_the_days_a_dive_fixed() -> None:
    problem = one_shift_each()
    people = cg.person_models(problem)
    people["A"].fixed[1] = None  # A is off on day 1
    rel = cg.Relaxation(0.0, {(0, "E"): 0.0, (1, "E"): 100.0}, {"A": 1.0, "B": 0.0})
    found, _exact = cg.price(people["A"], "A", rel, 5.0, 0)
    assert [column for column, _cost, _rc in found] == [((0, "E"),)]


def test_the_converged_relaxation_is_a_bound_no_roster_beats() -> None:
    problem = tiny()
    start = person_by_person(problem, budget=2.0, deadline=time.perf_counter() + 60)
    assert start is not None
    roster, bound = cg.from_roster(
        problem, start, time.perf_counter() + 60, time.perf_counter() + 60, workers=2
    )
    assert bound is not None
    best = optimum(problem)
    assert bound <= best + 1e-6
    # on this toy the relaxation is tight: the bound is within one unit of the optimum
    assert best - bound < 1.0
    assert roster is not None
    values = [int(roster.get(pid, {}).get(d) == sid) for (pid, d, sid) in build_model(problem).x]
    assert sum(values) == sum(len(days) for days in roster.values())


def test_the_dive_ends_in_a_roster_that_keeps_every_hard_rule() -> None:
    inst = parse_text(TINY, "tiny")
    problem = to_problem(inst)
    start = person_by_person(problem, budget=2.0, deadline=time.perf_counter() + 60)
    assert start is not None
    roster, _bound = cg.from_roster(
        problem, start, time.perf_counter() + 60, time.perf_counter() + 60, workers=1
    )
    assert roster is not None
    ev = evaluate(inst, roster)
    assert ev.feasible, ev.violations
    assert ev.objective <= evaluate(inst, start).objective


def test_an_undone_step_brings_back_the_columns_it_switched_off() -> None:
    problem = one_shift_each()
    lp = cg.MasterLp(problem)
    lp.add("A", ((0, "E"),), 0)
    lp.add("A", ((1, "E"),), 0)
    lp.add("B", ((0, "E"),), 0)
    lp.add("B", ((1, "E"),), 0)
    first = lp.solve()
    assert first is not None and first.objective == 0.0
    lp.fix_cell("A", 0, "E")
    lp.fix_cell("B", 0, "E")
    fixed = lp.solve()
    assert fixed is not None and fixed.objective == 101.0  # day 1 short, day 0 one over
    lp.unfix_cells([("B", 0)])
    again = lp.solve()
    assert again is not None and again.objective == 0.0


def test_column_generation_prices_fairness_but_not_a_reward_for_spread() -> None:
    problem = one_shift_each()
    assert cg.applies(problem)
    assert cg.applies(replace(problem, fairness=(Fairness("nights", ("A", "B"), 1),)))
    assert not cg.applies(replace(problem, fairness=(Fairness("nights", ("A", "B"), -1),)))
    assert not cg.applies(replace(problem, cover=()))


def test_a_hard_cover_limit_is_kept_by_the_rosters_the_search_returns() -> None:
    problem = RosterProblem(
        horizon=3,
        shifts=(E,),
        persons=tuple(Person(x, max_total_minutes=2 * 480) for x in "ABC"),
        cover=tuple(
            CoverRequirement(d, "E", minimum=2, target=3, under_weight=5) for d in range(3)
        ),
    )
    sol = solve(problem, time_limit=10, num_workers=1, construct=True)
    assert sol.feasible
    for d in range(3):
        assert sum(d in days for days in sol.roster.values()) >= 2
    assert sol.objective == 3 * 5  # three short of the target, the hard minimum kept


def test_solve_reports_the_columns_bound_and_stops_at_it() -> None:
    problem = tiny()
    sol = solve(problem, time_limit=30, num_workers=2, construct=True)
    assert sol.status == "OPTIMAL"
    assert sol.objective == optimum(problem)
    assert sol.bound is not None and sol.bound >= sol.objective - 1e-6


def test_pricing_picks_the_day_the_relaxation_values_most() -> None:
    problem = one_shift_each(horizon=4)
    people = cg.person_models(problem)
    rel = cg.Relaxation(0.0, {(d, "E"): float(d) for d in range(4)}, {"A": 0.0, "B": 0.0})
    found, exact = cg.price(people["A"], "A", rel, 5.0, 0)
    assert exact
    assert found[0][0] == ((3, "E"),)


def test_a_dives_cost_is_the_cost_of_its_roster() -> None:
    inst = parse_text(TINY, "tiny")
    problem = to_problem(inst)
    start = person_by_person(problem, budget=2.0, deadline=time.perf_counter() + 60)
    assert start is not None
    pool = cg.Pool()
    for person in problem.persons:
        column = tuple(sorted(start.get(person.id, {}).items()))
        pool.add(person.id, column, cg.own_cost(problem, person.id, column))
    gen = cg.ColumnGeneration(problem, pool, workers=1)
    gen.converge(time.perf_counter() + 60)
    found = gen.dives(time.perf_counter() + 60, seed=1, most=3)
    assert found is not None
    roster, cost = found
    assert evaluate(inst, roster).objective == round(cost)


def test_a_person_off_every_day_starts_with_the_empty_schedule() -> None:
    problem = RosterProblem(
        horizon=2,
        shifts=(E,),
        persons=(Person("A", max_total_minutes=480), Person("B", max_total_minutes=0)),
        cover=tuple(CoverRequirement(d, "E", target=1, under_weight=10) for d in range(2)),
    )
    roster, bound = cg.from_roster(
        problem, {"A": {0: "E"}}, time.perf_counter() + 30, time.perf_counter() + 30, workers=1
    )
    assert bound == 10.0  # one day short whatever A does
    assert roster is not None and roster.get("B", {}) == {}


def test_nothing_is_built_when_no_time_is_left() -> None:
    past = time.perf_counter() - 1
    assert cg.from_roster(tiny(), {}, past, past) == (None, None)


def test_the_sure_days_are_the_days_the_relaxation_gives_in_full() -> None:
    problem = one_shift_each()
    gen = cg.ColumnGeneration(problem, cg.Pool(), workers=1)
    gen.add_roster({"A": {0: "E"}, "B": {1: "E"}})
    gen.add_roster({"A": {1: "E"}, "B": {0: "E"}})
    gen.relaxation = gen.lp.solve()
    assert gen.relaxation is not None
    sure = gen.sure_days()
    assert sure is not None
    # each person works one of the two days; whichever mix the LP picks, a day it is sure of
    # is one that all of that person's chosen columns agree on
    for (pid, d), sid in sure.items():
        picked = [dict(col) for (q, col), v in gen.relaxation.values.items() if q == pid]
        assert all(col.get(d) == sid for col in picked)


def test_shaking_the_costs_leaves_the_true_relaxation_in_place() -> None:
    problem = tiny()
    start = person_by_person(problem, budget=2.0, deadline=time.perf_counter() + 60)
    assert start is not None
    gen, bound = cg.start(problem, start, time.perf_counter() + 60, workers=1)
    assert gen is not None and bound is not None and gen.relaxation is not None
    before = gen.relaxation.objective
    shaken = gen.sure_days(5.0, random.Random(1))
    assert shaken is not None
    assert gen.relaxation.objective == before
    again = gen.lp.solve()
    assert again is not None and abs(again.objective - before) < 1e-6  # true costs put back


def test_guided_neighbourhoods_improve_a_poor_roster_and_keep_every_hard_rule() -> None:
    inst = parse_text(TINY, "tiny")
    problem = to_problem(inst)
    start = person_by_person(problem, budget=2.0, deadline=time.perf_counter() + 60)
    assert start is not None
    gen, bound = cg.start(problem, start, time.perf_counter() + 60, workers=2)
    assert gen is not None and bound is not None
    rm = build_model(problem)
    values = [int(start.get(pid, {}).get(d) == sid) for (pid, d, sid) in rm.x]
    cost = evaluate(inst, start).objective
    best = optimum(problem)
    assert cost > best  # the constructive start leaves room (else the test shows nothing)
    progress = _Progress(time.perf_counter(), None)
    found, objective, _bound = _guided(
        rm, gen, values, cost, bound, time.perf_counter() + 30, progress, 0.0, 2, 0
    )
    assert best <= objective < cost
    roster: dict[str, dict[int, str]] = {}
    for (pid, d, sid), v in zip(rm.x, found, strict=True):
        if v:
            roster.setdefault(pid, {})[d] = sid
    ev = evaluate(inst, roster)
    assert ev.feasible, ev.violations
    assert ev.objective == objective


def converged(problem: RosterProblem) -> cg.ColumnGeneration:
    start = person_by_person(problem, budget=2.0, deadline=time.perf_counter() + 60)
    assert start is not None
    gen, bound = cg.start(problem, start, time.perf_counter() + 60, workers=1)
    assert gen is not None and bound is not None and gen.proven
    return gen


def test_reduced_cost_fixing_never_fixes_a_day_against_the_optimum() -> None:
    problem = tiny()
    gen = converged(problem)
    assert gen.relaxation is not None
    best = solve(problem, time_limit=20, num_workers=1, lns=False, construct=False)
    assert best.status == "OPTIMAL" and best.objective is not None
    margin = len(problem.persons) * problem.horizon / (2 * cg.PRICE_SCALE)
    days = gen.fixed_days(
        best.objective - gen.relaxation.objective + margin, time.perf_counter() + 60
    )
    assert days is not None
    for (pid, d), sid in days.items():
        assert best.roster.get(pid, {}).get(d) == sid


def test_a_larger_slack_fixes_fewer_days() -> None:
    gen = converged(tiny())
    tight = gen.fixed_days(0.0, time.perf_counter() + 60)
    loose = gen.fixed_days(5.0, time.perf_counter() + 60)
    assert tight is not None and loose is not None
    assert len(loose) < len(tight)
    assert loose.items() <= tight.items()


def test_fixing_gives_up_when_out_of_time() -> None:
    gen = converged(tiny())
    assert gen.fixed_days(1.0, time.perf_counter() - 1) is None


def test_guided_neighbourhoods_prove_an_optimal_roster_optimal() -> None:
    problem = tiny()
    gen = converged(problem)
    best = solve(problem, time_limit=20, num_workers=1, lns=False, construct=False)
    assert best.status == "OPTIMAL" and best.objective is not None
    rm = build_model(problem)
    values = [int(best.roster.get(pid, {}).get(d) == sid) for (pid, d, sid) in rm.x]
    progress = _Progress(time.perf_counter(), None)
    assert gen.relaxation is not None
    weak = gen.relaxation.objective - 5  # a weaker bound than the relaxation's: the search runs
    _found, objective, bound = _guided(
        rm, gen, values, best.objective, weak, time.perf_counter() + 60, progress, 0.0, 2, 0
    )
    assert objective == best.objective
    assert bound == best.objective  # nothing better within the whole distance to the relaxation


# -- fairness in the master ---------------------------------------------------------------

DAY = ShiftType("D", start_minute=7 * 60, length_minutes=600)
NIGHT = ShiftType("N", start_minute=19 * 60, length_minutes=720, night=True)
CALL = ShiftType("C", start_minute=8 * 60, length_minutes=480, in_house_call=True)


def fair(
    seed: int, kinds: tuple[str, ...] = ("nights", "weekends", "holidays", "calls")
) -> RosterProblem:
    """Four people, two weeks of days, nights and calls, random wishes, and fairness rules
    of ``kinds`` among all four (weights that make the spreads matter)."""
    rng = random.Random(seed)
    people = tuple(
        Person(x, max_consecutive_work=4, min_total_minutes=3 * 480, max_total_minutes=8 * 600)
        for x in "ABCD"
    )
    cover = []
    for d in range(14):
        cover.append(CoverRequirement(d, "D", target=2, under_weight=10, over_weight=1))
        cover.append(CoverRequirement(d, "N", target=1, under_weight=10, over_weight=3))
        if d % 2:
            cover.append(CoverRequirement(d, "C", target=1, under_weight=5, over_weight=5))
    requests = tuple(
        ShiftRequest(
            rng.choice("ABCD"), rng.randrange(14), rng.choice("DNC"), rng.randint(1, 4), on
        )
        for on in (True, False)
        for _ in range(8)
    )
    weights = {"nights": 4, "weekends": 3, "holidays": 5, "calls": 2}
    return RosterProblem(
        horizon=14,
        shifts=(DAY, NIGHT, CALL),
        persons=people,
        cover=tuple(cover),
        forbidden_successions=frozenset({("N", "D"), ("N", "C")}),
        requests=requests,
        fairness=tuple(Fairness(k, tuple("ABCD"), weights[k]) for k in kinds),
        holidays=frozenset({2, 9, 10}),
        first_weekday=rng.randrange(7),
    )


def spread_cost(problem: RosterProblem, roster: dict[str, dict[int, str]]) -> int:
    """The fairness cost of a roster, counted here from the definitions of
    :class:`~meded.engine.roster.problem.Fairness`."""
    total = 0
    for f in problem.fairness:
        counts = []
        for pid in f.persons:
            days = roster.get(pid, {})
            if f.kind == "nights":
                counts.append(sum(problem.shift(s).night for s in days.values()))
            elif f.kind == "calls":
                counts.append(sum(problem.shift(s).in_house_call for s in days.values()))
            elif f.kind == "holidays":
                counts.append(sum(d in problem.holidays for d in days))
            else:
                counts.append(sum(any(d in days for d in w) for w in problem.weekends()))
        total += f.weight * (max(counts) - min(counts))
    return total


def test_the_relaxation_with_fairness_is_a_bound_no_roster_beats() -> None:
    for seed in (1, 2, 3):
        problem = fair(seed)
        gen = converged(problem)
        assert gen.relaxation is not None
        best = optimum(problem)
        assert gen.relaxation.objective <= best + 1e-6, seed
        # the fairness rows count: the relaxation is above the one without them
        plain = converged(replace(problem, fairness=()))
        assert plain.relaxation is not None
        assert gen.relaxation.objective > plain.relaxation.objective + 0.5, seed


def test_a_columns_counts_are_the_models_and_the_definitions() -> None:
    # A works a random schedule, B nothing: each rule's spread is A's count
    base = replace(
        fair(4),
        persons=(Person("A"), Person("B")),
        cover=(),
        requests=(),
        forbidden_successions=frozenset(),
    )
    counter = cg.Counter.of(base)
    rng = random.Random(5)
    for _ in range(5):
        column = tuple(sorted((d, rng.choice("DNC")) for d in range(14) if rng.random() < 0.5))
        roster = {"A": dict(column)}
        for kind in ("nights", "weekends", "holidays", "calls"):
            problem = replace(base, fairness=(Fairness(kind, ("A", "B"), 1),))
            rm = build_model(problem)
            model = rm.model.clone()
            for (pid, d, sid), var in rm.x.items():
                model.add(var == int(roster.get(pid, {}).get(d) == sid))
            solver = cp_model.CpSolver()
            assert solver.solve(model) == cp_model.OPTIMAL
            assert counter.count(kind, column) == round(solver.objective_value), kind
            assert counter.count(kind, column) == spread_cost(problem, roster), kind


def all_columns(horizon: int, shifts: str) -> list[cg.Column]:
    out: list[cg.Column] = [()]
    for d in range(horizon):
        out = [(*c, (d, s)) for c in out for s in shifts] + out
    return [tuple(sorted(c)) for c in out]


SMALL_POOL: tuple[tuple[str, cg.Column], ...] = (
    ("A", ((0, "N"), (1, "N"), (2, "N"))),
    ("A", ((0, "D"), (1, "D"))),
    ("B", ((0, "D"), (2, "D"))),
    ("C", ((1, "D"),)),
)


def small_fair() -> RosterProblem:
    return RosterProblem(
        horizon=3,
        shifts=(DAY, NIGHT),
        persons=tuple(Person(x) for x in "ABC"),
        cover=tuple(
            CoverRequirement(d, s, target=1, under_weight=6, over_weight=1)
            for d in range(3)
            for s in "DN"
        ),
        requests=(ShiftRequest("B", 1, "N", 2, on=False),),
        fairness=(Fairness("nights", tuple("ABC"), 10), Fairness("weekends", tuple("ABC"), 4)),
        first_weekday=4,  # days 1 and 2 are a weekend
    )


def master(problem: RosterProblem, *extra: tuple[str, cg.Column]) -> cg.MasterLp:
    lp = cg.MasterLp(problem)
    for pid, col in (*SMALL_POOL, *extra):
        lp.add(pid, col, cg.own_cost(problem, pid, col))
    return lp


def test_pricing_with_fairness_duals_finds_the_column_brute_force_finds() -> None:
    problem = small_fair()
    lp = master(problem)
    pool = set(SMALL_POOL)
    columns = all_columns(3, "DN")
    # every schedule of everybody in the master, held at zero: the relaxation stays the
    # small pool's, and the LP itself reports each schedule's reduced cost
    for pid in "ABC":
        for col in columns:
            if (pid, col) not in pool:
                lp.add(pid, col, cg.own_cost(problem, pid, col))
                lp.lam[pid, col].SetUb(0)
    rel = lp.solve()
    assert rel is not None
    assert any(rel.count_duals[pid]["nights"] for pid in "ABC")  # fairness is priced
    people = cg.person_models(problem)
    improving = 0
    for pid in "ABC":
        rcs = {}
        for col in columns:
            rc = rel.reduced_cost(pid, col, cg.own_cost(problem, pid, col))
            assert abs(rc - lp.lam[pid, col].reduced_cost()) < 1e-6, (pid, col)
            rcs[col] = rc
        best = min(rcs.values())
        found, exact = cg.price(people[pid], pid, rel, 5.0, 0)
        assert exact
        if best < -1e-6:
            improving += 1
            assert found and abs(found[0][2] - best) < 1e-3, pid
            assert abs(rcs[found[0][0]] - best) < 1e-3
        else:
            assert not found
    assert improving  # the pool is poor: somebody has a better schedule
    # A's nights: cover wants them, fairness more so not (the counts' duals decide)
    found, _exact = cg.price(people["A"], "A", rel, 5.0, 0)
    assert found[0][0] == ()
    blind = cg.Relaxation(rel.objective, rel.cell_duals, rel.person_duals)
    assert min(columns, key=lambda c: blind.reduced_cost("A", c, 0)) != ()


def test_a_dives_roster_with_fairness_costs_what_the_relaxation_says() -> None:
    problem = fair(2)
    gen = converged(problem)
    found = gen.dives(time.perf_counter() + 60, seed=1, most=2)
    assert found is not None
    roster, cost = found
    rm = build_model(problem)
    model = rm.model.clone()
    for (pid, d, sid), var in rm.x.items():
        model.add(var == int(roster.get(pid, {}).get(d) == sid))
    solver = cp_model.CpSolver()
    assert solver.solve(model) == cp_model.OPTIMAL  # every hard rule kept
    assert round(solver.objective_value) == round(cost)
    assert spread_cost(problem, roster) > 0  # the cost has a fairness part to get right


def test_solve_proves_a_fairness_roster_optimal_with_column_generation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # calls: a spread whose relaxation is tight here, so the columns' bound proves it
    problem = fair(1, ("calls",))
    bounds: list[float | None] = []
    start = cg.start

    def recorded(*args: Any, **kwargs: Any) -> tuple[cg.ColumnGeneration | None, float | None]:
        out = start(*args, **kwargs)
        bounds.append(out[1])
        return out

    monkeypatch.setattr(cg, "start", recorded)
    sol = solve(problem, time_limit=60, num_workers=2, construct=True)
    assert bounds and bounds[0] is not None  # column generation ran and proved its bound
    assert sol.strategy[:2] == ["construct", "columns"]
    assert sol.status == "OPTIMAL"
    assert sol.objective == optimum(problem)
    assert sol.objective == spread_cost(problem, sol.roster) + sum(
        p.cost for p in sol.penalties if not p.rule.startswith("fairness")
    )


def test_the_lns_keeps_fairness_rosters_in_the_full_model(monkeypatch: pytest.MonkeyPatch) -> None:
    # a model of a few people alone would not see the others' counts in the spread
    monkeypatch.setattr(lns, "SMALL_MODEL_MIN_ASSIGNMENTS", 1)
    problem = fair(1)
    for rules, small in ((problem.fairness, False), ((), True)):
        rm = build_model(replace(problem, fairness=rules))
        search = lns.Lns(rm, [0] * len(rm.x), 0, time.perf_counter())
        assert search.small_models is small
