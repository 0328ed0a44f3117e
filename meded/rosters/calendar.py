"""A person's PUBLISHED shifts as calendar events (meded.calendars.ical.Event), registered as
a source of every person's feed in meded.rosters.apps (meded.calendars.sources.register).

The UID is the same for the same person on the same shift (template and start), whichever
publishing wrote the row, so a republished roster replaces events instead of copying them; a
shift swapped away disappears from the giver's feed and appears in the taker's."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from meded.calendars.ical import Event
from meded.org.models import Person
from meded.rosters.models import Shift, ShiftKind

UID_DOMAIN = "meded"
PAST = dt.timedelta(days=90)  # a feed carries shifts from three months back on


def shift_uid(person_id: int, shift: Shift) -> str:
    start = shift.start.astimezone(dt.UTC)
    return f"shift-{person_id}-{shift.template_id}-{start:%Y%m%dT%H%MZ}@{UID_DOMAIN}"


def summary(shift: Shift) -> str:
    """ "MICU 24-h call", "Night float", "ID consults at-home call"."""
    return shift.template.name


def shift_event(person_id: int, shift: Shift) -> Event:
    t = shift.template
    rot = t.rotation
    notes = [f"{rot.program.name}: {rot.name}, {t.get_kind_display().lower()} shift."]
    if t.kind == ShiftKind.AT_HOME_CALL:
        notes.append("At-home call: reachable by pager; come in when called.")
    roster = shift.roster
    return Event(
        uid=shift_uid(person_id, shift),
        summary=summary(shift),
        start=shift.start,
        end=shift.end,
        location=rot.site,
        description=" ".join(notes),
        categories=(t.get_kind_display(),),
        stamp=roster.published_at or roster.created_at,
        busy=t.kind != ShiftKind.AT_HOME_CALL,
    )


def published_shifts(person: Person) -> list[Event]:
    """The person's published shifts from three months ago on (one query)."""
    rows = (
        Shift.objects.filter(
            published=True,
            appointment__person_id=person.pk,
            end__gte=timezone.now() - PAST,
        )
        .select_related("template__rotation__program", "roster")
        .order_by("start")
    )
    return [shift_event(person.pk, s) for s in rows]
