"""Medical Student Scheduling (MSS) instances: loader, independent scorer, and translation
into the block engine's model (see SPEC.md in the shared benchmark data, ../shared/benchdata/mss/).

The scorer (``evaluate``) is written from the specification and works on the raw instance
arrays and a period grid; it shares no code with the engine's rules or checker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from meded.engine.blocks.model import (
    EVERYONE,
    Calendar,
    CoverageRule,
    Equity,
    Preference,
    Prerequisite,
    Problem,
    Requirement,
    Resident,
    Rotation,
    Schedule,
    SiteChange,
    Unit,
    Waiting,
    sel,
    who,
)

_SCALARS = (
    "Students",
    "Disciplines",
    "Hospitals",
    "Duration",
    "Horizon",
    "Groups",
    "MaxDiscPerHosp",
)


@dataclass
class MssInstance:
    """0-based arrays; names follow SPEC.md section 3.2."""

    name: str
    S: int
    D: int
    H: int
    L: int
    T: int
    G: int
    M: int
    disc_group: list[int]  # [d] -> g
    req: list[list[int]]  # [s][g]
    allowed: list[list[int]]  # [s][d]
    preceded_by: list[list[int]]  # [d][d'] = 1: d' before d
    avail: list[list[int]]  # [s][t]
    ability: list[list[list[int]]]  # [s][h][d]
    max_pos: list[list[list[int]]]  # [h][d][t]
    min_pos: list[list[list[int]]]  # [h][d][t]
    weights: list[list[int]]  # [s] -> wd, wh, wc, ww
    pref_disc: list[list[int]]  # [s][d]
    pref_hosp: list[list[int]]  # [s][h]
    man_pref: list[int]  # [d]
    n_internships: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.n_internships = [sum(r) for r in self.req]


def _reshape(flat: list[int], shape: tuple[int, ...]) -> list[Any]:
    if len(shape) == 1:
        return list(flat)
    step = len(flat) // shape[0]
    return [_reshape(flat[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


def parse_dzn(text: str, name: str = "instance") -> MssInstance:
    """SPEC 3.1: strip comments, split statements, read every integer token by name."""
    text = re.sub(r"%[^\n]*", "", text)
    fields: dict[str, list[int]] = {}
    for stmt in text.split(";"):
        if "=" not in stmt:
            continue
        key, val = stmt.split("=", 1)
        val = re.sub(r"array\dd\s*\((\s*\d+\s*\.\.\s*\w+\s*,)*", "", val)
        fields[key.strip()] = [int(t) for t in re.findall(r"-?\d+", val)]
    missing = [k for k in _SCALARS if not fields.get(k)]
    if missing:
        raise ValueError(f"{name}: missing or empty field(s) {', '.join(missing)}")
    sc = {k: fields[k][0] for k in _SCALARS}
    S, D, H, T, G = (
        sc["Students"],
        sc["Disciplines"],
        sc["Hospitals"],
        sc["Horizon"],
        sc["Groups"],
    )

    def arr(key: str, *shape: int) -> list[Any]:
        if key not in fields:
            raise ValueError(f"{name}: missing field {key}")
        flat = fields[key]
        size = 1
        for x in shape:
            size *= x
        if len(flat) != size:
            raise ValueError(f"{name}: {key} has {len(flat)} values, expected {size}")
        return _reshape(flat, shape)

    return MssInstance(
        name=name,
        S=S,
        D=D,
        H=H,
        L=sc["Duration"],
        T=T,
        G=G,
        M=sc["MaxDiscPerHosp"],
        disc_group=[g - 1 for g in arr("DiscGroup", D)],
        req=arr("StudDiscGroup", S, G),
        allowed=arr("AllowedDisc", S, D),
        preceded_by=arr("Precededby", D, D),
        avail=arr("Availability", S, T),
        ability=arr("Ability", S, H, D),
        max_pos=arr("MaxPosHosp", H, D, T),
        min_pos=arr("MinPosHosp", H, D, T),
        weights=arr("WeightPref", S, 4),
        pref_disc=arr("PrefStudDisc", S, D),
        pref_hosp=arr("PrefStudHosp", S, H),
        man_pref=arr("ManPref", D),
    )


def load(path: str | Path) -> MssInstance:
    p = Path(path)
    return parse_dzn(p.read_text(), p.stem)


# -- solutions -------------------------------------------------------------------------------
Grid = list[list[tuple[int, int] | None]]  # [s][t] -> (h, d) or idle


def read_solution(text: str, inst: MssInstance) -> Grid:
    """SPEC 7: the S*T*H*D 0/1 list after the first '['; discipline varies fastest."""
    body = text[text.index("[") + 1 :]
    body = body[: body.index("]")]
    vals = [int(v) for v in re.findall(r"-?\d+", body)]
    S, T, H, D = inst.S, inst.T, inst.H, inst.D
    if len(vals) != S * T * H * D:
        raise ValueError(f"solution has {len(vals)} values, expected {S * T * H * D}")
    grid: Grid = [[None] * T for _ in range(S)]
    for i, v in enumerate(vals):
        if v:
            d = i % D
            h = (i // D) % H
            t = (i // (D * H)) % T
            s = i // (D * H * T)
            if grid[s][t] is not None:
                raise ValueError(f"student {s + 1} is in two wards in period {t + 1}")
            grid[s][t] = (h, d)
    return grid


@dataclass
class Score:
    total: int  # sum of Des_s
    worst: int  # min Des_s
    per_student: list[int]
    violations: list[str]

    @property
    def objective(self) -> int:
        return self.total + self.worst


def write_solution(grid: Grid, inst: MssInstance, score: Score) -> str:
    S, T, H, D = inst.S, inst.T, inst.H, inst.D
    vals = ["0"] * (S * T * H * D)
    for s in range(S):
        for t in range(T):
            cell = grid[s][t]
            if cell is not None:
                h, d = cell
                vals[((s * T + t) * H + h) * D + d] = "1"
    return (
        f"schedule= array4d(1..Students,1..Horizon, 1..Hospitals,1..Disciplines,"
        f"[{','.join(vals)}]);\n"
        f" %The real score reached is {score.total}\n"
        f" %The worst score reached is {score.worst}\n"
        f" %The score maximizes is {score.objective}\n"
    )


def evaluate(inst: MssInstance, grid: Grid) -> Score:
    """Check H1-H10 and compute Des_s and the objective exactly as SPEC sections 5-6 say."""
    viol: list[str] = []
    L, T = inst.L, inst.T
    des: list[int] = []
    for s in range(inst.S):
        row = grid[s]
        # decode runs of the same ward into internships of length L (H1 by grid shape, H2)
        ints: list[tuple[int, int, int]] = []  # (start, h, d)
        t = 0
        while t < T:
            cell = row[t]
            if cell is None:
                t += 1
                continue
            e = t
            while e + 1 < T and row[e + 1] == cell:
                e += 1
            run = e - t + 1
            if run % L:
                viol.append(f"H2 s{s + 1}: run of {run} periods in ward {cell} at {t + 1}")
            for k in range(t, e + 1, L):
                ints.append((k, cell[0], cell[1]))
            t = e + 1
        discs = [d for _, _, d in ints]
        if len(set(discs)) != len(discs):
            viol.append(f"H4 s{s + 1}: a discipline repeated")
        for g in range(inst.G):
            n_g = len({d for d in discs if inst.disc_group[d] == g})
            if n_g != inst.req[s][g]:
                viol.append(f"H3 s{s + 1} group {g + 1}: {n_g} != {inst.req[s][g]}")
        for start, h, d in ints:
            if not inst.allowed[s][d]:
                viol.append(f"H5 s{s + 1}: discipline {d + 1} not allowed")
            if not inst.ability[s][h][d]:
                viol.append(f"H9 s{s + 1}: not able for d{d + 1} at h{h + 1}")
            for dp in range(inst.D):
                if inst.preceded_by[d][dp]:
                    ok = any(d2 == dp and st2 + L <= start for st2, _, d2 in ints)
                    if not ok:
                        viol.append(f"H6 s{s + 1}: d{d + 1} at {start + 1} before d{dp + 1}")
        for h in range(inst.H):
            n_h = sum(1 for _, hh, _ in ints if hh == h)
            if n_h > inst.M:
                viol.append(f"H7 s{s + 1}: {n_h} internships at h{h + 1} > {inst.M}")
        for t in range(T):
            if row[t] is not None and not inst.avail[s][t]:
                viol.append(f"H10 s{s + 1}: busy in unavailable period {t + 1}")
        wd, wh, wc, ww = inst.weights[s]
        sd = wd * sum(inst.pref_disc[s][d] for d in discs)
        sh = wh * sum(inst.pref_hosp[s][h] for _, h, _ in ints)
        sm = sum(inst.man_pref[d] for d in discs)
        ch = sum(1 for a, b in pairwise(ints) if a[1] != b[1])
        occupied = [t for t in range(T) if row[t] is not None]
        wt = (occupied[-1] + 1 - len(occupied)) if occupied else 0
        des.append(sd + sh + sm + wc * ch + ww * wt)
    for h in range(inst.H):
        for d in range(inst.D):
            for t in range(T):
                n = sum(1 for s in range(inst.S) if grid[s][t] == (h, d))
                if not inst.min_pos[h][d][t] <= n <= inst.max_pos[h][d][t]:
                    viol.append(
                        f"H8 ward h{h + 1} d{d + 1} period {t + 1}: {n} not in "
                        f"[{inst.min_pos[h][d][t]}, {inst.max_pos[h][d][t]}]"
                    )
    return Score(sum(des), min(des) if des else 0, des, viol)


# -- translation into the engine's model -----------------------------------------------------
def ward_id(h: int, d: int) -> str:
    return f"h{h + 1}d{d + 1}"


def to_problem(inst: MssInstance) -> Problem:
    """Express an MSS instance in the block engine's model: wards are (site, discipline)
    rotations, group quotas and "each discipline once" are stint requirements, precedences
    are prerequisites, MaxDiscPerHosp is a per-site requirement, preferences are per-stint
    rewards, hospital changes and waiting are per-resident penalties, and the worst-off
    student's score is the equity term."""
    rots = []
    for h in range(inst.H):
        for d in range(inst.D):
            if max(inst.max_pos[h][d]) == 0 and max(inst.min_pos[h][d]) == 0:
                continue
            groups: dict[tuple[int, int], set[int]] = {}
            for t in range(inst.T):
                groups.setdefault((inst.min_pos[h][d][t], inst.max_pos[h][d][t]), set()).add(t)
            cov = tuple(
                CoverageRule(min=lo, max=hi, blocks=frozenset(ts))
                for (lo, hi), ts in sorted(groups.items())
            )
            rots.append(
                Rotation(
                    id=ward_id(h, d),
                    name=f"ward h{h + 1} d{d + 1}",
                    category="wards",
                    site=f"h{h + 1}",
                    discipline=f"d{d + 1}",
                    length=inst.L,
                    coverage=cov,
                )
            )
    zero_cap = {
        ward_id(h, d)
        for h in range(inst.H)
        for d in range(inst.D)
        if max(inst.max_pos[h][d]) == 0 and max(inst.min_pos[h][d]) == 0
    }
    residents = []
    for s in range(inst.S):
        inel = frozenset(
            ward_id(h, d)
            for h in range(inst.H)
            for d in range(inst.D)
            if (not inst.allowed[s][d] or not inst.ability[s][h][d])
            and ward_id(h, d) not in zero_cap
        )
        residents.append(
            Resident(
                id=f"s{s + 1}",
                pgy=1,
                track="student",
                unavailable=frozenset(t for t in range(inst.T) if not inst.avail[s][t]),
                ineligible=inel,
            )
        )
    reqs: list[Requirement] = []
    for g in range(inst.G):
        dg = [f"d{d + 1}" for d in range(inst.D) if inst.disc_group[d] == g]
        for s in range(inst.S):
            n = inst.req[s][g]
            reqs.append(
                Requirement(
                    id=f"group{g + 1}",
                    target=sel(disciplines=dg),
                    who=who(ids=[f"s{s + 1}"]),
                    min=n,
                    max=n,
                    unit=Unit.STINTS,
                )
            )
    for d in range(inst.D):
        reqs.append(
            Requirement(
                id=f"once_d{d + 1}",
                target=sel(disciplines=[f"d{d + 1}"]),
                who=EVERYONE,
                max=1,
                unit=Unit.STINTS,
            )
        )
    if inst.M < inst.D:
        for h in range(inst.H):
            reqs.append(
                Requirement(
                    id=f"max_at_h{h + 1}",
                    target=sel(sites=[f"h{h + 1}"]),
                    who=EVERYONE,
                    max=inst.M,
                    unit=Unit.STINTS,
                )
            )
    pres = [
        Prerequisite(
            id=f"d{d + 1}_after_d{dp + 1}",
            target=sel(disciplines=[f"d{d + 1}"]),
            before=sel(disciplines=[f"d{dp + 1}"]),
        )
        for d in range(inst.D)
        for dp in range(inst.D)
        if inst.preceded_by[d][dp]
    ]
    prefs = []
    for s in range(inst.S):
        wd, wh, _, _ = inst.weights[s]
        for r in rots:
            if r.id in residents[s].ineligible:
                continue
            h, d = int(r.site[1:]) - 1, int(r.discipline[1:]) - 1
            w = wd * inst.pref_disc[s][d] + wh * inst.pref_hosp[s][h] + inst.man_pref[d]
            prefs.append(Preference(f"s{s + 1}", sel(rotations=[r.id]), w))
    return Problem(
        calendar=Calendar(inst.T, block_days=7),
        residents=tuple(residents),
        rotations=tuple(rots),
        full_assignment=False,
        requirements=tuple(reqs),
        prerequisites=tuple(pres),
        preferences=tuple(prefs),
        site_changes=tuple(SiteChange(f"s{s + 1}", -inst.weights[s][2]) for s in range(inst.S)),
        waiting=tuple(Waiting(f"s{s + 1}", -inst.weights[s][3]) for s in range(inst.S)),
        equity=(Equity("worst_student", 1),),
        name=inst.name,
    )


def grid_of(schedule: Schedule, inst: MssInstance) -> Grid:
    grid: Grid = [[None] * inst.T for _ in range(inst.S)]
    for s in range(inst.S):
        for t, rid in schedule.get(f"s{s + 1}", {}).items():
            m = re.fullmatch(r"h(\d+)d(\d+)", rid)
            if m is None:
                raise ValueError(f"not a ward: {rid}")
            grid[s][t] = (int(m.group(1)) - 1, int(m.group(2)) - 1)
    return grid
