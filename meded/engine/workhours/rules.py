"""The ACGME work-hour rules (CPR VI.F), one function per rule, and ``check_person``.

Every ``check_*`` function takes ``(intervals, rotations, pgy, ruleset)`` and returns the
findings of its one rule; ``check_person`` runs them all on one timeline and ``check_many``
on many people. Rule ids are those of the project's domain notes (rules.md, section 1):

    W1  80 hours a week, averaged by rotation             check_w1_weekly_hours
        (+ every rolling 28-day window, as a warning)
    W2  8 hours off between shifts ("should")             check_w2_time_between_shifts
    W3  14 hours free after 24 hours of in-house call     check_w3_rest_after_call
    W4  one day in seven free, averaged (W5: a day off    check_w4_days_off
        is one continuous 24-hour period)
    W6  24 hours of continuous scheduled assignment       check_w6_w7_continuous_duty
    W7  ... plus up to 4 hours of transition time
    W10 PGY-1 residents may not moonlight                 check_w10_moonlighting
    W11 night float within the 80-hour and day-off rules  check_w11_night_float
    W12 in-house call no more often than every 3rd night  check_w12_call_frequency
    W13 at-home call counts toward the 80 hours and must  (W1 and W4: see below)
        leave one day in seven free

W8 (staying on after handing off, hours still counted) needs no rule of its own: the hours
are intervals like any other. W9 (a Review Committee's exception up to 88 hours) is
configuration: ``RuleSet.with_exception(weekly_hours=88)``.

What counts as work: every kind but leave (in-house shifts and call, activated at-home call,
internal and external moonlighting, required education). Overlapping intervals are counted
once. All durations are real elapsed time (UTC arithmetic), so a 24-hour call across the
November daylight-saving change measures 25 hours.

Measured values are rounded to two decimals *away from passing* (up for a maximum, down for a
minimum), so a finding never shows a figure that looks compliant; the comparison itself is
exact.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

from meded.engine.workhours.model import (
    MOONLIGHTING_KINDS,
    SCHEDULED_KINDS,
    WORK_KINDS,
    Finding,
    Interval,
    Kind,
    Rotation,
    Severity,
)
from meded.engine.workhours.ruleset import CURRENT, RuleSet
from meded.engine.workhours.timeline import (
    ONE_DAY,
    UTC,
    DayGrid,
    Period,
    Span,
    averaging_periods,
    hours,
    local_date,
    merge,
    spans,
)

VIOLATION, WARNING = Severity.VIOLATION, Severity.WARNING


def _up(x: float) -> float:
    return math.ceil(round(x * 100, 6)) / 100


def _down(x: float) -> float:
    return math.floor(round(x * 100, 6)) / 100


def _h(value: float) -> dt.timedelta:
    return dt.timedelta(hours=value)


@dataclass
class Timeline:
    """One person's intervals prepared once for every rule: merged UTC spans by kind, the
    local day grid and the averaging periods."""

    intervals: Sequence[Interval]
    rotations: Sequence[Rotation]
    pgy: int | None
    ruleset: RuleSet

    @classmethod
    def build(
        cls,
        intervals: Iterable[Interval],
        rotations: Iterable[Rotation] = (),
        pgy: int | None = None,
        ruleset: RuleSet = CURRENT,
    ) -> Timeline:
        items = list(intervals)
        for i in items:
            if not isinstance(i, Interval):
                raise TypeError(f"expected Interval, got {type(i).__name__}")
        if pgy is not None and (isinstance(pgy, bool) or not isinstance(pgy, int) or pgy < 1):
            raise ValueError(f"pgy must be a positive whole number or None, not {pgy!r}")
        return cls(items, list(rotations), pgy, ruleset)

    @property
    def zone(self) -> dt.tzinfo:
        return self.ruleset.zone

    def local(self, instant: dt.datetime) -> dt.datetime:
        return instant.astimezone(self.zone)

    @cached_property
    def work(self) -> list[Span]:
        """Every kind of work, merged: continuous periods of work."""
        return merge(spans(self.intervals, WORK_KINDS))

    @cached_property
    def scheduled(self) -> list[Span]:
        """Scheduled work (all work but activated at-home call), merged: shifts."""
        return merge(spans(self.intervals, SCHEDULED_KINDS))

    @cached_property
    def leave(self) -> list[Span]:
        return merge(spans(self.intervals, [Kind.LEAVE]))

    @cached_property
    def calls(self) -> list[Span]:
        """In-house call, merged: call intervals that touch are one call."""
        return merge(spans(self.intervals, [Kind.IN_HOUSE_CALL]))

    @cached_property
    def periods(self) -> list[Period]:
        zone = self.ruleset.zone
        days: set[dt.date] = set()
        for start, end in self.work:
            d, last = local_date(start, zone), local_date(end - dt.timedelta(microseconds=1), zone)
            while d <= last:
                days.add(d)
                d += ONE_DAY
        return averaging_periods(
            self.rotations, days, self.ruleset.averaging_days, self.ruleset.single_period_max_days
        )

    @cached_property
    def grid(self) -> DayGrid | None:
        """Local days covering every period, every interval and at least one averaging
        window from the first day; None when there is nothing to look at."""
        zone = self.ruleset.zone
        firsts = [p.first for p in self.periods]
        lasts = [p.last for p in self.periods]
        for start, end in merge(spans(self.intervals, Kind)):
            firsts.append(local_date(start, zone))
            lasts.append(local_date(end - dt.timedelta(microseconds=1), zone))
        if not firsts:
            return None
        first = min(firsts)
        last = max([*lasts, first + dt.timedelta(days=self.ruleset.averaging_days - 1)])
        return DayGrid(first, last, zone, self.work, self.leave)

    def effective_days(self, first: dt.date, last: dt.date) -> int:
        """Days first..last minus leave days (leave leaves numerator and denominator)."""
        assert self.grid is not None
        return (last - first).days + 1 - self.grid.leave_days_between(first, last)

    def period_bounds(self, p: Period) -> Span:
        assert self.grid is not None
        return self.grid.start_of(p.first), self.grid.end_of(p.last)

    @cached_property
    def long_call_periods(self) -> list[Span]:
        """Continuous work periods of at least ``call_length_for_rest_hours`` (24) that
        include in-house call: the "24 hours of in-house call" after which W3 asks 14 h."""
        out = []
        for start, end in self.work:
            if end - start < _h(self.ruleset.call_length_for_rest_hours):
                continue
            if any(s < end and e > start for s, e in self.calls):
                out.append((start, end))
        return out

    def finding(
        self,
        rule: str,
        severity: Severity,
        span: Span,
        value: float,
        limit: float,
        unit: str,
        message: str,
        period: str = "",
    ) -> Finding:
        return Finding(
            rule,
            severity,
            self.local(span[0]),
            self.local(span[1]),
            value,
            limit,
            unit,
            message,
            period,
        )


# --- The rules ------------------------------------------------------------------------------


def w1_weekly_hours(tl: Timeline) -> list[Finding]:
    rs, grid, out = tl.ruleset, tl.grid, []
    if grid is None:
        return []
    limit_seconds = rs.weekly_hours * 3600
    for p in tl.periods:
        eff = tl.effective_days(p.first, p.last)
        if eff <= 0:
            continue
        worked = grid.work_between(p.first, p.last)
        if worked * 7 > limit_seconds * eff:
            avg = hours(worked) * 7 / eff
            leave = p.days - eff
            leave_note = f", {leave} leave day{'s' * (leave != 1)} excluded" if leave else ""
            out.append(
                tl.finding(
                    "W1",
                    VIOLATION,
                    tl.period_bounds(p),
                    _up(avg),
                    rs.weekly_hours,
                    "h/week",
                    f"{_up(hours(worked)):g} h over {eff} days{leave_note} = {_up(avg):g} h/week "
                    f"averaged over {p.label} (limit {rs.weekly_hours:g})",
                    p.label,
                )
            )
    if rs.rolling_window_warning:
        out.extend(_w1_rolling(tl))
    return out


def _w1_rolling(tl: Timeline) -> list[Finding]:
    """Every rolling window of ``averaging_days`` local days over the grid; consecutive
    windows above the limit are reported as one warning spanning them, with the highest
    average."""
    rs, grid = tl.ruleset, tl.grid
    assert grid is not None
    width = dt.timedelta(days=rs.averaging_days - 1)
    limit_seconds = rs.weekly_hours * 3600
    runs: list[tuple[dt.date, dt.date, float]] = []  # first window start, last start, max avg
    day = grid.first
    while day + width <= grid.last:
        eff = tl.effective_days(day, day + width)
        worked = grid.work_between(day, day + width)
        if eff > 0 and worked * 7 > limit_seconds * eff:
            avg = hours(worked) * 7 / eff
            if runs and runs[-1][1] == day - ONE_DAY:
                runs[-1] = (runs[-1][0], day, max(runs[-1][2], avg))
            else:
                runs.append((day, day, avg))
        day += ONE_DAY
    official = [  # periods whose own average is over: their windows are no news
        tl.period_bounds(p)
        for p in tl.periods
        if (eff := tl.effective_days(p.first, p.last)) > 0
        and grid.work_between(p.first, p.last) * 7 > limit_seconds * eff
    ]
    out = []
    for first, last, avg in runs:
        span = (grid.start_of(first), grid.end_of(last + width))
        if any(lo <= span[0] and span[1] <= hi for lo, hi in official):
            continue
        windows = (last - first).days + 1
        out.append(
            tl.finding(
                "W1",
                WARNING,
                span,
                _up(avg),
                rs.weekly_hours,
                "h/week",
                f"early warning: {windows} rolling {rs.averaging_days}-day window"
                f"{'s' * (windows != 1)} from {first} average up to {_up(avg):g} h/week "
                f"(limit {rs.weekly_hours:g}; the official average is by rotation)",
            )
        )
    return out


def check_w1_weekly_hours(
    intervals: Iterable[Interval],
    rotations: Iterable[Rotation] = (),
    pgy: int | None = None,
    ruleset: RuleSet = CURRENT,
) -> list[Finding]:
    """W1 (VI.F.1 / 6.20): "limited to no more than 80 hours per week, averaged over a
    four-week period, inclusive of all in-house clinical and educational activities, clinical
    work done from home, and all moonlighting."

    Measured by rotation (ACGME FAQ: "Averaging must occur by rotation"; no rolling average):
    each averaging period of ``timeline.averaging_periods`` (a rotation of up to 31 days as a
    whole, longer ones in four-week periods) must have
    ``hours worked * 7 <= weekly_hours * (days - leave days)``. Hours are every kind of work
    including both kinds of moonlighting and activated at-home call (W10, W13), clipped at
    local midnight to the period's days. Leave days (local dates wholly covered by leave with
    no work) leave both sides: a week of leave in a four-week rotation leaves 3 x 80 = 240 h.
    The result is a violation.

    As an early warning only, every rolling window of 28 local days is checked the same way;
    consecutive windows over the limit make one warning, left out when it lies wholly inside a
    period that is already a violation.
    """
    return w1_weekly_hours(Timeline.build(intervals, rotations, pgy, ruleset))


def w2_time_between_shifts(tl: Timeline) -> list[Finding]:
    rs, out = tl.ruleset, []
    minimum = _h(rs.min_hours_between_shifts)
    governed_by_w3 = tl.long_call_periods
    for (_, prev_end), (next_start, _) in zip(tl.scheduled, tl.scheduled[1:], strict=False):
        gap = next_start - prev_end
        if gap >= minimum:
            continue
        if any(s <= prev_end <= e for s, e in governed_by_w3):
            continue  # after 24 h of in-house call the 14 hours of W3 apply instead
        out.append(
            tl.finding(
                "W2",
                WARNING,
                (prev_end, next_start),
                _down(hours(gap)),
                rs.min_hours_between_shifts,
                "h",
                f"{_down(hours(gap)):g} h off between shifts (should be at least "
                f"{rs.min_hours_between_shifts:g})",
            )
        )
    return out


def check_w2_time_between_shifts(
    intervals: Iterable[Interval],
    rotations: Iterable[Rotation] = (),
    pgy: int | None = None,
    ruleset: RuleSet = CURRENT,
) -> list[Finding]:
    """W2 (VI.F.2.a / 6.21): "Residents should have eight hours off between scheduled
    clinical work and education periods."

    A "should", so a warning. Measured between consecutive shifts: scheduled work (every kind
    of work but activated at-home call, which is not scheduled) merged where intervals touch
    or overlap; the gap from one shift's end to the next one's start must be at least
    ``min_hours_between_shifts`` (8 h; 10 h in the 2011 rules). The gap after 24 hours of
    in-house call is W3's business (14 h, a violation) and is not reported again here.
    """
    return w2_time_between_shifts(Timeline.build(intervals, rotations, pgy, ruleset))


def w3_rest_after_call(tl: Timeline) -> list[Finding]:
    rs, out = tl.ruleset, []
    minimum = _h(rs.rest_after_call_hours)
    starts = [s for s, _ in tl.work]
    for start, end in tl.long_call_periods:
        i = bisect.bisect_right(starts, start)
        if i >= len(tl.work):
            continue  # nothing after it in the data
        rest = tl.work[i][0] - end
        if rest < minimum:
            out.append(
                tl.finding(
                    "W3",
                    VIOLATION,
                    (end, tl.work[i][0]),
                    _down(hours(rest)),
                    rs.rest_after_call_hours,
                    "h",
                    f"{_down(hours(rest)):g} h free after {_up(hours(end - start)):g} h of duty "
                    f"with in-house call (must be at least {rs.rest_after_call_hours:g})",
                )
            )
    return out


def check_w3_rest_after_call(
    intervals: Iterable[Interval],
    rotations: Iterable[Rotation] = (),
    pgy: int | None = None,
    ruleset: RuleSet = CURRENT,
) -> list[Finding]:
    """W3 (VI.F.2.b / 6.21.a): residents "must have at least 14 hours free of clinical work
    and education after 24 hours of in-house call."

    "24 hours of in-house call" is a continuous period of work (every kind, merged where
    intervals touch) lasting at least 24 real hours that includes in-house call, such as a
    day shift followed by overnight call, or 24-hour call plus its transition hours. The time
    from its end to the start of the next work of any kind (activated at-home call included:
    the 14 hours are "free of clinical work") must be at least 14 hours. A violation.
    """
    return w3_rest_after_call(Timeline.build(intervals, rotations, pgy, ruleset))


def free_day_starts(tl: Timeline) -> list[dt.datetime]:
    """The starts of the days off (W5) in the grid: every maximal stretch free of work of any
    kind (at-home call included) and of leave, inside the grid, holds ``floor(length / 24 h)``
    days off, laid end to end from its start."""
    grid = tl.grid
    if grid is None:
        return []
    day = _h(tl.ruleset.day_off_hours)
    busy = merge([*tl.work, *tl.leave])
    grid_end = grid.bounds[-1]
    out = []
    cursor = grid.bounds[0]  # the end of the busy time seen so far
    for start, end in [*busy, (grid_end, grid_end)]:
        t, gap_end = cursor, min(start, grid_end)
        while t + day <= gap_end:
            out.append(t)
            t += day
        cursor = max(cursor, end)
        if cursor >= grid_end:
            break
    return out


def w4_days_off(tl: Timeline) -> list[Finding]:
    rs, out = tl.ruleset, []
    if tl.grid is None:
        return []
    starts = free_day_starts(tl)
    for p in tl.periods:
        lo, hi = tl.period_bounds(p)
        free = bisect.bisect_left(starts, hi) - bisect.bisect_left(starts, lo)
        eff = tl.effective_days(p.first, p.last)
        if free * rs.one_day_off_in < eff:
            need = eff / rs.one_day_off_in
            out.append(
                tl.finding(
                    "W4",
                    VIOLATION,
                    (lo, hi),
                    free,
                    round(need, 2),
                    "days off",
                    f"{free} day{'s' * (free != 1)} off (24 h free) in {eff} days of {p.label}; "
                    f"one in {rs.one_day_off_in} needs {round(need, 2):g}",
                    p.label,
                )
            )
    return out


def check_w4_days_off(
    intervals: Iterable[Interval],
    rotations: Iterable[Rotation] = (),
    pgy: int | None = None,
    ruleset: RuleSet = CURRENT,
) -> list[Finding]:
    """W4 (VI.F.2.c / 6.21.b): "minimum of one day in seven free of clinical work and
    required education (when averaged over four weeks). At-home call cannot be assigned on
    these free days." W5 (Glossary): a day off is "one (1) continuous 24-hour period free
    from all administrative, clinical, and educational activities."

    Counting: every maximal stretch of time free of all work (every kind, activated at-home
    call included, so home call on a "free" day makes it not free) and of leave holds
    ``floor(length / 24 h)`` days off, laid end to end from the stretch's start; 47 h free is
    one day off, 48 h two, 23 h 59 min none. Lengths are real time. A day off belongs to the
    averaging period (as for W1) in which it starts. Each period needs
    ``days off * 7 >= days - leave days`` (leave days are neither required nor counted as
    days off). A violation.
    """
    return w4_days_off(Timeline.build(intervals, rotations, pgy, ruleset))


def w6_w7_continuous_duty(tl: Timeline) -> list[Finding]:
    rs, out = tl.ruleset, []
    pgy1_limit = rs.pgy1_max_continuous_hours if tl.pgy == 1 else None
    for start, end in tl.scheduled:
        length = end - start
        h = _up(hours(length))
        if pgy1_limit is not None:
            if length > _h(pgy1_limit):
                out.append(
                    tl.finding(
                        "W6",
                        VIOLATION,
                        (start, end),
                        h,
                        pgy1_limit,
                        "h",
                        f"{h:g} h of continuous duty for a PGY-1 (limit {pgy1_limit:g}, "
                        f"{rs.version})",
                    )
                )
            continue
        if length > _h(rs.max_with_transition_hours):
            out.append(
                tl.finding(
                    "W6",
                    VIOLATION,
                    (start, end),
                    h,
                    rs.max_with_transition_hours,
                    "h",
                    f"{h:g} h of continuous scheduled duty (limit {rs.max_continuous_hours:g} + "
                    f"{rs.transition_hours:g} h of transitions)",
                )
            )
        elif length > _h(rs.max_continuous_hours):
            out.append(
                tl.finding(
                    "W7",
                    WARNING,
                    (start, end),
                    h,
                    rs.max_continuous_hours,
                    "h",
                    f"{h:g} h of continuous duty: transition time used (over "
                    f"{rs.max_continuous_hours:g}, within +{rs.transition_hours:g}; no new "
                    "patient care may be assigned in it)",
                )
            )
    return out


def check_w6_w7_continuous_duty(
    intervals: Iterable[Interval],
    rotations: Iterable[Rotation] = (),
    pgy: int | None = None,
    ruleset: RuleSet = CURRENT,
) -> list[Finding]:
    """W6 (VI.F.3.a / 6.22): clinical and educational work periods "must not exceed 24 hours
    of continuous scheduled clinical assignments." W7 (VI.F.3.a.(1) / 6.22.a): "Up to four
    hours of additional time may be used for activities related to patient safety, such as
    providing effective transitions of care, and/or resident education."

    Scheduled intervals (every kind of work but activated at-home call) that touch or
    overlap are one continuous period, measured in real elapsed time. Over 24 + 4 = 28 hours
    is a W6 violation; over 24 and up to 28 hours is a W7 warning ("transition time used"):
    the data cannot tell transitions from new patient care, so a person should look.
    Under the 2011 rules a PGY-1's limit is 16 hours with no transition time (W6 violation).
    """
    return w6_w7_continuous_duty(Timeline.build(intervals, rotations, pgy, ruleset))


def w10_moonlighting(tl: Timeline) -> list[Finding]:
    if tl.pgy != 1 or tl.ruleset.pgy1_may_moonlight:
        return []
    out = []
    for i in sorted(tl.intervals, key=lambda i: i.start):
        if i.kind in MOONLIGHTING_KINDS:
            span = (i.start.astimezone(UTC), i.end.astimezone(UTC))
            out.append(
                tl.finding(
                    "W10",
                    VIOLATION,
                    span,
                    _up(i.hours),
                    0.0,
                    "h",
                    f"{_up(i.hours):g} h of {i.kind.value.replace('_', ' ')} by a PGY-1 "
                    "(PGY-1 residents are not permitted to moonlight)",
                )
            )
    return out


def check_w10_moonlighting(
    intervals: Iterable[Interval],
    rotations: Iterable[Rotation] = (),
    pgy: int | None = None,
    ruleset: RuleSet = CURRENT,
) -> list[Finding]:
    """W10 (VI.F.5.b-c / 6.25.a-b): internal and external moonlighting "must be counted"
    toward the 80 hours (W1 does), and "PGY-1 residents are not permitted to moonlight."

    Every moonlighting interval (internal or external) of a PGY-1 is a violation, its value
    the interval's hours and its limit 0. With ``pgy=None`` (unknown) the rule is skipped;
    the caller says so.
    """
    return w10_moonlighting(Timeline.build(intervals, rotations, pgy, ruleset))


def w11_night_float(tl: Timeline) -> list[Finding]:
    rs, grid = tl.ruleset, tl.grid
    if rs.max_consecutive_night_float is None or grid is None:
        return []
    in_house = merge(spans(tl.intervals, [Kind.IN_HOUSE]))
    zone = rs.zone

    def worked(night: dt.date) -> Span | None:
        probe = dt.datetime.combine(night + ONE_DAY, dt.time(rs.night_probe_hour), tzinfo=zone)
        probe = probe.astimezone(UTC)
        for s, e in in_house:
            if s <= probe < e:
                return s, e
        return None

    runs: list[list[Span]] = []
    night, previous = grid.first - ONE_DAY, False
    while night <= grid.last:
        span = worked(night)
        if span is not None:
            if previous:
                runs[-1].append(span)
            else:
                runs.append([span])
        previous = span is not None
        night += ONE_DAY
    limit = rs.max_consecutive_night_float
    return [
        tl.finding(
            "W11",
            VIOLATION,
            (run[0][0], run[-1][1]),
            len(run),
            limit,
            "nights",
            f"{len(run)} consecutive nights of night float (at most {limit}, {rs.version})",
        )
        for run in runs
        if len(run) > limit
    ]


def check_w11_night_float(
    intervals: Iterable[Interval],
    rotations: Iterable[Rotation] = (),
    pgy: int | None = None,
    ruleset: RuleSet = CURRENT,
) -> list[Finding]:
    """W11 (VI.F.6 / 6.26): "Night float must occur within the context of the 80-hour and
    one-day-off-in-seven requirements." Under the current rules this is covered by W1 and W4,
    which count night-float shifts like any other work, so this function finds nothing.

    Under the superseded 2011 rules (``max_consecutive_night_float`` = 6): a resident "must
    not be scheduled for more than six consecutive nights of night float." A night is worked
    when an in-house shift (kind ``in_house``; call is not night float) covers 03:00 local
    time (``night_probe_hour``) the next morning; more than six such nights in a row is a
    violation.
    """
    return w11_night_float(Timeline.build(intervals, rotations, pgy, ruleset))


def w12_call_frequency(tl: Timeline) -> list[Finding]:
    rs, out = tl.ruleset, []
    if tl.grid is None:
        return []
    n = rs.in_house_call_every_nth_night
    call_starts = [s for s, _ in tl.calls]
    for p in tl.periods:
        lo, hi = tl.period_bounds(p)
        calls = bisect.bisect_left(call_starts, hi) - bisect.bisect_left(call_starts, lo)
        eff = tl.effective_days(p.first, p.last)
        if calls * n > eff:
            out.append(
                tl.finding(
                    "W12",
                    VIOLATION,
                    (lo, hi),
                    calls,
                    round(eff / n, 2),
                    "calls",
                    f"{calls} in-house calls in {eff} days of {p.label}: more often than every "
                    f"{n}{'rd' if n == 3 else 'th'} night on average "
                    f"(at most {round(eff / n, 2):g})",
                    p.label,
                )
            )
    return out


def check_w12_call_frequency(
    intervals: Iterable[Interval],
    rotations: Iterable[Rotation] = (),
    pgy: int | None = None,
    ruleset: RuleSet = CURRENT,
) -> list[Finding]:
    """W12 (VI.F.7 / 6.27): in-house call "no more frequently than every third night (when
    averaged over a four-week period)."

    A call is a run of in-house call intervals that touch (a 24-hour call written as two
    rows across midnight is one call); it belongs to the averaging period (as for W1) in
    which it starts. Each period needs ``calls * 3 <= days - leave days``: 9 calls in 28 days
    pass, 10 fail. At-home call is not subject to this limit (W13). A violation.
    """
    return w12_call_frequency(Timeline.build(intervals, rotations, pgy, ruleset))


def check_w13_at_home_call(
    intervals: Iterable[Interval],
    rotations: Iterable[Rotation] = (),
    pgy: int | None = None,
    ruleset: RuleSet = CURRENT,
) -> list[Finding]:
    """W13 (VI.F.8.a / 6.28): time spent on patient care in at-home call counts toward the
    80 hours; its frequency "is not subject to the every-third-night limitation, but must
    satisfy the requirement for one day in seven free", averaged over four weeks.

    Covered by W1 (activated at-home call intervals are counted as work) and W4 (an
    at-home call interval breaks a day off), so this function finds nothing of its own. The
    "not so frequent or taxing as to preclude rest" clause (6.28.a) is a judgement the data
    cannot make.
    """
    return []


# --- Everyone -------------------------------------------------------------------------------

RULES: list[tuple[str, Callable[[Timeline], list[Finding]]]] = [
    ("W1", w1_weekly_hours),
    ("W2", w2_time_between_shifts),
    ("W3", w3_rest_after_call),
    ("W4", w4_days_off),
    ("W6/W7", w6_w7_continuous_duty),
    ("W10", w10_moonlighting),
    ("W11", w11_night_float),
    ("W12", w12_call_frequency),
]

RULE_ORDER = {
    r: n
    for n, r in enumerate(
        ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W9", "W10", "W11", "W12", "W13"]
    )
}


def sort_key(f: Finding) -> tuple[str, dt.datetime, int, dt.datetime]:
    return (f.person or "", f.start, RULE_ORDER.get(f.rule, 99), f.end)


def check_person(
    intervals: Iterable[Interval],
    rotations: Iterable[Rotation] = (),
    pgy: int | None = None,
    ruleset: RuleSet = CURRENT,
) -> list[Finding]:
    """Every finding of every rule for one person, ordered by start time then rule.

    ``rotations`` is the person's rotation calendar (empty: consecutive four-week periods
    from the first interval); ``pgy`` their postgraduate year (None: unknown, so the PGY-1
    rules, W10 and the 2011 16-hour limit, are skipped).
    """
    tl = Timeline.build(intervals, rotations, pgy, ruleset)
    out = [f for _, rule in RULES for f in rule(tl)]
    return sorted(out, key=sort_key)


def check_many(
    intervals: Mapping[str, Iterable[Interval]],
    rotations: Mapping[str, Iterable[Rotation]] | None = None,
    pgy: Mapping[str, int | None] | None = None,
    ruleset: RuleSet = CURRENT,
) -> list[Finding]:
    """``check_person`` for everyone in ``intervals`` (person -> intervals); each finding
    names its person. People are checked in sorted order."""
    rotations, pgy = rotations or {}, pgy or {}
    out: list[Finding] = []
    for person in sorted(intervals):
        found = check_person(intervals[person], rotations.get(person, ()), pgy.get(person), ruleset)
        out.extend(replace(f, person=person) for f in found)
    return out
