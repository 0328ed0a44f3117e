"""Annual rotation schedules: the calendar and rules of a program's academic year, its
rotations, residents' requests, and solved or edited versions of the schedule.

The engine (meded.engine.blocks) knows nothing of these rows: meded.schedules.adapters is
the one place that translates. Writes go through meded.schedules.actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from meded.engine.blocks.model import Category
from meded.schedules.rules import RulesError, parse_rules

CATEGORY_CHOICES = [(c.value, c.value.replace("_", " ").capitalize()) for c in Category]
COVERAGE_ROLES = ("intern", "senior", "any")


class ScheduleYear(models.Model):
    """One program's schedule for one academic year: the block calendar, when residents may
    send requests, and the rule document (see meded.schedules.rules)."""

    program = models.ForeignKey(
        "org.Program", on_delete=models.CASCADE, related_name="schedule_years"
    )
    academic_year = models.ForeignKey(
        "org.AcademicYear", on_delete=models.PROTECT, related_name="schedule_years"
    )
    n_blocks = models.PositiveSmallIntegerField(default=26)
    block_days = models.PositiveSmallIntegerField(default=14)
    start_date = models.DateField(help_text="The first day of block 1 (the academic year's start).")
    requests_open = models.DateField(null=True, blank=True)
    requests_close = models.DateField(null=True, blank=True)
    rules = models.JSONField(default=dict, blank=True)
    solve_seconds = models.PositiveSmallIntegerField(default=20)

    class Meta:
        ordering = ["program", "-start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "academic_year"], name="schedule_year_unique"
            ),
            models.CheckConstraint(condition=Q(n_blocks__gte=1), name="schedule_year_blocks"),
            models.CheckConstraint(condition=Q(block_days__gte=1), name="schedule_year_days"),
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.academic_year}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.clean()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        try:
            parse_rules(self.rules)
        except RulesError as e:
            raise ValidationError({"rules": str(e)}) from e
        if self.requests_open and self.requests_close and self.requests_close < self.requests_open:
            raise ValidationError({"requests_close": "The window closes before it opens."})

    @property
    def blocks(self) -> range:
        return range(self.n_blocks)

    def block_start(self, block: int) -> dt.date:
        return self.start_date + dt.timedelta(days=self.block_days * block)

    def block_end(self, block: int) -> dt.date:
        return self.block_start(block + 1) - dt.timedelta(days=1)

    def block_dates(self) -> list[tuple[int, dt.date, dt.date]]:
        return [(b, self.block_start(b), self.block_end(b)) for b in self.blocks]

    def requests_are_open(self, day: dt.date) -> bool:
        return (
            self.requests_open is not None
            and self.requests_close is not None
            and self.requests_open <= day <= self.requests_close
        )


class Rotation(models.Model):
    """A rotation a program's residents can be scheduled on. Coverage is a list of
    {"role": "intern"|"senior"|"any", "min": n, "max": n|null} (validated on save)."""

    program = models.ForeignKey("org.Program", on_delete=models.CASCADE, related_name="rotations")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=120)
    category = models.CharField(max_length=30, choices=CATEGORY_CHOICES)
    site = models.CharField(max_length=120, blank=True)
    length = models.PositiveSmallIntegerField(default=1, help_text="Blocks per stint.")
    pgys = models.JSONField(default=list, blank=True, help_text="Eligible PGYs (empty: all).")
    tracks = models.JSONField(default=list, blank=True, help_text="Eligible track codes.")
    coverage = models.JSONField(default=list, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["program", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="rotation_code_unique"),
            models.CheckConstraint(condition=Q(length__gte=1), name="rotation_length"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.clean()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not isinstance(self.pgys, list) or not all(
            isinstance(p, int) and not isinstance(p, bool) and 1 <= p <= 10 for p in self.pgys
        ):
            errors["pgys"] = "A list of PGYs from 1 to 10."
        if not isinstance(self.tracks, list) or not all(isinstance(t, str) for t in self.tracks):
            errors["tracks"] = "A list of track codes."
        if problem := coverage_problem(self.coverage):
            errors["coverage"] = problem
        if errors:
            raise ValidationError(errors)


def coverage_problem(coverage: Any) -> str:
    """Why a coverage list is invalid, or ""."""
    if not isinstance(coverage, list):
        return "Coverage is a list of rules."
    roles = []
    for rule in coverage:
        if not isinstance(rule, dict) or set(rule) - {"role", "min", "max"}:
            return "Each coverage rule has role, min and max."
        role = rule.get("role", "any")
        lo, hi = rule.get("min", 0), rule.get("max")
        if role not in COVERAGE_ROLES:
            return f"Coverage role {role!r} is not one of intern, senior, any."
        if not isinstance(lo, int) or lo < 0 or (hi is not None and (not isinstance(hi, int))):
            return "Coverage min and max are whole numbers (max may be empty)."
        if hi is not None and hi < lo:
            return f"Coverage of {role}: max {hi} is below min {lo}."
        roles.append(role)
    if len(roles) != len(set(roles)):
        return "One coverage rule per role."
    return ""


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"


class VacationRequest(models.Model):
    """A resident asks for vacation in some blocks: approved is a hard rule for the solver,
    pending a wish it tries to grant, declined is ignored."""

    schedule_year = models.ForeignKey(
        ScheduleYear, on_delete=models.CASCADE, related_name="vacation_requests"
    )
    appointment = models.ForeignKey(
        "org.Appointment", on_delete=models.CASCADE, related_name="vacation_requests"
    )
    blocks = models.JSONField(default=list)
    status = models.CharField(
        max_length=20, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["schedule_year", "created_at"]
        indexes = [models.Index(fields=["schedule_year", "appointment"])]

    def __str__(self) -> str:
        return f"Vacation request {self.pk} ({self.get_status_display()})"

    @property
    def person_id(self) -> int:
        return self.appointment.person_id


class ElectivePreference(models.Model):
    """A resident's ranked elective (rank 1 is the first choice)."""

    schedule_year = models.ForeignKey(
        ScheduleYear, on_delete=models.CASCADE, related_name="preferences"
    )
    appointment = models.ForeignKey(
        "org.Appointment", on_delete=models.CASCADE, related_name="elective_preferences"
    )
    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()
    status = models.CharField(
        max_length=20, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )

    class Meta:
        ordering = ["schedule_year", "appointment", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule_year", "appointment", "rank"], name="preference_rank_unique"
            ),
            models.UniqueConstraint(
                fields=["schedule_year", "appointment", "rotation"],
                name="preference_rotation_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.rank} {self.rotation}"


class TimingWish(models.Model):
    """A resident's "not before / not after" wish: no block of ``rotation`` (or of any
    rotation of ``category``) before block ``not_before`` or after block ``not_after``
    (0-based). Soft: each block against it costs the rules' wish_weight."""

    schedule_year = models.ForeignKey(
        ScheduleYear, on_delete=models.CASCADE, related_name="timing_wishes"
    )
    appointment = models.ForeignKey(
        "org.Appointment", on_delete=models.CASCADE, related_name="timing_wishes"
    )
    rotation = models.ForeignKey(
        Rotation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    category = models.CharField(max_length=30, choices=CATEGORY_CHOICES, blank=True)
    not_before = models.PositiveSmallIntegerField(null=True, blank=True)
    not_after = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=20, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["schedule_year", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rotation__isnull=False) | ~Q(category=""),
                name="timing_wish_has_target",
            ),
            models.CheckConstraint(
                condition=Q(not_before__isnull=False) | Q(not_after__isnull=False),
                name="timing_wish_has_bound",
            ),
        ]

    def __str__(self) -> str:
        return f"Timing wish {self.pk}"

    @property
    def target_name(self) -> str:
        if self.rotation_id is not None and self.rotation is not None:
            return self.rotation.name
        return self.get_category_display()

    def describe(self) -> str:
        parts = []
        if self.not_before is not None:
            parts.append(f"not before block {self.not_before + 1}")
        if self.not_after is not None:
            parts.append(f"not after block {self.not_after + 1}")
        return f"{self.target_name} " + " and ".join(parts)


class RotationHistory(models.Model):
    """Weeks a trainee spent on a rotation in an earlier academic year, recorded before the
    program scheduled in this system (imported or typed in). Earlier years' published
    versions count on their own; both feed requirements with scope "residency"."""

    appointment = models.ForeignKey(
        "org.Appointment", on_delete=models.CASCADE, related_name="rotation_history"
    )
    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="history")
    academic_year = models.ForeignKey(
        "org.AcademicYear", on_delete=models.PROTECT, related_name="+"
    )
    weeks = models.PositiveSmallIntegerField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["appointment", "academic_year__start_date", "rotation__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "rotation", "academic_year"],
                name="rotation_history_unique",
            ),
            models.CheckConstraint(condition=Q(weeks__gte=1), name="rotation_history_weeks"),
        ]

    def __str__(self) -> str:
        return f"{self.rotation} {self.weeks} wk ({self.academic_year})"


class ScheduleVersion(models.Model):
    """One full schedule of a year: solved by the engine (then possibly edited by hand), a
    draft until published. At most one version of a year is published."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    schedule_year = models.ForeignKey(
        ScheduleYear, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    label = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    # What the solver said: queued, running, OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN, failed,
    # or "copy" for a version copied from another.
    solver_status = models.CharField(max_length=20, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    objective = models.FloatField(null=True, blank=True)
    bound = models.FloatField(null=True, blank=True)
    gap = models.FloatField(null=True, blank=True)
    wall_s = models.FloatField(null=True, blank=True)
    # {"by_rule": {rule: cost}, "total": n}; "cohorts": {appointment id: X+Y cohort}
    costs = models.JSONField(default=dict, blank=True)
    cohorts = models.JSONField(default=dict, blank=True)
    job = models.ForeignKey(
        "jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["schedule_year", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule_year", "number"], name="schedule_version_number_unique"
            ),
            models.UniqueConstraint(
                fields=["schedule_year"],
                condition=Q(status="published"),
                name="one_published_version_per_year",
            ),
        ]

    def __str__(self) -> str:
        return f"Version {self.number}" + (f" ({self.label})" if self.label else "")

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_solving(self) -> bool:
        return self.solver_status in ("queued", "running")


class Assignment(models.Model):
    """A resident (trainee appointment) on a rotation in one block of one version."""

    version = models.ForeignKey(
        ScheduleVersion, on_delete=models.CASCADE, related_name="assignments"
    )
    appointment = models.ForeignKey(
        "org.Appointment", on_delete=models.CASCADE, related_name="rotation_assignments"
    )
    block = models.PositiveSmallIntegerField()
    rotation = models.ForeignKey(Rotation, on_delete=models.PROTECT, related_name="assignments")

    class Meta:
        ordering = ["version", "appointment", "block"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "appointment", "block"], name="assignment_cell_unique"
            )
        ]
        indexes = [
            models.Index(fields=["version", "block", "rotation"]),
            models.Index(fields=["appointment", "version"]),
        ]

    def __str__(self) -> str:
        return f"{self.appointment_id} block {self.block + 1}: {self.rotation_id}"

    @property
    def person_id(self) -> int:
        return self.appointment.person_id
