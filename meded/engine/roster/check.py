"""An independent checker of a roster against every rule, in plain Python (no solver).

:func:`check` scores a :data:`~meded.engine.roster.problem.Roster` against a
:class:`~meded.engine.roster.problem.RosterProblem` and returns a :class:`Report`: every
broken hard rule and every soft rule that costs something, as :class:`Violation`\\ s. There is
one ``check_<rule>()`` per ``add_<rule>()`` of :mod:`meded.engine.roster.rules`, written from
the rule's definition (the docstrings of :mod:`~meded.engine.roster.problem` and of the
``add_`` function), never from the CP-SAT model, so the two can be compared: :data:`RULES`
pairs them, and ``meded/engine/tests/test_roster_agreement.py`` asserts that with the model's
assignment fixed to a roster the model's penalties equal the checker's costs term by term and
that the model is infeasible exactly when the checker finds a hard violation.

A violation's ``rule`` is the name the model uses: the ``rm.penalize`` rule of a soft term
(``cover_under``, ``shift_on_request``, ``fairness_nights``...), or for a hard rule the
prefix of its hard group's key (``max_consecutive_work``, ``succession``, ``acgme_rest``...),
with the full key in ``group``. The structural rules (one shift a day, no overlap) have no
group in the model; their violations have ``group=None``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise

from meded.engine.roster import rules
from meded.engine.roster.problem import (
    MINUTES_PER_DAY,
    Person,
    Roster,
    RosterProblem,
    ShiftType,
    day_name,
)


@dataclass(frozen=True)
class Violation:
    """One broken rule: hard (``cost`` 0) or soft (``cost`` is the penalty)."""

    rule: str
    person: str | None
    day: int | None
    detail: str
    cost: int = 0
    hard: bool = False
    #: the model's hard group key (None for soft terms and structural rules)
    group: str | None = None


@dataclass
class Report:
    """Every violation of a roster; ``feasible`` when no hard rule is broken."""

    violations: list[Violation] = field(default_factory=list)

    @property
    def hard(self) -> list[Violation]:
        return [v for v in self.violations if v.hard]

    @property
    def soft(self) -> list[Violation]:
        return [v for v in self.violations if not v.hard]

    @property
    def feasible(self) -> bool:
        return not self.hard

    @property
    def objective(self) -> int:
        return sum(v.cost for v in self.soft)

    def cost_by_rule(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        for v in self.soft:
            out[v.rule] += v.cost
        return dict(out)

    def groups(self) -> set[str]:
        """The hard groups broken (the keys of :class:`~meded.engine.roster.rules.HardGroup`)."""
        return {v.group for v in self.hard if v.group is not None}


# -- helpers -----------------------------------------------------------------------------


def _shift_on(problem: RosterProblem, roster: Roster, pid: str, day: int) -> ShiftType | None:
    sid = roster.get(pid, {}).get(day)
    return None if sid is None else problem.shift(sid)


def _works(roster: Roster, pid: str, day: int) -> bool:
    return day in roster.get(pid, {})


def _runs(flags: list[bool]) -> Iterator[tuple[int, int]]:
    """(start, length) of every maximal run of True in ``flags``."""
    start: int | None = None
    for d, f in enumerate([*flags, False]):
        if f and start is None:
            start = d
        elif not f and start is not None:
            yield start, d - start
            start = None


def _timeline(problem: RosterProblem, roster: Roster, pid: str) -> list[tuple[int, int, ShiftType]]:
    """(day, absolute start minute, shift) of each worked shift, in order."""
    out = []
    for d in sorted(roster.get(pid, {})):
        s = problem.shift(roster[pid][d])
        out.append((d, d * MINUTES_PER_DAY + s.start_minute, s))
    return out


def _windows(horizon: int, length: int, limit: int) -> list[tuple[range, int]]:
    """Every ``length``-day window of the horizon with its limit; a horizon shorter than a
    window is one window, its limit prorated (rounded down), as the rules' docstrings say for
    the 28-day limits (the 7-day limit is prorated the same way)."""
    if horizon >= length:
        return [(range(s, s + length), limit) for s in range(horizon - length + 1)]
    return [(range(horizon), limit * horizon // length)]


def _minutes(problem: RosterProblem, roster: Roster, pid: str, days: range) -> int:
    total = 0
    for d in days:
        s = _shift_on(problem, roster, pid, d)
        if s is not None:
            total += s.length_minutes
    return total


def _hard(
    rule: str, key: str | None, person: str | None, day: int | None, detail: str
) -> Violation:
    return Violation(rule, person, day, detail, 0, True, key)


# -- structure ---------------------------------------------------------------------------


def check_one_shift_per_day(problem: RosterProblem, roster: Roster) -> list[Violation]:
    """At most one shift a day holds by the roster's shape; what can break is the shape
    itself: an unknown person or shift, or a day outside the horizon."""
    out: list[Violation] = []
    people = {p.id for p in problem.persons}
    shifts = {s.id for s in problem.shifts}
    for pid, days in roster.items():
        if pid not in people:
            out.append(_hard("one_shift_per_day", None, pid, None, f"unknown person {pid!r}"))
            continue
        for d, sid in days.items():
            if not 0 <= d < problem.horizon:
                out.append(_hard("one_shift_per_day", None, pid, d, "day outside the horizon"))
            if sid not in shifts:
                out.append(_hard("one_shift_per_day", None, pid, d, f"unknown shift {sid!r}"))
    return out


def check_no_overlap(problem: RosterProblem, roster: Roster) -> list[Violation]:
    """A person is in one place at a time: no shift starts before an earlier one ends."""
    out: list[Violation] = []
    for person in problem.persons:
        line = _timeline(problem, roster, person.id)
        for i, (d, start, a) in enumerate(line):
            for d2, start2, b in line[i + 1 :]:
                if start2 < start + a.length_minutes:
                    detail = f"{b.id} on {day_name(problem, d2)} starts before {a.id} ends"
                    out.append(_hard("no_overlap", None, person.id, d, detail))
    return out


def check_weekend_variables(problem: RosterProblem, roster: Roster) -> list[Violation]:
    """Defines the model's worked-weekend variables; nothing to break."""
    return []


def check_run_formulation(problem: RosterProblem, roster: Roster) -> list[Violation]:
    """A redundant form of the run rules; they are checked by :func:`check_max_consecutive_work`,
    :func:`check_min_consecutive_work` and :func:`check_min_consecutive_off`."""
    return []


# -- cover -------------------------------------------------------------------------------


def check_cover(problem: RosterProblem, roster: Roster) -> list[Violation]:
    """Count the people on each required shift and day against minimum, target, maximum."""
    out: list[Violation] = []
    for c in problem.cover:
        count = sum(1 for p in problem.persons if roster.get(p.id, {}).get(c.day) == c.shift)
        tag = f"{c.day}:{c.shift}"
        where = f"{c.shift} on {day_name(problem, c.day)}"
        short = max(0, c.minimum - count)
        if c.minimum > 0 and short:
            if c.minimum_weight is None:
                detail = f"{count} of at least {c.minimum} work {where}"
                out.append(_hard("cover_minimum", f"cover_minimum:{tag}", None, c.day, detail))
            elif c.minimum_weight:
                out.append(
                    Violation("cover_minimum", None, c.day, c.shift, c.minimum_weight * short)
                )
        if c.maximum is not None and count > c.maximum:
            extra = count - c.maximum
            if c.maximum_weight is None:
                detail = f"{count} of at most {c.maximum} work {where}"
                out.append(_hard("cover_maximum", f"cover_maximum:{tag}", None, c.day, detail))
            elif c.maximum_weight:
                out.append(
                    Violation("cover_maximum", None, c.day, c.shift, c.maximum_weight * extra)
                )
        if c.target is not None:
            under, over = max(0, c.target - count), max(0, count - c.target)
            if under and c.under_weight:
                out.append(Violation("cover_under", None, c.day, c.shift, c.under_weight * under))
            if over and c.over_weight:
                out.append(Violation("cover_over", None, c.day, c.shift, c.over_weight * over))
    return out


# -- per person --------------------------------------------------------------------------


def check_max_shifts_per_type(problem: RosterProblem, roster: Roster) -> list[Violation]:
    out: list[Violation] = []
    for person in problem.persons:
        for sid, limit in person.max_shifts.items():
            n = sum(1 for s in roster.get(person.id, {}).values() if s == sid)
            if n > limit:
                detail = f"{n} {sid} shifts, at most {limit}"
                out.append(
                    _hard("max_shifts", f"max_shifts:{person.id}:{sid}", person.id, None, detail)
                )
    return out


def check_total_minutes(problem: RosterProblem, roster: Roster) -> list[Violation]:
    out: list[Violation] = []
    for person in problem.persons:
        total = _minutes(problem, roster, person.id, range(problem.horizon))
        hi, lo = person.max_total_minutes, person.min_total_minutes
        if hi is not None and total > hi:
            key = f"max_total_minutes:{person.id}"
            out.append(_hard("max_total_minutes", key, person.id, None, f"{total} > {hi} min"))
        if lo is not None and total < lo:
            key = f"min_total_minutes:{person.id}"
            out.append(_hard("min_total_minutes", key, person.id, None, f"{total} < {lo} min"))
    return out


def _work_flags(problem: RosterProblem, roster: Roster, person: Person) -> list[bool]:
    return [_works(roster, person.id, d) for d in range(problem.horizon)]


def check_max_consecutive_work(problem: RosterProblem, roster: Roster) -> list[Violation]:
    """No run of working days longer than the maximum (the days before the horizon are off,
    so a run from day 0 counts from day 0)."""
    out: list[Violation] = []
    for person in problem.persons:
        k = person.max_consecutive_work
        if k is None:
            continue
        for start, length in _runs(_work_flags(problem, roster, person)):
            if length > k:
                key = f"max_consecutive_work:{person.id}"
                detail = f"works {length} days in a row, at most {k}"
                out.append(_hard("max_consecutive_work", key, person.id, start, detail))
    return out


def _short_runs(
    problem: RosterProblem, flags: list[bool], k: int | None
) -> Iterator[tuple[int, int]]:
    """Runs of True shorter than ``k`` that touch neither the first nor the last day."""
    if k is None:
        return
    for start, length in _runs(flags):
        if length < k and start > 0 and start + length < problem.horizon:
            yield start, length


def check_min_consecutive_work(problem: RosterProblem, roster: Roster) -> list[Violation]:
    out: list[Violation] = []
    for person in problem.persons:
        k = person.min_consecutive_work
        for start, length in _short_runs(problem, _work_flags(problem, roster, person), k):
            key = f"min_consecutive_work:{person.id}"
            detail = f"works {length} days in a row, at least {k}"
            out.append(_hard("min_consecutive_work", key, person.id, start, detail))
    return out


def check_min_consecutive_off(problem: RosterProblem, roster: Roster) -> list[Violation]:
    out: list[Violation] = []
    for person in problem.persons:
        k = person.min_consecutive_off
        off = [not w for w in _work_flags(problem, roster, person)]
        for start, length in _short_runs(problem, off, k):
            key = f"min_consecutive_off:{person.id}"
            detail = f"{length} days off in a row, at least {k}"
            out.append(_hard("min_consecutive_off", key, person.id, start, detail))
    return out


def _weekends_worked(problem: RosterProblem, roster: Roster, pid: str) -> int:
    return sum(1 for days in problem.weekends() if any(_works(roster, pid, d) for d in days))


def check_max_weekends(problem: RosterProblem, roster: Roster) -> list[Violation]:
    out: list[Violation] = []
    for person in problem.persons:
        limit = person.max_weekends
        n = _weekends_worked(problem, roster, person.id)
        if limit is not None and n > limit:
            key = f"max_weekends:{person.id}"
            detail = f"works {n} weekends, at most {limit}"
            out.append(_hard("max_weekends", key, person.id, None, detail))
    return out


def check_forbidden_successions(problem: RosterProblem, roster: Roster) -> list[Violation]:
    out: list[Violation] = []
    for person in problem.persons:
        mine = roster.get(person.id, {})
        for d, a in mine.items():
            b = mine.get(d + 1)
            if b is not None and (a, b) in problem.forbidden_successions:
                key = f"succession:{a}:{b}"
                out.append(_hard("succession", key, person.id, d, f"{b} the day after {a}"))
    return out


def check_days_off(problem: RosterProblem, roster: Roster) -> list[Violation]:
    out: list[Violation] = []
    for person in problem.persons:
        for d in sorted(person.days_off):
            if _works(roster, person.id, d):
                key = f"day_off:{person.id}:{d}"
                out.append(_hard("day_off", key, person.id, d, "works a fixed day off"))
    return out


def check_pins(problem: RosterProblem, roster: Roster) -> list[Violation]:
    out: list[Violation] = []
    for pin in problem.pins:
        got = roster.get(pin.person, {}).get(pin.day)
        if got != pin.shift:
            key = f"pin:{pin.person}:{pin.day}"
            detail = f"pinned to {pin.shift or 'off'}, has {got or 'off'}"
            out.append(_hard("pin", key, pin.person, pin.day, detail))
    return out


def check_requests(problem: RosterProblem, roster: Roster) -> list[Violation]:
    out: list[Violation] = []
    for r in problem.requests:
        works_it = roster.get(r.person, {}).get(r.day) == r.shift
        if r.weight and works_it != r.on:
            rule = "shift_on_request" if r.on else "shift_off_request"
            out.append(Violation(rule, r.person, r.day, r.shift, r.weight))
    return out


def fairness_count(problem: RosterProblem, roster: Roster, pid: str, kind: str) -> int:
    """How many nights, weekends, holidays or calls ``pid`` works."""
    mine = roster.get(pid, {})
    if kind == "nights":
        return sum(1 for sid in mine.values() if problem.shift(sid).night)
    if kind == "calls":
        return sum(1 for sid in mine.values() if problem.shift(sid).in_house_call)
    if kind == "weekends":
        return _weekends_worked(problem, roster, pid)
    if kind == "holidays":
        return sum(1 for d in problem.holidays if d in mine)
    raise ValueError(f"unknown fairness kind {kind!r}")


def check_fairness(problem: RosterProblem, roster: Roster) -> list[Violation]:
    """``weight`` per unit of spread (most minus fewest) among the rule's persons."""
    out: list[Violation] = []
    for f in problem.fairness:
        if not f.applies():
            continue
        counts = [
            fairness_count(problem, roster, pid, f.kind) + f.offsets.get(pid, 0)
            for pid in f.persons
        ]
        counts.extend(f.others)
        spread = max(counts) - min(counts)
        if spread:
            name = f.name or ",".join(f.persons)
            detail = f"spread among {name}"
            out.append(Violation(f"fairness_{f.kind}", None, None, detail, f.weight * spread))
    return out


# -- ACGME-style limits ------------------------------------------------------------------


def _window_limit(
    problem: RosterProblem,
    length: int,
    limit: int,
    amount: Callable[[Person, range], int],
    rule: str,
    unit: str,
) -> list[Violation]:
    out: list[Violation] = []
    for person in problem.persons:
        for days, cap in _windows(problem.horizon, length, limit):
            n = amount(person, days)
            if n > cap:
                detail = f"{n} {unit} in days {days.start}-{days.stop - 1}, at most {cap}"
                out.append(_hard(rule, f"{rule}:{person.id}", person.id, days.start, detail))
    return out


def check_acgme_max_minutes_7_days(problem: RosterProblem, roster: Roster) -> list[Violation]:
    acgme = problem.rules.acgme
    if acgme is None or acgme.max_minutes_per_7_days is None:
        return []
    return _window_limit(
        problem,
        7,
        acgme.max_minutes_per_7_days,
        lambda person, days: _minutes(problem, roster, person.id, days),
        "acgme_7_days",
        "minutes",
    )


def check_acgme_max_minutes_28_days(problem: RosterProblem, roster: Roster) -> list[Violation]:
    acgme = problem.rules.acgme
    if acgme is None or acgme.max_minutes_per_28_days is None:
        return []
    return _window_limit(
        problem,
        28,
        acgme.max_minutes_per_28_days,
        lambda person, days: _minutes(problem, roster, person.id, days),
        "acgme_80_hours",
        "minutes",
    )


def _busy_days(problem: RosterProblem, roster: Roster, pid: str) -> set[int]:
    """Days on which the person is on duty: a shift starts on it, or an earlier shift runs
    past its midnight into it."""
    busy: set[int] = set()
    for d, start, s in _timeline(problem, roster, pid):
        end = start + s.length_minutes
        t = d
        while t * MINUTES_PER_DAY < end:
            busy.add(t)
            t += 1
    return busy


def check_acgme_free_days(problem: RosterProblem, roster: Roster) -> list[Violation]:
    """At least ``min_free_days_per_28_days`` free days in every 28 days (prorated)."""
    acgme = problem.rules.acgme
    if acgme is None or acgme.min_free_days_per_28_days is None:
        return []
    out: list[Violation] = []
    for person in problem.persons:
        busy = _busy_days(problem, roster, person.id)
        for days, need in _windows(problem.horizon, 28, acgme.min_free_days_per_28_days):
            free = sum(1 for d in days if d not in busy)
            if free < need:
                key = f"acgme_days_off:{person.id}"
                detail = f"{free} free days in days {days.start}-{days.stop - 1}, at least {need}"
                out.append(_hard("acgme_days_off", key, person.id, days.start, detail))
    return out


def check_acgme_min_rest(problem: RosterProblem, roster: Roster) -> list[Violation]:
    """Between the end of each shift and the start of the next: at least
    ``min_rest_minutes``, or ``min_rest_after_long_shift_minutes`` after a long shift.
    (Overlapping shifts are :func:`check_no_overlap`'s.)"""
    acgme = problem.rules.acgme
    if acgme is None:
        return []
    out: list[Violation] = []
    for person in problem.persons:
        line = _timeline(problem, roster, person.id)
        for (d, start, a), (_, start2, b) in pairwise(line):
            need = acgme.min_rest_minutes
            long_rest = acgme.min_rest_after_long_shift_minutes
            if long_rest is not None and a.length_minutes >= acgme.long_shift_minutes:
                need = max(need or 0, long_rest)
            rest = start2 - (start + a.length_minutes)
            if need is not None and 0 <= rest < need:
                key = f"acgme_rest:{person.id}"
                detail = f"{rest} min rest between {a.id} and {b.id}, at least {need}"
                out.append(_hard("acgme_rest", key, person.id, d, detail))
    return out


def check_acgme_call_frequency(problem: RosterProblem, roster: Roster) -> list[Violation]:
    """At most 28 // n in-house calls in every 28 days (prorated on a shorter horizon)."""
    acgme = problem.rules.acgme
    if acgme is None or acgme.call_every_nth_night is None:
        return []
    n = acgme.call_every_nth_night

    def calls(person: Person, days: range) -> int:
        return sum(
            1
            for d in days
            if (s := _shift_on(problem, roster, person.id, d)) is not None and s.in_house_call
        )

    return _window_limit(problem, 28, 28 // n, calls, "acgme_call", "calls")


def check_acgme_continuous_duty(problem: RosterProblem, roster: Roster) -> list[Violation]:
    """Continuous duty (a chain of shifts each starting the minute the one before ends) lasts
    at most ``max_continuous_duty_minutes``."""
    acgme = problem.rules.acgme
    if acgme is None or acgme.max_continuous_duty_minutes is None:
        return []
    limit = acgme.max_continuous_duty_minutes
    out: list[Violation] = []
    for person in problem.persons:
        line = _timeline(problem, roster, person.id)
        chain_start: int | None = None
        chain_day = 0
        end = None
        for d, start, s in line:
            if end is None or start != end:
                chain_start, chain_day = start, d
            end = start + s.length_minutes
            assert chain_start is not None
            if end - chain_start > limit:
                key = f"acgme_continuous:{person.id}"
                detail = f"on duty {end - chain_start} min without a break, at most {limit}"
                out.append(_hard("acgme_continuous", key, person.id, chain_day, detail))
    return out


CheckFn = Callable[[RosterProblem, Roster], list[Violation]]
AddFn = Callable[[rules.RosterModel], None]

#: each rule of the model by name: its ``add_<rule>`` and ``check_<rule>``
RULES: dict[str, tuple[AddFn, CheckFn]] = {
    "one_shift_per_day": (rules.add_one_shift_per_day, check_one_shift_per_day),
    "no_overlap": (rules.add_no_overlap, check_no_overlap),
    "weekend_variables": (rules.add_weekend_variables, check_weekend_variables),
    "cover": (rules.add_cover, check_cover),
    "max_shifts_per_type": (rules.add_max_shifts_per_type, check_max_shifts_per_type),
    "total_minutes": (rules.add_total_minutes, check_total_minutes),
    "max_consecutive_work": (rules.add_max_consecutive_work, check_max_consecutive_work),
    "min_consecutive_work": (rules.add_min_consecutive_work, check_min_consecutive_work),
    "min_consecutive_off": (rules.add_min_consecutive_off, check_min_consecutive_off),
    "run_formulation": (rules.add_run_formulation, check_run_formulation),
    "max_weekends": (rules.add_max_weekends, check_max_weekends),
    "forbidden_successions": (rules.add_forbidden_successions, check_forbidden_successions),
    "days_off": (rules.add_days_off, check_days_off),
    "pins": (rules.add_pins, check_pins),
    "requests": (rules.add_requests, check_requests),
    "fairness": (rules.add_fairness, check_fairness),
    "acgme_max_minutes_7_days": (
        rules.add_acgme_max_minutes_7_days,
        check_acgme_max_minutes_7_days,
    ),
    "acgme_max_minutes_28_days": (
        rules.add_acgme_max_minutes_28_days,
        check_acgme_max_minutes_28_days,
    ),
    "acgme_free_days": (rules.add_acgme_free_days, check_acgme_free_days),
    "acgme_min_rest": (rules.add_acgme_min_rest, check_acgme_min_rest),
    "acgme_call_frequency": (rules.add_acgme_call_frequency, check_acgme_call_frequency),
    "acgme_continuous_duty": (rules.add_acgme_continuous_duty, check_acgme_continuous_duty),
}


def check(problem: RosterProblem, roster: Roster) -> Report:
    """Every violation of ``roster``. A malformed roster (unknown person or shift, a day
    outside the horizon) is reported as such and not checked further."""
    shape = check_one_shift_per_day(problem, roster)
    if shape:
        return Report(shape)
    report = Report()
    for _add, check_rule in RULES.values():
        report.violations.extend(check_rule(problem, roster))
    return report
