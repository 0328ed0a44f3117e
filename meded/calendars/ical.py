"""A small iCalendar (RFC 5545) writer: events in, a VCALENDAR out.

Pure Python (no Django), so anything that has events can render them: the subscription
feeds of meded.calendars and the signed-in calendar download of the schedules app.

Lines end with CRLF and are folded at 75 octets (never inside a UTF-8 character); TEXT
values escape backslashes, semicolons, commas and newlines (RFC 5545 3.3.11)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

PRODID = "-//meded//calendar//EN"
MAX_OCTETS = 75
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Event:
    """One VEVENT. ``start``/``end`` are dates (an all-day event; ``end`` is exclusive, the
    day after the last day) or aware datetimes (written in UTC). The UID must stay the same
    while the event is "the same" so a calendar app replaces it instead of adding a copy."""

    uid: str
    summary: str
    start: dt.date | dt.datetime
    end: dt.date | dt.datetime
    location: str = ""
    description: str = ""
    categories: tuple[str, ...] = ()
    # When the event's source last changed (DTSTAMP and LAST-MODIFIED); None: the calendar's.
    stamp: dt.datetime | None = None
    sequence: int = 0
    busy: bool = False  # TRANSP: a rotation block does not make the day "busy"


def escape(text: str) -> str:
    """A TEXT value: backslash, semicolon, comma and newline escaped; other control
    characters (forbidden in TEXT) dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line into chunks of at most 75 octets: the first line 75, each
    continuation (which starts with one space) 74 more. UTF-8 characters are never split."""
    if len(line.encode("utf-8")) <= MAX_OCTETS:
        return line
    parts: list[str] = []
    cur: list[str] = []
    size, limit = 0, MAX_OCTETS
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            parts.append("".join(cur))
            cur, size, limit = [], 0, MAX_OCTETS - 1
        cur.append(ch)
        size += n
    parts.append("".join(cur))
    return "\r\n ".join(parts)


def _utc(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("iCalendar times must be timezone-aware")
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _when(name: str, value: dt.date | dt.datetime) -> str:
    if isinstance(value, dt.datetime):
        return f"{name}:{_utc(value)}"
    return f"{name};VALUE=DATE:{value:%Y%m%d}"


def event_lines(event: Event, stamp: dt.datetime) -> list[str]:
    when = event.stamp or stamp
    if isinstance(event.start, dt.datetime) != isinstance(event.end, dt.datetime):
        raise ValueError(f"{event.uid}: start and end must both be dates or both datetimes")
    if event.end <= event.start:
        raise ValueError(f"{event.uid}: the event ends before it starts")
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape(event.uid)}",
        f"DTSTAMP:{_utc(when)}",
        f"LAST-MODIFIED:{_utc(when)}",
        f"SEQUENCE:{event.sequence}",
        _when("DTSTART", event.start),
        _when("DTEND", event.end),
        f"SUMMARY:{escape(event.summary)}",
    ]
    if event.location:
        lines.append(f"LOCATION:{escape(event.location)}")
    if event.description:
        lines.append(f"DESCRIPTION:{escape(event.description)}")
    if event.categories:
        lines.append("CATEGORIES:" + ",".join(escape(c) for c in event.categories))
    lines += [f"TRANSP:{'OPAQUE' if event.busy else 'TRANSPARENT'}", "END:VEVENT"]
    return lines


def render(
    events: Iterable[Event],
    *,
    name: str,
    description: str = "",
    stamp: dt.datetime,
    refresh: dt.timedelta | None = None,
) -> bytes:
    """The whole VCALENDAR as UTF-8 bytes with CRLF line ends. ``stamp`` (aware) is the
    DTSTAMP of events that carry none; ``refresh`` asks subscribing apps to poll that often
    (REFRESH-INTERVAL of RFC 7986 and the older X-PUBLISHED-TTL)."""
    _utc(stamp)  # refuses a naive stamp even when there are no events
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"NAME:{escape(name)}",
        f"X-WR-CALNAME:{escape(name)}",
    ]
    if description:
        lines += [
            f"DESCRIPTION:{escape(description)}",
            f"X-WR-CALDESC:{escape(description)}",
        ]
    if refresh is not None:
        ttl = duration(refresh)
        lines += [f"REFRESH-INTERVAL;VALUE=DURATION:{ttl}", f"X-PUBLISHED-TTL:{ttl}"]
    for event in events:
        lines += event_lines(event, stamp)
    lines.append("END:VCALENDAR")
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode("utf-8")


def duration(value: dt.timedelta) -> str:
    """A positive timedelta as an RFC 5545 DURATION (PT4H, P1D, PT1H30M...)."""
    seconds = int(value.total_seconds())
    if seconds <= 0:
        raise ValueError("a refresh interval is positive")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    out = "P" + (f"{days}D" if days else "")
    if hours or minutes or secs:
        out += "T" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
        out += f"{secs}S" if secs else ""
    return out
