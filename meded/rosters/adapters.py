"""The one place that translates between roster rows and the roster engine
(meded.engine.roster), which knows nothing of Django.

A block's roster is one engine problem per rotation that has shift templates: the residents
the PUBLISHED rotation schedule puts on that rotation in the block, the rotation's templates
as shift types with their cover, leave and days outside the appointment as days off, the
ACGME limits as hard rules. So that the rules hold across the block's first day, the horizon
starts LOOKBACK days before the block: those days are pinned to the shifts each resident
already has there in published rosters (any rotation; a day without one is pinned off).
Days of the block that are already over keep the shifts they have (pins), when the roster
has any. When the next block already has published shifts for these residents, the horizon
also runs LOOKAHEAD days past the block, pinned the same way, so the rules hold across the
block's last day too.

Engine ids: a person is ``a<appointment id>``, a shift type is its template's code, and a
shift of another rotation before the block is ``prev-<template id>``; day 0 is LOOKBACK days
before the block's first day."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings as django_settings
from django.utils import timezone

from meded.engine.roster import (
    AcgmeRules,
    CoverRequirement,
    Fairness,
    Person,
    Pin,
    RosterProblem,
    RuleSet,
    ShiftType,
)
from meded.engine.roster import (
    Roster as EngineRoster,
)
from meded.org.models import Appointment, Leave, Program
from meded.rosters.models import (
    Roster,
    RosterSettings,
    Shift,
    ShiftKind,
    ShiftTemplate,
    block_last_day,
)
from meded.schedules.models import Assignment, Rotation, ScheduleVersion, ScheduleYear

LOOKBACK = 27  # a 28-day window that ends on the block's first day starts this many days before
LOOKAHEAD = 6  # a 7-day window that starts on the block's last day ends this many days after
UNDER_WEIGHT = 10  # each resident under a shift's target
OVER_WEIGHT = 1  # each resident over it
FAIRNESS_WEIGHT = 3
MAX_DAYS_IN_A_ROW = 6


def zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(django_settings.TIME_ZONE)


def settings_for(program: Program) -> RosterSettings:
    """The program's roster settings; the defaults (unsaved) until someone changes them
    (meded.rosters.actions.do_save_settings): reading never writes."""
    found = RosterSettings.objects.filter(program=program).first()
    return found if found is not None else RosterSettings(program=program)


def person_key(appointment_id: int) -> str:
    return f"a{appointment_id}"


def appointment_of(key: str) -> int:
    return int(key[1:])


def published_version(sy: ScheduleYear) -> ScheduleVersion | None:
    return ScheduleVersion.objects.filter(
        schedule_year=sy, status=ScheduleVersion.Status.PUBLISHED
    ).first()


def block_of(sy: ScheduleYear, day: dt.date) -> int | None:
    """The block whose roster covers the day (the last block's runs to the year's end)."""
    if day < sy.start_date:
        return None
    b = (day - sy.start_date).days // sy.block_days
    if b < sy.n_blocks:
        return b
    last = sy.n_blocks - 1
    return last if day <= block_last_day(sy, last) else None


def rotations_in_block(
    sy: ScheduleYear, block: int, version: ScheduleVersion | None = None
) -> dict[int, list[Appointment]]:
    """Rotation id -> the appointments the published schedule puts on it in the block."""
    version = version or published_version(sy)
    if version is None:
        return {}
    out: dict[int, list[Appointment]] = defaultdict(list)
    for a in (
        Assignment.objects.filter(version=version, block=block)
        .select_related("appointment__person")
        .order_by("appointment__person__last_name", "appointment__person__first_name")
    ):
        out[a.rotation_id].append(a.appointment)
    return dict(out)


def rotation_of(sy: ScheduleYear, appointment_id: int, day: dt.date) -> Rotation | None:
    """The rotation the published schedule has the appointment on, on ``day``."""
    block = block_of(sy, day)
    version = published_version(sy)
    if block is None or version is None:
        return None
    a = (
        Assignment.objects.filter(version=version, block=block, appointment_id=appointment_id)
        .select_related("rotation")
        .first()
    )
    return a.rotation if a else None


def leave_days(
    appointment_ids: Iterable[int], first: dt.date, last: dt.date
) -> dict[int, set[dt.date]]:
    out: dict[int, set[dt.date]] = defaultdict(set)
    for appt_id, start, end in Leave.objects.filter(
        appointment_id__in=list(appointment_ids), start_date__lte=last, end_date__gte=first
    ).values_list("appointment_id", "start_date", "end_date"):
        day = max(start, first)
        while day <= min(end, last):
            out[appt_id].add(day)
            day += dt.timedelta(days=1)
    return out


def active_templates(rotation_id: int) -> list[ShiftTemplate]:
    return list(ShiftTemplate.objects.filter(rotation_id=rotation_id, active=True))


def shift_type(t: ShiftTemplate, sid: str | None = None) -> ShiftType:
    """The engine's view of a template. At-home call counts no minutes: only the time a
    resident is called in counts toward the limits (it still makes the day a working day,
    so it leaves one day in seven free)."""
    at_home = t.kind == ShiftKind.AT_HOME_CALL
    return ShiftType(
        id=sid or t.code,
        start_minute=t.start_minute,
        length_minutes=0 if at_home else t.length_minutes,
        in_house_call=t.in_house_call or t.kind == ShiftKind.IN_HOUSE_CALL,
        night=t.night or t.kind == ShiftKind.NIGHT,
    )


@dataclass
class BlockProblem:
    """One rotation's engine problem in a block, and the rows behind its ids."""

    rotation: Rotation
    problem: RosterProblem
    people: dict[str, Appointment]
    templates: dict[str, ShiftTemplate]
    day0: dt.date  # the date of engine day 0
    lookback: int
    holidays: dict[dt.date, str] = field(default_factory=dict)
    block_days: int = 0  # the block's own days follow the lookback days; 0 = to the end

    def date(self, day: int) -> dt.date:
        return self.day0 + dt.timedelta(days=day)

    def in_words(self, text: str) -> str:
        """An engine message with names and dates instead of ids and day numbers."""

        def person(m: re.Match[str]) -> str:
            appt = self.people.get(m.group(0))
            return appt.person.full_name if appt else m.group(0)

        def day(m: re.Match[str]) -> str:
            return f"{self.date(int(m.group(1))):%a %b %-d}"

        def shift(m: re.Match[str]) -> str:
            t = self.templates.get(m.group(0))
            return f"{t.name} ({t.code})" if t else m.group(0)

        text = re.sub(r"day (\d+) \(\w+\)", day, text)
        text = re.sub(r"\ba\d+\b", person, text)
        text = re.sub(r"\bprev-\d+\b", "a shift on another rotation", text)
        if self.templates:
            codes = "|".join(re.escape(c) for c in sorted(self.templates, key=len, reverse=True))
            text = re.sub(rf"(?<![\w-])({codes})(?![\w-])", shift, text)
        return f"{self.rotation.name}: {text}"


def build_block(roster: Roster, today: dt.date | None = None) -> tuple[list[BlockProblem], str]:
    """The engine problems of a block (one per rotation with templates and residents) and a
    reason when there is nothing to build ("" otherwise)."""
    sy = roster.schedule_year
    version = published_version(sy)
    if version is None:
        return [], "The rotation schedule of this year is not published yet: publish it first."
    by_rotation = rotations_in_block(sy, roster.block, version)
    rotations = {r.pk: r for r in Rotation.objects.filter(pk__in=list(by_rotation))}
    templates: dict[int, list[ShiftTemplate]] = defaultdict(list)
    for t in ShiftTemplate.objects.filter(rotation_id__in=list(by_rotation), active=True):
        templates[t.rotation_id].append(t)
    if not templates:
        return [], "No rotation of this block has shift templates."
    rs = settings_for(sy.program)
    first, last = roster.first_day, roster.last_day
    day0 = first - dt.timedelta(days=LOOKBACK)
    holidays = rs.holiday_dates(day0, last)
    appts = [a for rid in templates for a in by_rotation.get(rid, [])]
    leave = leave_days([a.pk for a in appts], first, last)
    zone_ = zone()
    # Published shifts just before the block (every rotation), for the boundary.
    before: dict[int, list[Shift]] = defaultdict(list)
    lo = dt.datetime.combine(day0, dt.time(0), tzinfo=zone_)
    hi = dt.datetime.combine(first, dt.time(0), tzinfo=zone_)
    for s in Shift.objects.filter(
        published=True, appointment__in=appts, start__gte=lo, start__lt=hi
    ).select_related("template"):
        before[s.appointment_id].append(s)
    # ... and just after it, when the next block is rostered already.
    end = last + dt.timedelta(days=1)
    after_lo = dt.datetime.combine(end, dt.time(0), tzinfo=zone_)
    after_hi = after_lo + dt.timedelta(days=LOOKAHEAD)
    for s in Shift.objects.filter(
        published=True, appointment__in=appts, start__gte=after_lo, start__lt=after_hi
    ).select_related("template"):
        before[s.appointment_id].append(s)
    lookahead = (
        LOOKAHEAD
        if Shift.objects.filter(
            published=True, roster__schedule_year=sy, roster__block=roster.block + 1
        ).exists()
        else 0
    )
    # Days of this block already over keep their shifts (when it has any).
    today = today or timezone.localdate()
    kept = list(
        Shift.objects.filter(roster=roster, published=roster.is_published).select_related(
            "template"
        )
    )
    past_days = {d for d in roster.days if d < today} if kept else set()
    out = []
    for rid, tpls in templates.items():
        people = by_rotation.get(rid, [])
        if not people:
            continue
        out.append(
            _rotation_problem(
                rotations[rid],
                tpls,
                people,
                roster,
                day0,
                holidays,
                leave,
                before,
                [s for s in kept if s.template.rotation_id == rid],
                past_days,
                zone_,
                lookahead,
            )
        )
    if not out:
        return [], "Nobody in this block is on a rotation with shift templates."
    return out, ""


def _rotation_problem(
    rotation: Rotation,
    tpls: list[ShiftTemplate],
    people: list[Appointment],
    roster: Roster,
    day0: dt.date,
    holidays: dict[dt.date, str],
    leave: dict[int, set[dt.date]],
    before: dict[int, list[Shift]],
    kept: list[Shift],
    past_days: set[dt.date],
    zone_: dt.tzinfo,
    lookahead: int = 0,
) -> BlockProblem:
    first, last = roster.first_day, roster.last_day
    block_end = LOOKBACK + (last - first).days + 1  # engine day just past the block
    horizon = block_end + lookahead
    by_code = {t.code: t for t in tpls}
    types = [shift_type(t) for t in tpls]
    extra: dict[str, ShiftType] = {}
    pins: list[Pin] = []
    own_ids = {t.pk for t in tpls}

    def idx(d: dt.date) -> int:
        return (d - day0).days

    def type_id(t: ShiftTemplate) -> str:
        if t.pk in own_ids:
            return t.code
        sid = f"prev-{t.pk}"
        extra.setdefault(sid, shift_type(t, sid))
        return sid

    persons = []
    for appt in people:
        key = person_key(appt.pk)
        worked: dict[int, str] = {}
        for s in before.get(appt.pk, []):
            worked.setdefault(idx(s.local_day(zone_)), type_id(s.template))
        for d in [*range(LOOKBACK), *range(block_end, horizon)]:
            pins.append(Pin(key, d, worked.get(d)))
        mine = {
            idx(s.local_day(zone_)): type_id(s.template)
            for s in kept
            if s.appointment_id == appt.pk
        }
        for day in sorted(past_days):
            pins.append(Pin(key, idx(day), mine.get(idx(day))))
        off = {idx(d) for d in leave.get(appt.pk, set()) if idx(d) < block_end}
        for d in range(LOOKBACK, block_end):
            date = day0 + dt.timedelta(days=d)
            if date < appt.start_date or (appt.end_date is not None and date > appt.end_date):
                off.add(d)
        off -= {idx(d) for d in past_days}
        persons.append(
            Person(id=key, days_off=frozenset(off), max_consecutive_work=MAX_DAYS_IN_A_ROW)
        )
    types += list(extra.values())
    cover = []
    holiday_set = frozenset(holidays)
    for d in range(LOOKBACK, block_end):
        date = day0 + dt.timedelta(days=d)
        if date in past_days:
            continue
        for t in tpls:
            if not t.runs_on(date, holiday_set):
                cover.append(CoverRequirement(day=d, shift=t.code, maximum=0))
                continue
            target = t.cover_target
            cover.append(
                CoverRequirement(
                    day=d,
                    shift=t.code,
                    minimum=t.cover_min,
                    target=target,
                    under_weight=UNDER_WEIGHT if target is not None else 0,
                    over_weight=OVER_WEIGHT if target is not None else 0,
                    maximum=t.cover_max,
                )
            )
        for sid in extra:
            cover.append(CoverRequirement(day=d, shift=sid, maximum=0))
    ids = tuple(p.id for p in persons)
    fairness = [
        Fairness(kind, ids, FAIRNESS_WEIGHT, name=rotation.name)
        for kind in ("calls", "nights", "weekends", "holidays")
    ]
    problem = RosterProblem(
        horizon=horizon,
        shifts=tuple(types),
        persons=tuple(persons),
        cover=tuple(cover),
        pins=tuple(pins),
        fairness=tuple(fairness) if len(ids) > 1 else (),
        holidays=frozenset(idx(d) for d in holidays if idx(d) >= 0),
        first_weekday=day0.weekday(),
        rules=RuleSet(acgme=AcgmeRules.standard()),
    )
    return BlockProblem(
        rotation=rotation,
        problem=problem,
        people={person_key(a.pk): a for a in people},
        templates=by_code,
        day0=day0,
        lookback=LOOKBACK,
        holidays=holidays,
        block_days=block_end - LOOKBACK,
    )


def shifts_from(bp: BlockProblem, result: EngineRoster, roster: Roster) -> list[Shift]:
    """Unsaved draft Shift rows of an engine roster: the block's days, this rotation's
    templates only (the lookback days are someone else's roster)."""
    zone_ = zone()
    rows = []
    for key, days in result.items():
        appt = bp.people[key]
        for d, sid in sorted(days.items()):
            t = bp.templates.get(sid)
            if t is None or d < bp.lookback:
                continue
            if bp.block_days and d >= bp.lookback + bp.block_days:
                continue  # the next block's published shifts, pinned for the boundary
            start, end = t.span(bp.date(d), zone_)
            rows.append(
                Shift(
                    roster=roster,
                    template=t,
                    appointment=appt,
                    start=start,
                    end=end,
                    published=False,
                )
            )
    return rows
