"""Read side of the schedule screens, exports and API: the grid, coverage, findings and the
comparison of two versions, each in a fixed number of queries however many residents."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from meded.org.models import Appointment
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
