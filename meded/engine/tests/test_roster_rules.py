"""One tiny roster per rule, built so the rule binds; the solver must respect it."""

from __future__ import annotations

from typing import Any

from meded.engine.roster import (
    AcgmeRules,
    CoverRequirement,
    Fairness,
    Person,
    Pin,
    ProgressPoint,
    RosterProblem,
    RosterSolution,
    RuleSet,
    ShiftRequest,
    ShiftType,
    solve,
)
from meded.engine.roster.problem import Roster

DAY = ShiftType("D", start_minute=7 * 60, length_minutes=12 * 60)
NIGHT = ShiftType("N", start_minute=19 * 60, length_minutes=12 * 60, night=True)
CALL = ShiftType("C", start_minute=7 * 60, length_minutes=24 * 60, in_house_call=True)


def wanted(horizon: int, shift: str = "D", target: int = 1, weight: int = 10) -> tuple[Any, ...]:
    """Cover that wants ``target`` people on ``shift`` every day (soft, under costs weight)."""
    return tuple(
        CoverRequirement(d, shift, target=target, under_weight=weight, over_weight=0)
        for d in range(horizon)
    )


def problem(**kw: object) -> RosterProblem:
    base: dict[str, object] = {"horizon": 7, "shifts": (DAY,), "persons": (Person("A"),)}
    base.update(kw)
    return RosterProblem(**base)  # type: ignore[arg-type]


def days_worked(roster: Roster, pid: str) -> list[int]:
    return sorted(roster.get(pid, {}))


def runs(days: list[int], horizon: int, working: bool) -> list[tuple[int, int]]:
    flags = [(d in days) == working for d in range(horizon)]
    out, start = [], None
    for d, f in enumerate([*flags, False]):
        if f and start is None:
            start = d
        if not f and start is not None:
            out.append((start, d - start))
            start = None
    return out


def run(p: RosterProblem, limit: float = 5.0) -> RosterSolution:
    sol = solve(p, time_limit=limit, num_workers=1)
    assert sol.feasible, sol.explanation()
    return sol


def test_a_person_works_at_most_one_shift_a_day() -> None:
    p = problem(shifts=(DAY, NIGHT), cover=wanted(7, "D") + wanted(7, "N"))
    sol = run(p)
    # both shifts are wanted every day; one person covers one of them a day, never both
    assert len(sol.roster["A"]) == 7
    assert sol.objective == 70
    assert sol.cost_by_rule() == {"cover_under": 70}


def test_a_hard_minimum_cover_is_met_even_against_requests() -> None:
    reqs = tuple(ShiftRequest(pid, 0, "D", 50, on=False) for pid in "AB")
    p = problem(
        persons=(Person("A"), Person("B")),
        cover=(CoverRequirement(0, "D", minimum=2),),
        requests=reqs,
    )
    sol = run(p)
    assert sum(1 for pid in "AB" if sol.roster.get(pid, {}).get(0) == "D") == 2
    assert sol.objective == 100


def test_a_hard_maximum_cover_is_not_exceeded_even_against_requests() -> None:
    reqs = tuple(ShiftRequest(pid, 0, "D", 5) for pid in "ABC")
    p = problem(
        persons=(Person("A"), Person("B"), Person("C")),
        cover=(CoverRequirement(0, "D", maximum=2),),
        requests=reqs,
    )
    sol = run(p)
    assert sum(1 for pid in "ABC" if 0 in sol.roster.get(pid, {})) == 2


def test_cover_under_and_over_the_target_are_named_penalties() -> None:
    p = problem(
        horizon=2,
        persons=(Person("A", days_off=frozenset({1})),),
        cover=(
            CoverRequirement(0, "D", target=0, over_weight=3),
            CoverRequirement(1, "D", target=1, under_weight=7),
        ),
        pins=(Pin("A", 0, "D"),),
    )
    sol = run(p)
    assert sol.objective == 10
    assert sol.cost_by_rule() == {"cover_over": 3, "cover_under": 7}
    assert {(c.rule, c.day) for c in sol.penalties} == {("cover_over", 0), ("cover_under", 1)}


def test_soft_minimum_and_maximum_cover_cost_their_weights() -> None:
    p = problem(
        horizon=1,
        persons=(Person("A"), Person("B"), Person("C", days_off=frozenset({0}))),
        cover=(CoverRequirement(0, "D", minimum=3, minimum_weight=4),),
    )
    assert run(p).cost_by_rule() == {"cover_minimum": 4}
    p2 = problem(
        horizon=1,
        persons=(Person("A"), Person("B")),
        cover=(CoverRequirement(0, "D", maximum=1, maximum_weight=6),),
        pins=(Pin("A", 0, "D"), Pin("B", 0, "D")),
    )
    assert run(p2).cost_by_rule() == {"cover_maximum": 6}


def test_a_person_works_no_more_shifts_of_a_type_than_allowed() -> None:
    p = problem(persons=(Person("A", max_shifts={"D": 2}),), cover=wanted(7))
    sol = run(p)
    assert len(sol.roster["A"]) == 2


def test_total_minutes_stay_between_the_minimum_and_the_maximum() -> None:
    capped = problem(persons=(Person("A", max_total_minutes=3 * 720),), cover=wanted(7))
    assert len(run(capped).roster["A"]) == 3
    floor = problem(
        persons=(Person("A", min_total_minutes=4 * 720),),
        requests=tuple(ShiftRequest("A", d, "D", 1, on=False) for d in range(7)),
    )
    assert len(run(floor).roster["A"]) == 4


def test_no_run_of_working_days_is_longer_than_the_maximum() -> None:
    p = problem(horizon=10, persons=(Person("A", max_consecutive_work=3),), cover=wanted(10))
    sol = run(p)
    assert max(length for _, length in runs(days_worked(sol.roster, "A"), 10, True)) <= 3
    assert len(sol.roster["A"]) == 8


def test_runs_of_working_days_are_at_least_the_minimum_unless_at_the_edges() -> None:
    # isolated wishes on days 3 and 7; a run must be 3 long, so they cost or pull neighbours
    reqs = (ShiftRequest("A", 3, "D", 10), ShiftRequest("A", 7, "D", 10))
    offs = tuple(ShiftRequest("A", d, "D", 3, on=False) for d in (2, 4, 6, 8))
    p = problem(horizon=11, persons=(Person("A", min_consecutive_work=3),), requests=reqs + offs)
    sol = run(p)
    for start, length in runs(days_worked(sol.roster, "A"), 11, True):
        assert length >= 3 or start == 0 or start + length == 11
    # both wishes met, each run pulling in one unwanted day (e.g. 1-3 and 7-10, which may
    # stay short of three only because it reaches the last day); day 7 alone is too short
    assert sol.objective == 6
    assert {3, 7} <= set(sol.roster["A"])


def test_runs_of_days_off_are_at_least_the_minimum_unless_at_the_edges() -> None:
    p = problem(
        horizon=10,
        persons=(Person("A", min_consecutive_off=2, max_consecutive_work=3),),
        cover=wanted(10),
    )
    sol = run(p)
    for start, length in runs(days_worked(sol.roster, "A"), 10, False):
        assert length >= 2 or start == 0 or start + length == 10


def test_a_person_works_no_more_weekends_than_allowed() -> None:
    p = problem(horizon=14, persons=(Person("A", max_weekends=1),), cover=wanted(14))
    sol = run(p)
    worked = days_worked(sol.roster, "A")
    weekends = sum(1 for w in range(2) if 7 * w + 5 in worked or 7 * w + 6 in worked)
    assert weekends == 1
    assert len(worked) == 12


def test_weekends_follow_the_first_weekday() -> None:
    p = problem(horizon=8, first_weekday=6)  # starts on a Sunday
    assert p.weekends() == [(0,), (6, 7)]


def test_a_forbidden_succession_never_happens() -> None:
    p = problem(
        horizon=6,
        shifts=(DAY, NIGHT),
        forbidden_successions=frozenset({("N", "D")}),
        cover=tuple(
            CoverRequirement(d, s, target=1, under_weight=10) for d in range(6) for s in "DN"
        ),
    )
    sol = run(p)
    a = sol.roster["A"]
    assert not any(a.get(d) == "N" and a.get(d + 1) == "D" for d in range(5))
    assert len(a) == 6


def test_nobody_works_on_a_fixed_day_off() -> None:
    p = problem(persons=(Person("A", days_off=frozenset({2, 5})),), cover=wanted(7))
    sol = run(p)
    assert days_worked(sol.roster, "A") == [0, 1, 3, 4, 6]
    assert sol.objective == 20


def test_shift_requests_are_soft_and_their_cost_is_named_by_person_and_day() -> None:
    p = problem(
        persons=(Person("A", max_shifts={"D": 1}),),
        requests=(ShiftRequest("A", 1, "D", 5), ShiftRequest("A", 4, "D", 2)),
    )
    sol = run(p)
    assert sol.roster["A"] == {1: "D"}
    assert [(c.rule, c.person, c.day, c.cost) for c in sol.penalties] == [
        ("shift_on_request", "A", 4, 2)
    ]


def test_a_pinned_assignment_holds_against_preferences() -> None:
    p = problem(
        requests=(ShiftRequest("A", 3, "D", 100, on=False),),
        pins=(Pin("A", 3, "D"), Pin("A", 4, None)),
        cover=wanted(7),
    )
    sol = run(p)
    assert sol.roster["A"].get(3) == "D"
    assert 4 not in sol.roster["A"]


def test_fairness_spreads_nights_among_peers() -> None:
    persons = tuple(Person(pid) for pid in "ABC")
    cover = tuple(CoverRequirement(d, "N", minimum=1, maximum=1) for d in range(6))
    p = problem(
        horizon=6,
        shifts=(DAY, NIGHT),
        persons=persons,
        cover=cover,
        # A would like all the nights; fairness costs more than the wishes
        requests=tuple(ShiftRequest("A", d, "N", 1) for d in range(6)),
        fairness=(Fairness("nights", ("A", "B", "C"), weight=10, name="PGY1"),),
    )
    sol = run(p)
    nights = [sum(1 for s in sol.roster.get(pid, {}).values() if s == "N") for pid in "ABC"]
    assert nights == [2, 2, 2]
    assert "fairness_nights" not in sol.cost_by_rule()


def test_fairness_spreads_weekends_and_names_its_penalty() -> None:
    persons = (Person("A"), Person("B"))
    cover = tuple(CoverRequirement(d, "D", minimum=1, maximum=1) for d in range(21))
    p = problem(
        horizon=21,
        persons=persons,
        cover=cover,
        pins=(Pin("A", 5, "D"), Pin("A", 12, "D"), Pin("A", 19, "D")),
        fairness=(Fairness("weekends", ("A", "B"), weight=1),),
    )
    sol = run(p)
    weekends = [
        sum(1 for w in range(3) if {7 * w + 5, 7 * w + 6} & set(sol.roster.get(pid, {})))
        for pid in "AB"
    ]
    assert weekends == [3, 3]  # B takes the Sundays: spread 0
    assert sol.objective == 0


def acgme(**kw: object) -> RuleSet:
    return RuleSet(acgme=AcgmeRules(**kw))  # type: ignore[arg-type]


def test_acgme_no_more_than_the_limit_in_any_seven_days() -> None:
    p = problem(
        horizon=14, cover=wanted(14), rules=acgme(max_minutes_per_7_days=60 * 60)
    )  # 60 h: five 12-hour shifts per 7 days
    sol = run(p)
    worked = days_worked(sol.roster, "A")
    for s in range(8):
        assert sum(1 for d in worked if s <= d < s + 7) <= 5


def test_acgme_eighty_hours_averaged_over_every_28_days() -> None:
    p = problem(horizon=30, cover=wanted(30), rules=acgme(max_minutes_per_28_days=4 * 80 * 60))
    sol = run(p)
    worked = days_worked(sol.roster, "A")
    for s in range(3):
        assert 720 * sum(1 for d in worked if s <= d < s + 28) <= 4 * 80 * 60
    assert max(720 * sum(1 for d in worked if s <= d < s + 28) for s in range(3)) == 26 * 720


def test_acgme_four_free_days_in_every_28_counting_nights_that_run_into_a_day() -> None:
    p = problem(
        horizon=28,
        shifts=(DAY, NIGHT),
        cover=tuple(CoverRequirement(d, "N", target=1, under_weight=10) for d in range(28)),
        rules=acgme(min_free_days_per_28_days=4),
    )
    sol = run(p)
    a = sol.roster["A"]
    free = [d for d in range(28) if d not in a and a.get(d - 1) != "N"]
    assert len(free) >= 4
    assert len(a) == 24  # 4 off days, each after a day off: nights come in runs


def test_acgme_minimum_rest_between_shifts_across_midnight() -> None:
    early = ShiftType("E", start_minute=5 * 60, length_minutes=8 * 60)
    late = ShiftType("L", start_minute=15 * 60, length_minutes=8 * 60)  # ends 23:00
    p = problem(
        horizon=4,
        shifts=(early, late),
        cover=tuple(
            CoverRequirement(d, s, target=1, under_weight=10) for d in range(4) for s in "EL"
        )
        + tuple(CoverRequirement(d, "L", target=1, under_weight=1) for d in range(0)),
        requests=tuple(ShiftRequest("A", d, "L", 1) for d in (0, 2))
        + tuple(ShiftRequest("A", d, "E", 1) for d in (1, 3)),
        rules=acgme(min_rest_minutes=8 * 60),  # 23:00 to 05:00 is 6 h: L then E is out
    )
    sol = run(p)
    a = sol.roster["A"]
    assert not any(a.get(d) == "L" and a.get(d + 1) == "E" for d in range(3))


def test_acgme_longer_rest_after_24_hour_call() -> None:
    p = problem(
        horizon=4,
        shifts=(DAY, CALL),
        pins=(Pin("A", 0, "C"),),
        cover=wanted(4),
        rules=acgme(min_rest_minutes=8 * 60, min_rest_after_long_shift_minutes=14 * 60),
    )
    sol = run(p)
    # call ends 07:00 on day 1, so day 1 is out (overlap/rest); day 2 at 07:00 is 24 h later
    assert 1 not in sol.roster["A"]
    assert sol.roster["A"].get(2) == "D"


def test_acgme_call_no_more_than_every_third_night() -> None:
    p = problem(
        horizon=28,
        shifts=(CALL,),
        cover=tuple(CoverRequirement(d, "C", target=1, under_weight=10) for d in range(28)),
        rules=acgme(call_every_nth_night=3),
    )
    sol = run(p)
    assert len(sol.roster["A"]) == 9


def test_acgme_maximum_continuous_duty() -> None:
    long_call = ShiftType("X", start_minute=7 * 60, length_minutes=30 * 60, in_house_call=True)
    post = ShiftType("P", start_minute=7 * 60, length_minutes=4 * 60)
    p = problem(
        horizon=3,
        shifts=(long_call, CALL, post),
        cover=tuple(
            CoverRequirement(d, s, target=1, under_weight=10) for d in range(3) for s in "XCP"
        ),
        rules=acgme(max_continuous_duty_minutes=28 * 60),
    )
    sol = run(p)
    a = sol.roster["A"]
    assert "X" not in a.values()  # 30 h alone is too long
    # a 24 h call ending 07:00 then a 07:00 shift would be continuous: 24 h + 4 h is allowed
    assert not any(a.get(d) == "C" and a.get(d + 1) == "C" for d in range(2))


def test_progress_gap_and_times_are_reported() -> None:
    p = problem(persons=(Person("A", max_consecutive_work=3),), cover=wanted(7))
    points: list[ProgressPoint] = []
    sol = solve(p, time_limit=5, num_workers=1, on_progress=points.append)
    assert sol.status == "OPTIMAL"
    assert sol.gap == 0.0
    assert sol.first_feasible_s is not None and sol.best_s is not None
    assert sol.first_feasible_s <= sol.best_s <= sol.wall_s
    assert points == sol.progress
    assert sol.progress[-1].objective == sol.objective
