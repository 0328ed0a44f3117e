"""Roster API (mounted by meded/api.py at /api/rosters).

GET  /api/rosters/on-call                       shifts in progress now and in the next 12 h
GET  /api/rosters/me/shifts?start=&end=          my published shifts (default: the next 4 weeks)
GET  /api/rosters/{slug}/shifts?block=&year=     a block's shifts (published; editors may ask
                                                 draft=true); block defaults to today's
GET  /api/rosters/{slug}/swaps                   the swap requests the user may see
POST /api/rosters/{slug}/swaps                   propose a swap or give-away of my shift
POST /api/rosters/{slug}/swaps/{id}/{decision}   accept, decline (the other resident),
                                                 approve, reject (a chief), withdraw (the
                                                 proposer); 409 when the request has moved on

``block`` is 1-based; ``year`` defaults to the schedule year that contains today. Same access
as the screens: 404 for what the user may not see, 403 for a reader asking to change."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from meded.core.inputs import BadInput, Day, Id, Slug, SmallInt, Text
from meded.org.access import viewer_for
from meded.rosters import access, actions, adapters, grid
from meded.rosters.models import Roster, Shift, SwapRequest, block_last_day
from meded.schedules.models import ScheduleYear

router = Router(tags=["rosters"])


class ShiftOut(Schema):
    id: int
    program: str
    rotation: str
    template: str
    name: str
    kind: str
    appointment_id: int
    person_id: int
    resident: str
    start: str
    end: str
    hours: float
    published: bool


class SwapIn(Schema):
    shift_id: Id
    to_appointment_id: Id
    their_shift_id: Id | None = None
    note: Text = ""


class SwapOut(Schema):
    id: int
    kind: str
    status: str
    summary: str
    from_appointment_id: int
    to_appointment_id: int
    shift_id: int | None
    their_shift_id: int | None
    check_result: dict[str, Any]


def _shift_out(s: Shift) -> dict[str, Any]:
    z = adapters.zone()
    t = s.template
    return {
        "id": s.pk,
        "program": t.rotation.program.slug,
        "rotation": t.rotation.code,
        "template": t.code,
        "name": t.name,
        "kind": t.kind,
        "appointment_id": s.appointment_id,
        "person_id": s.appointment.person_id,
        "resident": s.appointment.person.full_name,
        "start": s.start.astimezone(z).isoformat(),
        "end": s.end.astimezone(z).isoformat(),
        "hours": round(s.hours, 2),
        "published": s.published,
    }


def _swap_out(w: SwapRequest) -> dict[str, Any]:
    return {
        "id": w.pk,
        "kind": w.kind,
        "status": w.status,
        "summary": w.summary,
        "from_appointment_id": w.from_appointment_id,
        "to_appointment_id": w.to_appointment_id,
        "shift_id": w.shift_id,
        "their_shift_id": w.their_shift_id,
        "check_result": w.check_result or {},
    }


def _program(request: HttpRequest, slug: str, edit: bool = False) -> access.RosterAccess:
    try:
        return access.get_program(request.user, slug, edit=edit)
    except PermissionDenied as e:
        raise HttpError(403, str(e)) from e


def _role(request: HttpRequest) -> None:
    try:
        access.require_signed_in_role(request.user)
    except PermissionDenied as e:
        raise HttpError(403, str(e)) from e


_RELATED = ("template__rotation__program", "appointment__person")


@router.get("/on-call", response=list[ShiftOut])
def on_call(request: HttpRequest) -> list[dict[str, Any]]:
    """Published shifts in progress now or starting in the next 12 hours, every program."""
    _role(request)
    now = timezone.now()
    return [_shift_out(s) for g in grid.on_call(now) for s in (*g.now, *g.soon)]


@router.get("/me/shifts", response=list[ShiftOut])
def my_shifts(
    request: HttpRequest, start: Day | None = None, end: Day | None = None
) -> list[dict[str, Any]]:
    """My published shifts from ``start`` to ``end`` (dates, both included)."""
    _role(request)
    v = viewer_for(request.user)
    if v.person_id is None:
        raise HttpError(403, "My shifts are for residents.")
    first = start or timezone.localdate()
    last = end or first + dt.timedelta(days=27)
    if last < first or (last - first).days > 400:
        raise BadInput("end", "give an end on or after the start, at most 400 days later")
    return [_shift_out(s) for s in grid.person_shifts(v.person_id, first, last)]


@router.get("/{slug}/shifts", response=list[ShiftOut])
def shifts(
    request: HttpRequest,
    slug: Slug,
    block: SmallInt | None = None,
    year: Id | None = None,
    draft: bool = False,
) -> list[dict[str, Any]]:
    acc = _program(request, slug, edit=draft)
    qs = ScheduleYear.objects.filter(program=acc.program).select_related("academic_year")
    if year is not None:
        sy = qs.filter(pk=year).first()
    else:
        today = timezone.localdate()
        sy = next(
            (y for y in qs if y.start_date <= today <= block_last_day(y, y.n_blocks - 1)),
            qs.first(),
        )
    if sy is not None and block is None:
        current = adapters.block_of(sy, timezone.localdate())
        block = None if current is None else current + 1
    if sy is None or block is None or not 1 <= block <= sy.n_blocks:
        raise Http404("No such block")
    roster = Roster.objects.filter(schedule_year=sy, block=block - 1).first()
    if roster is None:
        return []
    rows = (
        Shift.objects.filter(roster=roster, published=not draft)
        .select_related(*_RELATED)
        .order_by("start", "template__sort_order")
    )
    return [_shift_out(s) for s in rows]


@router.get("/{slug}/swaps", response=list[SwapOut])
def swaps(request: HttpRequest, slug: Slug) -> list[dict[str, Any]]:
    acc = _program(request, slug)
    return [_swap_out(w) for w in access.visible_swaps(acc).order_by("-created_at")[:500]]


@router.post("/{slug}/swaps", response={201: SwapOut})
def propose_swap(request: HttpRequest, slug: Slug, payload: SwapIn) -> Status[dict[str, Any]]:
    """Offer one of my published shifts to another resident (a swap when ``their_shift_id``
    names one of theirs); they accept on their My shifts page."""
    acc = _program(request, slug)
    shift = (
        Shift.objects.filter(
            pk=payload.shift_id, published=True, template__rotation__program=acc.program
        )
        .select_related("appointment", "roster__schedule_year__program", "template")
        .first()
    )
    if shift is None:
        raise Http404("No such shift")
    theirs = None
    if payload.their_shift_id is not None:
        theirs = Shift.objects.filter(pk=payload.their_shift_id, published=True).first()
        if theirs is None:
            raise Http404("No such shift")
    try:
        w = actions.do_propose_swap(
            request.user,
            shift,
            payload.to_appointment_id,
            their_shift=theirs,
            note=payload.note,
        )
    except PermissionDenied as e:
        raise HttpError(403, str(e)) from e
    except actions.RosterError as e:
        raise HttpError(400, str(e)) from e
    return Status(201, _swap_out(w))


class DecisionIn(Schema):
    note: str = Field("", max_length=300)


@router.post("/{slug}/swaps/{swap_id}/{decision}", response=SwapOut)
def decide_swap(
    request: HttpRequest,
    slug: str,
    swap_id: int,
    decision: Literal["accept", "decline", "approve", "reject", "withdraw"],
    payload: DecisionIn | None = None,
) -> dict[str, Any]:
    """Decide a swap request, through the same actions as the swaps screen: the other
    resident accepts or declines, a chief approves or rejects (never their own), the proposer
    withdraws. 403 for a decision that is not the user's to make; 409 when the request is no
    longer waiting for it or the checks refuse it (the problems are in the message)."""
    acc = _program(request, slug)
    swap = access.get_swap(acc, swap_id)
    try:
        swap = actions.do_swap_decision(
            request.user, swap, decision, payload.note if payload else ""
        )
    except PermissionDenied as e:
        raise HttpError(403, str(e)) from e
    except actions.RosterError as e:
        raise HttpError(409, str(e)) from e
    return _swap_out(swap)
