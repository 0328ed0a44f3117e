"""US federal holidays of a calendar year (5 U.S.C. 6103), on the day they are observed: a
holiday on a Saturday is observed the Friday before, one on a Sunday the Monday after."""

from __future__ import annotations

import datetime as dt


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th ``weekday`` (0 = Monday) of the month; n = -1 is the last one."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: dt.date) -> dt.date:
    if day.weekday() == 5:
        return day - dt.timedelta(days=1)
    if day.weekday() == 6:
        return day + dt.timedelta(days=1)
    return day


def federal_holidays(year: int) -> list[tuple[dt.date, str]]:
    """The eleven federal holidays of ``year`` as (observed date, name), by date."""
    fixed = [
        (dt.date(year, 1, 1), "New Year's Day"),
        (dt.date(year, 6, 19), "Juneteenth National Independence Day"),
        (dt.date(year, 7, 4), "Independence Day"),
        (dt.date(year, 11, 11), "Veterans Day"),
        (dt.date(year, 12, 25), "Christmas Day"),
    ]
    out = [(_observed(d), name) for d, name in fixed]
    out += [
        (_nth_weekday(year, 1, 0, 3), "Birthday of Martin Luther King, Jr."),
        (_nth_weekday(year, 2, 0, 3), "Washington's Birthday"),
        (_nth_weekday(year, 5, 0, -1), "Memorial Day"),
        (_nth_weekday(year, 9, 0, 1), "Labor Day"),
        (_nth_weekday(year, 10, 0, 2), "Columbus Day"),
        (_nth_weekday(year, 11, 3, 4), "Thanksgiving Day"),
    ]
    return sorted(out)


def parse_lines(text: str) -> list[tuple[dt.date, str]]:
    """``YYYY-MM-DD Name`` lines (blank lines ignored) as (date, name); ValueError names the
    line that is not one."""
    out = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        head, _, name = line.partition(" ")
        try:
            day = dt.date.fromisoformat(head)
        except ValueError:
            raise ValueError(f"line {n}: {head!r} is not a date (YYYY-MM-DD)") from None
        out.append((day, name.strip() or "Holiday"))
    return sorted(out)
