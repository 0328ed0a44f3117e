"""Schedule screens: the grid of a year's version, coverage, the rules' status, cell edits,
solve with live progress, versions (publish, copy, compare), exports and requests.

Views stay thin: access from meded.schedules.access, writes through actions, reads through
grid."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from meded.core import inputs
from meded.jobs.access import get_job_for_view
from meded.org.models import Appointment
from meded.schedules import access, actions, exports, grid
from meded.schedules.access import ScheduleAccess
from meded.schedules.models import (
    CATEGORY_CHOICES,
    ElectivePreference,
    Rotation,
    ScheduleVersion,
    ScheduleYear,
    TimingWish,
    VacationRequest,
)

LABEL_LENGTH = ScheduleVersion._meta.get_field("label").max_length or 200


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _version(request: HttpRequest, acc: ScheduleAccess, key: str = "v") -> ScheduleVersion | None:
    raw = request.GET.get(key) or request.POST.get(key)
    if raw:
        return access.get_version(acc, raw)
    return access.default_version(acc)


def _year_url(acc: ScheduleAccess, version: ScheduleVersion | None = None) -> str:
    url = reverse("schedules:year", args=[acc.program.slug, acc.schedule_year.pk])
    return f"{url}?v={version.pk}" if version else url


def _post_only(request: HttpRequest) -> HttpResponse | None:
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


@login_required
def program(request: HttpRequest, slug: str) -> HttpResponse:
    """The program's schedule years (the current one first)."""
    prog = access.get_program_for_schedules(request.user, slug)
    years = ScheduleYear.objects.filter(program=prog).select_related("academic_year")
    return render(
        request,
        "schedules/program.html",
        {"program": prog, "years": years, "can_edit": access.can_edit_schedule(request.user, prog)},
    )


@login_required
def year(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    acc = access.get_schedule_year(request.user, slug, pk)
    version = _version(request, acc)
    pgy, track = _int(request.GET.get("pgy")), request.GET.get("track", "")
    g = grid.build_grid(acc.schedule_year, version, pgy=pgy, track=track, person_id=acc.person_id)
    editable = acc.can_edit and version is not None and not version.is_published
    return render(
        request,
        "schedules/year.html",
        {
            "acc": acc,
            "sy": acc.schedule_year,
            "program": acc.program,
            "version": version,
            "versions": access.visible_versions(acc),
            "grid": g,
            "coverage": grid.coverage(g) if version else [],
            "editable": editable,
            "pgy": pgy,
            "track": track,
            "pgys": sorted({p for p in g.pgy_of.values() if p is not None}),
            "tracks": acc.program.tracks.all(),
            "blocks": acc.schedule_year.block_dates(),
            "rotation_names": {r.code: r.name for r in g.rotations.values()},
            "next_block": _next_block(acc.schedule_year),
        },
    )


def _next_block(sy: ScheduleYear) -> int:
    """The first block that starts after today (1-based), for the re-plan form."""
    today = timezone.localdate()
    for b, start, _ in sy.block_dates():
        if start > today:
            return b + 1
    return sy.n_blocks


@login_required
def coverage(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    acc = access.get_schedule_year(request.user, slug, pk)
    version = _version(request, acc)
    g = grid.build_grid(acc.schedule_year, version)
    return render(
        request,
        "schedules/_coverage.html",
        {
            "acc": acc,
            "version": version,
            "coverage": grid.coverage(g) if version else [],
            "blocks": acc.schedule_year.block_dates(),
        },
    )


@login_required
def rules(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    acc = access.get_schedule_year(request.user, slug, pk, edit=True)
    version = _version(request, acc)
    return render(
        request,
        "schedules/_rules.html",
        {
            "acc": acc,
            "version": version,
            "findings": grid.findings_of(version) if version else None,
        },
    )


def _cell_context(
    acc: ScheduleAccess, version: ScheduleVersion, appt_id: int, block: int
) -> dict[str, Any]:
    rotations = list(Rotation.objects.filter(program_id=acc.program.pk))
    current = (
        version.assignments.filter(appointment_id=appt_id, block=block)
        .select_related("rotation")
        .first()
    )
    return {
        "acc": acc,
        "version": version,
        "appointment_id": appt_id,
        "block": block,
        "rotations": rotations,
        "rot": current.rotation if current else None,
        "editable": True,
    }


@login_required
def cell(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """GET: the chooser for one cell; POST: put the resident on the chosen rotation. The
    answer is the cell; the HX-Trigger header makes the rules and coverage panels refresh."""
    acc = access.get_schedule_year(request.user, slug, pk, edit=True)
    data = request.POST if request.method == "POST" else request.GET
    version = access.get_version(acc, data.get("v"))
    appt_id, block = _int(data.get("a")), _int(data.get("b"))
    if appt_id is None or block is None:
        raise Http404("No such cell")
    if request.method != "POST":
        ctx = _cell_context(acc, version, appt_id, block)
        return render(request, "schedules/_cell_edit.html", ctx)
    code = data.get("rotation", "")
    rot = Rotation.objects.filter(program_id=acc.program.pk, code=code).first() if code else None
    if code and rot is None:
        raise Http404("No such rotation")
    error = ""
    try:
        actions.do_set_assignment(
            request.user, version, appt_id, block, rot, reason=data.get("reason", "")[:300]
        )
    except actions.ScheduleError as e:
        error = str(e)
    ctx = _cell_context(acc, version, appt_id, block)
    ctx["error"] = error
    response = render(request, "schedules/_cell.html", ctx)
    if not error:
        response["HX-Trigger"] = "schedule-changed"
    return response


@login_required
def solve(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    acc = access.get_schedule_year(request.user, slug, pk, edit=True)
    if (refused := _post_only(request)) is not None:
        return refused
    try:
        label = inputs.parse_text(request.POST, "label", max_length=LABEL_LENGTH)
        version = actions.do_solve(request.user, acc.schedule_year, label=label)
    except (actions.ScheduleError, inputs.BadInput) as e:
        messages.error(request, str(e))
        return redirect(_year_url(acc))
    assert version.job_id is not None
    return redirect("schedules:job", version.job_id)


@login_required
def publish(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    acc = access.get_schedule_year(request.user, slug, pk, edit=True)
    if (refused := _post_only(request)) is not None:
        return refused
    version = access.get_version(acc, request.POST.get("v"))
    try:
        actions.do_publish(request.user, version)
        messages.success(request, f"Version {version.number} is published.")
    except actions.ScheduleError as e:
        messages.error(request, str(e))
    return redirect(_year_url(acc, version))


@login_required
def repair(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Re-plan a version from a block on (mid-year changes), as a new draft."""
    acc = access.get_schedule_year(request.user, slug, pk, edit=True)
    if (refused := _post_only(request)) is not None:
        return refused
    base = access.get_version(acc, request.POST.get("v"))
    block = _int(request.POST.get("from_block"))  # 1-based on screen
    try:
        version = actions.do_repair(request.user, base, -1 if block is None else block - 1)
    except actions.ScheduleError as e:
        messages.error(request, str(e))
        return redirect(_year_url(acc, base))
    assert version.job_id is not None
    return redirect("schedules:job", version.job_id)


@login_required
def alternatives(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Several different good schedules to compare, as drafts."""
    acc = access.get_schedule_year(request.user, slug, pk, edit=True)
    if (refused := _post_only(request)) is not None:
        return refused
    n = _int(request.POST.get("n")) or 0
    within = _int(request.POST.get("within_pct"))
    try:
        version = actions.do_alternatives(
            request.user, acc.schedule_year, n, within_pct=5.0 if within is None else within
        )
    except actions.ScheduleError as e:
        messages.error(request, str(e))
        return redirect(_year_url(acc))
    assert version.job_id is not None
    return redirect("schedules:job", version.job_id)


@login_required
def copy(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    acc = access.get_schedule_year(request.user, slug, pk, edit=True)
    if (refused := _post_only(request)) is not None:
        return refused
    version = access.get_version(acc, request.POST.get("v"))
    new = actions.do_copy_version(request.user, version)
    return redirect(_year_url(acc, new))


@login_required
def compare(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    acc = access.get_schedule_year(request.user, slug, pk)
    versions = access.visible_versions(acc)
    a = access.get_version(acc, request.GET["a"]) if request.GET.get("a") else None
    b = access.get_version(acc, request.GET["b"]) if request.GET.get("b") else None
    changes = grid.compare(acc.schedule_year, a, b) if a and b else []
    return render(
        request,
        "schedules/compare.html",
        {
            "acc": acc,
            "sy": acc.schedule_year,
            "program": acc.program,
            "versions": versions,
            "a": a,
            "b": b,
            "changes": changes,
            "residents": len({c.appointment.pk for c in changes}),
        },
    )


def _download(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _export_grid(request: HttpRequest, slug: str, pk: int) -> tuple[ScheduleAccess, grid.Grid]:
    acc = access.get_schedule_year(request.user, slug, pk)
    version = _version(request, acc)
    if version is None:
        raise Http404("No version to export")
    return acc, grid.build_grid(acc.schedule_year, version)


@login_required
def export_csv(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    acc, g = _export_grid(request, slug, pk)
    assert g.version is not None
    name = f"{acc.program.slug}-{acc.schedule_year.academic_year}-v{g.version.number}.csv"
    return _download(exports.grid_csv(g), "text/csv; charset=utf-8", name)


@login_required
def export_xlsx(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    acc, g = _export_grid(request, slug, pk)
    assert g.version is not None
    name = f"{acc.program.slug}-{acc.schedule_year.academic_year}-v{g.version.number}.xlsx"
    ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(exports.grid_xlsx(g), ctype, name)


@login_required
def calendar(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A resident's published rotations as iCalendar: your own, or (program staff) anyone's
    with ?resident=<appointment id>."""
    acc = access.get_schedule_year(request.user, slug, pk)
    sy = acc.schedule_year
    version = ScheduleVersion.objects.filter(
        schedule_year=sy, status=ScheduleVersion.Status.PUBLISHED
    ).first()
    wanted = _int(request.GET.get("resident"))
    appts = Appointment.objects.filter(program=sy.program, kind=Appointment.Kind.TRAINEE)
    if wanted is not None and (acc.can_edit or access.can_read_schedule_staff(request.user, sy)):
        appt = appts.filter(pk=wanted).select_related("person").first()
    else:
        appt = (
            appts.filter(person_id=acc.person_id).select_related("person").first()
            if (acc.person_id)
            else None
        )
    if version is None or appt is None:
        raise Http404("No published schedule for this resident")
    cells = grid.cells_of(version)
    rotations = {r.pk: r for r in Rotation.objects.filter(program_id=sy.program_id)}
    row = [rotations.get(cells.get((appt.pk, b), 0)) for b in sy.blocks]
    body = exports.ical(sy, version, appt, row, host=request.get_host().split(":")[0])
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="rotations-{appt.pk}.ics"'
    return response


@login_required
def requests_page(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Residents: ask for vacation and rank electives while the window is open. Editors: see
    and decide every request."""
    acc = access.get_schedule_year(request.user, slug, pk)
    sy = acc.schedule_year
    try:
        mine: Appointment | None = actions.own_appointment(request.user, sy)
    except PermissionDenied:
        mine = None
    if mine is None and not acc.can_edit:
        raise Http404("No requests here")
    if request.method == "POST":
        try:
            what = request.POST.get("action")
            if what == "vacation":
                blocks = [b - 1 for b in map(_int, request.POST.getlist("blocks")) if b]
                actions.do_request_vacation(request.user, sy, blocks, request.POST.get("note", ""))
                messages.success(request, "Your vacation request is sent.")
            elif what == "rank":
                codes = [request.POST.get(f"rank{i}", "") for i in range(1, 4)]
                actions.do_rank_electives(request.user, sy, codes)
                messages.success(request, "Your elective ranking is saved.")
            elif what == "wish":
                before, after = (
                    _int(request.POST.get("not_before")),
                    _int(request.POST.get("not_after")),
                )
                actions.do_add_wish(
                    request.user,
                    sy,
                    rotation_code=request.POST.get("rotation", ""),
                    category=request.POST.get("category", ""),
                    not_before=None if before is None else before - 1,
                    not_after=None if after is None else after - 1,
                    note=request.POST.get("note", ""),
                )
                messages.success(request, "Your timing wish is saved.")
            elif what == "withdraw_wish":
                wish = TimingWish.objects.filter(
                    schedule_year=sy, pk=_int(request.POST.get("wish")) or 0
                ).first()
                if wish is None:
                    raise Http404("No such wish")
                actions.do_withdraw_wish(request.user, wish)
                messages.success(request, "Your timing wish is withdrawn.")
            elif what == "decide_wish":
                wish = TimingWish.objects.filter(
                    schedule_year=sy, pk=_int(request.POST.get("wish")) or 0
                ).first()
                if wish is None:
                    raise Http404("No such wish")
                actions.do_decide_wish(request.user, wish, request.POST.get("status", ""))
            elif what == "decide":
                req = (
                    VacationRequest.objects.filter(
                        schedule_year=sy, pk=_int(request.POST.get("request")) or 0
                    )
                    .select_related("schedule_year__program")
                    .first()
                )
                if req is None:
                    raise Http404("No such request")
                actions.do_decide_vacation(request.user, req, request.POST.get("status", ""))
            else:
                raise Http404("No such action")
        except actions.ScheduleError as e:
            messages.error(request, str(e))
        return redirect("schedules:requests", slug, pk)
    vacations = VacationRequest.objects.filter(schedule_year=sy).select_related(
        "appointment__person"
    )
    prefs = ElectivePreference.objects.filter(schedule_year=sy).select_related(
        "appointment__person", "rotation"
    )
    wishes = TimingWish.objects.filter(schedule_year=sy).select_related(
        "appointment__person", "rotation"
    )
    if not acc.can_edit:
        vacations = vacations.filter(appointment=mine)
        prefs = prefs.filter(appointment=mine)
        wishes = wishes.filter(appointment=mine)
    return render(
        request,
        "schedules/requests.html",
        {
            "acc": acc,
            "sy": sy,
            "program": acc.program,
            "mine": mine,
            "open": sy.requests_are_open(timezone.localdate()),
            "vacations": vacations,
            "prefs": prefs,
            "wishes": wishes,
            "rotations": Rotation.objects.filter(program_id=sy.program_id),
            "categories": CATEGORY_CHOICES,
            "electives": Rotation.objects.filter(
                program_id=sy.program_id, category__in=actions.ELECTIVE_CATEGORIES
            ),
            "blocks": sy.block_dates(),
        },
    )


def _solve_job(request: HttpRequest, pk: uuid.UUID) -> tuple[Any, ScheduleVersion]:
    job = get_job_for_view(request.user, pk)
    if job.kind != actions.SOLVE_JOB:
        raise Http404("No such job")
    version = (
        ScheduleVersion.objects.select_related(
            "schedule_year__program", "schedule_year__academic_year"
        )
        .filter(pk=job.options.get("version"))
        .first()
    )
    if version is None or not access.can_edit_schedule(request.user, version.schedule_year.program):
        raise Http404("No such job")
    return job, version


def _chart(points: list[list[float | None]]) -> dict[str, Any] | None:
    """Objective and bound over time as SVG polylines (300 x 100); a strategy that proves no
    bound draws the objective alone."""
    pts = [p for p in points if p[1] is not None]
    if len(pts) < 1:
        return None
    with_bound = [p for p in pts if p[2] is not None]
    t_max = max(float(p[0] or 0) for p in pts) or 1.0
    values = [float(v) for p in pts for v in (p[1], p[2]) if v is not None]
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0

    def line(rows: list[list[float | None]], i: int) -> str:
        return " ".join(
            f"{300 * float(p[0] or 0) / t_max:.1f},{95 - 90 * (float(p[i] or 0) - lo) / span:.1f}"
            for p in rows
        )

    return {
        "objective": line(pts, 1),
        "bound": line(with_bound, 2),
        "lo": lo,
        "hi": hi,
        "t": t_max,
    }


def _live(result: dict[str, Any]) -> dict[str, Any] | None:
    """The figures of the solve's best schedule so far (or its last): objective, bound, gap
    in percent, seconds, and what each rule costs in it (in words, dearest first)."""
    points = result.get("progress") or []
    if not points and result.get("objective") is None and result.get("elapsed_s") is None:
        return None
    last = points[-1] if points else [None, None, None]
    objective = result.get("objective", last[1])
    bound = result.get("bound", last[2])
    gap = result.get("gap")
    seconds = result.get("wall_s", result.get("elapsed_s", last[0]))
    costs = [(str(label), int(cost)) for label, cost in result.get("costs") or []]
    return {
        "objective": objective,
        "bound": bound,
        "gap_pct": None if gap is None else 100 * float(gap),
        "seconds": seconds,
        "costs": costs,
        "total": sum(c for _, c in costs),
    }


@login_required
def job(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    j, version = _solve_job(request, pk)
    return render(request, "schedules/job.html", _job_ctx(j, version))


@login_required
def job_progress(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    j, version = _solve_job(request, pk)
    return render(request, "schedules/_job_progress.html", _job_ctx(j, version))


def _job_ctx(j: Any, version: ScheduleVersion) -> dict[str, Any]:
    points = (j.result or {}).get("progress", [])
    return {
        "job": j,
        "job_page": reverse("schedules:job", args=[j.pk]),
        "version": version,
        "sy": version.schedule_year,
        "program": version.schedule_year.program,
        "points": points[-10:],
        "chart": _chart(points),
        "live": _live(j.result or {}),
        "others": list(
            ScheduleVersion.objects.filter(job_id=j.pk).exclude(pk=version.pk).order_by("number")
        ),
    }


@login_required
def export_pdf(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The version's grid as a printable PDF (same access as the CSV)."""
    acc, g = _export_grid(request, slug, pk)
    assert g.version is not None
    name = f"{acc.program.slug}-{acc.schedule_year.academic_year}-v{g.version.number}.pdf"
    response = _download(exports.grid_pdf(g, timezone.now()), "application/pdf", name)
    response["Cache-Control"] = "private, no-store"
    return response
