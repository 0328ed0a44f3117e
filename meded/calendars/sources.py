"""Where a person's calendar events come from.

A source is a function ``person -> iterable of ical.Event`` that returns only what may be
published to whoever holds the person's feed token (never drafts). The feed is the union of
SOURCES; each app adds its events (meded.schedules.calendar: rotation blocks,
meded.rosters.calendar: shifts) from its AppConfig.ready, with::

    from meded.calendars.sources import register

    @register
    def call_shifts(person: Person) -> list[Event]: ...

Keep each source to a fixed number of queries: a calendar app polls every feed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from meded.calendars.ical import Event
from meded.org.models import Person

Source = Callable[[Person], Iterable[Event]]
UID_DOMAIN = "meded"

SOURCES: list[Source] = []


def register(source: Source) -> Source:
    """Add a source to every person's feed (a decorator; registering twice is a no-op)."""
    if source not in SOURCES:
        SOURCES.append(source)
    return source


def day_of(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def events_for(person: Person) -> list[Event]:
    """Every source's events for the person, by start then UID (a stable order); a UID
    two sources both return is kept once."""
    events: dict[str, Event] = {}
    for source in SOURCES:
        for event in source(person):
            events.setdefault(event.uid, event)
    return sorted(events.values(), key=lambda e: (day_of(e.start), e.uid))
