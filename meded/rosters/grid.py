"""Read side of rosters for the screens, the API and exports: a block by service and by
person, coverage against each template's cover, who is on call now, a person's shifts and
the meal-card entitlements (a fixed number of queries each)."""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import reduce

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate

from meded.org.models import Appointment, Program
from meded.rosters import adapters
from meded.rosters.models import Roster, RosterSettings, Shift, ShiftKind, ShiftTemplate
from meded.schedules.models import Assignment, Rotation, ScheduleVersion

LOOKAHEAD = dt.timedelta(hours=12)


@dataclass
class Cell:
    day: dt.date
    runs: bool
    shifts: list[Shift] = field(default_factory=list)
    minimum: int = 0
    target: int | None = None
    tally: int | None = None  # the number of shifts, when they are counted, not loaded

    @property
    def count(self) -> int:
        return len(self.shifts) if self.tally is None else self.tally

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
    assert roster.schedule_year.program_id == program.pk
    return block_views([roster], published, days={roster.pk: days} if days else None)[roster.pk]


def block_views(
    rosters: list[Roster],
    published: bool,
    *,
    days: dict[int, list[dt.date]] | None = None,
    counts_only: bool = False,
) -> dict[int, BlockView]:
    """The block views of several rosters (of any programs) in a fixed number of queries:
    what the block page shows for one, and the home page's coverage holes for many.
    ``days`` narrows a roster's days (roster id -> days; default: the whole block).
    ``counts_only`` counts the shifts of each cell in the database instead of loading them
    (``Cell.shifts`` stays empty and ``people`` too): enough for the coverage."""
    if not rosters:
        return {}
    days = days or {}
    zone = adapters.zone()
    program_ids = {r.schedule_year.program_id for r in rosters}
    settings = {s.program_id: s for s in RosterSettings.objects.filter(program_id__in=program_ids)}
    versions = dict(
        ScheduleVersion.objects.filter(
            schedule_year_id__in={r.schedule_year_id for r in rosters},
            status=ScheduleVersion.Status.PUBLISHED,
        ).values_list("schedule_year_id", "pk")
    )
    # Who the published schedule puts on each rotation in each roster's block.
    wanted = [
        (versions[r.schedule_year_id], r.block) for r in rosters if r.schedule_year_id in versions
    ]
    by_block: dict[tuple[int, int], dict[int, list[Appointment]]] = defaultdict(
        lambda: defaultdict(list)
    )
    if wanted:
        cells = Assignment.objects.filter(
            reduce(operator.or_, (Q(version_id=v, block=b) for v, b in wanted))
        )
        if counts_only:
            for v, b, rid, appt_id in cells.values_list(
                "version_id", "block", "rotation_id", "appointment_id"
            ):
                by_block[v, b][rid].append(Appointment(pk=appt_id))
        else:
            for a in cells.select_related("appointment__person").order_by(
                "appointment__person__last_name", "appointment__person__first_name"
            ):
                by_block[a.version_id, a.block][a.rotation_id].append(a.appointment)
    rotations = {r.pk: r for r in Rotation.objects.filter(program_id__in=program_ids)}
    templates: dict[int, list[ShiftTemplate]] = defaultdict(list)
    for t in ShiftTemplate.objects.filter(rotation__program_id__in=program_ids, active=True):
        templates[t.rotation_id].append(t)
    shifts: dict[int, list[Shift]] = defaultdict(list)
    tally: dict[int, dict[tuple[int, dt.date], int]] = defaultdict(dict)
    inactive: dict[int, ShiftTemplate] = {}
    qs = Shift.objects.filter(roster__in=rosters, published=published)
    if counts_only:
        for roster_id, tid, day, n in (
            qs.annotate(day=TruncDate("start", tzinfo=zone))
            .values("roster_id", "template_id", "day")
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("roster_id", "template_id", "day", "n")
        ):
            tally[roster_id][tid, day] = n
        known = {t.pk for ts in templates.values() for t in ts}
        missing = {tid for counts in tally.values() for tid, _ in counts} - known
        if missing:  # inactive templates that still have shifts
            inactive.update({t.pk: t for t in ShiftTemplate.objects.filter(pk__in=missing)})
    else:
        for s in qs.select_related("template__rotation", "appointment__person").order_by(
            "start", "template__sort_order", "appointment__person__last_name"
        ):
            shifts[s.roster_id].append(s)
    out = {}
    for roster in rosters:
        sy = roster.schedule_year
        people = by_block.get((versions.get(sy.pk, 0), roster.block), {})
        out[roster.pk] = _view(
            roster,
            days.get(roster.pk) or roster.days,
            settings.get(sy.program_id) or RosterSettings(program_id=sy.program_id),
            people,
            {rid: r for rid, r in rotations.items() if r.program_id == sy.program_id},
            templates,
            shifts.get(roster.pk, []),
            tally.get(roster.pk, {}) if counts_only else None,
            inactive,
            zone,
        )
    return out


def _view(
    roster: Roster,
    days: list[dt.date],
    rs: RosterSettings,
    by_rotation: dict[int, list[Appointment]],
    rotations: dict[int, Rotation],
    all_templates: dict[int, list[ShiftTemplate]],
    shifts: list[Shift],
    tally: dict[tuple[int, dt.date], int] | None,
    inactive: dict[int, ShiftTemplate],
    zone: dt.tzinfo,
) -> BlockView:
    """One block's view (see block_views): ``tally`` holds the counted shifts per (template,
    day) when the shifts themselves are not loaded."""
    holidays = rs.holiday_dates(days[0], days[-1])
    templates = {rid: list(ts) for rid, ts in all_templates.items() if rid in rotations}
    at: dict[tuple[int, dt.date], list[Shift]] = defaultdict(list)
    mine: dict[tuple[int, dt.date], list[Shift]] = defaultdict(list)
    used = [s.template for s in shifts] + [inactive[t] for t, _ in tally or {} if t in inactive]
    for s in shifts:
        day = s.local_day(zone)
        at[s.template_id, day].append(s)
        mine[s.appointment_id, day].append(s)
    for t in used:  # a template made inactive still shows where it has shifts
        templates.setdefault(t.rotation_id, [])
        if t not in templates[t.rotation_id]:
            templates[t.rotation_id].append(t)
    counts = tally if tally is not None else {k: len(v) for k, v in at.items()}
    hol = frozenset(holidays)
    services = []
    for rid, tpls in sorted(
        templates.items(), key=lambda kv: (rotations[kv[0]].sort_order, rotations[kv[0]].code)
    ):
        people = by_rotation.get(rid, [])
        if not tpls or (not people and not any(counts.get((t.pk, d)) for t in tpls for d in days)):
            continue
        rows = [
            TemplateRow(
                t,
                [
                    Cell(
                        d,
                        t.runs_on(d, hol),
                        at.get((t.pk, d), []),
                        t.cover_min,
                        t.cover_target,
                        None if tally is None else tally.get((t.pk, d), 0),
                    )
                    for d in days
                ],
            )
            for t in sorted(tpls, key=lambda t: (t.sort_order, t.code))
        ]
        services.append(Service(rotations[rid], rows, [] if tally is not None else people))
    if tally is not None:
        return BlockView(roster, days, holidays, services, [])
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


def on_call_shifts(now: dt.datetime, program_ids: set[int] | None = None) -> QuerySet[Shift]:
    """Published shifts in progress at ``now`` or starting in the next 12 hours."""
    qs = Shift.objects.filter(published=True, start__lt=now + LOOKAHEAD, end__gt=now)
    if program_ids is not None:
        qs = qs.filter(template__rotation__program_id__in=program_ids)
    return qs


def on_call(now: dt.datetime, program_ids: set[int] | None = None) -> list[OnCallGroup]:
    """Published shifts in progress at ``now`` and starting in the next 12 hours, by program
    and service."""
    groups: dict[tuple[int, int], OnCallGroup] = {}
    for s in (
        on_call_shifts(now, program_ids)
        .select_related("template__rotation__program", "appointment__person")
        .order_by(
            "template__rotation__program__name",
            "template__rotation__sort_order",
            "start",
            "template__sort_order",
        )
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
