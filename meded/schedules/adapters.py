"""The one place that translates between the schedule's rows and the engine's dataclasses:
ORM rows -> engine Problem, engine schedule <-> Assignment rows, engine report -> words.

Resident ids in the engine are "r<appointment id>"; rotation ids are rotation codes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils import timezone

from meded.engine.blocks.check import Report, Violation, check
from meded.engine.blocks.model import (
    Calendar,
    CoverageRule,
    Preference,
    Problem,
    Resident,
    Schedule,
    Wish,
    sel,
)
from meded.engine.blocks.model import Rotation as EngineRotation
from meded.engine.blocks.model import VacationRequest as EngineVacation
from meded.org import queries
from meded.org.models import Appointment, Leave
from meded.schedules.models import (
    Assignment,
    ElectivePreference,
    RequestStatus,
    Rotation,
    RotationHistory,
    ScheduleVersion,
    ScheduleYear,
    TimingWish,
    VacationRequest,
)
from meded.schedules.rules import Rules, parse_rules


def resident_id(appointment_id: int) -> str:
    return f"r{appointment_id}"


def appointment_id(res_id: str) -> int:
    return int(res_id[1:])


@dataclass
class Built:
    """A Problem and the rows behind its ids."""

    problem: Problem
    rules: Rules
    residents: dict[str, Appointment]  # engine id -> appointment (annotated with .pgy)
    rotations: dict[str, Rotation]  # code -> rotation
    cohorts: dict[str, int]
    skipped: list[Appointment] = field(default_factory=list)  # no PGY for the year


def roster_day(sy: ScheduleYear, today: dt.date | None = None) -> dt.date:
    """The day whose roster the year is scheduled for: today within the year, else its start."""
    day = today or timezone.localdate()
    end = sy.block_end(sy.n_blocks - 1)
    return day if sy.start_date <= day <= end else sy.start_date


def residents_of(sy: ScheduleYear, today: dt.date | None = None) -> list[Appointment]:
    """The program's trainees for the year, each with .pgy (the year's PGY, or None)."""
    return list(queries.roster(sy.program, sy.academic_year, day=roster_day(sy, today)))


def engine_rotation(rot: Rotation) -> EngineRotation:
    return EngineRotation(
        id=rot.code,
        name=rot.name,
        category=rot.category,
        site=rot.site,
        length=rot.length,
        pgys=frozenset(int(p) for p in rot.pgys),
        tracks=frozenset(str(t) for t in rot.tracks),
        coverage=tuple(
            CoverageRule(
                min=int(c.get("min", 0)),
                max=c.get("max"),
                role=None if c.get("role", "any") == "any" else c["role"],
            )
            for c in rot.coverage
        ),
    )


# A block is taken out of a trainee's year when leave covers at least this share of its days
# (a two-day leave inside a two-week block is handled by the service, not the schedule).
LEAVE_SHARE = 0.5


def unavailable(
    sy: ScheduleYear, appt: Appointment, leaves: Sequence[tuple[dt.date, dt.date]] = ()
) -> frozenset[int]:
    """Blocks the appointment does not cover (starting late or leaving early) and blocks
    mostly on leave."""
    out = set()
    for b, start, end in sy.block_dates():
        if appt.start_date > end or (appt.end_date is not None and appt.end_date < start):
            out.add(b)
            continue
        days = (end - start).days + 1
        on_leave = sum(
            max(0, (min(end, l_end) - max(start, l_start)).days + 1) for l_start, l_end in leaves
        )
        if on_leave and on_leave >= LEAVE_SHARE * days:
            out.add(b)
    return frozenset(out)


def leaves_of(
    sy: ScheduleYear, appts: list[Appointment]
) -> dict[int, list[tuple[dt.date, dt.date]]]:
    """Leave date ranges per appointment id that touch the schedule year."""
    first, last = sy.start_date, sy.block_end(sy.n_blocks - 1)
    out: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for appt_id, start, end in Leave.objects.filter(
        appointment__in=[a.pk for a in appts], start_date__lte=last, end_date__gte=first
    ).values_list("appointment_id", "start_date", "end_date"):
        out[appt_id].append((start, end))
    return out


def history_of(
    sy: ScheduleYear, appts: list[Appointment]
) -> dict[int, tuple[tuple[str, int], ...]]:
    """Rotations each trainee did in the program's earlier academic years, in this year's
    blocks (days / block length, rounded): recorded history rows plus earlier years'
    published versions. Keyed by person id (a trainee keeps it across appointments)."""
    people = {a.person_id for a in appts}
    before = sy.academic_year.start_date
    days: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for person_id, code, weeks in RotationHistory.objects.filter(
        appointment__person_id__in=people,
        rotation__program_id=sy.program_id,
        academic_year__start_date__lt=before,
    ).values_list("appointment__person_id", "rotation__code", "weeks"):
        days[person_id][code] += 7 * weeks
    for person_id, code, block_days in Assignment.objects.filter(
        version__status=ScheduleVersion.Status.PUBLISHED,
        version__schedule_year__program_id=sy.program_id,
        version__schedule_year__academic_year__start_date__lt=before,
        appointment__person_id__in=people,
    ).values_list("appointment__person_id", "rotation__code", "version__schedule_year__block_days"):
        days[person_id][code] += block_days
    return {
        pid: tuple((code, int(d / sy.block_days + 0.5)) for code, d in sorted(by_code.items()) if d)
        for pid, by_code in days.items()
    }


def assign_cohorts(rules: Rules, residents: list[Resident]) -> dict[str, int]:
    """X+Y cohorts: residents a template applies to, in order, dealt round-robin."""
    out: dict[str, int] = {}
    for t in rules.templates:
        n = (t.x + t.y) // t.y
        eligible = [r for r in residents if t.who.matches(r) and r.id not in out]
        for i, r in enumerate(eligible):
            out[r.id] = i % max(1, n)
    return out


def build_problem(
    sy: ScheduleYear,
    cohorts: dict[str, int] | None = None,
    today: dt.date | None = None,
) -> Built:
    """The engine problem of a schedule year. ``cohorts`` (from a version) keeps a version's
    X+Y cohorts when the roster has moved since it was solved."""
    rules = parse_rules(sy.rules)
    appts = residents_of(sy, today)
    rots = {r.code: r for r in Rotation.objects.filter(program_id=sy.program_id)}
    vacations = VacationRequest.objects.filter(schedule_year=sy).exclude(
        status=RequestStatus.DECLINED
    )
    prefs = (
        ElectivePreference.objects.filter(schedule_year=sy)
        .exclude(status=RequestStatus.DECLINED)
        .select_related("rotation")
    )
    residents: list[Resident] = []
    by_id: dict[str, Appointment] = {}
    skipped: list[Appointment] = []
    leaves = leaves_of(sy, appts)
    history = history_of(sy, appts)
    for appt in appts:
        pgy = getattr(appt, "pgy", None)
        if pgy is None:
            skipped.append(appt)
            continue
        rid = resident_id(appt.pk)
        by_id[rid] = appt
        residents.append(
            Resident(
                id=rid,
                pgy=int(pgy),
                track=appt.track.code if appt.track else "",
                history=history.get(appt.person_id, ()),
                unavailable=unavailable(sy, appt, leaves.get(appt.pk, [])),
            )
        )
    chosen = dict(assign_cohorts(rules, residents))
    if cohorts:
        chosen.update({k: int(v) for k, v in cohorts.items() if k in by_id})
    residents = [dataclasses.replace(r, cohort=chosen.get(r.id)) for r in residents]
    vac_reqs = [
        EngineVacation(
            id=f"v{v.pk}",
            resident=resident_id(v.appointment_id),
            blocks=frozenset(int(b) for b in v.blocks if 0 <= int(b) < sy.n_blocks),
            approved=v.status == RequestStatus.APPROVED,
            weight=rules.vacation_pending_weight,
        )
        for v in vacations
        if resident_id(v.appointment_id) in by_id
    ]
    weights = rules.preference_weights
    preferences = [
        Preference(
            resident=resident_id(p.appointment_id),
            target=sel(rotations=[p.rotation.code]),
            weight=weights[p.rank - 1] if 0 < p.rank <= len(weights) else 0,
        )
        for p in prefs
        if resident_id(p.appointment_id) in by_id
    ]
    wishes = [
        Wish(
            id=f"w{w.pk}",
            resident=resident_id(w.appointment_id),
            target=sel(rotations=[w.rotation.code]) if w.rotation else sel(categories=[w.category]),
            not_before=w.not_before,
            not_after=w.not_after,
            weight=rules.wish_weight,
        )
        for w in TimingWish.objects.filter(schedule_year=sy)
        .exclude(status=RequestStatus.DECLINED)
        .select_related("rotation")
        if resident_id(w.appointment_id) in by_id
    ]
    problem = Problem(
        calendar=Calendar(sy.n_blocks, sy.block_days, sy.start_date),
        residents=tuple(residents),
        rotations=tuple(engine_rotation(r) for r in rots.values()),
        roles=tuple((p, "intern") for p in rules.intern_pgys),
        requirements=rules.requirements,
        windows=rules.windows,
        templates=rules.templates,
        max_consecutive=rules.max_consecutive,
        forbidden_adjacent=rules.forbidden_adjacent,
        min_spacing=rules.min_spacing,
        rest_after=rules.rest_after,
        vacation_requests=tuple(vac_reqs),
        preferences=tuple(preferences),
        wishes=tuple(wishes),
        fairness=rules.fairness,
        name=f"{sy.program.slug}-{sy.academic_year}",
    )
    return Built(problem, rules, by_id, rots, {k: v for k, v in chosen.items()}, skipped)


def schedule_of(version: ScheduleVersion) -> Schedule:
    """A version's assignments as an engine schedule."""
    out: Schedule = defaultdict(dict)
    for appt_id, block, code in Assignment.objects.filter(version=version).values_list(
        "appointment_id", "block", "rotation__code"
    ):
        out[resident_id(appt_id)][block] = code
    return dict(out)


def assignments_for(version: ScheduleVersion, built: Built, schedule: Schedule) -> list[Assignment]:
    """Unsaved Assignment rows of an engine schedule (ids the problem does not know are an
    error: the schedule was not made for this problem)."""
    rows = []
    for rid, row in schedule.items():
        appt = built.residents[rid]
        for block, code in sorted(row.items()):
            rows.append(
                Assignment(
                    version=version,
                    appointment_id=appt.pk,
                    block=block,
                    rotation=built.rotations[code],
                )
            )
    return rows


# --- Reports in words ----------------------------------------------------------------------


@dataclass
class Finding:
    """A violation as the screens show it (1-based blocks, names instead of ids)."""

    rule: str
    rule_label: str
    resident: str  # a name, or ""
    appointment_id: int | None
    rotation: str
    block: int | None  # 1-based
    message: str


def rule_label(rule: str, built: Built) -> str:
    kind, _, rest = rule.partition(":")
    if kind == "coverage":
        code, _, role = rest.partition(":")
        rot = built.rotations.get(code)
        return f"Coverage of {rot.name if rot else code} ({role})"
    if rest and rest in built.rules.descriptions:
        return built.rules.descriptions[rest]
    names = {
        "req": "Requirement",
        "window": "Pathway window",
        "template": "X+Y template",
        "maxconsec": "Consecutive limit",
        "adjacent": "Forbidden sequence",
        "spacing": "Spacing",
        "rest": "Rest after nights",
        "vacation": "Approved vacation",
        "wish": "Timing wish",
        "assign": "Every block filled",
        "eligibility": "Eligibility",
        "length": "Rotation length",
        "unavailable": "Not available",
    }
    label = names.get(kind, kind)
    return f"{label}: {rest}" if rest and kind != "vacation" else label


# What the objective's terms are called in a table of costs: kinds with a term per request
# are summed into one line; the other kinds the checker does not name are named here.
_COST_GROUPS = {
    "vacation": "Vacation requests not granted",
    "wish": "Timing wishes not met",
    "preference": "Elective preferences met (a reward)",
}
_COST_KINDS = {
    "prereq": "Prerequisite",
    "site_change": "Site changes",
    "waiting": "Idle blocks before the last",
    "fairness": "Fairness",
    "equity": "Equity",
}


def cost_label(rule: str, built: Built) -> str:
    """An objective term's rule in words, for a table of what each rule costs."""
    kind, _, rest = rule.partition(":")
    if kind in _COST_GROUPS:
        return _COST_GROUPS[kind]
    if kind in _COST_KINDS and rest not in built.rules.descriptions:
        return f"{_COST_KINDS[kind]}: {rest}" if rest else _COST_KINDS[kind]
    return rule_label(rule, built)


def costs_in_words(by_rule: dict[str, int], built: Built) -> list[tuple[str, int]]:
    """Costs by rule (the engine's rule names) summed by what they are called in words, the
    dearest first (rewards, below zero, last); rules that cost nothing are left out."""
    out: dict[str, int] = defaultdict(int)
    for rule, cost in by_rule.items():
        out[cost_label(rule, built)] += cost
    return sorted(((k, v) for k, v in out.items() if v), key=lambda kv: (-kv[1], kv[0]))


_RES = re.compile(r"\br(\d+)\b")
_BLOCK = re.compile(r"\b(blocks?) (\d+)(-(\d+))?")


def in_words(message: str, built: Built) -> str:
    def res(m: re.Match[str]) -> str:
        appt = built.residents.get(m.group(0))
        return appt.person.full_name if appt else m.group(0)

    def block(m: re.Match[str]) -> str:
        text = f"{m.group(1)} {int(m.group(2)) + 1}"
        return text + (f"-{int(m.group(4)) + 1}" if m.group(4) else "")

    return _BLOCK.sub(block, _RES.sub(res, message))


def findings(report: Report, built: Built) -> list[Finding]:
    out = []
    for v in report.violations:
        out.append(_finding(v, built))
    return out


def _finding(v: Violation, built: Built) -> Finding:
    appt = built.residents.get(v.resident) if v.resident else None
    rot = built.rotations.get(v.rotation or "")
    return Finding(
        rule=v.rule,
        rule_label=rule_label(v.rule, built),
        resident=appt.person.full_name if appt else "",
        appointment_id=appt.pk if appt else None,
        rotation=rot.name if rot else (v.rotation or ""),
        block=None if v.block is None else v.block + 1,
        message=in_words(v.message, built),
    )


def check_version(version: ScheduleVersion, built: Built | None = None) -> tuple[Built, Report]:
    built = built or build_problem(version.schedule_year, cohorts=version.cohorts)
    return built, check(built.problem, schedule_of(version))


def costs_summary(report_costs: list[tuple[str, str | None, str, int]]) -> dict[str, int]:
    """Objective terms summed per rule kind (for the version list)."""
    out: dict[str, int] = defaultdict(int)
    for rule, _, _, cost in report_costs:
        out[rule.split(":")[0]] += cost
    return dict(sorted(out.items()))
