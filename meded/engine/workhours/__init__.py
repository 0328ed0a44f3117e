"""The ACGME work-hour rule checker (CPR VI.F, rules W1-W13 of the domain notes).

Pure Python: intervals of a person's time (timezone-aware, of a ``Kind``), their rotation
calendar and PGY in; ``Finding``s (rule id, severity, period, measured value, limit) out.
Every number is in a versioned ``RuleSet``: ``ACGME_2023`` (current), ``ACGME_2011`` (the
superseded rules, for history); exceptions such as 88 hours are ``with_exception``.

    from meded.engine.workhours import ACGME_2023, Interval, Kind, check_person
    findings = check_person(intervals, rotations, pgy=2, ruleset=ACGME_2023)
"""

from meded.engine.workhours.model import (
    MOONLIGHTING_KINDS,
    SCHEDULED_KINDS,
    WORK_KINDS,
    Finding,
    Interval,
    Kind,
    NaiveDatetimeError,
    Rotation,
    Severity,
)
from meded.engine.workhours.rules import (
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
from meded.engine.workhours.ruleset import (
    ACGME_2011,
    ACGME_2023,
    CURRENT,
    RULE_SETS,
    RuleSet,
    get_rule_set,
)

__all__ = [
    "ACGME_2011",
    "ACGME_2023",
    "CURRENT",
    "MOONLIGHTING_KINDS",
    "RULE_SETS",
    "SCHEDULED_KINDS",
    "WORK_KINDS",
    "Finding",
    "Interval",
    "Kind",
    "NaiveDatetimeError",
    "Rotation",
    "RuleSet",
    "Severity",
    "Timeline",
    "check_many",
    "check_person",
    "check_w1_weekly_hours",
    "check_w2_time_between_shifts",
    "check_w3_rest_after_call",
    "check_w4_days_off",
    "check_w6_w7_continuous_duty",
    "check_w10_moonlighting",
    "check_w11_night_float",
    "check_w12_call_frequency",
    "check_w13_at_home_call",
    "get_rule_set",
]
