"""Writes to the organization. Every function here is atomic, checks permission and writes the
audit log; views, the API, tasks and commands call these, never model.save()."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from meded.audit import log as audit
from meded.audit.models import AuditEntry
from meded.core.locking import lock
from meded.core.spreadsheet import SpreadsheetRefused, check_xlsx
from meded.jobs.models import Job
from meded.org import events as ev
from meded.org import roster
from meded.org.access import can_manage_program
from meded.org.models import (
    AcademicYear,
    Appointment,
    Leave,
    Person,
    Program,
    Site,
    Track,
    TraineeYear,
)
from meded.org.roster import RosterError, RosterFileError, RosterRow

Actor = AbstractBaseUser | AnonymousUser | None

PERSON_FIELDS = [
    "external_id",
    "email",
    "first_name",
    "last_name",
    "preferred_name",
    "degrees",
    "medical_school",
    "npi",
]
APPOINTMENT_FIELDS = ["track", "start_date", "end_date", "status", "continuity_site"]
# Only the columns a file has are applied; these are the optional ones that map to a field.
OPTIONAL_PERSON_COLUMNS = {"preferred_name", "degrees", "medical_school", "npi"}
BATCH = 1000
IMPORT_JOB = "roster_import"
# A job's result keeps at most this many errors (the count is always complete).
MAX_STORED_ERRORS = 1000


@dataclass
class ImportResult:
    file_name: str
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RosterError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    batch: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def summary(self) -> str:
        if self.errors:
            n = len(self.errors)
            return f"{n:,} problem{'s' if n != 1 else ''} found; nothing was changed"
        text = f"{self.created:,} created, {self.updated:,} updated, {self.unchanged:,} unchanged"
        return f"Check only: would be {text}" if self.dry_run else text

    def as_dict(self, max_errors: int = MAX_STORED_ERRORS) -> dict[str, Any]:
        return {
            "file_name": self.file_name,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "error_count": len(self.errors),
            "errors": [e.as_dict() for e in self.errors[:max_errors]],
            "warnings": self.warnings,
            "batch": self.batch,
            "summary": self.summary,
        }


def _noop(_done: int, _total: int, _message: str) -> None:
    return None


def _user(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


def _require_manager(actor: Actor, program: Program, as_system: bool) -> None:
    if as_system:
        return
    if actor is None or not can_manage_program(actor, program):
        raise PermissionDenied("Only the program's director and coordinators can do this.")


def do_import_roster(
    actor: Actor,
    program: Program,
    file_name: str,
    data: bytes,
    *,
    dry_run: bool = False,
    progress: roster.Progress | None = None,
    as_system: bool = False,
    today: dt.date | None = None,
) -> ImportResult:
    """Bring the program's trainee roster in line with a file: all rows or none.

    People match on external id, else e-mail; each person's trainee appointment in the program
    and the PGY of the row's academic year are created or updated, changed fields only. Any
    row error writes nothing and returns every error. Re-importing the same file writes
    nothing, not even audit entries. `as_system` is for the command line only (no user to
    check; the audit log names "system")."""
    _require_manager(actor, program, as_system)
    say = progress or _noop
    today = today or timezone.localdate()
    result = ImportResult(file_name=file_name, dry_run=dry_run)
    if too_big := size_problem(len(data)):
        result.errors.append(RosterError(None, "", too_big))
        return result
    say(0, 0, "Reading the file")
    try:
        table = roster.read_table(file_name, data, progress=say)
    except RosterFileError as e:
        result.errors.append(RosterError(None, "", e.message))
        return result
    result.rows = len(table.rows)
    if table.ignored_columns:
        result.warnings.append(
            "Columns ignored (not part of the roster format): " + ", ".join(table.ignored_columns)
        )
    total = 2 * result.rows
    say(0, total, f"Checking {result.rows:,} rows")
    with transaction.atomic():
        checked = roster.check_table(
            program,
            table,
            today=today,
            progress=lambda done, _t, msg: say(done, total, msg),
        )
        if checked.errors:
            result.errors = checked.errors
            return result
        say(result.rows, total, f"Saving {result.rows:,} rows")
        _apply(
            actor,
            program,
            checked,
            result,
            today=today,
            dry_run=dry_run,
            progress=lambda done, msg: say(result.rows + done, total, msg),
            system=as_system,
        )
    say(total, total, result.summary)
    return result


@dataclass
class _Plan:
    new_people: list[Person] = field(default_factory=list)
    changed_people: dict[int, tuple[Person, audit.Changes]] = field(default_factory=dict)
    new_appts: list[tuple[Appointment, RosterRow]] = field(default_factory=list)
    changed_appts: list[tuple[Appointment, audit.Changes]] = field(default_factory=list)
    new_years: list[tuple[TraineeYear, RosterRow]] = field(default_factory=list)
    changed_years: list[tuple[TraineeYear, audit.Changes]] = field(default_factory=list)


def _label(value: Any) -> Any:
    return str(value) if value is not None and hasattr(value, "pk") else value


def _person_values(r: RosterRow) -> dict[str, Any]:
    values: dict[str, Any] = {
        "email": r.email,
        "first_name": r.first_name,
        "last_name": r.last_name,
    }
    if r.external_id:
        values["external_id"] = r.external_id
    for name in OPTIONAL_PERSON_COLUMNS:
        if name in r.present:
            values[name] = getattr(r, name)
    return values


def _appointment_values(r: RosterRow, existing: Appointment | None) -> dict[str, Any]:
    values: dict[str, Any] = {"track": r.track, "start_date": r.start_date, "end_date": r.end_date}
    if r.status or existing is None:
        values["status"] = r.status or Appointment.Status.ACTIVE
    if "continuity_site" in r.present or existing is None:
        values["continuity_site"] = r.continuity_site
    return values


def _same(old: Any, new: Any) -> bool:
    if hasattr(old, "pk") or hasattr(new, "pk"):
        return getattr(old, "pk", None) == getattr(new, "pk", None)
    if isinstance(old, str) or isinstance(new, str):
        return (old or "") == (new or "")
    return bool(old == new)


def _changes(obj: Any, values: dict[str, Any]) -> audit.Changes:
    """{"field": [old, new]} for the values that differ (foreign keys by their text)."""
    return {
        name: [_label(getattr(obj, name)), _label(new)]
        for name, new in values.items()
        if not _same(getattr(obj, name), new)
    }


def _apply(
    actor: Actor,
    program: Program,
    checked: roster.Checked,
    result: ImportResult,
    *,
    today: dt.date,
    dry_run: bool,
    progress: Any,
    system: bool,
) -> None:
    plan = _Plan()
    # The academic years rows need: made when missing (July-June, AcademicYear.bounds_for).
    years = checked.years
    for r in checked.rows:
        assert r.year_start is not None
        if r.year_start not in years and not dry_run:
            start, end = AcademicYear.bounds_for(r.year_start)
            years[start], _ = AcademicYear.objects.get_or_create(
                start_date=start, defaults={"name": f"{start.year}-{end.year}", "end_date": end}
            )
        r.year = years.get(r.year_start)

    row_state: dict[int, str] = {}
    for r in checked.rows:
        state = "unchanged"
        values = _person_values(r)
        if r.person is None:
            r.person = Person(kind=Person.Kind.TRAINEE, **values)
            plan.new_people.append(r.person)
            state = "created"
        else:
            changes = _changes(r.person, values)
            if changes:
                for name in changes:
                    setattr(r.person, name, values[name])
                plan.changed_people[r.person.pk] = (r.person, changes)
                state = "updated"
        appt_values = _appointment_values(r, r.appointment)
        if r.appointment is None:
            r.appointment = Appointment(
                kind=Appointment.Kind.TRAINEE,
                institution_id=program.institution_id,
                program=program,
                department_id=program.department_id,
                **appt_values,
            )
            plan.new_appts.append((r.appointment, r))
            state = "created"
        else:
            changes = _changes(r.appointment, appt_values)
            if changes:
                for name in changes:
                    setattr(r.appointment, name, appt_values[name])
                plan.changed_appts.append((r.appointment, changes))
                state = state if state == "created" else "updated"
        if r.trainee_year is None:
            ty = TraineeYear(academic_year=r.year, pgy=r.pgy)
            plan.new_years.append((ty, r))
            if state == "unchanged":
                state = "updated"
        elif r.trainee_year.pgy != r.pgy:
            changes = {"pgy": [r.trainee_year.pgy, r.pgy]}
            r.trainee_year.pgy = r.pgy
            plan.changed_years.append((r.trainee_year, changes))
            if state == "unchanged":
                state = "updated"
        row_state[r.row] = state
    for state in row_state.values():
        setattr(result, state, getattr(result, state) + 1)
    if dry_run or not (
        plan.new_people
        or plan.changed_people
        or plan.new_appts
        or plan.changed_appts
        or plan.new_years
        or plan.changed_years
    ):
        return
    _write(actor, program, plan, checked.rows, result, progress, system)


def _write(
    actor: Actor,
    program: Program,
    plan: _Plan,
    rows: list[RosterRow],
    result: ImportResult,
    progress: Any,
    system: bool,
) -> None:
    now = timezone.now()
    batch = uuid.uuid4().hex
    result.batch = batch
    entries: list[AuditEntry] = []
    steps = max(1, len(plan.new_people) + len(plan.new_appts) + len(plan.new_years))
    done = 0

    def tick(n: int, what: str) -> None:
        nonlocal done
        done += n
        progress(min(result.rows, result.rows * done // steps), f"Saving: {what}")

    def create_in_batches(model: Any, objs: list[Any], what: str) -> None:
        """Insert in batches, reporting progress after each."""
        for i in range(0, len(objs), BATCH):
            chunk = objs[i : i + BATCH]
            model.objects.bulk_create(chunk)
            tick(len(chunk), what)

    def entry(event: str, obj: Any, changes: audit.Changes, repr_: str = "") -> None:
        entries.append(
            audit.build(
                actor, event, obj, changes=changes, program=program, batch=batch, object_repr=repr_
            )
        )

    create_in_batches(Person, plan.new_people, "people")
    for p in plan.new_people:
        entry(
            ev.PERSON_CREATED,
            p,
            {
                k: [None, getattr(p, k)]
                for k in [*PERSON_FIELDS, "kind"]
                if getattr(p, k) not in ("", None)
            },
        )
    if plan.changed_people:
        changed_people = [p for p, _ in plan.changed_people.values()]
        names = sorted({n for _, c in plan.changed_people.values() for n in c})
        for p in changed_people:
            p.updated_at = now
        Person.objects.bulk_update(changed_people, [*names, "updated_at"], batch_size=500)
        for p, changes in plan.changed_people.values():
            entry(ev.PERSON_UPDATED, p, changes)

    for appt, r in plan.new_appts:
        assert r.person is not None
        appt.person = r.person
    create_in_batches(Appointment, [a for a, _ in plan.new_appts], "appointments")
    for appt, r in plan.new_appts:
        assert r.person is not None
        entry(
            ev.APPOINTMENT_CREATED,
            appt,
            {
                "person": [None, r.person.full_name],
                "program": [None, program.name],
                "kind": [None, appt.kind],
                "track": [None, _label(appt.track)],
                "start_date": [None, appt.start_date],
                "end_date": [None, appt.end_date],
                "status": [None, appt.status],
                "continuity_site": [None, _label(appt.continuity_site)],
            },
            repr_=f"{r.person.full_name} – Trainee – {program.name}",
        )
    if plan.changed_appts:
        appts = [a for a, _ in plan.changed_appts]
        names = sorted({n for _, c in plan.changed_appts for n in c})
        for a in appts:
            a.updated_at = now
        Appointment.objects.bulk_update(appts, [*names, "updated_at"], batch_size=500)
        person_of = {r.appointment.pk: r.person for r in rows if r.appointment is not None}
        for a, changes in plan.changed_appts:
            who = person_of.get(a.pk)
            entry(
                ev.APPOINTMENT_UPDATED,
                a,
                changes,
                repr_=f"{who.full_name if who else a.person_id} – Trainee – {program.name}",
            )

    for ty, r in plan.new_years:
        assert r.appointment is not None
        ty.appointment = r.appointment
    create_in_batches(TraineeYear, [ty for ty, _ in plan.new_years], "training years")
    for ty, r in plan.new_years:
        assert r.person is not None
        entry(
            ev.TRAINEE_YEAR_CREATED,
            ty,
            {"pgy": [None, ty.pgy], "academic_year": [None, str(r.year)]},
            repr_=f"{r.person.full_name}: PGY-{ty.pgy} {r.year}",
        )
    if plan.changed_years:
        TraineeYear.objects.bulk_update(
            [ty for ty, _ in plan.changed_years], ["pgy"], batch_size=500
        )
        names_by_appt = {r.appointment.pk: r for r in rows if r.appointment is not None}
        for ty, changes in plan.changed_years:
            row = names_by_appt.get(ty.appointment_id)
            name = row.person.full_name if row and row.person else ""
            entry(
                ev.TRAINEE_YEAR_UPDATED,
                ty,
                changes,
                repr_=f"{name}: PGY-{ty.pgy} {row.year if row else ''}".strip(),
            )

    how = " (command line)" if system else ""
    entries.append(
        audit.build(
            actor,
            ev.TRAINEES_IMPORTED,
            program,
            program=program,
            batch=batch,
            changes={
                "created": [None, result.created],
                "updated": [None, result.updated],
                "unchanged": [None, result.unchanged],
            },
            note=f"Roster import {result.file_name}{how}: {result.created} created, "
            f"{result.updated} updated, {result.unchanged} unchanged",
        )
    )
    progress(result.rows, f"Saving: {len(entries):,} audit entries")
    audit.record_many(entries)


# --- Background import and export -------------------------------------------------------------


def size_problem(size: int) -> str | None:
    limit = settings.MEDED_MAX_UPLOAD_BYTES
    if size > limit:
        return (
            f"The file is {size / 1_048_576:.1f} MB; the most allowed is "
            f"{limit / 1_048_576:.0f} MB."
        )
    return None


def check_upload(file_name: str, data: bytes) -> str | None:
    """A quick look at an upload before it is queued: the reason it cannot be a roster, or
    None. (The full reading and checking happen in the job.)"""
    if too_big := size_problem(len(data)):
        return too_big
    try:
        kind = roster.sniff_kind(file_name, data)
        if kind == "xlsx":
            check_xlsx(data)  # a workbook too big to parse is refused before it is queued
    except RosterFileError as e:
        return e.message
    except SpreadsheetRefused as e:
        return e.message
    return None


def do_queue_roster_import(
    actor: Actor, program: Program, file_name: str, data: bytes, *, dry_run: bool = False
) -> Job:
    """A queued Job holding the file (a worker on any machine can run it). The caller
    enqueues it (meded.org.tasks.start_roster_import) after this has committed."""
    _require_manager(actor, program, as_system=False)
    problem = check_upload(file_name, data)
    if problem:
        raise RosterFileError(problem)
    what = "Roster check" if dry_run else "Roster import"
    with transaction.atomic():
        return Job.objects.create(
            kind=IMPORT_JOB,
            title=f"{what}: {file_name} ({program.name})"[:200],
            program=program,
            created_by=_user(actor),
            input_name=file_name[:255],
            input_data=data,
            options={"dry_run": dry_run},
        )


@dataclass
class Export:
    file_name: str
    content_type: str
    content: bytes
    rows: int


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def do_export_roster(
    actor: Actor, program: Program, fmt: str = "csv", *, as_system: bool = False
) -> Export:
    """The roster in the import format; the export is written to the audit log.
    `as_system` is for the command line only."""
    _require_manager(actor, program, as_system)
    if fmt not in CONTENT_TYPES:
        raise ValueError(f"Unknown format {fmt!r}: use csv or xlsx")
    rows = roster.export_rows(program)
    content = roster.write_csv(rows) if fmt == "csv" else roster.write_xlsx(rows, program)
    stamp = timezone.localdate().isoformat()
    how = " (command line)" if as_system else ""
    with transaction.atomic():
        audit.record(
            actor,
            ev.TRAINEES_EXPORTED,
            program,
            program=program,
            note=f"Roster export ({fmt}){how}: {len(rows)} residents",
        )
    return Export(
        file_name=f"{program.slug}-roster-{stamp}.{fmt}",
        content_type=CONTENT_TYPES[fmt],
        content=content,
        rows=len(rows),
    )


def roster_template(fmt: str, program: Program | None = None) -> Export:
    """The empty roster file with every column described (no write, nothing to audit)."""
    if fmt not in CONTENT_TYPES:
        raise ValueError(f"Unknown format {fmt!r}: use csv or xlsx")
    content = roster.write_csv([], notes=True) if fmt == "csv" else roster.write_xlsx([], program)
    return Export(
        file_name=f"roster-template.{fmt}", content_type=CONTENT_TYPES[fmt], content=content, rows=0
    )


TRAINEE_PERSON_FIELDS = [
    "first_name",
    "last_name",
    "preferred_name",
    "degrees",
    "email",
    "npi",
    "medical_school",
]
TRAINEE_APPOINTMENT_FIELDS = ["track", "status", "continuity_site", "start_date", "end_date"]


@dataclass
class TraineeUpdate:
    changed: bool
    entries: int


class StaleEdit(ValueError):
    """The record changed since the form was opened: nothing was saved. ``changes`` is
    {field: [value when the form was opened, value now]}, in words."""

    def __init__(self, changes: dict[str, list[Any]]) -> None:
        self.changes = changes
        what = "; ".join(
            f"{k}: {old or '(blank)'} → {new or '(blank)'}" for k, (old, new) in changes.items()
        )
        super().__init__(
            "Someone else changed this record since you opened it, so nothing was saved "
            f"({what}). Check the values now shown and save again."
        )


def _trainee_year(appt: Appointment, today: dt.date | None) -> tuple[dt.date, dt.date]:
    day = roster.roster_day(appt.start_date, appt.end_date, today or timezone.localdate())
    return AcademicYear.bounds_for(day)


def trainee_snapshot(appointment: Appointment, today: dt.date | None = None) -> dict[str, Any]:
    """The editable values of a trainee as an edit form opens them, JSON-safe (foreign keys
    by id, dates as text): a later save compares the record with it (optimistic locking),
    so a second editor's save never silently undoes the first's."""
    person = appointment.person
    out: dict[str, Any] = {f: getattr(person, f) or "" for f in TRAINEE_PERSON_FIELDS}
    for name in TRAINEE_APPOINTMENT_FIELDS:
        value = getattr(appointment, f"{name}_id" if name in ("track", "continuity_site") else name)
        out[name] = value.isoformat() if isinstance(value, dt.date) else value
    start, _ = _trainee_year(appointment, today)
    out["pgy"] = (
        TraineeYear.objects.filter(appointment=appointment, academic_year__start_date=start)
        .values_list("pgy", flat=True)
        .first()
    )
    return out


def _in_words(name: str, value: Any) -> Any:
    if value is None or value == "":
        return ""
    if name == "track":
        return str(Track.objects.filter(pk=value).first() or value)
    if name == "continuity_site":
        return str(Site.objects.filter(pk=value).first() or value)
    return value


@transaction.atomic
def do_update_trainee(
    actor: Actor,
    appointment: Appointment,
    values: dict[str, Any],
    *,
    base: dict[str, Any] | None = None,
    today: dt.date | None = None,
) -> TraineeUpdate:
    """Change one trainee's person fields, appointment and this year's PGY; audited field by
    field. `values` holds TRAINEE_PERSON_FIELDS, TRAINEE_APPOINTMENT_FIELDS and "pgy".
    ``base`` is the trainee_snapshot the editor started from: when the record has changed
    since, StaleEdit is raised and nothing is written."""
    program = appointment.program
    if program is None or not can_manage_program(actor, program):
        raise PermissionDenied("Only the program's director and coordinators can edit trainees.")
    # Lock both rows (person, then appointment): two saves at once take turns, and the
    # second compares the record with what its editor saw.
    person = lock(Person, appointment.person_id)
    appt = lock(Appointment, appointment.pk)
    appt.person = person
    if base is not None:
        now = trainee_snapshot(appt, today)
        if stale := {
            k: [_in_words(k, base.get(k)), _in_words(k, now.get(k))]
            for k in now
            if k in base and base[k] != now[k]
        }:
            raise StaleEdit(stale)
    batch = uuid.uuid4().hex
    entries: list[AuditEntry] = []

    person_values = {f: values[f] for f in TRAINEE_PERSON_FIELDS if f in values}
    changes = _changes(person, person_values)
    if changes:
        for name in changes:
            setattr(person, name, person_values[name])
        person.save(update_fields=[*changes, "updated_at"])
        entries.append(
            audit.build(
                actor, ev.PERSON_UPDATED, person, changes=changes, program=program, batch=batch
            )
        )

    appt_values = {f: values[f] for f in TRAINEE_APPOINTMENT_FIELDS if f in values}
    changes = _changes(appt, appt_values)
    if changes:
        for name in changes:
            setattr(appt, name, appt_values[name])
        appt.save(update_fields=[*changes, "updated_at"])
        entries.append(
            audit.build(
                actor, ev.APPOINTMENT_UPDATED, appt, changes=changes, program=program, batch=batch
            )
        )

    if "pgy" in values:
        start, end = _trainee_year(appt, today)
        year, _ = AcademicYear.objects.get_or_create(
            start_date=start, defaults={"name": f"{start.year}-{end.year}", "end_date": end}
        )
        ty = TraineeYear.objects.filter(appointment=appt, academic_year=year).first()
        if ty is None:
            ty = TraineeYear.objects.create(appointment=appt, academic_year=year, pgy=values["pgy"])
            entries.append(
                audit.build(
                    actor,
                    ev.TRAINEE_YEAR_CREATED,
                    ty,
                    changes={"pgy": [None, ty.pgy]},
                    program=program,
                    batch=batch,
                )
            )
        elif ty.pgy != values["pgy"]:
            old = ty.pgy
            ty.pgy = values["pgy"]
            ty.save(update_fields=["pgy"])
            entries.append(
                audit.build(
                    actor,
                    ev.TRAINEE_YEAR_UPDATED,
                    ty,
                    changes={"pgy": [old, ty.pgy]},
                    program=program,
                    batch=batch,
                )
            )
    audit.record_many(entries)
    return TraineeUpdate(changed=bool(entries), entries=len(entries))


class LeaveError(ValueError):
    """A leave that cannot be recorded (the message says why)."""


def _require_trainee_manager(actor: Actor, appointment: Appointment) -> Program:
    program = appointment.program
    if (
        appointment.kind != Appointment.Kind.TRAINEE
        or program is None
        or not can_manage_program(actor, program)
    ):
        raise PermissionDenied("Only the program's director and coordinators record leave.")
    return program


@transaction.atomic
def do_add_leave(
    actor: Actor,
    appointment: Appointment,
    *,
    kind: str,
    start_date: dt.date,
    end_date: dt.date,
    note: str = "",
) -> Leave:
    """Record a leave of absence. It must lie within the appointment and not overlap another
    leave of the same appointment (extend that one instead)."""
    program = _require_trainee_manager(actor, appointment)
    if kind not in Leave.Kind.values:
        raise LeaveError(f"Kind: {kind!r} is not one of {', '.join(Leave.Kind.values)}.")
    if end_date < start_date:
        raise LeaveError("End date: the leave ends before it starts.")
    if start_date < appointment.start_date or (
        appointment.end_date is not None and end_date > appointment.end_date
    ):
        raise LeaveError(
            f"Dates: the leave must fall within the appointment "
            f"({appointment.start_date} – {appointment.end_date or 'open'})."
        )
    # Lock the appointment so two coordinators cannot add overlapping leaves at once.
    lock(Appointment, appointment.pk)
    clash = Leave.objects.filter(
        appointment=appointment, start_date__lte=end_date, end_date__gte=start_date
    ).first()
    if clash is not None:
        raise LeaveError(f"Dates: overlaps the leave already recorded ({clash}).")
    leave = Leave.objects.create(
        appointment=appointment,
        kind=kind,
        start_date=start_date,
        end_date=end_date,
        note=note,
        created_by=_user(actor),
    )
    audit.record(
        actor,
        ev.LEAVE_RECORDED,
        leave,
        program=program,
        changes={
            "kind": [None, kind],
            "start_date": [None, start_date.isoformat()],
            "end_date": [None, end_date.isoformat()],
            "note": [None, note],
        },
        object_repr=f"{appointment.person.full_name}: {leave}",
    )
    return leave


@transaction.atomic
def do_delete_leave(actor: Actor, leave: Leave) -> None:
    appointment = leave.appointment
    program = _require_trainee_manager(actor, appointment)
    audit.record(
        actor,
        ev.LEAVE_DELETED,
        leave,
        program=program,
        changes={
            "kind": [leave.kind, None],
            "start_date": [leave.start_date.isoformat(), None],
            "end_date": [leave.end_date.isoformat(), None],
        },
        object_repr=f"{appointment.person.full_name}: {leave}",
    )
    leave.delete()
