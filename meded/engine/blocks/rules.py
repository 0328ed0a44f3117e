"""CP-SAT encoding of the block-schedule rules: one ``add_<rule>`` function per rule, and
``RULES``, the one list of every rule with its encoding, its independent check
(``check.check_<rule>``) and where the local search scores it.

Each function reads the problem, adds constraints to ``ctx.model`` and, for soft rules,
appends named ``Term`` objects (rule id, resident, detail, coefficient, variable) so a solution
can say which rule cost what for whom. Hard constraints are added through ``ctx.hard`` which,
in explain mode, guards them by an assumption literal per rule group so an infeasible core can
be reported in plain words.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from meded.engine.blocks import check as checker
from meded.engine.blocks.model import (
    Problem,
    Resident,
    ResidentSelector,
    Rotation,
    Selector,
    Unit,
)

Expr = cp_model.LinearExpr | int
BIG = 10**7


@dataclass
class Term:
    """One named objective term: ``coef * var``; positive = penalty, negative = reward."""

    rule: str
    resident: str | None
    detail: str
    coef: int
    var: Expr
    ub: int  # an upper bound on var (var >= 0)


@dataclass
class Guard:
    key: str
    message: str
    literal: cp_model.IntVar


@dataclass
class Ctx:
    model: cp_model.CpModel
    problem: Problem
    explain: bool = False
    # (resident, rotation, start block) -> start literal
    start: dict[tuple[str, str, int], cp_model.IntVar] = field(default_factory=dict)
    # (resident, block, rotation) -> occupancy (a start literal, or a sum of them)
    x: dict[tuple[str, int, str], Expr] = field(default_factory=dict)
    by_rb: dict[tuple[str, int], list[tuple[str, Expr]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    starts_by_r: dict[str, list[tuple[str, int, cp_model.IntVar]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    starts_by_rk: dict[tuple[str, str], list[tuple[int, cp_model.IntVar]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    terms: list[Term] = field(default_factory=list)
    guards: dict[str, Guard] = field(default_factory=dict)
    offset: int = 0  # constant added to the CP-SAT objective to get the true objective
    # the same constant by rule name (a rule's cost is its terms' values plus this)
    offsets: dict[str, int] = field(default_factory=dict)

    # -- helpers -------------------------------------------------------------------------
    def hard(self, key: str, message: str | Callable[[], str]) -> list[cp_model.IntVar]:
        """Enforcement literals for a hard constraint of group ``key`` ([] unless explaining)."""
        if not self.explain:
            return []
        g = self.guards.get(key)
        if g is None:
            msg = message() if callable(message) else message
            g = Guard(key, msg, self.model.new_bool_var(f"assume[{key}]"))
            self.guards[key] = g
        return [g.literal]

    def term(
        self, rule: str, resident: str | None, detail: str, coef: int, var: Expr, ub: int
    ) -> None:
        if coef and ub:
            self.terms.append(Term(rule, resident, detail, coef, var, ub))

    def residents(self, who: ResidentSelector) -> list[Resident]:
        return [r for r in self.problem.residents if who.matches(r)]

    def rot_ids(self, target: Selector) -> set[str]:
        return {r.id for r in self.problem.select(target)}

    def occ(self, res: str, block: int, rot_ids: set[str]) -> list[Expr]:
        return [v for rid, v in self.by_rb.get((res, block), ()) if rid in rot_ids]

    def starts(self, res: str, rot_ids: set[str]) -> list[tuple[str, int, cp_model.IntVar]]:
        return [(k, b, v) for k in sorted(rot_ids) for b, v in self.starts_by_rk.get((res, k), ())]

    def bound(
        self,
        *,
        key: str,
        message: str | Callable[[], str],
        expr: Expr,
        lo: int,
        hi: int | None,
        weight: int | None,
        rule: str,
        resident: str | None,
        detail: str,
        ub: int,
    ) -> None:
        """lo <= expr <= hi: hard (guarded) when weight is None, else priced per unit."""
        if weight is None:
            enf = self.hard(key, message)
            if lo > 0:
                self.model.add(expr >= lo).only_enforce_if(enf)
            if hi is not None:
                self.model.add(expr <= hi).only_enforce_if(enf)
            return
        if lo > 0:
            short = self.model.new_int_var(0, lo, f"short[{key}]")
            self.model.add(short >= lo - expr)
            self.term(rule, resident, detail + " (below min)", weight, short, lo)
        if hi is not None and hi < ub:
            over = self.model.new_int_var(0, ub - hi, f"over[{key}]")
            self.model.add(over >= expr - hi)
            self.term(rule, resident, detail + " (above max)", weight, over, ub - hi)


def _sum(vs: Iterable[Expr]) -> Expr:
    return cp_model.LinearExpr.sum(list(vs))


# -- structure ---------------------------------------------------------------------------
def add_assignment(ctx: Ctx) -> None:
    """HARD. Creates the stint and occupancy variables (only eligible, available, allowed
    starts exist), puts each resident on at most one rotation per block, and, when
    ``problem.full_assignment``, exactly one on every available block."""
    p, m = ctx.problem, ctx.model
    n = p.calendar.n_blocks
    for res in p.residents:
        cover: dict[tuple[int, str], list[cp_model.IntVar]] = defaultdict(list)
        # a pinned block admits only its rotation: no other stint may cover it (kept when
        # explaining, where a pin is a relaxable assumption)
        pinned = {} if ctx.explain else dict(res.pins)
        by_r: list[tuple[str, int, cp_model.IntVar]] = []
        for rot in p.rotations:
            if not p.eligible(res, rot):
                continue
            k, length = rot.id, rot.length
            by_rk: list[tuple[int, cp_model.IntVar]] = []
            covers: list[list[cp_model.IntVar]] = [[] for _ in range(n)]
            for b in range(n):
                if pinned and any(pinned.get(bb, k) != k for bb in range(b, b + length)):
                    continue
                if p.can_start(res, rot, b):
                    v = m.new_bool_var(f"s[{res.id},{k},{b}]")
                    ctx.start[(res.id, k, b)] = v
                    by_r.append((k, b, v))
                    by_rk.append((b, v))
                    for vs in covers[b : b + length]:
                        vs.append(v)
            if by_rk:
                ctx.starts_by_rk[(res.id, k)] = by_rk
                for bb, vs in enumerate(covers):
                    if vs:
                        cover[(bb, k)] = vs
        if by_r:
            ctx.starts_by_r[res.id] = by_r
        for (b, rid), vs in sorted(cover.items()):
            xv: Expr = vs[0] if len(vs) == 1 else _sum(vs)
            ctx.x[(res.id, b, rid)] = xv
            ctx.by_rb[(res.id, b)].append((rid, xv))
        for b in range(n):
            lits = [v for rid, _ in ctx.by_rb.get((res.id, b), ()) for v in cover[(b, rid)]]
            if len(lits) > 1:
                m.add_at_most_one(lits)
            if p.full_assignment and b not in res.unavailable:
                enf = ctx.hard(
                    f"assign:{res.id}",
                    f"{res.id} must be on some rotation in every available block",
                )
                m.add_bool_or(lits).only_enforce_if(enf)


def add_pins(ctx: Ctx) -> None:
    """HARD. Fixed assignments (resident, block) -> rotation."""
    for res in ctx.problem.residents:
        for b, rid in res.pins:
            enf = ctx.hard(f"pin:{res.id}:{b}", f"{res.id} is pinned to {rid} in block {b}")
            v = ctx.x.get((res.id, b, rid))
            if v is None:
                ctx.model.add_bool_or([]).only_enforce_if(enf)  # impossible pin
            else:
                ctx.model.add(v == 1).only_enforce_if(enf)


def _coverage_message(
    ctx: Ctx, rot: Rotation, b: int, role: str | None, lo: int, hi: int | None
) -> Callable[[], str]:
    def msg() -> str:
        p = ctx.problem
        who = f"{role}s" if role else "residents"
        able = [
            r
            for r in p.residents
            if (role is None or p.role(r) == role) and (r.id, b, rot.id) in ctx.x
        ]
        vac = {vr.resident for vr in p.vacation_requests if vr.approved and b in vr.blocks}
        free = [r for r in able if r.id not in vac]
        need = f"at least {lo}" if lo else ""
        if hi is not None:
            need = f"{need} and at most {hi}" if need else f"at most {hi}"
        text = f"{rot.name} needs {need} {who} in block {b}"
        if lo and len(free) < lo:
            text += (
                f", but after approved vacations only {len(free)} {who} may work "
                f"{rot.name} that block ({len(able)} eligible, "
                f"{len(able) - len(free)} on approved vacation)"
            )
        else:
            text += f" ({len(free)} {who} may work it that block)"
        return text

    return msg


def add_coverage(ctx: Ctx) -> None:
    """HARD (min and max), or SOFT below min with the rule's weight per missing resident.
    Staffing per rotation, block and optional role."""
    p = ctx.problem
    res_by_id = {r.id: r for r in p.residents}
    for rot in p.rotations:
        for i, cov in enumerate(rot.coverage):
            for b in p.blocks:
                if cov.blocks and b not in cov.blocks:
                    continue
                vs = [
                    v
                    for r in p.residents
                    if (cov.role is None or p.role(res_by_id[r.id]) == cov.role)
                    and (v := ctx.x.get((r.id, b, rot.id))) is not None
                ]
                role = cov.role or "all"
                key = f"coverage:{rot.id}:{role}:{i}:{b}"
                hi = cov.max
                if hi is not None and hi >= len(vs) and not ctx.explain:
                    hi = None  # each resident counts at most once: the cap cannot bind
                if cov.min <= 0 and hi is None:
                    continue
                # soft, only the minimum is priced: the maximum stays hard (the rule's
                # docstring; ``check`` and the local search agree)
                parts: list[tuple[int, int | None, int | None]] = [(cov.min, hi, None)]
                if cov.weight is not None:
                    parts = [(cov.min, None, cov.weight)]
                    if hi is not None:
                        parts.append((0, hi, None))
                for lo, top, weight in parts:
                    ctx.bound(
                        key=key,
                        message=_coverage_message(ctx, rot, b, cov.role, cov.min, cov.max),
                        expr=_sum(vs),
                        lo=lo,
                        hi=top,
                        weight=weight,
                        rule=f"coverage:{rot.id}:{role}",
                        resident=None,
                        detail=f"block {b}",
                        ub=max(len(vs), cov.max or 0),
                    )


def _count(ctx: Ctx, res: Resident, rot_ids: set[str], unit: Unit) -> tuple[Expr, int]:
    """Blocks or stints of ``rot_ids`` for ``res`` this year, with an upper bound."""
    if unit == Unit.STINTS:
        vs = [v for _, _, v in ctx.starts(res.id, rot_ids)]
        return _sum(vs), min(len(vs), ctx.problem.calendar.n_blocks)
    occ = [v for b in ctx.problem.blocks for v in ctx.occ(res.id, b, rot_ids)]
    return _sum(occ), min(len(occ), ctx.problem.calendar.n_blocks)


def history_units(problem: Problem, res: Resident, rot_ids: set[str], unit: Unit) -> int:
    if unit == Unit.BLOCKS:
        return res.history_blocks(rot_ids)
    rm = problem.rotation_map()
    return sum(n // max(1, rm[k].length) for k, n in res.history if k in rot_ids and k in rm)


def add_requirements(ctx: Ctx) -> None:
    """HARD or SOFT (per requirement weight, per unit short or over). Min/max blocks or stints
    of a rotation set per resident, this year or over residency including history."""
    p = ctx.problem
    for req in p.requirements:
        ids = ctx.rot_ids(req.target)
        for res in ctx.residents(req.who):
            expr, ub = _count(ctx, res, ids, req.unit)
            hist = history_units(p, res, ids, req.unit) if req.scope == "residency" else 0
            lo = max(0, req.min - hist)
            hi = None if req.max is None else req.max - hist
            span = "over residency" if req.scope == "residency" else "this year"
            rng = f"{req.min}..{req.max if req.max is not None else ''}"
            ctx.bound(
                key=f"req:{req.id}:{res.id}",
                message=(
                    f"{res.id} must do {rng} {req.unit.value} of "
                    f"{req.target.describe()} {span} (rule {req.id}"
                    + (f", {hist} already done" if hist else "")
                    + ")"
                ),
                expr=expr,
                lo=lo,
                # not clamped: history beyond the maximum costs every unit over it (as
                # ``check`` prices it, per the rule: units over residency including history)
                hi=hi,
                weight=req.weight,
                rule=f"req:{req.id}",
                resident=res.id,
                detail=req.target.describe(),
                ub=ub,
            )


def add_windows(ctx: Ctx) -> None:
    """HARD or SOFT. Pathway rule: residents R have >= n blocks of C within blocks [a, b]."""
    for w in ctx.problem.windows:
        ids = ctx.rot_ids(w.target)
        for res in ctx.residents(w.who):
            vs = [v for b in range(w.first, w.last + 1) for v in ctx.occ(res.id, b, ids)]
            ctx.bound(
                key=f"window:{w.id}:{res.id}",
                message=(
                    f"{res.id} must have {w.min_blocks} block(s) of "
                    f"{w.target.describe()} within blocks {w.first}-{w.last} "
                    f"(rule {w.id})"
                ),
                expr=_sum(vs),
                lo=w.min_blocks,
                hi=None,
                weight=w.weight,
                rule=f"window:{w.id}",
                resident=res.id,
                detail=f"blocks {w.first}-{w.last}",
                ub=w.min_blocks,
            )


def add_templates(ctx: Ctx) -> None:
    """HARD. X+Y templates: a cohort's "+Y" blocks are on the target (ambulatory), and, if
    exclusive, no other block is."""
    p = ctx.problem
    for t in p.templates:
        ids = ctx.rot_ids(t.target)
        for res in ctx.residents(t.who):
            if res.cohort is None:
                continue
            enf = ctx.hard(
                f"template:{t.id}:{res.id}",
                f"{res.id} (cohort {res.cohort}) follows the {t.x}+{t.y} template {t.id}",
            )
            for b in p.blocks:
                if b in res.unavailable:
                    continue
                vs = ctx.occ(res.id, b, ids)
                if t.is_plus_block(res.cohort, b):
                    ctx.model.add(_sum(vs) == 1).only_enforce_if(enf)
                elif t.exclusive and vs:
                    ctx.model.add(_sum(vs) == 0).only_enforce_if(enf)


def add_prerequisites(ctx: Ctx) -> None:
    """HARD (or SOFT per stint started without it). A stint of the target may start only after
    a stint of the prerequisite set has ended (or it is in the resident's history)."""
    p = ctx.problem
    rm = p.rotation_map()
    for pre in p.prerequisites:
        tgt, bef = ctx.rot_ids(pre.target), ctx.rot_ids(pre.before)
        for res in ctx.residents(pre.who):
            if res.history_blocks(bef) > 0:
                continue
            t_starts = ctx.starts(res.id, tgt)
            if not t_starts:
                continue
            ends: dict[int, list[cp_model.IntVar]] = defaultdict(list)
            for k, b, v in ctx.starts(res.id, bef):
                ends[b + rm[k].length].append(v)  # first block after the stint
            by_b: dict[int, list[cp_model.IntVar]] = defaultdict(list)
            for _, b, v in t_starts:
                by_b[b].append(v)
            enf = ctx.hard(
                f"prereq:{pre.id}:{res.id}",
                f"{res.id} must finish {pre.before.describe()} before starting "
                f"{pre.target.describe()} (rule {pre.id})",
            )
            done_prev: cp_model.IntVar | None = None
            for b in p.blocks:
                d = ctx.model.new_bool_var(f"done[{pre.id},{res.id},{b}]")
                ctx.model.add(
                    d <= (done_prev if done_prev is not None else 0) + _sum(ends.get(b, []))
                ).only_enforce_if(enf)
                done_prev = d
                if b in by_b:
                    if pre.weight is None:
                        ctx.model.add(_sum(by_b[b]) <= d).only_enforce_if(enf)
                    else:
                        viol = ctx.model.new_bool_var("")
                        ctx.model.add(_sum(by_b[b]) <= d + viol)
                        ctx.term(
                            f"prereq:{pre.id}", res.id, f"start block {b}", pre.weight, viol, 1
                        )


def _soft_or_hard_le(
    ctx: Ctx,
    expr: Expr,
    hi: int,
    key: str,
    msg: str,
    weight: int | None,
    rule: str,
    res: str,
    detail: str,
    ub: int,
) -> None:
    if weight is None:
        ctx.model.add(expr <= hi).only_enforce_if(ctx.hard(key, msg))
    else:
        v = ctx.model.new_int_var(0, max(0, ub - hi), "")
        ctx.model.add(expr - hi <= v)
        ctx.term(rule, res, detail, weight, v, max(0, ub - hi))


def add_max_consecutive(ctx: Ctx) -> None:
    """HARD or SOFT. No more than k consecutive blocks of the target (e.g. intensive)."""
    p = ctx.problem
    for mc in p.max_consecutive:
        ids = ctx.rot_ids(mc.target)
        for res in ctx.residents(mc.who):
            for b in range(p.calendar.n_blocks - mc.k):
                vs = [v for bb in range(b, b + mc.k + 1) for v in ctx.occ(res.id, bb, ids)]
                if len(vs) <= mc.k:
                    continue
                _soft_or_hard_le(
                    ctx,
                    _sum(vs),
                    mc.k,
                    f"maxconsec:{mc.id}:{res.id}",
                    f"{res.id} may do at most {mc.k} consecutive blocks of "
                    f"{mc.target.describe()} (rule {mc.id})",
                    mc.weight,
                    f"maxconsec:{mc.id}",
                    res.id,
                    f"blocks {b}-{b + mc.k}",
                    mc.k + 1,
                )


def add_forbidden_adjacency(ctx: Ctx) -> None:
    """HARD or SOFT. A block of A may not be followed (or preceded, if symmetric) by B, e.g. no
    night float next to ICU."""
    p = ctx.problem
    for fa in p.forbidden_adjacent:
        a, c = ctx.rot_ids(fa.first), ctx.rot_ids(fa.then)
        pairs = [(a, c), (c, a)] if fa.symmetric else [(a, c)]
        for res in ctx.residents(fa.who):
            for b in range(p.calendar.n_blocks - 1):
                for s1, s2 in pairs:
                    v1, v2 = ctx.occ(res.id, b, s1), ctx.occ(res.id, b + 1, s2)
                    if not v1 or not v2:
                        continue
                    _soft_or_hard_le(
                        ctx,
                        _sum(v1) + _sum(v2),
                        1,
                        f"adjacent:{fa.id}:{res.id}",
                        f"{res.id} may not have {fa.first.describe()} next to "
                        f"{fa.then.describe()} (rule {fa.id})",
                        fa.weight,
                        f"adjacent:{fa.id}",
                        res.id,
                        f"blocks {b}-{b + 1}",
                        2,
                    )


def add_min_spacing(ctx: Ctx) -> None:
    """HARD or SOFT. Two stints of the same rotation are at least ``gap`` blocks apart; soft,
    each stint costs ``weight`` per later stint of its rotation that starts too soon after it
    (per pair of stints too close, as ``check`` counts)."""
    p = ctx.problem
    rm = p.rotation_map()
    for ms in p.min_spacing:
        ids = ctx.rot_ids(ms.target)
        for res in ctx.residents(ms.who):
            per_rot: dict[str, dict[int, cp_model.IntVar]] = defaultdict(dict)
            for k, b, v in ctx.starts(res.id, ids):
                per_rot[k][b] = v
            for k, sv in per_rot.items():
                win = rm[k].length + ms.gap
                for b in sorted(sv):
                    if ms.weight is None:
                        vs = [sv[bb] for bb in range(b, b + win) if bb in sv]
                        if len(vs) > 1:
                            _soft_or_hard_le(
                                ctx,
                                _sum(vs),
                                1,
                                f"spacing:{ms.id}:{res.id}",
                                f"{res.id} needs {ms.gap} blocks between stints of {k} "
                                f"(rule {ms.id})",
                                None,
                                f"spacing:{ms.id}",
                                res.id,
                                f"{k} from block {b}",
                                len(vs),
                            )
                        continue
                    # soft: a window anchored at a stint's start, so a pair too close counts
                    # once (a window of unused starts covering the pair would count it again)
                    later = [sv[bb] for bb in range(b + 1, b + win) if bb in sv]
                    if later:
                        n = len(later)
                        v = ctx.model.new_int_var(0, n, "")
                        ctx.model.add(v >= _sum(later) - n * (1 - sv[b]))
                        ctx.term(f"spacing:{ms.id}", res.id, f"{k} from block {b}", ms.weight, v, n)


def add_rest_after(ctx: Ctx) -> None:
    """HARD or SOFT. After a run of nights, the next block is not intensive."""
    p = ctx.problem
    for ra in p.rest_after:
        after = ctx.rot_ids(ra.after)
        inten = ctx.rot_ids(ra.intensive) - after
        for res in ctx.residents(ra.who):
            for b in range(p.calendar.n_blocks - 1):
                n_b, n_next = ctx.occ(res.id, b, after), ctx.occ(res.id, b + 1, after)
                i_next = ctx.occ(res.id, b + 1, inten)
                if not n_b or not i_next:
                    continue
                _soft_or_hard_le(
                    ctx,
                    _sum(n_b) - _sum(n_next) + _sum(i_next),
                    1,
                    f"rest:{ra.id}:{res.id}",
                    f"{res.id} needs a non-intensive block after nights (rule {ra.id})",
                    ra.weight,
                    f"rest:{ra.id}",
                    res.id,
                    f"block {b + 1}",
                    2,
                )


def add_vacation_requests(ctx: Ctx) -> None:
    """HARD when approved; SOFT otherwise (weight per requested block not granted)."""
    for vr in ctx.problem.vacation_requests:
        ids = ctx.rot_ids(vr.target)
        blocks = sorted(vr.blocks)
        if vr.approved:
            enf = ctx.hard(
                f"vacation:{vr.id}",
                f"{vr.resident} has approved vacation in block(s) " + ", ".join(map(str, blocks)),
            )
            for b in blocks:
                vs = ctx.occ(vr.resident, b, ids)
                ctx.model.add(_sum(vs) == 1).only_enforce_if(enf)
        else:
            for b in blocks:
                vs = ctx.occ(vr.resident, b, ids)
                miss = ctx.model.new_bool_var("")
                ctx.model.add(miss == 1 - _sum(vs))
                ctx.term(
                    f"vacation:{vr.id}", vr.resident, f"block {b} not granted", vr.weight, miss, 1
                )


def stint_caps(ctx: Ctx) -> dict[str, list[tuple[frozenset[str], int, int]]]:
    """Per resident, the hard caps requirements put on counts: (rotation ids, most units
    left this year, unit is blocks 1 / stints 0)."""
    p = ctx.problem
    reqs = [
        (req, frozenset(ctx.rot_ids(req.target)))
        for req in p.requirements
        if req.weight is None and req.max is not None
    ]
    out: dict[str, list[tuple[frozenset[str], int, int]]] = {}
    for res in p.residents:
        caps = []
        for req, req_ids in reqs:
            if not req.who.matches(res):
                continue
            hist = history_units(p, res, set(req_ids), req.unit) if req.scope == "residency" else 0
            assert req.max is not None
            caps.append((req_ids, max(0, req.max - hist), int(req.unit == Unit.BLOCKS)))
        out[res.id] = caps
    return out


def max_stints(ctx: Ctx, caps: list[tuple[frozenset[str], int, int]], ids: set[str]) -> int | None:
    """The most stints of ``ids`` the caps allow (None: none applies). A cap applies when its
    rotations include all of ``ids``: a count over a subset is at most the count over all."""
    if not ids:
        return None
    rm = ctx.problem.rotation_map()
    best: int | None = None
    for req_ids, room, blocks in caps:
        if not ids <= req_ids:
            continue
        if blocks:
            room //= max(1, min(rm[k].length for k in ids))
        best = room if best is None else min(best, room)
    return best


def add_preferences(ctx: Ctx) -> None:
    """SOFT (reward). ``weight`` per stint of the preferred target."""
    caps = stint_caps(ctx) if ctx.problem.preferences and not ctx.explain else {}
    for pref in ctx.problem.preferences:
        ids = ctx.rot_ids(pref.target)
        vs = [v for _, _, v in ctx.starts(pref.resident, ids)]
        if vs:
            # an explicit count variable lets presolve tighten the objective's trivial bound;
            # its domain also takes the hard caps of requirements (e.g. an elective at most
            # once), which the LP alone often does not see with few workers. Not when
            # explaining: there every hard rule must stay a removable assumption.
            ub = min(len(vs), ctx.problem.calendar.n_blocks)
            cap = max_stints(ctx, caps.get(pref.resident, []), ids)
            if cap is not None:
                ub = min(ub, cap)
            cnt = ctx.model.new_int_var(0, ub, f"pref[{pref.resident},{pref.target.describe()}]")
            ctx.model.add(cnt == _sum(vs))
            ctx.term(pref.rule, pref.resident, pref.target.describe(), -pref.weight, cnt, ub)


def add_wishes(ctx: Ctx) -> None:
    """SOFT. "Not before/after block b": weight per block of target outside the wish."""
    p = ctx.problem
    for w in p.wishes:
        ids = ctx.rot_ids(w.target)
        bad = [
            b
            for b in p.blocks
            if (w.not_before is not None and b < w.not_before)
            or (w.not_after is not None and b > w.not_after)
        ]
        vs = [v for b in bad for v in ctx.occ(w.resident, b, ids)]
        if vs:
            ctx.term(f"wish:{w.id}", w.resident, w.target.describe(), w.weight, _sum(vs), len(vs))


def add_site_changes(ctx: Ctx) -> None:
    """SOFT. Weight per change of site between consecutive stints (idle gaps ignored).

    Each block has one "current site" ``at[s][b]``: the site of the stint covering it, kept
    through idle blocks. Once a first stint has started, every change of current site (which
    can happen only where a stint starts) is a change between consecutive stints."""
    p, m = ctx.problem, ctx.model
    rm = p.rotation_map()
    for sc in p.site_changes:
        r = sc.resident
        starts = ctx.starts_by_r.get(r, ())
        sites = sorted({rm[k].site for k, _, _ in starts})
        if len(sites) < 2:
            continue
        first = min(b for _, b, _ in starts)
        last = max(b + rm[k].length for k, b, _ in starts)
        blocks = range(first, last)
        at = {(s, b): m.new_bool_var(f"site[{r},{s},{b}]") for s in sites for b in blocks}
        occ: dict[int, cp_model.IntVar] = {}
        for b in blocks:
            m.add_exactly_one(at[(s, b)] for s in sites)
            vs = [v for _, v in ctx.by_rb.get((r, b), ())]
            occ[b] = m.new_bool_var(f"busy[{r},{b}]")
            m.add(occ[b] == _sum(vs))
        for k, b, v in starts:
            for bb in range(b, b + rm[k].length):
                m.add_implication(v, at[(rm[k].site, bb)])
        chg_vars = []
        started_prev: cp_model.IntVar | None = None
        for b in blocks:
            started = m.new_bool_var(f"started[{r},{b}]")
            m.add_implication(occ[b], started)
            if started_prev is None:
                m.add_implication(started, occ[b])
            else:
                m.add_implication(started_prev, started)
                m.add_bool_or([started_prev, occ[b]]).only_enforce_if(started)
                chg = m.new_bool_var(f"chg[{r},{b}]")
                for s in sites:
                    # idle: the current site stays
                    m.add_bool_or([~at[(s, b - 1)], at[(s, b)], occ[b]])
                    # a new site after an earlier stint: a change
                    m.add_bool_or([~at[(s, b)], at[(s, b - 1)], ~started_prev, chg])
                chg_vars.append(chg)
            started_prev = started
        if chg_vars:
            ctx.term("site_change", r, "site changes", sc.weight, _sum(chg_vars), len(chg_vars))


def add_waiting(ctx: Ctx) -> None:
    """SOFT. Weight per idle block before the resident's last occupied block: the end of the
    last stint minus the blocks occupied."""
    p, m = ctx.problem, ctx.model
    rm = p.rotation_map()
    n = p.calendar.n_blocks
    for w in p.waiting:
        by_start: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        for k, b, v in ctx.starts_by_r.get(w.resident, ()):
            by_start[b].append((b + rm[k].length, v))
        if not by_start:
            continue
        last = m.new_int_var(0, n, f"last[{w.resident}]")
        for _, ends in sorted(by_start.items()):
            # the starts of one block exclude each other: the end of whichever is taken
            m.add(last >= _sum(e * v for e, v in ends))
        wait = m.new_int_var(0, n, f"wait[{w.resident}]")
        occupied = _sum(rm[k].length * v for k, _, v in ctx.starts_by_r.get(w.resident, ()))
        m.add(wait == last - occupied)
        ctx.term("waiting", w.resident, "idle blocks before last", w.weight, wait, n)


def _score_exprs(ctx: Ctx, rule_prefix: str | None = None) -> dict[str, tuple[Expr, int, int]]:
    """Per resident: -(sum of its terms) with bounds; optionally only terms of one rule."""
    by: dict[str, list[Term]] = defaultdict(list)
    for t in ctx.terms:
        if t.resident is not None and (rule_prefix is None or t.rule == rule_prefix):
            by[t.resident].append(t)
    out = {}
    for r, ts in by.items():
        lo = -sum(t.coef * t.ub for t in ts if t.coef > 0)
        hi = -sum(t.coef * t.ub for t in ts if t.coef < 0)
        out[r] = (-_sum(t.coef * t.var for t in ts), lo, hi)
    return out


def _spread(ctx: Ctx, name: str, vals: Sequence[tuple[Expr, int, int]]) -> tuple[Expr, int]:
    lo = min(v[1] for v in vals)
    hi = max(v[2] for v in vals)
    mx = ctx.model.new_int_var(lo, hi, f"max[{name}]")
    mn = ctx.model.new_int_var(lo, hi, f"min[{name}]")
    for e, _, _ in vals:
        ctx.model.add(mx >= e)
        ctx.model.add(mn <= e)
    return mx - mn, hi - lo


def add_fairness(ctx: Ctx) -> None:
    """SOFT. Weight per unit of spread (max - min) of a metric among same-PGY residents:
    blocks of a target (intensive, nights) or total preference reward."""
    p = ctx.problem
    pref = _score_exprs(ctx, "preference")
    for f in p.fairness:
        groups: dict[int, list[Resident]] = defaultdict(list)
        for r in ctx.residents(f.who):
            groups[r.pgy].append(r)
        ids = ctx.rot_ids(f.target)
        outside = {pgy: (lo, hi) for pgy, lo, hi in f.outside}
        for pgy in outside:
            groups.setdefault(pgy, [])
        for pgy, rs in sorted(groups.items()):
            if len(rs) + (2 if pgy in outside else 0) < 2:
                continue
            vals: list[tuple[Expr, int, int]] = []
            if f.metric == "preference":
                vals = [pref.get(r.id, (0, 0, 0)) for r in rs]
            else:
                for r in rs:
                    e, ub = _count(ctx, r, ids, Unit.BLOCKS)
                    vals.append((e, 0, ub))
            if pgy in outside:
                lo_o, hi_o = outside[pgy]
                vals += [(lo_o, lo_o, lo_o), (hi_o, hi_o, hi_o)]
            spread, ub = _spread(ctx, f"{f.id}:{pgy}", vals)
            sv = ctx.model.new_int_var(0, max(0, ub), f"spread[{f.id},{pgy}]")
            ctx.model.add(sv == spread)
            ctx.term(f"fairness:{f.id}", None, f"PGY{pgy} spread of {f.metric}", f.weight, sv, ub)


def add_equity(ctx: Ctx) -> None:
    """SOFT (reward). Weight x the worst-off resident's score (minus its named costs)."""
    scores = _score_exprs(ctx)
    for eq in ctx.problem.equity:
        rs = ctx.residents(eq.who)
        vals = [scores.get(r.id, (0, 0, 0)) for r in rs]
        if eq.cap is not None:
            vals.append((eq.cap, eq.cap, eq.cap))
        if not vals:
            continue
        lo, hi = min(v[1] for v in vals), max(v[2] for v in vals)
        mn = ctx.model.new_int_var(lo, hi, f"min_score[{eq.id}]")
        for e, _, _ in vals:
            ctx.model.add(mn <= e)
        # term var must be >= 0: reward weight * (mn - lo), constant weight*lo dropped
        shifted = ctx.model.new_int_var(0, hi - lo, f"min_score_shift[{eq.id}]")
        ctx.model.add(shifted == mn - lo)
        ctx.terms.append(
            Term(
                f"equity:{eq.id}", None, f"worst score (offset {lo})", -eq.weight, shifted, hi - lo
            )
        )
        ctx.offset -= lo * eq.weight
        ctx.offsets[f"equity:{eq.id}"] = ctx.offsets.get(f"equity:{eq.id}", 0) - lo * eq.weight


@dataclass(frozen=True)
class RuleDef:
    """One rule, defined once: its CP-SAT encoding (``add_<name>`` here), its independent
    check (``check.check_<name>``), the ``Problem`` field holding its instances ("" when they
    sit on residents or rotations), and where the local search scores it move by move ("":
    it does not, and ``local.supports`` refuses a problem whose ``field`` uses it)."""

    name: str
    add: Callable[[Ctx], None]
    check: checker.CheckFn
    field: str
    local: str


# every rule, in the order the model is built and the checker runs (``check.CHECKS``)
RULES: tuple[RuleDef, ...] = (
    RuleDef(
        "assignment",
        add_assignment,
        checker.check_assignment,
        "full_assignment",
        "",  # its structure is kept by the moves; full assignment is not scored
    ),
    # not priced by the search but kept: _State puts each pinned stint in, moves never touch it
    RuleDef("pins", add_pins, checker.check_pins, "", ""),
    RuleDef("coverage", add_coverage, checker.check_coverage, "", "_State.cell_costs"),
    RuleDef(
        "requirements",
        add_requirements,
        checker.check_requirements,
        "requirements",
        "_Index.req_cost",
    ),
    RuleDef("windows", add_windows, checker.check_windows, "windows", ""),
    RuleDef("templates", add_templates, checker.check_templates, "templates", ""),
    RuleDef(
        "prerequisites",
        add_prerequisites,
        checker.check_prerequisites,
        "prerequisites",
        "_Index.other_cost",
    ),
    RuleDef(
        "max_consecutive", add_max_consecutive, checker.check_max_consecutive, "max_consecutive", ""
    ),
    RuleDef(
        "forbidden_adjacency",
        add_forbidden_adjacency,
        checker.check_forbidden_adjacency,
        "forbidden_adjacent",
        "",
    ),
    RuleDef("min_spacing", add_min_spacing, checker.check_min_spacing, "min_spacing", ""),
    RuleDef("rest_after", add_rest_after, checker.check_rest_after, "rest_after", ""),
    RuleDef(
        "vacation_requests",
        add_vacation_requests,
        checker.check_vacation_requests,
        "vacation_requests",
        "_Index.other_cost",
    ),
    RuleDef(
        "preferences",
        add_preferences,
        checker.check_preferences,
        "preferences",
        "_Index.stint_cost",
    ),
    RuleDef("wishes", add_wishes, checker.check_wishes, "wishes", "_Index.stint_cost"),
    RuleDef(
        "site_changes",
        add_site_changes,
        checker.check_site_changes,
        "site_changes",
        "_Index.other_cost",
    ),
    RuleDef("waiting", add_waiting, checker.check_waiting, "waiting", "_Index.other_cost"),
    RuleDef("fairness", add_fairness, checker.check_fairness, "fairness", ""),
    RuleDef("equity", add_equity, checker.check_equity, "equity", "_State.worst"),
)


def build(problem: Problem, explain: bool = False) -> Ctx:
    ctx = Ctx(cp_model.CpModel(), problem, explain)
    # The model's hundreds of thousands of objects all live as long as the model: the
    # cyclic collector's passes over them find nothing to free and cost a fifth of the
    # build at 800 residents (16.1 s against 13.6 s), so it waits until the model is built.
    paused = gc.isenabled()
    gc.disable()
    try:
        for rule in RULES:
            rule.add(ctx)
    finally:
        if paused:
            gc.enable()
    return ctx


def objective_expr(ctx: Ctx) -> Expr:
    return _sum(t.coef * t.var for t in ctx.terms)
