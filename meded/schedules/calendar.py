"""A resident's published rotation blocks as calendar events: one all-day event per stint.
Registered as a source of every person's feed in meded.schedules.apps
(meded.calendars.sources.register); the schedule's ICS export uses rotation_events too."""

from __future__ import annotations

import datetime as dt

from meded.calendars.ical import Event
from meded.calendars.sources import UID_DOMAIN
from meded.org.models import Person
from meded.schedules.grid import stints
from meded.schedules.models import Assignment, Rotation, ScheduleVersion, ScheduleYear


def rotation_uid(person_id: int, rotation: Rotation, start: dt.date) -> str:
    """The same person on the same rotation from the same day is the same event, whichever
    version published it: a new version replaces the event instead of adding a copy."""
    return f"rotation-{person_id}-{rotation.pk}-{start:%Y%m%d}@{UID_DOMAIN}"


def rotation_events(
    person_id: int, sy: ScheduleYear, version: ScheduleVersion, row: list[Rotation | None]
) -> list[Event]:
    """One all-day event per stint (a run of blocks on one rotation) of a resident's row."""
    stamp = version.published_at or version.created_at
    program, year = sy.program.name, sy.academic_year
    out = []
    for rot, first, last in stints(sy, row):
        start = sy.block_start(first)
        blocks = f"block {first + 1}" if first == last else f"blocks {first + 1}–{last + 1}"
        out.append(
            Event(
                uid=rotation_uid(person_id, rot, start),
                summary=rot.name,
                start=start,
                end=sy.block_end(last) + dt.timedelta(days=1),  # DTEND of a date is exclusive
                location=rot.site,
                description=f"{program}: {rot.name} ({rot.code}), {blocks} of {year}.",
                categories=(rot.get_category_display(),),
                stamp=stamp,
                sequence=version.number,
            )
        )
    return out


def published_rotations(person: Person) -> list[Event]:
    """The person's rotation blocks in every published schedule version (one query)."""
    cells = (
        Assignment.objects.filter(
            appointment__person=person, version__status=ScheduleVersion.Status.PUBLISHED
        )
        .select_related(
            "rotation",
            "version__schedule_year__program",
            "version__schedule_year__academic_year",
        )
        .order_by("version_id", "appointment_id", "block")
    )
    rows: dict[tuple[int, int], list[Rotation | None]] = {}
    versions: dict[int, ScheduleVersion] = {}
    for cell in cells:
        version = versions.setdefault(cell.version_id, cell.version)
        sy = version.schedule_year
        row = rows.setdefault((cell.version_id, cell.appointment_id), [None] * sy.n_blocks)
        if 0 <= cell.block < sy.n_blocks:
            row[cell.block] = cell.rotation
    out: list[Event] = []
    for (version_id, _appt), row in rows.items():
        version = versions[version_id]
        out += rotation_events(person.pk, version.schedule_year, version, row)
    return out
