"""The problem model of a shift roster: frozen dataclasses, no solver.

A roster assigns each person at most one shift per day over a horizon of ``horizon`` days
(day 0 is ``first_weekday``: 0 = Monday ... 6 = Sunday). A shift belongs to the day it starts
on; a shift whose start plus length passes midnight runs into the next day.

Every number is configuration. A requirement whose weight is ``None`` is hard; an integer
weight makes it soft, costing ``weight`` per unit of violation in the objective.

A roster (the answer) is ``dict[person_id, dict[day, shift_id]]``; a missing day is a day off.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

Roster = dict[str, dict[int, str]]

MINUTES_PER_DAY = 1440


@dataclass(frozen=True)
class ShiftType:
    """A kind of shift: ``start_minute`` after midnight, ``length_minutes`` long.

    ``in_house_call`` marks overnight in-house call (ACGME "every third night" counts it);
    ``night`` marks shifts that count as nights for fairness.
    """

    id: str
    start_minute: int = 0
    length_minutes: int = 480
    in_house_call: bool = False
    night: bool = False

    @property
    def end_minute(self) -> int:
        """Minutes after midnight of its own day at which the shift ends (may pass 1440)."""
        return self.start_minute + self.length_minutes


@dataclass(frozen=True)
class CoverRequirement:
    """How many people should work ``shift`` on ``day``.

    ``minimum``: hard when ``minimum_weight`` is None, else each missing person costs it.
    ``target``: preferred number; each person under costs ``under_weight``, over ``over_weight``.
    ``maximum``: hard when ``maximum_weight`` is None, else each extra person costs it.
    """

    day: int
    shift: str
    minimum: int = 0
    minimum_weight: int | None = None
    target: int | None = None
    under_weight: int = 0
    over_weight: int = 0
    maximum: int | None = None
    maximum_weight: int | None = None


@dataclass(frozen=True)
class Person:
    """One person's hard rules. ``None`` means "no limit".

    ``max_shifts`` caps the number of shifts of each listed type (0 forbids the type).
    Runs of working days and of days off that touch the first or last day of the horizon are
    exempt from the minimum-length rules (the days outside the horizon are unknown); the days
    before the horizon count as days off for the maximum run.
    """

    id: str
    max_shifts: Mapping[str, int] = field(default_factory=dict)
    min_total_minutes: int | None = None
    max_total_minutes: int | None = None
    min_consecutive_work: int | None = None
    max_consecutive_work: int | None = None
    min_consecutive_off: int | None = None
    max_weekends: int | None = None
    days_off: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ShiftRequest:
    """A wish: ``on`` True asks to work ``shift`` on ``day``, False asks not to.

    Soft: an unmet request costs ``weight``.
    """

    person: str
    day: int
    shift: str
    weight: int
    on: bool = True


@dataclass(frozen=True)
class Pin:
    """A fixed decision (hard): ``person`` works ``shift`` on ``day``; ``shift=None`` is off."""

    person: str
    day: int
    shift: str | None


FAIRNESS_KINDS = ("nights", "weekends", "holidays", "calls")


@dataclass(frozen=True)
class Fairness:
    """Spread (most minus fewest) of ``kind`` among ``persons`` costs ``weight`` per unit.

    Kinds: ``nights`` (shifts marked night), ``weekends`` (weekends worked), ``holidays`` (days
    in ``RosterProblem.holidays`` worked), ``calls`` (in-house call shifts).
    """

    kind: str
    persons: tuple[str, ...]
    weight: int
    name: str = ""
    #: counts carried in from outside the horizon, by person (what a person already has of
    #: ``kind`` from days this problem does not hold: earlier blocks, the rest of a year)
    offsets: Mapping[str, int] = field(default_factory=dict)
    #: the fixed counts of the rule's people who are not in this problem (a search that
    #: re-rosters some people keeps the spread over everybody)
    others: tuple[int, ...] = ()

    def applies(self) -> bool:
        """Whether the rule can cost anything: two people or more, and a weight."""
        return len(self.persons) + len(self.others) >= 2 and bool(self.weight)


@dataclass(frozen=True)
class AcgmeRules:
    """ACGME-style duty-hour limits on the daily grid; each ``None`` switches a limit off.

    All are hard when switched on. Minutes of a shift count on the day it starts.
    """

    #: at most this many minutes in any 7 consecutive days (a proxy, stricter than averaging)
    max_minutes_per_7_days: int | None = None
    #: at most this many minutes in every 28 consecutive days (80 h/week averaged over 4 weeks)
    max_minutes_per_28_days: int | None = None
    #: at least this many free days in every 28 consecutive days (one day in seven, averaged)
    min_free_days_per_28_days: int | None = None
    #: minimum rest in minutes between the end of one shift and the start of the next
    min_rest_minutes: int | None = None
    #: minimum rest after a shift at least ``long_shift_minutes`` long (e.g. 14 h after 24 h)
    min_rest_after_long_shift_minutes: int | None = None
    long_shift_minutes: int = 24 * 60
    #: in-house call at most every ``call_every_nth_night`` nights, averaged over 28 days
    call_every_nth_night: int | None = None
    #: maximum continuous duty in minutes (shifts that follow with no rest are continuous)
    max_continuous_duty_minutes: int | None = None

    @classmethod
    def standard(cls) -> AcgmeRules:
        """The common-program limits: 80 h averaged over 4 weeks, 1 day in 7 free, 8 h rest
        (14 h after 24 h call), call no more than every third night, 24 + 4 h continuous duty.
        """
        return cls(
            max_minutes_per_28_days=4 * 80 * 60,
            min_free_days_per_28_days=4,
            min_rest_minutes=8 * 60,
            min_rest_after_long_shift_minutes=14 * 60,
            call_every_nth_night=3,
            max_continuous_duty_minutes=28 * 60,
        )


@dataclass(frozen=True)
class RuleSet:
    """Optional rule families switched on for a solve."""

    acgme: AcgmeRules | None = None


@dataclass(frozen=True)
class RosterProblem:
    """Everything the engine needs to build a roster."""

    horizon: int
    shifts: tuple[ShiftType, ...]
    persons: tuple[Person, ...]
    cover: tuple[CoverRequirement, ...] = ()
    #: (a, b): nobody works ``b`` on day d+1 after ``a`` on day d (hard)
    forbidden_successions: frozenset[tuple[str, str]] = frozenset()
    requests: tuple[ShiftRequest, ...] = ()
    pins: tuple[Pin, ...] = ()
    fairness: tuple[Fairness, ...] = ()
    holidays: frozenset[int] = frozenset()
    first_weekday: int = 0
    rules: RuleSet = RuleSet()

    def shift(self, shift_id: str) -> ShiftType:
        for s in self.shifts:
            if s.id == shift_id:
                return s
        raise KeyError(shift_id)

    def weekends(self) -> list[tuple[int, ...]]:
        """The weekends of the horizon as tuples of day indexes (Saturday, Sunday)."""
        out: list[tuple[int, ...]] = []
        d = 0
        while d < self.horizon:
            wd = (self.first_weekday + d) % 7
            if wd == 5:
                out.append(tuple(x for x in (d, d + 1) if x < self.horizon))
                d += 2
            elif wd == 6:
                out.append((d,))
                d += 1
            else:
                d += 1
        return out

    def validate(self) -> list[str]:
        """Plain-words problems with the data itself (unknown ids, days out of range)."""
        errors: list[str] = []
        ids = {s.id for s in self.shifts}
        people = {p.id for p in self.persons}
        if len(ids) != len(self.shifts):
            errors.append("shift ids are not unique")
        if len(people) != len(self.persons):
            errors.append("person ids are not unique")

        def check(where: str, day: int | None, shift: str | None, person: str | None) -> None:
            if day is not None and not 0 <= day < self.horizon:
                errors.append(f"{where}: day {day} is outside the horizon")
            if shift is not None and shift not in ids:
                errors.append(f"{where}: unknown shift {shift!r}")
            if person is not None and person not in people:
                errors.append(f"{where}: unknown person {person!r}")

        for c in self.cover:
            check("cover", c.day, c.shift, None)
        for r in self.requests:
            check("request", r.day, r.shift, r.person)
        for p in self.pins:
            check("pin", p.day, p.shift, p.person)
        for a, b in self.forbidden_successions:
            check("forbidden succession", None, a, None)
            check("forbidden succession", None, b, None)
        for f in self.fairness:
            if f.kind not in FAIRNESS_KINDS:
                errors.append(f"fairness: unknown kind {f.kind!r}")
            for pid in [*f.persons, *f.offsets]:
                check("fairness", None, None, pid)
        for person in self.persons:
            for sid in person.max_shifts:
                check(f"person {person.id}", None, sid, None)
        return errors


def day_name(problem: RosterProblem, day: int) -> str:
    """``day 5 (Sat)``: a day index with its weekday, for messages."""
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    return f"day {day} ({names[(problem.first_weekday + day) % 7]})"


def roster_from_lines(lines: Iterable[tuple[str, int, str]]) -> Roster:
    """A roster from ``(person, day, shift)`` triples."""
    roster: Roster = {}
    for person, day, shift in lines:
        roster.setdefault(person, {})[day] = shift
    return roster
