"""A seeded residency roster problem of the product's shape, without Django.

The product (meded.rosters.adapters) builds one engine problem per rotation and block from
the program's shift templates: each template a shift type (at-home call counts no minutes),
its cover minimum hard, its target soft (10 per resident under, 1 per resident over), its
maximum hard and no cover on the days it does not run; leave as days off; at most 6 days in
a row; the ACGME limits (``AcgmeRules.standard()``) hard; and four fairness rules among the
rotation's residents (calls, nights, weekends, holidays; weight 3 each per unit of spread).
This module builds the same shape for one pool of ``residents`` over ``blocks`` blocks of
``block_days`` days (the demo's blocks are 14 days: 26 to the year): the demo's shift
templates (meded.rosters.demo) merged into one set, their cover scaled to the pool, two
blocks of vacation a year as days off, the US federal holidays of the year that starts on
July 1. The product solves a rotation's block at a time (a few to a few dozen residents,
27 pinned days of lookback and the block's 14 days); this is one larger problem of the same
rules, to see how the engine scales.

:func:`check` scores a roster independently of the model (written from the rules above):
the hard rules it breaks and the soft cost it pays.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from meded.engine.roster import (
    AcgmeRules,
    CoverRequirement,
    Fairness,
    Person,
    RosterProblem,
    RuleSet,
    ShiftType,
)
from meded.rosters.holidays import federal_holidays

# the product's weights (meded.rosters.adapters)
UNDER_WEIGHT = 10
OVER_WEIGHT = 1
FAIRNESS_WEIGHT = 3
MAX_DAYS_IN_A_ROW = 6
FAIRNESS_KINDS = ("calls", "nights", "weekends", "holidays")
#: the demo's year: 26 two-week blocks, two of them vacation
DEMO_BLOCK_DAYS = 14
DEMO_BLOCKS = 26
VACATION_BLOCKS = 2
YEAR_START = dt.date(2025, 7, 1)

WEEKDAYS = (0, 1, 2, 3, 4)
WEEKEND = (5, 6)
EVERY_DAY = tuple(range(7))
SUN_TO_FRI = (6, 0, 1, 2, 3, 4)


@dataclass(frozen=True)
class Template:
    """A shift template as the demo has it: cover per resident of the pool (min, target,
    max: fractions of ``residents``, rounded; max None: no maximum)."""

    code: str
    start_hour: int
    hours: float
    days: tuple[int, ...]
    holidays: str  # "normal", "skip" (not on holidays), "also" (also on holidays)
    minimum: float
    target: float
    maximum: float | None = None
    night: bool = False
    in_house_call: bool = False
    at_home: bool = False

    def runs_on(self, day: dt.date, holidays: frozenset[dt.date]) -> bool:
        if day in holidays:
            if self.holidays == "also":
                return True
            if self.holidays == "skip":
                return False
        return day.weekday() in self.days


#: the demo's templates (meded.rosters.demo.TEMPLATES), one of each kind, with cover per
#: resident of the pool: the services' targets within reach, the clinic's (as the demo's
#: ambulatory clinic, whose target of 60 no block's headcount reaches) beyond it, so that
#: the residents' duty-hour limits decide how much of it is covered
TEMPLATES = (
    Template("day", 7, 12, WEEKDAYS, "skip", 0.10, 0.30),
    Template("weekend", 7, 12, WEEKEND, "also", 0.04, 0.14),
    Template("call", 7, 24, EVERY_DAY, "normal", 0.02, 0.05, 0.05, in_house_call=True),
    Template("night", 19, 12, SUN_TO_FRI, "normal", 0.02, 0.06, night=True),
    Template("evening", 15, 10, EVERY_DAY, "normal", 0.0, 0.04),
    Template("clinic", 8, 9, WEEKDAYS, "skip", 0.0, 0.5),
    Template("home", 8, 24, WEEKEND, "also", 0.0, 0.02, 0.02, at_home=True),
)


def holidays_between(first: dt.date, last: dt.date) -> frozenset[dt.date]:
    out = set()
    for year in range(first.year, last.year + 1):
        out |= {d for d, _name in federal_holidays(year) if first <= d <= last}
    return frozenset(out)


def shift_type(t: Template) -> ShiftType:
    """As meded.rosters.adapters.shift_type: at-home call counts no minutes."""
    return ShiftType(
        id=t.code,
        start_minute=t.start_hour * 60,
        length_minutes=0 if t.at_home else int(t.hours * 60),
        in_house_call=t.in_house_call,
        night=t.night,
    )


def residency(
    residents: int = 120, blocks: int = 13, block_days: int = DEMO_BLOCK_DAYS, seed: int = 1
) -> RosterProblem:
    """The pool's problem (see the module text), seeded: who is on vacation when."""
    rng = random.Random(seed)
    horizon = blocks * block_days
    first = YEAR_START
    last = first + dt.timedelta(days=horizon - 1)
    holidays = holidays_between(first, last)
    # vacation: two demo blocks a year, prorated to the horizon, in whole blocks at random
    vacation_days = round(VACATION_BLOCKS * DEMO_BLOCK_DAYS * horizon / (DEMO_BLOCKS * 14))
    persons = []
    for i in range(residents):
        off: set[int] = set()
        left = vacation_days
        while left > 0 and blocks > 1:
            b = rng.randrange(blocks)
            days = set(range(b * block_days, min(horizon, (b + 1) * block_days)))
            if days & off:
                continue
            take = sorted(days)[:left]
            off |= set(take)
            left -= len(take)
        persons.append(
            Person(f"r{i + 1:03d}", days_off=frozenset(off), max_consecutive_work=MAX_DAYS_IN_A_ROW)
        )
    cover = []
    for d in range(horizon):
        date = first + dt.timedelta(days=d)
        for t in TEMPLATES:
            if not t.runs_on(date, holidays):
                cover.append(CoverRequirement(day=d, shift=t.code, maximum=0))
                continue
            target = round(t.target * residents)
            cover.append(
                CoverRequirement(
                    day=d,
                    shift=t.code,
                    minimum=min(target, round(t.minimum * residents)),
                    target=target,
                    under_weight=UNDER_WEIGHT,
                    over_weight=OVER_WEIGHT,
                    maximum=None
                    if t.maximum is None
                    else max(target, round(t.maximum * residents)),
                )
            )
    ids = tuple(p.id for p in persons)
    return RosterProblem(
        horizon=horizon,
        shifts=tuple(shift_type(t) for t in TEMPLATES),
        persons=tuple(persons),
        cover=tuple(cover),
        fairness=tuple(Fairness(k, ids, FAIRNESS_WEIGHT, name="residents") for k in FAIRNESS_KINDS),
        holidays=frozenset((d - first).days for d in holidays),
        first_weekday=first.weekday(),
        rules=RuleSet(acgme=AcgmeRules.standard()),
    )
