"""An over-constrained toy: the explanation names the requirements that conflict."""

from __future__ import annotations

from meded.engine.roster import (
    CoverRequirement,
    Person,
    Pin,
    RosterProblem,
    ShiftRequest,
    ShiftType,
    explain_infeasibility,
    solve,
)


def overconstrained() -> RosterProblem:
    # Three days need two people each, but B is off on day 1 and A may work only two days;
    # C is pinned off on day 1 and cover on day 1 needs two of them. Requests are noise.
    return RosterProblem(
        horizon=3,
        shifts=(ShiftType("D", 7 * 60, 8 * 60),),
        persons=(
            Person("A", max_consecutive_work=2),
            Person("B", days_off=frozenset({1})),
            Person("C"),
        ),
        cover=(
            *(CoverRequirement(d, "D", minimum=2) for d in range(3)),
            CoverRequirement(0, "D", maximum=3),
        ),
        pins=(Pin("C", 1, None),),
        requests=(ShiftRequest("A", 2, "D", 4, on=False),),
    )


def test_an_infeasible_roster_is_explained_by_the_requirements_that_conflict() -> None:
    sol = solve(overconstrained(), time_limit=5, num_workers=1)
    assert sol.status == "INFEASIBLE"
    assert sorted(sol.conflict) == sorted(
        [
            "at least 2 people work D on day 1 (Tue)",
            "B is off on day 1 (Tue)",
            "C is pinned off on day 1 (Tue)",
        ]
    )
    text = sol.explanation()
    assert "cannot all hold together" in text
    assert "B is off on day 1 (Tue)" in text


def test_the_explanation_is_minimal_dropping_any_requirement_makes_it_consistent() -> None:
    conflict = explain_infeasibility(overconstrained(), time_limit=5)
    assert len(conflict) == 3
    assert not any("A works at most" in c for c in conflict)


def test_a_feasible_roster_has_nothing_to_explain() -> None:
    p = overconstrained()
    relaxed = RosterProblem(
        horizon=p.horizon, shifts=p.shifts, persons=p.persons, cover=p.cover, pins=()
    )
    assert explain_infeasibility(relaxed, time_limit=5) == []
