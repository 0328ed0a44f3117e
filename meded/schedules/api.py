"""Rotation schedule API (mounted by meded/api.py at /api/schedules).

GET  /api/schedules/{slug}/versions?year=ID        the versions the user may see
POST /api/schedules/{slug}/versions?year=ID        solve: a new draft version (202, the job)
GET  /api/schedules/{slug}/assignments?version=ID  a version's cells
GET  /api/schedules/{slug}/check?version=ID        the rules' status of a version

``year`` defaults to the schedule year of the current academic year; ``version`` to the
newest version the user may see (editors) or the published one. Same access as the screens:
404 for what the user may not see, 403 for readers asking to solve."""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Body, Query, Router, Schema
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.responses import Status

from meded.core.inputs import Id, Slug, SmallInt, Text
from meded.org import queries
from meded.schedules import access, actions, adapters, config
from meded.schedules.access import ScheduleAccess
from meded.schedules.models import Assignment, Rotation, ScheduleVersion, ScheduleYear

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
def versions(request: HttpRequest, slug: Slug, year: Id | None = None) -> list[dict[str, Any]]:
    acc = _year(request, slug, year)
    return [actions.version_summary(v) for v in access.visible_versions(acc)]


@router.post("/{slug}/versions", response={202: SolveOut})
def solve(
    request: HttpRequest,
    slug: Slug,
    year: Id | None = None,
    time_limit: float | None = Query(None, gt=0, le=600, allow_inf_nan=False),
) -> Status[dict[str, Any]]:
    """Solve the year into a new draft version; poll GET /api/jobs/{job_id} for progress.
    ``time_limit`` in seconds (at most 600; the year's solve time when left out)."""
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
    request: HttpRequest, slug: Slug, year: Id | None = None, version: Id | None = None
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
    request: HttpRequest, slug: Slug, year: Id | None = None, version: Id | None = None
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


# --- Configuration: rotations and the rules document ----------------------------------------
# GET    /api/schedules/{slug}/rotations?year=ID         the program's rotations
# GET    /api/schedules/{slug}/rotations/{code}?year=ID  one of them
# PUT    /api/schedules/{slug}/rotations/{code}?year=ID  add (201) or change (200) one
# DELETE /api/schedules/{slug}/rotations/{code}?year=ID  delete one no version or rule uses
# GET    /api/schedules/{slug}/rules?year=ID             the year's rules document
# PUT    /api/schedules/{slug}/rules?year=ID             replace it (nothing saved if invalid)
# Editors only (403 for readers, 404 for everyone else). A value that does not fit answers 422
# with {"detail": [{"loc": ["body", field...], "msg": ...}]}, the same shape as a body that
# does not match the schema; a write that cannot be done as asked answers 409.


class CoverageIn(Schema):
    role: Literal["intern", "senior", "any"] = "any"
    min: SmallInt = 0
    max: SmallInt | None = None


class RotationIn(Schema):
    """A rotation's values; ``code`` renames it (the rules follow)."""

    code: Text | None = None
    name: Text | None = None
    category: Text | None = None
    site: Text | None = None
    length: SmallInt | None = None
    pgys: list[SmallInt] | None = None
    tracks: list[Text] | None = None
    coverage: list[CoverageIn] | None = None
    sort_order: SmallInt | None = None


class RotationOut(Schema):
    id: int
    code: str
    name: str
    category: str
    site: str
    length: int
    pgys: list[int]
    tracks: list[str]
    coverage: list[dict[str, Any]]
    sort_order: int


def _unprocessable(errors: dict[str, str]) -> NinjaValidationError:
    return NinjaValidationError(
        [
            {"loc": ["body", *(p for p in path.split(".") if p)], "msg": msg, "type": "value_error"}
            for path, msg in errors.items()
        ]
    )


def _rotation_out(rot: Rotation) -> dict[str, Any]:
    return {"id": rot.pk, **{k: getattr(rot, k) for k in config.ROTATION_FIELDS}}


@router.get("/{slug}/rotations", response=list[RotationOut])
def rotations(request: HttpRequest, slug: Slug, year: Id | None = None) -> list[dict[str, Any]]:
    acc = _year(request, slug, year, edit=True)
    return [_rotation_out(r) for r in Rotation.objects.filter(program_id=acc.program.pk)]


@router.get("/{slug}/rotations/{code}", response=RotationOut)
def rotation(
    request: HttpRequest, slug: Slug, code: Slug, year: Id | None = None
) -> dict[str, Any]:
    acc = _year(request, slug, year, edit=True)
    rot = Rotation.objects.filter(program_id=acc.program.pk, code=code).first()
    if rot is None:
        raise Http404("No such rotation")
    return _rotation_out(rot)


@router.put("/{slug}/rotations/{code}", response={200: RotationOut, 201: RotationOut})
def put_rotation(
    request: HttpRequest, slug: Slug, code: Slug, payload: RotationIn, year: Id | None = None
) -> Status[dict[str, Any]]:
    """Add the rotation ``code`` or change it (fields left out keep their values)."""
    acc = _year(request, slug, year, edit=True)
    rot = Rotation.objects.filter(program_id=acc.program.pk, code=code).first()
    data = payload.dict(exclude_unset=True)
    if payload.coverage is not None:
        data["coverage"] = [c.dict() for c in payload.coverage]
    if rot is None:
        data.setdefault("code", code)
    try:
        saved = actions.do_save_rotation(request.user, acc.schedule_year, rot, data)
    except actions.ConfigError as e:
        raise _unprocessable(e.errors) from e
    except actions.ScheduleError as e:
        raise HttpError(409, str(e)) from e
    return Status(201 if rot is None else 200, _rotation_out(saved))


@router.delete("/{slug}/rotations/{code}", response={204: None})
def delete_rotation(
    request: HttpRequest, slug: Slug, code: Slug, year: Id | None = None
) -> Status[None]:
    acc = _year(request, slug, year, edit=True)
    rot = Rotation.objects.filter(program_id=acc.program.pk, code=code).first()
    if rot is None:
        raise Http404("No such rotation")
    try:
        actions.do_delete_rotation(request.user, acc.schedule_year, rot)
    except actions.ScheduleError as e:
        raise HttpError(409, str(e)) from e
    return Status(204, None)


@router.get("/{slug}/rules", response=dict[str, Any])
def get_rules(request: HttpRequest, slug: Slug, year: Id | None = None) -> dict[str, Any]:
    """The year's rules document (see meded.schedules.rules for its keys)."""
    acc = _year(request, slug, year, edit=True)
    rules = acc.schedule_year.rules
    return rules if isinstance(rules, dict) else {}


@router.put("/{slug}/rules", response=dict[str, Any])
def put_rules(
    request: HttpRequest, slug: Slug, payload: Body[dict[str, Any]], year: Id | None = None
) -> dict[str, Any]:
    """Replace the year's rules document; a problem answers 422 naming its path."""
    acc = _year(request, slug, year, edit=True)
    try:
        return actions.do_set_rules(request.user, acc.schedule_year, payload)
    except actions.ConfigError as e:
        raise _unprocessable(e.errors) from e
