"""The data the work-hour checker reads and writes: frozen dataclasses, no rules.

Every instant is timezone-aware. A naive datetime is refused with ``NaiveDatetimeError`` the
moment an ``Interval`` is built, so no rule ever has to guess a time zone. Durations are real
elapsed time: the checker converts every instant to UTC before subtracting (Python subtracts
two datetimes that share one tzinfo object on the wall clock, which would make a 24-hour call
across the November daylight-saving change look 24 hours long when it is 25).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """What an interval of a person's time was (or is scheduled to be)."""

    IN_HOUSE = "in_house"  # a shift in the hospital (day shift, night float, clinic)
    IN_HOUSE_CALL = "in_house_call"  # overnight/24-hour call in the hospital
    AT_HOME_CALL = "at_home_call"  # the *activated* time of at-home call (called in / paged)
    MOONLIGHTING_INTERNAL = "moonlighting_internal"
    MOONLIGHTING_EXTERNAL = "moonlighting_external"
    EDUCATION = "education"  # required education: conferences, didactics, simulation
    LEAVE = "leave"  # vacation, sick, parental or other leave


#: Everything but leave: counts toward the 80 hours and is not free time.
WORK_KINDS = frozenset(k for k in Kind if k is not Kind.LEAVE)
#: Scheduled clinical work and education: what the continuous-duty limits (W6/W7) and the
#: eight hours between shifts (W2) measure. Activated at-home call is unscheduled, so it is
#: not a "shift" there (it still counts toward W1 and breaks days off and the 14 hours of W3).
SCHEDULED_KINDS = WORK_KINDS - {Kind.AT_HOME_CALL}
MOONLIGHTING_KINDS = frozenset({Kind.MOONLIGHTING_INTERNAL, Kind.MOONLIGHTING_EXTERNAL})


class Severity(StrEnum):
    VIOLATION = "violation"  # a "must" of the requirements is not met
    WARNING = "warning"  # a "should", the 24+4 transition time used, or an early warning


class NaiveDatetimeError(ValueError):
    """A datetime without a UTC offset: the checker cannot know when it happened."""


def require_aware(value: dt.datetime, what: str) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise TypeError(f"{what} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(
            f"{what} {value.isoformat()} has no time zone: give a timezone-aware datetime"
        )
    return value


@dataclass(frozen=True)
class Interval:
    """One stretch of time, ``start`` inclusive to ``end`` exclusive, both timezone-aware."""

    start: dt.datetime
    end: dt.datetime
    kind: Kind

    def __post_init__(self) -> None:
        require_aware(self.start, "start")
        require_aware(self.end, "end")
        if not isinstance(self.kind, Kind):
            object.__setattr__(self, "kind", Kind(self.kind))  # a valid string is accepted
        if self.end.astimezone(dt.UTC) <= self.start.astimezone(dt.UTC):
            raise ValueError(
                f"end {self.end.isoformat()} is not after start {self.start.isoformat()}"
            )

    @property
    def hours(self) -> float:
        # In UTC: two datetimes sharing one ZoneInfo would subtract on the wall clock.
        return (self.end.astimezone(dt.UTC) - self.start.astimezone(dt.UTC)).total_seconds() / 3600


@dataclass(frozen=True)
class Rotation:
    """A rotation on a person's calendar, ``start_date`` to ``end_date`` both inclusive, as
    dates in the rule set's time zone (midnight to midnight)."""

    name: str
    start_date: dt.date
    end_date: dt.date

    def __post_init__(self) -> None:
        if self.end_date < self.start_date:
            raise ValueError(
                f"rotation {self.name!r} ends ({self.end_date}) before it starts "
                f"({self.start_date})"
            )

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1


@dataclass(frozen=True)
class Finding:
    """One violation or warning. ``value`` is the measured figure and ``limit`` the number
    it was held against, both in ``unit`` (hours per week, hours, days off, calls, nights).
    For the minimum rules (W2, W3, W4) the value fell *below* the limit; for the others it
    went above."""

    rule: str
    severity: Severity
    start: dt.datetime
    end: dt.datetime
    value: float
    limit: float
    unit: str
    message: str
    period: str = ""  # the rotation (or fallback period) an averaged figure belongs to
    person: str | None = None

    @property
    def is_violation(self) -> bool:
        return self.severity is Severity.VIOLATION
