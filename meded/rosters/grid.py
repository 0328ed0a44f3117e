"""Read side of rosters for the screens, the API and exports: a block by service and by
person, coverage against each template's cover, who is on call now, a person's shifts and
the meal-card entitlements (a fixed number of queries each)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet

from meded.org.models import Appointment, Program
from meded.rosters import adapters
from meded.rosters.models import Roster, RosterSettings, Shift, ShiftKind, ShiftTemplate
from meded.schedules.models import Rotation

LOOKAHEAD = dt.timedelta(hours=12)


def shifts_of_roster(roster: Roster, published: bool) -> QuerySet[Shift]:
    return (
        Shift.objects.filter(roster=roster, published=published)
        .select_related("template__rotation", "appointment__person")
        .order_by("start", "template__sort_order", "appointment__person__last_name")
    )


@dataclass
class Cell:
    day: dt.date
    runs: bool
    shifts: list[Shift] = field(default_factory=list)
    minimum: int = 0
    target: int | None = None

    @property
    def count(self) -> int:
        return len(self.shifts)

    @property
    def short(self) -> int:
        return max(0, self.minimum - self.count) if self.runs else 0

    @property
    def under(self) -> int:
        if not self.runs or self.target is None:
            return 0
        return max(0, self.target - self.count)


@dataclass
class TemplateRow:
    template: ShiftTemplate
    cells: list[Cell]


@dataclass
class Service:
    rotation: Rotation
    rows: list[TemplateRow]
    people: list[Appointment]


@dataclass
class Shortfall:
    rotation: str
    template: str
    day: dt.date
    count: int
    minimum: int


@dataclass
class BlockView:
    roster: Roster | None
    days: list[dt.date]
    holidays: dict[dt.date, str]
    services: list[Service]
    people: list[tuple[Appointment, Rotation | None, list[list[Shift]]]]

    @property
    def shortfalls(self) -> list[Shortfall]:
        out = []
        for s in self.services:
            for row in s.rows:
                for c in row.cells:
                    if c.short:
                        out.append(
                            Shortfall(s.rotation.name, row.template.name, c.day, c.count, c.minimum)
                        )
        return out

    @property
    def under_target(self) -> int:
        return sum(c.under for s in self.services for r in s.rows for c in r.cells)


def block_view(
    program: Program, roster: Roster, published: bool, days: list[dt.date] | None = None
) -> BlockView:
    """The roster of a block by service (rotation x template x day) and by person."""
    sy = roster.schedule_year
    days = days or roster.days
    rs = adapters.settings_for(program)
    holidays = rs.holiday_dates(days[0], days[-1])
    zone = adapters.zone()
    by_rotation = adapters.rotations_in_block(sy, roster.block)
    rotations = {r.pk: r for r in Rotation.objects.filter(program=program)}
    templates: dict[int, list[ShiftTemplate]] = defaultdict(list)
    for t in ShiftTemplate.objects.filter(rotation__program=program, active=True):
        templates[t.rotation_id].append(t)
    shifts = list(shifts_of_roster(roster, published))
    at: dict[tuple[int, dt.date], list[Shift]] = defaultdict(list)
    mine: dict[tuple[int, dt.date], list[Shift]] = defaultdict(list)
    for s in shifts:
        day = s.local_day(zone)
        at[s.template_id, day].append(s)
        mine[s.appointment_id, day].append(s)
        templates.setdefault(s.template.rotation_id, [])
        if s.template not in templates[s.template.rotation_id]:
            templates[s.template.rotation_id].append(s.template)
    hol = frozenset(holidays)
    services = []
    for rid, tpls in sorted(
        templates.items(), key=lambda kv: (rotations[kv[0]].sort_order, rotations[kv[0]].code)
    ):
        people = by_rotation.get(rid, [])
        if not tpls or (not people and not any(at.get((t.pk, d)) for t in tpls for d in days)):
            continue
        rows = [
            TemplateRow(
                t,
                [
                    Cell(d, t.runs_on(d, hol), at.get((t.pk, d), []), t.cover_min, t.cover_target)
                    for d in days
                ],
            )
            for t in sorted(tpls, key=lambda t: (t.sort_order, t.code))
        ]
        services.append(Service(rotations[rid], rows, people))
    rot_of = {a.pk: rotations.get(rid) for rid, appts in by_rotation.items() for a in appts}
    appts = {a.pk: a for appts in by_rotation.values() for a in appts}
    for s in shifts:
        appts.setdefault(s.appointment_id, s.appointment)
    by_person = [
        (a, rot_of.get(a.pk), [mine.get((a.pk, d), []) for d in days])
        for a in sorted(appts.values(), key=lambda a: a.person.sort_name)
    ]
    return BlockView(roster, days, holidays, services, by_person)


# --- On call now ------------------------------------------------------------------------


@dataclass
class OnCallGroup:
    program: Program
    rotation: Rotation
    now: list[Shift]
    soon: list[Shift]


def on_call(now: dt.datetime, program_ids: set[int] | None = None) -> list[OnCallGroup]:
    """Published shifts in progress at ``now`` and starting in the next 12 hours, by program
    and service."""
    qs = Shift.objects.filter(published=True, start__lt=now + LOOKAHEAD, end__gt=now)
    if program_ids is not None:
        qs = qs.filter(template__rotation__program_id__in=program_ids)
    groups: dict[tuple[int, int], OnCallGroup] = {}
    for s in qs.select_related("template__rotation__program", "appointment__person").order_by(
        "template__rotation__program__name",
        "template__rotation__sort_order",
        "start",
        "template__sort_order",
    ):
        rot = s.template.rotation
        g = groups.setdefault((rot.program_id, rot.pk), OnCallGroup(rot.program, rot, [], []))
        (g.now if s.start <= now else g.soon).append(s)
    return list(groups.values())


# --- A person's shifts ---------------------------------------------------------------------


def person_shifts(
    person_id: int, first: dt.date, last: dt.date, published: bool = True
) -> list[Shift]:
    zone = adapters.zone()
    lo = dt.datetime.combine(first, dt.time(0), tzinfo=zone)
    hi = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return list(
        Shift.objects.filter(
            published=published, appointment__person_id=person_id, start__gte=lo, start__lt=hi
        )
        .select_related("template__rotation__program", "roster__schedule_year")
        .order_by("start")
    )


def month_weeks(month: dt.date, shifts: list[Shift]) -> list[list[tuple[dt.date, list[Shift]]]]:
    """Monday-to-Sunday weeks covering the month, each day with its shifts."""
    zone = adapters.zone()
    by_day: dict[dt.date, list[Shift]] = defaultdict(list)
    for s in shifts:
        by_day[s.local_day(zone)].append(s)
    first = month.replace(day=1)
    start = first - dt.timedelta(days=first.weekday())
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    weeks = []
    day = start
    while day < nxt:
        weeks.append(
            [
                (day + dt.timedelta(days=i), by_day.get(day + dt.timedelta(days=i), []))
                for i in range(7)
            ]
        )
        day += dt.timedelta(days=7)
    return weeks


# --- Meal cards -----------------------------------------------------------------------------


@dataclass
class MealRow:
    appointment: Appointment
    month: dt.date
    shifts: list[tuple[Shift, str]]  # the shift and why it qualifies ("Saturday", "Labor Day")
    credit: Decimal

    @property
    def count(self) -> int:
        return len(self.shifts)

    @property
    def total(self) -> Decimal:
        return self.credit * self.count


def qualifies(shift: Shift, rs: RosterSettings, holidays: dict[dt.date, str]) -> str:
    """Why a published shift earns a meal card ("" when it does not): a call shift (by the
    program's qualifying kinds; in-house call by its flag too) that starts on a weekend day or
    a holiday."""
    t = shift.template
    kinds = rs.qualifying_kinds
    is_kind = t.kind in kinds or (t.in_house_call and ShiftKind.IN_HOUSE_CALL in kinds)
    if not is_kind:
        return ""
    day = shift.local_day(adapters.zone())
    if day in holidays:
        return holidays[day]
    if day.weekday() >= 5:
        return f"{day:%A}"
    return ""


def meal_cards(
    program: Program, first: dt.date, last: dt.date, appointment_ids: set[int] | None = None
) -> list[MealRow]:
    """Per resident and month (of the shift's start), the qualifying published shifts and
    the credits: count x the program's credit per shift."""
    rs = adapters.settings_for(program)
    holidays = rs.holiday_dates(first, last)
    zone = adapters.zone()
    lo = dt.datetime.combine(first, dt.time(0), tzinfo=zone)
    hi = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    qs = Shift.objects.filter(
        published=True, template__rotation__program=program, start__gte=lo, start__lt=hi
    ).select_related("template__rotation", "appointment__person")
    if appointment_ids is not None:
        qs = qs.filter(appointment_id__in=appointment_ids)
    rows: dict[tuple[int, dt.date], MealRow] = {}
    for s in qs.order_by("start"):
        why = qualifies(s, rs, holidays)
        if not why:
            continue
        month = s.local_day(zone).replace(day=1)
        row = rows.setdefault(
            (s.appointment_id, month), MealRow(s.appointment, month, [], rs.meal_credit)
        )
        row.shifts.append((s, why))
    return sorted(rows.values(), key=lambda r: (r.month, r.appointment.person.sort_name))


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return first, nxt - dt.timedelta(days=1)
