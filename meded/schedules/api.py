"""Rotation schedule API (mounted by meded/api.py at /api/schedules).

GET  /api/schedules/{slug}/versions?year=ID        the versions the user may see
POST /api/schedules/{slug}/versions?year=ID        solve: a new draft version (202, the job)
GET  /api/schedules/{slug}/assignments?version=ID  a version's cells
GET  /api/schedules/{slug}/check?version=ID        the rules' status of a version

``year`` defaults to the schedule year of the current academic year; ``version`` to the
newest version the user may see (editors) or the published one. Same access as the screens:
404 for what the user may not see, 403 for readers asking to solve."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from meded.org import queries
from meded.schedules import access, actions, adapters
from meded.schedules.access import ScheduleAccess
from meded.schedules.models import Assignment, ScheduleVersion, ScheduleYear

router = Router(tags=["schedules"])


class VersionOut(Schema):
    id: int
    number: int
    label: str
    status: str
    solver_status: str
    objective: float | None
    bound: float | None
    gap: float | None
    created_at: str | None
    published_at: str | None
    costs: dict[str, Any]


class SolveOut(Schema):
    version: VersionOut
    job_id: str
    job_status: str


class AssignmentOut(Schema):
    appointment_id: int
    person_id: int
    resident: str
    block: int  # 1-based
    rotation: str


class FindingOut(Schema):
    rule: str
    rule_label: str
    resident: str
    appointment_id: int | None
    rotation: str
    block: int | None
    message: str


class CheckOut(Schema):
    version: int
    ok: bool
    violations: list[FindingOut]
    costs: dict[str, int]
    objective: int


def _year(request: HttpRequest, slug: str, year: int | None, edit: bool = False) -> ScheduleAccess:
    program = access.get_program_for_schedules(request.user, slug)
    if year is None:
        current = queries.current_year()
        sy = ScheduleYear.objects.filter(program=program, academic_year=current).first()
        if sy is None:
            raise Http404("No schedule for the current academic year")
        year = sy.pk
    try:
        return access.get_schedule_year(request.user, slug, year, edit=edit)
    except PermissionDenied as e:
        raise HttpError(403, str(e)) from e


def _version(acc: ScheduleAccess, version: int | None) -> ScheduleVersion:
    v = access.get_version(acc, version) if version is not None else access.default_version(acc)
    if v is None:
        raise Http404("No version")
    return v


@router.get("/{slug}/versions", response=list[VersionOut])
def versions(request: HttpRequest, slug: str, year: int | None = None) -> list[dict[str, Any]]:
    acc = _year(request, slug, year)
    return [actions.version_summary(v) for v in access.visible_versions(acc)]


@router.post("/{slug}/versions", response={202: SolveOut})
def solve(
    request: HttpRequest, slug: str, year: int | None = None, time_limit: float | None = None
) -> Status[dict[str, Any]]:
    """Solve the year into a new draft version; poll GET /api/jobs/{job_id} for progress."""
    acc = _year(request, slug, year, edit=True)
    try:
        v = actions.do_solve(request.user, acc.schedule_year, time_limit=time_limit)
    except actions.ScheduleError as e:
        raise HttpError(400, str(e)) from e
    job = v.job
    return Status(
        202,
        {
            "version": actions.version_summary(v),
            "job_id": str(v.job_id),
            "job_status": job.status if job else "",
        },
    )


@router.get("/{slug}/assignments", response=list[AssignmentOut])
def assignments(
    request: HttpRequest, slug: str, year: int | None = None, version: int | None = None
) -> list[dict[str, Any]]:
    acc = _year(request, slug, year)
    v = _version(acc, version)
    rows = (
        Assignment.objects.filter(version=v)
        .values_list(
            "appointment_id",
            "appointment__person_id",
            "appointment__person__last_name",
            "appointment__person__first_name",
            "block",
            "rotation__code",
        )
        .order_by("appointment__person__last_name", "appointment_id", "block")
    )
    return [
        {
            "appointment_id": a,
            "person_id": p,
            "resident": f"{last}, {first}",
            "block": b + 1,
            "rotation": code,
        }
        for a, p, last, first, b, code in rows
    ]


@router.get("/{slug}/check", response=CheckOut)
def check(
    request: HttpRequest, slug: str, year: int | None = None, version: int | None = None
) -> dict[str, Any]:
    """The rules' status of a version (editors only)."""
    acc = _year(request, slug, year, edit=True)
    v = _version(acc, version)
    built, report = adapters.check_version(v)
    return {
        "version": v.pk,
        "ok": report.ok,
        "violations": [f.__dict__ for f in adapters.findings(report, built)],
        "costs": adapters.costs_summary(report.costs),
        "objective": report.objective,
    }
