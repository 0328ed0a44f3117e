"""The CP-SAT model and the independent checker agree exactly, rule by rule.

On seeded random small problems (every rule, soft and hard, fairness of each kind, ACGME
limits) and for rosters solved by :func:`meded.engine.roster.solve`, rosters perturbed from
them and random rosters: with the model's assignment variables fixed to the roster and the
objective minimized, every penalty term's cost equals the checker's (not at most: equal), the
model is infeasible exactly when the checker finds a hard violation, and in explain mode the
hard groups that cannot hold are exactly the groups the checker reports broken.
"""

from __future__ import annotations

import inspect
import random
from collections import Counter
from dataclasses import replace

import pytest
from ortools.sat.python import cp_model

from meded.engine.roster import check as check_module
from meded.engine.roster import rules, solve
from meded.engine.roster.check import RULES, Report, check
from meded.engine.roster.problem import (
    AcgmeRules,
    CoverRequirement,
    Fairness,
    Person,
    Pin,
    Roster,
    RosterProblem,
    RuleSet,
    ShiftRequest,
    ShiftType,
)

H = 60
#: (id, start, length, night, call): ordinary shifts, nights, 24 h call, and shifts that end
#: or start at midnight so that chains of back-to-back shifts exist
MENU = (
    ("D", 7 * H, 8 * H, False, False),
    ("E", 15 * H, 8 * H, False, False),
    ("N", 23 * H, 8 * H, True, False),
    ("L", 7 * H, 12 * H, False, False),
    ("NL", 19 * H, 12 * H, True, False),
    ("C", 7 * H, 24 * H, False, True),
    ("M", 16 * H, 8 * H, False, False),
    ("Z", 0, 8 * H, False, False),
    ("NN", 20 * H, 12 * H, True, True),
    ("X", 8 * H, 16 * H, False, False),
    ("CL", 7 * H, 26 * H, False, True),
    ("W", 22 * H, 28 * H, False, True),
)
#: three shifts that chain back to back: 20:00-08:00, 08:00-24:00, 00:00-08:00
CHAIN = tuple(m for m in MENU if m[0] in ("NN", "X", "Z"))


def maybe(rng: random.Random, p: float, value: int) -> int | None:
    return value if rng.random() < p else None


def random_problem(
    seed: int, hard: float = 1.0, horizons: tuple[int, int] = (7, 21), acgme: bool = False
) -> RosterProblem:
    """A random problem; each family of hard rules is switched on with probability ``hard``
    (so that random rosters can satisfy all of them); ``acgme`` switches the ACGME limits on."""
    rng = random.Random(seed)
    on = {
        family: rng.random() < hard
        for family in ("person", "cover", "succession", "days_off", "pins", "acgme", "shifts")
    }
    on["acgme"] = on["acgme"] or acgme
    horizon = rng.randint(*horizons)
    shifts = tuple(
        ShiftType(sid, start, length, in_house_call=call or rng.random() < 0.2, night=night)
        for sid, start, length, night, call in (
            (CHAIN if rng.random() < 0.2 else rng.sample(MENU, rng.randint(2, 3)))
            if on["shifts"]
            else MENU[:2]
        )
    )
    ids = [s.id for s in shifts]
    n = rng.randint(3, 6)
    persons = []
    for i in range(n):
        if not on["person"]:
            persons.append(Person(f"P{i}"))
            continue
        persons.append(
            Person(
                f"P{i}",
                max_shifts={sid: rng.randint(0, horizon // 2) for sid in ids if rng.random() < 0.3},
                min_total_minutes=maybe(rng, 0.2, rng.randint(0, horizon * 240)),
                max_total_minutes=maybe(rng, 0.3, rng.randint(horizon * 120, horizon * 480)),
                min_consecutive_work=maybe(rng, 0.3, rng.randint(1, 4)),
                max_consecutive_work=maybe(rng, 0.4, rng.randint(0, 6)),
                min_consecutive_off=maybe(rng, 0.3, rng.randint(1, 3)),
                max_weekends=maybe(rng, 0.3, rng.randint(0, 2)),
                days_off=frozenset(
                    d for d in range(horizon) if on["days_off"] and rng.random() < 0.07
                ),
            )
        )
    cover = []
    for d in range(horizon):
        for sid in ids:
            if rng.random() < 0.3:
                continue
            target = rng.randint(0, 2)
            cover.append(
                CoverRequirement(
                    d,
                    sid,
                    minimum=rng.choice((0, 0, 1, 1, 2)),
                    minimum_weight=None
                    if on["cover"] and rng.random() < 0.15
                    else rng.randint(0, 20),
                    target=target if rng.random() < 0.7 else None,
                    under_weight=rng.randint(0, 10),
                    over_weight=rng.randint(0, 5),
                    maximum=maybe(rng, 0.4, rng.randint(1, 3)),
                    maximum_weight=None
                    if on["cover"] and rng.random() < 0.4
                    else rng.randint(0, 15),
                )
            )
    succession = frozenset(
        (a, b) for a in ids for b in ids if on["succession"] and rng.random() < 0.2
    )
    pids = [p.id for p in persons]
    requests = tuple(
        ShiftRequest(
            rng.choice(pids),
            rng.randrange(horizon),
            rng.choice(ids),
            rng.randint(0, 9),
            on=rng.random() < 0.5,
        )
        for _ in range(rng.randint(0, 3 * n))
    )
    pins = tuple(
        Pin(rng.choice(pids), rng.randrange(horizon), rng.choice([*ids, None]))
        for _ in range(rng.randint(0, 2) if on["pins"] else 0)
    )
    fairness = tuple(
        Fairness(kind, tuple(rng.sample(pids, rng.randint(1, n))), rng.randint(0, 10), name)
        for kind in ("nights", "weekends", "holidays", "calls")
        for name in ("", "group")[: rng.randint(1, 2)]
        if rng.random() < 0.75
    )
    # counts from outside the horizon, and people of the rule outside the problem, in half
    # the problems (their own stream: the rest of each seeded problem stays as it was)
    carried = random.Random(-1 - seed)
    if carried.random() < 0.5:
        fairness = tuple(
            replace(
                f,
                offsets={pid: carried.randint(0, 6) for pid in f.persons if carried.random() < 0.6},
                others=tuple(carried.randint(0, 8) for _ in range(carried.randint(0, 2))),
            )
            for f in fairness
        )
    limits = None
    if on["acgme"] and (acgme or rng.random() < 0.8):
        limits = AcgmeRules(
            max_minutes_per_7_days=maybe(rng, 0.5, rng.randint(30, 72) * H),
            max_minutes_per_28_days=maybe(rng, 0.5, rng.randint(60, 320) * H),
            min_free_days_per_28_days=maybe(rng, 0.5, rng.randint(2, 8)),
            min_rest_minutes=maybe(rng, 0.5, rng.choice((4, 8, 10, 12)) * H),
            min_rest_after_long_shift_minutes=maybe(rng, 0.4, rng.choice((10, 14, 16)) * H),
            long_shift_minutes=rng.choice((12, 16, 24)) * H,
            call_every_nth_night=maybe(rng, 0.5, rng.randint(2, 4)),
            max_continuous_duty_minutes=maybe(rng, 0.6, rng.choice((16, 24, 28, 36)) * H),
        )
    return RosterProblem(
        horizon=horizon,
        shifts=shifts,
        persons=tuple(persons),
        cover=tuple(cover),
        forbidden_successions=succession,
        requests=requests,
        pins=pins,
        fairness=fairness,
        holidays=frozenset(d for d in range(horizon) if rng.random() < 0.15),
        first_weekday=rng.randrange(7),
        rules=RuleSet(acgme=limits),
    )


def random_roster(problem: RosterProblem, rng: random.Random) -> Roster:
    density = rng.uniform(0.05, 0.8)
    ids = [s.id for s in problem.shifts]
    return {
        p.id: {d: rng.choice(ids) for d in range(problem.horizon) if rng.random() < density}
        for p in problem.persons
    }


def perturbed(problem: RosterProblem, roster: Roster, rng: random.Random) -> Roster:
    out = {pid: dict(days) for pid, days in roster.items()}
    ids = [s.id for s in problem.shifts]
    for _ in range(rng.randint(1, 3)):
        days = out.setdefault(rng.choice(problem.persons).id, {})
        d = rng.randrange(problem.horizon)
        if d in days and rng.random() < 0.5:
            del days[d]
        else:
            days[d] = rng.choice(ids)
    return out


def fixed(rm: rules.RosterModel, roster: Roster) -> cp_model.CpModel:
    """The model with every assignment variable ``x[person, day, shift]`` fixed to ``roster``."""
    model = rm.model.clone()
    for (pid, d, sid), var in rm.x.items():
        model.add(var == int(roster.get(pid, {}).get(d) == sid))
    return model


def solver() -> cp_model.CpSolver:
    s = cp_model.CpSolver()
    s.parameters.num_workers = 1
    s.parameters.max_time_in_seconds = 20.0
    return s


def model_terms(problem: RosterProblem, roster: Roster) -> Counter[tuple[object, ...]] | None:
    """The model's minimized penalty terms for ``roster``, or None when it is infeasible."""
    rm = rules.build_model(problem)
    s = solver()
    status = s.solve(fixed(rm, roster))
    if status == cp_model.INFEASIBLE:
        return None
    assert status == cp_model.OPTIMAL, s.status_name(status)
    terms: Counter[tuple[object, ...]] = Counter()
    for pen in rm.penalties:
        terms[pen.rule, pen.person, pen.day, pen.detail] += pen.weight * s.value(pen.expr)
    return +terms


def checker_terms(report: Report) -> Counter[tuple[object, ...]]:
    terms: Counter[tuple[object, ...]] = Counter()
    for v in report.soft:
        terms[v.rule, v.person, v.day, v.detail] += v.cost
    return +terms


def model_broken_groups(problem: RosterProblem, roster: Roster) -> set[str] | None:
    """The hard groups of the explain-mode model that cannot hold with ``roster`` (None when
    even with every group switched off the roster breaks a structural rule)."""
    rm = rules.build_model(problem, explain=True)
    model = fixed(rm, roster)
    literals = {g.key: g.literal for g in rm.groups.values() if g.literal is not None}
    model.maximize(sum(literals.values()))
    s = solver()
    status = s.solve(model)
    if status == cp_model.INFEASIBLE:
        return None
    assert status == cp_model.OPTIMAL, s.status_name(status)
    return {key for key, lit in literals.items() if not s.boolean_value(lit)}


def assert_agree(problem: RosterProblem, roster: Roster) -> Report:
    report = check(problem, roster)
    terms = model_terms(problem, roster)
    hard = sorted((v.rule, v.person, v.day, v.detail) for v in report.hard)
    if terms is None:
        assert hard, "the model is infeasible with the roster fixed, the checker finds no hard rule"
    else:
        assert not hard, f"the model accepts the roster, the checker finds {hard}"
        assert terms == checker_terms(report)
        by_rule: Counter[str] = Counter()
        for (rule, *_), cost in terms.items():
            by_rule[str(rule)] += int(cost)
        assert dict(+by_rule) == {r: c for r, c in report.cost_by_rule().items() if c}
    groups = model_broken_groups(problem, roster)
    structural = {v.rule for v in report.hard if v.group is None}
    if groups is None:
        assert structural, "only a structural rule can break the explain-mode model"
    else:
        assert not structural
        assert groups == report.groups()
    return report


def test_every_rule_of_the_model_has_a_check_and_every_check_a_rule() -> None:
    adds = {
        name
        for name, fn in inspect.getmembers(rules, inspect.isfunction)
        if name.startswith("add_")
    }
    checks = {
        name
        for name, fn in inspect.getmembers(check_module, inspect.isfunction)
        if name.startswith("check_")
    }
    assert adds == {f"add_{name}" for name in RULES}
    assert checks == {f"check_{name}" for name in RULES}
    assert {add for add, _ in RULES.values()} == set(rules.ALL_RULES)
    for name, (add, check_rule) in RULES.items():
        assert add.__name__ == f"add_{name}"
        assert check_rule.__name__ == f"check_{name}"


@pytest.mark.parametrize("seed", range(30))
def test_the_model_and_the_checker_agree_on_a_solved_roster_and_its_neighbours(seed: int) -> None:
    p = random_problem(seed)
    sol = solve(p, time_limit=0.5, num_workers=1, explain_infeasible=False, seed=seed)
    rng = random.Random(seed)
    if sol.feasible:
        report = assert_agree(p, sol.roster)
        assert report.feasible
        assert report.objective == sol.objective
        # the penalties solve() reports are the checker's, term by term
        reported: Counter[tuple[object, ...]] = Counter()
        for pen in sol.penalties:
            reported[pen.rule, pen.person, pen.day, pen.detail] += pen.cost
        assert reported == checker_terms(report)
        for _ in range(3):
            assert_agree(p, perturbed(p, sol.roster, rng))
    assert_agree(p, random_roster(p, rng))


def some_random_rosters(problem: RosterProblem, rng: random.Random) -> list[Roster]:
    """Two random rosters the checker accepts (when found in a few tries) and one it rejects."""
    accepted: list[Roster] = []
    rejected: list[Roster] = []
    for _ in range(40):
        roster = random_roster(problem, rng)
        (accepted if check(problem, roster).feasible else rejected).append(roster)
        if len(accepted) >= 2 and rejected:
            break
    return accepted[:2] + rejected[:1]


@pytest.mark.parametrize("seed", range(30, 130))
def test_the_model_and_the_checker_agree_on_random_rosters(seed: int) -> None:
    p = random_problem(seed, hard=0.3)
    rng = random.Random(seed)
    for roster in some_random_rosters(p, rng):
        assert_agree(p, roster)


@pytest.mark.parametrize("seed", range(145, 160))
def test_the_model_and_the_checker_agree_over_less_than_a_week(seed: int) -> None:
    # the 7-day limit is prorated like the 28-day ones
    p = random_problem(seed, hard=0.3, horizons=(3, 6), acgme=True)
    rng = random.Random(seed)
    for roster in some_random_rosters(p, rng):
        assert_agree(p, roster)


@pytest.mark.parametrize("seed", range(130, 145))
def test_the_model_and_the_checker_agree_over_more_than_28_days(seed: int) -> None:
    # the 28-day limits slide over the horizon instead of being prorated
    p = random_problem(seed, hard=0.3, horizons=(28, 35), acgme=True)
    rng = random.Random(seed)
    for roster in some_random_rosters(p, rng):
        assert_agree(p, roster)


def acgme_problem(shifts: tuple[ShiftType, ...], **limits: int) -> RosterProblem:
    return RosterProblem(
        horizon=7, shifts=shifts, persons=(Person("A"),), rules=RuleSet(AcgmeRules(**limits))
    )


def test_a_chain_of_three_back_to_back_shifts_is_continuous_duty() -> None:
    night = ShiftType("NN", 20 * H, 12 * H)
    late = ShiftType("X", 8 * H, 16 * H)
    early = ShiftType("Z", 0, 8 * H)
    p = acgme_problem((night, late, early), max_continuous_duty_minutes=28 * H)
    # each pair is at most 28 h; the three together are 36 h without a break
    report = assert_agree(p, {"A": {0: "NN", 1: "X", 2: "Z"}})
    assert report.groups() == {"acgme_continuous:A"}
    assert assert_agree(p, {"A": {0: "NN", 1: "X"}}).feasible


def test_a_shift_longer_than_a_day_keeps_both_days_it_runs_into_from_being_free() -> None:
    long_call = ShiftType("W", 22 * H, 28 * H)  # 22:00 on day d to 02:00 on day d+2
    p = acgme_problem((long_call,), min_free_days_per_28_days=8)  # 2 free days in 7
    # busy on days 0-2 and 3-5: day 6 is the only free day
    report = assert_agree(p, {"A": {0: "W", 3: "W"}})
    assert report.groups() == {"acgme_days_off:A"}
    assert assert_agree(p, {"A": {0: "W", 4: "W"}}).groups() == {"acgme_days_off:A"}
    assert assert_agree(p, {"A": {0: "W"}}).feasible  # days 3-6 are free
