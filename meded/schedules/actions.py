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
from meded.core.locking import lock
from meded.engine.blocks.check import Report, check
from meded.engine.blocks.cpsat import Result
from meded.jobs import lifecycle
from meded.jobs.models import Job
from meded.org import queries
from meded.org.models import Appointment
from meded.schedules import adapters, config
from meded.schedules import events as ev
from meded.schedules.access import can_edit_schedule
from meded.schedules.models import (
    CATEGORY_CHOICES,
    Assignment,
    ElectivePreference,
    RequestStatus,
    Rotation,
    ScheduleVersion,
    ScheduleYear,
    TimingWish,
    VacationRequest,
)
from meded.schedules.rules import RULE_KINDS

Actor = AbstractBaseUser | AnonymousUser | None
SOLVE_JOB = "schedule_solve"
ELECTIVE_CATEGORIES = ("elective", "ambulatory_subspecialty", "research")
MAX_RANKED = 5
VACATION_EVENTS: dict[str, str] = {
    RequestStatus.APPROVED: ev.VACATION_APPROVED,
    RequestStatus.DECLINED: ev.VACATION_DECLINED,
    RequestStatus.PENDING: ev.VACATION_REOPENED,
}
WISH_EVENTS: dict[str, str] = {
    RequestStatus.APPROVED: ev.WISH_ACCEPTED,
    RequestStatus.DECLINED: ev.WISH_DECLINED,
    RequestStatus.PENDING: ev.WISH_REOPENED,
}


class ScheduleError(ValueError):
    """A write that cannot be done as asked (the message says why, in words for the user)."""


def _user(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


def _require_editor(actor: Actor, sy: ScheduleYear) -> None:
    if actor is None or not can_edit_schedule(actor, sy.program):
        raise PermissionDenied("Only the program's leadership and chief residents can do this.")


def _locked_draft(version: ScheduleVersion) -> ScheduleVersion:
    """The version, locked and re-read inside the caller's transaction, if it is a draft
    that is not being solved (a publish waits for the edit, or the edit sees the publish)."""
    locked = lock(ScheduleVersion, version.pk)
    if locked.is_published:
        raise ScheduleError("A published version cannot be edited; copy it to a new draft.")
    if locked.is_solving:
        raise ScheduleError("This version is still being solved.")
    return locked


def _require_not_own(actor: Actor, appointment: Appointment, what: str) -> None:
    """Nobody decides their own request: a chief's own vacation needs another approver."""
    person_id = getattr(getattr(actor, "person", None), "pk", None)
    if person_id is not None and person_id == appointment.person_id:
        raise PermissionDenied(
            f"You cannot decide your own {what}; another chief resident or the program's "
            "leadership must."
        )


def _next_number(sy: ScheduleYear) -> int:
    # Lock the year so two solves never take the same number.
    lock(ScheduleYear, sy.pk)
    top = ScheduleVersion.objects.filter(schedule_year=sy).aggregate(n=Max("number"))["n"]
    return (top or 0) + 1


def do_solve(
    actor: Actor, sy: ScheduleYear, *, time_limit: float | None = None, label: str = ""
) -> ScheduleVersion:
    """A new draft version and the Job that solves it, then the solve task enqueued (run
    inline by the immediate backend). Returns the version as it stands after enqueueing."""
    _require_editor(actor, sy)
    return _queue(actor, sy, time_limit, label or "Solved", {}, "solve started")


def do_repair(
    actor: Actor,
    base: ScheduleVersion,
    from_block: int,
    *,
    time_limit: float | None = None,
) -> ScheduleVersion:
    """Re-plan from ``from_block`` (0-based) on, after a change mid-year (a leave, a new
    rotation, a changed rule): blocks before it stay as in ``base``; the solver changes as few
    later assignments as it can, then optimizes the rest. The result is a new draft."""
    sy = base.schedule_year
    _require_editor(actor, sy)
    if base.is_solving:
        raise ScheduleError("This version is still being solved.")
    if not 0 <= from_block < sy.n_blocks:
        raise ScheduleError(f"Re-plan from: choose a block between 1 and {sy.n_blocks}.")
    return _queue(
        actor,
        sy,
        time_limit,
        f"Re-plan of version {base.number} from block {from_block + 1}",
        {"mode": "repair", "base": base.pk, "from_block": from_block},
        f"re-plan of version {base.number} from block {from_block + 1} started",
    )


MAX_ALTERNATIVES = 4


def do_alternatives(
    actor: Actor,
    sy: ScheduleYear,
    n: int,
    *,
    within_pct: float = 5.0,
    time_limit: float | None = None,
) -> ScheduleVersion:
    """Up to ``n`` different good schedules as drafts to compare: the best, then others
    within ``within_pct`` % of its cost. The first version is returned; the task adds the
    others as they are found."""
    _require_editor(actor, sy)
    if not 2 <= n <= MAX_ALTERNATIVES:
        raise ScheduleError(f"Alternatives: between 2 and {MAX_ALTERNATIVES}.")
    if not 0 <= within_pct <= 50:
        raise ScheduleError("Within: a percentage between 0 and 50.")
    return _queue(
        actor,
        sy,
        time_limit,
        "Alternative 1",
        {"mode": "alternatives", "n": n, "within_pct": within_pct},
        f"{n} alternatives started",
    )


def _queue(
    actor: Actor,
    sy: ScheduleYear,
    time_limit: float | None,
    label: str,
    options: dict[str, Any],
    note: str,
) -> ScheduleVersion:
    seconds = float(time_limit or sy.solve_seconds)
    if not 0 < seconds <= 600:
        raise ScheduleError("The time limit is between 1 and 600 seconds.")
    with transaction.atomic():
        number = _next_number(sy)
        job = Job.objects.create(
            kind=SOLVE_JOB,
            title=f"{label}: {sy.program.name} {sy.academic_year}, version {number}",
            created_by=_user(actor),
            program=sy.program,
            total=int(seconds * 10),
            options={"schedule_year": sy.pk, "time_limit": seconds, **options},
        )
        version = ScheduleVersion.objects.create(
            schedule_year=sy,
            number=number,
            label=label,
            solver_status="queued",
            created_by=_user(actor),
            job=job,
        )
        job.options = {**job.options, "version": version.pk}
        job.save(update_fields=["options"])
        audit.record(
            actor,
            ev.SOLVE_QUEUED,
            version,
            program=sy.program,
            object_repr=f"{sy} version {number}",
            note=f"{note} (time limit {seconds:g} s)",
        )
    lifecycle.enqueue(job)
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
            ev.COPIED,
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
    *,
    reason: str = "",
) -> Assignment | None:
    """Put a resident on a rotation in one block of a draft (None empties the cell). The
    draft check runs under the version's lock, so an edit never lands after a publish.
    ``reason`` (why the cell changed) goes to the audit log."""
    sy = version.schedule_year
    _require_editor(actor, sy)
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
        version = _locked_draft(version)
        # The version's lock already serializes edits of its cells; this reads the cell.
        cell = (
            Assignment.objects.select_related("rotation")
            .filter(version=version, appointment=appt, block=block)
            .order_by()
            .first()
        )
        old = cell.rotation.code if cell else None
        new = rotation.code if rotation else None
        if old == new:
            return cell
        where = f"{appt.person.full_name}, block {block + 1}, version {version.number}"
        facts = {"block": block + 1, "version": version.number, "appointment": appt.pk}
        if rotation is None:
            assert cell is not None
            audit.record(
                actor,
                ev.CELL_CHANGED,
                cell,
                program=sy.program,
                changes={"rotation": [old, None]},
                data=facts,
                object_repr=where,
                note=reason,
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
            ev.CELL_CHANGED,
            cell,
            program=sy.program,
            changes={"rotation": [old, new]},
            data=facts,
            object_repr=where,
            note=reason,
        )
        return cell


def do_publish(actor: Actor, version: ScheduleVersion) -> ScheduleVersion:
    """Publish a version: the one residents and faculty see. The version published before it
    goes back to draft. One published version per schedule year."""
    sy = version.schedule_year
    _require_editor(actor, sy)
    given = version
    with transaction.atomic():
        # Year, then version (meded.core.locking): edits of this version wait for the
        # publish, or the publish sees them; a second publish of the year waits its turn.
        lock(ScheduleYear, sy.pk)
        version = lock(ScheduleVersion, version.pk)
        version.schedule_year = sy
        if version.is_solving:
            raise ScheduleError("This version is still being solved.")
        if version.is_published:
            return version
        if not version.assignments.exists():
            raise ScheduleError("An empty version cannot be published.")
        for old in ScheduleVersion.objects.filter(
            schedule_year=sy, status=ScheduleVersion.Status.PUBLISHED
        ).order_by("pk"):
            old.status = ScheduleVersion.Status.DRAFT
            old.save(update_fields=["status"])
            audit.record(
                actor,
                ev.UNPUBLISHED,
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
            ev.PUBLISHED,
            version,
            program=sy.program,
            changes={"status": ["draft", "published"]},
            object_repr=f"{sy} version {version.number}",
            note="published",
        )
    given.status, given.published_at = version.status, version.published_at
    return version


# --- Residents' requests --------------------------------------------------------------------


def own_appointment(actor: Actor, sy: ScheduleYear, today: dt.date | None = None) -> Appointment:
    """The actor's own trainee appointment in the year's program (PermissionDenied if none)."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied("Sign in first.")
    appt = (
        Appointment.objects.filter(
            queries.current_q(adapters.roster_day(sy, today)),
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
            ev.VACATION_REQUESTED,
            req,
            program=sy.program,
            changes={"blocks": [None, [b + 1 for b in wanted]]},
            object_repr=f"{appt.person.full_name}: vacation in {sy}",
        )
    return req


def do_decide_vacation(actor: Actor, req: VacationRequest, status: str) -> VacationRequest:
    """Approve, decline or reopen a resident's vacation request (never one's own)."""
    sy = req.schedule_year
    _require_editor(actor, sy)
    if status not in (RequestStatus.APPROVED, RequestStatus.DECLINED, RequestStatus.PENDING):
        raise ScheduleError("Approve, decline or reset to pending.")
    _require_not_own(actor, req.appointment, "vacation request")
    with transaction.atomic():
        given = req
        req = lock(VacationRequest, req.pk, "schedule_year__program", "appointment__person")
        old = req.status
        if old == status:
            return req
        given.status = status
        req.status = status
        req.decided_by = _user(actor)
        req.save(update_fields=["status", "decided_by"])
        audit.record(
            actor,
            VACATION_EVENTS[status],
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
            ev.ELECTIVES_RANKED,
            appt,
            program=sy.program,
            changes={"electives": [old, codes]},
            object_type="schedules.electivepreference",
            object_repr=f"{appt.person.full_name}: electives in {sy}",
        )
    return prefs


MAX_WISHES = 5


def do_add_wish(
    actor: Actor,
    sy: ScheduleYear,
    *,
    rotation_code: str = "",
    category: str = "",
    not_before: int | None = None,
    not_after: int | None = None,
    note: str = "",
    today: dt.date | None = None,
) -> TimingWish:
    """A resident's "not before / not after" wish (blocks 0-based) for a rotation or a
    category, while the request window is open."""
    appt = own_appointment(actor, sy, today)
    _require_window(sy, today)
    rotation = None
    if rotation_code:
        rotation = Rotation.objects.filter(program_id=sy.program_id, code=rotation_code).first()
        if rotation is None:
            raise ScheduleError(f"Rotation: {rotation_code!r} is not a rotation of this program.")
    elif category:
        if category not in {c for c, _ in CATEGORY_CHOICES}:
            raise ScheduleError(f"Category: {category!r} is not a rotation category.")
    else:
        raise ScheduleError("Choose a rotation or a kind of rotation.")
    if not_before is None and not_after is None:
        raise ScheduleError("Give a block it should not come before, after, or both.")
    for name, b in (("Not before", not_before), ("Not after", not_after)):
        if b is not None and not 0 <= b < sy.n_blocks:
            raise ScheduleError(f"{name}: choose a block from 1 to {sy.n_blocks}.")
    if not_before is not None and not_after is not None and not_after < not_before:
        raise ScheduleError("Not after: the last block comes before the first.")
    with transaction.atomic():
        if TimingWish.objects.filter(schedule_year=sy, appointment=appt).count() >= MAX_WISHES:
            raise ScheduleError(f"At most {MAX_WISHES} timing wishes; withdraw one first.")
        wish = TimingWish.objects.create(
            schedule_year=sy,
            appointment=appt,
            rotation=rotation,
            category="" if rotation else category,
            not_before=not_before,
            not_after=not_after,
            note=note[:300],
        )
        audit.record(
            actor,
            ev.WISH_ADDED,
            wish,
            program=sy.program,
            changes={"wish": [None, wish.describe()]},
            object_repr=f"{appt.person.full_name}: timing wish in {sy}",
        )
    return wish


def do_withdraw_wish(actor: Actor, wish: TimingWish, today: dt.date | None = None) -> None:
    sy = wish.schedule_year
    appt = own_appointment(actor, sy, today)
    if wish.appointment_id != appt.pk:
        raise PermissionDenied("Residents withdraw only their own wishes.")
    _require_window(sy, today)
    with transaction.atomic():
        audit.record(
            actor,
            ev.WISH_WITHDRAWN,
            wish,
            program=sy.program,
            changes={"wish": [wish.describe(), None]},
            object_repr=f"{appt.person.full_name}: timing wish in {sy}",
        )
        wish.delete()


def do_decide_wish(actor: Actor, wish: TimingWish, status: str) -> TimingWish:
    """Editors may decline a wish (the solver then ignores it) or restore it."""
    sy = wish.schedule_year
    _require_editor(actor, sy)
    if status not in (RequestStatus.APPROVED, RequestStatus.DECLINED, RequestStatus.PENDING):
        raise ScheduleError("Accept, decline or reset to pending.")
    _require_not_own(actor, wish.appointment, "timing wish")
    with transaction.atomic():
        given = wish
        wish = lock(TimingWish, wish.pk, "schedule_year__program", "appointment__person")
        old = wish.status
        if old == status:
            return wish
        given.status = status
        wish.status = status
        wish.save(update_fields=["status"])
        audit.record(
            actor, WISH_EVENTS[status], wish, program=sy.program, changes={"status": [old, status]}
        )
    return wish


# --- The solve job's writes (run by the worker) ---------------------------------------------


def do_save_solution(
    actor: Actor,
    job: Job,
    version: ScheduleVersion,
    built: adapters.Built,
    results: list[Result],
    *,
    label: str | None = None,
    note: str = "",
) -> Report:
    """Write a finished solve into its draft ``version`` (the first result) and a new draft
    for each further feasible result (alternatives). The worker calls this inside the
    transaction that finishes the job (meded.jobs.lifecycle.finish), so a cancelled job
    saves nothing. ``actor`` is the job's starter, who must still be allowed to edit."""
    sy = version.schedule_year
    _require_editor(actor, sy)
    lock(ScheduleYear, sy.pk)
    locked = lock(ScheduleVersion, version.pk)
    if not locked.is_solving or locked.job_id != job.pk:
        raise ScheduleError("This version is no longer waiting for this solve.")
    locked.schedule_year = sy
    report = _write_result(actor, job, locked, built, results[0], label, note)
    for i, other in enumerate(results[1:], start=2):
        if not other.feasible:
            continue
        extra = ScheduleVersion.objects.create(
            schedule_year=sy,
            number=_next_number(sy),
            label=f"Alternative {i}",
            solver_status="queued",
            created_by=_user(actor),
            job=job,
        )
        extra.schedule_year = sy
        _write_result(actor, job, extra, built, other, None, note)
    return report


def _write_result(
    actor: Actor,
    job: Job,
    version: ScheduleVersion,
    built: adapters.Built,
    result: Result,
    label: str | None,
    note: str,
) -> Report:
    sy = version.schedule_year
    report = check(built.problem, result.schedule)
    Assignment.objects.bulk_create(
        adapters.assignments_for(version, built, result.schedule), batch_size=2000
    )
    fields: dict[str, Any] = dict(
        solver_status=result.status,
        objective=result.objective,
        bound=result.bound,
        gap=result.gap,
        wall_s=result.wall_s,
        costs={"by_rule": adapters.costs_summary(report.costs), "total": report.objective},
        cohorts=built.cohorts,
    )
    if label:
        fields["label"] = label[:120]
    ScheduleVersion.objects.filter(pk=version.pk).update(**fields)
    audit.record(
        actor,
        ev.SOLVED,
        version,
        program=sy.program,
        object_repr=f"{sy} version {version.number}",
        changes={"solver_status": [version.solver_status, result.status]},
        data={
            "job": str(job.pk),
            "objective": result.objective,
            "bound": result.bound,
            "wall_s": round(result.wall_s, 2),
            "violations": len(report.violations),
        },
        note=note
        or f"solved: {result.status}, objective {_fmt(result.objective)}, {result.wall_s:.1f} s",
    )
    return report


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


def do_end_solve(actor: Actor, job: Job, status: str, message: str) -> None:
    """A solve job failed or was cancelled (meded.jobs.lifecycle runs this in the same
    transaction): its draft versions that were waiting for it are marked so, never shown as a
    schedule. No permission check: this is the job's own clean-up, by whoever ended it."""
    cancelled = status == Job.Status.CANCELLED
    solver_status = "cancelled" if cancelled else (job.result or {}).get("solver_status") or status
    for pk in ScheduleVersion.objects.filter(job=job).values_list("pk", flat=True):
        version = lock(
            ScheduleVersion, pk, "schedule_year__program", "schedule_year__academic_year"
        )
        if not version.is_solving:
            continue
        version.solver_status = str(solver_status)[:20]
        version.save(update_fields=["solver_status"])
        sy = version.schedule_year
        audit.record(
            actor,
            ev.SOLVE_CANCELLED if cancelled else ev.SOLVE_FAILED,
            version,
            program=sy.program,
            object_repr=f"{sy} version {version.number}",
            changes={"solver_status": ["queued", version.solver_status]},
            data={"job": str(job.pk)},
            note=message,
        )


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


# --- Configuration: the calendar, the program's rotations and the rules ---------------------
# Editing configuration never changes existing versions; the next solve uses it.

ConfigError = config.ConfigError


def _config_error(message: str) -> ConfigError:
    """A rules message ("requirements[2]: min must be ...") as {path: what is wrong}."""
    path = config.rule_path(message)
    rest = message[len(path) + 1 :].strip() if path else message
    return ConfigError({path or "rules": rest})


def do_update_schedule_year(actor: Actor, sy: ScheduleYear, data: dict[str, Any]) -> ScheduleYear:
    """Change the year's calendar: blocks, block length, start, request window, solve time."""
    _require_editor(actor, sy)
    with transaction.atomic():
        locked = lock(ScheduleYear, sy.pk, "academic_year")
        values = {k: data.get(k, getattr(locked, k)) for k in config.YEAR_FIELDS}
        if errors := config.year_errors(locked, values):
            raise ConfigError(errors)
        old = audit.snapshot(locked, config.YEAR_FIELDS)
        for key, value in values.items():
            setattr(locked, key, value)
        changes = audit.diff(old, audit.snapshot(locked, config.YEAR_FIELDS))
        if changes:
            locked.save(update_fields=list(changes))
            audit.record(
                actor,
                ev.YEAR_CHANGED,
                locked,
                program=sy.program,
                changes=changes,
                note="schedule calendar",
            )
    for key, value in values.items():
        setattr(sy, key, value)
    return sy


def _rotation_values(
    data: dict[str, Any], rotation: Rotation | None, program_id: int
) -> dict[str, Any]:
    if rotation is not None:
        base = {k: getattr(rotation, k) for k in config.ROTATION_FIELDS}
    else:
        top = Rotation.objects.filter(program_id=program_id).aggregate(n=Max("sort_order"))["n"]
        base = {
            "code": "",
            "name": "",
            "category": "",
            "site": "",
            "length": 1,
            "pgys": [],
            "tracks": [],
            "coverage": [],
            "sort_order": 0 if top is None else top + 1,
        }
    values = {k: data[k] if k in data and data[k] is not None else base[k] for k in base}
    for key in ("code", "name", "site"):
        if isinstance(values[key], str):
            values[key] = values[key].strip()
    if isinstance(values["pgys"], list) and all(isinstance(p, int) for p in values["pgys"]):
        values["pgys"] = sorted(set(values["pgys"]))
    return values


def do_save_rotation(
    actor: Actor, sy: ScheduleYear, rotation: Rotation | None, data: dict[str, Any]
) -> Rotation:
    """Add a rotation to the year's program (rotation None) or change one. Fields left out of
    ``data`` keep their values. A new code is carried into the rules of every year of the
    program that name the old one."""
    _require_editor(actor, sy)
    if rotation is not None and rotation.program_id != sy.program_id:
        raise ScheduleError("That rotation belongs to another program.")
    with transaction.atomic():
        if rotation is not None:
            rotation = lock(Rotation, rotation.pk)
        values = _rotation_values(data, rotation, sy.program_id)
        if errors := config.rotation_errors(sy, values, rotation):
            raise ConfigError(errors)
        if rotation is None:
            rotation = Rotation.objects.create(program=sy.program, **values)
            audit.record(
                actor,
                ev.ROTATION_CREATED,
                rotation,
                program=sy.program,
                changes={k: [None, v] for k, v in values.items()},
            )
            return rotation
        old = audit.snapshot(rotation, config.ROTATION_FIELDS)
        for key, value in values.items():
            setattr(rotation, key, value)
        changes = audit.diff(old, audit.snapshot(rotation, config.ROTATION_FIELDS))
        if not changes:
            return rotation
        rotation.save(update_fields=list(changes))
        audit.record(actor, ev.ROTATION_CHANGED, rotation, program=sy.program, changes=changes)
        if "code" in changes:
            _rename_in_rules(actor, sy, old["code"], rotation.code)
    return rotation


def _rename_in_rules(actor: Actor, sy: ScheduleYear, old: str, new: str) -> None:
    years = ScheduleYear.objects.filter(program_id=sy.program_id).order_by("pk")
    for year in years.select_for_update(of=("self",)):
        doc = config.rename_rotation_in_rules(year.rules, old, new)
        if doc == year.rules:
            continue
        changes = audit.diff(year.rules or {}, doc)
        year.rules = doc
        year.save(update_fields=["rules"])
        audit.record(
            actor,
            ev.RULES_CHANGED,
            year,
            program=sy.program,
            changes=changes,
            note=f"rotation {old} renamed {new} in the rules",
        )


def _records_of(rotation: Rotation) -> list[str]:
    """Other records that would go with the rotation ("12 rotation histories"): anything
    pointing at it but assignments (protected) and residents' elective rankings."""
    out = []
    for rel in Rotation._meta.related_objects:
        model = rel.related_model
        if isinstance(model, str) or model in (Assignment, ElectivePreference):
            continue
        n = model._default_manager.filter(**{rel.field.name: rotation}).count()
        if n:
            meta = model._meta
            out.append(f"{n} {meta.verbose_name if n == 1 else meta.verbose_name_plural}")
    return out


def do_delete_rotation(actor: Actor, sy: ScheduleYear, rotation: Rotation) -> None:
    """Delete a rotation no schedule version and no rule uses. Residents' rankings of it go
    with it."""
    _require_editor(actor, sy)
    if rotation.program_id != sy.program_id:
        raise ScheduleError("That rotation belongs to another program.")
    with transaction.atomic():
        used = (
            ScheduleVersion.objects.filter(assignments__rotation=rotation)
            .select_related("schedule_year__academic_year")
            .distinct()
            .order_by("schedule_year__start_date", "number")
        )
        if versions := [f"{v.schedule_year.academic_year} version {v.number}" for v in used]:
            raise ScheduleError(
                f"{rotation.name} cannot be deleted: schedule versions use it "
                f"({', '.join(versions)}). Versions keep their assignments; leave it unused "
                "instead."
            )
        if rules := config.rules_using_rotation(sy.program, rotation.code):
            raise ScheduleError(
                f"{rotation.name} cannot be deleted: rules name it ({', '.join(rules)}). "
                "Change those rules first."
            )
        if records := _records_of(rotation):
            raise ScheduleError(
                f"{rotation.name} cannot be deleted: {', '.join(records)} record it. "
                "Leave it unused instead."
            )
        rankings = ElectivePreference.objects.filter(rotation=rotation).count()
        changes = {
            k: [v, None] for k, v in audit.snapshot(rotation, config.ROTATION_FIELDS).items()
        }
        audit.record(
            actor,
            ev.ROTATION_DELETED,
            rotation,
            program=sy.program,
            changes=changes,
            note=f"with {rankings} elective ranking(s)" if rankings else "",
        )
        rotation.delete()


def _rule_index(items: list[Any], rule_id: str) -> int | None:
    for i, rule in enumerate(items):
        if isinstance(rule, dict) and str(rule.get("id")) == rule_id:
            return i
    return None


def _save_rules(
    actor: Actor, locked: ScheduleYear, doc: dict[str, Any], changes: audit.Changes, note: str
) -> None:
    old = locked.rules
    if problem := config.rules_problem(doc, locked, old=old):
        raise _config_error(problem)
    locked.rules = doc
    locked.save(update_fields=["rules"])
    audit.record(
        actor,
        ev.RULES_CHANGED,
        locked,
        program=locked.program,
        changes=changes,
        object_repr=f"{locked} rules",
        note=note,
    )


def _locked_year(sy: ScheduleYear) -> ScheduleYear:
    return lock(ScheduleYear, sy.pk, "program", "academic_year")


def do_save_rule(
    actor: Actor,
    sy: ScheduleYear,
    kind: str,
    rule: dict[str, Any],
    *,
    old_id: str | None = None,
) -> dict[str, Any]:
    """Add a rule of one kind to the year's rules, or replace the rule ``old_id``. The whole
    document must still be valid (ConfigError names the path otherwise)."""
    _require_editor(actor, sy)
    if kind not in RULE_KINDS:
        raise ScheduleError(f"No kind of rule {kind!r}.")
    with transaction.atomic():
        locked = _locked_year(sy)
        doc = dict(locked.rules or {})
        items = list(doc.get(kind) or [])
        rule_id = str(rule.get("id") or "")
        at = None if old_id is None else _rule_index(items, old_id)
        if old_id is not None and at is None:
            raise ScheduleError(f"There is no rule {old_id!r} any more.")
        clash = _rule_index(items, rule_id)
        if clash is not None and clash != at:
            raise ConfigError({"id": f"Another {config.KIND_SINGULAR[kind]} is {rule_id!r}."})
        before = None if at is None else items[at]
        if at is None:
            items.append(rule)
        else:
            items[at] = rule
        doc[kind] = items
        what = config.KIND_SINGULAR[kind]
        _save_rules(
            actor,
            locked,
            doc,
            {f"{kind}/{rule_id}": [before, rule]},
            f"{what} {rule_id} {'added' if before is None else 'changed'}",
        )
    sy.rules = doc
    return rule


def do_delete_rule(actor: Actor, sy: ScheduleYear, kind: str, rule_id: str) -> None:
    _require_editor(actor, sy)
    if kind not in RULE_KINDS:
        raise ScheduleError(f"No kind of rule {kind!r}.")
    with transaction.atomic():
        locked = _locked_year(sy)
        doc = dict(locked.rules or {})
        items = list(doc.get(kind) or [])
        at = _rule_index(items, rule_id)
        if at is None:
            raise ScheduleError(f"There is no rule {rule_id!r} any more.")
        before = items.pop(at)
        doc[kind] = items
        what = config.KIND_SINGULAR[kind]
        _save_rules(
            actor, locked, doc, {f"{kind}/{rule_id}": [before, None]}, f"{what} {rule_id} deleted"
        )
    sy.rules = doc


def do_set_rules(
    actor: Actor, sy: ScheduleYear, doc: Any, *, keys: list[str] | None = None
) -> dict[str, Any]:
    """Replace the year's whole rules document, or (with ``keys``) only those top-level keys
    of it. Nothing is saved when it is invalid (ConfigError names the path)."""
    _require_editor(actor, sy)
    if not isinstance(doc, dict):
        raise ConfigError({"rules": "The rules are a JSON object."})
    with transaction.atomic():
        locked = _locked_year(sy)
        old = dict(locked.rules or {})
        new = {**old, **{k: doc[k] for k in keys if k in doc}} if keys is not None else doc
        changes = audit.diff(old, new)
        if changes:
            _save_rules(actor, locked, new, changes, "rules edited")
    sy.rules = new
    return new
