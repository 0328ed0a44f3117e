"""A seeded generator of Internal-Medicine-like block-schedule programs (benchmarks, tests).

Shape like the demo program: PGY1 (categorical, primary care, physician-scientist) plus
preliminary interns, PGY2 and PGY3; 26 two-week blocks; about 37 rotations (wards at three
hospitals, MICU/CCU, ED, night float at two sites, five consults, ACR clinic on a 3+1
template, two ASE rotations, 15 electives, research, away, vacation). Every number is a
parameter of this generator, not of the engine; coverage is scaled to the headcount so the
generated program is feasible by construction (with slack).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from meded.engine.blocks.model import (
    Calendar,
    Category,
    CoverageRule,
    Fairness,
    ForbiddenAdjacency,
    MaxConsecutive,
    MinSpacing,
    Preference,
    Problem,
    Requirement,
    Resident,
    RestAfter,
    Rotation,
    Template,
    Unit,
    VacationRequest,
    Window,
    Wish,
    sel,
    who,
)

C = Category
INTENSIVE = [C.WARDS.value, C.ICU.value, C.NIGHT_FLOAT.value]
ELECTIVES = [
    "cards",
    "gi",
    "pulm",
    "renal",
    "endo",
    "rheum",
    "id",
    "heme",
    "onc",
    "geri",
    "palliative",
    "neuro",
    "derm",
    "sports",
    "addiction",
]
INTERN_ELECTIVES = {"cards", "gi", "geri", "palliative", "id"}


@dataclass(frozen=True)
class ProgramSpec:
    residents: int = 190
    seed: int = 0
    n_blocks: int = 26
    x: int = 3  # X+Y template in blocks (3+1 = six weeks inpatient, two weeks clinic)
    y: int = 1
    vacation_blocks: int = 2
    approved_share: float = 0.15
    requested_share: float = 0.15


def generate(spec: ProgramSpec | None = None, **kw: int | float) -> Problem:
    spec = spec or ProgramSpec(**kw)  # type: ignore[arg-type]
    rng = random.Random(spec.seed)
    n = spec.residents
    nb = spec.n_blocks
    n1 = round(n * 0.26)
    n_pre = round(n * 0.08)
    n2 = round(n * 0.33)
    n3 = n - n1 - n_pre - n2
    period = spec.x + spec.y
    cohorts = period // spec.y

    residents: list[Resident] = []
    k = 0

    def add(pgy: int, track: str, count: int) -> None:
        nonlocal k
        for _ in range(count):
            cohort = None if track == "preliminary" else k % cohorts
            hist: tuple[tuple[str, int], ...] = ()
            if pgy >= 2:
                hist = (("micu", 2 * rng.randint(1, pgy)), ("wards_uh", 2 * rng.randint(3, 4)))
            residents.append(
                Resident(id=f"r{k:03d}", pgy=pgy, track=track, cohort=cohort, history=hist)
            )
            k += 1

    n_psp1 = max(1, round(n1 * 0.08))
    n_pc1 = max(1, round(n1 * 0.15))
    add(1, "physician_scientist", n_psp1)
    add(1, "primary_care", n_pc1)
    add(1, "categorical", n1 - n_psp1 - n_pc1)
    add(1, "preliminary", n_pre)
    for pgy, cnt in ((2, n2), (3, n3)):
        n_psp = max(1, round(cnt * 0.06))
        n_pc = max(1, round(cnt * 0.15))
        add(pgy, "physician_scientist", n_psp)
        add(pgy, "primary_care", n_pc)
        add(pgy, "categorical", cnt - n_psp - n_pc)

    interns = n1 + n_pre
    seniors = n2 + n3
    # residents free for inpatient work in a block: not in clinic, not on vacation
    i_free = n1 * spec.x / period + n_pre - interns * spec.vacation_blocks / nb
    s_free = seniors * spec.x / period - seniors * spec.vacation_blocks / nb

    def cov(role: str, lo: float, hi: float) -> CoverageRule:
        return CoverageRule(min=max(0, int(lo)), max=max(1, round(hi) + 1), role=role)

    seniors_only = frozenset({2, 3})
    rots: list[Rotation] = []
    for site in ("uh", "va", "cmc"):
        rots.append(
            Rotation(
                f"wards_{site}",
                f"Wards {site.upper()}",
                C.WARDS.value,
                site=site,
                discipline="wards",
                length=2,
                coverage=(
                    cov("intern", 0.11 * i_free, 0.2 * i_free),
                    cov("senior", 0.06 * s_free, 0.12 * s_free),
                ),
            )
        )
    rots.append(
        Rotation(
            "micu",
            "MICU",
            C.ICU.value,
            site="uh",
            length=2,
            coverage=(
                cov("intern", 0.08 * i_free, 0.13 * i_free),
                cov("senior", 0.04 * s_free, 0.07 * s_free),
            ),
        )
    )
    rots.append(
        Rotation(
            "ccu",
            "CCU",
            C.ICU.value,
            site="uh",
            length=2,
            coverage=(
                cov("intern", 0.04 * i_free, 0.08 * i_free),
                cov("senior", 0.02 * s_free, 0.05 * s_free),
            ),
        )
    )
    rots.append(
        Rotation(
            "ed",
            "Emergency Dept",
            C.ED.value,
            site="uh",
            pgys=seniors_only,
            coverage=(cov("senior", 0.03 * s_free, 0.07 * s_free),),
        )
    )
    for site in ("uh", "va"):
        rots.append(
            Rotation(
                f"nf_{site}",
                f"Night float {site.upper()}",
                C.NIGHT_FLOAT.value,
                site=site,
                discipline="night_float",
                coverage=(
                    cov("intern", 0.02 * i_free, 0.05 * i_free),
                    cov("senior", 0.015 * s_free, 0.04 * s_free),
                ),
            )
        )
    for c in ("cards", "gi", "id", "renal", "heme"):
        rots.append(
            Rotation(
                f"consult_{c}",
                f"{c.upper()} consults",
                C.CONSULT.value,
                pgys=seniors_only if c not in ("cards", "id") else frozenset(),
                coverage=(
                    CoverageRule(min=max(0, int(0.012 * s_free)), max=max(2, round(0.06 * n))),
                ),
            )
        )
    rots.append(
        Rotation(
            "acr",
            "ACR clinic",
            C.AMBULATORY.value,
            tracks=frozenset({"categorical", "primary_care", "physician_scientist"}),
        )
    )
    for name in ("ase_a", "ase_b"):
        rots.append(
            Rotation(
                name,
                f"ASE {name[-1].upper()}",
                C.AMBULATORY_SUBSPECIALTY.value,
                pgys=seniors_only | frozenset({1}),
                tracks=frozenset({"categorical", "primary_care", "physician_scientist"}),
                coverage=(CoverageRule(max=max(2, round(0.06 * n))),),
            )
        )
    for e in ELECTIVES:
        rots.append(
            Rotation(
                f"el_{e}",
                f"{e.title()} elective",
                C.ELECTIVE.value,
                pgys=frozenset() if e in INTERN_ELECTIVES else seniors_only,
                coverage=(CoverageRule(max=max(2, round(0.035 * n))),),
            )
        )
    rots.append(
        Rotation(
            "research",
            "Research",
            C.RESEARCH.value,
            tracks=frozenset({"physician_scientist", "categorical"}),
            coverage=(CoverageRule(max=max(2, round(0.04 * n))),),
        )
    )
    rots.append(
        Rotation(
            "away",
            "Away elective",
            C.AWAY.value,
            pgys=frozenset({3}),
            coverage=(CoverageRule(max=max(1, round(0.02 * n))),),
        )
    )
    allowed_vac = frozenset(range(1, nb - 1))
    rots.append(
        Rotation(
            "vacation",
            "Vacation",
            C.VACATION.value,
            allowed_blocks=allowed_vac,
            coverage=(
                CoverageRule(max=max(1, round(interns * 0.16)), role="intern"),
                CoverageRule(max=max(1, round(seniors * 0.16)), role="senior"),
            ),
        )
    )

    cat_tracks = who(tracks=["categorical", "primary_care", "physician_scientist"])
    tpl = Template("3+1", spec.x, spec.y, sel(categories=[C.AMBULATORY.value]))
    icu = sel(categories=[C.ICU.value])
    wards = sel(categories=[C.WARDS.value])
    nights = sel(categories=[C.NIGHT_FLOAT.value])
    vac = sel(categories=[C.VACATION.value])
    reqs = [
        Requirement("vacation", vac, min=spec.vacation_blocks, max=spec.vacation_blocks),
        Requirement("pgy1_wards", wards, who(pgys=[1]), min=8),
        Requirement("pgy1_icu", icu, who(pgys=[1]), min=2, max=6),
        Requirement("pgy1_nights", nights, who(pgys=[1]), max=3),
        Requirement("senior_wards", wards, who(pgys=[2, 3]), min=4),
        Requirement("pgy2_icu", icu, who(pgys=[2]), min=2, max=6),
        Requirement("pgy3_icu", icu, who(pgys=[3]), max=6),
        Requirement("senior_nights", nights, who(pgys=[2, 3]), max=3),
        Requirement("icu_residency", icu, who(pgys=[3]), min=6, max=12, scope="residency"),
        Requirement(
            "pc_ase",
            sel(categories=[C.AMBULATORY_SUBSPECIALTY.value]),
            who(pgys=[2, 3], tracks=["primary_care"]),
            min=2,
        ),
        Requirement(
            "research_max",
            sel(categories=[C.RESEARCH.value]),
            who(tracks=["categorical"]),
            max=2,
            weight=10,
        ),
        Requirement("ed_seniors", sel(categories=[C.ED.value]), who(pgys=[2]), min=1, weight=20),
    ]
    reqs += [
        Requirement(f"once_{e}", sel(rotations=[f"el_{e}"]), max=1, unit=Unit.STINTS)
        for e in ELECTIVES
    ]
    windows = [
        Window(
            "psp_early_research",
            who(pgys=[1], tracks=["physician_scientist"]),
            sel(categories=[C.RESEARCH.value]),
            0,
            nb // 2 - 1,
        ),
        Window(
            "psp_pgy2_late_research",
            who(pgys=[2], tracks=["physician_scientist"]),
            sel(categories=[C.RESEARCH.value]),
            nb - 8,
            nb - 1,
            min_blocks=2,
        ),
    ]
    seq_mc = [MaxConsecutive("intensive_run", sel(categories=INTENSIVE), 3)]
    seq_fa = [ForbiddenAdjacency("nf_icu", nights, icu)]
    seq_ms = [MinSpacing("nf_spacing", nights, 2)]
    seq_ra = [RestAfter("rest_after_nights", nights, sel(categories=INTENSIVE))]

    vreq: list[VacationRequest] = []
    prefs: list[Preference] = []
    wishes: list[Wish] = []
    out_res: list[Resident] = []
    vac_load: dict[tuple[str, int], int] = {}
    vac_cap = {
        "intern": max(1, round(interns * 0.16)) // 2,
        "senior": max(1, round(seniors * 0.16)) // 2,
    }
    for r in residents:
        role = "intern" if r.pgy == 1 else "senior"
        plus = {b for b in range(nb) if r.cohort is not None and tpl.is_plus_block(r.cohort, b)}
        unavailable: frozenset[int] = frozenset()
        if rng.random() < 0.02:
            start = rng.randrange(2, nb - 4)
            unavailable = frozenset(range(start, start + 2))
        free = [b for b in sorted(allowed_vac) if b not in plus and b not in unavailable]
        vac_b: int | None = None
        u = rng.random()
        if u < spec.approved_share + spec.requested_share:
            b = rng.choice(free)
            if vac_load.get((role, b), 0) < vac_cap[role]:
                vac_load[(role, b)] = vac_load.get((role, b), 0) + 1
                vac_b = b
                vreq.append(
                    VacationRequest(
                        f"vr_{r.id}",
                        r.id,
                        frozenset({b}),
                        approved=u < spec.approved_share,
                        weight=10,
                    )
                )
        el = list(ELECTIVES) if r.pgy >= 2 else sorted(INTERN_ELECTIVES)
        for rank, e in enumerate(rng.sample(el, 3)):
            prefs.append(Preference(r.id, sel(rotations=[f"el_{e}"]), (5, 3, 1)[rank]))
        if rng.random() < 0.1:
            wishes.append(Wish(f"w_{r.id}", r.id, icu, not_before=nb // 4, weight=5))
        pins: tuple[tuple[int, str], ...] = ()
        if r.pgy == 3 and rng.random() < 0.05:
            cands = [b for b in free if b != vac_b]
            pins = ((rng.choice(cands), "away"),)
        out_res.append(Resident(r.id, r.pgy, r.track, r.cohort, r.history, pins, unavailable))

    return Problem(
        calendar=Calendar(nb, 14),
        residents=tuple(out_res),
        rotations=tuple(rots),
        roles=((1, "intern"),),
        requirements=tuple(reqs),
        windows=tuple(windows),
        templates=(tpl,),
        max_consecutive=tuple(seq_mc),
        forbidden_adjacent=tuple(seq_fa),
        min_spacing=tuple(seq_ms),
        rest_after=tuple(seq_ra),
        vacation_requests=tuple(vreq),
        preferences=tuple(prefs),
        wishes=tuple(wishes),
        fairness=(
            Fairness("intensive", "blocks", 2, sel(categories=INTENSIVE), who=cat_tracks),
            Fairness(
                "intensive_prelim",
                "blocks",
                2,
                sel(categories=INTENSIVE),
                who=who(tracks=["preliminary"]),
            ),
            Fairness("nights", "blocks", 2, nights),
            Fairness("preference", "preference", 1),
        ),
        name=f"im-{n}-s{spec.seed}",
    )
