"""Checking a roster change with the ACGME work-hour checker (meded.engine.workhours).

A change (shifts taken away, shifts added) is checked for every person it touches over the
four weeks on either side of it: their shifts (the draft of the roster being edited, the
published rows of every other roster), their leave, their rotation calendar from the
published schedule (W1 averages by rotation) and their PGY. Findings the change brings in
(present after, not before) are its problems; violations that were there already are
listed apart. At-home call counts only when activated, so scheduled at-home call is not an
interval here."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from meded.engine.workhours import (
    CURRENT,
    Finding,
    Interval,
    Kind,
    check_person,
)
from meded.engine.workhours import (
    Rotation as WorkRotation,
)
from meded.org.models import Appointment, Leave, TraineeYear
from meded.rosters.adapters import published_version, zone
from meded.rosters.models import Roster, Shift, ShiftKind, ShiftTemplate
from meded.schedules.grid import stints
from meded.schedules.models import Assignment, Rotation, ScheduleYear

AROUND = dt.timedelta(days=28)


@dataclass(frozen=True)
class NewShift:
    """A shift that does not exist yet (an edit's or a swap's)."""

    appointment_id: int
    template: ShiftTemplate
    start: dt.datetime
    end: dt.datetime


@dataclass
class CheckResult:
    """What a change does to the work-hour rules, in words."""

    problems: list[str] = field(default_factory=list)  # new violations: they block the change
    warnings: list[str] = field(default_factory=list)  # new warnings
    existing: list[str] = field(default_factory=list)  # violations there before the change

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, list[str]]:
        return {"problems": self.problems, "warnings": self.warnings, "existing": self.existing}


def kind_of(t: ShiftTemplate) -> Kind | None:
    if t.kind == ShiftKind.AT_HOME_CALL:
        return None
    if t.in_house_call or t.kind == ShiftKind.IN_HOUSE_CALL:
        return Kind.IN_HOUSE_CALL
    return Kind.IN_HOUSE


def shifts_of(
    appointment_ids: Iterable[int], lo: dt.datetime, hi: dt.datetime, draft: Roster | None = None
) -> dict[int, list[Shift]]:
    """Each person's shifts overlapping [lo, hi): published rows, except that the roster
    ``draft`` (when given) counts with its draft rows."""
    q = Q(published=True)
    if draft is not None:
        q = (Q(published=True) & ~Q(roster=draft)) | Q(roster=draft, published=False)
    out: dict[int, list[Shift]] = defaultdict(list)
    for s in Shift.objects.filter(
        q, appointment_id__in=list(appointment_ids), start__lt=hi, end__gt=lo
    ).select_related("template"):
        out[s.appointment_id].append(s)
    return out


def _calendar(
    appt: Appointment, lo: dt.date, hi: dt.date
) -> tuple[list[WorkRotation], int | None, list[Interval]]:
    """The person's rotations (published schedules), PGY and leave around [lo, hi]."""
    rotations: list[WorkRotation] = []
    pgy = None
    if appt.program_id is None:
        return rotations, pgy, []
    for sy in ScheduleYear.objects.filter(program_id=appt.program_id).select_related(
        "academic_year"
    ):
        if sy.block_end(sy.n_blocks - 1) < lo or sy.start_date > hi:
            continue
        version = published_version(sy)
        if version is not None:
            by_block = {
                a.block: a.rotation
                for a in Assignment.objects.filter(
                    version=version, appointment=appt
                ).select_related("rotation")
            }
            row: list[Rotation | None] = [by_block.get(b) for b in sy.blocks]
            for rot, b1, b2 in stints(sy, row):
                rotations.append(WorkRotation(rot.name, sy.block_start(b1), sy.block_end(b2)))
        year = TraineeYear.objects.filter(appointment=appt, academic_year=sy.academic_year).first()
        if year is not None:
            pgy = year.pgy
    z = zone()
    leave = []
    for start, end in Leave.objects.filter(
        appointment=appt, start_date__lte=hi, end_date__gte=lo
    ).values_list("start_date", "end_date"):
        leave.append(
            Interval(
                dt.datetime.combine(start, dt.time(0), tzinfo=z),
                dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=z),
                Kind.LEAVE,
            )
        )
    return rotations, pgy, leave


def intervals(shifts: Iterable[Shift | NewShift], leave: Sequence[Interval] = ()) -> list[Interval]:
    out = list(leave)
    for s in shifts:
        kind = kind_of(s.template)
        if kind is not None:
            out.append(Interval(s.start, s.end, kind))
    return out


def _key(f: Finding) -> tuple[Any, ...]:
    return (f.rule, f.severity, f.start, f.end, f.value)


def _words(name: str, f: Finding) -> str:
    when = f.start.astimezone(zone())
    return f"{name}: {f.rule} — {f.message} (from {when:%a %b %-d %H:%M})"


def check_change(
    remove: Sequence[Shift] = (),
    add: Sequence[NewShift] = (),
    draft: Roster | None = None,
) -> CheckResult:
    """The work-hour findings a change brings in, for everyone it touches."""
    people = {s.appointment_id for s in remove} | {s.appointment_id for s in add}
    if not people:
        return CheckResult()
    changed: list[Shift | NewShift] = [*remove, *add]
    starts = [s.start for s in changed]
    ends = [s.end for s in changed]
    lo, hi = min(starts) - AROUND, max(ends) + AROUND
    current = shifts_of(people, lo, hi, draft)
    removed = {s.pk for s in remove}
    result = CheckResult()
    appts = Appointment.objects.filter(pk__in=people).select_related("person")
    for appt in sorted(appts, key=lambda a: a.person.sort_name):
        rotations, pgy, leave = _calendar(appt, lo.date(), hi.date())
        now = current.get(appt.pk, [])
        after_shifts: list[Shift | NewShift] = [s for s in now if s.pk not in removed]
        after_shifts += [s for s in add if s.appointment_id == appt.pk]
        before = check_person(intervals(now, leave), rotations, pgy, CURRENT)
        after = check_person(intervals(after_shifts, leave), rotations, pgy, CURRENT)
        seen = {_key(f) for f in before}
        name = appt.person.full_name
        for f in after:
            if _key(f) in seen:
                if f.is_violation:
                    result.existing.append(_words(name, f))
            elif f.is_violation:
                result.problems.append(_words(name, f))
            else:
                result.warnings.append(_words(name, f))
    return result


def check_roster(roster: Roster, published: bool) -> list[str]:
    """Every work-hour violation of the roster's residents over the block (and the four
    weeks before it, where the boundary rules reach), in words."""
    z = zone()
    lo = dt.datetime.combine(roster.first_day, dt.time(0), tzinfo=z)
    hi = dt.datetime.combine(roster.last_day + dt.timedelta(days=1), dt.time(0), tzinfo=z)
    people = set(
        Shift.objects.filter(roster=roster, published=published).values_list(
            "appointment_id", flat=True
        )
    )
    if not people:
        return []
    current = shifts_of(
        people, lo - AROUND, hi + dt.timedelta(days=1), None if published else roster
    )
    out = []
    for appt in Appointment.objects.filter(pk__in=people).select_related("person"):
        rotations, pgy, leave = _calendar(appt, (lo - AROUND).date(), hi.date())
        for f in check_person(intervals(current.get(appt.pk, []), leave), rotations, pgy):
            if f.is_violation and f.end > lo and f.start < hi:
                out.append(_words(appt.person.full_name, f))
    return sorted(out)
