"""The organization: institutions, departments, sites, programs, tracks, academic years,
people and their appointments. Everything later (schedules, clinics, rosters, CME) hangs
off these rows.

Writes go through meded.org.actions, never through model.save() from a view.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q


class Institution(models.Model):
    class Kind(models.TextChoices):
        ACADEMIC = "academic", "Academic medical center"
        COMMUNITY = "community", "Community hospital"
        SPECIALTY = "specialty", "Specialty hospital"
        SCHOOL = "school", "School"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200, unique=True)
    short_name = models.CharField(max_length=40, blank=True)
    slug = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ACADEMIC)
    city = models.CharField(max_length=100, blank=True)
    # The institution whose facts the public "Facts at a glance" page shows.
    is_sponsor = models.BooleanField(default=False)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="departments"
    )
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "slug"], name="department_slug_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Program(models.Model):
    class Kind(models.TextChoices):
        RESIDENCY = "residency", "Residency"
        FELLOWSHIP = "fellowship", "Fellowship"
        INTERNSHIP = "internship", "Internship"
        OTHER = "other", "Other training"

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="programs")
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="programs", null=True, blank=True
    )
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.RESIDENCY)
    specialty = models.CharField(max_length=120, blank=True)
    accreditation_id = models.CharField(
        "ACGME program id", max_length=20, blank=True, null=True, unique=True
    )
    # Highest PGY a trainee of this program can hold (IM: 3). Fellowships start above 1.
    min_pgy = models.PositiveSmallIntegerField(default=1)
    max_pgy = models.PositiveSmallIntegerField(default=3)
    description = models.TextField(blank=True)
    is_public = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["kind", "name"])]

    def __str__(self) -> str:
        return self.name


class Track(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="tracks")
    name = models.CharField(max_length=120)
    code = models.SlugField(max_length=40)
    description = models.TextField(blank=True)
    # Clinical years of the track (the Physician-Scientist short track has 2).
    clinical_years = models.PositiveSmallIntegerField(default=3)
    is_preliminary = models.BooleanField(default=False)
    # A variant of another track (the short track of the Physician-Scientist Pathway).
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="variants"
    )
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["program", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="track_code_unique"),
            models.UniqueConstraint(fields=["program", "name"], name="track_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    class Kind(models.TextChoices):
        CONTINUITY = "continuity", "Continuity practice"
        HEALTH_CENTER = "health_center", "Community health center"
        HOSPITAL = "hospital", "Hospital"
        OTHER = "other", "Other"

    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="sites", null=True, blank=True
    )
    name = models.CharField(max_length=200, unique=True)
    short_name = models.CharField(max_length=40, blank=True)
    code = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CONTINUITY)
    address = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    tracks = models.ManyToManyField(Track, related_name="sites", blank=True)
    # The published range of residents placed ("2-10", "20+", "60"); max None means open-ended.
    residents_placed_min = models.PositiveSmallIntegerField(null=True, blank=True)
    residents_placed_max = models.PositiveSmallIntegerField(null=True, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def residents_placed_label(self) -> str:
        lo, hi = self.residents_placed_min, self.residents_placed_max
        if lo is None:
            return ""
        if hi is None:
            return f"{lo}+"
        if hi == lo:
            return str(lo)
        return f"{lo}-{hi}"


class AcademicYear(models.Model):
    """July 1 - June 30 by default; programs on other calendars add their own years."""

    name = models.CharField(max_length=20, unique=True)
    start_date = models.DateField(unique=True)
    end_date = models.DateField()

    class Meta:
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=models.F("start_date")), name="academic_year_ordered"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def bounds_for(day: dt.date, start_month: int = 7) -> tuple[dt.date, dt.date]:
        year = day.year if day.month >= start_month else day.year - 1
        start = dt.date(year, start_month, 1)
        end = dt.date(year + 1, start_month, 1) - dt.timedelta(days=1)
        return start, end

    @classmethod
    def containing(cls, day: dt.date) -> AcademicYear | None:
        return cls.objects.filter(start_date__lte=day, end_date__gte=day).first()


class Person(models.Model):
    class Kind(models.TextChoices):
        TRAINEE = "trainee", "Trainee"
        FACULTY = "faculty", "Faculty"
        STAFF = "staff", "Staff"
        STUDENT = "student", "Student"

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    degrees = models.CharField(max_length=60, blank=True)
    email = models.EmailField(max_length=254, unique=True, null=True, blank=True)
    # The id another system (HR, the match, MedHub) knows this person by.
    external_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TRAINEE)
    npi = models.CharField("NPI", max_length=10, blank=True)
    medical_school = models.CharField(max_length=200, blank=True)
    # Clinical staff who need continuing education credits.
    requires_cme = models.BooleanField(default=False)
    user = models.OneToOneField(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="person"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["last_name", "first_name", "id"]),
            models.Index(fields=["kind", "last_name", "first_name", "id"]),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        first = self.preferred_name or self.first_name
        name = f"{first} {self.last_name}"
        return f"{name}, {self.degrees}" if self.degrees else name

    @property
    def sort_name(self) -> str:
        return f"{self.last_name}, {self.first_name}"


class Appointment(models.Model):
    """A person's place in the organization for a period: trainee in a program and track,
    faculty or staff in a department or program, student on rotation."""

    class Kind(models.TextChoices):
        TRAINEE = "trainee", "Trainee"
        FACULTY = "faculty", "Faculty"
        STAFF = "staff", "Staff"
        STUDENT = "student", "Student"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        LEAVE = "leave", "On leave"
        EXTENDED = "extended", "Extended"
        COMPLETED = "completed", "Completed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="appointments")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="appointments"
    )
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    track = models.ForeignKey(
        Track, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    title = models.CharField(max_length=120, blank=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    # Trainee's continuity clinic; the clinics app owns assignment, this is the current one.
    continuity_site = models.ForeignKey(
        Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="appointments"
    )
    # Students: the school they come from.
    school = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["person__last_name", "person__first_name", "start_date"]
        indexes = [
            models.Index(fields=["program", "kind", "status"]),
            models.Index(fields=["kind", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="appointment_dates_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(kind="trainee") | Q(program__isnull=False),
                name="trainee_appointment_has_program",
            ),
        ]

    def __str__(self) -> str:
        where = self.program or self.department or self.institution
        return f"{self.person} – {self.get_kind_display()} – {where}"

    def is_current(self, day: dt.date) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)


class TraineeYear(models.Model):
    """The PGY a trainee holds in one academic year of an appointment."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="years")
    academic_year = models.ForeignKey(AcademicYear, on_delete=models.PROTECT, related_name="+")
    pgy = models.PositiveSmallIntegerField("PGY")

    class Meta:
        ordering = ["academic_year__start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "academic_year"], name="trainee_year_unique"
            ),
            models.CheckConstraint(condition=Q(pgy__gte=1, pgy__lte=10), name="pgy_in_range"),
        ]

    def __str__(self) -> str:
        return f"PGY-{self.pgy} {self.academic_year}"


class Leave(models.Model):
    """A trainee's leave of absence, dates inclusive. The rotation schedule takes the blocks a
    leave mostly covers out of the trainee's year (meded.schedules.adapters); the days count
    as leave for work-hour averaging."""

    class Kind(models.TextChoices):
        MEDICAL = "medical", "Medical"
        PARENTAL = "parental", "Parental"
        FAMILY = "family", "Family / caregiver"
        PERSONAL = "personal", "Personal"
        MILITARY = "military", "Military"
        OTHER = "other", "Other"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="leaves")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    start_date = models.DateField()
    end_date = models.DateField()
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="leave_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} leave {self.start_date} – {self.end_date}"

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1


class ProgramRole(models.Model):
    """Program-scoped leadership and staff roles: what a person may do in a program."""

    class Role(models.TextChoices):
        DIRECTOR = "director", "Program director"
        ASSOCIATE_DIRECTOR = "associate_director", "Associate program director"
        COORDINATOR = "coordinator", "Program coordinator"
        CHIEF_RESIDENT = "chief_resident", "Chief resident"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="roles")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="program_roles")
    role = models.CharField(max_length=30, choices=Role.choices)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["program", "role", "person__last_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "person", "role"], name="program_role_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} – {self.get_role_display()} – {self.program}"


class InstitutionRole(models.Model):
    """Institution-wide roles: the GME office sees every program."""

    class Role(models.TextChoices):
        GME_ADMIN = "gme_admin", "GME office administrator"

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="roles")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="institution_roles")
    role = models.CharField(max_length=30, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "person", "role"], name="institution_role_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} – {self.get_role_display()}"
