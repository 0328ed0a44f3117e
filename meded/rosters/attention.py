"""What the call and shift rosters put on the home page (meded.core.attention).

Program leadership and chief residents, for each program whose rosters they edit (the GME
office: every program, folded into counts): swap requests waiting for approval; in the
current and the next block, a roster not published yet, published shifts below their
template's minimum from today on (the block page's own coverage, meded.rosters.grid), and a
draft changed since publishing. Residents: swap requests waiting for their answer and their
own open requests, and a panel of their next shifts. Everyone with a role: a compact "who is
on call now". Each function takes a fixed number of queries however much data there is."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from meded.core.attention import INFO, URGENT, WARNING, Item, Panel
from meded.org.access import Viewer
from meded.org.models import Program
from meded.rosters import grid
from meded.rosters.models import Roster, Shift, ShiftTemplate, SwapRequest
from meded.schedules import access as schedule_access
from meded.schedules import grid as schedule_grid
from meded.schedules.attention import open_years, published_versions
from meded.schedules.models import Rotation

AREA = "Rosters"
NEXT_SHIFTS_DAYS = 14
NEXT_SHIFTS_SHOWN = 8
ON_CALL_NAMES = 3  # names per service in the compact "who is on call now"


def _block_url(ref: schedule_grid.BlockRef) -> str:
    return reverse("rosters:block", args=[ref.sy.program.slug, ref.sy.pk, ref.number])


def _block_label(ref: schedule_grid.BlockRef) -> str:
    return f"Block {ref.number}, {ref.start:%b %-d} – {ref.end:%b %-d}"


def leadership_items(viewer: Viewer, user: Any, today: dt.date) -> list[Item]:
    """What waits for the people who edit a program's rosters."""
    ids = schedule_access.edited_program_ids(viewer)
    if ids is not None and not ids:
        return []
    items = []
    swaps = SwapRequest.objects.filter(status=SwapRequest.Status.PENDING)
    if ids is not None:
        swaps = swaps.filter(program_id__in=ids)
    for slug, name, n in (
        swaps.order_by()
        .values("program__slug", "program__name")
        .annotate(n=Count("pk"))
        .values_list("program__slug", "program__name", "n")
    ):
        items.append(
            Item(
                "Swap requests waiting for approval",
                reverse("rosters:swaps", args=[slug]),
                AREA,
                count=n,
                severity=URGENT,
                kind="rosters.swaps_pending",
                program=name,
            )
        )
    # Only programs that roster (have shift templates) and whose schedule is published.
    rostering = ShiftTemplate.objects.filter(active=True)
    if ids is not None:
        rostering = rostering.filter(rotation__program_id__in=ids)
    program_ids = frozenset(
        rostering.order_by().values_list("rotation__program_id", flat=True).distinct()
    )
    if not program_ids:
        return items
    years = list(open_years(program_ids, today))
    published = published_versions(years)
    refs = [
        r
        for refs in schedule_grid.blocks_ahead(years, today).values()
        for r in refs
        if r.sy.pk in published
    ]
    if not refs:
        return items
    cond = Q()
    for ref in refs:
        cond |= Q(schedule_year_id=ref.sy.pk, block=ref.block)
    rosters = {(r.schedule_year_id, r.block): r for r in Roster.objects.filter(cond)}
    for r in rosters.values():
        r.schedule_year = next(ref.sy for ref in refs if ref.sy.pk == r.schedule_year_id)
    live = [r for r in rosters.values() if r.is_published]
    # From today on: a hole already past needs nobody now.
    views = grid.block_views(
        live,
        published=True,
        days={r.pk: [d for d in r.days if d >= today] for r in live},
        counts_only=True,
    )
    for ref in refs:
        roster = rosters.get((ref.sy.pk, ref.block))
        name, current = ref.sy.program.name, ref.start <= today
        label = _block_label(ref)
        if roster is None or not roster.is_published:
            items.append(
                Item(
                    "Roster not published yet",
                    _block_url(ref),
                    AREA,
                    severity=URGENT if current else WARNING,
                    kind="rosters.unpublished",
                    program=name,
                    detail=label + (" (the current block)" if current else " (the next block)"),
                )
            )
            continue
        short = views[roster.pk].shortfalls
        if short:
            first = short[0]
            items.append(
                Item(
                    "Shifts below their minimum cover",
                    _block_url(ref),
                    AREA,
                    count=len(short),
                    severity=URGENT,
                    kind="rosters.coverage_holes",
                    program=name,
                    detail=f"{label}; first: {first.rotation}, {first.template} on "
                    f"{first.day:%a %b %-d} ({first.count} of at least {first.minimum})",
                )
            )
        if roster.draft_changed:
            items.append(
                Item(
                    "Roster draft changed since publishing",
                    _block_url(ref),
                    AREA,
                    severity=INFO,
                    kind="rosters.draft_changed",
                    program=name,
                    detail=label,
                )
            )
    return items


def resident_items(viewer: Viewer, user: Any, today: dt.date) -> list[Item]:
    """Swap requests waiting for the resident's answer, and their own still open."""
    if viewer.person_id is None or not viewer.trainee_program_ids:
        return []
    pid = viewer.person_id
    waiting = Q(to_appointment__person_id=pid, status=SwapRequest.Status.PROPOSED)
    mine = Q(from_appointment__person_id=pid, status__in=SwapRequest.OPEN)
    counts = SwapRequest.objects.filter(waiting | mine).aggregate(
        waiting=Count("pk", filter=waiting), mine=Count("pk", filter=mine)
    )
    url = reverse("rosters:mine")
    items = []
    if counts["waiting"]:
        items.append(
            Item(
                "Swap requests waiting for your answer",
                url + "#my-swaps",
                AREA,
                count=counts["waiting"],
                severity=URGENT,
                kind="rosters.my_swaps_waiting",
            )
        )
    if counts["mine"]:
        items.append(
            Item(
                "Your swap requests in progress",
                url + "#my-swaps",
                AREA,
                count=counts["mine"],
                severity=INFO,
                kind="rosters.my_swaps_open",
            )
        )
    return items


def next_shifts_panel(viewer: Viewer, user: Any, today: dt.date) -> Panel | None:
    """A resident's published shifts of the next two weeks."""
    if viewer.person_id is None or not viewer.trainee_program_ids:
        return None
    now = timezone.now()
    last = today + dt.timedelta(days=NEXT_SHIFTS_DAYS - 1)
    shifts = [s for s in grid.person_shifts(viewer.person_id, today, last) if s.end > now]
    return Panel(
        "My next shifts",
        "rosters/_home_shifts.html",
        {
            "shifts": shifts[:NEXT_SHIFTS_SHOWN],
            "more": max(0, len(shifts) - NEXT_SHIFTS_SHOWN),
            "days": NEXT_SHIFTS_DAYS,
            "now": now,
        },
        order=10,
        area=AREA,
    )


@dataclass
class OnCallRow:
    """One service in the compact "who is on call now": the first few on it now (how many
    more), or who comes next."""

    program: Program
    rotation: Rotation
    now: list[Shift]
    more: int
    soon: list[Shift]


def on_call_panel(viewer: Viewer, user: Any, today: dt.date) -> Panel | None:
    """Who is on call now in the user's own programs (the full page has every program); the
    GME office gets the institution's count."""
    if not viewer.has_any_role:
        return None
    now = timezone.now()
    if viewer.is_gme_admin:
        counts = grid.on_call_shifts(now).aggregate(
            now=Count("appointment", filter=Q(start__lte=now), distinct=True),
            programs=Count("template__rotation__program", filter=Q(start__lte=now), distinct=True),
        )
        context: dict[str, Any] = {"summary": counts, "now": now}
    else:
        ids = set(viewer.staff_program_ids) | set(viewer.trainee_program_ids)
        rows = [
            OnCallRow(
                g.program,
                g.rotation,
                g.now[:ON_CALL_NAMES],
                max(0, len(g.now) - ON_CALL_NAMES),
                g.soon[:2],
            )
            for g in grid.on_call(now, ids)
        ]
        context = {"rows": rows, "programs": len({r.program.pk for r in rows}), "now": now}
    return Panel("Who is on call now", "rosters/_home_on_call.html", context, order=30, area=AREA)
