"""The three encodings of the block-schedule rules agree exactly: the CP-SAT model
(``rules.py``), the independent checker (``check.py``) and the local search's move-by-move
scoring (``local.py``).

For many seeded random small problems (every rule kind, hard and soft) and for solved,
perturbed and random schedules: with the model's start literals fixed to a schedule and its
objective minimized, each rule's summed term values equal the checker's cost of that rule,
and the model is infeasible exactly when the checker reports a hard violation. For the
problems the local search takes, its running score after many random moves equals a full
re-score of the same schedule and the checker's objective with every unit of a hard rule
broken priced at ``local.HARD``.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from ortools.sat.python import cp_model

from meded.engine.blocks import local
from meded.engine.blocks.check import Report, check
from meded.engine.blocks.cpsat import _starts_of, solve
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
    ResidentSelector,
    RestAfter,
    Rotation,
    Schedule,
    Selector,
    SiteChange,
    Template,
    Unit,
    VacationRequest,
    Waiting,
    Window,
    Wish,
    sel,
    who,
)
from meded.engine.blocks.rules import build, objective_expr

T = TypeVar("T")
CATEGORIES = ("wards", "vacation", "ambulatory", "icu", "night_float", "elective")


# -- random problems ---------------------------------------------------------------------
def _weight(rng: random.Random, hard: float = 0.3) -> int | None:
    return None if rng.random() < hard else rng.randint(1, 6)


def _target(rng: random.Random, rots: list[Rotation]) -> Selector:
    u = rng.random()
    if u < 0.45:
        return sel(rotations=[r.id for r in rng.sample(rots, rng.randint(1, min(3, len(rots))))])
    if u < 0.8:
        return sel(categories=[rng.choice(rots).category])
    if u < 0.9:
        return sel(sites=[rng.choice(rots).site])
    return Selector()


def _who(rng: random.Random) -> ResidentSelector:
    u = rng.random()
    if u < 0.6:
        return EVERYONE
    if u < 0.85:
        return who(pgys=[rng.randint(1, 3)])
    return who(tracks=["prelim"])


def random_problem(rng: random.Random, *, for_local: bool = False) -> Problem:
    """A small problem with a random mix of every rule kind (only those the local search
    scores, with ``for_local``), hard and soft."""
    n = rng.randint(4, 8)
    rots: list[Rotation] = []
    for k in range(rng.randint(3, 6)):
        cat = CATEGORIES[k] if k < len(CATEGORIES) else rng.choice(CATEGORIES)
        length = rng.choice((1, 1, 2))
        coverage = tuple(
            CoverageRule(
                min=rng.choice((0, 0, 1, 1, 2)),
                max=rng.choice((None, 1, 2, 3)),
                role=rng.choice((None, None, "intern", "senior", "fellow")),
                blocks=frozenset(rng.sample(range(n), rng.randint(1, n)))
                if rng.random() < 0.4
                else frozenset(),
                weight=_weight(rng, 0.2),
            )
            for _ in range(rng.choice((0, 0, 1, 1, 2)))
        )
        rots.append(
            Rotation(
                f"k{k}",
                f"Rotation {k}",
                cat,
                site=rng.choice("abc"),
                discipline=rng.choice(("", "", "wards", "clinic")),
                length=length,
                pgys=frozenset({rng.randint(1, 3), rng.randint(1, 3)})
                if rng.random() < 0.15
                else frozenset(),
                tracks=frozenset({"categorical"}) if rng.random() < 0.1 else frozenset(),
                coverage=coverage,
                allowed_blocks=frozenset(rng.sample(range(n), n - 1))
                if rng.random() < 0.15
                else frozenset(),
                aligned=not for_local and length > 1 and rng.random() < 0.3,
            )
        )
    residents: list[Resident] = []
    for i in range(rng.randint(3, 12)):
        res = Resident(
            f"r{i}",
            pgy=rng.randint(1, 3),
            track="prelim" if rng.random() < 0.2 else "categorical",
            cohort=rng.randrange(3) if rng.random() < 0.6 else None,
            history=tuple((r.id, rng.randint(1, 3)) for r in rots if rng.random() < 0.1),
            unavailable=frozenset({rng.randrange(n)}) if rng.random() < 0.15 else frozenset(),
            ineligible=frozenset({rng.choice(rots).id}) if rng.random() < 0.1 else frozenset(),
        )
        p0 = Problem(Calendar(n), (res,), tuple(rots))
        if rng.random() < 0.15:
            opts = [
                (b, r.id)
                for r in rots
                if p0.eligible(res, r)
                for b in range(n)
                if p0.can_start(res, r, b)
            ]
            if opts:
                res = replace(res, pins=(rng.choice(opts),))
        residents.append(res)
    ids = [r.id for r in residents]

    def some(make: Callable[[int], T], most: int) -> tuple[T, ...]:
        return tuple(make(j) for j in range(rng.randint(0, most)))

    def req(j: int) -> Requirement:
        lo = rng.randint(0, 3)
        return Requirement(
            f"q{j}",
            _target(rng, rots),
            _who(rng),
            min=lo,
            max=rng.choice((None, lo, lo + 1, lo + 3)),
            unit=rng.choice((Unit.BLOCKS, Unit.STINTS)),
            scope=rng.choice(("year", "year", "residency")),
            weight=_weight(rng),
        )

    def window(j: int) -> Window:
        first = rng.randrange(n)
        return Window(
            f"w{j}",
            _who(rng),
            _target(rng, rots),
            first,
            rng.randint(first, n - 1),
            rng.randint(1, 2),
            _weight(rng, 0.2),
        )

    def template(j: int) -> Template:
        return Template(
            f"t{j}",
            rng.randint(2, 4),
            1,
            sel(categories=["ambulatory"]),
            _who(rng),
            offset=rng.randrange(3),
            exclusive=rng.random() < 0.5,
        )

    def prereq(j: int) -> Prerequisite:
        return Prerequisite(
            f"p{j}", _target(rng, rots), _target(rng, rots), _who(rng), _weight(rng)
        )

    def maxconsec(j: int) -> MaxConsecutive:
        return MaxConsecutive(
            f"m{j}", _target(rng, rots), rng.randint(1, 3), _who(rng), _weight(rng)
        )

    def adjacent(j: int) -> ForbiddenAdjacency:
        return ForbiddenAdjacency(
            f"a{j}",
            _target(rng, rots),
            _target(rng, rots),
            rng.random() < 0.5,
            _who(rng),
            _weight(rng),
        )

    def spacing(j: int) -> MinSpacing:
        return MinSpacing(f"s{j}", _target(rng, rots), rng.randint(1, 3), _who(rng), _weight(rng))

    def rest(j: int) -> RestAfter:
        return RestAfter(f"ra{j}", _target(rng, rots), _target(rng, rots), _who(rng), _weight(rng))

    def vacation(j: int) -> VacationRequest:
        return VacationRequest(
            f"v{j}",
            rng.choice(ids),
            frozenset(rng.sample(range(n), rng.randint(1, 2))),
            approved=rng.random() < 0.3,
            weight=rng.randint(1, 9),
        )

    def preference(j: int) -> Preference:
        return Preference(
            rng.choice(ids),
            _target(rng, rots),
            rng.randint(1, 9),
            rule=rng.choice(("preference", "preference", "rank")),
        )

    def wish(j: int) -> Wish:
        nb = rng.choice((None, rng.randrange(n)))
        na = rng.choice((None, rng.randrange(n))) if nb is not None else rng.randrange(n)
        return Wish(f"h{j}", rng.choice(ids), _target(rng, rots), nb, na, rng.randint(1, 6))

    def fairness(j: int) -> Fairness:
        return Fairness(
            f"f{j}",
            rng.choice(("blocks", "preference")),
            rng.randint(1, 4),
            _target(rng, rots),
            _who(rng),
            outside=((rng.randint(1, 3), 0, rng.randint(0, 4)),) if rng.random() < 0.3 else (),
        )

    def equity(j: int) -> Equity:
        return Equity(
            f"e{j}",
            rng.randint(1, 3),
            _who(rng),
            cap=rng.choice((None, None, rng.randint(-20, 5))),
        )

    p = Problem(
        Calendar(n),
        tuple(residents),
        tuple(rots),
        roles=((1, "intern"), (3, "fellow")) if rng.random() < 0.2 else ((1, "intern"),),
        full_assignment=False,
        requirements=some(req, 3),
        prerequisites=some(prereq, 2),
        vacation_requests=some(vacation, 3),
        preferences=some(preference, 8),
        wishes=some(wish, 3),
        equity=some(equity, 2),
        site_changes=tuple(SiteChange(r, rng.randint(1, 4)) for r in ids if rng.random() < 0.4),
        waiting=tuple(Waiting(r, rng.randint(1, 3)) for r in ids if rng.random() < 0.4),
    )
    if for_local:
        return p
    return replace(
        p,
        full_assignment=rng.random() < 0.4,
        windows=some(window, 2),
        templates=some(template, 1) if rng.random() < 0.4 else (),
        max_consecutive=some(maxconsec, 2),
        forbidden_adjacent=some(adjacent, 2),
        min_spacing=some(spacing, 2),
        rest_after=some(rest, 2),
        fairness=some(fairness, 2),
        _cache={},
    )


def soften(p: Problem, rng: random.Random) -> Problem:
    """``p`` with every hard rule that has a soft form made soft (and no full assignment,
    no templates, no approved vacation), so most schedules are feasible and priced."""

    def w(x: int | None) -> int:
        return rng.randint(1, 6) if x is None else x

    rots = tuple(
        replace(r, coverage=tuple(replace(c, weight=w(c.weight)) for c in r.coverage))
        for r in p.rotations
    )
    return replace(
        p,
        rotations=rots,
        full_assignment=False,
        templates=(),
        requirements=tuple(replace(x, weight=w(x.weight)) for x in p.requirements),
        windows=tuple(replace(x, weight=w(x.weight)) for x in p.windows),
        prerequisites=tuple(replace(x, weight=w(x.weight)) for x in p.prerequisites),
        max_consecutive=tuple(replace(x, weight=w(x.weight)) for x in p.max_consecutive),
        forbidden_adjacent=tuple(replace(x, weight=w(x.weight)) for x in p.forbidden_adjacent),
        min_spacing=tuple(replace(x, weight=w(x.weight)) for x in p.min_spacing),
        rest_after=tuple(replace(x, weight=w(x.weight)) for x in p.rest_after),
        vacation_requests=tuple(replace(x, approved=False) for x in p.vacation_requests),
        _cache={},
    )


def random_schedule(rng: random.Random, p: Problem, junk: float = 0.05) -> Schedule:
    """Random stints, nearly all at starts the resident may make (pins kept but for
    ``junk``), with idle gaps; a few cells anywhere (``junk``)."""
    n = p.calendar.n_blocks
    rm = p.rotation_map()
    out: Schedule = {}
    for res in p.residents:
        row: dict[int, str] = {}
        for b, k in res.pins:
            if rng.random() < junk:
                continue
            ln = rm[k].length
            for s in range(max(0, b - ln + 1), b + 1):
                if p.can_start(res, rm[k], s) and all(bb not in row for bb in range(s, s + ln)):
                    row.update({bb: k for bb in range(s, s + ln)})
                    break
        b = 0
        while b < n:
            if b in row or rng.random() < 0.25:
                b += 1
                continue
            opts = [
                r
                for r in p.rotations
                if p.eligible(res, r)
                and p.can_start(res, r, b)
                and all(bb not in row for bb in range(b, b + r.length))
            ]
            if not opts:
                b += 1
                continue
            rot = rng.choice(opts)
            row.update({bb: rot.id for bb in range(b, b + rot.length)})
            b += rot.length
        if rng.random() < junk:
            row[rng.randrange(n)] = rng.choice([*rm, "no_such_rotation"])
        out[res.id] = row
    return out


def perturbed(rng: random.Random, p: Problem, s: Schedule) -> Schedule:
    """``s`` with one or two cells changed (to another rotation, or emptied)."""
    out = {r: dict(row) for r, row in s.items()}
    for _ in range(rng.randint(1, 2)):
        r = rng.choice(p.residents).id
        b = rng.randrange(p.calendar.n_blocks)
        if rng.random() < 0.3:
            out.setdefault(r, {}).pop(b, None)
        else:
            out.setdefault(r, {})[b] = rng.choice(p.rotations).id
    return out


# -- the model and the checker on one schedule -------------------------------------------
def model_costs(p: Problem, schedule: Schedule) -> dict[str, int] | None:
    """Per rule, the model's term values (and constant) with its start literals fixed to
    ``schedule`` and the objective minimized; None when the model cannot take the schedule
    (a cell no start literal can cover) or is infeasible with it."""
    ctx = build(p)
    rm = p.rotation_map()
    fixed = _starts_of(ctx, schedule)
    rebuilt: Schedule = {r.id: {} for r in p.residents}
    for (r, k, b), v in ctx.start.items():
        if fixed[v.index]:
            for bb in range(b, b + rm[k].length):
                rebuilt[r][bb] = k
    if rebuilt != {r.id: schedule.get(r.id, {}) for r in p.residents}:
        return None
    for i, val in fixed.items():
        dom = ctx.model.proto.variables[i].domain
        dom[0] = dom[1] = val
    ctx.model.minimize(objective_expr(ctx))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 20
    st = solver.solve(ctx.model)
    if st == cp_model.INFEASIBLE:
        return None
    assert st == cp_model.OPTIMAL, solver.status_name(st)
    out: dict[str, int] = defaultdict(int)
    for t in ctx.terms:
        out[t.rule] += t.coef * int(solver.value(t.var))
    for rule, const in ctx.offsets.items():
        out[rule] += const
    assert sum(out.values()) == round(solver.objective_value) + ctx.offset
    return {k: v for k, v in out.items() if v}


def checker_costs(rep: Report) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for rule, _, _, cost in rep.costs:
        out[rule] += cost
    return {k: v for k, v in out.items() if v}


# the kinds of rule (names up to the first colon) the comparisons met: priced, and broken
PRICED: set[str] = set()
BROKEN: set[str] = set()


def assert_agree(p: Problem, schedule: Schedule, where: str) -> bool:
    """The model and the checker agree on ``schedule``; returns whether it is feasible."""
    rep = check(p, schedule)
    got = model_costs(p, schedule)
    if got is None:
        assert rep.violations, f"{where}: the model refuses a schedule the checker passes"
        BROKEN.update(v.rule.split(":")[0] for v in rep.violations)
        return False
    PRICED.update(rule.split(":")[0] for rule in got)
    assert not rep.violations, f"{where}: the model takes a schedule with {rep.violations[:3]}"
    assert got == checker_costs(rep), f"{where}: model {got} != checker {checker_costs(rep)}"
    return True


def test_the_model_and_the_checker_price_optimal_and_nearby_schedules_the_same() -> None:
    solved = priced = 0
    for seed in range(80):
        rng = random.Random(seed)
        p = random_problem(rng)
        # the best schedule found in a short time (most are proved optimal)
        res = solve(p, time_limit=0.5, workers=1)
        if not res.feasible:
            continue
        solved += 1
        assert assert_agree(p, res.schedule, f"seed {seed} optimum")
        # a schedule found but not proved best may leave an auxiliary variable (a spread, a
        # worst score) short of its tightest value: the objective then overstates it
        assert res.objective is not None
        obj = check(p, res.schedule).objective
        assert obj == res.objective if res.status == "OPTIMAL" else obj <= res.objective, seed
        for j in range(4):
            priced += assert_agree(p, perturbed(rng, p, res.schedule), f"seed {seed} near {j}")
    # the random problems must give the comparison something to work on
    assert solved >= 25 and priced >= 25, (solved, priced)


def test_the_model_and_the_checker_agree_on_random_schedules_hard_and_soft() -> None:
    feasible = infeasible = 0
    for seed in range(60):
        rng = random.Random(1000 + seed)
        p = random_problem(rng)
        for q, tag in ((p, "as drawn"), (soften(p, rng), "softened")):
            for j in range(3):
                ok = assert_agree(q, random_schedule(rng, q), f"seed {1000 + seed} {tag} {j}")
                feasible += ok
                infeasible += not ok
    assert feasible >= 60 and infeasible >= 60, (feasible, infeasible)
    # every rule was priced in some schedule and broken in another
    soft = {"coverage", "req", "window", "prereq", "maxconsec", "adjacent", "spacing", "rest"}
    soft |= {"vacation", "preference", "rank", "wish", "site_change", "waiting", "fairness"}
    assert soft | {"equity"} <= PRICED, soft | {"equity"} - PRICED
    hard = soft - {"preference", "rank", "wish", "site_change", "waiting", "fairness"}
    hard |= {"assign", "pin", "template", "length", "alignment", "eligibility", "unavailable"}
    hard |= {"allowed_blocks", "unknown_rotation"}
    assert hard <= BROKEN, hard - BROKEN


# -- the local search's running score ----------------------------------------------------
def hard_units(rep: Report) -> int:
    """Units of hard rules broken: how far each measured value is from its limit."""
    return sum(abs(v.measured - v.limit) for v in rep.violations)


def test_the_local_search_keeps_its_running_score_equal_to_a_full_rescore() -> None:
    broken = 0
    seen: set[str] = set()
    for seed in range(60):
        rng = random.Random(5000 + seed)
        p = random_problem(rng, for_local=True)
        assert local.supports(p), seed
        start = random_schedule(rng, p, junk=0.1)
        running, full, reached = local.replay(p, start, moves=2000, seed=seed)
        rep = check(p, reached)
        priced = rep.objective + local.HARD * hard_units(rep)
        assert running == full == priced, (seed, running, full, priced, rep.violations[:3])
        broken += bool(rep.violations)
        seen.update(rule.split(":")[0] for rule in checker_costs(rep))
        seen.update("!" + v.rule.split(":")[0] for v in rep.violations)
    # taking every move, most searches end on a schedule that breaks a hard rule
    assert broken >= 20, broken
    # and the schedules reached priced every rule the search scores, hard and soft
    soft = {"coverage", "req", "prereq", "vacation", "preference", "rank", "wish"}
    soft |= {"site_change", "waiting", "equity"}
    hard = {"!coverage", "!req", "!prereq", "!vacation"}
    assert soft | hard <= seen, (soft | hard) - seen
