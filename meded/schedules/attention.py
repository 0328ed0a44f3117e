"""What the rotation schedules put on the home page (meded.core.attention).

Program leadership and chief residents, for each program whose schedule they edit (the GME
office: every program, folded into counts): vacation requests and timing wishes waiting for
a decision, published cells in conflict with a leave, and draft versions newer than the
published one. Residents: their own vacation requests still pending, and a panel with their
current and next rotation. Program staff and faculty: a panel with each program's current
block. Each function takes a fixed number of queries however many programs and residents."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from meded.core.attention import INFO, URGENT, WARNING, Item, Panel
from meded.org import queries
from meded.org.access import Viewer
from meded.org.models import Appointment, Program
from meded.schedules import access, grid
from meded.schedules.models import (
    Assignment,
    RequestStatus,
    ScheduleVersion,
    ScheduleYear,
    TimingWish,
    VacationRequest,
)

AREA = "Schedules"
# A draft with these solver statuses has no schedule to publish (yet).
NOT_READY = {"queued", "running", "failed", "cancelled", "INFEASIBLE", "UNKNOWN", "MODEL_INVALID"}


def open_years(program_ids: frozenset[int] | None, today: dt.date) -> QuerySet[ScheduleYear]:
    """Schedule years whose academic year is not over (this one, and the next once set up)."""
    qs = ScheduleYear.objects.filter(academic_year__end_date__gte=today).select_related(
        "program", "academic_year"
    )
    return qs if program_ids is None else qs.filter(program_id__in=program_ids)


def published_versions(years: list[ScheduleYear]) -> dict[int, ScheduleVersion]:
    """Schedule year id -> its published version (with the year attached)."""
    by_id = {sy.pk: sy for sy in years}
    out = {}
    for v in ScheduleVersion.objects.filter(
        schedule_year_id__in=list(by_id), status=ScheduleVersion.Status.PUBLISHED
    ):
        v.schedule_year = by_id[v.schedule_year_id]
        out[v.schedule_year_id] = v
    return out


def _year_url(sy: ScheduleYear, version: int | None = None) -> str:
    url = reverse("schedules:year", args=[sy.program.slug, sy.pk])
    return f"{url}?v={version}" if version else url


def _requests_url(sy: ScheduleYear) -> str:
    return reverse("schedules:requests", args=[sy.program.slug, sy.pk])


def _counts(qs: QuerySet[Any]) -> dict[int, int]:
    return dict(
        qs.order_by()
        .values("schedule_year_id")
        .annotate(n=Count("pk"))
        .values_list("schedule_year_id", "n")
    )


def leadership_items(viewer: Viewer, user: Any, today: dt.date) -> list[Item]:
    """What waits for the people who edit a program's schedule."""
    ids = access.edited_program_ids(viewer)
    if ids is not None and not ids:
        return []
    years = list(open_years(ids, today))
    if not years:
        return []
    year_ids = [sy.pk for sy in years]
    vacations = _counts(
        VacationRequest.objects.filter(schedule_year_id__in=year_ids, status=RequestStatus.PENDING)
    )
    wishes = _counts(
        TimingWish.objects.filter(schedule_year_id__in=year_ids, status=RequestStatus.PENDING)
    )
    versions: dict[int, list[tuple[int, int, str, str]]] = defaultdict(list)
    for pk, sy_id, number, status, solver in ScheduleVersion.objects.filter(
        schedule_year_id__in=year_ids
    ).values_list("pk", "schedule_year_id", "number", "status", "solver_status"):
        versions[sy_id].append((pk, number, status, solver))
    published = published_versions(years)
    conflicts = grid.leave_conflicts(list(published.values()))
    items = []
    for sy in years:
        name = sy.program.name
        pub = published.get(sy.pk)
        if n := vacations.get(sy.pk):
            items.append(
                Item(
                    "Vacation requests waiting for a decision",
                    _requests_url(sy),
                    AREA,
                    count=n,
                    severity=WARNING,
                    kind="schedules.vacation_pending",
                    program=name,
                    detail=str(sy.academic_year),
                )
            )
        # Timing wishes matter while residents may still send them or nothing is published.
        if (n := wishes.get(sy.pk)) and (sy.requests_are_open(today) or pub is None):
            items.append(
                Item(
                    "Timing wishes to review",
                    _requests_url(sy),
                    AREA,
                    count=n,
                    severity=INFO,
                    kind="schedules.wishes_pending",
                    program=name,
                    detail=str(sy.academic_year),
                )
            )
        if pub is not None and (n := conflicts.get(pub.pk, 0)):
            items.append(
                Item(
                    "Published schedule cells in conflict with a leave",
                    _year_url(sy),
                    AREA,
                    count=n,
                    severity=URGENT,
                    kind="schedules.leave_conflicts",
                    program=name,
                    detail=f"{sy.academic_year}: re-plan from the next block to resolve them",
                )
            )
        drafts = [
            (pk, number)
            for pk, number, status, solver in versions.get(sy.pk, [])
            if status == ScheduleVersion.Status.DRAFT
            and solver not in NOT_READY
            and (pub is None or number > pub.number)
        ]
        if drafts:
            newest = max(drafts, key=lambda d: d[1])
            started = sy.start_date <= today
            items.append(
                Item(
                    "Draft schedule newer than the published one"
                    if pub is not None
                    else "Schedule not published yet",
                    _year_url(sy, newest[0]),
                    AREA,
                    count=len(drafts),
                    severity=WARNING if pub is None and started else INFO,
                    kind="schedules.drafts",
                    program=name,
                    detail=f"{sy.academic_year}: version {newest[1]} is the newest draft",
                )
            )
    return items


def resident_items(viewer: Viewer, user: Any, today: dt.date) -> list[Item]:
    """A resident's own vacation requests still waiting for a decision."""
    if viewer.person_id is None or not viewer.trainee_program_ids:
        return []
    rows = (
        VacationRequest.objects.filter(
            appointment__person_id=viewer.person_id,
            status=RequestStatus.PENDING,
            schedule_year__academic_year__end_date__gte=today,
        )
        .order_by()
        .values("schedule_year_id", "schedule_year__program__slug", "schedule_year__program__name")
        .annotate(n=Count("pk"))
    )
    return [
        Item(
            "Your vacation requests waiting for a decision",
            reverse(
                "schedules:requests",
                args=[r["schedule_year__program__slug"], r["schedule_year_id"]],
            ),
            AREA,
            count=r["n"],
            severity=INFO,
            kind="schedules.my_vacation_pending",
            program=r["schedule_year__program__name"],
        )
        for r in rows
    ]


@dataclass
class RotationRow:
    """A block of the resident's year and their rotation in it."""

    ref: grid.BlockRef
    published: bool
    rotation: str | None  # its name; None when not on one (or nothing published)
    url: str


@dataclass
class BlockRow:
    """A program's current block and how many residents each rotation has in it."""

    ref: grid.BlockRef
    program: Program
    published: bool
    rotations: list[tuple[str, int]]
    url: str


def my_rotation_panel(viewer: Viewer, user: Any, today: dt.date) -> Panel | None:
    """A resident's current and next rotation in the published schedule."""
    if viewer.person_id is None or not viewer.trainee_program_ids:
        return None
    mine = dict(
        Appointment.objects.filter(
            queries.current_q(today),
            person_id=viewer.person_id,
            kind=Appointment.Kind.TRAINEE,
            program_id__in=viewer.trainee_program_ids,
        ).values_list("pk", "program_id")
    )
    years = list(open_years(frozenset(mine.values()), today))
    published = published_versions(years)
    ahead = grid.blocks_ahead(years, today)
    cells = {
        (version_id, block): rotation
        for version_id, block, rotation in (
            Assignment.objects.filter(
                version__in=list(published.values()), appointment_id__in=mine
            ).values_list("version_id", "block", "rotation__name")
        )
    }
    rows = []
    for ref in (r for refs in ahead.values() for r in refs):
        version = published.get(ref.sy.pk)
        rows.append(
            RotationRow(
                ref,
                version is not None,
                cells.get((version.pk, ref.block)) if version else None,
                _year_url(ref.sy),
            )
        )
    rows.sort(key=lambda r: r.ref.start)
    return Panel(
        "My rotation",
        "schedules/_home_rotation.html",
        {"rows": rows[:2], "today": today},
        order=20,
        area=AREA,
    )


def current_block_panel(viewer: Viewer, user: Any, today: dt.date) -> Panel | None:
    """For program staff and faculty: each of their programs' current block, with how many
    residents each rotation has in it (the GME office starts from the program list)."""
    ids = viewer.staff_program_ids
    if viewer.is_gme_admin or not ids:
        return None
    years = list(open_years(ids, today))
    published = published_versions(years)
    current = [refs[0] for refs in grid.blocks_ahead(years, today, n=1).values()]
    current = [r for r in current if r.start <= today]
    wanted = [(published[r.sy.pk].pk, r.block) for r in current if r.sy.pk in published]
    counts: dict[tuple[int, int], list[tuple[str, int]]] = defaultdict(list)
    if wanted:
        cond = Q()
        for version_id, block in wanted:
            cond |= Q(version_id=version_id, block=block)
        for version_id, block, name, n in (
            Assignment.objects.filter(cond)
            .order_by()
            .values("version_id", "block", "rotation__name", "rotation__sort_order")
            .annotate(n=Count("pk"))
            .order_by("rotation__sort_order", "rotation__name")
            .values_list("version_id", "block", "rotation__name", "n")
        ):
            counts[version_id, block].append((name, n))
    rows = []
    for ref in sorted(current, key=lambda r: r.sy.program.name):
        version = published.get(ref.sy.pk)
        rows.append(
            BlockRow(
                ref,
                ref.sy.program,
                version is not None,
                counts.get((version.pk, ref.block), []) if version else [],
                _year_url(ref.sy),
            )
        )
    if not rows:
        return None
    return Panel("This block", "schedules/_home_block.html", {"rows": rows}, order=40, area=AREA)
