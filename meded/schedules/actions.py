"""Writes to rotation schedules. Every function is atomic, checks permission and writes the
audit log; views, the API and tasks call these, never model.save()."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from meded.audit import log as audit
from meded.audit.models import AuditEntry
from meded.jobs.models import Job
from meded.org import queries
from meded.org.models import Appointment
from meded.schedules.access import can_edit_schedule
from meded.schedules.adapters import roster_day
from meded.schedules.models import (
    Assignment,
    ElectivePreference,
    RequestStatus,
    Rotation,
    ScheduleVersion,
    ScheduleYear,
    VacationRequest,
)

Actor = AbstractBaseUser | AnonymousUser | None
A = AuditEntry.Action
SOLVE_JOB = "schedule_solve"
ELECTIVE_CATEGORIES = ("elective", "ambulatory_subspecialty", "research")
MAX_RANKED = 5


class ScheduleError(ValueError):
    """A write that cannot be done as asked (the message says why, in words for the user)."""


def _user(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


def _require_editor(actor: Actor, sy: ScheduleYear) -> None:
    if actor is None or not can_edit_schedule(actor, sy.program):
        raise PermissionDenied("Only the program's leadership and chief residents can do this.")


def _require_draft(version: ScheduleVersion) -> None:
    if version.is_published:
        raise ScheduleError("A published version cannot be edited; copy it to a new draft.")
    if version.is_solving:
        raise ScheduleError("This version is still being solved.")


def _next_number(sy: ScheduleYear) -> int:
    # Lock the year so two solves never take the same number.
    ScheduleYear.objects.select_for_update().filter(pk=sy.pk).first()
    top = ScheduleVersion.objects.filter(schedule_year=sy).aggregate(n=Max("number"))["n"]
    return (top or 0) + 1


def do_solve(
    actor: Actor, sy: ScheduleYear, *, time_limit: float | None = None, label: str = ""
) -> ScheduleVersion:
    """A new draft version and the Job that solves it, then the solve task enqueued (run
    inline by the immediate backend). Returns the version as it stands after enqueueing."""
    from meded.schedules.tasks import solve_schedule

    _require_editor(actor, sy)
    seconds = float(time_limit or sy.solve_seconds)
    if not 0 < seconds <= 600:
        raise ScheduleError("The time limit is between 1 and 600 seconds.")
    with transaction.atomic():
        number = _next_number(sy)
        job = Job.objects.create(
            kind=SOLVE_JOB,
            title=f"Solve {sy.program.name} {sy.academic_year}, version {number}",
            created_by=_user(actor),
            program=sy.program,
            total=int(seconds * 10),
            options={"schedule_year": sy.pk, "time_limit": seconds},
        )
        version = ScheduleVersion.objects.create(
            schedule_year=sy,
            number=number,
            label=label or "Solved",
            solver_status="queued",
            created_by=_user(actor),
            job=job,
        )
        job.options = {**job.options, "version": version.pk}
        job.save(update_fields=["options"])
        audit.record(
            actor,
            A.CREATE,
            version,
            program=sy.program,
            object_repr=f"{sy} version {number}",
            note=f"solve started (time limit {seconds:g} s)",
        )
    result = solve_schedule.enqueue(str(job.pk))
    Job.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    version.refresh_from_db()
    return version


def do_copy_version(actor: Actor, version: ScheduleVersion, label: str = "") -> ScheduleVersion:
    """A new draft with the same assignments (to change a published schedule)."""
    sy = version.schedule_year
    _require_editor(actor, sy)
    with transaction.atomic():
        number = _next_number(sy)
        copy = ScheduleVersion.objects.create(
            schedule_year=sy,
            number=number,
            label=label or f"Copy of version {version.number}",
            solver_status="copy",
            created_by=_user(actor),
            objective=version.objective,
            bound=version.bound,
            gap=version.gap,
            costs=version.costs,
            cohorts=version.cohorts,
        )
        Assignment.objects.bulk_create(
            Assignment(version=copy, appointment_id=a, block=b, rotation_id=r)
            for a, b, r in version.assignments.values_list("appointment_id", "block", "rotation_id")
        )
        audit.record(
            actor,
            A.CREATE,
            copy,
            program=sy.program,
            object_repr=f"{sy} version {number}",
            note=f"from version {version.number}",
        )
    return copy


def do_set_assignment(
    actor: Actor,
    version: ScheduleVersion,
    appointment_id: int,
    block: int,
    rotation: Rotation | None,
) -> Assignment | None:
    """Put a resident on a rotation in one block of a draft (None empties the cell)."""
    sy = version.schedule_year
    _require_editor(actor, sy)
    _require_draft(version)
    if not 0 <= block < sy.n_blocks:
        raise ScheduleError(f"Block {block + 1} is not in this year.")
    if rotation is not None and rotation.program_id != sy.program_id:
        raise ScheduleError("That rotation belongs to another program.")
    appt = (
        Appointment.objects.select_related("person")
        .filter(pk=appointment_id, program_id=sy.program_id, kind=Appointment.Kind.TRAINEE)
        .first()
    )
    if appt is None:
        raise ScheduleError("No such resident in this program.")
    with transaction.atomic():
        cell = (
            Assignment.objects.select_for_update()
            .select_related("rotation")
            .filter(version=version, appointment=appt, block=block)
            .first()
        )
        old = cell.rotation.code if cell else None
        new = rotation.code if rotation else None
        if old == new:
            return cell
        where = f"{appt.person.full_name}, block {block + 1}, version {version.number}"
        if rotation is None:
            assert cell is not None
            audit.record(
                actor,
                A.DELETE,
                cell,
                program=sy.program,
                changes={"rotation": [old, None]},
                object_repr=where,
            )
            cell.delete()
            return None
        if cell is None:
            cell = Assignment.objects.create(
                version=version, appointment=appt, block=block, rotation=rotation
            )
        else:
            cell.rotation = rotation
            cell.save(update_fields=["rotation"])
        audit.record(
            actor,
            A.CREATE if old is None else A.UPDATE,
            cell,
            program=sy.program,
            changes={"rotation": [old, new]},
            object_repr=where,
        )
        return cell


def do_publish(actor: Actor, version: ScheduleVersion) -> ScheduleVersion:
    """Publish a version: the one residents and faculty see. The version published before it
    goes back to draft. One published version per schedule year."""
    sy = version.schedule_year
    _require_editor(actor, sy)
    if version.is_solving:
        raise ScheduleError("This version is still being solved.")
    if version.is_published:
        return version
    if not version.assignments.exists():
        raise ScheduleError("An empty version cannot be published.")
    with transaction.atomic():
        ScheduleYear.objects.select_for_update().filter(pk=sy.pk).first()
        for old in ScheduleVersion.objects.filter(
            schedule_year=sy, status=ScheduleVersion.Status.PUBLISHED
        ):
            old.status = ScheduleVersion.Status.DRAFT
            old.save(update_fields=["status"])
            audit.record(
                actor,
                A.UPDATE,
                old,
                program=sy.program,
                changes={"status": ["published", "draft"]},
                object_repr=f"{sy} version {old.number}",
                note=f"unpublished: version {version.number} is published instead",
            )
        version.status = ScheduleVersion.Status.PUBLISHED
        version.published_at = timezone.now()
        version.save(update_fields=["status", "published_at"])
        audit.record(
            actor,
            A.UPDATE,
            version,
            program=sy.program,
            changes={"status": ["draft", "published"]},
            object_repr=f"{sy} version {version.number}",
            note="published",
        )
    return version


# --- Residents' requests --------------------------------------------------------------------


def own_appointment(actor: Actor, sy: ScheduleYear, today: dt.date | None = None) -> Appointment:
    """The actor's own trainee appointment in the year's program (PermissionDenied if none)."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied("Sign in first.")
    appt = (
        Appointment.objects.filter(
            queries.current_q(roster_day(sy, today)),
            person__user_id=actor.pk,
            program_id=sy.program_id,
            kind=Appointment.Kind.TRAINEE,
        )
        .select_related("person")
        .first()
    )
    if appt is None:
        raise PermissionDenied("Only the program's residents make requests, for themselves.")
    return appt


def _require_window(sy: ScheduleYear, today: dt.date | None) -> None:
    day = today or timezone.localdate()
    if not sy.requests_are_open(day):
        raise ScheduleError("Requests are closed for this schedule.")


def do_request_vacation(
    actor: Actor,
    sy: ScheduleYear,
    blocks: list[int],
    note: str = "",
    today: dt.date | None = None,
) -> VacationRequest:
    """A resident asks for vacation in some blocks (0-based), while the window is open."""
    appt = own_appointment(actor, sy, today)
    _require_window(sy, today)
    wanted = sorted(set(blocks))
    if not wanted or any(not 0 <= b < sy.n_blocks for b in wanted):
        raise ScheduleError(f"Choose blocks from 1 to {sy.n_blocks}.")
    with transaction.atomic():
        req = VacationRequest.objects.create(
            schedule_year=sy, appointment=appt, blocks=wanted, note=note[:300]
        )
        audit.record(
            actor,
            A.CREATE,
            req,
            program=sy.program,
            changes={"blocks": [None, [b + 1 for b in wanted]]},
            object_repr=f"{appt.person.full_name}: vacation in {sy}",
        )
    return req


def do_decide_vacation(actor: Actor, req: VacationRequest, status: str) -> VacationRequest:
    sy = req.schedule_year
    _require_editor(actor, sy)
    if status not in (RequestStatus.APPROVED, RequestStatus.DECLINED, RequestStatus.PENDING):
        raise ScheduleError("Approve, decline or reset to pending.")
    with transaction.atomic():
        old = req.status
        req.status = status
        req.decided_by = _user(actor)
        req.save(update_fields=["status", "decided_by"])
        audit.record(
            actor,
            A.UPDATE,
            req,
            program=sy.program,
            changes={"status": [old, status]},
        )
    return req


def do_rank_electives(
    actor: Actor, sy: ScheduleYear, codes: list[str], today: dt.date | None = None
) -> list[ElectivePreference]:
    """A resident's ranked electives (first = rank 1), replacing any earlier ranking."""
    appt = own_appointment(actor, sy, today)
    _require_window(sy, today)
    codes = [c for c in codes if c]
    if len(codes) != len(set(codes)):
        raise ScheduleError("Rank each elective once.")
    if len(codes) > MAX_RANKED:
        raise ScheduleError(f"Rank at most {MAX_RANKED} electives.")
    rots = {
        r.code: r
        for r in Rotation.objects.filter(
            program_id=sy.program_id, code__in=codes, category__in=ELECTIVE_CATEGORIES
        )
    }
    if missing := [c for c in codes if c not in rots]:
        raise ScheduleError("Not an elective of this program: " + ", ".join(missing))
    with transaction.atomic():
        existing = ElectivePreference.objects.filter(schedule_year=sy, appointment=appt)
        old = [p.rotation.code for p in existing.select_related("rotation").order_by("rank")]
        existing.delete()
        prefs = ElectivePreference.objects.bulk_create(
            ElectivePreference(schedule_year=sy, appointment=appt, rotation=rots[c], rank=i + 1)
            for i, c in enumerate(codes)
        )
        audit.record(
            actor,
            A.UPDATE,
            appt,
            program=sy.program,
            changes={"electives": [old, codes]},
            object_type="schedules.electivepreference",
            object_repr=f"{appt.person.full_name}: electives in {sy}",
        )
    return prefs


def version_summary(version: ScheduleVersion) -> dict[str, Any]:
    return {
        "id": version.pk,
        "number": version.number,
        "label": version.label,
        "status": version.status,
        "solver_status": version.solver_status,
        "objective": version.objective,
        "bound": version.bound,
        "gap": version.gap,
        "created_at": version.created_at.isoformat() if version.created_at else None,
        "published_at": version.published_at.isoformat() if version.published_at else None,
        "costs": version.costs,
    }
