"""Time arithmetic for the checker: merged spans in UTC, local days, averaging periods.

Everything here works on UTC instants (``Span``), so elapsed time is real time across
daylight-saving changes. Dates are local dates in the rule set's time zone; a date's "day" is
local midnight to the next local midnight (23 or 25 real hours on the change days).

Averaging periods (W1, W4, W12; see ``averaging_periods``):

* A rotation up to ``single_period_max_days`` (31) days long is one period: a rotation shorter
  than four weeks is averaged over its own length, and a rotation of four weeks or one
  calendar month (28-31 days) over the whole of it, as the ACGME FAQ allows.
* A longer rotation is cut into consecutive four-week periods from its first day. When days
  are left over (say a 6-week rotation: 28 + 14), the last period is the final four weeks of
  the rotation, overlapping the one before, so every period is exactly four weeks and lies
  wholly inside the rotation.
* Days with work that no rotation covers fall into fallback periods: consecutive four-week
  periods from the first such day (periods without such work are skipped), cut short where a
  rotation begins; after a rotation they start afresh from the next uncovered day. With no
  rotation calendar at all this is "consecutive four-week periods from the person's first
  interval"; the last of them is a full four weeks even past the last interval (time without
  intervals is time without work).
"""

from __future__ import annotations

import bisect
import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from meded.engine.workhours.model import Interval, Kind, Rotation

UTC = dt.UTC
Span = tuple[dt.datetime, dt.datetime]  # UTC, start inclusive, end exclusive
ONE_DAY = dt.timedelta(days=1)


def to_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(UTC)


def spans(intervals: Iterable[Interval], kinds: Iterable[Kind]) -> list[Span]:
    wanted = frozenset(kinds)
    return [(to_utc(i.start), to_utc(i.end)) for i in intervals if i.kind in wanted]


def merge(items: Iterable[Span]) -> list[Span]:
    """The union of spans, sorted; spans that overlap or touch (one ends when the next
    starts) become one continuous span."""
    out: list[Span] = []
    for start, end in sorted(items):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def hours(seconds_or_delta: float | dt.timedelta) -> float:
    if isinstance(seconds_or_delta, dt.timedelta):
        return seconds_or_delta.total_seconds() / 3600
    return seconds_or_delta / 3600


def local_midnight(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """Local midnight starting ``day``, as a UTC instant."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(UTC)


def local_date(instant: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.date:
    return instant.astimezone(zone).date()


def covered(span: Span, merged: Sequence[Span]) -> bool:
    """Whether ``span`` lies wholly inside one of the merged spans."""
    i = bisect.bisect_right(merged, (span[0], dt.datetime.max.replace(tzinfo=UTC))) - 1
    return i >= 0 and merged[i][0] <= span[0] and span[1] <= merged[i][1]


def overlaps(span: Span, merged: Sequence[Span]) -> bool:
    i = bisect.bisect_left(merged, (span[1], span[1]))  # spans starting at or after span's end
    return any(s < span[1] and e > span[0] for s, e in merged[max(0, i - 1) : i])


class DayGrid:
    """Consecutive local dates ``first`` .. ``last`` with the real length of each day, the
    seconds of work in it and whether it is a leave day."""

    def __init__(
        self,
        first: dt.date,
        last: dt.date,
        zone: zoneinfo.ZoneInfo,
        work: Sequence[Span],
        leave: Sequence[Span],
    ) -> None:
        self.first, self.last, self.zone = first, last, zone
        n = (last - first).days + 1
        self.bounds = [local_midnight(first + dt.timedelta(days=i), zone) for i in range(n + 1)]
        self.work_seconds = [0.0] * n
        for start, end in work:  # merged: no double counting of overlapping intervals
            i = max(0, bisect.bisect_right(self.bounds, start) - 1)
            while i < n and self.bounds[i] < end:
                lo, hi = max(start, self.bounds[i]), min(end, self.bounds[i + 1])
                if hi > lo:
                    self.work_seconds[i] += (hi - lo).total_seconds()
                i += 1
        # A leave day is a local date wholly covered by leave with no work in it: work logged
        # on a leave day keeps the day (and the hours) in the average rather than hiding them.
        self.leave = [
            covered((self.bounds[i], self.bounds[i + 1]), leave) and self.work_seconds[i] == 0
            for i in range(n)
        ]
        self._work_prefix = [0.0]
        self._leave_prefix = [0]
        for i in range(n):
            self._work_prefix.append(self._work_prefix[-1] + self.work_seconds[i])
            self._leave_prefix.append(self._leave_prefix[-1] + int(self.leave[i]))

    def index(self, day: dt.date) -> int:
        return (day - self.first).days

    def start_of(self, day: dt.date) -> dt.datetime:
        return self.bounds[self.index(day)]

    def end_of(self, day: dt.date) -> dt.datetime:
        return self.bounds[self.index(day) + 1]

    def work_between(self, first: dt.date, last: dt.date) -> float:
        """Seconds of work on the dates first..last inclusive."""
        return self._work_prefix[self.index(last) + 1] - self._work_prefix[self.index(first)]

    def leave_days_between(self, first: dt.date, last: dt.date) -> int:
        return self._leave_prefix[self.index(last) + 1] - self._leave_prefix[self.index(first)]


@dataclass(frozen=True)
class Period:
    """An averaging period: local dates ``first`` .. ``last`` inclusive."""

    label: str
    first: dt.date
    last: dt.date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def rotation_periods(rot: Rotation, averaging_days: int, single_max: int) -> list[Period]:
    if rot.days <= max(single_max, averaging_days):
        return [Period(rot.name, rot.start_date, rot.end_date)]
    step = dt.timedelta(days=averaging_days)
    out: list[Period] = []
    first = rot.start_date
    while first + step - ONE_DAY <= rot.end_date:
        out.append(Period(f"{rot.name} #{len(out) + 1}", first, first + step - ONE_DAY))
        first += step
    if first <= rot.end_date:  # days left over: the rotation's final four weeks
        out.append(
            Period(f"{rot.name} #{len(out) + 1}", rot.end_date - step + ONE_DAY, rot.end_date)
        )
    return out


def averaging_periods(
    rotations: Sequence[Rotation],
    work_days: Iterable[dt.date],
    averaging_days: int,
    single_max: int,
) -> list[Period]:
    """The periods W1, W4 and W12 average over (see the module docstring)."""
    out: list[Period] = []
    for rot in sorted(rotations, key=lambda r: (r.start_date, r.end_date, r.name)):
        out.extend(rotation_periods(rot, averaging_days, single_max))
    in_rotation = [(r.start_date, r.end_date) for r in rotations]
    starts = sorted(r.start_date for r in rotations)
    step = dt.timedelta(days=averaging_days)
    uncovered = sorted(d for d in set(work_days) if not any(a <= d <= b for a, b in in_rotation))
    n = 0
    anchor: dt.date | None = None  # where the current run of consecutive periods started
    upto: dt.date | None = None  # last day of the latest fallback period
    for day in uncovered:
        if upto is not None and day <= upto:
            continue
        next_rotation = next((s for s in starts if s > day), None)
        if anchor is None or any(anchor < s <= day for s in starts):
            anchor = day  # the first uncovered day, or the first after a rotation
        first = anchor + step * ((day - anchor).days // averaging_days)
        last = first + step - ONE_DAY
        if next_rotation is not None and last >= next_rotation:
            last = next_rotation - ONE_DAY
        n += 1
        out.append(Period(f"(no rotation) #{n}", first, last))
        upto = last
    return out
