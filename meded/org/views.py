"""Browsing the organization: programs, rosters, people, sites, institutions, academic years.

Views are thin: access comes from meded.org.access, reads from meded.org.queries.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from meded.core import inputs
from meded.core.paging import paginate, search_terms
from meded.org import access, queries
from meded.org.actions import (
    TRAINEE_APPOINTMENT_FIELDS,
    TRAINEE_PERSON_FIELDS,
    LeaveError,
    StaleEdit,
    do_add_leave,
    do_delete_leave,
    do_update_trainee,
    trainee_snapshot,
)
from meded.org.forms import LeaveForm, TraineeForm
from meded.org.models import (
    AcademicYear,
    Appointment,
    Department,
    Institution,
    Leave,
    Person,
    Program,
    ProgramRole,
    Site,
    Track,
)

PERSON_SEARCH = ["first_name", "last_name", "preferred_name", "email", "external_id"]


@login_required
def programs(request: HttpRequest) -> HttpResponse:
    access.require_staff(request.user)
    q = inputs.parse_text(request.GET, "q")
    kind = inputs.parse_text(request.GET, "kind")
    inst = inputs.parse_text(request.GET, "institution")
    qs = access.visible_programs(request.user).select_related("institution", "department")
    if q:
        qs = qs.filter(search_terms(q, ["name", "specialty", "accreditation_id"]))
    if kind in Program.Kind.values:
        qs = qs.filter(kind=kind)
    if inst:
        qs = qs.filter(institution__slug=inst)
    trainees = Q(appointments__kind=Appointment.Kind.TRAINEE) & queries.current_q(
        prefix="appointments__"
    )
    qs = qs.annotate(trainees=Count("appointments", filter=trainees)).order_by("name")
    return render(
        request,
        "org/programs.html",
        {
            "listing": paginate(request, qs),
            "q": q,
            "kind": kind,
            "institution": inst,
            "kinds": Program.Kind.choices,
            "institutions": Institution.objects.all(),
        },
    )


@login_required
def program(request: HttpRequest, slug: str) -> HttpResponse:
    prog = access.get_program_for_view(request.user, slug)
    year = queries.current_year()
    roster = queries.roster(prog, year)
    by_track: dict[str, dict[int | None, int]] = {}
    for track_name, pgy in roster.values_list("track__name", "pgy"):  # type: ignore[misc]
        row = by_track.setdefault(track_name or "No track", {})
        row[pgy] = row.get(pgy, 0) + 1
    pgys = list(range(prog.min_pgy, prog.max_pgy + 1))
    track_rows = [
        (name, [counts.get(p, 0) for p in pgys], sum(counts.values()))
        for name, counts in sorted(by_track.items())
    ]
    leadership = ProgramRole.objects.filter(program=prog).select_related("person")
    return render(
        request,
        "org/program.html",
        {
            "program": prog,
            "year": year,
            "pgys": pgys,
            "track_rows": track_rows,
            "total": sum(r[2] for r in track_rows),
            "tracks": Track.objects.filter(program=prog).select_related("parent"),
            "leadership": leadership,
            "faculty_count": Appointment.objects.filter(
                queries.current_q(), program=prog, kind=Appointment.Kind.FACULTY
            ).count(),
            "sites": queries.sites_with_counts(prog).filter(tracks__program=prog).distinct(),
            "can_manage": access.can_manage_program(request.user, prog),
        },
    )


@login_required
def roster(request: HttpRequest, slug: str) -> HttpResponse:
    prog = access.get_program_for_view(request.user, slug)
    years = list(AcademicYear.objects.all())
    year = next((y for y in years if str(y.pk) == request.GET.get("year")), None)
    year = year or queries.current_year()
    show_past = request.GET.get("status") == "all"
    qs = queries.roster(prog, year, include_past=show_past)
    q = inputs.parse_text(request.GET, "q")
    if q:
        qs = qs.filter(search_terms(q, [f"person__{f}" for f in PERSON_SEARCH]))
    track = inputs.parse_text(request.GET, "track")
    if track:
        qs = qs.filter(track__code=track)
    pgy = inputs.parse_int(request.GET, "pgy", minimum=0, maximum=99)
    if pgy is not None:
        qs = qs.filter(Q(pgy=pgy))  # an annotation (queries.with_pgy)
    site = inputs.parse_text(request.GET, "site")
    if site:
        qs = qs.filter(continuity_site__code=site)
    return render(
        request,
        "org/roster.html",
        {
            "program": prog,
            "listing": paginate(request, qs),
            "year": year,
            "years": years,
            "q": q,
            "track": track,
            "pgy": pgy,
            "site": site,
            "show_past": show_past,
            "tracks": Track.objects.filter(program=prog),
            "sites": Site.objects.filter(tracks__program=prog).distinct(),
            "pgys": range(prog.min_pgy, prog.max_pgy + 1),
            "can_manage": access.can_manage_program(request.user, prog),
        },
    )


@login_required
def people(request: HttpRequest) -> HttpResponse:
    access.require_staff(request.user)
    qs = access.visible_people(request.user)
    q = inputs.parse_text(request.GET, "q")
    kind = inputs.parse_text(request.GET, "kind")
    program_slug = inputs.parse_text(request.GET, "program")
    if q:
        qs = qs.filter(search_terms(q, PERSON_SEARCH))
    if kind in Person.Kind.values:
        qs = qs.filter(kind=kind)
    if program_slug:
        qs = qs.filter(appointments__program__slug=program_slug).distinct()
    qs = qs.order_by("last_name", "first_name", "id")
    listing = paginate(request, qs)
    # One query for the page's appointments, not one per person.
    page_people = list(listing.page.object_list)
    appts = (
        Appointment.objects.filter(person__in=page_people)
        .select_related("program", "department", "track")
        .order_by("-start_date")
    )
    by_person: dict[int, list[Appointment]] = {}
    for a in appts:
        by_person.setdefault(a.person_id, []).append(a)
    rows = [(p, by_person.get(p.pk, [])) for p in page_people]
    return render(
        request,
        "org/people.html",
        {
            "listing": listing,
            "rows": rows,
            "q": q,
            "kind": kind,
            "program": program_slug,
            "kinds": Person.Kind.choices,
            "programs": access.visible_programs(request.user).only("slug", "name")[:400],
        },
    )


@login_required
def person(request: HttpRequest, pk: int) -> HttpResponse:
    who = access.get_person_for_view(request.user, pk)
    appointments = (
        Appointment.objects.filter(person=who)
        .select_related("program", "department", "institution", "track", "continuity_site")
        .prefetch_related("years__academic_year", "leaves")
        .order_by("-start_date")
    )
    roles = who.program_roles.select_related("program")
    can_audit = (
        any(
            a.program and access.can_view_program_audit(request.user, a.program)
            for a in appointments
        )
        or access.viewer_for(request.user).is_gme_admin
    )
    return render(
        request,
        "org/person.html",
        {
            "person": who,
            "appointments": appointments,
            "roles": roles,
            "can_audit": can_audit,
            "editable": {
                a.pk
                for a in appointments
                if a.kind == Appointment.Kind.TRAINEE
                and a.program
                and access.can_manage_program(request.user, a.program)
            },
            "leave_reasons": {
                a.pk for a in appointments if access.can_see_leave_reasons(request.user, a)
            },
        },
    )


@login_required
def sites(request: HttpRequest) -> HttpResponse:
    access.require_staff(request.user)
    return render(
        request,
        "org/sites.html",
        {
            "sites": queries.sites_with_counts().select_related("institution"),
        },
    )


@login_required
def site(request: HttpRequest, code: str) -> HttpResponse:
    access.require_staff(request.user)
    s = get_object_or_404(queries.sites_with_counts().select_related("institution"), code=code)
    tracks = s.tracks.select_related("program")
    return render(request, "org/site.html", {"site": s, "tracks": tracks})


@login_required
def institutions(request: HttpRequest) -> HttpResponse:
    access.require_staff(request.user)
    qs = Institution.objects.annotate(
        program_count=Count("programs", distinct=True),
        department_count=Count("departments", distinct=True),
    )
    return render(request, "org/institutions.html", {"institutions": qs})


@login_required
def institution(request: HttpRequest, slug: str) -> HttpResponse:
    access.require_staff(request.user)
    inst = get_object_or_404(Institution, slug=slug)
    departments = (
        Department.objects.filter(institution=inst)
        .annotate(program_count=Count("programs"))
        .prefetch_related(
            Prefetch(
                "programs",
                queryset=access.visible_programs(request.user).order_by("name"),
                to_attr="visible",
            )
        )
    )
    return render(
        request,
        "org/institution.html",
        {
            "institution": inst,
            "departments": departments,
            "sites": Site.objects.filter(institution=inst),
        },
    )


@login_required
def academic_years(request: HttpRequest) -> HttpResponse:
    access.require_staff(request.user)
    current = queries.current_year()
    return render(
        request,
        "org/academic_years.html",
        {
            "years": AcademicYear.objects.order_by("-start_date"),
            "current": current,
        },
    )


@login_required
def trainee_edit(request: HttpRequest, pk: int) -> HttpResponse:
    appt = access.get_trainee_appointment_for_manage(request.user, pk)
    person = appt.person
    year = queries.current_year()
    snapshot = trainee_snapshot(appt)
    initial = {
        **{f: getattr(person, f) for f in TRAINEE_PERSON_FIELDS},
        **{f: getattr(appt, f) for f in TRAINEE_APPOINTMENT_FIELDS},
        "pgy": snapshot["pgy"],
        "base": TraineeForm.base_token(snapshot),
    }
    form = TraineeForm(request.POST or None, appointment=appt, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            result = do_update_trainee(
                request.user, appt, form.cleaned_data, base=form.cleaned_data["base"]
            )
        except StaleEdit as e:
            # Keep what this editor typed, against the record as it is now: saving again
            # applies it knowingly.
            data = request.POST.copy()
            data["base"] = TraineeForm.base_token(snapshot)
            form = TraineeForm(data, appointment=appt, initial=initial)
            form.is_valid()
            form.add_error(None, str(e))
            return render(
                request,
                "org/trainee_edit.html",
                {
                    "form": form,
                    "appointment": appt,
                    "person": person,
                    "year": year,
                    "conflict": e.changes,
                },
                status=409,
            )
        if result.changed:
            messages.success(request, f"Saved {person.full_name}'s record.")
        else:
            messages.info(request, "Nothing changed.")
        return redirect("org:person", person.pk)
    return render(
        request,
        "org/trainee_edit.html",
        {"form": form, "appointment": appt, "person": person, "year": year},
    )


@login_required
def leave_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a leave of absence on a trainee appointment (form on the person page)."""
    appt = access.get_trainee_appointment_for_manage(request.user, pk)
    form = LeaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            leave = do_add_leave(request.user, appt, **form.cleaned_data)
        except LeaveError as e:
            form.add_error(None, str(e))
        else:
            messages.success(
                request,
                f"Recorded {appt.person.full_name}'s leave ({leave.start_date} – "
                f"{leave.end_date}). Re-plan the rotation schedule from the block it starts in.",
            )
            return redirect("org:person", appt.person_id)
    return render(request, "org/leave_add.html", {"form": form, "appointment": appt})


@login_required
def leave_delete(request: HttpRequest, pk: int) -> HttpResponse:
    leave = get_object_or_404(Leave.objects.select_related("appointment"), pk=pk)
    appt = access.get_trainee_appointment_for_manage(request.user, leave.appointment_id)
    if request.method != "POST":
        return redirect("org:person", appt.person_id)
    do_delete_leave(request.user, leave)
    messages.success(request, f"Removed the leave {leave.start_date} – {leave.end_date}.")
    return redirect("org:person", appt.person_id)
