"""Writing the audit log. Action functions call `record` (or `record_many` for bulk work)
inside their transaction, so a change and its audit entry land together or not at all.

Every entry names a typed event (meded.audit.events: "swap.approved", "schedule.published",
...) declared by the app that records it; the generic action (create, update, ...) is the
event's verb. ``changes`` holds the old and new values ({"field": [old, new]}); ``data`` any
other structured facts of the event (the block, the version, the job), so the log can be
searched by them."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models

from meded.audit import events
from meded.audit.models import AuditEntry

Changes = dict[str, list[Any]]


def _plain(value: Any) -> Any:
    """A JSON-safe form of a field value."""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Field values as the audit log shows them (foreign keys by their text)."""
    out: dict[str, Any] = {}
    for name in fields:
        out[name] = _plain(getattr(obj, name))
    return out


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> Changes:
    """{"field": [old, new]} for the fields whose values differ."""
    keys = list(dict.fromkeys([*old.keys(), *new.keys()]))
    return {k: [old.get(k), new.get(k)] for k in keys if old.get(k) != new.get(k)}


def label_of(obj: models.Model) -> str:
    meta = obj._meta
    return f"{meta.app_label}.{meta.model_name}"


def person_of(obj: models.Model | None) -> int | None:
    """The id of the person an object is about, if it is about one."""
    if obj is None:
        return None
    if obj._meta.label_lower == "org.person":
        return int(obj.pk)
    person_id = getattr(obj, "person_id", None)
    if person_id is not None:
        return int(person_id)
    appointment = getattr(obj, "appointment", None)  # a trainee year
    return getattr(appointment, "person_id", None)


def actor_fields(actor: AbstractBaseUser | AnonymousUser | None) -> dict[str, Any]:
    if actor is None or not actor.is_authenticated:
        return {"actor": None, "actor_name": "system"}
    return {"actor": actor, "actor_name": actor.get_username()}


def build(
    actor: AbstractBaseUser | AnonymousUser | None,
    event: str,
    obj: models.Model | None = None,
    *,
    changes: Changes | None = None,
    data: Mapping[str, Any] | None = None,
    program: Any = None,  # an org.Program (the audit log sits below meded.org)
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    batch: str = "",
    note: str = "",
) -> AuditEntry:
    """An unsaved entry, for record_many. ``event`` is a name some app defined
    (events.UnknownEvent otherwise)."""
    kind = events.get(event)
    if obj is not None:
        object_type = object_type or label_of(obj)
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    return AuditEntry(
        **actor_fields(actor),
        action=kind.verb,
        event=kind.name,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:300],
        changes={k: [_plain(v[0]), _plain(v[1])] for k, v in (changes or {}).items()},
        data={k: _plain(v) for k, v in (data or {}).items()},
        program=program,
        batch=batch,
        note=note[:300],
        person_ref=person_of(obj),
    )


def record(
    actor: AbstractBaseUser | AnonymousUser | None,
    event: str,
    obj: models.Model | None = None,
    **kwargs: Any,
) -> AuditEntry:
    entry = build(actor, event, obj, **kwargs)
    entry.save()
    return entry


def record_many(entries: list[AuditEntry], batch_size: int = 2000) -> None:
    AuditEntry.objects.bulk_create(entries, batch_size=batch_size)
