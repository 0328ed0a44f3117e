"""Roster screens: a block by service and by person, shift edits checked at once against the
work-hour rules, generation with live progress, publishing, who is on call now, my shifts,
swap requests, meal cards and settings.

Views stay thin: access from meded.rosters.access, writes through actions, reads through
grid."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from meded.core import inputs
from meded.core.spreadsheet import csv_writer
from meded.jobs.access import get_job_for_view
from meded.org import queries
from meded.org.access import viewer_for, visible_programs
from meded.org.models import Appointment
from meded.rosters import access, actions, adapters, checks, grid
from meded.rosters.access import RosterAccess
from meded.rosters.models import (
    Roster,
    Shift,
    ShiftKind,
    ShiftTemplate,
    SwapRequest,
    block_last_day,
)
from meded.schedules.models import Rotation, ScheduleYear


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _next(request: HttpRequest, default: str) -> str:
    """The form's "next" page when it is on this site (never an open redirect)."""
    target = request.POST.get("next") or ""
    ok = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and ok else default


def _post_only(request: HttpRequest) -> HttpResponse | None:
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


def _month(request: HttpRequest) -> dt.date:
    """The month of ?month=YYYY-MM (this month when absent); BadInput (400) naming `month`."""
    return inputs.parse_month(request.GET, "month") or timezone.localdate().replace(day=1)


def _current_year(acc: RosterAccess, raw: Any = None) -> ScheduleYear | None:
    qs = ScheduleYear.objects.filter(program=acc.program).select_related("academic_year")
    if (pk := _int(raw)) is not None:
        return qs.filter(pk=pk).first()
    today = timezone.localdate()
    for sy in qs:
        if sy.start_date <= today <= block_last_day(sy, sy.n_blocks - 1):
            return sy
    return qs.first()


# --- Index, program -----------------------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    access.require_signed_in_role(request.user)
    v = viewer_for(request.user)
    ids = set(visible_programs(request.user).values_list("pk", flat=True)) | set(
        v.trainee_program_ids
    )
    programs = (
        ScheduleYear.objects.filter(program_id__in=ids)
        .select_related("program")
        .order_by("program__name")
        .values_list("program__slug", "program__name")
        .distinct()
    )
    return render(request, "rosters/index.html", {"programs": programs})


@login_required
def program(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.get_program(request.user, slug)
    sy = _current_year(acc, request.GET.get("year"))
    rosters = {r.block: r for r in Roster.objects.filter(schedule_year=sy)} if sy else {}
    today = timezone.localdate()
    blocks = [
        (b, start, end, rosters.get(b), start <= today <= end)
        for b, start, end in (
            (b, start, block_last_day(sy, b)) for b, start, _ in (sy.block_dates() if sy else [])
        )
    ]
    return render(
        request,
        "rosters/program.html",
        {
            "acc": acc,
            "program": acc.program,
            "sy": sy,
            "years": ScheduleYear.objects.filter(program=acc.program).select_related(
                "academic_year"
            ),
            "blocks": blocks,
            "published_schedule": adapters.published_version(sy) if sy else None,
            "open_swaps": SwapRequest.objects.filter(
                program=acc.program, status=SwapRequest.Status.PENDING
            ).count(),
        },
    )


# --- A block ------------------------------------------------------------------------------


def _block(request: HttpRequest, slug: str, pk: int, block: int, *, edit: bool = False) -> Any:
    acc = access.get_program(request.user, slug, edit=edit)
    sy = access.get_schedule_year(acc, pk)
    b = block - 1  # 1-based on screen
    if not 0 <= b < sy.n_blocks:
        raise Http404("No such block")
    roster = Roster.objects.filter(schedule_year=sy, block=b).select_related("job").first()
    if roster is not None:
        roster.schedule_year = sy
    return acc, sy, b, roster


def _block_url(sy: ScheduleYear, b: int, view: str = "") -> str:
    url = reverse("rosters:block", args=[sy.program.slug, sy.pk, b + 1])
    return f"{url}?view={view}" if view else url


@login_required
def block(request: HttpRequest, slug: str, pk: int, block: int) -> HttpResponse:
    acc, sy, b, roster = _block(request, slug, pk, block)
    # Editors work on the draft unless they ask for the published roster.
    published = not acc.can_edit or request.GET.get("show") == "published"
    view = grid.block_view(acc.program, roster, published) if roster else None
    if roster is not None and not published and not roster.is_solving:
        violations = checks.check_roster(roster, published=False)
    else:
        violations = []
    if roster is not None and published and not roster.is_published:
        view = None  # nothing published yet
    mode = request.GET.get("view", "service")
    return render(
        request,
        "rosters/block.html",
        {
            "acc": acc,
            "program": acc.program,
            "sy": sy,
            "b": b,
            "roster": roster,
            "view": view,
            "mode": mode,
            "published": published,
            "violations": violations,
            "start": sy.block_start(b),
            "end": block_last_day(sy, b),
            "has_schedule": adapters.published_version(sy) is not None,
            "prev": b if b > 0 else None,
            "next": b + 2 if b + 1 < sy.n_blocks else None,
            "editable": acc.can_edit and not published and roster is not None,
        },
    )


@login_required
def generate(request: HttpRequest, slug: str, pk: int, block: int) -> HttpResponse:
    _acc, sy, b, _roster = _block(request, slug, pk, block, edit=True)
    if (refused := _post_only(request)) is not None:
        return refused
    try:
        roster = actions.do_generate(request.user, sy, b)
    except actions.RosterError as e:
        messages.error(request, str(e))
        return redirect(_block_url(sy, b))
    assert roster.job_id is not None
    return redirect("rosters:job", roster.job_id)


@login_required
def publish(request: HttpRequest, slug: str, pk: int, block: int) -> HttpResponse:
    _acc, sy, b, roster = _block(request, slug, pk, block, edit=True)
    if (refused := _post_only(request)) is not None:
        return refused
    if roster is None:
        raise Http404("No roster yet")
    try:
        actions.do_publish(request.user, roster)
        messages.success(request, f"The roster of block {b + 1} is published.")
    except actions.RosterError as e:
        messages.error(request, str(e))
    return redirect(_block_url(sy, b))


def _edit_context(
    acc: RosterAccess, sy: ScheduleYear, b: int, roster: Roster, data: Any
) -> dict[str, Any]:
    shift = None
    if (sid := _int(data.get("shift"))) is not None:
        shift = (
            Shift.objects.filter(pk=sid, roster=roster, published=False)
            .select_related("template__rotation", "appointment__person")
            .first()
        )
        if shift is None:
            raise Http404("No such shift")
    template = None
    if (tid := _int(data.get("template"))) is not None:
        template = ShiftTemplate.objects.filter(pk=tid, rotation__program=acc.program).first()
        if template is None:
            raise Http404("No such shift template")
    day = inputs.parse_date(data, "day")
    residents = list(
        queries.roster(acc.program, sy.academic_year, day=roster.first_day).select_related("person")
    )
    on_rotation = adapters.rotations_in_block(sy, b)
    rotation_id = (shift.template.rotation_id if shift else None) or (
        template.rotation_id if template else None
    )
    here = {a.pk for a in on_rotation.get(rotation_id or 0, [])}
    residents.sort(key=lambda a: (a.pk not in here, a.person.sort_name))
    return {
        "acc": acc,
        "sy": sy,
        "b": b,
        "roster": roster,
        "shift": shift,
        "template": template,
        "day": day,
        "residents": residents,
        "here": here,
        "templates": ShiftTemplate.objects.filter(
            rotation_id__in=list(on_rotation), active=True
        ).select_related("rotation"),
        "days": roster.days,
        "chosen": _int(data.get("appointment")),
    }


@login_required
def shift_edit(request: HttpRequest, slug: str, pk: int, block: int) -> HttpResponse:
    """GET: the editor of one draft shift (?shift=) or of a new one (?template=&day=).
    POST action=check: the work-hour check of the edit, not saved; action=save: save it
    (refused with the violations listed unless an override reason is given); action=remove:
    take the shift off."""
    acc, sy, b, roster = _block(request, slug, pk, block, edit=True)
    if roster is None:
        raise Http404("No roster yet")
    data = request.POST if request.method == "POST" else request.GET
    ctx = _edit_context(acc, sy, b, roster, data)
    if request.method != "POST":
        return _edit_response(request, ctx)
    what = data.get("action", "check")
    appt_id = _int(data.get("appointment"))
    shift, template, day = ctx["shift"], ctx["template"], ctx["day"]
    reason = data.get("override_reason", "")
    try:
        if what == "remove":
            if shift is None:
                raise Http404("No such shift")
            actions.do_remove_shift(request.user, shift)
            ctx["saved"] = "The shift is removed."
            ctx["shift"] = None
        elif appt_id is None:
            raise actions.RosterError("Choose a resident.")
        elif what == "check":
            ctx["check"] = actions.preview_edit(
                roster, shift=shift, appointment_id=appt_id, template=template, day=day
            )
        elif shift is not None:
            _, ctx["check"] = actions.do_reassign_shift(
                request.user, shift, appt_id, override_reason=reason
            )
            ctx["saved"] = "Saved."
        elif template is not None and day is not None:
            ctx["shift"], ctx["check"] = actions.do_add_shift(
                request.user, roster, appt_id, template, day, override_reason=reason
            )
            ctx["saved"] = "Saved."
        else:
            raise actions.RosterError("Choose a shift and a day.")
    except actions.EditRefused as e:
        ctx["check"] = e.check
        ctx["error"] = (
            "Not saved: this change breaks work-hour rules. Choose someone else, or keep it "
            "with a reason (recorded in the audit log)."
        )
    except actions.RosterError as e:
        ctx["error"] = str(e)
    response = _edit_response(request, ctx)
    if ctx.get("saved"):
        response["HX-Trigger"] = "roster-changed"
    return response


def _edit_response(request: HttpRequest, ctx: dict[str, Any]) -> HttpResponse:
    if request.headers.get("HX-Request"):
        return render(request, "rosters/_edit.html", ctx)
    ctx["program"] = ctx["acc"].program
    return render(request, "rosters/edit.html", ctx)


# --- Jobs ---------------------------------------------------------------------------------


def _solve_job(request: HttpRequest, pk: uuid.UUID) -> tuple[Any, Roster]:
    job = get_job_for_view(request.user, pk)
    if job.kind != actions.SOLVE_JOB:
        raise Http404("No such job")
    roster = (
        Roster.objects.select_related("schedule_year__program", "schedule_year__academic_year")
        .filter(pk=job.options.get("roster"))
        .first()
    )
    if roster is None or not access.can_edit_roster(request.user, roster.schedule_year.program):
        raise Http404("No such job")
    return job, roster


@login_required
def job(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    j, roster = _solve_job(request, pk)
    page = reverse("rosters:job", args=[j.pk])
    return render(request, "rosters/job.html", {"job": j, "roster": roster, "job_page": page})


@login_required
def job_progress(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    j, roster = _solve_job(request, pk)
    page = reverse("rosters:job", args=[j.pk])
    ctx = {"job": j, "roster": roster, "job_page": page}
    return render(request, "rosters/_job_progress.html", ctx)


# --- On call now, my shifts ---------------------------------------------------------------


@login_required
def on_call(request: HttpRequest) -> HttpResponse:
    access.require_signed_in_role(request.user)
    now = timezone.now()
    return render(
        request,
        "rosters/on_call.html",
        {"groups": grid.on_call(now), "now": now, "until": now + grid.LOOKAHEAD},
    )


@login_required
def my_shifts(request: HttpRequest) -> HttpResponse:
    access.require_signed_in_role(request.user)
    v = viewer_for(request.user)
    mine = access.own_appointments(request.user)
    if v.person_id is None or not mine:
        raise PermissionDenied("My shifts are for residents.")
    month = _month(request)
    first, last = grid.month_bounds(month)
    shifts = grid.person_shifts(v.person_id, first, last)
    now = timezone.now()
    upcoming = grid.person_shifts(
        v.person_id, timezone.localdate(), timezone.localdate() + dt.timedelta(days=60)
    )
    upcoming = [s for s in upcoming if s.start > now]
    swaps = (
        SwapRequest.objects.filter(from_appointment__in=mine)
        | SwapRequest.objects.filter(to_appointment__in=mine)
    ).select_related("from_appointment__person", "to_appointment__person", "program")
    colleagues = (
        Appointment.objects.filter(
            queries.current_q(),
            program_id__in=[a.program_id for a in mine],
            kind=Appointment.Kind.TRAINEE,
        )
        .exclude(person_id=v.person_id)
        .select_related("person")
    )
    meals = []
    for a in mine:
        if a.program is not None:
            meals += grid.meal_cards(a.program, first, last, {a.pk})
    return render(
        request,
        "rosters/my_shifts.html",
        {
            "month": month,
            "prev_month": (first - dt.timedelta(days=1)).replace(day=1),
            "next_month": last + dt.timedelta(days=1),
            "weeks": grid.month_weeks(month, shifts),
            "shifts": shifts,
            "upcoming": upcoming,
            "swaps": swaps.order_by("-created_at")[:50],
            "mine_ids": {a.pk for a in mine},
            "colleagues": sorted(colleagues, key=lambda a: a.person.sort_name),
            "meals": meals,
            "today": timezone.localdate(),
        },
    )


# --- Swaps --------------------------------------------------------------------------------


@login_required
def swaps(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the program's requests (editors: all; residents: their own). POST: a resident
    proposes a swap or give-away of one of their published shifts."""
    acc = access.get_program(request.user, slug)
    if request.method == "POST":
        shift = (
            Shift.objects.filter(
                pk=_int(request.POST.get("shift")) or 0,
                published=True,
                template__rotation__program=acc.program,
            )
            .select_related("appointment", "roster__schedule_year__program", "template")
            .first()
        )
        if shift is None:
            raise Http404("No such shift")
        theirs = None
        if (tid := _int(request.POST.get("their_shift"))) is not None:
            theirs = Shift.objects.filter(pk=tid, published=True).first()
        try:
            actions.do_propose_swap(
                request.user,
                shift,
                _int(request.POST.get("to")) or 0,
                their_shift=theirs,
                note=request.POST.get("note", ""),
            )
            messages.success(request, "Your request is sent to the other resident.")
        except actions.RosterError as e:
            messages.error(request, str(e))
        return redirect(_next(request, reverse("rosters:swaps", args=[slug])))
    qs = SwapRequest.objects.filter(program=acc.program).select_related(
        "from_appointment__person", "to_appointment__person", "decided_by"
    )
    if not acc.can_edit:
        mine = [a.pk for a in access.own_appointments(request.user)]
        if not mine:
            raise Http404("No swap requests here")
        qs = qs.filter(from_appointment__in=mine) | qs.filter(to_appointment__in=mine)
    return render(
        request,
        "rosters/swaps.html",
        {"acc": acc, "program": acc.program, "swaps": qs.order_by("-created_at")[:200]},
    )


@login_required
def swap_options(request: HttpRequest, slug: str) -> HttpResponse:
    """For the Offer form on My shifts: the chosen colleague's upcoming published shifts, to
    ask one in return (a swap) or none (a give-away)."""
    acc = access.get_program(request.user, slug)
    mine = {a.pk for a in access.own_appointments(request.user) if a.program_id == acc.program.pk}
    shift = Shift.objects.filter(
        pk=_int(request.GET.get("shift")) or 0,
        published=True,
        appointment_id__in=mine,
        template__rotation__program=acc.program,
    ).first()
    if shift is None:
        raise Http404("No such shift")
    to = _int(request.GET.get("to"))
    now = timezone.now()
    theirs = (
        Shift.objects.filter(
            appointment_id=to or 0,
            appointment__program=acc.program,
            published=True,
            start__gt=now,
            start__lte=now + dt.timedelta(days=60),
        )
        .select_related("template")
        .order_by("start")
    )
    return render(request, "rosters/_swap_options.html", {"theirs": theirs, "shift": shift})


@login_required
def swap_action(request: HttpRequest, slug: str, swap_id: int) -> HttpResponse:
    acc = access.get_program(request.user, slug)
    swap = access.get_swap(acc, swap_id)
    if (refused := _post_only(request)) is not None:
        return refused
    what = request.POST.get("action", "")
    if what not in actions.SWAP_DECISIONS:
        raise Http404("No such action")
    try:
        swap = actions.do_swap_decision(request.user, swap, what, request.POST.get("note", ""))
        messages.success(request, f"The request is now: {swap.get_status_display().lower()}.")
    except actions.RosterError as e:
        messages.error(request, str(e))
    return redirect(_next(request, reverse("rosters:swaps", args=[slug])))


# --- Meal cards ---------------------------------------------------------------------------


def _meals(request: HttpRequest, slug: str) -> tuple[RosterAccess, dt.date, list[grid.MealRow]]:
    acc = access.get_program(request.user, slug)
    month = _month(request)
    first, last = grid.month_bounds(month)
    if acc.can_edit:
        only = None
    else:
        only = {
            a.pk for a in access.own_appointments(request.user) if a.program_id == acc.program.pk
        }
        if not only:
            raise PermissionDenied("Meal cards are for the program's leadership and residents.")
    return acc, month, grid.meal_cards(acc.program, first, last, only)


@login_required
def meals(request: HttpRequest, slug: str) -> HttpResponse:
    acc, month, rows = _meals(request, slug)
    first, last = grid.month_bounds(month)
    rs = adapters.settings_for(acc.program)
    return render(
        request,
        "rosters/meals.html",
        {
            "acc": acc,
            "program": acc.program,
            "month": month,
            "prev_month": (first - dt.timedelta(days=1)).replace(day=1),
            "next_month": last + dt.timedelta(days=1),
            "rows": rows,
            "settings": rs,
            "kinds": [ShiftKind(k).label for k in rs.qualifying_kinds],
            "total": sum((r.total for r in rows), start=0),
        },
    )


@login_required
def meals_csv(request: HttpRequest, slug: str) -> HttpResponse:
    acc, month, rows = _meals(request, slug)
    out = io.StringIO()
    w = csv_writer(out)  # text that looks like a formula is quoted
    w.writerow(
        ["month", "resident", "email", "qualifying_shifts", "credit_per_shift", "total", "shifts"]
    )
    zone = adapters.zone()
    for r in rows:
        w.writerow(
            [
                f"{r.month:%Y-%m}",
                r.appointment.person.sort_name,
                r.appointment.person.email or "",
                r.count,
                f"{r.credit:.2f}",
                f"{r.total:.2f}",
                "; ".join(
                    f"{s.start.astimezone(zone):%Y-%m-%d %H:%M} {s.template.name} ({why})"
                    for s, why in r.shifts
                ),
            ]
        )
    response = HttpResponse(out.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    name = f"meal-cards-{acc.program.slug}-{month:%Y-%m}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- Settings and templates ---------------------------------------------------------------


@login_required
def settings_view(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.get_program(request.user, slug, edit=True)
    rs = adapters.settings_for(acc.program)
    year = timezone.localdate().year
    years = [year, year + 1]
    if request.method == "POST":
        try:
            credit = inputs.parse_decimal(
                request.POST, "meal_credit", minimum=Decimal(0), maximum=Decimal(1000)
            )
            data = {
                "auto_approve_clean_swaps": request.POST.get("auto_approve_clean_swaps") == "on",
                "meal_credit": credit if credit is not None else Decimal(0),
                "meal_kinds": request.POST.getlist("meal_kinds"),
                "solve_seconds": request.POST.get("solve_seconds", "20"),
                "holidays": {str(y): request.POST.get(f"holidays_{y}", "") for y in years},
            }
            actions.do_save_settings(request.user, acc.program, data)
            messages.success(request, "Roster settings saved.")
            return redirect("rosters:settings", slug)
        except (actions.RosterError, inputs.BadInput) as e:
            messages.error(request, str(e))
    holidays = [
        (y, "\n".join(f"{d.isoformat()} {name}" for d, name in rs.holidays_of(y))) for y in years
    ]
    return render(
        request,
        "rosters/settings.html",
        {
            "acc": acc,
            "program": acc.program,
            "settings": rs,
            "holidays": holidays,
            "kinds": ShiftKind.choices,
            "chosen_kinds": rs.qualifying_kinds,
        },
    )


WEEKDAYS = {str(d) for d in range(7)}


@login_required
def templates(request: HttpRequest, slug: str) -> HttpResponse:
    """Shift templates per rotation; editors add and change them."""
    acc = access.get_program(request.user, slug, edit=True)
    rotations = list(Rotation.objects.filter(program=acc.program))
    if request.method == "POST":
        rot = next((r for r in rotations if r.pk == _int(request.POST.get("rotation"))), None)
        if rot is None:
            raise Http404("No such rotation")
        p = request.POST
        try:
            start = dt.time.fromisoformat(p.get("start_time", ""))
            hours = inputs.parse_decimal(p, "hours", minimum=Decimal(0), maximum=Decimal(48))
        except (ValueError, inputs.BadInput):
            messages.error(request, "Start is a time such as 07:00; hours a number such as 12.")
            return redirect("rosters:templates", slug)
        try:
            cover = {
                f"cover_{k}": inputs.parse_int(p, f"cover_{k}", minimum=0, maximum=999)
                for k in ("min", "target", "max")
            }
        except inputs.BadInput as e:
            messages.error(request, str(e))
            return redirect("rosters:templates", slug)
        kind = p.get("kind", ShiftKind.DAY)
        data = {
            "name": p.get("name", "").strip() or p.get("code", ""),
            "kind": kind,
            "start_time": start,
            "length_minutes": round((hours or 0) * 60),
            "weekdays": sorted({int(d) for d in p.getlist("weekdays") if d in WEEKDAYS}),
            "holidays": p.get("holidays", ShiftTemplate.Holidays.NORMAL),
            **cover,
            "cover_min": cover["cover_min"] or 0,
            "in_house_call": kind == ShiftKind.IN_HOUSE_CALL,
            "night": kind == ShiftKind.NIGHT,
            "active": p.get("active", "on") == "on",
        }
        try:
            actions.do_save_template(request.user, rot, p.get("code", "").strip(), data)
            messages.success(request, "Shift template saved.")
        except actions.RosterError as e:
            messages.error(request, str(e))
        return redirect("rosters:templates", slug)
    by_rotation = []
    tpls = ShiftTemplate.objects.filter(rotation__program=acc.program)
    for r in rotations:
        by_rotation.append((r, [t for t in tpls if t.rotation_id == r.pk]))
    return render(
        request,
        "rosters/templates.html",
        {
            "acc": acc,
            "program": acc.program,
            "by_rotation": by_rotation,
            "rotations": rotations,
            "kinds": ShiftKind.choices,
            "holiday_choices": ShiftTemplate.Holidays.choices,
            "weekday_names": list(enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))),
        },
    )
