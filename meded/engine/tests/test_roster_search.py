"""The search around the roster model: constructive start, solver settings, stall switch,
and the neighbourhood search."""

from __future__ import annotations

import sys
import time

import pytest

from benchmarks.formats.curtois import evaluate, parse_text, to_problem
from benchmarks.tests.test_curtois_format import TINY
from meded.engine.roster import CoverRequirement, Person, RosterProblem, ShiftType, solve
from meded.engine.roster import lns as lns_module
from meded.engine.roster.construct import person_by_person, residual_cover
from meded.engine.roster.lns import Lns
from meded.engine.roster.rules import build_model
from meded.engine.roster.solve import (
    _assignment_values,
    _close,
    _cp_solver,
    _improve,
    _Progress,
    _stop_when_stalled,
    add_hint,
)

solve_module = sys.modules["meded.engine.roster.solve"]  # the package's ``solve`` is the function

E = ShiftType("E", length_minutes=480)


def one_shift_each(horizon: int = 2) -> RosterProblem:
    """Two people who must work exactly one shift each; one wanted on each day."""
    return RosterProblem(
        horizon=horizon,
        shifts=(E,),
        persons=(
            Person("A", min_total_minutes=480, max_total_minutes=480),
            Person("B", min_total_minutes=480, max_total_minutes=480),
        ),
        cover=tuple(
            CoverRequirement(d, "E", target=1, under_weight=100, over_weight=1)
            for d in range(horizon)
        ),
    )


def test_a_roster_built_one_person_at_a_time_meets_every_hard_rule() -> None:
    inst = parse_text(TINY, "tiny")
    roster = person_by_person(to_problem(inst), budget=2.0, deadline=time.perf_counter() + 60)
    assert roster is not None
    assert evaluate(inst, roster).feasible


def test_the_next_person_takes_the_cover_the_people_before_left_open() -> None:
    roster = person_by_person(one_shift_each(), budget=2.0, deadline=time.perf_counter() + 60)
    assert roster is not None
    assert sorted(d for days in roster.values() for d in days) == [0, 1]


def test_no_constructive_roster_when_a_person_cannot_meet_their_own_rules() -> None:
    problem = RosterProblem(
        horizon=2, shifts=(E,), persons=(Person("A", min_total_minutes=3 * 480),)
    )
    assert person_by_person(problem, budget=1.0, deadline=time.perf_counter() + 60) is None


def test_solve_can_start_from_the_constructive_roster() -> None:
    inst = parse_text(TINY, "tiny")
    sol = solve(to_problem(inst), time_limit=5, num_workers=1, construct=True)
    assert sol.feasible
    assert evaluate(inst, sol.roster).objective == sol.objective


def test_a_roster_that_breaks_a_hard_rule_has_no_assignment_values() -> None:
    rm = build_model(one_shift_each())
    assert _assignment_values(rm, {"A": {0: "E", 1: "E"}, "B": {1: "E"}}) is None
    values, objective = _assignment_values(rm, {"A": {0: "E"}, "B": {0: "E"}}) or ([], -1)
    assert sum(values) == 2
    assert objective == 100 + 1  # day 1 short, day 0 one over


def test_two_workers_run_the_strongest_lp_search_and_parameters_still_override() -> None:
    solver = _cp_solver(1.0, 2, 0, False, None)
    assert list(solver.parameters.subsolvers) == ["max_lp"]
    assert solver.parameters.linearization_level == 2
    solver = _cp_solver(1.0, 2, 0, False, {"linearization_level": 1, "subsolvers": []})
    assert solver.parameters.linearization_level == 1
    assert list(solver.parameters.subsolvers) == []


class _FakeSolver:
    stopped = False

    def stop_search(self) -> None:
        self.stopped = True


def test_the_full_model_search_stops_once_it_stops_improving() -> None:
    progress = _Progress(0.0, None)
    done = time.perf_counter()
    start = done - 100.0  # a solve that started long ago
    progress.best = 1.0  # and last improved at one second
    solver = _FakeSolver()
    _stop_when_stalled(solver, progress, _Never(), start, 10.0)  # type: ignore[arg-type]
    assert solver.stopped


def test_the_full_model_search_is_not_stopped_before_its_first_roster() -> None:
    progress = _Progress(0.0, None)
    solver = _FakeSolver()
    finished = _AfterChecks(3)
    _stop_when_stalled(solver, progress, finished, time.perf_counter() - 100.0, 10.0)  # type: ignore[arg-type]
    assert not solver.stopped


def test_the_full_model_search_goes_on_while_its_bound_is_close_to_its_roster() -> None:
    progress = _Progress(0.0, None)
    now = time.perf_counter()
    progress.best, progress.best_value, progress.bound = 1.0, 1000.0, 999.0
    solver = _FakeSolver()
    _stop_when_stalled(solver, progress, _AfterChecks(3), now - 100.0, 10.0)  # type: ignore[arg-type]
    assert not solver.stopped
    progress.bound = 900.0
    _stop_when_stalled(solver, progress, _Never(), now - 100.0, 10.0)  # type: ignore[arg-type]
    assert solver.stopped


class _Never:
    def wait(self, _timeout: float) -> bool:
        return False


class _AfterChecks:
    def __init__(self, n: int) -> None:
        self.n = n

    def wait(self, _timeout: float) -> bool:
        self.n -= 1
        return self.n < 0


def test_the_neighbourhood_search_works_on_a_model_that_carries_a_hint() -> None:
    problem = one_shift_each(horizon=2)
    rm = build_model(problem)
    poor = {"A": {0: "E"}, "B": {0: "E"}}
    add_hint(rm, poor)
    values, objective = _assignment_values(rm, poor) or ([], 0)
    search = Lns(rm, values, objective, time.perf_counter() + 60, lower_bound=0)
    state = search.run(1)
    assert state.objective == 0  # one person moved to the open day
    assert sum(state.values) == 2


def test_residual_cover_lowers_targets_and_limits_by_the_people_already_working() -> None:
    problem = RosterProblem(
        horizon=1,
        shifts=(E,),
        persons=(Person("A"),),
        cover=(CoverRequirement(0, "E", minimum=2, target=3, under_weight=5, maximum=4),),
    )
    (left,) = residual_cover(problem, {(0, "E"): 3})
    assert (left.minimum, left.target, left.maximum) == (0, 0, 1)
    assert left.minimum_weight is None and left.maximum_weight is None
    (soft,) = residual_cover(problem, {}, hard_weight=7)
    assert (soft.minimum_weight, soft.maximum_weight) == (7, 7)


def test_a_neighbourhood_of_a_few_people_is_solved_in_a_model_of_those_people_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(lns_module, "SMALL_MODEL_MIN_ASSIGNMENTS", 0)
    problem = one_shift_each(horizon=2)
    rm = build_model(problem)
    poor = {"A": {0: "E"}, "B": {0: "E"}}
    values, objective = _assignment_values(rm, poor) or ([], 0)
    search = Lns(rm, values, objective, time.perf_counter() + 60, lower_bound=0)
    assert search.small_models
    state = search.run(1)
    assert state.objective == 0
    roster = search._roster(state.values)
    assert sorted(d for days in roster.values() for d in days) == [0, 1]


def test_the_closing_search_proves_a_roster_optimal_when_nothing_is_better() -> None:
    rm = build_model(one_shift_each())
    _values, objective = _assignment_values(rm, {"A": {0: "E"}, "B": {1: "E"}}) or ([], -1)
    assert objective == 0
    proven, found = _close(rm, objective, 10.0, _Progress(time.perf_counter(), None), 1, 0, False)
    assert proven and found is None


def test_the_closing_search_finds_a_better_roster_below_the_cut() -> None:
    rm = build_model(one_shift_each())
    _values, objective = _assignment_values(rm, {"A": {0: "E"}, "B": {0: "E"}}) or ([], -1)
    proven, found = _close(rm, objective, 10.0, _Progress(time.perf_counter(), None), 2, 0, False)
    assert found is not None and found[1] == 0
    assert proven  # 0 is the optimum and CP-SAT proves it
    assert sum(found[0]) == 2


def test_the_neighbourhood_search_stops_when_it_stalls_and_can_continue() -> None:
    rm = build_model(one_shift_each())
    poor = {"A": {0: "E"}, "B": {0: "E"}}
    values, objective = _assignment_values(rm, poor) or ([], 0)
    search = Lns(rm, values, objective, time.perf_counter() + 600, lower_bound=-1)
    state = search.run(1, stall=0.0)  # returns before its first step
    assert state.steps == 0 and state.objective == objective
    best, _ = _assignment_values(rm, {"A": {0: "E"}, "B": {1: "E"}}) or ([], 0)
    search.restart(best, 0, 0)
    state = search.run(1)  # lower bound reached: nothing to do
    assert state.objective == 0 and state.values == best


def test_a_stalled_neighbourhood_search_gives_its_steps_more_time() -> None:
    rm = build_model(one_shift_each())
    values, objective = _assignment_values(rm, {"A": {0: "E"}, "B": {0: "E"}}) or ([], 0)
    search = Lns(rm, values, objective, time.perf_counter() + 600)
    assert search.state.step_seconds == lns_module.STEP_SECONDS
    for _ in range(lns_module.STALL_STEPS):
        search._count_step()
    assert search.state.step_seconds == 2 * lns_module.STEP_SECONDS
    assert search.state.stalled == 0


def test_a_stalled_neighbourhood_search_near_the_bound_hands_over_to_the_closing_search(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(solve_module, "CLOSE_GAP", 1e9)  # any gap counts as close
    monkeypatch.setattr(Lns, "_step", lambda self, rng, kind: time.sleep(0.01))  # finds nothing
    rm = build_model(one_shift_each())
    values, objective = _assignment_values(rm, {"A": {0: "E"}, "B": {0: "E"}}) or ([], 0)
    start = time.perf_counter()
    progress = _Progress(start, None)
    values, objective, bound = _improve(
        rm, values, objective, 0.0, progress, start, 600.0, 1, 0, False
    )
    assert objective == 0 and bound == 0.0
    assert sum(values) == 2
