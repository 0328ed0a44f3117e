"""Call and shift rosters inside a rotation block: shift templates per rotation, a roster per
program, schedule year and block, its shifts, the program's roster settings and residents'
swap requests.

Draft and published: a roster's shifts exist twice. The draft rows (``published=False``) are
the working copy the solver writes and chiefs edit; publishing replaces the published rows
with a copy of the draft. Everything residents and the hospital see (on call now, my shifts,
calendar feeds, meal cards, swaps) reads only published rows, so a half-edited draft never
shows. An approved swap changes the published rows and the matching draft rows alike.

Every instant is timezone-aware (stored in UTC, computed in the hospital's zone); a shift's
end is its start plus its length on the wall clock, so a 19:00-07:00 night across the
November change lasts 13 hours. Writes go through meded.rosters.actions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from meded.rosters.holidays import federal_holidays

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class ShiftKind(models.TextChoices):
    DAY = "day", "Day"
    NIGHT = "night", "Night"
    IN_HOUSE_CALL = "in_house_call", "24-h in-house call"
    AT_HOME_CALL = "at_home_call", "At-home call"
    WEEKEND_DAY = "weekend_day", "Weekend day"


class ShiftTemplate(models.Model):
    """A kind of shift a rotation's residents work: when it starts, how long it runs, on
    which weekdays (and holidays), and how many residents it needs."""

    class Holidays(models.TextChoices):
        NORMAL = "normal", "As its weekday"
        ALSO = "also", "Also on holidays"
        SKIP = "skip", "Not on holidays"

    rotation = models.ForeignKey(
        "schedules.Rotation", on_delete=models.CASCADE, related_name="shift_templates"
    )
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=ShiftKind.choices, default=ShiftKind.DAY)
    start_time = models.TimeField()
    length_minutes = models.PositiveIntegerField(default=720)
    # 0 = Monday ... 6 = Sunday
    weekdays = models.JSONField(default=list)
    holidays = models.CharField(max_length=10, choices=Holidays.choices, default=Holidays.NORMAL)
    cover_min = models.PositiveSmallIntegerField(default=1)
    cover_target = models.PositiveSmallIntegerField(null=True, blank=True)
    cover_max = models.PositiveSmallIntegerField(null=True, blank=True)
    in_house_call = models.BooleanField(default=False)
    night = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["rotation", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["rotation", "code"], name="shift_template_code_unique"),
            models.CheckConstraint(
                condition=Q(length_minutes__gte=1, length_minutes__lte=2880),
                name="shift_template_length",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.clean()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not isinstance(self.weekdays, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in self.weekdays
        ):
            errors["weekdays"] = "A list of weekdays from 0 (Monday) to 6 (Sunday)."
        if self.cover_target is not None and self.cover_target < self.cover_min:
            errors["cover_target"] = "The target is below the minimum."
        if self.cover_max is not None and self.cover_max < max(
            self.cover_min, self.cover_target or 0
        ):
            errors["cover_max"] = "The maximum is below the minimum or the target."
        if errors:
            raise ValidationError(errors)

    @property
    def start_minute(self) -> int:
        return self.start_time.hour * 60 + self.start_time.minute

    @property
    def is_call(self) -> bool:
        return self.in_house_call or self.kind in (ShiftKind.IN_HOUSE_CALL, ShiftKind.AT_HOME_CALL)

    @property
    def weekdays_label(self) -> str:
        days = sorted(set(self.weekdays))
        if days == list(range(7)):
            return "every day"
        if days == list(range(5)):
            return "Mon–Fri"
        if days == [5, 6]:
            return "Sat–Sun"
        return ", ".join(WEEKDAY_NAMES[d] for d in days)

    @property
    def hours_label(self) -> str:
        end = (self.start_minute + self.length_minutes) % 1440
        return f"{self.start_time:%H:%M}–{end // 60:02d}:{end % 60:02d}"

    def runs_on(self, day: dt.date, holidays: set[dt.date] | frozenset[dt.date]) -> bool:
        if day in holidays:
            if self.holidays == self.Holidays.ALSO:
                return True
            if self.holidays == self.Holidays.SKIP:
                return False
        return day.weekday() in self.weekdays

    def span(self, day: dt.date, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
        """Start and end of this shift on ``day`` in ``zone``: the end is the start plus the
        length on the wall clock (aware arithmetic with one ZoneInfo is wall-clock
        arithmetic), so its elapsed length follows daylight saving."""
        start = dt.datetime.combine(day, self.start_time, tzinfo=zone)
        end = start + dt.timedelta(minutes=self.length_minutes)
        # normalize the offsets (a wall time in the spring gap gets the later offset)
        return _normal(start, zone), _normal(end, zone)


def _normal(value: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    return value.astimezone(dt.UTC).astimezone(zone)


def block_last_day(sy: Any, block: int) -> dt.date:
    """The last day a block's roster covers: the end of the block; for the year's last block,
    the end of the academic year when that comes less than a block later (26 two-week blocks
    are 364 days, so the year's last day or two would otherwise be on nobody's roster)."""
    end: dt.date = sy.block_end(block)
    if block == sy.n_blocks - 1:
        year_end: dt.date = sy.academic_year.end_date
        if end < year_end < end + dt.timedelta(days=sy.block_days):
            return year_end
    return end


class Roster(models.Model):
    """The shifts of one program's rotation block (a schedule year's block)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    schedule_year = models.ForeignKey(
        "schedules.ScheduleYear", on_delete=models.CASCADE, related_name="rosters"
    )
    block = models.PositiveSmallIntegerField(help_text="0-based block of the schedule year.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    # What the solver said about the draft: queued, running, OPTIMAL, FEASIBLE, INFEASIBLE,
    # UNKNOWN, failed; "" before the first generation.
    solver_status = models.CharField(max_length=20, blank=True)
    job = models.ForeignKey(
        "jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The draft differs from the published rows (edited or regenerated since publishing).
    draft_changed = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["schedule_year", "block"]
        constraints = [
            models.UniqueConstraint(fields=["schedule_year", "block"], name="roster_block_unique")
        ]

    def __str__(self) -> str:
        return f"{self.schedule_year} block {self.block + 1}"

    @property
    def program(self) -> Any:
        return self.schedule_year.program

    @property
    def first_day(self) -> dt.date:
        return self.schedule_year.block_start(self.block)

    @property
    def last_day(self) -> dt.date:
        return block_last_day(self.schedule_year, self.block)

    @property
    def days(self) -> list[dt.date]:
        n = (self.last_day - self.first_day).days + 1
        return [self.first_day + dt.timedelta(days=i) for i in range(n)]

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_solving(self) -> bool:
        return self.solver_status in ("queued", "running")


class Shift(models.Model):
    """One resident on one shift. ``published`` rows are the roster everybody sees; the
    others are the draft (see the module notes)."""

    roster = models.ForeignKey(Roster, on_delete=models.CASCADE, related_name="shifts")
    template = models.ForeignKey(ShiftTemplate, on_delete=models.PROTECT, related_name="shifts")
    appointment = models.ForeignKey(
        "org.Appointment", on_delete=models.CASCADE, related_name="shifts"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    published = models.BooleanField(default=False)
    # Why a chief kept an edit that breaks a work-hour rule (empty: no override).
    override_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["start", "template__sort_order", "appointment_id"]
        indexes = [
            models.Index(fields=["published", "start", "end"]),
            models.Index(fields=["appointment", "published", "start"]),
            models.Index(fields=["roster", "published"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="shift_ordered"),
            models.UniqueConstraint(
                fields=["roster", "published", "template", "appointment", "start"],
                name="shift_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} {self.start:%Y-%m-%d %H:%M}"

    @property
    def person_id(self) -> int:
        return self.appointment.person_id

    @property
    def hours(self) -> float:
        return (self.end.astimezone(dt.UTC) - self.start.astimezone(dt.UTC)).total_seconds() / 3600

    def local_day(self, zone: dt.tzinfo) -> dt.date:
        return self.start.astimezone(zone).date()


class RosterSettings(models.Model):
    """A program's roster settings. ``holidays`` maps a calendar year ("2026") to its list
    of [ISO date, name]; a year not in it has the US federal holidays."""

    program = models.OneToOneField(
        "org.Program", on_delete=models.CASCADE, related_name="roster_settings"
    )
    auto_approve_clean_swaps = models.BooleanField(
        default=False,
        help_text="Approve a swap at once when every coverage and work-hour check is clean.",
    )
    meal_credit = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        default=Decimal("10.00"),
        help_text="Meal-card credit per qualifying shift (dollars).",
    )
    meal_kinds = models.JSONField(
        default=list,
        blank=True,
        help_text="Shift kinds whose weekend and holiday shifts earn a meal card "
        "(empty: in-house and at-home call).",
    )
    holidays = models.JSONField(default=dict, blank=True)
    solve_seconds = models.PositiveSmallIntegerField(
        default=20, help_text="Time for the solver to build one block's roster."
    )

    def __str__(self) -> str:
        return f"Roster settings of {self.program}"

    DEFAULT_MEAL_KINDS = (ShiftKind.IN_HOUSE_CALL.value, ShiftKind.AT_HOME_CALL.value)

    @property
    def qualifying_kinds(self) -> tuple[str, ...]:
        return tuple(self.meal_kinds or self.DEFAULT_MEAL_KINDS)

    def holidays_of(self, year: int) -> list[tuple[dt.date, str]]:
        listed = (self.holidays or {}).get(str(year))
        if listed is None:
            return federal_holidays(year)
        return sorted((dt.date.fromisoformat(d), name) for d, name in listed)

    def holiday_dates(self, first: dt.date, last: dt.date) -> dict[dt.date, str]:
        out: dict[dt.date, str] = {}
        for year in range(first.year, last.year + 1):
            for day, name in self.holidays_of(year):
                if first <= day <= last:
                    out[day] = name
        return out


class SwapRequest(models.Model):
    """A resident offers a published shift: a swap (the other resident's shift comes back) or
    a give-away. The other resident accepts, the checks run, then a chief or coordinator
    approves (or the program auto-approves a clean one)."""

    class Kind(models.TextChoices):
        SWAP = "swap", "Swap"
        GIVE_AWAY = "give_away", "Give-away"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Waiting for the other resident"
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        AUTO_APPROVED = "auto_approved", "Approved automatically"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    OPEN = (Status.PROPOSED, Status.PENDING)

    program = models.ForeignKey("org.Program", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_appointment = models.ForeignKey(
        "org.Appointment", on_delete=models.CASCADE, related_name="swaps_offered"
    )
    to_appointment = models.ForeignKey(
        "org.Appointment", on_delete=models.CASCADE, related_name="swaps_received"
    )
    # The published shifts; a republished roster that drops one leaves the request with its
    # words (``summary``) only.
    shift = models.ForeignKey(
        Shift, on_delete=models.SET_NULL, null=True, blank=True, related_name="swaps_out"
    )
    # A swap: the taker's shift the proposer works instead.
    their_shift = models.ForeignKey(
        Shift, on_delete=models.SET_NULL, null=True, blank=True, related_name="swaps_in"
    )
    summary = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED)
    note = models.CharField(max_length=300, blank=True)
    # {"ok": bool, "problems": [...], "warnings": [...], "checked_at": iso}
    check_result = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["program", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} request {self.pk} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def is_approved(self) -> bool:
        return self.status in (self.Status.APPROVED, self.Status.AUTO_APPROVED)
