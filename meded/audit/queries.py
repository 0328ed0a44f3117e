"""Reading the audit log: filters and keyset pages (newest first, no COUNT over the table),
scoped to what the user may see (audit_program_ids)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from meded.audit.models import AuditEntry
from meded.core import inputs
from meded.core.viewers import viewer_of

PAGE_SIZE = 50
FILTERS = (
    "object_type",
    "object_id",
    "person",
    "user",
    "program",
    "action",
    "event",
    "q",
    "date_from",
    "date_to",
    "batch",
)


@dataclass
class AuditPage:
    entries: list[AuditEntry]
    next_cursor: str  # "" on the last page
    filters: dict[str, str]
    problems: list[str] = field(default_factory=list)


def encode_cursor(entry: AuditEntry) -> str:
    return f"{entry.at.isoformat()}_{entry.pk}"


def decode_cursor(text: str) -> tuple[dt.datetime, int] | None:
    at_text, _, pk_text = text.rpartition("_")
    try:
        at = parse_datetime(at_text) if at_text else None
        pk = inputs.parse_id({"before": pk_text}, "before")
    except (ValueError, inputs.BadInput):
        return None
    if at is None or pk is None or not inputs.MIN_DATE <= at.date() <= inputs.MAX_DATE:
        return None
    return at, pk


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight local time (America/New_York by default) as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_program_ids(user: Any) -> frozenset[int] | None:
    """The programs whose audit log the user may read: None means every entry (the GME
    office); program managers get their programs; anyone else is refused."""
    v = viewer_of(user)
    if v.is_gme_admin:
        return None
    if not v.managed_program_ids:
        raise PermissionDenied("Only program leadership and the GME office can read the audit log.")
    return v.managed_program_ids


def _programs() -> QuerySet[Any]:
    # The organization's Program model, by name: the audit log sits below meded.org.
    return apps.get_model("org", "Program").objects.all()


def audit_page(user: Any, params: Any, *, limit: int = PAGE_SIZE) -> AuditPage:
    """One page of entries the user may see, filtered by `params` (a QueryDict or dict).
    PermissionDenied for users who may read no audit log at all."""
    scope = audit_program_ids(user)
    filters = {k: str(params.get(k, "") or "").strip() for k in FILTERS}
    problems: list[str] = []
    for key in FILTERS:
        try:
            inputs.check_text(key, filters[key])
        except inputs.BadInput as e:
            problems.append(f"{e}.")
            filters[key] = ""
    qs: QuerySet[AuditEntry] = AuditEntry.objects.select_related("program")
    if scope is not None:
        qs = qs.filter(program_id__in=scope)
    if filters["object_type"]:
        qs = qs.filter(object_type=filters["object_type"].lower())
    if filters["object_id"]:
        qs = qs.filter(object_id=filters["object_id"])
    if filters["person"]:
        try:
            person = inputs.parse_id(filters, "person")
        except inputs.BadInput:
            person = None
        if person is not None:
            qs = qs.filter(person_ref=person)
        else:
            problems.append("person: give the person's number (from their page).")
            filters["person"] = ""
    if filters["action"]:
        qs = qs.filter(action=filters["action"])
    if filters["event"]:
        # "swap" is every swap event; "swap.approved" just that one.
        name = filters["event"].lower()
        qs = qs.filter(event=name) if "." in name else qs.filter(event__startswith=name + ".")
    if filters["q"]:
        # Words of the object's description or the note ("block 7", a reason given).
        text = filters["q"][:100]
        qs = qs.filter(Q(object_repr__icontains=text) | Q(note__icontains=text))
    if filters["batch"]:
        qs = qs.filter(batch=filters["batch"])
    if filters["user"]:
        name = filters["user"]
        if name == "system":
            qs = qs.filter(actor__isnull=True, actor_name="system")
        else:
            found = User.objects.filter(username=name).values_list("pk", flat=True).first()
            qs = qs.filter(actor_id=found) if found else qs.filter(actor_name=name)
    if filters["program"]:
        program = _programs().filter(slug=filters["program"]).only("pk").first()
        if program is None or (scope is not None and program.pk not in scope):
            qs = qs.none()
        else:
            qs = qs.filter(program_id=program.pk)
    for key, op in (("date_from", "gte"), ("date_to", "lt")):
        try:
            day = inputs.parse_date(filters, key)
        except inputs.BadInput as e:
            problems.append(f"{e}.")
            continue
        if day is None:
            continue
        if key == "date_to":
            day += dt.timedelta(days=1)  # the whole of the last day
        qs = qs.filter(**{f"at__{op}": _day_start(day)})
    before = str(params.get("before", "") or "").strip()
    cursor = decode_cursor(before) if before else None
    if before and cursor is None:
        problems.append("before: not a page of this log (follow the 'Older' link).")
    if cursor is not None:
        at, pk = cursor
        qs = qs.filter(Q(at__lt=at) | Q(at=at, pk__lt=pk))
    rows = list(qs.order_by("-at", "-pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(
        entries=rows,
        next_cursor=encode_cursor(rows[-1]) if more and rows else "",
        filters=filters,
        problems=problems,
    )


def programs_for_filter(user: Any) -> QuerySet[Any]:
    scope = audit_program_ids(user)
    qs = _programs().order_by("name").only("name", "slug")
    return qs if scope is None else qs.filter(pk__in=scope)
