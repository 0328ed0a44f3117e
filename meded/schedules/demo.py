"""The demo's rotation schedule configuration for Internal Medicine, after the seed: residents
alternate through general medicine services (wards at two hospitals), intensive care units
(MICU, CCU), the Emergency Department and consultation services; outpatient education by the
ambulatory care rotation (ACR) on an X+Y template and the ambulatory subspecialty elective
(ASE); electives, research and vacation.

26 two-week blocks; the template is 3+1 (six weeks of inpatient or elective work, then two
weeks of ACR), the two-week-block form of the seed's "4+1". Coverage is sized to the
program's headcount (the same arithmetic as benchmarks.generator), so the small test
demo (about 45 residents) and the full one (about 200) both solve. Every number is data in
the rows this creates, editable later."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from meded.org import queries
from meded.org.models import AcademicYear, Program
from meded.schedules.models import (
    ElectivePreference,
    RequestStatus,
    Rotation,
    RotationHistory,
    ScheduleYear,
    VacationRequest,
)

N_BLOCKS = 26
BLOCK_DAYS = 14
X, Y = 3, 1
VACATION_BLOCKS = 2
CLINIC_TRACKS = ["categorical", "primary-care", "global-primary-care", "psp", "psp-short"]
PRIMARY_CARE = ["primary-care", "global-primary-care"]
SCIENTIST = ["psp", "psp-short"]
INTENSIVE = ["wards", "icu", "night_float"]
# code, name, intern-eligible
ELECTIVES = [
    ("el_cards", "Cardiology elective", True),
    ("el_gi", "Gastroenterology elective", True),
    ("el_geri", "Geriatrics elective", True),
    ("el_palliative", "Palliative care elective", True),
    ("el_pulm", "Pulmonary elective", False),
    ("el_renal", "Nephrology elective", False),
    ("el_rheum", "Rheumatology elective", False),
    ("el_heme_onc", "Hematology-oncology elective", False),
]


@dataclass(frozen=True)
class Headcount:
    interns: int  # PGY-1 on a track with clinic (the template applies)
    prelims: int  # preliminary interns (no clinic)
    seniors: int  # PGY-2 and up

    @property
    def intern_free(self) -> float:
        """Interns free for inpatient work in an average block."""
        all_interns = self.interns + self.prelims
        return self.interns * X / (X + Y) + self.prelims - all_interns * VACATION_BLOCKS / N_BLOCKS

    @property
    def senior_free(self) -> float:
        return self.seniors * X / (X + Y) - self.seniors * VACATION_BLOCKS / N_BLOCKS


def _cov(role: str, lo: float, hi: float, floor: int = 0) -> dict[str, Any]:
    low = max(floor, int(lo))
    return {"role": role, "min": low, "max": max(low + 1, round(hi) + 1)}


def rotations_for(h: Headcount) -> list[dict[str, Any]]:
    """The rotations with coverage sized to the headcount."""
    i, s = h.intern_free, h.senior_free
    n = h.interns + h.prelims + h.seniors
    rots: list[dict[str, Any]] = [
        dict(
            code="wards_mgh",
            name="General medicine, main hospital",
            category="wards",
            site="Main hospital",
            length=2,
            coverage=[_cov("intern", 0.16 * i, 0.28 * i, 1), _cov("senior", 0.09 * s, 0.17 * s, 1)],
        ),
        dict(
            code="wards_community",
            name="General medicine, community hospital",
            category="wards",
            site="Community hospital",
            length=2,
            coverage=[_cov("intern", 0.16 * i, 0.28 * i, 1), _cov("senior", 0.09 * s, 0.17 * s, 1)],
        ),
        dict(
            code="micu",
            name="Medical ICU",
            category="icu",
            site="Main hospital",
            length=2,
            coverage=[_cov("intern", 0.08 * i, 0.13 * i, 1), _cov("senior", 0.04 * s, 0.07 * s, 1)],
        ),
        dict(
            code="ccu",
            name="Cardiac ICU",
            category="icu",
            site="Main hospital",
            length=2,
            coverage=[_cov("intern", 0.04 * i, 0.08 * i), _cov("senior", 0.02 * s, 0.05 * s)],
        ),
        dict(
            code="ed",
            name="Emergency Department",
            category="ed",
            site="Main hospital",
            pgys=[2, 3],
            coverage=[_cov("senior", 0.03 * s, 0.07 * s)],
        ),
        dict(
            code="nf",
            name="Night float",
            category="night_float",
            site="Main hospital",
            coverage=[_cov("intern", 0.02 * i, 0.05 * i), _cov("senior", 0.015 * s, 0.04 * s)],
        ),
    ]
    for code, name, interns_too in (
        ("consult_cards", "Cardiology consults", True),
        ("consult_id", "Infectious disease consults", True),
        ("consult_gi", "GI consults", False),
    ):
        rots.append(
            dict(
                code=code,
                name=name,
                category="consult",
                site="Main hospital",
                pgys=[] if interns_too else [2, 3],
                coverage=[
                    {"role": "any", "min": max(0, int(0.012 * s)), "max": max(2, round(0.06 * n))}
                ],
            )
        )
    rots += [
        dict(
            code="acr",
            name="Ambulatory care rotation (ACR)",
            category="ambulatory",
            site="Continuity practice",
            tracks=CLINIC_TRACKS,
        ),
        dict(
            code="ase",
            name="Ambulatory subspecialty elective (ASE)",
            category="ambulatory_subspecialty",
            tracks=CLINIC_TRACKS,
            coverage=[{"role": "any", "min": 0, "max": max(2, round(0.09 * n))}],
        ),
    ]
    for code, name, interns_too in ELECTIVES:
        rots.append(
            dict(
                code=code,
                name=name,
                category="elective",
                pgys=[] if interns_too else [2, 3],
                coverage=[{"role": "any", "min": 0, "max": max(2, round(0.035 * n))}],
            )
        )
    rots += [
        dict(
            code="research",
            name="Research",
            category="research",
            tracks=["categorical", *SCIENTIST],
            coverage=[{"role": "any", "min": 0, "max": max(2, round(0.04 * n))}],
        ),
        dict(
            code="vacation",
            name="Vacation",
            category="vacation",
            coverage=[
                {"role": "intern", "min": 0, "max": max(1, round((h.interns + h.prelims) * 0.16))},
                {"role": "senior", "min": 0, "max": max(1, round(h.seniors * 0.16))},
            ],
        ),
    ]
    for order, r in enumerate(rots):
        r["sort_order"] = order
    return rots


def _t(**kw: list[str]) -> dict[str, list[str]]:
    return dict(kw)


def rules_document() -> dict[str, Any]:
    """Requirements, sequencing, the X+Y template and fairness (numbers are configuration)."""
    wards, icu, nights = (
        _t(categories=["wards"]),
        _t(categories=["icu"]),
        _t(categories=["night_float"]),
    )
    seniors = {"pgys": [2, 3]}
    return {
        "intern_pgys": [1],
        "vacation_pending_weight": 10,
        "wish_weight": 5,
        "preference_weights": [5, 3, 1],
        "requirements": [
            {
                "id": "vacation",
                "target": _t(categories=["vacation"]),
                "min": VACATION_BLOCKS,
                "max": VACATION_BLOCKS,
                "description": "Two blocks of vacation",
            },
            {
                "id": "pgy1_wards",
                "target": wards,
                "who": {"pgys": [1]},
                "min": 8,
                "description": "Interns: at least 8 blocks of wards",
            },
            {
                "id": "pgy1_icu",
                "target": icu,
                "who": {"pgys": [1]},
                "min": 2,
                "max": 6,
                "description": "Interns: 2-6 blocks of ICU",
            },
            {
                "id": "pgy1_nights",
                "target": nights,
                "who": {"pgys": [1]},
                "max": 3,
                "description": "Interns: at most 3 blocks of nights",
            },
            {
                "id": "senior_wards",
                "target": wards,
                "who": seniors,
                "min": 4,
                "description": "Seniors: at least 4 blocks of wards",
            },
            {
                "id": "pgy2_icu",
                "target": icu,
                "who": {"pgys": [2]},
                "min": 2,
                "max": 6,
                "description": "PGY-2: 2-6 blocks of ICU",
            },
            {
                "id": "pgy3_icu",
                "target": icu,
                "who": {"pgys": [3]},
                "max": 6,
                "description": "PGY-3: at most 6 blocks of ICU",
            },
            {
                "id": "senior_nights",
                "target": nights,
                "who": seniors,
                "max": 3,
                "description": "Seniors: at most 3 blocks of nights",
            },
            {
                "id": "pc_ase",
                "target": _t(categories=["ambulatory_subspecialty"]),
                "who": {"pgys": [2, 3], "tracks": PRIMARY_CARE},
                "min": 2,
                "description": "Primary care seniors: 2 blocks of ASE",
            },
            {
                "id": "research_max",
                "target": _t(categories=["research"]),
                "who": {"tracks": ["categorical"]},
                "max": 2,
                "weight": 10,
                "description": "Categorical residents: research at most 2 blocks (soft)",
            },
            {
                "id": "ed_pgy2",
                "target": _t(categories=["ed"]),
                "who": {"pgys": [2]},
                "min": 1,
                "weight": 20,
                "description": "PGY-2: a block in the ED (soft)",
            },
            # Over residency (earlier years from history): critical care 2-6 months
            # (rules.md section 2, unverified, so numbers here are configuration).
            {
                "id": "icu_residency_max",
                "target": icu,
                "scope": "residency",
                "max": 12,
                "description": "Critical care at most 12 blocks (6 months) over residency",
            },
            {
                "id": "icu_residency_min",
                "target": icu,
                "who": {"pgys": [3]},
                "scope": "residency",
                "min": 4,
                "description": "By graduation at least 4 blocks (2 months) of critical care",
            },
            *[
                {
                    "id": f"once_{code}",
                    "target": _t(rotations=[code]),
                    "max": 1,
                    "unit": "stints",
                    "description": f"{name} at most once",
                }
                for code, name, _ in ELECTIVES
            ],
        ],
        "windows": [
            {
                "id": "psp_early_elective",
                "who": {"pgys": [1], "tracks": SCIENTIST},
                "target": _t(categories=["elective", "research"]),
                "first": 0,
                "last": N_BLOCKS // 2 - 1,
                "description": (
                    "Physician-scientist interns: an early elective block (specialty of "
                    "interest or research) in the first half of internship"
                ),
            },
            {
                "id": "psp_pgy2_research_late",
                "who": {"pgys": [2], "tracks": SCIENTIST},
                "target": _t(categories=["research"]),
                "first": N_BLOCKS - 6,
                "last": N_BLOCKS - 1,
                "min_blocks": 2,
                "weight": 20,
                "description": (
                    "Physician-scientist PGY-2s: research electives at the end of the year (soft)"
                ),
            },
        ],
        "templates": [
            {
                "id": "acr",
                "x": X,
                "y": Y,
                "target": _t(categories=["ambulatory"]),
                "who": {"tracks": CLINIC_TRACKS},
                "description": f"{X}+{Y}: ACR every {X + Y}th block",
            },
        ],
        "max_consecutive": [
            {
                "id": "intensive_run",
                "target": _t(categories=INTENSIVE),
                "k": 3,
                "description": "At most 3 consecutive intensive blocks",
            },
        ],
        "forbidden_adjacent": [
            {
                "id": "nf_icu",
                "first": nights,
                "then": icu,
                "description": "No night float next to ICU",
            },
        ],
        "min_spacing": [
            {
                "id": "nf_spacing",
                "target": nights,
                "gap": 2,
                "description": "Night float stints at least 2 blocks apart",
            },
        ],
        "rest_after": [
            {
                "id": "rest_after_nights",
                "after": nights,
                "intensive": _t(categories=INTENSIVE),
                "description": "No intensive block right after nights",
            },
        ],
        "fairness": [
            {
                "id": "intensive",
                "metric": "blocks",
                "weight": 2,
                "target": _t(categories=INTENSIVE),
                "who": {"tracks": CLINIC_TRACKS},
            },
            {"id": "nights", "metric": "blocks", "weight": 2, "target": nights},
            {"id": "preference", "metric": "preference", "weight": 1},
        ],
    }


def headcount(program: Program, year: AcademicYear, day: dt.date) -> Headcount:
    interns = prelims = seniors = 0
    for appt in queries.roster(program, year, day=day):
        pgy = getattr(appt, "pgy", None)
        if pgy is None:
            continue
        if pgy >= 2:
            seniors += 1
        elif appt.track is not None and appt.track.is_preliminary:
            prelims += 1
        else:
            interns += 1
    return Headcount(interns, prelims, seniors)


@transaction.atomic
def load_schedule_demo(
    program: Program, year: AcademicYear | None = None, today: dt.date | None = None
) -> ScheduleYear:
    """Rotations, the schedule year with its rules, and a few resident requests. Running it
    again updates the configuration in place (requests are made once)."""
    today = today or timezone.localdate()
    year = year or queries.current_year(today)
    if year is None:
        raise ValueError("No academic year contains today; create one first.")
    day = today if year.start_date <= today <= year.end_date else year.start_date
    h = headcount(program, year, day)
    for spec in rotations_for(h):
        code = spec.pop("code")
        spec.setdefault("pgys", [])
        spec.setdefault("tracks", [])
        spec.setdefault("coverage", [])
        spec.setdefault("site", "")
        spec.setdefault("length", 1)
        Rotation.objects.update_or_create(program=program, code=code, defaults=spec)
    sy, created = ScheduleYear.objects.update_or_create(
        program=program,
        academic_year=year,
        defaults={
            "n_blocks": N_BLOCKS,
            "block_days": BLOCK_DAYS,
            "start_date": year.start_date,
            # Open around today so the demo's residents can try it.
            "requests_open": today - dt.timedelta(days=7),
            "requests_close": today + dt.timedelta(days=30),
            "rules": rules_document(),
            # a first schedule takes about 1 s at the small scale, 5-9 s at the full one
            "solve_seconds": 10 if h.interns + h.prelims + h.seniors < 100 else 30,
        },
    )
    if created:
        _requests(sy, program, year, day)
        _history(sy, program, year, day)
    return sy


# Weeks per rotation in a prior year of residency (the ICU share varies per resident).
PRIOR_YEAR_WEEKS = {
    1: {"wards_mgh": 10, "wards_community": 8, "nf": 4, "acr": 12, "vacation": 4, "ed": 2},
    2: {"wards_mgh": 6, "wards_community": 4, "nf": 4, "acr": 12, "vacation": 4, "ed": 4},
}


def _history(sy: ScheduleYear, program: Program, year: AcademicYear, day: dt.date) -> None:
    """Earlier years of residency for today's PGY-2s and PGY-3s, as if typed in from the
    program's old spreadsheets, so rules "over residency" have something to count."""
    rots = {r.code: r for r in Rotation.objects.filter(program=program)}
    rows: list[RotationHistory] = []
    for i, appt in enumerate(queries.roster(program, year, day=day)):
        pgy = getattr(appt, "pgy", None)
        if pgy is None or pgy < 2:
            continue
        for back in range(1, pgy):
            start = year.start_date.replace(year=year.start_date.year - back)
            prior = AcademicYear.objects.filter(start_date=start).first()
            if prior is None:
                s0, e0 = AcademicYear.bounds_for(start)
                prior = AcademicYear.objects.create(
                    name=f"{s0.year}-{e0.year}", start_date=s0, end_date=e0
                )
            was = pgy - back
            weeks = dict(PRIOR_YEAR_WEEKS.get(was, PRIOR_YEAR_WEEKS[2]))
            weeks["micu"] = 4 + 2 * ((i + back) % 3)  # 2-4 blocks of MICU
            if (i + back) % 2:
                weeks["ccu"] = 2
            rows.extend(
                RotationHistory(appointment=appt, rotation=rots[code], academic_year=prior, weeks=w)
                for code, w in weeks.items()
                if code in rots
            )
    RotationHistory.objects.bulk_create(rows, ignore_conflicts=True)


def _requests(sy: ScheduleYear, program: Program, year: AcademicYear, day: dt.date) -> None:
    """A few vacation requests (approved and pending, away from the resident's ACR blocks)
    and elective rankings."""
    from meded.schedules.adapters import build_problem

    built = build_problem(sy, today=day)
    template = built.problem.templates[0] if built.problem.templates else None
    rots = {r.code: r for r in Rotation.objects.filter(program=program)}
    intern_ok = [code for code, _, ok in ELECTIVES if ok]
    every = [code for code, _, _ in ELECTIVES]
    vacations = []
    prefs = []
    for i, res in enumerate(built.problem.residents):
        appt = built.residents[res.id]
        if i % 7 == 0:
            block = 2 + (5 * i) % (N_BLOCKS - 4)
            while template and res.cohort is not None and template.is_plus_block(res.cohort, block):
                block += 1
            status = RequestStatus.APPROVED if i % 14 == 0 else RequestStatus.PENDING
            vacations.append(
                VacationRequest(
                    schedule_year=sy,
                    appointment=appt,
                    blocks=[block],
                    status=status,
                    note="Wedding" if status == RequestStatus.APPROVED else "Family event",
                )
            )
        if i % 3 == 0:
            pool = intern_ok if res.pgy == 1 else every
            for rank in range(3):
                code = pool[(i + rank) % len(pool)]
                prefs.append(
                    ElectivePreference(
                        schedule_year=sy, appointment=appt, rotation=rots[code], rank=rank + 1
                    )
                )
    VacationRequest.objects.bulk_create(vacations)
    ElectivePreference.objects.bulk_create(prefs)
