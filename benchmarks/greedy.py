"""A greedy baseline, as a careful spreadsheet builder would work: fixed items first (pins,
approved vacations, clinic template), then the hardest-to-staff rotations block by block
(giving each stint to the eligible resident who needs it most), then each resident's unmet
requirements, requested vacations and ranked electives, then filling the rest. It never
backtracks; its schedule is scored by the same checker as the solver's."""

from __future__ import annotations

import random
from collections import defaultdict

from meded.engine.blocks.model import Problem, Resident, Rotation, Schedule, Unit


class _State:
    def __init__(self, p: Problem) -> None:
        self.p = p
        self.s: Schedule = {r.id: {} for r in p.residents}
        self.cnt: dict[tuple[str, int, str], int] = defaultdict(int)  # (rot, block, role)
        self.rm = p.rotation_map()
        self.mc = [(p.select(m.target), m) for m in p.max_consecutive]
        self.fa = [(p.select(f.first), p.select(f.then), f) for f in p.forbidden_adjacent]
        self.ra = [(p.select(r.after), p.select(r.intensive), r) for r in p.rest_after]

    def role(self, r: Resident) -> str:
        return self.p.role(r)

    def free(self, r: Resident, b: int) -> bool:
        return b not in self.s[r.id] and b not in r.unavailable

    def cap_ok(self, r: Resident, rot: Rotation, b: int) -> bool:
        for cov in rot.coverage:
            if cov.max is None or (cov.blocks and b not in cov.blocks):
                continue
            if cov.role is None:
                tot = sum(v for (k, bb, _), v in self.cnt.items() if k == rot.id and bb == b)
                if tot + 1 > cov.max:
                    return False
            elif cov.role == self.role(r) and self.cnt[(rot.id, b, cov.role)] + 1 > cov.max:
                return False
        return True

    def req_ok(self, r: Resident, rot: Rotation) -> bool:
        for req in self.p.requirements:
            if req.max is None or req.weight is not None or not req.who.matches(r):
                continue
            if not req.target.matches(rot):
                continue
            ids = {x.id for x in self.p.select(req.target)}
            have = self.units(r, ids, req.unit)
            if req.scope == "residency":
                have += r.history_blocks(ids) if req.unit == Unit.BLOCKS else 0
            add = rot.length if req.unit == Unit.BLOCKS else 1
            if have + add > req.max:
                return False
        return True

    def units(self, r: Resident, ids: set[str], unit: Unit) -> int:
        row = self.s[r.id]
        blocks = [b for b, k in row.items() if k in ids]
        if unit == Unit.BLOCKS:
            return len(blocks)
        return sum(1 for b in blocks if row.get(b - 1) != row[b]) if blocks else 0

    def seq_ok(self, r: Resident, rot: Rotation, start: int) -> bool:
        row = dict(self.s[r.id])
        for b in range(start, start + rot.length):
            row[b] = rot.id
        n = self.p.calendar.n_blocks
        lo, hi = max(0, start - 4), min(n - 1, start + rot.length + 4)
        for rots, mc in self.mc:
            ids = {x.id for x in rots}
            run = 0
            for b in range(lo, hi + 1):
                run = run + 1 if row.get(b) in ids else 0
                if run > mc.k:
                    return False
        for a, c, fa in self.fa:
            ai, ci = {x.id for x in a}, {x.id for x in c}
            pairs = [(ai, ci), (ci, ai)] if fa.symmetric else [(ai, ci)]
            for b in range(lo, hi):
                for s1, s2 in pairs:
                    if row.get(b) in s1 and row.get(b + 1) in s2:
                        return False
        for a, i, _ in self.ra:
            ai, ii = {x.id for x in a}, {x.id for x in i} - {x.id for x in a}
            for b in range(lo, hi):
                if row.get(b) in ai and row.get(b + 1) in ii:
                    return False
        for ms in self.p.min_spacing:
            if ms.target.matches(rot):
                for b, k in self.s[r.id].items():
                    if (
                        k == rot.id
                        and abs(b - start) < rot.length + ms.gap
                        and not (start <= b < start + rot.length)
                    ):
                        return False
        return True

    def can(self, r: Resident, rot: Rotation, start: int) -> bool:
        p = self.p
        if not p.eligible(r, rot) or not p.can_start(r, rot, start):
            return False
        if any(not self.free(r, b) for b in range(start, start + rot.length)):
            return False
        if any(not self.cap_ok(r, rot, b) for b in range(start, start + rot.length)):
            return False
        for t in p.templates:
            if (
                t.exclusive
                and r.cohort is not None
                and t.who.matches(r)
                and t.target.matches(rot)
                and any(not t.is_plus_block(r.cohort, b) for b in range(start, start + rot.length))
            ):
                return False
        return self.req_ok(r, rot) and self.seq_ok(r, rot, start)

    def place(self, r: Resident, rot: Rotation, start: int) -> None:
        for b in range(start, start + rot.length):
            self.s[r.id][b] = rot.id
            self.cnt[(rot.id, b, self.role(r))] += 1


def greedy(problem: Problem, seed: int = 0) -> Schedule:
    p = problem
    rng = random.Random(seed)
    st = _State(p)
    n = p.calendar.n_blocks
    rm = st.rm
    # 1. fixed items
    for r in p.residents:
        for b, k in r.pins:
            if k in rm and st.free(r, b):
                st.place(r, rm[k], b)
    for vr in p.vacation_requests:
        if vr.approved:
            r = p.resident(vr.resident)
            for b in sorted(vr.blocks):
                rot = next((x for x in p.select(vr.target) if p.eligible(r, x)), None)
                if rot is not None and st.free(r, b):
                    st.place(r, rot, b)
    for t in p.templates:
        for r in p.residents:
            if r.cohort is None or not t.who.matches(r):
                continue
            rot = next((x for x in p.select(t.target) if p.eligible(r, x)), None)
            for b in range(n):
                if rot is not None and t.is_plus_block(r.cohort, b) and st.free(r, b):
                    st.place(r, rot, b)

    def need_score(r: Resident, rot: Rotation) -> tuple[int, int, float]:
        unmet = 0
        for req in p.requirements:
            if req.min and req.who.matches(r) and req.target.matches(rot):
                ids = {x.id for x in p.select(req.target)}
                if st.units(r, ids, req.unit) < req.min:
                    unmet = 1
        same = sum(1 for k in st.s[r.id].values() if rm[k].category == rot.category)
        return (-unmet, same, rng.random())

    # 2. hardest rotations first: minimum staffing over the eligible pool
    def hardness(rot: Rotation) -> float:
        need = sum(c.min for c in rot.coverage)
        pool = sum(1 for r in p.residents if p.eligible(r, rot)) or 1
        return need * rot.length / pool

    for rot in sorted(
        (x for x in p.rotations if any(c.min for c in x.coverage)), key=hardness, reverse=True
    ):
        for cov in rot.coverage:
            if not cov.min:
                continue
            for b in range(n):
                if cov.blocks and b not in cov.blocks:
                    continue
                while True:
                    have = sum(
                        1
                        for r in p.residents
                        if st.s[r.id].get(b) == rot.id
                        and (cov.role is None or st.role(r) == cov.role)
                    )
                    if have >= cov.min:
                        break
                    cands = [
                        (need_score(r, rot), r.id, s0)
                        for r in p.residents
                        if cov.role is None or st.role(r) == cov.role
                        for s0 in range(max(0, b - rot.length + 1), b + 1)
                        if st.can(r, rot, s0)
                    ]
                    if not cands:
                        break
                    _, rid, s0 = min(cands)
                    st.place(p.resident(rid), rot, s0)

    # 3. requested (unapproved) vacations, then unmet requirement minimums and windows
    for vr in p.vacation_requests:
        if not vr.approved:
            r = p.resident(vr.resident)
            for b in sorted(vr.blocks):
                for rot in p.select(vr.target):
                    if st.can(r, rot, b):
                        st.place(r, rot, b)
                        break

    def fill_to(r: Resident, rots: list[Rotation], want: int, unit: Unit, blocks: range) -> None:
        ids = {x.id for x in rots}
        order = list(blocks)
        rng.shuffle(order)
        for s0 in order:
            if st.units(r, ids, unit) >= want:
                return
            for rot in sorted(rots, key=lambda x: rng.random()):
                if st.can(r, rot, s0):
                    st.place(r, rot, s0)
                    break

    for r in p.residents:
        for w in p.windows:
            if w.who.matches(r):
                fill_to(
                    r, p.select(w.target), w.min_blocks, Unit.BLOCKS, range(w.first, w.last + 1)
                )
        for req in sorted(p.requirements, key=lambda q: -q.min):
            if req.min and req.who.matches(r):
                ids = {x.id for x in p.select(req.target)}
                hist = 0
                if req.scope == "residency" and req.unit == Unit.BLOCKS:
                    hist = r.history_blocks(ids)
                fill_to(r, p.select(req.target), req.min - hist, req.unit, range(n))
    # 4. ranked electives, then everything else (non-intensive first)
    for pref in sorted(p.preferences, key=lambda x: -x.weight):
        r = p.resident(pref.resident)
        fill_to(r, p.select(pref.target), 1, Unit.STINTS, range(n))
    if p.full_assignment:
        intensive = {"wards", "icu", "night_float"}
        for r in p.residents:
            for b in range(n):
                if not st.free(r, b):
                    continue
                rots = sorted(
                    p.rotations,
                    key=lambda x: (x.category in intensive, x.category == "vacation", rng.random()),
                )
                for rot in rots:
                    s1 = next(
                        (s for s in (b, b - rot.length + 1) if s >= 0 and st.can(r, rot, s)), None
                    )
                    if s1 is not None:
                        st.place(r, rot, s1)
                        break
    return st.s
