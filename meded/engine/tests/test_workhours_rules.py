"""The ACGME work-hour rules, each at its edges, with hand-computed figures.

The calendar used throughout: a four-week rotation "Wards" from Monday 6 July 2026 to Sunday
2 August 2026 (28 days), in America/New_York. ``iv(start, hours)`` builds an interval of that
many *real* hours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from meded.engine.workhours import (
    ACGME_2011,
    ACGME_2023,
    Finding,
    Interval,
    Kind,
    Rotation,
    Severity,
    Timeline,
    check_many,
    check_person,
    check_w1_weekly_hours,
    check_w2_time_between_shifts,
    check_w3_rest_after_call,
    check_w4_days_off,
    check_w6_w7_continuous_duty,
    check_w10_moonlighting,
    check_w11_night_float,
    check_w12_call_frequency,
    check_w13_at_home_call,
)

NY = ZoneInfo("America/New_York")
MON = dt.date(2026, 7, 6)
WARDS = Rotation("Wards", MON, MON + dt.timedelta(days=27))


def day(n: int, first: dt.date = MON) -> dt.date:
    return first + dt.timedelta(days=n)


def at(d: dt.date, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(d.year, d.month, d.day, hour, minute, tzinfo=NY)


def iv(start: dt.datetime, hours: float, kind: str = "in_house") -> Interval:
    end = (start.astimezone(dt.UTC) + dt.timedelta(hours=hours)).astimezone(NY)
    return Interval(start, end, Kind(kind))


def weekdays(first: dt.date, weeks: int, hours: float, start_hour: int = 6) -> list[Interval]:
    """A shift of ``hours`` on each Monday-Friday of ``weeks`` weeks from ``first``."""
    return [
        iv(at(day(w * 7 + d, first), start_hour), hours) for w in range(weeks) for d in range(5)
    ]


def violations(found: list[Finding], rule: str | None = None) -> list[Finding]:
    return [
        f for f in found if f.severity is Severity.VIOLATION and (rule is None or f.rule == rule)
    ]


def warnings(found: list[Finding], rule: str | None = None) -> list[Finding]:
    return [f for f in found if f.severity is Severity.WARNING and (rule is None or f.rule == rule)]


# --- W1: 80 hours a week, averaged by rotation ---------------------------------------------


@pytest.mark.parametrize(("extra_minutes", "expected"), [(0, None), (1, 80.01), (60, 80.25)])
def test_w1_exactly_80_hours_a_week_over_a_four_week_rotation_passes(
    extra_minutes: int, expected: float | None
) -> None:
    shifts = weekdays(MON, 4, 16)  # 20 x 16 h = 320 h = 4 x 80
    last = shifts[-1]
    shifts[-1] = iv(last.start, 16 + extra_minutes / 60)
    found = violations(check_w1_weekly_hours(shifts, [WARDS]))
    if expected is None:
        assert found == []
        return
    (f,) = found
    assert (f.rule, f.value, f.limit, f.period) == ("W1", expected, 80.0, "Wards")
    assert (f.start, f.end) == (at(MON), at(day(28)))


def test_w1_a_two_week_rotation_is_averaged_over_its_two_weeks() -> None:
    consult = Rotation("Consult", MON, day(13))
    hours = weekdays(MON, 2, 16)  # 160 h in 2 weeks = 80 a week
    assert violations(check_w1_weekly_hours(hours, [consult])) == []
    hours[0] = iv(hours[0].start, 17)  # 161 h = 80.5 a week
    (f,) = violations(check_w1_weekly_hours(hours, [consult]))
    assert (f.value, f.period, f.end) == (80.5, "Consult", at(day(14)))
    # The same 161 hours inside a four-week rotation average 40.25 a week.
    assert violations(check_w1_weekly_hours(hours, [WARDS])) == []


def test_w1_leave_days_leave_numerator_and_denominator() -> None:
    leave = Interval(at(day(21)), at(day(28)), Kind.LEAVE)  # the fourth week
    work = weekdays(MON, 3, 16)  # 240 h in three weeks = 3 x 80: the whole budget
    assert violations(check_w1_weekly_hours([*work, leave], [WARDS])) == []
    work[0] = iv(work[0].start, 17)  # 241 h over 21 days = 80.33... a week
    (f,) = violations(check_w1_weekly_hours([*work, leave], [WARDS]))
    assert f.value == 80.34
    assert "7 leave days excluded" in f.message
    # Without the leave, 241 h over four weeks is 60.25 a week.
    assert violations(check_w1_weekly_hours(work, [WARDS])) == []


def test_w1_a_leave_day_is_a_whole_local_day_of_leave() -> None:
    work = [*weekdays(MON, 3, 16), iv(at(day(21), 6), 5)]  # 245 h
    week = Interval(at(day(21), 12), at(day(28)), Kind.LEAVE)  # 6 whole days + an afternoon
    # 245 h over 22 days = 77.95 a week: the half day of leave stays in the denominator.
    assert violations(check_w1_weekly_hours([*work, week], [WARDS])) == []
    week = Interval(at(day(22)), at(day(28)), Kind.LEAVE)
    work = [*weekdays(MON, 3, 16), iv(at(day(21), 6), 12)]  # 252 h over 22 days = 80.18...
    (f,) = violations(check_w1_weekly_hours([*work, week], [WARDS]))
    assert f.value == 80.19


def test_w1_work_logged_on_a_leave_day_keeps_the_day_and_its_hours() -> None:
    leave = Interval(at(day(21)), at(day(28)), Kind.LEAVE)
    work = [*weekdays(MON, 3, 16), iv(at(day(22), 8), 8)]  # 248 h, one day of it on leave
    # Counted: 248 h over 22 days = 78.9 a week (hiding both would give 240 / 21 days).
    tl = Timeline.build([*work, leave], [WARDS])
    assert tl.effective_days(MON, day(27)) == 22
    assert violations(check_w1_weekly_hours([*work, leave], [WARDS])) == []


def test_w1_moonlighting_and_activated_home_call_count() -> None:
    work = weekdays(MON, 4, 15)  # 300 h
    assert violations(check_w1_weekly_hours(work, [WARDS])) == []
    extra = [
        iv(at(day(5), 8), 12, "moonlighting_external"),
        iv(at(day(12), 8), 5, "moonlighting_internal"),
        iv(at(day(19), 2), 4, "at_home_call"),  # 321 h in all
    ]
    (f,) = violations(check_w1_weekly_hours(work + extra, [WARDS]))
    assert f.value == 80.25


def test_w1_overlapping_intervals_are_counted_once() -> None:
    work = weekdays(MON, 4, 16)  # 320 h
    teaching = [iv(at(day(d), 12), 1, "education") for d in (0, 1, 2)]  # inside shifts
    assert violations(check_w1_weekly_hours(work + teaching, [WARDS])) == []


def test_w1_rolling_window_warns_where_the_rotation_average_passes() -> None:
    ward_b = Rotation("Wards B", day(28), day(55))
    light = weekdays(MON, 2, 12)  # weeks 1-2: 60 h a week
    heavy = weekdays(day(14), 4, 19)  # weeks 3-6: 95 h a week
    tail = weekdays(day(42), 2, 12)  # weeks 7-8: 60 h a week
    # Each rotation: 60 + 60 + 95 + 95 = 310 h over four weeks = 77.5 a week.
    found = check_w1_weekly_hours(light + heavy + tail, [WARDS, ward_b])
    assert violations(found) == []
    (w,) = warnings(found, "W1")
    assert w.value == 95.0
    assert at(day(1)) <= w.start <= at(day(14))  # the first window (77.5) does not fire
    assert w.end >= at(day(42))
    # The official averaging by rotation catches a rotation that itself is over:
    found = check_w1_weekly_hours(light + heavy + tail, [Rotation("Block", day(14), day(41))])
    assert [f.value for f in violations(found)] == [95.0]


def test_w1_rolling_warning_can_be_switched_off() -> None:
    ward_b = Rotation("Wards B", day(28), day(55))
    work = weekdays(MON, 2, 12) + weekdays(day(14), 4, 19) + weekdays(day(42), 2, 12)
    quiet = replace(ACGME_2023, rolling_window_warning=False)
    assert check_w1_weekly_hours(work, [WARDS, ward_b], ruleset=quiet) == []


def test_w1_88_hour_exception_rule_set_accepts_85_hours() -> None:
    work = weekdays(MON, 4, 17)  # 340 h = 85 a week
    (f,) = violations(check_w1_weekly_hours(work, [WARDS]))
    assert (f.value, f.limit) == (85.0, 80.0)
    exception = ACGME_2023.with_exception(weekly_hours=88)
    assert exception.weekly_hours == 88 and exception.version == "ACGME-CPR-2023v3+exception-88h"
    assert check_w1_weekly_hours(work, [WARDS], ruleset=exception) == []
    (f,) = violations(check_w1_weekly_hours(weekdays(MON, 4, 18), [WARDS], ruleset=exception))
    assert (f.value, f.limit) == (90.0, 88.0)


def test_w1_without_rotations_averages_four_week_periods_from_the_first_interval() -> None:
    start = day(2)  # Wednesday 8 July
    work = weekdays(start, 4, 17)  # 340 h from the first interval: 85 a week
    (f,) = violations(check_w1_weekly_hours(work))
    assert (f.start, f.end, f.value) == (at(start), at(day(28, start)), 85.0)


def test_w1_a_25_hour_call_across_the_november_change_counts_25_hours() -> None:
    sat = dt.date(2026, 10, 31)  # clocks go back at 2:00 on Sunday 1 November 2026
    call = Interval(at(sat, 7), at(sat + dt.timedelta(days=1), 7), Kind.IN_HOUSE_CALL)
    tl = Timeline.build([call])
    assert tl.grid is not None
    assert tl.grid.work_between(sat, sat + dt.timedelta(days=1)) == 25 * 3600
    assert tl.grid.bounds[2] - tl.grid.bounds[1] == dt.timedelta(hours=25)  # Sunday is 25 h


# --- W2: eight hours between shifts (a warning) ---------------------------------------------


@pytest.mark.parametrize(("gap_minutes", "expected"), [(8 * 60, None), (8 * 60 - 1, 7.98)])
def test_w2_eight_hours_between_shifts_is_a_warning_not_a_violation(
    gap_minutes: int, expected: float | None
) -> None:
    first = iv(at(MON, 7), 12)  # ends 19:00
    second = iv(at(MON, 19) + dt.timedelta(minutes=gap_minutes), 10)
    found = check_person([first, second], [WARDS], pgy=2)
    assert violations(found) == []
    if expected is None:
        assert warnings(found) == []
        return
    (f,) = warnings(found)
    assert (f.rule, f.severity, f.value, f.limit) == ("W2", Severity.WARNING, expected, 8.0)
    assert (f.start, f.end) == (at(MON, 19), second.start)


def test_w2_activated_home_call_is_not_a_shift() -> None:
    shifts = [iv(at(MON, 7), 12), iv(at(day(1), 7), 12)]  # 12 h apart
    page = iv(at(MON, 23), 1, "at_home_call")  # would leave 4 h and 7 h gaps
    assert check_w2_time_between_shifts([*shifts, page]) == []


def test_w2_ten_hours_under_the_2011_rules() -> None:
    shifts = [iv(at(MON, 7), 12), iv(at(MON, 19) + dt.timedelta(hours=9), 8)]
    assert check_w2_time_between_shifts(shifts) == []
    (f,) = check_w2_time_between_shifts(shifts, ruleset=ACGME_2011)
    assert (f.value, f.limit, f.severity) == (9.0, 10.0, Severity.WARNING)


# --- W3: 14 hours free after 24 hours of in-house call --------------------------------------


@pytest.mark.parametrize(("rest_minutes", "expected"), [(14 * 60, None), (14 * 60 - 1, 13.98)])
def test_w3_fourteen_hours_after_24_hour_call_met_or_missed_by_a_minute(
    rest_minutes: int, expected: float | None
) -> None:
    call = iv(at(MON, 7), 24, "in_house_call")
    after = at(day(1), 7) + dt.timedelta(minutes=rest_minutes)
    found = check_person([call, iv(after, 10)], [WARDS], pgy=2)
    if expected is None:
        assert violations(found) == [] and warnings(found, "W2") == []
        return
    (f,) = violations(found)
    assert (f.rule, f.value, f.limit) == ("W3", expected, 14.0)
    assert (f.start, f.end) == (at(day(1), 7), after)
    assert warnings(found, "W2") == []  # the same gap is W3's, not reported twice


def test_w3_a_short_rest_after_call_is_a_w3_violation_not_also_a_w2_warning() -> None:
    call = iv(at(MON, 7), 24, "in_house_call")
    found = check_person([call, iv(at(day(1), 14), 8)], [WARDS], pgy=2)
    assert [(f.rule, f.severity, f.value) for f in found] == [("W3", Severity.VIOLATION, 7.0)]
    # The same 7 hours after a 12-hour shift are a W2 warning.
    found = check_person([iv(at(MON, 7), 12), iv(at(MON, 19) + dt.timedelta(hours=7), 8)])
    assert [(f.rule, f.severity, f.value) for f in found] == [("W2", Severity.WARNING, 7.0)]


def test_w3_day_shift_then_overnight_call_is_24_hours_of_call_and_crosses_midnight() -> None:
    work = [iv(at(MON, 7), 10), iv(at(MON, 17), 14, "in_house_call")]  # 07:00 to 07:00
    assert check_w3_rest_after_call([*work, iv(at(day(1), 21), 8)]) == []
    (f,) = check_w3_rest_after_call([*work, iv(at(day(1), 19), 8)])
    assert f.value == 12.0


def test_w3_activated_home_call_interrupts_the_rest() -> None:
    call = iv(at(MON, 7), 24, "in_house_call")
    next_shift = iv(at(day(1), 21), 10)
    assert check_w3_rest_after_call([call, next_shift]) == []
    page = iv(at(day(1), 15), 1, "at_home_call")
    (f,) = check_w3_rest_after_call([call, next_shift, page])
    assert (f.value, f.end) == (8.0, at(day(1), 15))


def test_w3_does_not_apply_after_a_shift_shorter_than_24_hours() -> None:
    call = iv(at(MON, 17), 14, "in_house_call")  # overnight call alone: 14 h
    assert check_w3_rest_after_call([call, iv(at(day(1), 17), 8)]) == []


# --- W4/W5: one day in seven free, a day off being 24 continuous hours ----------------------


def twelves(first: dt.date, n: int, skip: set[int]) -> list[Interval]:
    """07:00-19:00 on each of n days from first, except the days in skip (12 h apart)."""
    return [iv(at(day(i, first), 7), 12) for i in range(n) if i not in skip]


@pytest.mark.parametrize(("evening", "expected"), [((19, 0), None), ((18, 59), 3)])
def test_w4_a_day_off_of_23h59m_is_not_a_day_off(
    evening: tuple[int, int], expected: int | None
) -> None:
    # Sundays 12, 19 and 26 July are off (36 h free each); the last Sunday, 2 August, has an
    # evening shift after Saturday's day shift, leaving 24 h free, or 23 h 59 min.
    work = [*twelves(MON, 27, {6, 13, 20}), iv(at(day(27), *evening), 4)]
    found = check_w4_days_off(work, [WARDS])
    if expected is None:
        assert found == []
        return
    (f,) = found
    assert (f.rule, f.severity, f.value, f.limit) == ("W4", Severity.VIOLATION, 3, 4.0)
    assert (f.start, f.end, f.period) == (at(MON), at(day(28)), "Wards")


def test_w4_at_home_call_on_a_free_day_makes_it_not_free() -> None:
    work = [*twelves(MON, 27, {6, 13, 20}), iv(at(day(27), 19), 4)]
    assert check_w4_days_off(work, [WARDS]) == []
    page = iv(at(day(27), 9), 1, "at_home_call")
    (f,) = check_w4_days_off([*work, page], [WARDS])
    assert f.value == 3


def test_w4_48_hours_free_is_two_days_off() -> None:
    # Two weekends free from Saturday 07:00 to Monday 07:00 (48 h): four days off.
    work = twelves(MON, 28, {4, 5, 6, 18, 19, 20})
    work += [iv(at(day(4), 13), 18), iv(at(day(18), 13), 18)]  # Friday 13:00 to Sat 07:00
    assert check_w4_days_off(work, [WARDS]) == []
    work.append(iv(at(day(7), 6, 59), 0.25))  # one weekend now 47 h 59 min: one day off
    (f,) = check_w4_days_off(work, [WARDS])
    assert f.value == 3


def test_w4_spring_forward_day_is_23_hours_and_not_a_day_off() -> None:
    first = dt.date(2026, 3, 2)  # Monday; clocks go forward on Sunday 8 March 2026
    block = Rotation("March", first, first + dt.timedelta(days=27))
    for sunday, expected in ((6, [3]), (13, [])):  # the evening shift on 8 or 15 March
        skip = {6, 13, 20} - {sunday} | {27}
        work = [*twelves(first, 28, skip | {sunday}), iv(at(day(sunday, first), 19), 4)]
        assert [f.value for f in check_w4_days_off(work, [block])] == expected


def test_w4_leave_days_are_neither_required_nor_counted() -> None:
    leave = Interval(at(day(21)), at(day(28)), Kind.LEAVE)  # the fourth week
    work = twelves(MON, 21, {6, 13, 20})  # three days off in three weeks
    assert check_w4_days_off([*work, leave], [WARDS]) == []
    work = twelves(MON, 21, {6, 13})
    (f,) = check_w4_days_off([*work, leave], [WARDS])
    assert (f.value, f.limit) == (2, 3.0)


# --- W6/W7: 24 hours of continuous duty plus 4 for transitions -----------------------------


def test_w6_w7_a_24_hour_call_across_midnight_is_within_the_limit() -> None:
    call = iv(at(MON, 7), 24, "in_house_call")
    assert call.end == at(day(1), 7)
    assert check_w6_w7_continuous_duty([call]) == []


def test_w6_w7_touching_intervals_are_one_period_and_transition_time_is_a_warning() -> None:
    call = iv(at(MON, 7), 24, "in_house_call")
    handover = iv(call.end, 4)  # 28 h continuous
    (f,) = check_w6_w7_continuous_duty([call, handover])
    assert (f.rule, f.severity, f.value, f.limit) == ("W7", Severity.WARNING, 28.0, 24.0)
    assert (f.start, f.end) == (at(MON, 7), at(day(1), 11))
    over = iv(call.end, 4 + 1 / 60)  # 28 h 1 min
    (f,) = check_w6_w7_continuous_duty([call, over])
    assert (f.rule, f.severity, f.value, f.limit) == ("W6", Severity.VIOLATION, 28.02, 28.0)


def test_w6_w7_a_gap_of_a_minute_splits_the_period() -> None:
    call = iv(at(MON, 7), 24, "in_house_call")
    later = iv(call.end + dt.timedelta(minutes=1), 4)
    assert check_w6_w7_continuous_duty([call, later]) == []


def test_w6_w7_a_24_hour_call_across_the_november_change_measures_25_hours() -> None:
    sat = dt.date(2026, 10, 31)
    call = Interval(at(sat, 7), at(sat + dt.timedelta(days=1), 7), Kind.IN_HOUSE_CALL)
    assert call.end - call.start == dt.timedelta(hours=24)  # the wall clock says 24...
    (f,) = check_w6_w7_continuous_duty([call])
    assert (f.rule, f.value) == ("W7", 25.0)  # ...real time is 25


def test_w6_the_2011_rules_limit_pgy1_to_16_hours() -> None:
    shift = iv(at(MON, 7), 17)
    assert check_w6_w7_continuous_duty([shift], pgy=1) == []
    (f,) = check_w6_w7_continuous_duty([shift], pgy=1, ruleset=ACGME_2011)
    assert (f.rule, f.value, f.limit) == ("W6", 17.0, 16.0)
    assert check_w6_w7_continuous_duty([shift], pgy=2, ruleset=ACGME_2011) == []
    assert check_w6_w7_continuous_duty([iv(at(MON, 7), 16)], pgy=1, ruleset=ACGME_2011) == []


# --- W10: PGY-1 residents may not moonlight -------------------------------------------------


@pytest.mark.parametrize("kind", ["moonlighting_internal", "moonlighting_external"])
def test_w10_pgy1_moonlighting_is_flagged_pgy2_not(kind: str) -> None:
    work = [iv(at(MON, 7), 10), iv(at(day(5), 8), 12, kind)]
    (f,) = check_w10_moonlighting(work, pgy=1)
    assert (f.rule, f.severity, f.value, f.limit) == ("W10", Severity.VIOLATION, 12.0, 0.0)
    assert f.start == at(day(5), 8)
    assert check_w10_moonlighting(work, pgy=2) == []
    assert check_w10_moonlighting(work, pgy=None) == []  # unknown: skipped


def test_pgy_must_be_a_positive_whole_number() -> None:
    with pytest.raises(ValueError, match="pgy"):
        check_person([], pgy=0)


# --- W11: night float -----------------------------------------------------------------------


@pytest.mark.parametrize(("nights", "expected"), [(6, []), (7, [7])])
def test_w11_six_consecutive_nights_of_night_float_under_the_2011_rules(
    nights: int, expected: list[float]
) -> None:
    work = [iv(at(day(n), 19), 12) for n in range(nights)]
    found = check_w11_night_float(work, ruleset=ACGME_2011)
    assert [f.value for f in found] == expected
    assert check_w11_night_float(work) == []  # 2023: covered by W1 and W4


def test_w13_at_home_call_is_covered_by_w1_and_w4() -> None:
    assert check_w13_at_home_call([iv(at(MON, 20), 2, "at_home_call")]) == []


# --- W12: in-house call no more often than every third night, averaged ----------------------


def calls(nights: list[int]) -> list[Interval]:
    return [iv(at(day(n), 17), 14, "in_house_call") for n in nights]


def test_w12_every_third_night_averaged_over_the_rotation() -> None:
    q3 = list(range(1, 28, 3))  # nights 1, 4, ..., 25: 9 calls in 28 days
    assert len(q3) == 9
    assert check_w12_call_frequency(calls(q3), [WARDS]) == []
    (f,) = check_w12_call_frequency(calls([*q3, 27]), [WARDS])
    assert (f.rule, f.value, f.limit, f.period) == ("W12", 10, 9.33, "Wards")


def test_w12_q2_for_two_weeks_passes_when_averaged() -> None:
    q2 = list(range(0, 14, 2))  # 7 calls, every other night, then none
    assert check_w12_call_frequency(calls(q2), [WARDS]) == []
    two_week = Rotation("Short", MON, day(13))  # the same calls over 14 days: 7 > 4.67
    (f,) = check_w12_call_frequency(calls(q2), [two_week])
    assert (f.value, f.limit) == (7, 4.67)


def test_w12_a_call_written_as_two_rows_across_midnight_is_one_call() -> None:
    split = []
    for n in range(1, 28, 3):
        split += [iv(at(day(n), 17), 7, "in_house_call"), iv(at(day(n + 1)), 7, "in_house_call")]
    assert check_w12_call_frequency(split, [WARDS]) == []


def test_w12_at_home_call_is_not_in_house_call() -> None:
    home = [iv(at(day(n), 20), 1, "at_home_call") for n in range(28)]
    assert check_w12_call_frequency(home, [WARDS]) == []


# --- Everyone -------------------------------------------------------------------------------


def test_check_person_orders_findings_and_check_many_names_people() -> None:
    heavy = [*weekdays(MON, 4, 16), iv(at(day(5), 8), 5, "moonlighting_external")]  # 325 h
    people = {"zoe": heavy, "adam": weekdays(MON, 4, 10)}
    found = check_many(people, {"zoe": [WARDS], "adam": [WARDS]}, {"zoe": 1, "adam": 1})
    assert {f.person for f in found} == {"zoe"}
    assert sorted((f.rule, f.severity.value) for f in found) == [
        ("W1", "violation"),  # no rolling warning: its only window is the rotation itself
        ("W10", "violation"),
    ]
    assert [f.start for f in found] == sorted(f.start for f in found)
    assert check_person(heavy, [WARDS], pgy=1) == [replace(f, person=None) for f in found]


def test_findings_are_given_in_the_rule_sets_time_zone() -> None:
    chicago = ACGME_2023.in_zone("America/Chicago")
    (f,) = check_w6_w7_continuous_duty([iv(at(MON, 7), 26)], ruleset=chicago)
    assert f.start.utcoffset() == dt.timedelta(hours=-5)
    assert f.start == at(MON, 7)


def test_an_empty_record_has_no_findings() -> None:
    assert check_person([], [WARDS], pgy=1) == []
    assert check_person([]) == []
