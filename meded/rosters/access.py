"""Who may see and change call and shift rosters: the app's one access module, asking the
request's viewer (meded.org.access.viewer_for) directly. The same people who plan a
program's rotation schedule plan its rosters.

- Edit (generate, change shifts, publish, decide swaps, settings, meal cards of everyone): the
  GME office and the program's director, associate directors, coordinators and chief
  residents.
- Read the published roster: the program's viewers (faculty included) and its own trainees.
  Drafts only for editors.
- Who is on call now: every signed-in user with a role anywhere (staff and trainees).
- Everyone else: 404 (403 for a reader asking to change something).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from meded.org import queries
from meded.org.access import require_any_role, viewer_for
from meded.org.models import Appointment, Program
from meded.rosters.models import SwapRequest
from meded.schedules.models import ScheduleYear

EDIT_REFUSED = "Only the program's leadership and chief residents can do this."


def can_edit_roster(user: Any, program: Program) -> bool:
    return viewer_for(user).plans(program.pk)


def can_read_roster(user: Any, program: Program) -> bool:
    return viewer_for(user).reads_plans(program.pk)


@dataclass(frozen=True)
class RosterAccess:
    program: Program
    can_edit: bool
    person_id: int | None


def get_program(user: Any, slug: str, *, edit: bool = False) -> RosterAccess:
    """The program for reading (404 if the user may not see it); with ``edit`` 403 for a
    reader who may not change it."""
    program = Program.objects.filter(slug=slug).first()
    if program is None or not can_read_roster(user, program):
        raise Http404("No such program")
    can_edit = can_edit_roster(user, program)
    if edit and not can_edit:
        raise PermissionDenied(EDIT_REFUSED)
    return RosterAccess(program, can_edit, viewer_for(user).person_id)


def get_schedule_year(acc: RosterAccess, pk: int) -> ScheduleYear:
    sy = (
        ScheduleYear.objects.select_related("program", "academic_year")
        .filter(pk=pk, program=acc.program)
        .first()
    )
    if sy is None:
        raise Http404("No such schedule year")
    return sy


def visible_swaps(acc: RosterAccess) -> QuerySet[SwapRequest]:
    """The program's swap requests the user may see: every one for an editor, their own
    (offered or asked of them) for a resident."""
    qs = SwapRequest.objects.filter(program=acc.program).select_related(
        "from_appointment__person", "to_appointment__person", "program"
    )
    if acc.can_edit:
        return qs
    if acc.person_id is None:
        return qs.none()
    return qs.filter(
        Q(from_appointment__person_id=acc.person_id) | Q(to_appointment__person_id=acc.person_id)
    )


def get_swap(acc: RosterAccess, swap_id: int) -> SwapRequest:
    swap = visible_swaps(acc).filter(pk=swap_id).first()
    if swap is None:
        raise Http404("No such request")
    return swap


def require_signed_in_role(user: Any) -> None:
    """Staff and trainees (any role); a signed-in user with none is refused."""
    if not viewer_for(user).is_authenticated:
        raise Http404("Sign in first")
    require_any_role(user)


def own_appointments(user: Any, day: dt.date | None = None) -> list[Appointment]:
    """The user's current trainee appointments (usually one)."""
    v = viewer_for(user)
    if v.person_id is None:
        return []
    return list(
        Appointment.objects.filter(
            queries.current_q(day), person_id=v.person_id, kind=Appointment.Kind.TRAINEE
        ).select_related("program", "person")
    )


def own_appointment_in(user: Any, program: Program, day: dt.date | None = None) -> Appointment:
    for appt in own_appointments(user, day):
        if appt.program_id == program.pk:
            return appt
    raise PermissionDenied("Only the program's residents do this, for themselves.")
