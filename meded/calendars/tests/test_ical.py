"""The iCalendar writer on its own, read back by an independent parser (icalendar)."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest

from meded.calendars import ical
from meded.calendars.ical import Event

STAMP = dt.datetime(2026, 7, 1, 12, 30, tzinfo=dt.UTC)


def _parse(body: bytes) -> icalendar.Calendar:
    text = body.decode("utf-8")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    for line in text.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75, line
    return icalendar.Calendar.from_ical(text)


def test_a_long_summary_with_commas_semicolons_and_newlines_round_trips_through_a_parser():
    summary = (
        "Cardiology consults; CCU, cath lab, echo & nuclear; back\\slash "
        "— Ünïcödé names, long enough to be folded more than once, twice, thrice; the end"
    )
    description = "Line one\nLine two, with a comma; and a semicolon\r\nLine three"
    body = ical.render(
        [
            Event(
                uid="x-1@test",
                summary=summary,
                start=dt.date(2026, 7, 1),
                end=dt.date(2026, 7, 29),
                location="Heart Center, 3rd floor; east",
                description=description,
            )
        ],
        name="Dr. Ñ Núñez rotations",
        stamp=STAMP,
    )
    cal = _parse(body)
    (event,) = cal.walk("VEVENT")
    assert str(event["SUMMARY"]) == summary
    assert str(event["LOCATION"]) == "Heart Center, 3rd floor; east"
    assert str(event["DESCRIPTION"]) == description.replace("\r\n", "\n")
    assert cal.calendar_name == "Dr. Ñ Núñez rotations"
    assert event.decoded("DTSTAMP") == STAMP


def test_folding_never_splits_a_multibyte_character():
    line = "SUMMARY:" + "é" * 100 + "😀" * 30
    folded = ical.fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join([parts[0], *(p[1:] for p in parts[1:])]) == line


def test_all_day_events_are_dates_with_an_exclusive_end_and_timed_ones_are_utc():
    ny = dt.timezone(dt.timedelta(hours=-4))
    body = ical.render(
        [
            Event(uid="a@t", summary="Block", start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 15)),
            Event(
                uid="b@t",
                summary="Call",
                start=dt.datetime(2026, 7, 2, 17, 0, tzinfo=ny),
                end=dt.datetime(2026, 7, 3, 7, 0, tzinfo=ny),
                busy=True,
            ),
        ],
        name="n",
        stamp=STAMP,
        refresh=dt.timedelta(hours=4),
    )
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT4H\r\n" in body
    assert b"X-PUBLISHED-TTL:PT4H\r\n" in body
    a, b = _parse(body).walk("VEVENT")
    assert a.decoded("DTSTART") == dt.date(2026, 7, 1)
    assert a.decoded("DTEND") == dt.date(2026, 7, 15)  # the day after the last day
    assert str(a["TRANSP"]) == "TRANSPARENT" and str(b["TRANSP"]) == "OPAQUE"
    assert b.decoded("DTSTART") == dt.datetime(2026, 7, 2, 21, 0, tzinfo=dt.UTC)
    assert b"DTSTART:20260702T210000Z" in body


def test_naive_times_and_backwards_events_are_refused():
    with pytest.raises(ValueError, match="aware"):
        ical.render([], name="n", stamp=dt.datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="ends before"):
        ical.render(
            [Event(uid="u", summary="s", start=dt.date(2026, 1, 2), end=dt.date(2026, 1, 2))],
            name="n",
            stamp=STAMP,
        )


def test_control_characters_are_dropped_from_text():
    assert ical.escape("a\x00b\x07c\td") == "abc\td"
    assert ical.escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_durations_are_written_as_rfc_5545_durations():
    assert ical.duration(dt.timedelta(hours=4)) == "PT4H"
    assert ical.duration(dt.timedelta(days=1)) == "P1D"
    assert ical.duration(dt.timedelta(days=1, minutes=30)) == "P1DT30M"
