"""Versioned rule sets: every number the checker uses lives here, never in a rule function.

``ACGME_2023`` is the current ACGME Common Program Requirements (Residency) section VI.F,
2023v3 (renumbered 6.20-6.28 in the 2025 reformatted text, same wording). ``ACGME_2011`` keeps
the superseded 2011 limits for checking historical data: the 16-hour limit for PGY-1
residents, "should have 10 hours off" between shifts and at most six consecutive nights of
night float, all dropped in 2017.

Program-specific exceptions are configuration: a Review Committee may grant a rotation "up to
10 percent or a maximum of 88" weekly hours (W9), so ``ACGME_2023.with_exception(
weekly_hours=88)`` gives the rule set for such a rotation; its version names the exception.
"""

from __future__ import annotations

import dataclasses
import zoneinfo
from dataclasses import dataclass

DEFAULT_TZ = "America/New_York"


@dataclass(frozen=True)
class RuleSet:
    version: str
    tz: str = DEFAULT_TZ  # the hospital's time zone: dates, rotation days, night detection
    # W1: weekly hours averaged by rotation.
    weekly_hours: float = 80.0
    averaging_days: int = 28  # a four-week period
    single_period_max_days: int = 31  # a rotation up to a month long is averaged as a whole
    rolling_window_warning: bool = True  # also warn on every rolling 28-day window
    # W2: time off between scheduled shifts ("should": a warning).
    min_hours_between_shifts: float = 8.0
    # W3: time off after 24 hours of in-house call.
    rest_after_call_hours: float = 14.0
    call_length_for_rest_hours: float = 24.0
    # W4/W5: one day in seven free, averaged; a day off is a continuous 24-hour period.
    day_off_hours: float = 24.0
    one_day_off_in: int = 7
    # W6/W7: continuous scheduled clinical assignment, plus transition/education time.
    max_continuous_hours: float = 24.0
    transition_hours: float = 4.0
    pgy1_max_continuous_hours: float | None = None  # 2011: 16, no transition time
    # W10: moonlighting.
    pgy1_may_moonlight: bool = False
    # W12: in-house call no more often than every third night, averaged.
    in_house_call_every_nth_night: int = 3
    # 2011 only: consecutive nights of night float.
    max_consecutive_night_float: int | None = None
    night_probe_hour: int = 3  # a night is worked when an in-house shift covers 03:00
    # W9: the largest weekly limit a Review Committee exception may grant.
    max_exception_fraction: float = 0.10
    max_exception_hours: float = 88.0
    note: str = ""

    def __post_init__(self) -> None:
        try:
            zoneinfo.ZoneInfo(self.tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone {self.tz!r}") from e
        if self.averaging_days < 1 or self.one_day_off_in < 1:
            raise ValueError("averaging_days and one_day_off_in must be positive")
        if self.in_house_call_every_nth_night < 1:
            raise ValueError("in_house_call_every_nth_night must be positive")
        if not 0 <= self.night_probe_hour <= 23:
            raise ValueError("night_probe_hour must be an hour of the day (0-23)")

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.tz)

    @property
    def max_with_transition_hours(self) -> float:
        return self.max_continuous_hours + self.transition_hours

    def with_exception(self, *, weekly_hours: float) -> RuleSet:
        """The rule set for a rotation with a Review Committee exception (W9): the weekly
        limit raised to ``weekly_hours``, which may not exceed the base limit by more than
        10 percent nor 88 hours. Everything else is unchanged."""
        ceiling = min(
            self.weekly_hours * (1 + self.max_exception_fraction), self.max_exception_hours
        )
        if weekly_hours > ceiling + 1e-9:
            raise ValueError(
                f"an exception may grant at most {ceiling:g} hours per week "
                f"(10 percent over {self.weekly_hours:g}, at most {self.max_exception_hours:g})"
            )
        if weekly_hours < self.weekly_hours:
            raise ValueError(
                f"an exception raises the weekly limit; {weekly_hours:g} is below "
                f"{self.weekly_hours:g}"
            )
        return dataclasses.replace(
            self, version=f"{self.version}+exception-{weekly_hours:g}h", weekly_hours=weekly_hours
        )

    def in_zone(self, tz: str) -> RuleSet:
        """The same rules in another hospital time zone."""
        return dataclasses.replace(self, tz=tz)


ACGME_2023 = RuleSet(
    version="ACGME-CPR-2023v3",
    note="ACGME Common Program Requirements (Residency) VI.F, 2023v3 (2025: 6.20-6.28)",
)

ACGME_2011 = RuleSet(
    version="ACGME-CPR-2011",
    min_hours_between_shifts=10.0,  # "should have 10 hours free" between duty periods
    pgy1_max_continuous_hours=16.0,  # PGY-1 duty periods must not exceed 16 hours
    max_consecutive_night_float=6,  # VI.G.6: at most six consecutive nights of night float
    note="ACGME Common Program Requirements 2011 (superseded in 2017; for history)",
)

RULE_SETS: dict[str, RuleSet] = {r.version: r for r in (ACGME_2023, ACGME_2011)}
CURRENT = ACGME_2023


def get_rule_set(version: str) -> RuleSet:
    try:
        return RULE_SETS[version]
    except KeyError:
        known = ", ".join(RULE_SETS)
        raise KeyError(f"unknown rule set {version!r} (known: {known})") from None
