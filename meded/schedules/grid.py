"""Read side of the schedule screens, exports and API: the grid, coverage, findings and the
comparison of two versions, each in a fixed number of queries however many residents."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Q
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from meded.org.models import Appointment, Leave
from meded.schedules import adapters
from meded.schedules.models import Assignment, Rotation, ScheduleVersion, ScheduleYear
from meded.schedules.rules import parse_rules

COLORS = {
    "wards": "#bcd4f6",
    "icu": "#f4b6b6",
    "ed": "#ffd39a",
    "consult": "#d9c8f0",
    "ambulatory": "#b9e2c8",
    "ambulatory_subspecialty": "#d9f0c0",
    "night_float": "#9fa6d8",
    "elective": "#fff0a8",
    "research": "#bfe6f0",
    "away": "#dddddd",
    "vacation": "#f2f2f2",
}


def color(category: str) -> str:
    return COLORS.get(category, "#ffffff")


@dataclass
class Row:
    appointment: Appointment
    pgy: int | None
    cells: list[Rotation | None]
    mine: bool = False
    off: frozenset[int] = frozenset()  # blocks on leave or outside the appointment

    def cells_html(self) -> SafeString:
        """The row's cells as HTML, built here rather than in the template: a 200-resident
        year has 5,000 cells and the template loop alone took most of a second."""
        out = []
        for b, rot in enumerate(self.cells):
            if rot is not None:
                err = " err" if b in self.off else ""
                out.append(
                    f'<td class="cell c-{escape(rot.category)}{err}" data-b="{b}">'
                    f"{escape(rot.code)}</td>"
                )
            elif b in self.off:
                out.append(f'<td class="cell off" data-b="{b}">off</td>')
            else:
                out.append(f'<td class="cell" data-b="{b}">·</td>')
        return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


@dataclass
class Grid:
    sy: ScheduleYear
    version: ScheduleVersion | None
    rotations: dict[int, Rotation]
    groups: list[tuple[int | None, list[Row]]] = field(default_factory=list)
    cells: dict[tuple[int, int], int] = field(default_factory=dict)  # (appt, block) -> rot id
    pgy_of: dict[int, int | None] = field(default_factory=dict)  # every resident, unfiltered

    @property
    def rows(self) -> list[Row]:
        return [r for _, rows in self.groups for r in rows]

    def legend(self) -> list[tuple[str, str, list[Rotation]]]:
        by_cat: dict[str, list[Rotation]] = defaultdict(list)
        for r in self.rotations.values():
            by_cat[r.category].append(r)
        return [(c, color(c), rs) for c, rs in by_cat.items()]


def cells_of(version: ScheduleVersion | None) -> dict[tuple[int, int], int]:
    if version is None:
        return {}
    return {
        (a, b): r
        for a, b, r in Assignment.objects.filter(version=version).values_list(
            "appointment_id", "block", "rotation_id"
        )
    }


def build_grid(
    sy: ScheduleYear,
    version: ScheduleVersion | None,
    *,
    pgy: int | None = None,
    track: str = "",
    person_id: int | None = None,
) -> Grid:
    rotations = {r.pk: r for r in Rotation.objects.filter(program_id=sy.program_id)}
    cells = cells_of(version)
    grid = Grid(sy, version, rotations, cells=cells)
    groups: dict[int | None, list[Row]] = defaultdict(list)
    appts = adapters.residents_of(sy)
    leaves = adapters.leaves_of(sy, appts)
    for appt in appts:
        ap_pgy = getattr(appt, "pgy", None)
        grid.pgy_of[appt.pk] = ap_pgy
        if pgy is not None and ap_pgy != pgy:
            continue
        if track and (appt.track is None or appt.track.code != track):
            continue
        row = [rotations.get(cells.get((appt.pk, b), 0)) for b in sy.blocks]
        off = adapters.unavailable(sy, appt, leaves.get(appt.pk, ()))
        groups[ap_pgy].append(Row(appt, ap_pgy, row, appt.person_id == person_id, off))
    grid.groups = sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    return grid


@dataclass
class CoverageCell:
    count: int
    min: int
    max: int | None

    @property
    def ok(self) -> bool:
        return self.count >= self.min and (self.max is None or self.count <= self.max)


def coverage(grid: Grid) -> list[tuple[Rotation, str, list[CoverageCell]]]:
    """Rotations x blocks: residents of each role counted against the rotation's bounds."""
    interns = parse_rules(grid.sy.rules).intern_pgys
    role_of = {
        pk: "intern" if p in interns else "senior" for pk, p in grid.pgy_of.items() if p is not None
    }
    counts: Counter[tuple[int, int, str]] = Counter()
    for (appt, block), rot_id in grid.cells.items():
        role = role_of.get(appt)
        if role is None:
            continue
        counts[(rot_id, block, role)] += 1
        counts[(rot_id, block, "any")] += 1
    out: list[tuple[Rotation, str, list[CoverageCell]]] = []
    for rot in grid.rotations.values():
        for rule in rot.coverage:
            role = rule.get("role", "any")
            out.append(
                (
                    rot,
                    role,
                    [
                        CoverageCell(
                            counts[(rot.pk, b, role)], int(rule.get("min", 0)), rule.get("max")
                        )
                        for b in grid.sy.blocks
                    ],
                )
            )
    return out


def findings_of(version: ScheduleVersion) -> dict[str, Any]:
    """The rules' status from the engine's check(): violations grouped by rule, and the
    soft costs summed by rule."""
    built, report = adapters.check_version(version)
    by_rule: dict[str, list[adapters.Finding]] = defaultdict(list)
    for f in adapters.findings(report, built):
        by_rule[f.rule_label].append(f)
    return {
        "count": len(report.violations),
        "by_rule": sorted(by_rule.items()),
        "costs": adapters.costs_summary(report.costs),
        "objective": report.objective,
    }


@dataclass
class Change:
    appointment: Appointment
    block: int
    before: Rotation | None
    after: Rotation | None


def compare(sy: ScheduleYear, a: ScheduleVersion, b: ScheduleVersion) -> list[Change]:
    """Cells that differ between two versions (by resident, then block)."""
    rotations = {r.pk: r for r in Rotation.objects.filter(program_id=sy.program_id)}
    ca, cb = cells_of(a), cells_of(b)
    appts = {x.pk: x for x in adapters.residents_of(sy)}
    missing = {k[0] for k in (ca.keys() | cb.keys())} - appts.keys()
    if missing:
        appts.update(
            {x.pk: x for x in Appointment.objects.filter(pk__in=missing).select_related("person")}
        )
    out = [
        Change(appts[k[0]], k[1], rotations.get(ca.get(k, 0)), rotations.get(cb.get(k, 0)))
        for k in sorted(ca.keys() | cb.keys(), key=lambda k: (appts[k[0]].person.sort_name, k[1]))
        if ca.get(k) != cb.get(k)
    ]
    return out


def stints(sy: ScheduleYear, row: list[Rotation | None]) -> list[tuple[Rotation, int, int]]:
    """Runs of one rotation in a row: (rotation, first block, last block)."""
    out: list[tuple[Rotation, int, int]] = []
    for b, rot in enumerate(row):
        if rot is None:
            continue
        if out and out[-1][0].pk == rot.pk and out[-1][2] == b - 1:
            out[-1] = (rot, out[-1][1], b)
        else:
            out.append((rot, b, b))
    return out


def leave_conflicts(versions: list[ScheduleVersion]) -> dict[int, int]:
    """Per published version (id), the cells the year's grid marks as conflicts: a resident
    on a rotation in a block that a leave of absence mostly covers or that falls outside
    their appointment (meded.schedules.adapters.unavailable, the same rule the solver
    keeps). A fixed number of queries for any number of versions: only residents with a leave
    or an appointment that does not span the year are looked at."""
    if not versions:
        return {}
    years = {v.pk: v.schedule_year for v in versions}
    first = min(sy.start_date for sy in years.values())
    last = max(sy.block_end(sy.n_blocks - 1) for sy in years.values())
    leaves: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for appt_id, start, end in (
        Leave.objects.filter(
            appointment__rotation_assignments__version__in=list(years),
            start_date__lte=last,
            end_date__gte=first,
        )
        .distinct()
        .values_list("appointment_id", "start_date", "end_date")
    ):
        leaves[appt_id].append((start, end))
    partial = Q(appointment__start_date__gt=F("version__schedule_year__start_date")) | Q(
        appointment__end_date__lt=F("version__schedule_year__academic_year__end_date")
    )
    cells: dict[tuple[int, int], set[int]] = defaultdict(set)
    appts: dict[int, Appointment] = {}
    for version_id, appt_id, first_day, last_day, block in Assignment.objects.filter(
        Q(appointment_id__in=list(leaves)) | partial, version_id__in=list(years)
    ).values_list(
        "version_id", "appointment_id", "appointment__start_date", "appointment__end_date", "block"
    ):
        cells[version_id, appt_id].add(block)
        appts[appt_id] = Appointment(pk=appt_id, start_date=first_day, end_date=last_day)
    out: dict[int, int] = defaultdict(int)
    for (version_id, appt_id), blocks in cells.items():
        off = adapters.unavailable(years[version_id], appts[appt_id], leaves.get(appt_id, ()))
        out[version_id] += len(blocks & off)
    return {k: n for k, n in out.items() if n}


@dataclass(frozen=True)
class BlockRef:
    """One block of one schedule year."""

    sy: ScheduleYear
    block: int

    @property
    def start(self) -> dt.date:
        return self.sy.block_start(self.block)

    @property
    def end(self) -> dt.date:
        return self.sy.block_end(self.block)

    @property
    def number(self) -> int:
        return self.block + 1


def blocks_ahead(
    years: list[ScheduleYear], today: dt.date, n: int = 2
) -> dict[int, list[BlockRef]]:
    """Per program, its first ``n`` blocks that are not over (the current block, then the
    next, across the end of an academic year when the next year is set up)."""
    out: dict[int, list[BlockRef]] = defaultdict(list)
    for sy in sorted(years, key=lambda y: y.start_date):
        for b, _start, end in sy.block_dates():
            if end >= today and len(out[sy.program_id]) < n:
                out[sy.program_id].append(BlockRef(sy, b))
    return dict(out)
