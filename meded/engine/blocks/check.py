"""Checker and objective evaluator over any schedule, in pure Python (no CP-SAT).

``check(problem, schedule)`` lists every hard violation (rule id, resident/rotation/block,
measured value, limit) and every soft cost with the same rule names the solver uses, so the
solver's output can be verified and a hand-made or greedy schedule scored the same way.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise

from meded.engine.blocks.model import Problem, Resident, ResidentSelector, Schedule, Unit


@dataclass(frozen=True)
class Violation:
    rule: str
    resident: str | None
    rotation: str | None
    block: int | None
    measured: int
    limit: int
    message: str


@dataclass(frozen=True)
class Stint:
    rotation: str
    start: int
    length: int


@dataclass
class Report:
    violations: list[Violation] = field(default_factory=list)
    costs: list[tuple[str, str | None, str, int]] = field(default_factory=list)
    scores: dict[str, int] = field(default_factory=dict)  # minus each resident's costs

    @property
    def objective(self) -> int:
        return sum(c[3] for c in self.costs)

    @property
    def ok(self) -> bool:
        return not self.violations

    def by_rule(self, prefix: str) -> list[Violation]:
        return [v for v in self.violations if v.rule.startswith(prefix)]


def stints(
    problem: Problem, row: dict[int, str], report: Report | None = None, res: str = ""
) -> list[Stint]:
    """Split a resident's row into stints: maximal runs of one rotation cut into pieces of
    its length. A run that is not a multiple of the length is reported."""
    rm = problem.rotation_map()
    out: list[Stint] = []
    b, n = 0, problem.calendar.n_blocks
    while b < n:
        k = row.get(b)
        if k is None:
            b += 1
            continue
        e = b
        while e + 1 < n and row.get(e + 1) == k:
            e += 1
        run = e - b + 1
        length = rm[k].length if k in rm else 1
        if run % length and report is not None:
            report.violations.append(
                Violation(
                    "length",
                    res,
                    k,
                    b,
                    run,
                    length,
                    f"{res} has a run of {run} block(s) of {k}, not a multiple of {length}",
                )
            )
        for s in range(b, e + 1, length):
            out.append(Stint(k, s, min(length, e + 1 - s)))
        b = e + 1
    return out


def _hist(problem: Problem, res: Resident, ids: set[str], unit: Unit) -> int:
    rm = problem.rotation_map()
    if unit == Unit.BLOCKS:
        return res.history_blocks(ids)
    return sum(n // max(1, rm[k].length) for k, n in res.history if k in ids and k in rm)


def check(problem: Problem, schedule: Schedule) -> Report:
    p = problem
    rep = Report()
    rm = p.rotation_map()
    n = p.calendar.n_blocks
    V = rep.violations.append

    def cost(rule: str, resident: str | None, detail: str, value: int) -> None:
        if value:
            rep.costs.append((rule, resident, detail, value))

    def who(sel: ResidentSelector) -> list[Resident]:
        return [r for r in p.residents if sel.matches(r)]

    rows = {r.id: schedule.get(r.id, {}) for r in p.residents}
    st: dict[str, list[Stint]] = {}
    # structure ---------------------------------------------------------------------------
    for res in p.residents:
        row = rows[res.id]
        for b, k in sorted(row.items()):
            if k not in rm:
                V(Violation("unknown_rotation", res.id, k, b, 1, 0, f"{k} is not a rotation"))
                continue
            rot = rm[k]
            if not p.eligible(res, rot):
                V(
                    Violation(
                        "eligibility",
                        res.id,
                        k,
                        b,
                        1,
                        0,
                        f"{res.id} (PGY{res.pgy} {res.track}) is not eligible for {k}",
                    )
                )
            if b in res.unavailable:
                V(
                    Violation(
                        "unavailable",
                        res.id,
                        k,
                        b,
                        1,
                        0,
                        f"{res.id} is on leave in block {b} but assigned {k}",
                    )
                )
            if rot.allowed_blocks and b not in rot.allowed_blocks:
                V(
                    Violation(
                        "allowed_blocks", res.id, k, b, 1, 0, f"{k} is not allowed in block {b}"
                    )
                )
            if not 0 <= b < n:
                V(Violation("horizon", res.id, k, b, b, n - 1, f"block {b} outside the year"))
        if p.full_assignment:
            for b in p.blocks:
                if b not in res.unavailable and b not in row:
                    V(
                        Violation(
                            "assign",
                            res.id,
                            None,
                            b,
                            0,
                            1,
                            f"{res.id} has no rotation in block {b}",
                        )
                    )
        st[res.id] = stints(p, {b: k for b, k in row.items() if k in rm}, rep, res.id)
        for s in st[res.id]:
            if rm[s.rotation].aligned and s.start % rm[s.rotation].length:
                V(
                    Violation(
                        "alignment",
                        res.id,
                        s.rotation,
                        s.start,
                        s.start,
                        rm[s.rotation].length,
                        f"{s.rotation} must start aligned",
                    )
                )
        for b, k in res.pins:
            if row.get(b) != k:
                V(
                    Violation(
                        "pin",
                        res.id,
                        k,
                        b,
                        0,
                        1,
                        f"{res.id} is pinned to {k} in block {b}, has {row.get(b)}",
                    )
                )

    def blocks_of(res: str, ids: set[str]) -> list[int]:
        return [b for b, k in rows[res].items() if k in ids]

    def stints_of(res: str, ids: set[str]) -> list[Stint]:
        return [s for s in st[res] if s.rotation in ids]

    def ids_of(target: object) -> set[str]:
        return {r.id for r in p.select(target)}  # type: ignore[arg-type]

    # coverage ----------------------------------------------------------------------------
    for rot in p.rotations:
        for cov in rot.coverage:
            role = cov.role or "all"
            for b in p.blocks:
                if cov.blocks and b not in cov.blocks:
                    continue
                cnt = sum(
                    1
                    for r in p.residents
                    if rows[r.id].get(b) == rot.id and (cov.role is None or p.role(r) == cov.role)
                )
                if cnt < cov.min:
                    if cov.weight is None:
                        V(
                            Violation(
                                f"coverage:{rot.id}:{role}",
                                None,
                                rot.id,
                                b,
                                cnt,
                                cov.min,
                                f"{rot.name} has {cnt} {role} in block {b}, needs {cov.min}",
                            )
                        )
                    else:
                        cost(
                            f"coverage:{rot.id}:{role}",
                            None,
                            f"block {b} (below min)",
                            cov.weight * (cov.min - cnt),
                        )
                # the maximum is hard even when the rule has a weight (which prices only
                # the minimum: CoverageRule's docstring)
                if cov.max is not None and cnt > cov.max:
                    V(
                        Violation(
                            f"coverage:{rot.id}:{role}",
                            None,
                            rot.id,
                            b,
                            cnt,
                            cov.max,
                            f"{rot.name} has {cnt} {role} in block {b}, max {cov.max}",
                        )
                    )

    def bounded(
        rule: str,
        res: str,
        detail: str,
        val: int,
        lo: int,
        hi: int | None,
        weight: int | None,
        what: str,
    ) -> None:
        if val < lo:
            if weight is None:
                V(Violation(rule, res, None, None, val, lo, f"{res}: {what} is {val} < {lo}"))
            else:
                cost(rule, res, detail + " (below min)", weight * (lo - val))
        if hi is not None and val > hi:
            if weight is None:
                V(Violation(rule, res, None, None, val, hi, f"{res}: {what} is {val} > {hi}"))
            else:
                cost(rule, res, detail + " (above max)", weight * (val - hi))

    for req in p.requirements:
        ids = ids_of(req.target)
        for res in who(req.who):
            val = (
                len(stints_of(res.id, ids))
                if req.unit == Unit.STINTS
                else len(blocks_of(res.id, ids))
            )
            if req.scope == "residency":
                val += _hist(p, res, ids, req.unit)
            bounded(
                f"req:{req.id}",
                res.id,
                req.target.describe(),
                val,
                req.min,
                req.max,
                req.weight,
                f"{req.unit.value} of {req.target.describe()}",
            )

    for w in p.windows:
        ids = ids_of(w.target)
        for res in who(w.who):
            val = len([b for b in blocks_of(res.id, ids) if w.first <= b <= w.last])
            bounded(
                f"window:{w.id}",
                res.id,
                f"blocks {w.first}-{w.last}",
                val,
                w.min_blocks,
                None,
                w.weight,
                f"blocks of {w.target.describe()} in {w.first}-{w.last}",
            )

    for t in p.templates:
        ids = ids_of(t.target)
        for res in who(t.who):
            if res.cohort is None:
                continue
            for b in p.blocks:
                if b in res.unavailable:
                    continue
                on = rows[res.id].get(b) in ids
                plus = t.is_plus_block(res.cohort, b)
                if plus != on and (plus or t.exclusive):
                    V(
                        Violation(
                            f"template:{t.id}",
                            res.id,
                            rows[res.id].get(b),
                            b,
                            int(on),
                            int(plus),
                            f"{res.id} cohort {res.cohort} block {b}: "
                            + ("needs " if plus else "may not have ")
                            + t.target.describe(),
                        )
                    )

    for pre in p.prerequisites:
        tgt, bef = ids_of(pre.target), ids_of(pre.before)
        for res in who(pre.who):
            if res.history_blocks(bef) > 0:
                continue
            ends = [s.start + rm[s.rotation].length for s in stints_of(res.id, bef)]
            for s in stints_of(res.id, tgt):
                if not any(e <= s.start for e in ends):
                    if pre.weight is None:
                        V(
                            Violation(
                                f"prereq:{pre.id}",
                                res.id,
                                s.rotation,
                                s.start,
                                0,
                                1,
                                f"{res.id} starts {s.rotation} in block {s.start} before "
                                f"finishing {pre.before.describe()}",
                            )
                        )
                    else:
                        cost(f"prereq:{pre.id}", res.id, f"start block {s.start}", pre.weight)

    def soft_or_hard(
        rule: str,
        res: str,
        rot: str | None,
        b: int,
        val: int,
        hi: int,
        weight: int | None,
        detail: str,
        msg: str,
    ) -> None:
        if val <= hi:
            return
        if weight is None:
            V(Violation(rule, res, rot, b, val, hi, msg))
        else:
            cost(rule, res, detail, weight * (val - hi))

    for mc in p.max_consecutive:
        ids = ids_of(mc.target)
        for res in who(mc.who):
            for b in range(n - mc.k):
                val = sum(1 for bb in range(b, b + mc.k + 1) if rows[res.id].get(bb) in ids)
                soft_or_hard(
                    f"maxconsec:{mc.id}",
                    res.id,
                    None,
                    b,
                    val,
                    mc.k,
                    mc.weight,
                    f"blocks {b}-{b + mc.k}",
                    f"{res.id} has {val} consecutive blocks of "
                    f"{mc.target.describe()} from block {b}, max {mc.k}",
                )

    for fa in p.forbidden_adjacent:
        a, c = ids_of(fa.first), ids_of(fa.then)
        pairs = [(a, c), (c, a)] if fa.symmetric else [(a, c)]
        for res in who(fa.who):
            row = rows[res.id]
            for b in range(n - 1):
                for s1, s2 in pairs:
                    if row.get(b) in s1 and row.get(b + 1) in s2:
                        soft_or_hard(
                            f"adjacent:{fa.id}",
                            res.id,
                            row.get(b),
                            b,
                            2,
                            1,
                            fa.weight,
                            f"blocks {b}-{b + 1}",
                            f"{res.id} has {row.get(b)} in block {b} next to {row.get(b + 1)}",
                        )

    for ms in p.min_spacing:
        ids = ids_of(ms.target)
        for res in who(ms.who):
            per: dict[str, list[int]] = defaultdict(list)
            for s in stints_of(res.id, ids):
                per[s.rotation].append(s.start)
            for k, starts in per.items():
                win = rm[k].length + ms.gap
                for b in starts:
                    val = sum(1 for bb in starts if b <= bb < b + win)
                    soft_or_hard(
                        f"spacing:{ms.id}",
                        res.id,
                        k,
                        b,
                        val,
                        1,
                        ms.weight,
                        f"{k} from block {b}",
                        f"{res.id} repeats {k} within {ms.gap} blocks of block {b}",
                    )

    for ra in p.rest_after:
        after = ids_of(ra.after)
        inten = ids_of(ra.intensive) - after
        for res in who(ra.who):
            row = rows[res.id]
            for b in range(n - 1):
                if row.get(b) in after and row.get(b + 1) in inten:
                    soft_or_hard(
                        f"rest:{ra.id}",
                        res.id,
                        row.get(b + 1),
                        b + 1,
                        2,
                        1,
                        ra.weight,
                        f"block {b + 1}",
                        f"{res.id} goes from nights to {row.get(b + 1)} in block "
                        f"{b + 1} without rest",
                    )

    for vr in p.vacation_requests:
        ids = ids_of(vr.target)
        for b in sorted(vr.blocks):
            if rows.get(vr.resident, {}).get(b) not in ids:
                if vr.approved:
                    V(
                        Violation(
                            f"vacation:{vr.id}",
                            vr.resident,
                            None,
                            b,
                            0,
                            1,
                            f"{vr.resident}'s approved vacation in block {b} not given",
                        )
                    )
                else:
                    cost(f"vacation:{vr.id}", vr.resident, f"block {b} not granted", vr.weight)

    for pref in p.preferences:
        ids = ids_of(pref.target)
        cost(
            pref.rule,
            pref.resident,
            pref.target.describe(),
            -pref.weight * len(stints_of(pref.resident, ids)),
        )

    for wi in p.wishes:
        ids = ids_of(wi.target)
        bad = sum(
            1
            for b in blocks_of(wi.resident, ids)
            if (wi.not_before is not None and b < wi.not_before)
            or (wi.not_after is not None and b > wi.not_after)
        )
        cost(f"wish:{wi.id}", wi.resident, wi.target.describe(), wi.weight * bad)

    for sc in p.site_changes:
        ss = st.get(sc.resident, [])
        changes = sum(1 for a, b in pairwise(ss) if rm[a.rotation].site != rm[b.rotation].site)
        cost("site_change", sc.resident, "site changes", sc.weight * changes)

    for wt in p.waiting:
        occ = sorted(rows.get(wt.resident, {}))
        if occ:
            cost(
                "waiting",
                wt.resident,
                "idle blocks before last",
                wt.weight * (occ[-1] + 1 - len(occ)),
            )

    # resident scores (before group terms) ------------------------------------------------
    scores: dict[str, int] = defaultdict(int)
    pref_scores: dict[str, int] = defaultdict(int)
    for rule, rid, _, amount in rep.costs:
        if rid is not None:
            scores[rid] -= amount
            if rule == "preference":
                pref_scores[rid] -= amount
    rep.scores = {r.id: scores.get(r.id, 0) for r in p.residents}

    for f in p.fairness:
        groups: dict[int, list[Resident]] = defaultdict(list)
        for res in who(f.who):
            groups[res.pgy].append(res)
        fids = ids_of(f.target)
        outside = {pgy: (lo, hi) for pgy, lo, hi in f.outside}
        for pgy in outside:
            groups.setdefault(pgy, [])
        for pgy, rs in sorted(groups.items()):
            if len(rs) + (2 if pgy in outside else 0) < 2:
                continue
            if f.metric == "preference":
                vals = [pref_scores.get(r.id, 0) for r in rs]
            else:
                vals = [len(blocks_of(r.id, fids)) for r in rs]
            if pgy in outside:
                vals += list(outside[pgy])
            cost(
                f"fairness:{f.id}",
                None,
                f"PGY{pgy} spread of {f.metric}",
                f.weight * (max(vals) - min(vals)),
            )

    for eq in p.equity:
        rs = who(eq.who)
        vals = [scores.get(r.id, 0) for r in rs] + ([eq.cap] if eq.cap is not None else [])
        if vals:
            worst = min(vals)
            cost(f"equity:{eq.id}", None, "worst score", -eq.weight * worst)
    return rep
