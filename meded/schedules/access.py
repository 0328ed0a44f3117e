"""Who may see and change rotation schedules: the app's one access module. It asks the
request's viewer (meded.org.access.viewer_for, worked out once per request) and decides
nothing about programs itself.

- Edit (solve, change cells, publish, decide requests): the GME office and the program's
  director, associate directors, coordinators and chief residents.
- Read the published schedule: anyone who may view the program (faculty included: they see
  the published grid and coverage, never drafts or the rules panel) and the program's own
  trainees (the published grid with their row highlighted).
- Everyone else: 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from meded.org.access import PLANNER_ROLES, Viewer, viewer_for
from meded.org.models import Program
from meded.schedules.models import ScheduleVersion, ScheduleYear


def can_edit_schedule(user: Any, program: Program) -> bool:
    return viewer_for(user).plans(program.pk)


def edited_program_ids(v: Viewer) -> frozenset[int] | None:
    """The programs whose schedules (and rosters) the viewer edits; None: every program (the
    GME office)."""
    if v.is_gme_admin:
        return None
    return frozenset(pid for pid, roles in v.program_roles.items() if roles & PLANNER_ROLES)


def can_read_schedule(user: Any, program: Program) -> bool:
    return viewer_for(user).reads_plans(program.pk)


@dataclass(frozen=True)
class ScheduleAccess:
    """A schedule year and what the user may do with it."""

    schedule_year: ScheduleYear
    can_edit: bool
    person_id: int | None

    @property
    def program(self) -> Program:
        return self.schedule_year.program


def get_program_for_schedules(user: Any, slug: str) -> Program:
    program = Program.objects.filter(slug=slug).first()
    if program is None or not can_read_schedule(user, program):
        raise Http404("No such program")
    return program


def get_schedule_year(user: Any, slug: str, pk: int, *, edit: bool = False) -> ScheduleAccess:
    """The schedule year for reading (404 if the user may not see it); with ``edit``, 403 for a
    reader who may not change it."""
    sy = (
        ScheduleYear.objects.select_related("program", "academic_year")
        .filter(pk=pk, program__slug=slug)
        .first()
    )
    if sy is None or not can_read_schedule(user, sy.program):
        raise Http404("No such schedule")
    can_edit = can_edit_schedule(user, sy.program)
    if edit and not can_edit:
        raise PermissionDenied("Only the program's leadership and chief residents can do this.")
    return ScheduleAccess(sy, can_edit, viewer_for(user).person_id)


def visible_versions(acc: ScheduleAccess) -> list[ScheduleVersion]:
    qs = ScheduleVersion.objects.filter(schedule_year=acc.schedule_year).select_related(
        "created_by", "job"
    )
    if not acc.can_edit:
        qs = qs.filter(status=ScheduleVersion.Status.PUBLISHED)
    return list(qs)


def get_version(acc: ScheduleAccess, version_id: Any) -> ScheduleVersion:
    """A version of the year the user may see: drafts only for editors; 404 otherwise."""
    try:
        pk = int(version_id)
    except (TypeError, ValueError):
        raise Http404("No such version") from None
    qs = ScheduleVersion.objects.filter(pk=pk, schedule_year=acc.schedule_year)
    if not acc.can_edit:
        qs = qs.filter(status=ScheduleVersion.Status.PUBLISHED)
    version = qs.first()
    if version is None:
        raise Http404("No such version")
    version.schedule_year = acc.schedule_year
    return version


def default_version(acc: ScheduleAccess) -> ScheduleVersion | None:
    """Editors: the newest version; everyone else: the published one."""
    qs = ScheduleVersion.objects.filter(schedule_year=acc.schedule_year)
    if not acc.can_edit:
        qs = qs.filter(status=ScheduleVersion.Status.PUBLISHED)
    version = qs.order_by("-number").first()
    if version is not None:
        version.schedule_year = acc.schedule_year
    return version


def can_read_schedule_staff(user: Any, sy: ScheduleYear) -> bool:
    """Program staff and faculty (not trainees) may read any resident's calendar."""
    v = viewer_for(user)
    return v.is_gme_admin or sy.program_id in v.staff_program_ids
