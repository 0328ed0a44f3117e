"""Time zones and daylight saving: shifts are aware datetimes in the hospital's zone, their
end is the wall-clock end, so elapsed length follows the clock change."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from meded.engine.workhours import Interval, Kind, check_person
from meded.rosters.holidays import federal_holidays, parse_lines
from meded.rosters.models import ShiftKind, ShiftTemplate

NY = zoneinfo.ZoneInfo("America/New_York")


def elapsed(start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    """Real elapsed time (two datetimes sharing a ZoneInfo subtract on the wall clock)."""
    return end.astimezone(dt.UTC) - start.astimezone(dt.UTC)


def template(start: int, hours: int, kind: str = ShiftKind.NIGHT) -> ShiftTemplate:
    return ShiftTemplate(
        code="t", name="t", kind=kind, start_time=dt.time(start), length_minutes=hours * 60
    )


def test_a_night_shift_across_the_november_change_lasts_13_hours():
    start, end = template(19, 12).span(dt.date(2026, 10, 31), NY)
    assert (start.hour, end.hour) == (19, 7)
    assert end.date() == dt.date(2026, 11, 1)
    assert start.utcoffset() != end.utcoffset()
    assert elapsed(start, end) == dt.timedelta(hours=13)


def test_a_night_shift_across_the_march_change_lasts_11_hours():
    start, end = template(19, 12).span(dt.date(2027, 3, 13), NY)
    assert elapsed(start, end) == dt.timedelta(hours=11)


def test_a_24_hour_call_across_the_november_change_is_25_hours_for_the_checker():
    start, end = template(7, 24, ShiftKind.IN_HOUSE_CALL).span(dt.date(2026, 10, 31), NY)
    assert Interval(start, end, Kind.IN_HOUSE_CALL).hours == 25
    rules = {f.rule for f in check_person([Interval(start, end, Kind.IN_HOUSE_CALL)])}
    assert "W7" in rules or "W6" in rules


def test_a_day_shift_on_an_ordinary_day_is_its_length():
    start, end = template(7, 12, ShiftKind.DAY).span(dt.date(2026, 12, 2), NY)
    assert start.tzinfo is not None and elapsed(start, end) == dt.timedelta(hours=12)


def test_federal_holidays_fall_on_the_observed_weekday():
    days = dict(federal_holidays(2026))
    assert days[dt.date(2026, 7, 3)] == "Independence Day"  # July 4, 2026 is a Saturday
    assert days[dt.date(2026, 11, 26)] == "Thanksgiving Day"
    assert days[dt.date(2026, 9, 7)] == "Labor Day"
    assert days[dt.date(2026, 5, 25)] == "Memorial Day"
    assert len(days) == 11


def test_holiday_lines_are_read_and_a_bad_one_is_named():
    assert parse_lines("2026-12-24 Christmas Eve\n\n") == [(dt.date(2026, 12, 24), "Christmas Eve")]
    try:
        parse_lines("2026-12-24 ok\nnot-a-date x")
    except ValueError as e:
        assert "line 2" in str(e)
    else:
        raise AssertionError("a bad line was accepted")
