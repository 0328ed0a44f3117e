"""Each block-schedule rule is defined once (``rules.RULES``): a CP-SAT encoding
(``add_<rule>``), an independent check (``check.check_<rule>``) and, where the local search
scores it, a pointer to the part that does. One small example per rule: its check finds
what the rule says, and the model and the search price the same schedule the same way."""

from __future__ import annotations

import random
from collections import defaultdict

import pytest

from meded.engine.blocks import check as checker
from meded.engine.blocks import cpsat, local, rules
from meded.engine.blocks.check import CHECKS, Found, View, check
from meded.engine.blocks.cpsat import Progress
from meded.engine.blocks.model import (
    EVERYONE,
    Calendar,
    CoverageRule,
    Equity,
    Fairness,
    ForbiddenAdjacency,
    MaxConsecutive,
    MinSpacing,
    Preference,
    Prerequisite,
    Problem,
    Requirement,
    Resident,
    RestAfter,
    Rotation,
    Schedule,
    SiteChange,
    Template,
    Unit,
    VacationRequest,
    Waiting,
    Window,
    Wish,
    sel,
)
from meded.engine.blocks.rules import RULES, RuleDef
from meded.engine.tests.test_blocks_agreement import assert_agree, hard_units, random_problem

W = Rotation("W", "Wards", "wards", site="a")
N = Rotation("N", "Nights", "night_float", site="b")
I = Rotation("I", "ICU", "icu", site="a")  # noqa: E741
V = Rotation("V", "Vacation", "vacation", site="c")
C = Rotation("C", "Clinic", "ambulatory", site="b")
E = Rotation("E", "Elective", "elective", site="c", length=2)
ROTS = (W, N, I, V, C, E)
R, S = Resident("r", 1), Resident("s", 2)


def prob(*residents: Resident, rots: tuple[Rotation, ...] = ROTS, **kw: object) -> Problem:
    return Problem(Calendar(4), residents or (R, S), rots, full_assignment=False, **kw)  # type: ignore[arg-type]


def row(*cells: str) -> dict[int, str]:
    """A row from one letter per block ("." idle)."""
    return {b: k for b, k in enumerate(cells) if k != "."}


# per rule: a problem, a schedule, and what the rule's check finds: costs summed by rule
# name, and "!rule": the number of hard violations of that name
EXAMPLES: dict[str, tuple[Problem, Schedule, dict[str, int]]] = {
    "assignment": (
        Problem(Calendar(4), (R, S), ROTS, full_assignment=True),
        {"r": row("W", "W", "W", "."), "s": row("E", "W", "W", "W")},
        {"!assign": 1, "!length": 1},
    ),
    "pins": (
        prob(Resident("r", 1, pins=((1, "I"),)), S),
        {"r": row(".", "W"), "s": {}},
        {"!pin": 1},
    ),
    "coverage": (
        prob(
            rots=(
                Rotation("W", "Wards", "wards", coverage=(CoverageRule(min=1, weight=3),)),
                Rotation("I", "ICU", "icu", coverage=(CoverageRule(max=1, role="senior"),)),
            )
        ),
        {"r": row("I"), "s": row("I")},
        {"coverage:W:all": 4 * 3},  # one senior on ICU is fine: the maximum counts seniors
    ),
    "requirements": (
        prob(
            requirements=(
                Requirement("icu", sel(["I"]), min=2, weight=5),
                Requirement("no_nights", sel(["N"]), max=0, unit=Unit.STINTS),
            )
        ),
        {"r": row("I"), "s": row("N", "N")},
        {"req:icu": 5 + 10, "!req:no_nights": 1},
    ),
    "windows": (
        prob(windows=(Window("early", EVERYONE, sel(["W"]), 0, 1, 2, weight=4),)),
        {"r": row("W", "I"), "s": row("I", "I", "W")},
        {"window:early": 4 + 8},
    ),
    "templates": (
        prob(
            Resident("r", 1, cohort=0),
            S,
            templates=(Template("xy", 2, 1, sel(categories=["ambulatory"])),),
        ),
        {"r": row("C", "C", "W", "W"), "s": row("C")},  # s has no cohort: not on the template
        {"!template:xy": 2},
    ),
    "prerequisites": (
        prob(prerequisites=(Prerequisite("wards_first", sel(["I"]), sel(["W"]), weight=6),)),
        {"r": row("I", "W", "I"), "s": row("W", "I")},
        {"prereq:wards_first": 6},
    ),
    "max_consecutive": (
        prob(max_consecutive=(MaxConsecutive("nights", sel(["N"]), 1, weight=2),)),
        {"r": row("N", "N", "N"), "s": row("N", "W", "N")},
        {"maxconsec:nights": 2 * 2},
    ),
    "forbidden_adjacency": (
        prob(forbidden_adjacent=(ForbiddenAdjacency("ni", sel(["N"]), sel(["I"]), weight=3),)),
        {"r": row("N", "I", "N"), "s": row("I", "W", "N")},
        {"adjacent:ni": 2 * 3},
    ),
    "min_spacing": (
        prob(min_spacing=(MinSpacing("icu", sel(["I"]), 2, weight=5),)),
        {"r": row("I", "W", "I", "I"), "s": row("I", "W", "W", "I")},
        {"spacing:icu": 2 * 5},  # pairs too close: blocks 0 and 2, 2 and 3
    ),
    "rest_after": (
        prob(rest_after=(RestAfter("rest", sel(["N"]), sel(["I"]), weight=4),)),
        {"r": row("N", "I", "W", "N"), "s": row("N", "N", "W", "I")},
        {"rest:rest": 4},
    ),
    "vacation_requests": (
        prob(
            vacation_requests=(
                VacationRequest("asked", "r", frozenset({1, 2}), weight=3),
                VacationRequest("approved", "s", frozenset({0}), approved=True),
            )
        ),
        {"r": row(".", "V"), "s": row("W")},
        {"vacation:asked": 3, "!vacation:approved": 1},
    ),
    "preferences": (
        prob(
            preferences=(
                Preference("r", sel(["E"]), 7),
                Preference("s", sel(["I"]), 2, rule="rank"),
            )
        ),
        {"r": row("E", "E", "E", "E"), "s": row("I", "I")},
        {"preference": -2 * 7, "rank": -2 * 2},
    ),
    "wishes": (
        prob(wishes=(Wish("late_nights", "r", sel(["N"]), not_before=2, weight=3),)),
        {"r": row("N", "N", "N"), "s": row("N")},
        {"wish:late_nights": 2 * 3},
    ),
    "site_changes": (
        prob(site_changes=(SiteChange("r", 2),)),
        {"r": row("W", ".", "N", "I"), "s": row("W", "N")},
        {"site_change": 2 * 2},
    ),
    "waiting": (
        prob(waiting=(Waiting("r", 1),)),
        {"r": row(".", "W", ".", "W"), "s": row(".", "W")},
        {"waiting": 2},
    ),
    "fairness": (
        prob(R, Resident("q", 1), S, fairness=(Fairness("nights", "blocks", 3, sel(["N"])),)),
        {"r": row("N", "N", "N"), "q": row("N"), "s": {}},
        {"fairness:nights": 2 * 3},  # s, alone in PGY2, has no spread
    ),
    "equity": (
        prob(
            wishes=(Wish("no_icu", "r", sel(["I"]), not_after=0, weight=3),),
            equity=(Equity("worst", 2),),
        ),
        {"r": row("I", "I"), "s": {}},
        {"wish:no_icu": 3, "equity:worst": 2 * 3},
    ),
}


def found_summary(found: Found) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for v in found.violations:
        out["!" + v.rule] += 1
    for rule, _, _, cost in found.costs:
        out[rule] += cost
    return {k: v for k, v in out.items() if v}


def test_every_rule_is_defined_once_with_an_encoding_a_check_and_an_example() -> None:
    names = [r.name for r in RULES]
    assert len(set(names)) == len(names)
    for r in RULES:
        assert r.add.__name__ == f"add_{r.name}", r
        assert r.check.__name__ == f"check_{r.name}", r
        assert not r.local or hasattr(local, r.local.split()[0].split(".")[0]), r
    # the checker runs the registry's checks, in its order
    assert tuple(r.check for r in RULES) == CHECKS
    # and nothing is encoded or checked outside the registry
    assert {n for n in vars(rules) if n.startswith("add_")} == {f"add_{n}" for n in names}
    assert {n for n in vars(checker) if n.startswith("check_")} == {f"check_{n}" for n in names}
    assert set(EXAMPLES) == set(names)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_each_rule_finds_what_it_says_and_the_model_and_the_search_agree(rule: RuleDef) -> None:
    p, schedule, want = EXAMPLES[rule.name]
    view = View.of(p, schedule)
    # the rules before it (fairness and equity read their costs)
    so_far = Found()
    for r in RULES[: RULES.index(rule)]:
        f = r.check(view, so_far)
        so_far.violations += f.violations
        so_far.costs += f.costs
    mine = found_summary(rule.check(view, so_far))
    whole = found_summary(Found(check(p, schedule).violations, check(p, schedule).costs))
    # what it finds is its own part of what the whole check finds
    assert mine and mine.items() <= want.items(), mine
    assert whole == want
    # the model agrees: it prices it so, or (a hard rule broken) cannot take it
    assert_agree(p, schedule, rule.name)
    if rule.local and local.supports(p):
        rep = check(p, schedule)
        assert local.score(p, schedule) == rep.objective + local.HARD * hard_units(rep)


def test_the_search_takes_a_problem_only_if_it_scores_every_rule_the_problem_uses() -> None:
    fields = {r.field for r in RULES if r.field}
    assert fields <= set(vars(Problem(Calendar(1), (), ())))
    taken = 0
    for seed in range(120):
        p = random_problem(random.Random(seed), for_local=seed % 4 == 0)
        unscored = [r.field for r in RULES if r.field and not r.local and getattr(p, r.field)]
        aligned = any(rot.aligned for rot in p.rotations)
        assert local.supports(p) == (not unscored and not aligned), (seed, unscored)
        taken += local.supports(p)
    assert taken >= 30


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_a_solved_schedule_reports_what_each_rule_costs_as_the_checker_does(name: str) -> None:
    # what the solve page shows rule by rule (Result.costs and the live progress points'
    # costs) adds each rule's constant part, so it is the checker's figure for that rule
    p, _, _ = EXAMPLES[name]
    seen: list[Progress] = []
    res = cpsat.solve(p, time_limit=10, workers=1, on_progress=seen.append)
    assert res.status == "OPTIMAL"
    solver: dict[str, int] = {}
    for c in res.costs:
        solver[c.rule] = solver.get(c.rule, 0) + c.cost
    checker: dict[str, int] = {}
    for rule, _, _, cost in check(p, res.schedule).costs:
        checker[rule] = checker.get(rule, 0) + cost
    nonzero = {k: v for k, v in checker.items() if v}
    assert {k: v for k, v in solver.items() if v} == nonzero
    assert {k: v for k, v in seen[-1].costs.items() if v} == nonzero
