"""Resident-decomposed search for large programs: build schedules resident by resident, then
improve them by re-optimizing small groups of residents with CP-SAT while everyone else stays
fixed (large neighbourhood search on sub-problems that are themselves ``Problem`` objects).

``restrict(problem, schedule, free)`` is the key piece: the same rules for the residents in
``free`` only, with staffing bounds reduced by the fixed residents' occupancy, the equity term
capped by the fixed residents' worst score and fairness spreads widened by their range, so
the sub-problem's objective differs from the full one by a constant.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace

from meded.engine.blocks.check import check
from meded.engine.blocks.model import CoverageRule, Problem, Rotation, Schedule
from meded.engine.blocks.solve import FAST_PRESOLVE, Progress, Result, solve

SOFT_MIN_WEIGHT = 1000


def soften(problem: Problem, weight: int = SOFT_MIN_WEIGHT) -> Problem:
    """Hard staffing minimums become soft with a large weight (to search from infeasible)."""
    rots = tuple(
        replace(
            r,
            coverage=tuple(
                replace(c, weight=weight) if c.weight is None and c.min > 0 else c
                for c in r.coverage
            ),
        )
        for r in problem.rotations
    )
    return replace(problem, rotations=rots, _cache={})


@dataclass
class _Stats:
    score: int
    pref: int
    metrics: dict[str, int]


class _Index:
    """Per-resident slices of a problem, so one resident can be evaluated quickly."""

    def __init__(self, problem: Problem) -> None:
        self.p = problem
        self.prefs = defaultdict(list)
        for x in problem.preferences:
            self.prefs[x.resident].append(x)
        self.wishes = defaultdict(list)
        for w in problem.wishes:
            self.wishes[w.resident].append(w)
        self.vac = defaultdict(list)
        for v in problem.vacation_requests:
            self.vac[v.resident].append(v)
        self.sc = {x.resident: x for x in problem.site_changes}
        self.wt = {x.resident: x for x in problem.waiting}
        self.bare = tuple(replace(r, coverage=()) for r in problem.rotations)

    def sub(self, ids: set[str], rotations: tuple[Rotation, ...] | None = None) -> Problem:
        p = self.p
        return replace(
            p,
            residents=tuple(r for r in p.residents if r.id in ids),
            rotations=self.bare if rotations is None else rotations,
            preferences=tuple(x for r in sorted(ids) for x in self.prefs[r]),
            wishes=tuple(x for r in sorted(ids) for x in self.wishes[r]),
            vacation_requests=tuple(x for r in sorted(ids) for x in self.vac[r]),
            site_changes=tuple(self.sc[r] for r in sorted(ids) if r in self.sc),
            waiting=tuple(self.wt[r] for r in sorted(ids) if r in self.wt),
            _cache={},
        )

    def stats(self, rid: str, schedule: Schedule) -> _Stats:
        sp = replace(self.sub({rid}), fairness=(), equity=())
        rep = check(sp, {rid: schedule.get(rid, {})})
        pref = -sum(c[3] for c in rep.costs if c[0] == "preference")
        metrics = {}
        for f in self.p.fairness:
            if f.metric == "preference":
                metrics[f.id] = pref
            else:
                ids = {r.id for r in self.p.select(f.target)}
                metrics[f.id] = sum(1 for k in schedule.get(rid, {}).values() if k in ids)
        return _Stats(rep.scores.get(rid, 0), pref, metrics)


def restrict(
    problem: Problem, schedule: Schedule, free: set[str], stats: dict[str, _Stats], index: _Index
) -> Problem:
    p = problem
    fixed = [r for r in p.residents if r.id not in free]
    occ: dict[tuple[str, int, str], int] = defaultdict(int)
    for r in fixed:
        role = p.role(r)
        for b, k in schedule.get(r.id, {}).items():
            occ[(k, b, role)] += 1
            occ[(k, b, "*")] += 1
    rots = []
    for rot in p.rotations:
        covs: list[CoverageRule] = []
        for c in rot.coverage:
            groups: dict[tuple[int, int | None], set[int]] = defaultdict(set)
            for b in p.blocks:
                if c.blocks and b not in c.blocks:
                    continue
                used = occ.get((rot.id, b, c.role or "*"), 0)
                groups[(max(0, c.min - used), None if c.max is None else c.max - used)].add(b)
            for (lo, hi), bs in groups.items():
                if lo == 0 and hi is None:
                    continue
                covs.append(CoverageRule(lo, hi, c.role, frozenset(bs), c.weight))
        rots.append(replace(rot, coverage=tuple(covs)))
    sub = index.sub(free, tuple(rots))
    fair = []
    for f in p.fairness:
        rng: dict[int, tuple[int, int]] = {}
        for r in fixed:
            if f.who.matches(r):
                v = stats[r.id].metrics.get(f.id, 0)
                lo, hi = rng.get(r.pgy, (v, v))
                rng[r.pgy] = (min(lo, v), max(hi, v))
        fair.append(replace(f, outside=tuple((g, lo, hi) for g, (lo, hi) in rng.items())))
    eqs = []
    for e in p.equity:
        caps = [stats[r.id].score for r in fixed if e.who.matches(r)]
        eqs.append(replace(e, cap=min(caps) if caps else e.cap))
    return replace(sub, fairness=tuple(fair), equity=tuple(eqs), _cache={})


def solve_decomposed(
    problem: Problem,
    time_limit: float = 60.0,
    workers: int = 2,
    seed: int = 0,
    group: int = 6,
    sub_time: float = 1.0,
    initial: Schedule | None = None,
    build_group: int = 4,
    build_time: float = 0.5,
    on_progress: Callable[[Progress], None] | None = None,
) -> Result:
    """Construct resident by resident (or start from ``initial``), then LNS over groups of
    residents. Staffing minimums are searched as heavily weighted soft terms, so the result
    is feasible only when those terms reach zero (``status`` says FEASIBLE then)."""
    t0 = time.perf_counter()
    rng = random.Random(seed)
    soft = soften(problem)
    index = _Index(soft)
    ids = [r.id for r in soft.residents]
    sched: Schedule = (
        {r: dict(initial.get(r, {})) for r in ids} if initial else {r: {} for r in ids}
    )
    stats = {r: index.stats(r, sched) for r in ids}
    progress: list[Progress] = []

    def left() -> float:
        return time_limit - (time.perf_counter() - t0)

    def step(free: set[str], limit: float) -> int | None:
        """Re-optimize ``free``; returns the objective change, or None if infeasible."""
        sub = restrict(soft, sched, free, stats, index)
        hint = {r: sched[r] for r in free}
        res = solve(sub, time_limit=limit, workers=workers, hint=hint, params=dict(FAST_PRESOLVE))
        if not res.feasible:
            return None
        before = check(sub, hint).objective
        after = check(sub, res.schedule).objective
        if after < before or not all(hint.values()):
            for r in free:
                sched[r] = res.schedule.get(r, {})
                stats[r] = index.stats(r, sched)
            return after - before
        return 0

    def objective() -> int:
        return check(soft, sched).objective

    if initial is None:
        order = sorted(ids, key=lambda r: rng.random())
        for i in range(0, len(order), build_group):
            if left() <= 0:
                break
            free = set(order[i : i + build_group])
            k = 4
            while step(free, max(0.2, min(build_time, left()))) is None and left() > 0:
                done = [r for r in ids if sched[r] and r not in free]
                free = free | set(rng.sample(done, min(k, len(done))))
                k *= 2
    first_s = time.perf_counter() - t0
    cur = objective()
    progress.append(Progress(first_s, cur, float("nan")))
    if on_progress:
        on_progress(progress[-1])
    size = min(group, len(ids))
    while left() > 0.3:
        free = set(rng.sample(ids, size))
        if rng.random() < 0.5 and problem.equity:
            free.add(min(ids, key=lambda r: stats[r].score))
        delta = step(free, min(sub_time, left()))
        if delta:
            cur += delta
            progress.append(Progress(time.perf_counter() - t0, cur, float("nan")))
            if on_progress:
                on_progress(progress[-1])
    wall = time.perf_counter() - t0
    rep = check(problem, sched)
    feasible = rep.ok and all(sched.values())
    return Result(
        status="FEASIBLE" if feasible else "UNKNOWN",
        schedule=sched,
        objective=float(rep.objective) if feasible else None,
        bound=None,
        first_feasible_s=first_s if feasible else None,
        best_s=progress[-1].wall_s if progress else None,
        wall_s=wall,
        workers=workers,
        progress=progress,
    )
