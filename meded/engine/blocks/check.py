"""Checker and objective evaluator over any schedule, in pure Python (no CP-SAT).

``check(problem, schedule)`` lists every hard violation (rule id, resident/rotation/block,
measured value, limit) and every soft cost with the same rule names the solver uses, so the
solver's output can be verified and a hand-made or greedy schedule scored the same way.
Each rule has one function, ``check_<rule>`` (beside the model's ``rules.add_<rule>``; the
list of both is ``rules.RULES``), which ``check`` calls in turn (``CHECKS``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

from meded.engine.blocks.model import (
    Problem,
    Resident,
    ResidentSelector,
    Schedule,
    Selector,
    Unit,
)


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


Cost = tuple[str, str | None, str, int]  # (rule, resident, detail, amount)


@dataclass
class Found:
    """What one rule's check finds in a schedule: hard violations and soft costs (a
    reward is a negative cost)."""

    violations: list[Violation] = field(default_factory=list)
    costs: list[Cost] = field(default_factory=list)

    def cost(self, rule: str, resident: str | None, detail: str, value: int) -> None:
        if value:
            self.costs.append((rule, resident, detail, value))

    def bounded(
        self,
        rule: str,
        res: str,
        detail: str,
        val: int,
        lo: int,
        hi: int | None,
        weight: int | None,
        what: str,
    ) -> None:
        """lo <= val <= hi: a violation when hard, else ``weight`` per unit outside."""
        if val < lo:
            if weight is None:
                self.violations.append(
                    Violation(rule, res, None, None, val, lo, f"{res}: {what} is {val} < {lo}")
                )
            else:
                self.cost(rule, res, detail + " (below min)", weight * (lo - val))
        if hi is not None and val > hi:
            if weight is None:
                self.violations.append(
                    Violation(rule, res, None, None, val, hi, f"{res}: {what} is {val} > {hi}")
                )
            else:
                self.cost(rule, res, detail + " (above max)", weight * (val - hi))

    def at_most(
        self,
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
        """val <= hi: a violation when hard, else ``weight`` per unit over."""
        if val <= hi:
            return
        if weight is None:
            self.violations.append(Violation(rule, res, rot, b, val, hi, msg))
        else:
            self.cost(rule, res, detail, weight * (val - hi))


@dataclass
class View:
    """A schedule as the checks read it: each resident's row (rows of unknown residents
    ignored) and stints (cells of unknown rotations left out)."""

    problem: Problem
    rows: dict[str, dict[int, str]]
    st: dict[str, list[Stint]]

    @classmethod
    def of(cls, problem: Problem, schedule: Schedule) -> View:
        rm = problem.rotation_map()
        rows = {r.id: schedule.get(r.id, {}) for r in problem.residents}
        st = {
            r: stints(problem, {b: k for b, k in row.items() if k in rm}) for r, row in rows.items()
        }
        return cls(problem, rows, st)

    def blocks_of(self, res: str, ids: set[str]) -> list[int]:
        return [b for b, k in self.rows[res].items() if k in ids]

    def stints_of(self, res: str, ids: set[str]) -> list[Stint]:
        return [s for s in self.st[res] if s.rotation in ids]

    def ids(self, target: Selector) -> set[str]:
        return {r.id for r in self.problem.select(target)}

    def who(self, sel: ResidentSelector) -> list[Resident]:
        return [r for r in self.problem.residents if sel.matches(r)]


# -- one check per rule (named after the model's ``add_<rule>`` in rules.py) ----------------
def check_assignment(v: View, so_far: Found) -> Found:
    """HARD. Known rotations only, for eligible residents, on available and allowed blocks
    inside the year, in whole aligned stints; with ``full_assignment``, every available
    block has a rotation."""
    p, out = v.problem, Found()
    rm = p.rotation_map()
    n = p.calendar.n_blocks
    V = out.violations.append
    for res in p.residents:
        row = v.rows[res.id]
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
        # the runs that are not whole stints ("length")
        lengths = Report()
        stints(p, {b: k for b, k in row.items() if k in rm}, lengths, res.id)
        out.violations.extend(lengths.violations)
        for s in v.st[res.id]:
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
    return out


def check_pins(v: View, so_far: Found) -> Found:
    """HARD. Each pinned (block, rotation) of a resident is in the schedule."""
    out = Found()
    for res in v.problem.residents:
        row = v.rows[res.id]
        for b, k in res.pins:
            if row.get(b) != k:
                out.violations.append(
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
    return out


def check_coverage(v: View, so_far: Found) -> Found:
    """HARD, or SOFT below the minimum (``weight`` per missing resident; the maximum is hard
    even then: CoverageRule's docstring). Residents (of the role) per rotation and block."""
    p, out = v.problem, Found()
    for rot in p.rotations:
        for cov in rot.coverage:
            role = cov.role or "all"
            for b in p.blocks:
                if cov.blocks and b not in cov.blocks:
                    continue
                cnt = sum(
                    1
                    for r in p.residents
                    if v.rows[r.id].get(b) == rot.id and (cov.role is None or p.role(r) == cov.role)
                )
                if cnt < cov.min:
                    if cov.weight is None:
                        out.violations.append(
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
                        out.cost(
                            f"coverage:{rot.id}:{role}",
                            None,
                            f"block {b} (below min)",
                            cov.weight * (cov.min - cnt),
                        )
                if cov.max is not None and cnt > cov.max:
                    out.violations.append(
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
    return out


def check_requirements(v: View, so_far: Found) -> Found:
    """HARD or SOFT (weight per unit short or over). Blocks or stints of a target per
    resident, this year or over residency including history."""
    p, out = v.problem, Found()
    for req in p.requirements:
        ids = v.ids(req.target)
        for res in v.who(req.who):
            val = (
                len(v.stints_of(res.id, ids))
                if req.unit == Unit.STINTS
                else len(v.blocks_of(res.id, ids))
            )
            if req.scope == "residency":
                val += _hist(p, res, ids, req.unit)
            out.bounded(
                f"req:{req.id}",
                res.id,
                req.target.describe(),
                val,
                req.min,
                req.max,
                req.weight,
                f"{req.unit.value} of {req.target.describe()}",
            )
    return out


def check_windows(v: View, so_far: Found) -> Found:
    """HARD or SOFT (weight per block short). At least ``min_blocks`` of the target within
    blocks [first, last]."""
    out = Found()
    for w in v.problem.windows:
        ids = v.ids(w.target)
        for res in v.who(w.who):
            val = len([b for b in v.blocks_of(res.id, ids) if w.first <= b <= w.last])
            out.bounded(
                f"window:{w.id}",
                res.id,
                f"blocks {w.first}-{w.last}",
                val,
                w.min_blocks,
                None,
                w.weight,
                f"blocks of {w.target.describe()} in {w.first}-{w.last}",
            )
    return out


def check_templates(v: View, so_far: Found) -> Found:
    """HARD. X+Y: a cohort's "+Y" blocks are on the target and, if exclusive, no other
    available block is."""
    p, out = v.problem, Found()
    for t in p.templates:
        ids = v.ids(t.target)
        for res in v.who(t.who):
            if res.cohort is None:
                continue
            for b in p.blocks:
                if b in res.unavailable:
                    continue
                on = v.rows[res.id].get(b) in ids
                plus = t.is_plus_block(res.cohort, b)
                if plus != on and (plus or t.exclusive):
                    out.violations.append(
                        Violation(
                            f"template:{t.id}",
                            res.id,
                            v.rows[res.id].get(b),
                            b,
                            int(on),
                            int(plus),
                            f"{res.id} cohort {res.cohort} block {b}: "
                            + ("needs " if plus else "may not have ")
                            + t.target.describe(),
                        )
                    )
    return out


def check_prerequisites(v: View, so_far: Found) -> Found:
    """HARD or SOFT (weight per stint started too early). A stint of the target starts only
    after a stint of ``before`` has ended (or one is in the resident's history)."""
    p, out = v.problem, Found()
    rm = p.rotation_map()
    for pre in p.prerequisites:
        tgt, bef = v.ids(pre.target), v.ids(pre.before)
        for res in v.who(pre.who):
            if res.history_blocks(bef) > 0:
                continue
            ends = [s.start + rm[s.rotation].length for s in v.stints_of(res.id, bef)]
            for s in v.stints_of(res.id, tgt):
                if any(e <= s.start for e in ends):
                    continue
                if pre.weight is None:
                    out.violations.append(
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
                    out.cost(f"prereq:{pre.id}", res.id, f"start block {s.start}", pre.weight)
    return out


def check_max_consecutive(v: View, so_far: Found) -> Found:
    """HARD or SOFT (weight per block over k in each window of k + 1 blocks). No more than
    ``k`` consecutive blocks of the target."""
    p, out = v.problem, Found()
    n = p.calendar.n_blocks
    for mc in p.max_consecutive:
        ids = v.ids(mc.target)
        for res in v.who(mc.who):
            for b in range(n - mc.k):
                val = sum(1 for bb in range(b, b + mc.k + 1) if v.rows[res.id].get(bb) in ids)
                out.at_most(
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
    return out


def check_forbidden_adjacency(v: View, so_far: Found) -> Found:
    """HARD or SOFT (weight per pair of blocks). A block of ``first`` is not followed (nor,
    if symmetric, preceded) by a block of ``then``."""
    p, out = v.problem, Found()
    n = p.calendar.n_blocks
    for fa in p.forbidden_adjacent:
        a, c = v.ids(fa.first), v.ids(fa.then)
        pairs = [(a, c), (c, a)] if fa.symmetric else [(a, c)]
        for res in v.who(fa.who):
            row = v.rows[res.id]
            for b in range(n - 1):
                for s1, s2 in pairs:
                    if row.get(b) in s1 and row.get(b + 1) in s2:
                        out.at_most(
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
    return out


def check_min_spacing(v: View, so_far: Found) -> Found:
    """HARD or SOFT (weight per pair of stints of one rotation too close). At least ``gap``
    blocks between two stints of the same rotation of the target."""
    p, out = v.problem, Found()
    rm = p.rotation_map()
    for ms in p.min_spacing:
        ids = v.ids(ms.target)
        for res in v.who(ms.who):
            per: dict[str, list[int]] = defaultdict(list)
            for s in v.stints_of(res.id, ids):
                per[s.rotation].append(s.start)
            for k, starts in per.items():
                win = rm[k].length + ms.gap
                for b in starts:
                    val = sum(1 for bb in starts if b <= bb < b + win)
                    out.at_most(
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
    return out


def check_rest_after(v: View, so_far: Found) -> Found:
    """HARD or SOFT (weight per block). The block after one of ``after`` (nights) is not in
    ``intensive`` (unless it is nights too)."""
    p, out = v.problem, Found()
    n = p.calendar.n_blocks
    for ra in p.rest_after:
        after = v.ids(ra.after)
        inten = v.ids(ra.intensive) - after
        for res in v.who(ra.who):
            row = v.rows[res.id]
            for b in range(n - 1):
                if row.get(b) in after and row.get(b + 1) in inten:
                    out.at_most(
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
    return out


def check_vacation_requests(v: View, so_far: Found) -> Found:
    """HARD when approved, else SOFT (weight per requested block not on the target)."""
    out = Found()
    for vr in v.problem.vacation_requests:
        ids = v.ids(vr.target)
        for b in sorted(vr.blocks):
            if v.rows.get(vr.resident, {}).get(b) in ids:
                continue
            if vr.approved:
                out.violations.append(
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
                out.cost(f"vacation:{vr.id}", vr.resident, f"block {b} not granted", vr.weight)
    return out


def check_preferences(v: View, so_far: Found) -> Found:
    """SOFT (reward): ``weight`` per stint of the target."""
    out = Found()
    for pref in v.problem.preferences:
        n_st = len(v.stints_of(pref.resident, v.ids(pref.target))) if pref.resident in v.st else 0
        out.cost(pref.rule, pref.resident, pref.target.describe(), -pref.weight * n_st)
    return out


def check_wishes(v: View, so_far: Found) -> Found:
    """SOFT. ``weight`` per block of the target before ``not_before`` or after
    ``not_after``."""
    out = Found()
    for wi in v.problem.wishes:
        ids = v.ids(wi.target)
        blocks = v.blocks_of(wi.resident, ids) if wi.resident in v.rows else []
        bad = sum(
            1
            for b in blocks
            if (wi.not_before is not None and b < wi.not_before)
            or (wi.not_after is not None and b > wi.not_after)
        )
        out.cost(f"wish:{wi.id}", wi.resident, wi.target.describe(), wi.weight * bad)
    return out


def check_site_changes(v: View, so_far: Found) -> Found:
    """SOFT. ``weight`` per change of site between consecutive stints (idle gaps ignored)."""
    out = Found()
    rm = v.problem.rotation_map()
    for sc in v.problem.site_changes:
        ss = v.st.get(sc.resident, [])
        changes = sum(1 for a, b in pairwise(ss) if rm[a.rotation].site != rm[b.rotation].site)
        out.cost("site_change", sc.resident, "site changes", sc.weight * changes)
    return out


def check_waiting(v: View, so_far: Found) -> Found:
    """SOFT. ``weight`` per idle block before the resident's last occupied block."""
    out = Found()
    for wt in v.problem.waiting:
        occ = sorted(v.rows.get(wt.resident, {}))
        if occ:
            out.cost(
                "waiting",
                wt.resident,
                "idle blocks before last",
                wt.weight * (occ[-1] + 1 - len(occ)),
            )
    return out


def resident_scores(problem: Problem, costs: list[Cost]) -> dict[str, int]:
    """Minus each resident's named costs (rewards count as positive)."""
    scores: dict[str, int] = defaultdict(int)
    for _, rid, _, amount in costs:
        if rid is not None:
            scores[rid] -= amount
    return {r.id: scores.get(r.id, 0) for r in problem.residents}


def check_fairness(v: View, so_far: Found) -> Found:
    """SOFT. ``weight`` per unit of spread (max - min) among same-PGY residents of blocks of
    the target, or of the preference reward (from ``so_far``'s "preference" costs), with
    the range of residents outside the (sub-)problem."""
    p, out = v.problem, Found()
    pref_scores: dict[str, int] = defaultdict(int)
    for rule, rid, _, amount in so_far.costs:
        if rid is not None and rule == "preference":
            pref_scores[rid] -= amount
    for f in p.fairness:
        groups: dict[int, list[Resident]] = defaultdict(list)
        for res in v.who(f.who):
            groups[res.pgy].append(res)
        fids = v.ids(f.target)
        outside = {pgy: (lo, hi) for pgy, lo, hi in f.outside}
        for pgy in outside:
            groups.setdefault(pgy, [])
        for pgy, rs in sorted(groups.items()):
            if len(rs) + (2 if pgy in outside else 0) < 2:
                continue
            if f.metric == "preference":
                vals = [pref_scores.get(r.id, 0) for r in rs]
            else:
                vals = [len(v.blocks_of(r.id, fids)) for r in rs]
            if pgy in outside:
                vals += list(outside[pgy])
            out.cost(
                f"fairness:{f.id}",
                None,
                f"PGY{pgy} spread of {f.metric}",
                f.weight * (max(vals) - min(vals)),
            )
    return out


def check_equity(v: View, so_far: Found) -> Found:
    """SOFT (reward). ``weight`` x the worst score (minus the named costs in ``so_far``) of
    the residents in ``who`` and ``cap``."""
    out = Found()
    scores = resident_scores(v.problem, so_far.costs)
    for eq in v.problem.equity:
        rs = v.who(eq.who)
        vals = [scores.get(r.id, 0) for r in rs] + ([eq.cap] if eq.cap is not None else [])
        if vals:
            out.cost(f"equity:{eq.id}", None, "worst score", -eq.weight * min(vals))
    return out


CheckFn = Callable[[View, Found], Found]

# in this order: fairness and equity read the costs of the rules before them
CHECKS: tuple[CheckFn, ...] = (
    check_assignment,
    check_pins,
    check_coverage,
    check_requirements,
    check_windows,
    check_templates,
    check_prerequisites,
    check_max_consecutive,
    check_forbidden_adjacency,
    check_min_spacing,
    check_rest_after,
    check_vacation_requests,
    check_preferences,
    check_wishes,
    check_site_changes,
    check_waiting,
    check_fairness,
    check_equity,
)


def check(problem: Problem, schedule: Schedule) -> Report:
    """Every rule's check in turn (``CHECKS``): the hard violations, the soft costs, and
    each resident's score (minus its named costs)."""
    view = View.of(problem, schedule)
    so_far = Found()
    for fn in CHECKS:
        found = fn(view, so_far)
        so_far.violations.extend(found.violations)
        so_far.costs.extend(found.costs)
    return Report(so_far.violations, so_far.costs, resident_scores(problem, so_far.costs))
