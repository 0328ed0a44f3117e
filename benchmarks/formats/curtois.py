"""The Curtois & Qu shift-scheduling benchmark format: reader, mapping, independent evaluator.

:func:`parse` reads an instance file; :func:`to_problem` maps it onto the general roster
engine (:class:`~meded.engine.roster.problem.RosterProblem`); :func:`evaluate` checks a roster
against the rules and computes the objective straight from the format description, without
the engine's model, so the two can be compared.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from meded.engine.roster.problem import (
    CoverRequirement,
    Person,
    Roster,
    RosterProblem,
    ShiftRequest,
    ShiftType,
)


@dataclass(frozen=True)
class Shift:
    id: str
    minutes: int
    cannot_follow: tuple[str, ...]


@dataclass(frozen=True)
class Staff:
    id: str
    max_shifts: dict[str, int]
    max_total_minutes: int
    min_total_minutes: int
    max_consecutive_shifts: int
    min_consecutive_shifts: int
    min_consecutive_days_off: int
    max_weekends: int


@dataclass(frozen=True)
class Request:
    employee: str
    day: int
    shift: str
    weight: int


@dataclass(frozen=True)
class Cover:
    day: int
    shift: str
    requirement: int
    weight_under: int
    weight_over: int


@dataclass
class Instance:
    name: str
    horizon: int = 0
    shifts: list[Shift] = field(default_factory=list)
    staff: list[Staff] = field(default_factory=list)
    days_off: dict[str, set[int]] = field(default_factory=dict)
    on_requests: list[Request] = field(default_factory=list)
    off_requests: list[Request] = field(default_factory=list)
    cover: list[Cover] = field(default_factory=list)


def parse_text(text: str, name: str = "instance") -> Instance:
    """An instance from the text of a Curtois & Qu file."""
    inst = Instance(name)
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("SECTION_"):
            section = line
            continue
        parts = [p.strip() for p in line.split(",")]
        if section == "SECTION_HORIZON":
            inst.horizon = int(parts[0])
        elif section == "SECTION_SHIFTS":
            follow = tuple(s for s in parts[2].split("|") if s) if len(parts) > 2 else ()
            inst.shifts.append(Shift(parts[0], int(parts[1]), follow))
        elif section == "SECTION_STAFF":
            limits: dict[str, int] = {}
            for item in parts[1].split("|"):
                if item:
                    sid, value = item.split("=")
                    limits[sid.strip()] = int(value)
            inst.staff.append(Staff(parts[0], limits, *(int(v) for v in parts[2:8])))
        elif section == "SECTION_DAYS_OFF":
            inst.days_off.setdefault(parts[0], set()).update(int(d) for d in parts[1:] if d)
        elif section in ("SECTION_SHIFT_ON_REQUESTS", "SECTION_SHIFT_OFF_REQUESTS"):
            req = Request(parts[0], int(parts[1]), parts[2], int(parts[3]))
            if section == "SECTION_SHIFT_ON_REQUESTS":
                inst.on_requests.append(req)
            else:
                inst.off_requests.append(req)
        elif section == "SECTION_COVER":
            inst.cover.append(
                Cover(int(parts[0]), parts[1], int(parts[2]), int(parts[3]), int(parts[4]))
            )
        else:
            raise ValueError(f"{name}: line outside a known section: {line!r}")
    return inst


def parse(path: str | Path) -> Instance:
    """An instance from a file; its name is the file's stem (``Instance1``)."""
    p = Path(path)
    return parse_text(p.read_text(encoding="utf-8"), p.stem)


def to_problem(inst: Instance) -> RosterProblem:
    """The instance as a general roster problem (day 0 is a Monday)."""
    return RosterProblem(
        horizon=inst.horizon,
        shifts=tuple(ShiftType(s.id, 0, s.minutes) for s in inst.shifts),
        persons=tuple(
            Person(
                id=e.id,
                max_shifts=dict(e.max_shifts),
                min_total_minutes=e.min_total_minutes,
                max_total_minutes=e.max_total_minutes,
                min_consecutive_work=e.min_consecutive_shifts,
                max_consecutive_work=e.max_consecutive_shifts,
                min_consecutive_off=e.min_consecutive_days_off,
                max_weekends=e.max_weekends,
                days_off=frozenset(inst.days_off.get(e.id, ())),
            )
            for e in inst.staff
        ),
        cover=tuple(
            CoverRequirement(
                day=c.day,
                shift=c.shift,
                target=c.requirement,
                under_weight=c.weight_under,
                over_weight=c.weight_over,
            )
            for c in inst.cover
        ),
        forbidden_successions=frozenset((s.id, b) for s in inst.shifts for b in s.cannot_follow),
        requests=tuple(
            [ShiftRequest(r.employee, r.day, r.shift, r.weight, on=True) for r in inst.on_requests]
            + [
                ShiftRequest(r.employee, r.day, r.shift, r.weight, on=False)
                for r in inst.off_requests
            ]
        ),
        first_weekday=0,
    )


# -- roster files ------------------------------------------------------------------------


def roster_lines(roster: Roster) -> list[str]:
    """``employee_id,day_index,shift_id`` lines, one per worked shift."""
    return [f"{e},{d},{s}" for e in sorted(roster) for d, s in sorted(roster[e].items())]


def read_roster(lines: Iterable[str]) -> Roster:
    roster: Roster = {}
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        e, d, s = (p.strip() for p in line.split(","))
        if int(d) in roster.get(e, {}):
            raise ValueError(f"{e} has two shifts on day {d}")
        roster.setdefault(e, {})[int(d)] = s
    return roster


# -- the independent evaluator -------------------------------------------------------------


@dataclass
class Evaluation:
    """The benchmark objective of a roster, its parts, and every hard rule it breaks."""

    objective: int
    on_requests: int
    off_requests: int
    cover_under: int
    cover_over: int
    violations: list[str]

    @property
    def feasible(self) -> bool:
        return not self.violations


def _runs(worked: list[bool], value: bool) -> list[tuple[int, int]]:
    """(first day, length) of each maximal run of days whose ``worked`` equals ``value``."""
    runs = []
    start = None
    for d, w in enumerate([*worked, not value]):
        if w == value and start is None:
            start = d
        elif w != value and start is not None:
            runs.append((start, d - start))
            start = None
    return runs


def evaluate(inst: Instance, roster: Roster) -> Evaluation:
    """Objective and hard-rule violations of ``roster``, from the format description alone."""
    h = inst.horizon
    shifts = {s.id: s for s in inst.shifts}
    violations: list[str] = []
    staff_ids = {e.id for e in inst.staff}
    for emp, days in roster.items():
        if emp not in staff_ids:
            violations.append(f"unknown employee {emp}")
        for d, s in days.items():
            if s not in shifts:
                violations.append(f"{emp}: unknown shift {s} on day {d}")
            if not 0 <= d < h:
                violations.append(f"{emp}: day {d} outside the horizon")

    for e in inst.staff:
        mine = roster.get(e.id, {})
        worked = [d in mine for d in range(h)]
        for d in range(h - 1):
            a, b = mine.get(d), mine.get(d + 1)
            if a in shifts and b is not None and b in shifts[a].cannot_follow:
                violations.append(f"{e.id}: {b} on day {d + 1} follows {a}")
        for sid, limit in e.max_shifts.items():
            n = sum(1 for s in mine.values() if s == sid)
            if n > limit:
                violations.append(f"{e.id}: {n} shifts {sid} > {limit}")
        minutes = sum(shifts[s].minutes for s in mine.values() if s in shifts)
        if minutes > e.max_total_minutes:
            violations.append(f"{e.id}: {minutes} minutes > {e.max_total_minutes}")
        if minutes < e.min_total_minutes:
            violations.append(f"{e.id}: {minutes} minutes < {e.min_total_minutes}")
        for start, length in _runs(worked, True):
            if length > e.max_consecutive_shifts:
                violations.append(f"{e.id}: {length} days in a row from day {start}")
            edge = start == 0 or start + length == h
            if length < e.min_consecutive_shifts and not edge:
                violations.append(f"{e.id}: only {length} days in a row from day {start}")
        for start, length in _runs(worked, False):
            edge = start == 0 or start + length == h
            if length < e.min_consecutive_days_off and not edge:
                violations.append(f"{e.id}: only {length} days off from day {start}")
        weekends = sum(1 for w in range(h // 7) if worked[7 * w + 5] or worked[7 * w + 6])
        if weekends > e.max_weekends:
            violations.append(f"{e.id}: {weekends} weekends > {e.max_weekends}")
        for d in sorted(inst.days_off.get(e.id, ())):
            if d in mine:
                violations.append(f"{e.id}: works on day off {d}")

    on = sum(r.weight for r in inst.on_requests if roster.get(r.employee, {}).get(r.day) != r.shift)
    off = sum(
        r.weight for r in inst.off_requests if roster.get(r.employee, {}).get(r.day) == r.shift
    )
    under = over = 0
    for c in inst.cover:
        x = sum(1 for days in roster.values() if days.get(c.day) == c.shift)
        if x < c.requirement:
            under += (c.requirement - x) * c.weight_under
        elif x > c.requirement:
            over += (x - c.requirement) * c.weight_over
    return Evaluation(on + off + under + over, on, off, under, over, violations)
