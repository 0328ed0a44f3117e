"""Read-side queries shared by views, the API and exports (one place, no N+1)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from meded.org.models import AcademicYear, Appointment, Person, Program, Site

CURRENT_STATUSES = [
    Appointment.Status.ACTIVE,
    Appointment.Status.LEAVE,
    Appointment.Status.EXTENDED,
]


def today() -> dt.date:
    return timezone.localdate()


def current_year(day: dt.date | None = None) -> AcademicYear | None:
    return AcademicYear.containing(day or today())


def current_q(day: dt.date | None = None, prefix: str = "") -> Q:
    """Appointments in force on the day (dates and status)."""
    d = day or today()
    return (
        Q(**{f"{prefix}start_date__lte": d})
        & (Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": d}))
        & Q(**{f"{prefix}status__in": CURRENT_STATUSES})
    )


def with_pgy(qs: QuerySet[Appointment], year: AcademicYear | None) -> QuerySet[Appointment]:
    """Annotate each appointment with its PGY in the given academic year (None if unknown)."""
    from meded.org.models import TraineeYear

    if year is None:
        return qs.annotate(pgy=Subquery(TraineeYear.objects.none().values("pgy")[:1]))
    pgy = TraineeYear.objects.filter(appointment=OuterRef("pk"), academic_year=year).values("pgy")
    return qs.annotate(pgy=Subquery(pgy[:1], output_field=IntegerField()))


def roster(
    program: Program,
    year: AcademicYear | None = None,
    day: dt.date | None = None,
    include_past: bool = False,
) -> QuerySet[Appointment]:
    """The program's trainee appointments with person, track, site and the year's PGY."""
    qs = Appointment.objects.filter(program=program, kind=Appointment.Kind.TRAINEE)
    if not include_past:
        qs = qs.filter(current_q(day))
    qs = qs.select_related("person", "track", "continuity_site")
    return with_pgy(qs, year if year is not None else current_year(day)).order_by(
        "person__last_name", "person__first_name", "pk"
    )


def sites_with_counts(program: Program | None = None, day: dt.date | None = None) -> QuerySet[Site]:
    """Sites with their tracks and the live count of current residents placed there."""
    cond = Q(appointments__kind=Appointment.Kind.TRAINEE) & current_q(day, "appointments__")
    if program is not None:
        cond &= Q(appointments__program=program)
    return Site.objects.prefetch_related("tracks").annotate(
        placed=Count("appointments", filter=cond, distinct=True)
    )


def program_of(person: Person) -> Program | None:
    """The program an audit entry about the person is filed under (so its managers read it):
    that of their latest appointment in a program."""
    appt = (
        Appointment.objects.filter(person=person, program__isnull=False)
        .select_related("program")
        .order_by("-start_date")
        .first()
    )
    return appt.program if appt else None
