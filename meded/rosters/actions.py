"""Writes to call and shift rosters. Every function checks permission, is atomic and writes
the audit log; views, the API and the solve task call these, never model.save().

Edits of a draft are checked at once by the work-hour checker (meded.rosters.checks): an edit
that brings in a violation is refused unless a roster editor (chief resident, coordinator,
director, GME office) keeps it with a written reason, which is stored on the shift and in the
audit log. Swaps are never overridden: one that fails a check is refused (a chief who must
can still edit the roster directly, with a reason)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from meded.audit import log as audit
from meded.core.locking import lock
from meded.jobs import lifecycle
from meded.jobs.models import Job
from meded.org.models import Appointment, Program
from meded.rosters import adapters, checks
from meded.rosters import events as ev
from meded.rosters.access import EDIT_REFUSED, can_edit_roster
from meded.rosters.holidays import parse_lines
from meded.rosters.models import (
    Roster,
    RosterSettings,
    Shift,
    ShiftKind,
    ShiftTemplate,
    SwapRequest,
)
from meded.schedules.models import ScheduleYear

Actor = AbstractBaseUser | AnonymousUser | None
SOLVE_JOB = "roster_solve"


class RosterError(ValueError):
    """A write that cannot be done as asked (the message says why, for the user)."""


@dataclass
class EditRefused(RosterError):
    """An edit that would break work-hour rules; ``check`` lists them."""

    check: checks.CheckResult

    def __str__(self) -> str:
        return "This change breaks work-hour rules: " + "; ".join(self.check.problems)


def _user(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


def _require_editor(actor: Actor, program: Program) -> None:
    if actor is None or not can_edit_roster(actor, program):
        raise PermissionDenied(EDIT_REFUSED)


def describe(shift: Shift) -> str:
    start = shift.start.astimezone(adapters.zone())
    return f"{shift.template.name} {start:%a %b %-d %H:%M}"


# --- Generating and publishing --------------------------------------------------------------


def do_generate(
    actor: Actor, sy: ScheduleYear, block: int, *, time_limit: float | None = None
) -> Roster:
    """Queue the solve of a block's draft roster (run inline by the immediate backend). The
    draft is replaced when the solver finds a roster; the published rows are untouched.
    Every check comes first: a refused generation writes nothing."""
    _require_editor(actor, sy.program)
    if not 0 <= block < sy.n_blocks:
        raise RosterError(f"Block {block + 1} is not in this year.")
    if adapters.published_version(sy) is None:
        raise RosterError("Publish the rotation schedule of this year first.")
    seconds = float(time_limit or adapters.settings_for(sy.program).solve_seconds)
    if not 0 < seconds <= 600:
        raise RosterError("The time limit is between 1 and 600 seconds.")
    with transaction.atomic():
        lock(ScheduleYear, sy.pk)  # two first generations of a block make one roster
        roster = Roster.objects.filter(schedule_year=sy, block=block).first()
        if roster is None:
            roster = Roster.objects.create(schedule_year=sy, block=block)
        else:
            roster = lock(Roster, roster.pk)
        roster.schedule_year = sy
        if roster.is_solving:
            raise RosterError("This roster is being generated already.")
        job = Job.objects.create(
            kind=SOLVE_JOB,
            title=f"Roster of {sy.program.name}, block {block + 1} ({sy.academic_year})",
            created_by=_user(actor),
            program=sy.program,
            total=int(seconds * 10),
            options={"roster": roster.pk, "time_limit": seconds},
        )
        Roster.objects.filter(pk=roster.pk).update(solver_status="queued", job=job)
        audit.record(
            actor,
            ev.GENERATION_QUEUED,
            roster,
            program=sy.program,
            object_repr=str(roster),
            note=f"roster generation started (time limit {seconds:g} s)",
        )
    lifecycle.enqueue(job)
    roster.refresh_from_db()
    return roster


def do_save_generated(
    actor: Actor, job: Job, roster: Roster, rows: list[Shift], status: str, seconds: float
) -> Roster:
    """Replace the block's draft with a generated one (the published rows stay). The worker
    calls this inside the transaction that finishes the job (meded.jobs.lifecycle.finish),
    so a cancelled generation saves nothing. ``actor`` is the job's starter, who must still
    be allowed to edit the roster."""
    program = roster.schedule_year.program
    _require_editor(actor, program)
    locked = lock(Roster, roster.pk)
    if not locked.is_solving or locked.job_id != job.pk:
        raise RosterError("This roster is no longer waiting for this generation.")
    Shift.objects.filter(roster=locked, published=False).delete()
    Shift.objects.bulk_create(rows, batch_size=2000)
    old = locked.solver_status
    locked.solver_status = status
    locked.draft_changed = locked.is_published
    locked.save(update_fields=["solver_status", "draft_changed"])
    audit.record(
        actor,
        ev.GENERATED,
        locked,
        program=program,
        object_repr=str(roster),
        changes={"solver_status": [old, status]},
        data={"job": str(job.pk), "shifts": len(rows), "seconds": round(seconds, 1)},
        note=f"generated: {status}, {len(rows)} shifts in {seconds:.1f} s",
    )
    return locked


def do_end_generation(actor: Actor, job: Job, status: str, message: str) -> None:
    """A generation job failed or was cancelled (meded.jobs.lifecycle runs this in the same
    transaction): the roster stops showing it as being generated; its draft is as it was. No
    permission check: this is the job's own clean-up, by whoever ended it."""
    roster_id = Roster.objects.filter(job=job).values_list("pk", flat=True).first()
    if roster_id is None:
        return
    roster = lock(Roster, roster_id, "schedule_year__program", "schedule_year__academic_year")
    if not roster.is_solving:
        return
    cancelled = status == Job.Status.CANCELLED
    old = roster.solver_status
    roster.solver_status = (
        "cancelled" if cancelled else str((job.result or {}).get("solver_status") or status)
    )[:20]
    roster.save(update_fields=["solver_status"])
    audit.record(
        actor,
        ev.GENERATION_CANCELLED if cancelled else ev.GENERATION_FAILED,
        roster,
        program=roster.schedule_year.program,
        object_repr=str(roster),
        changes={"solver_status": [old, roster.solver_status]},
        data={"job": str(job.pk)},
        note=message,
    )


def _key(s: Shift) -> tuple[int, int, dt.datetime]:
    return (s.template_id, s.appointment_id, s.start)


def do_publish(actor: Actor, roster: Roster) -> Roster:
    """Make the draft the roster everybody sees. Published rows the draft still has are kept
    (open swap requests on them stay); the others go, and open requests on them are
    withdrawn."""
    program = roster.schedule_year.program
    _require_editor(actor, program)
    with transaction.atomic():
        sy = roster.schedule_year
        roster = lock(Roster, roster.pk)
        roster.schedule_year = sy
        if roster.is_solving:
            raise RosterError("This roster is being generated.")
        draft = list(Shift.objects.filter(roster=roster, published=False))
        if not draft:
            raise RosterError("The draft has no shifts to publish.")
        wanted = {_key(s): s for s in draft}
        have = {_key(s): s for s in Shift.objects.filter(roster=roster, published=True)}
        gone = [s for k, s in have.items() if k not in wanted]
        voided = SwapRequest.objects.filter(
            Q(shift__in=gone) | Q(their_shift__in=gone), status__in=SwapRequest.OPEN
        )
        for swap_id in voided.order_by("pk").values_list("pk", flat=True):
            _transition(
                actor,
                swap_id,
                SwapRequest.OPEN,
                SwapRequest.Status.WITHDRAWN,
                ev.SWAP_VOIDED,
                note="The shift changed when the roster was published again.",
            )
        Shift.objects.filter(pk__in=[s.pk for s in gone]).delete()
        Shift.objects.bulk_create(
            Shift(
                roster=roster,
                template_id=s.template_id,
                appointment_id=s.appointment_id,
                start=s.start,
                end=s.end,
                published=True,
                override_reason=s.override_reason,
            )
            for k, s in wanted.items()
            if k not in have
        )
        old = roster.status
        roster.status = Roster.Status.PUBLISHED
        roster.published_at = timezone.now()
        roster.published_by = _user(actor)
        roster.draft_changed = False
        roster.save(update_fields=["status", "published_at", "published_by", "draft_changed"])
        audit.record(
            actor,
            ev.PUBLISHED,
            roster,
            program=program,
            object_repr=str(roster),
            changes={"status": [old, "published"]},
            note=f"published: {len(draft)} shifts ({len(gone)} removed since the last time)",
        )
    return roster


# --- Editing a draft ------------------------------------------------------------------------


def _trainee(program: Program, appointment_id: int) -> Appointment:
    appt = (
        Appointment.objects.select_related("person")
        .filter(pk=appointment_id, program=program, kind=Appointment.Kind.TRAINEE)
        .first()
    )
    if appt is None:
        raise RosterError("No such resident in this program.")
    return appt


def _rotation_warning(roster: Roster, appt: Appointment, template: ShiftTemplate) -> str:
    rot = adapters.rotation_of(roster.schedule_year, appt.pk, roster.first_day)
    if rot is None or rot.pk != template.rotation_id:
        where = rot.name if rot else "no rotation"
        return f"{appt.person.full_name} is on {where} in this block, not {template.rotation.name}."
    return ""


def _decide(result: checks.CheckResult, override_reason: str) -> str:
    reason = override_reason.strip()
    if result.problems and not reason:
        raise EditRefused(result)
    return reason if result.problems else ""


def preview_edit(
    roster: Roster,
    *,
    shift: Shift | None = None,
    appointment_id: int | None = None,
    template: ShiftTemplate | None = None,
    day: dt.date | None = None,
) -> checks.CheckResult:
    """The work-hour check of an edit without making it: reassign ``shift`` to
    ``appointment_id``, remove it (no appointment), or add ``template`` on ``day``."""
    remove: list[Shift] = [shift] if shift is not None else []
    add: list[checks.NewShift] = []
    if appointment_id is not None:
        t = template or (shift.template if shift else None)
        if t is None:
            raise RosterError("Choose a shift.")
        if shift is not None:
            start, end = shift.start, shift.end
        else:
            if day is None:
                raise RosterError("Choose a day.")
            start, end = t.span(day, adapters.zone())
        add.append(checks.NewShift(appointment_id, t, start, end))
    return checks.check_change(remove, add, draft=roster)


def _editable(actor: Actor, roster: Roster) -> Program:
    program = roster.schedule_year.program
    _require_editor(actor, program)
    if roster.is_solving:
        raise RosterError("This roster is being generated.")
    return program


def _lock_editable(roster: Roster) -> None:
    """Inside the edit's transaction: the roster locked and still not being generated (a
    generation saved meanwhile would replace the draft under the edit)."""
    if lock(Roster, roster.pk).is_solving:
        raise RosterError("This roster is being generated.")


def _changed(roster: Roster) -> None:
    if roster.is_published and not roster.draft_changed:
        Roster.objects.filter(pk=roster.pk).update(draft_changed=True)
        roster.draft_changed = True


def do_reassign_shift(
    actor: Actor, shift: Shift, appointment_id: int, *, override_reason: str = ""
) -> tuple[Shift, checks.CheckResult]:
    """Give a draft shift to another resident (checked; see the module notes)."""
    roster = shift.roster
    program = _editable(actor, roster)
    if shift.published:
        raise RosterError("Edit the draft; published shifts change by publishing or swaps.")
    appt = _trainee(program, appointment_id)
    if appt.pk == shift.appointment_id:
        return shift, checks.CheckResult()
    result = preview_edit(roster, shift=shift, appointment_id=appt.pk)
    if warning := _rotation_warning(roster, appt, shift.template):
        result.warnings.insert(0, warning)
    reason = _decide(result, override_reason)
    with transaction.atomic():
        _lock_editable(roster)
        old = shift.appointment.person.full_name
        shift.appointment = appt
        shift.override_reason = reason
        shift.save(update_fields=["appointment", "override_reason"])
        _changed(roster)
        audit.record(
            actor,
            ev.SHIFT_REASSIGNED,
            shift,
            program=program,
            object_repr=f"{describe(shift)} ({roster})",
            changes={"resident": [old, appt.person.full_name]},
            note=_note(reason, result),
        )
    return shift, result


def _note(reason: str, result: checks.CheckResult) -> str:
    if not reason:
        return ""
    return f"kept despite {len(result.problems)} work-hour violation(s): {reason}"


def do_remove_shift(actor: Actor, shift: Shift) -> checks.CheckResult:
    """Take a draft shift off the roster (a coverage shortfall is shown, not refused)."""
    roster = shift.roster
    program = _editable(actor, roster)
    if shift.published:
        raise RosterError("Edit the draft; published shifts change by publishing or swaps.")
    with transaction.atomic():
        _lock_editable(roster)
        audit.record(
            actor,
            ev.SHIFT_REMOVED,
            shift,
            program=program,
            object_repr=f"{describe(shift)} ({roster})",
            changes={"resident": [shift.appointment.person.full_name, None]},
        )
        shift.delete()
        _changed(roster)
    return checks.CheckResult()


def do_add_shift(
    actor: Actor,
    roster: Roster,
    appointment_id: int,
    template: ShiftTemplate,
    day: dt.date,
    *,
    override_reason: str = "",
) -> tuple[Shift, checks.CheckResult]:
    """Add a shift to the draft (checked; see the module notes)."""
    program = _editable(actor, roster)
    if template.rotation.program_id != program.pk:
        raise RosterError("That shift belongs to another program.")
    if not roster.first_day <= day <= roster.last_day:
        raise RosterError("That day is not in this block.")
    appt = _trainee(program, appointment_id)
    start, end = template.span(day, adapters.zone())
    if Shift.objects.filter(
        roster=roster, published=False, template=template, appointment=appt, start=start
    ).exists():
        raise RosterError(f"{appt.person.full_name} already works that shift.")
    result = preview_edit(roster, appointment_id=appt.pk, template=template, day=day)
    if warning := _rotation_warning(roster, appt, template):
        result.warnings.insert(0, warning)
    reason = _decide(result, override_reason)
    with transaction.atomic():
        _lock_editable(roster)
        shift = Shift.objects.create(
            roster=roster,
            template=template,
            appointment=appt,
            start=start,
            end=end,
            published=False,
            override_reason=reason,
        )
        _changed(roster)
        audit.record(
            actor,
            ev.SHIFT_ADDED,
            shift,
            program=program,
            object_repr=f"{describe(shift)} ({roster})",
            changes={"resident": [None, appt.person.full_name]},
            note=_note(reason, result),
        )
    return shift, result


# --- Swaps ----------------------------------------------------------------------------------


def _own(actor: Actor, appointment: Appointment) -> None:
    person = getattr(actor, "person", None) if actor is not None else None
    if (
        actor is None
        or not actor.is_authenticated
        or person is None
        or person.pk != appointment.person_id
    ):
        raise PermissionDenied("Only the resident concerned can do this.")


def do_propose_swap(
    actor: Actor,
    shift: Shift,
    to_appointment_id: int,
    *,
    their_shift: Shift | None = None,
    note: str = "",
) -> SwapRequest:
    """A resident offers their own published shift to another resident of the program: a
    give-away, or a swap for ``their_shift`` (one of the other resident's shifts)."""
    if not shift.published:
        raise RosterError("Only published shifts can be swapped.")
    _own(actor, shift.appointment)
    program = shift.roster.schedule_year.program
    if shift.start <= timezone.now():
        raise RosterError("That shift has started already.")
    to = _trainee(program, to_appointment_id)
    if to.pk == shift.appointment_id:
        raise RosterError("Choose another resident.")
    if their_shift is not None:
        if not their_shift.published or their_shift.appointment_id != to.pk:
            raise RosterError("The shift asked in return is not that resident's.")
        if their_shift.start <= timezone.now():
            raise RosterError("The shift asked in return has started already.")
    if SwapRequest.objects.filter(shift=shift, status__in=SwapRequest.OPEN).exists():
        raise RosterError("This shift is offered already.")
    kind = SwapRequest.Kind.SWAP if their_shift is not None else SwapRequest.Kind.GIVE_AWAY
    summary = describe(shift)
    if their_shift is not None:
        summary += f" for {describe(their_shift)}"
    with transaction.atomic():
        swap = SwapRequest.objects.create(
            program=program,
            kind=kind,
            from_appointment=shift.appointment,
            to_appointment=to,
            shift=shift,
            their_shift=their_shift,
            summary=summary[:300],
            note=note[:300],
            created_by=_user(actor),
        )
        audit.record(
            actor,
            ev.SWAP_PROPOSED,
            swap,
            program=program,
            object_repr=f"{swap.get_kind_display()}: {summary} → {to.person.full_name}"[:300],
        )
    return swap


def check_swap(swap: SwapRequest) -> dict[str, Any]:
    """Coverage, eligibility and the work-hour rules for both residents, as stored on the
    request: {"ok", "problems", "warnings", "checked_at"}."""
    problems: list[str] = []
    warnings: list[str] = []
    shift, theirs = swap.shift, swap.their_shift
    giver, taker = swap.from_appointment, swap.to_appointment
    if shift is None or not shift.published or shift.appointment_id != giver.pk:
        problems.append("The offered shift is no longer on the published roster as it was.")
    if swap.kind == SwapRequest.Kind.SWAP and (
        theirs is None or not theirs.published or theirs.appointment_id != taker.pk
    ):
        problems.append("The shift asked in return is no longer on the published roster.")
    if problems:
        return _checked(problems, warnings)
    assert shift is not None
    moves: list[tuple[Shift, Appointment]] = [(shift, taker)]
    if theirs is not None:
        moves.append((theirs, giver))
    now = timezone.now()
    for s, who in moves:
        name, what = who.person.full_name, describe(s)
        if s.start <= now:
            problems.append(f"{what} has started already.")
        rot = adapters.rotation_of(s.roster.schedule_year, who.pk, s.local_day(adapters.zone()))
        if rot is None or rot.pk != s.template.rotation_id:
            problems.append(
                f"{name} is not on {s.template.rotation.name} that day, so cannot work {what}."
            )
        day = s.local_day(adapters.zone())
        if adapters.leave_days([who.pk], day, day).get(who.pk):
            problems.append(f"{name} is on leave on {day:%a %b %-d}.")
        others = Shift.objects.filter(
            published=True, appointment=who, start__lt=s.end, end__gt=s.start
        ).exclude(pk__in=[m.pk for m, _ in moves])
        if others.exists():
            problems.append(f"{name} already works at that time ({describe(others[0])}).")
        on_it = Shift.objects.filter(published=True, template=s.template, start=s.start)
        after = on_it.exclude(pk=s.pk).exclude(appointment=who).count() + 1
        if after < s.template.cover_min:
            problems.append(
                f"{what} would have {after} resident(s), below its minimum of "
                f"{s.template.cover_min}."
            )
    result = checks.check_change(
        remove=[s for s, _ in moves],
        add=[checks.NewShift(who.pk, s.template, s.start, s.end) for s, who in moves],
    )
    problems += result.problems
    warnings += result.warnings
    return _checked(problems, warnings)


def _checked(problems: list[str], warnings: list[str]) -> dict[str, Any]:
    return {
        "ok": not problems,
        "problems": problems,
        "warnings": warnings,
        "checked_at": timezone.now().isoformat(),
    }


def _apply_swap(actor: Actor, swap: SwapRequest) -> None:
    """Move the published shifts (and their draft twins) to their new residents."""
    assert swap.shift is not None
    moves = [(swap.shift, swap.to_appointment)]
    if swap.their_shift is not None:
        moves.append((swap.their_shift, swap.from_appointment))
    for s, who in moves:
        twin = Shift.objects.filter(
            roster=s.roster,
            published=False,
            template=s.template,
            appointment_id=s.appointment_id,
            start=s.start,
        )
        twin.update(appointment=who)
        old = s.appointment.person.full_name
        s.appointment = who
        s.save(update_fields=["appointment"])
        audit.record(
            actor,
            ev.SHIFT_SWAPPED,
            s,
            program=swap.program,
            object_repr=f"{describe(s)} ({s.roster})",
            changes={"resident": [old, who.person.full_name]},
            note=f"swap request {swap.pk} approved",
        )


# The one place a swap request changes status: ``_transition`` locks the request, re-reads
# its status and refuses unless it is one the change may leave, so two decisions made at once
# cannot both win (approved and declined, or withdrawn while the shift moves).
NOT_WAITING = {
    SwapRequest.Status.PROPOSED: "This request is not waiting for you.",
    SwapRequest.Status.PENDING: "Only an accepted request waiting for approval can be decided.",
}


def _locked_swap(swap_id: int) -> SwapRequest:
    """The request and its shifts, locked in that order (meded.core.locking), read after the
    locks so the checks see what another approval just committed."""
    swap = lock(
        SwapRequest, swap_id, "program", "from_appointment__person", "to_appointment__person"
    )
    shift_ids = sorted(pk for pk in (swap.shift_id, swap.their_shift_id) if pk is not None)
    shifts = {
        pk: lock(Shift, pk, "roster__schedule_year", "template__rotation") for pk in shift_ids
    }
    swap.shift = shifts.get(swap.shift_id) if swap.shift_id else None
    swap.their_shift = shifts.get(swap.their_shift_id) if swap.their_shift_id else None
    return swap


def _transition(
    actor: Actor,
    given: SwapRequest | int,
    allowed: tuple[str, ...],
    to: str,
    event: str,
    *,
    refused: str = "This request is decided already.",
    note: str = "",
    decided: bool = False,
    work: Any = None,
) -> SwapRequest:
    """Move request ``swap_id`` from one of ``allowed`` to ``to``, audited as ``event``.
    ``work(locked)`` runs first, under the locks: it may refuse (raise) or change ``to`` by
    returning another status and event (auto-approval). The request passed in is updated
    too."""
    with transaction.atomic():
        swap = _locked_swap(given if isinstance(given, int) else given.pk)
        if swap.status not in allowed:
            raise RosterError(refused)
        old = swap.status
        if work is not None:
            changed = work(swap)
            if changed is not None:
                to, event = changed
        swap.status = to
        if decided:
            swap.decided_by = _user(actor)
            swap.decided_at = timezone.now()
        if note:
            swap.decision_note = note[:300]
        swap.save()
        audit.record(
            actor,
            event,
            swap,
            program=swap.program,
            changes={"status": [old, to]},
            data={"kind": swap.kind, "shift": swap.shift_id, "their_shift": swap.their_shift_id},
            note=note,
        )
    if isinstance(given, SwapRequest):
        for name in SWAP_DECISION_FIELDS:
            setattr(given, name, getattr(swap, name))
    return swap


SWAP_DECISION_FIELDS = (
    "status",
    "check_result",
    "accepted_at",
    "decided_by",
    "decided_at",
    "decision_note",
)


def _not_own(actor: Actor, swap: SwapRequest) -> None:
    """Nobody approves a swap they are part of: a chief's own give-away needs another
    approver."""
    person_id = getattr(getattr(actor, "person", None), "pk", None)
    if person_id is not None and person_id in (
        swap.from_appointment.person_id,
        swap.to_appointment.person_id,
    ):
        raise PermissionDenied(
            "You cannot approve or reject a swap of your own; another chief resident or the "
            "program's leadership must."
        )


def do_respond_swap(actor: Actor, swap: SwapRequest, accept: bool) -> SwapRequest:
    """The other resident accepts (the checks run; the request waits for approval, or is
    approved at once when the program auto-approves clean swaps) or declines."""
    _own(actor, swap.to_appointment)
    waiting = (SwapRequest.Status.PROPOSED,)
    if not accept:
        return _transition(
            actor,
            swap,
            waiting,
            SwapRequest.Status.DECLINED,
            ev.SWAP_DECLINED,
            refused=NOT_WAITING[SwapRequest.Status.PROPOSED],
            note="declined by the other resident",
            decided=True,
        )

    def accept_it(locked: SwapRequest) -> tuple[str, str] | None:
        locked.check_result = check_swap(locked)
        locked.accepted_at = timezone.now()
        auto = adapters.settings_for(locked.program).auto_approve_clean_swaps
        if auto and locked.check_result["ok"]:
            _apply_swap(actor, locked)
            locked.decided_at = timezone.now()
            locked.decision_note = "approved automatically: every check is clean"
            return SwapRequest.Status.AUTO_APPROVED, ev.SWAP_AUTO_APPROVED
        return None

    return _transition(
        actor,
        swap,
        waiting,
        SwapRequest.Status.PENDING,
        ev.SWAP_ACCEPTED,
        refused=NOT_WAITING[SwapRequest.Status.PROPOSED],
        work=accept_it,
    )


def do_decide_swap(actor: Actor, swap: SwapRequest, approve: bool, note: str = "") -> SwapRequest:
    """A chief or coordinator approves an accepted request (the checks run again and must
    be clean) or rejects it; never one they are part of."""
    _require_editor(actor, swap.program)
    _not_own(actor, swap)
    pending = (SwapRequest.Status.PENDING,)
    refused = NOT_WAITING[SwapRequest.Status.PENDING]
    if not approve:
        return _transition(
            actor,
            swap,
            pending,
            SwapRequest.Status.DECLINED,
            ev.SWAP_REJECTED,
            refused=refused,
            note=note,
            decided=True,
        )

    def approve_it(locked: SwapRequest) -> None:
        locked.check_result = check_swap(locked)
        if not locked.check_result["ok"]:
            raise SwapRefused(locked.check_result)
        _apply_swap(actor, locked)

    try:
        return _transition(
            actor,
            swap,
            pending,
            SwapRequest.Status.APPROVED,
            ev.SWAP_APPROVED,
            refused=refused,
            note=note,
            decided=True,
            work=approve_it,
        )
    except SwapRefused as e:
        # Keep what the checks found on the request, for the approver to read.
        SwapRequest.objects.filter(pk=swap.pk, status=SwapRequest.Status.PENDING).update(
            check_result=e.check_result
        )
        raise


class SwapRefused(RosterError):
    """An approval refused by the checks (the problems are in ``check_result``)."""

    def __init__(self, check_result: dict[str, Any]) -> None:
        super().__init__("This swap cannot be approved: " + "; ".join(check_result["problems"]))
        self.check_result = check_result


def do_withdraw_swap(actor: Actor, swap: SwapRequest) -> SwapRequest:
    """The resident who offered the shift takes the offer back, while it is undecided."""
    _own(actor, swap.from_appointment)
    return _transition(
        actor, swap, SwapRequest.OPEN, SwapRequest.Status.WITHDRAWN, ev.SWAP_WITHDRAWN
    )


SWAP_DECISIONS = ("accept", "decline", "approve", "reject", "withdraw")


def do_swap_decision(actor: Actor, swap: SwapRequest, decision: str, note: str = "") -> SwapRequest:
    """One of SWAP_DECISIONS by its name, for the screen and the API alike: the other
    resident accepts or declines, a chief approves or rejects, the proposer withdraws."""
    if decision in ("accept", "decline"):
        return do_respond_swap(actor, swap, decision == "accept")
    if decision in ("approve", "reject"):
        return do_decide_swap(actor, swap, decision == "approve", note)
    if decision == "withdraw":
        return do_withdraw_swap(actor, swap)
    raise RosterError(f"Decision: one of {', '.join(SWAP_DECISIONS)}.")


# --- Settings and templates -----------------------------------------------------------------


def do_save_settings(actor: Actor, program: Program, data: dict[str, Any]) -> RosterSettings:
    """Auto-approval, the meal credit, the kinds that earn one, the solve time and the
    holidays of listed years ({"holidays": {"2026": "YYYY-MM-DD Name\\n..."}})."""
    _require_editor(actor, program)
    rs = adapters.settings_for(program)
    before = audit.snapshot(
        rs, ["auto_approve_clean_swaps", "meal_credit", "meal_kinds", "solve_seconds"]
    )
    if "auto_approve_clean_swaps" in data:
        rs.auto_approve_clean_swaps = bool(data["auto_approve_clean_swaps"])
    if "meal_credit" in data:
        try:
            credit = Decimal(str(data["meal_credit"]))
        except InvalidOperation:
            raise RosterError("The meal credit is an amount such as 10.00.") from None
        if not credit.is_finite():  # NaN cannot be compared
            raise RosterError("The meal credit is an amount such as 10.00.")
        if not Decimal(0) <= credit <= Decimal(1000):
            raise RosterError("The meal credit is between 0 and 1000.")
        rs.meal_credit = credit.quantize(Decimal("0.01"))
    if "meal_kinds" in data:
        kinds = [str(k) for k in data["meal_kinds"]]
        if bad := [k for k in kinds if k not in ShiftKind.values]:
            raise RosterError(f"Unknown shift kind {bad[0]!r}.")
        rs.meal_kinds = kinds
    if "solve_seconds" in data:
        try:
            seconds = int(data["solve_seconds"])
        except (TypeError, ValueError):
            raise RosterError("The solve time is a whole number of seconds.") from None
        if not 1 <= seconds <= 600:
            raise RosterError("The solve time is between 1 and 600 seconds.")
        rs.solve_seconds = seconds
    holidays = dict(rs.holidays or {})
    for year, text in (data.get("holidays") or {}).items():
        try:
            parsed = parse_lines(text)
        except ValueError as e:
            raise RosterError(f"Holidays of {year}: {e}") from None
        if any(d.year != int(year) for d, _ in parsed):
            raise RosterError(f"Holidays of {year}: every date is in {year}.")
        holidays[str(year)] = [[d.isoformat(), name] for d, name in parsed]
    rs.holidays = holidays
    with transaction.atomic():
        if rs.pk is None:  # the first change: the defaults become a row
            lock(Program, program.pk)
            rs.pk = (
                RosterSettings.objects.filter(program=program).values_list("pk", flat=True).first()
            )
        rs.save()
        after = audit.snapshot(
            rs, ["auto_approve_clean_swaps", "meal_credit", "meal_kinds", "solve_seconds"]
        )
        audit.record(
            actor,
            ev.SETTINGS_CHANGED,
            rs,
            program=program,
            changes=audit.diff(before, after),
            note="holidays edited" if data.get("holidays") else "",
        )
    return rs


TEMPLATE_FIELDS = (
    "name",
    "kind",
    "start_time",
    "length_minutes",
    "weekdays",
    "holidays",
    "cover_min",
    "cover_target",
    "cover_max",
    "in_house_call",
    "night",
    "active",
    "sort_order",
)


def do_save_template(actor: Actor, rotation: Any, code: str, data: dict[str, Any]) -> ShiftTemplate:
    """Create or change the template ``code`` of a rotation (fields left out keep theirs)."""
    _require_editor(actor, rotation.program)
    t = ShiftTemplate.objects.filter(rotation=rotation, code=code).first()
    created = t is None
    if t is None:
        t = ShiftTemplate(rotation=rotation, code=code)
    before = {} if created else audit.snapshot(t, TEMPLATE_FIELDS)
    for name in TEMPLATE_FIELDS:
        if name in data:
            setattr(t, name, data[name])
    from django.core.exceptions import ValidationError

    try:
        t.full_clean(exclude=["rotation"])
    except ValidationError as e:
        raise RosterError(
            "; ".join(f"{k}: {' '.join(v)}" for k, v in e.message_dict.items())
        ) from None
    with transaction.atomic():
        t.save()
        audit.record(
            actor,
            ev.TEMPLATE_CREATED if created else ev.TEMPLATE_CHANGED,
            t,
            program=rotation.program,
            object_repr=f"{rotation.name}: {t.name}",
            changes=audit.diff(before, audit.snapshot(t, TEMPLATE_FIELDS)),
        )
    return t
