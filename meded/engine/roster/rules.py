"""The CP-SAT model of a roster: one ``add_<rule>()`` per rule.

Decision variables: a boolean ``x[person, day, shift]`` per possible assignment and a boolean
``work[person, day]`` equal to their sum (at most one shift a day). Each hard rule is added
through :meth:`RosterModel.hard`, which files it under a named *group* ("A works at most 5 days
in a row"); when the model is built with ``explain=True`` every group gets an assumption
literal so an infeasible problem can be explained by the groups that conflict. Each soft rule
adds named :class:`Penalty` terms (rule id, person, day, detail, weight) so a solution lists
which rule cost what for whom.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from meded.engine.roster.problem import (
    MINUTES_PER_DAY,
    CoverRequirement,
    Person,
    Roster,
    RosterProblem,
    ShiftType,
    day_name,
)

Lit = cp_model.IntVar
LinearExpr = cp_model.LinearExprT


@dataclass
class Penalty:
    """One soft term: costs ``weight * value(expr)``."""

    rule: str
    person: str | None
    day: int | None
    detail: str
    weight: int
    expr: LinearExpr


@dataclass
class HardGroup:
    """A named family of hard constraints, switched on by ``literal`` in explain mode."""

    key: str
    description: str
    literal: Lit | None = None


@dataclass
class RosterModel:
    """The CP-SAT model under construction, with its variables, groups and penalties."""

    problem: RosterProblem
    explain: bool = False
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    x: dict[tuple[str, int, str], Lit] = field(default_factory=dict)
    work: dict[tuple[str, int], Lit] = field(default_factory=dict)
    weekend: dict[tuple[str, int], Lit] = field(default_factory=dict)
    groups: dict[str, HardGroup] = field(default_factory=dict)
    penalties: list[Penalty] = field(default_factory=list)

    def __post_init__(self) -> None:
        p = self.problem
        for person in p.persons:
            for d in range(p.horizon):
                for s in p.shifts:
                    self.x[person.id, d, s.id] = self.model.new_bool_var(
                        f"x[{person.id},{d},{s.id}]"
                    )
                self.work[person.id, d] = self.model.new_bool_var(f"work[{person.id},{d}]")

    # -- helpers -------------------------------------------------------------------------

    def group(self, key: str, description: str) -> HardGroup:
        g = self.groups.get(key)
        if g is None:
            g = HardGroup(key, description)
            if self.explain:
                g.literal = self.model.new_bool_var(f"assume[{key}]")
            self.groups[key] = g
        return g

    def hard(self, ct: cp_model.Constraint, key: str, description: str) -> None:
        """File ``ct`` under the hard group ``key`` (enforced by its literal when explaining)."""
        g = self.group(key, description)
        if g.literal is not None:
            ct.only_enforce_if(g.literal)

    def penalize(
        self,
        rule: str,
        person: str | None,
        day: int | None,
        detail: str,
        weight: int,
        expr: LinearExpr,
    ) -> None:
        if weight:
            self.penalties.append(Penalty(rule, person, day, detail, weight, expr))

    def shifts_of(self, pid: str, day: int, shifts: Sequence[ShiftType]) -> list[Lit]:
        return [self.x[pid, day, s.id] for s in shifts]

    def day(self, d: int) -> str:
        return day_name(self.problem, d)

    def roster(self, value: Callable[[cp_model.IntVar], int]) -> Roster:
        """The roster of a solution: who works which shift on which day, by ``value`` of
        each assignment variable (a solver's ``boolean_value``, a callback's ``value``)."""
        out: Roster = {}
        for (pid, d, sid), var in self.x.items():
            if value(var):
                out.setdefault(pid, {})[d] = sid
        return out

    def objective(self) -> LinearExpr:
        return cp_model.LinearExpr.weighted_sum(
            [pen.expr for pen in self.penalties], [pen.weight for pen in self.penalties]
        )


def _total(terms: Sequence[LinearExpr]) -> cp_model.LinearExpr:
    """The sum of ``terms``, built by CP-SAT rather than term by term in Python (the same
    expression; on a year's roster of 120 people the windowed rules' sums took seconds)."""
    return cp_model.LinearExpr.sum(terms)


def _windows(horizon: int, length: int, limit: int) -> list[tuple[range, int]]:
    """Every window of ``length`` consecutive days with its limit; a shorter horizon is one
    window with the limit prorated (rounded down)."""
    if horizon >= length:
        return [(range(s, s + length), limit) for s in range(horizon - length + 1)]
    return [(range(horizon), limit * horizon // length)]


# -- structure ---------------------------------------------------------------------------


def add_one_shift_per_day(rm: RosterModel) -> None:
    """Hard, structural: each person works at most one shift a day; ``work`` is that sum."""
    p = rm.problem
    for person in p.persons:
        for d in range(p.horizon):
            rm.model.add(_total(rm.shifts_of(person.id, d, p.shifts)) == rm.work[person.id, d])


def add_no_overlap(rm: RosterModel) -> None:
    """Hard, structural: a shift that runs past the start of the next day's shift cannot be
    followed by it (a person is in one place at a time)."""
    p = rm.problem
    for a in p.shifts:
        for k in range(1, a.end_minute // MINUTES_PER_DAY + 1):
            for b in p.shifts:
                if k * MINUTES_PER_DAY + b.start_minute >= a.end_minute:
                    continue
                for person in p.persons:
                    for d in range(p.horizon - k):
                        rm.model.add_bool_or(
                            [rm.x[person.id, d, a.id].Not(), rm.x[person.id, d + k, b.id].Not()]
                        )


def add_weekend_variables(rm: RosterModel) -> None:
    """Structural: ``weekend[person, w]`` is true exactly when the person works that weekend."""
    p = rm.problem
    for w, days in enumerate(p.weekends()):
        for person in p.persons:
            we = rm.model.new_bool_var(f"weekend[{person.id},{w}]")
            works = [rm.work[person.id, d] for d in days]
            rm.model.add_max_equality(we, works)
            rm.weekend[person.id, w] = we


# -- cover -------------------------------------------------------------------------------


def encode_cover(
    m: cp_model.CpModel,
    c: CoverRequirement,
    count: cp_model.LinearExpr,
    people: int,
    hard: Callable[[cp_model.Constraint, str], None] | None,
    penalize: Callable[[str, int, cp_model.IntVar], None],
) -> None:
    """One cover requirement on ``count`` (the people on its shift that day, at most
    ``people``): its hard limits given to ``hard`` (with "minimum" or "maximum"; None when
    they need no explaining group), its soft
    terms to ``penalize`` (rule, weight, variable). The roster model (:func:`add_cover`) and
    the spans' master with whole numbers (:mod:`meded.engine.roster.spans`) share it."""
    tag = f"{c.day}:{c.shift}"
    if c.minimum > 0:
        if c.minimum_weight is None:
            ct = m.add(count >= c.minimum)
            if hard is not None:
                hard(ct, "minimum")
        else:
            short = m.new_int_var(0, c.minimum, f"cover_short[{tag}]")
            m.add(count + short >= c.minimum)
            penalize("cover_minimum", c.minimum_weight, short)
    if c.maximum is not None:
        if c.maximum_weight is None:
            ct = m.add(count <= c.maximum)
            if hard is not None:
                hard(ct, "maximum")
        else:
            extra = m.new_int_var(0, people, f"cover_extra[{tag}]")
            m.add(count - extra <= c.maximum)
            penalize("cover_maximum", c.maximum_weight, extra)
    if c.target is not None and (c.under_weight or c.over_weight):
        under = m.new_int_var(0, c.target, f"cover_under[{tag}]")
        over = m.new_int_var(0, max(0, people - c.target), f"cover_over[{tag}]")
        m.add(count + under - over == c.target)
        penalize("cover_under", c.under_weight, under)
        penalize("cover_over", c.over_weight, over)


def add_cover(rm: RosterModel) -> None:
    """Cover per day and shift.

    Hard: ``minimum`` / ``maximum`` when their weight is None. Soft: a weighted minimum costs
    ``minimum_weight`` per missing person (rule ``cover_minimum``); the target costs
    ``under_weight`` per person under (``cover_under``) and ``over_weight`` per person over
    (``cover_over``); a weighted maximum costs ``maximum_weight`` per extra person
    (``cover_maximum``).
    """
    p = rm.problem
    n = len(p.persons)
    for c in p.cover:
        count = _total([rm.x[person.id, c.day, c.shift] for person in p.persons])
        where = f"{c.shift} on {rm.day(c.day)}"
        tag = f"{c.day}:{c.shift}"

        def hard(
            ct: cp_model.Constraint,
            which: str,
            c: CoverRequirement = c,
            where: str = where,
            tag: str = tag,
        ) -> None:
            limit = c.minimum if which == "minimum" else c.maximum
            most = "at least" if which == "minimum" else "at most"
            rm.hard(ct, f"cover_{which}:{tag}", f"{most} {limit} people work {where}")

        def penalize(rule: str, weight: int, var: cp_model.IntVar, c: CoverRequirement = c) -> None:
            rm.penalize(rule, None, c.day, c.shift, weight, var)

        encode_cover(rm.model, c, count, n, hard, penalize)


# -- per person --------------------------------------------------------------------------


def add_max_shifts_per_type(rm: RosterModel) -> None:
    """Hard: each person works at most ``max_shifts[type]`` shifts of each listed type."""
    p = rm.problem
    for person in p.persons:
        for sid, limit in person.max_shifts.items():
            if limit >= p.horizon:
                continue
            total = _total([rm.x[person.id, d, sid] for d in range(p.horizon)])
            rm.hard(
                rm.model.add(total <= limit),
                f"max_shifts:{person.id}:{sid}",
                f"{person.id} works at most {limit} {sid} shifts",
            )


def _minutes(rm: RosterModel, person: Person, days: Sequence[int]) -> LinearExpr:
    p = rm.problem
    timed = [s for s in p.shifts if s.length_minutes]
    return cp_model.LinearExpr.weighted_sum(
        [rm.x[person.id, d, s.id] for d in days for s in timed],
        [s.length_minutes for _d in days for s in timed],
    )


def add_total_minutes(rm: RosterModel) -> None:
    """Hard: each person's total minutes lie between ``min_total_minutes`` and
    ``max_total_minutes``."""
    p = rm.problem
    for person in p.persons:
        total = _minutes(rm, person, range(p.horizon))
        if person.max_total_minutes is not None:
            rm.hard(
                rm.model.add(total <= person.max_total_minutes),
                f"max_total_minutes:{person.id}",
                f"{person.id} works at most {person.max_total_minutes} minutes in total",
            )
        if person.min_total_minutes:
            rm.hard(
                rm.model.add(total >= person.min_total_minutes),
                f"min_total_minutes:{person.id}",
                f"{person.id} works at least {person.min_total_minutes} minutes in total",
            )


def add_max_consecutive_work(rm: RosterModel) -> None:
    """Hard: no run of more than ``max_consecutive_work`` working days (the days before the
    horizon are off): every window of k+1 days has a day off."""
    p = rm.problem
    for person in p.persons:
        k = person.max_consecutive_work
        if k is None or k >= p.horizon:
            continue
        for start in range(p.horizon - k):
            window = [rm.work[person.id, d] for d in range(start, start + k + 1)]
            rm.hard(
                rm.model.add(_total(window) <= k),
                f"max_consecutive_work:{person.id}",
                f"{person.id} works at most {k} days in a row",
            )


def _forbid_short_runs(
    rm: RosterModel, pid: str, k: int, on: bool, key: str, description: str
) -> None:
    """Forbid runs of 1..k-1 days with ``work == on`` that have a neighbour inside the horizon
    on both sides (runs touching the first or last day are exempt)."""
    p = rm.problem
    for length in range(1, k):
        for d in range(1, p.horizon - length):
            inside = [rm.work[pid, t] for t in range(d, d + length)]
            before, after = rm.work[pid, d - 1], rm.work[pid, d + length]
            if on:
                clause = [before, after, *(v.Not() for v in inside)]
            else:
                clause = [before.Not(), after.Not(), *inside]
            rm.hard(rm.model.add_bool_or(clause), key, description)


def add_min_consecutive_work(rm: RosterModel) -> None:
    """Hard: every run of working days is at least ``min_consecutive_work`` long, unless it
    touches the first or last day of the horizon."""
    for person in rm.problem.persons:
        k = person.min_consecutive_work
        if k is not None and k > 1:
            _forbid_short_runs(
                rm,
                person.id,
                k,
                True,
                f"min_consecutive_work:{person.id}",
                f"{person.id} works at least {k} days in a row once started",
            )


def add_min_consecutive_off(rm: RosterModel) -> None:
    """Hard: every run of days off is at least ``min_consecutive_off`` long, unless it touches
    the first or last day of the horizon."""
    for person in rm.problem.persons:
        k = person.min_consecutive_off
        if k is not None and k > 1:
            _forbid_short_runs(
                rm,
                person.id,
                k,
                False,
                f"min_consecutive_off:{person.id}",
                f"{person.id} has at least {k} days off in a row",
            )


def add_run_formulation(rm: RosterModel) -> None:
    """Hard, redundant (optimisation only): the runs of working days as *stint* variables.

    ``stint[person, start, length]`` is true when the person works exactly the days
    ``start .. start+length-1`` as one run. Lengths respect the min/max consecutive working
    days (runs touching the first or last day may be shorter); every working day lies in
    exactly one stint, and the days after a stint are off for at least the minimum days off.
    The same rules as the run constraints above, in a form whose linear relaxation is much
    tighter, which lets CP-SAT's LP bound and search see run structure. Not built when
    explaining infeasibility (it would bypass the assumption groups).
    """
    if rm.explain:
        return
    p = rm.problem
    h = p.horizon
    m = rm.model
    for person in p.persons:
        lo = max(1, person.min_consecutive_work or 1)
        hi = min(h, person.max_consecutive_work or h)
        gap = max(1, person.min_consecutive_off or 1)
        if lo == 1 and hi >= h and gap == 1:
            continue
        if hi * (hi - lo + 1) * h > 20000:  # too many stints to be worth it
            continue
        covering: dict[int, list[Lit]] = {d: [] for d in range(h)}
        ending: dict[int, list[Lit]] = {d: [] for d in range(h + 1)}
        for start in range(h):
            for length in range(1, min(hi, h - start) + 1):
                edge = start == 0 or start + length == h
                if length < lo and not edge:
                    continue
                y = m.new_bool_var(f"stint[{person.id},{start},{length}]")
                for d in range(start, start + length):
                    covering[d].append(y)
                ending[start + length].append(y)
        for d in range(h):
            m.add(_total(covering[d]) == rm.work[person.id, d])
            after = [y for e in range(max(0, d - gap + 1), d + 1) for y in ending[e]]
            if after:
                m.add(_total(after) + rm.work[person.id, d] <= 1)


def add_max_weekends(rm: RosterModel) -> None:
    """Hard: each person works at most ``max_weekends`` weekends (a weekend is worked when
    either of its days is)."""
    p = rm.problem
    n_weekends = len(p.weekends())
    for person in p.persons:
        limit = person.max_weekends
        if limit is None or limit >= n_weekends:
            continue
        total = _total([rm.weekend[person.id, w] for w in range(n_weekends)])
        rm.hard(
            rm.model.add(total <= limit),
            f"max_weekends:{person.id}",
            f"{person.id} works at most {limit} weekends",
        )


def add_forbidden_successions(rm: RosterModel) -> None:
    """Hard: nobody works shift b on day d+1 after shift a on day d, for each listed (a, b)."""
    p = rm.problem
    for a, b in sorted(p.forbidden_successions):
        for person in p.persons:
            for d in range(p.horizon - 1):
                rm.hard(
                    rm.model.add_bool_or(
                        [rm.x[person.id, d, a].Not(), rm.x[person.id, d + 1, b].Not()]
                    ),
                    f"succession:{a}:{b}",
                    f"nobody works {b} the day after {a}",
                )


def add_days_off(rm: RosterModel) -> None:
    """Hard: nobody works on one of their fixed days off."""
    for person in rm.problem.persons:
        for d in sorted(person.days_off):
            if 0 <= d < rm.problem.horizon:
                rm.hard(
                    rm.model.add(rm.work[person.id, d] == 0),
                    f"day_off:{person.id}:{d}",
                    f"{person.id} is off on {rm.day(d)}",
                )


def add_pins(rm: RosterModel) -> None:
    """Hard: pinned assignments (a shift, or a day off when the pin's shift is None)."""
    for pin in rm.problem.pins:
        if pin.shift is None:
            ct = rm.model.add(rm.work[pin.person, pin.day] == 0)
            text = f"{pin.person} is pinned off on {rm.day(pin.day)}"
        else:
            ct = rm.model.add(rm.x[pin.person, pin.day, pin.shift] == 1)
            text = f"{pin.person} is pinned to {pin.shift} on {rm.day(pin.day)}"
        rm.hard(ct, f"pin:{pin.person}:{pin.day}", text)


def add_requests(rm: RosterModel) -> None:
    """Soft: an unmet shift-on request (off, or on another shift) costs its weight (rule
    ``shift_on_request``); a worked shift-off request costs its weight (``shift_off_request``).
    """
    for r in rm.problem.requests:
        x = rm.x[r.person, r.day, r.shift]
        if r.on:
            rm.penalize("shift_on_request", r.person, r.day, r.shift, r.weight, 1 - x)
        else:
            rm.penalize("shift_off_request", r.person, r.day, r.shift, r.weight, x)


def add_fairness(rm: RosterModel) -> None:
    """Soft: for each fairness rule, ``weight`` per unit of spread (most minus fewest) of
    nights, weekends, holidays or calls among its persons (rule ``fairness_<kind>``); a
    person's count includes their ``offsets`` (from outside the horizon), and the fixed
    counts of ``others`` (the rule's people not in the problem) are in the spread too."""
    p = rm.problem
    m = rm.model
    n_weekends = len(p.weekends())
    for i, f in enumerate(p.fairness):
        if not f.applies():
            continue
        counts: list[LinearExpr] = []
        for pid in f.persons:
            if f.kind == "nights":
                terms = [rm.x[pid, d, s.id] for d in range(p.horizon) for s in p.shifts if s.night]
            elif f.kind == "calls":
                terms = [
                    rm.x[pid, d, s.id]
                    for d in range(p.horizon)
                    for s in p.shifts
                    if s.in_house_call
                ]
            elif f.kind == "weekends":
                terms = [rm.weekend[pid, w] for w in range(n_weekends)]
            elif f.kind == "holidays":
                terms = [rm.work[pid, d] for d in sorted(p.holidays) if d < p.horizon]
            else:
                raise ValueError(f"unknown fairness kind {f.kind!r}")
            counts.append(_total(terms) + f.offsets.get(pid, 0))
        top = p.horizon + max([0, *f.offsets.values(), *f.others])
        hi = m.new_int_var(max([0, *f.others]), top, f"fair_hi[{i}]")
        lo = m.new_int_var(0, min([top, *f.others]), f"fair_lo[{i}]")
        for c in counts:
            m.add(hi >= c)
            m.add(lo <= c)
        spread = m.new_int_var(0, top, f"fair_spread[{i}]")
        m.add(spread == hi - lo)
        name = f.name or ",".join(f.persons)
        rm.penalize(f"fairness_{f.kind}", None, None, f"spread among {name}", f.weight, spread)


# -- ACGME-style limits (hard, switched on by RuleSet.acgme) ------------------------------


def add_acgme_max_minutes_7_days(rm: RosterModel) -> None:
    """Hard (ACGME proxy): at most ``max_minutes_per_7_days`` in any 7 consecutive days (a
    shorter horizon gets the prorated limit, as the 28-day limits do)."""
    rules = rm.problem.rules.acgme
    if rules is None or rules.max_minutes_per_7_days is None:
        return
    p = rm.problem
    for person in p.persons:
        for days, limit in _windows(p.horizon, 7, rules.max_minutes_per_7_days):
            rm.hard(
                rm.model.add(_minutes(rm, person, days) <= limit),
                f"acgme_7_days:{person.id}",
                f"{person.id} works at most {limit // 60} h in any 7 days",
            )


def add_acgme_max_minutes_28_days(rm: RosterModel) -> None:
    """Hard (ACGME 80 h/week averaged over 4 weeks): at most ``max_minutes_per_28_days`` in
    every 28 consecutive days (a shorter horizon gets the prorated limit)."""
    rules = rm.problem.rules.acgme
    if rules is None or rules.max_minutes_per_28_days is None:
        return
    p = rm.problem
    for person in p.persons:
        for days, limit in _windows(p.horizon, 28, rules.max_minutes_per_28_days):
            rm.hard(
                rm.model.add(_minutes(rm, person, days) <= limit),
                f"acgme_80_hours:{person.id}",
                f"{person.id} works at most 80 h a week averaged over 4 weeks",
            )


def add_acgme_free_days(rm: RosterModel) -> None:
    """Hard (ACGME one day in seven free, averaged over 4 weeks): at least
    ``min_free_days_per_28_days`` free days in every 28 consecutive days. A day is free when
    no shift starts on it and no earlier shift runs into it (a shift longer than a day can
    reach past the next midnight too; checking only the day before counted the second day of
    such a shift as free)."""
    rules = rm.problem.rules.acgme
    if rules is None or rules.min_free_days_per_28_days is None:
        return
    p = rm.problem
    m = rm.model
    for person in p.persons:
        free = {}
        for d in range(p.horizon):
            f = m.new_bool_var(f"free[{person.id},{d}]")
            m.add_implication(f, rm.work[person.id, d].Not())
            for s in p.shifts:
                for k in range(1, min(d, (s.end_minute - 1) // MINUTES_PER_DAY) + 1):
                    m.add_implication(f, rm.x[person.id, d - k, s.id].Not())
            free[d] = f
        for days, need in _windows(p.horizon, 28, rules.min_free_days_per_28_days):
            rm.hard(
                m.add(_total([free[d] for d in days]) >= need),
                f"acgme_days_off:{person.id}",
                f"{person.id} has one day in seven free, averaged over 4 weeks",
            )


def _rest_pairs(rm: RosterModel, required: int | None) -> list[tuple[ShiftType, int, ShiftType]]:
    """(a, k, b) such that b on day d+k starts less than the required rest after a on d ends."""
    rules = rm.problem.rules.acgme
    out: list[tuple[ShiftType, int, ShiftType]] = []
    if rules is None:
        return out
    for a in rm.problem.shifts:
        need = required
        if (
            rules.min_rest_after_long_shift_minutes is not None
            and a.length_minutes >= rules.long_shift_minutes
        ):
            need = max(need or 0, rules.min_rest_after_long_shift_minutes)
        if need is None:
            continue
        k = 1
        while k * MINUTES_PER_DAY < a.end_minute + need:
            for b in rm.problem.shifts:
                rest = k * MINUTES_PER_DAY + b.start_minute - a.end_minute
                if 0 <= rest < need:
                    out.append((a, k, b))
            k += 1
    return out


def add_acgme_min_rest(rm: RosterModel) -> None:
    """Hard (ACGME rest between duty periods): a shift starts at least ``min_rest_minutes``
    after the previous one ends (``min_rest_after_long_shift_minutes`` after a long shift),
    counted from start times and lengths across midnight."""
    rules = rm.problem.rules.acgme
    if rules is None:
        return
    p = rm.problem
    for a, k, b in _rest_pairs(rm, rules.min_rest_minutes):
        for person in p.persons:
            for d in range(p.horizon - k):
                rm.hard(
                    rm.model.add_bool_or(
                        [rm.x[person.id, d, a.id].Not(), rm.x[person.id, d + k, b.id].Not()]
                    ),
                    f"acgme_rest:{person.id}",
                    f"{person.id} rests long enough between shifts",
                )


def add_acgme_call_frequency(rm: RosterModel) -> None:
    """Hard (ACGME in-house call no more than every third night, averaged over 4 weeks): at
    most 28 // n call shifts in every 28 consecutive days (prorated on a shorter horizon)."""
    rules = rm.problem.rules.acgme
    if rules is None or rules.call_every_nth_night is None:
        return
    p = rm.problem
    calls = [s for s in p.shifts if s.in_house_call]
    if not calls:
        return
    n = rules.call_every_nth_night
    for person in p.persons:
        for days, limit in _windows(p.horizon, 28, 28 // n):
            total = _total([rm.x[person.id, d, s.id] for d in days for s in calls])
            rm.hard(
                rm.model.add(total <= limit),
                f"acgme_call:{person.id}",
                f"{person.id} takes call no more than every {n} nights, averaged over 4 weeks",
            )


def _duty_chains(shifts: Sequence[ShiftType], limit: int) -> list[list[tuple[int, ShiftType]]]:
    """The shortest chains of back-to-back shifts (each starting the minute the one before
    ends, on a later day) longer than ``limit``, as (day offset, shift) from the first."""
    out: list[list[tuple[int, ShiftType]]] = []

    def extend(chain: list[tuple[int, ShiftType]], end: int, total: int) -> None:
        # ``end``: the chain's end in minutes after the first day's midnight
        for b in shifts:
            k, rest = divmod(end - b.start_minute, MINUTES_PER_DAY)
            if rest or k <= chain[-1][0]:
                continue
            longer = [*chain, (k, b)]
            if total + b.length_minutes > limit:
                out.append(longer)
            else:
                extend(longer, end + b.length_minutes, total + b.length_minutes)

    for a in shifts:
        if a.length_minutes <= limit:
            extend([(0, a)], a.end_minute, a.length_minutes)
    return out


def add_acgme_continuous_duty(rm: RosterModel) -> None:
    """Hard (ACGME maximum continuous duty): no shift longer than
    ``max_continuous_duty_minutes``, and no chain of shifts back to back (each starting the
    minute the one before ends: no rest between them) whose lengths add up to more. Chains,
    not only pairs: with pairs alone, 20:00-08:00, 08:00-24:00, 00:00-08:00 (36 h) passed a
    28 h limit."""
    rules = rm.problem.rules.acgme
    if rules is None or rules.max_continuous_duty_minutes is None:
        return
    p = rm.problem
    limit = rules.max_continuous_duty_minutes
    key = "acgme_continuous:{}"
    text = "{} is on duty at most " + f"{limit // 60} h without a break"
    for person in p.persons:
        for s in p.shifts:
            if s.length_minutes > limit:
                for d in range(p.horizon):
                    rm.hard(
                        rm.model.add(rm.x[person.id, d, s.id] == 0),
                        key.format(person.id),
                        text.format(person.id),
                    )
    for chain in _duty_chains(p.shifts, limit):
        span = chain[-1][0]
        for person in p.persons:
            for d in range(p.horizon - span):
                rm.hard(
                    rm.model.add_bool_or([rm.x[person.id, d + k, s.id].Not() for k, s in chain]),
                    key.format(person.id),
                    text.format(person.id),
                )


ALL_RULES = (
    add_one_shift_per_day,
    add_no_overlap,
    add_weekend_variables,
    add_cover,
    add_max_shifts_per_type,
    add_total_minutes,
    add_max_consecutive_work,
    add_min_consecutive_work,
    add_min_consecutive_off,
    add_run_formulation,
    add_max_weekends,
    add_forbidden_successions,
    add_days_off,
    add_pins,
    add_requests,
    add_fairness,
    add_acgme_max_minutes_7_days,
    add_acgme_max_minutes_28_days,
    add_acgme_free_days,
    add_acgme_min_rest,
    add_acgme_call_frequency,
    add_acgme_continuous_duty,
)


def build_model(problem: RosterProblem, explain: bool = False) -> RosterModel:
    """The full model of ``problem``; with ``explain`` every hard group has an assumption
    literal and there is no objective."""
    errors = problem.validate()
    if errors:
        raise ValueError("; ".join(errors))
    rm = RosterModel(problem, explain=explain)
    for add in ALL_RULES:
        add(rm)
    if not explain and rm.penalties:
        rm.model.minimize(rm.objective())
    return rm
