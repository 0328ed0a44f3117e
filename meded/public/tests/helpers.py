"""Independent counts for the public-page tests: plain Python over the rows, so the tests do
not check the aggregate queries against themselves."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from meded.org.models import AcademicYear, Appointment, Institution, Program

HELD = {"active", "leave", "extended"}


def held_on(a: Appointment, day: dt.date) -> bool:
    return a.is_current(day) and a.status in HELD


def expected_facts(today: dt.date) -> dict[str, int]:
    sponsor = Institution.objects.get(is_sponsor=True)
    year = AcademicYear.containing(today)
    assert year is not None
    appointments = list(Appointment.objects.select_related("person"))
    trainees_everywhere = {
        a.person_id for a in appointments if a.kind == "trainee" and held_on(a, today)
    }
    at_sponsor = [a for a in appointments if a.institution_id == sponsor.pk]
    return {
        "residency_programs": sum(
            1
            for p in Program.objects.all()
            if p.institution_id == sponsor.pk and p.kind == "residency"
        ),
        "fellowship_programs": sum(
            1
            for p in Program.objects.all()
            if p.institution_id == sponsor.pk and p.kind == "fellowship"
        ),
        "physician_trainees": len(
            {a.person_id for a in at_sponsor if a.kind == "trainee" and held_on(a, today)}
        ),
        "students_on_rotation": len(
            {
                a.person_id
                for a in at_sponsor
                if a.kind == "student"
                and a.status != "withdrawn"
                and a.start_date <= year.end_date
                and (a.end_date is None or a.end_date >= year.start_date)
            }
        ),
        "clinical_staff_requiring_cme": len(
            {a.person_id for a in at_sponsor if a.person.requires_cme and held_on(a, today)}
        ),
        "network_programs": len(list(Program.objects.all())),
        "network_trainees": len(trainees_everywhere),
    }


def live_counts(program: Program) -> dict[str, int]:
    """Current residents of the program per continuity site, counted in Python."""
    today = timezone.localdate()
    counts: dict[str, int] = {}
    for a in Appointment.objects.filter(program=program, kind="trainee").select_related(
        "continuity_site"
    ):
        if a.continuity_site and held_on(a, today):
            counts[a.continuity_site.code] = counts.get(a.continuity_site.code, 0) + 1
    return counts
