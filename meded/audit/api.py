"""The audit log in the JSON API: GET /api/audit/entries, the same filters as the screen and
keyset paging (pass `next` back as `before`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from meded.audit import queries
from meded.core.inputs import MAX_LIMIT, Text

router = Router(tags=["audit"])


class EntryOut(Schema):
    id: int
    at: dt.datetime
    actor: str
    action: str
    event: str
    event_label: str
    object_type: str
    object_id: str
    object_repr: str
    changes: dict[str, Any]
    data: dict[str, Any]
    person: int | None
    program: str | None
    batch: str
    note: str


class EntriesOut(Schema):
    items: list[EntryOut]
    next: str
    problems: list[str]


@router.get("/entries", response=EntriesOut)
def entries(
    request: HttpRequest,
    object_type: Text = "",
    object_id: Text = "",
    user: Text = "",
    program: Text = "",
    action: Text = "",
    event: Text = "",
    person: Text = "",
    q: Text = "",
    date_from: Text = "",
    date_to: Text = "",
    batch: Text = "",
    before: Text = "",
    limit: int = Query(queries.PAGE_SIZE, ge=1, le=MAX_LIMIT),
) -> dict[str, Any]:
    """Entries newest first: the GME office sees all, program leadership their programs'.
    ``event`` is a typed event ("swap.approved") or an area ("swap"); ``person`` a person's
    id (everything about them); ``q`` words of the object's description or the note. A
    filter that is not understood (a date that is not YYYY-MM-DD between 1900 and 2200, a
    person that is not an id, a `before` that is not a `next` of this log) answers 400
    naming it."""
    params = {
        "object_type": object_type,
        "object_id": object_id,
        "user": user,
        "program": program,
        "action": action,
        "event": event,
        "person": person,
        "q": q,
        "date_from": date_from,
        "date_to": date_to,
        "batch": batch,
        "before": before,
    }
    page = queries.audit_page(request.user, params, limit=limit)
    if page.problems:
        raise HttpError(400, " ".join(page.problems))
    return {
        "items": [
            {
                "id": e.pk,
                "at": e.at,
                "actor": e.actor_name,
                "action": e.action,
                "event": e.event,
                "event_label": e.event_label,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "object_repr": e.object_repr,
                "changes": e.changes,
                "data": e.data,
                "person": e.person_ref,
                "program": e.program.slug if e.program else None,
                "batch": e.batch,
                "note": e.note,
            }
            for e in page.entries
        ],
        "next": page.next_cursor,
        "problems": page.problems,
    }
