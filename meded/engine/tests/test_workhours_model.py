"""The work-hour checker's data: aware datetimes only, rule sets, averaging periods."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from meded.engine.workhours import (
    ACGME_2011,
    ACGME_2023,
    RULE_SETS,
    Interval,
    Kind,
    NaiveDatetimeError,
    Rotation,
    check_person,
    get_rule_set,
)
from meded.engine.workhours.timeline import Period, averaging_periods, merge, rotation_periods

NY = ZoneInfo("America/New_York")
JUL1 = dt.date(2026, 7, 1)


def d(n: int) -> dt.date:
    return JUL1 + dt.timedelta(days=n)


# --- Intervals ------------------------------------------------------------------------------


def test_a_naive_datetime_is_refused_with_a_clear_error() -> None:
    with pytest.raises(NaiveDatetimeError, match="end 2026-07-01T19:00:00 has no time zone"):
        Interval(dt.datetime(2026, 7, 1, 7, tzinfo=NY), dt.datetime(2026, 7, 1, 19), Kind.IN_HOUSE)
    with pytest.raises(NaiveDatetimeError, match="start"):
        Interval(dt.datetime(2026, 7, 1, 7), dt.datetime(2026, 7, 1, 19, tzinfo=NY), Kind.IN_HOUSE)


def test_an_interval_must_end_after_it_starts() -> None:
    start = dt.datetime(2026, 7, 1, 7, tzinfo=NY)
    with pytest.raises(ValueError, match="not after start"):
        Interval(start, start, Kind.EDUCATION)


def test_kind_is_taken_from_its_name_and_an_unknown_kind_is_refused() -> None:
    start = dt.datetime(2026, 7, 1, 7, tzinfo=NY)
    end = start + dt.timedelta(hours=1)
    assert Interval(start, end, "education").kind is Kind.EDUCATION  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="oncall"):
        Interval(start, end, "oncall")  # type: ignore[arg-type]


def test_offsets_and_zones_mix_and_hours_are_real_time() -> None:
    start = dt.datetime(2026, 10, 31, 7, tzinfo=NY)
    end = dt.datetime.fromisoformat("2026-11-01T07:00:00-05:00")  # a fixed offset
    assert Interval(start, end, Kind.IN_HOUSE_CALL).hours == 25.0
    same_zone = dt.datetime(2026, 11, 1, 7, tzinfo=NY)  # start and end share one ZoneInfo
    assert Interval(start, same_zone, Kind.IN_HOUSE_CALL).hours == 25.0


def test_an_interval_inside_the_repeated_hour_of_november_is_valid() -> None:
    first = dt.datetime(2026, 11, 1, 1, 30, tzinfo=NY)  # 01:30 EDT
    second = dt.datetime(2026, 11, 1, 1, 10, fold=1, tzinfo=NY)  # 01:10 EST, 40 min later
    assert Interval(first, second, Kind.IN_HOUSE).hours == pytest.approx(40 / 60)


def test_a_rotation_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="ends"):
        Rotation("Wards", d(5), d(4))
    assert Rotation("One day", d(5), d(5)).days == 1


def test_merge_joins_touching_and_overlapping_spans_only() -> None:
    t = [dt.datetime(2026, 7, 1, h, tzinfo=dt.UTC) for h in range(10)]
    assert merge([(t[3], t[5]), (t[0], t[1]), (t[1], t[2]), (t[4], t[6]), (t[8], t[9])]) == [
        (t[0], t[2]),
        (t[3], t[6]),
        (t[8], t[9]),
    ]


# --- Rule sets ------------------------------------------------------------------------------


def test_rule_sets_are_versioned_and_frozen() -> None:
    assert set(RULE_SETS) == {"ACGME-CPR-2023v3", "ACGME-CPR-2011"}
    assert get_rule_set("ACGME-CPR-2011") is ACGME_2011
    with pytest.raises(KeyError, match="known: ACGME-CPR-2023v3"):
        get_rule_set("ACGME-2003")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ACGME_2023.weekly_hours = 88  # type: ignore[misc]


def test_the_2011_rules_differ_where_the_2017_revision_changed_them() -> None:
    assert (ACGME_2023.min_hours_between_shifts, ACGME_2011.min_hours_between_shifts) == (8, 10)
    assert ACGME_2023.pgy1_max_continuous_hours is None
    assert ACGME_2011.pgy1_max_continuous_hours == 16
    assert ACGME_2011.max_consecutive_night_float == 6
    same = ["weekly_hours", "averaging_days", "one_day_off_in", "in_house_call_every_nth_night"]
    assert all(getattr(ACGME_2011, f) == getattr(ACGME_2023, f) for f in same)


def test_an_exception_is_at_most_ten_percent_and_88_hours() -> None:
    assert ACGME_2023.with_exception(weekly_hours=84).weekly_hours == 84
    with pytest.raises(ValueError, match="at most 88"):
        ACGME_2023.with_exception(weekly_hours=88.5)
    with pytest.raises(ValueError, match="raises"):
        ACGME_2023.with_exception(weekly_hours=72)
    assert ACGME_2023.weekly_hours == 80  # unchanged


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        ACGME_2023.in_zone("Mars/Olympus_Mons")


def test_naive_datetimes_never_reach_the_rules() -> None:
    with pytest.raises(NaiveDatetimeError):
        check_person([Interval(dt.datetime(2026, 7, 1), dt.datetime(2026, 7, 2), Kind.LEAVE)])


# --- Averaging periods ----------------------------------------------------------------------


@pytest.mark.parametrize("days", [1, 14, 27, 28, 30, 31])
def test_a_rotation_of_up_to_a_month_is_one_period(days: int) -> None:
    rot = Rotation("R", JUL1, d(days - 1))
    assert rotation_periods(rot, 28, 31) == [Period("R", JUL1, d(days - 1))]


def test_a_long_rotation_is_cut_into_four_week_periods_the_last_one_ending_with_it() -> None:
    six_weeks = Rotation("ICU", JUL1, d(41))
    assert rotation_periods(six_weeks, 28, 31) == [
        Period("ICU #1", JUL1, d(27)),
        Period("ICU #2", d(14), d(41)),  # the final four weeks
    ]
    eight_weeks = Rotation("ICU", JUL1, d(55))
    assert [(p.first, p.last) for p in rotation_periods(eight_weeks, 28, 31)] == [
        (JUL1, d(27)),
        (d(28), d(55)),
    ]


def test_without_rotations_periods_are_consecutive_four_weeks_from_the_first_work_day() -> None:
    periods = averaging_periods([], [d(2), d(10), d(29), d(30), d(70)], 28, 31)
    assert [(p.first, p.last) for p in periods] == [
        (d(2), d(29)),
        (d(30), d(57)),
        (d(58), d(85)),  # on the same grid; a period without work is left out
    ]
    assert [p.first for p in averaging_periods([], [d(2), d(70)], 28, 31)] == [d(2), d(58)]


def test_fallback_periods_stop_where_a_rotation_starts_and_resume_after_it() -> None:
    rot = Rotation("Wards", d(10), d(37))
    periods = averaging_periods([rot], [d(0), d(5), d(20), d(40), d(45)], 28, 31)
    assert [(p.label, p.first, p.last) for p in periods] == [
        ("Wards", d(10), d(37)),
        ("(no rotation) #1", d(0), d(9)),
        ("(no rotation) #2", d(40), d(67)),
    ]
