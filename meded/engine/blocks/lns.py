"""Resident-decomposed search for large programs: build schedules resident by resident, then
improve them by re-optimizing small groups of residents with CP-SAT while everyone else stays
fixed (large neighbourhood search on sub-problems that are themselves ``Problem`` objects).

``restrict(problem, schedule, free)`` is the key piece: the same rules for the residents in
``free`` only, with staffing bounds reduced by the fixed residents' occupancy, the equity term
capped by the fixed residents' worst score and fairness spreads widened by their range, so
the sub-problem's objective differs from the full one by a constant.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.process
import multiprocessing.queues
import os
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from meded.engine.blocks import local
from meded.engine.blocks.check import check, stints
from meded.engine.blocks.cpsat import (
    FAST_PRESOLVE,
    Progress,
    Result,
    schedule_of,
    solve,
)
from meded.engine.blocks.model import CoverageRule, Problem, Resident, Rotation, Schedule, Unit
from meded.engine.blocks.rules import build

log = logging.getLogger(__name__)

SOFT_MIN_WEIGHT = 1000
# sub-problems start from a complete hint: probing costs more than it saves there
LNS_PARAMS: dict[str, object] = {**FAST_PRESOLVE}
PLACE_PARAMS: dict[str, object] = {**FAST_PRESOLVE}


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


def hard_only(problem: Problem) -> Problem:
    """The problem without its objective: no preferences, wishes, site changes, waiting,
    fairness or equity, and every soft rule dropped, so CP-SAT looks for any schedule that
    keeps the hard rules (a first schedule to improve from)."""
    rots = tuple(
        # a soft minimum goes; its maximum stays (it is hard)
        replace(
            r,
            coverage=tuple(
                c if c.weight is None else replace(c, min=0, weight=None) for c in r.coverage
            ),
        )
        for r in problem.rotations
    )
    return replace(
        problem,
        rotations=rots,
        requirements=tuple(x for x in problem.requirements if x.weight is None),
        windows=tuple(x for x in problem.windows if x.weight is None),
        prerequisites=tuple(x for x in problem.prerequisites if x.weight is None),
        max_consecutive=tuple(x for x in problem.max_consecutive if x.weight is None),
        forbidden_adjacent=tuple(x for x in problem.forbidden_adjacent if x.weight is None),
        min_spacing=tuple(x for x in problem.min_spacing if x.weight is None),
        rest_after=tuple(x for x in problem.rest_after if x.weight is None),
        vacation_requests=tuple(x for x in problem.vacation_requests if x.approved),
        preferences=(),
        wishes=(),
        fairness=(),
        equity=(),
        site_changes=(),
        waiting=(),
        _cache={},
    )


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


def freeze_outside(
    problem: Problem, res: Resident, row: dict[int, str], first: int, last: int
) -> Resident:
    """``res`` with every stint of ``row`` that starts outside blocks [first, last] pinned and
    every idle block outside them made unavailable, so only the window can change."""
    pins = dict(res.pins)
    busy: set[int] = set()
    for st in stints(problem, row):
        busy.update(range(st.start, st.start + st.length))
        if not first <= st.start <= last:
            for b in range(st.start, st.start + st.length):
                pins[b] = st.rotation
    idle = {b for b in problem.blocks if not first <= b <= last and b not in busy}
    return replace(
        res, pins=tuple(sorted(pins.items())), unavailable=res.unavailable | frozenset(idle)
    )


def restrict(
    problem: Problem,
    schedule: Schedule,
    free: set[str],
    stats: dict[str, _Stats],
    index: _Index,
    window: tuple[int, int] | None = None,
) -> Problem:
    """The sub-problem of the residents in ``free`` (optionally only blocks ``window`` of
    theirs), everyone else fixed as in ``schedule``."""
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
    residents = sub.residents
    if window is not None:
        residents = tuple(
            freeze_outside(p, r, schedule.get(r.id, {}), window[0], window[1]) for r in residents
        )
    return replace(sub, residents=residents, fairness=tuple(fair), equity=tuple(eqs), _cache={})


def tightness(problem: Problem, res: Resident) -> float:
    """How full a resident's year must be: blocks its requirement minimums need (or every
    available block when assignment is full) over its available blocks."""
    avail = max(1, problem.calendar.n_blocks - len(res.unavailable))
    if problem.full_assignment:
        return 1.0
    need = 0
    for req in problem.requirements:
        if req.min and req.weight is None and req.who.matches(res):
            rots = [r for r in problem.select(req.target) if problem.eligible(res, r)]
            per_unit = min((r.length for r in rots), default=1) if req.unit == Unit.STINTS else 1
            need += req.min * per_unit
    return need / avail


def _light(sub: Problem) -> Problem:
    """Without site changes, equity and fairness, which slow CP-SAT's first solution down
    (for placing residents; the search optimizes them)."""
    return replace(sub, site_changes=(), equity=(), fairness=(), _cache={})


def _pinned(sub: Problem, rid: str, block: int, rot: str) -> Problem:
    return replace(
        sub,
        residents=tuple(
            replace(r, pins=(*r.pins, (block, rot))) if r.id == rid else r for r in sub.residents
        ),
        _cache={},
    )


def can_cover(
    index: _Index, rid: str, rot: str, block: int, cache: dict[tuple[str, str, int], bool]
) -> bool:
    """Whether ``rid``'s own rules (requirements, prerequisites, availability, ...) allow
    being on ``rot`` in ``block``, everyone else ignored. Cached: it never changes."""
    key = (rid, rot, block)
    if key not in cache:
        sub = replace(
            index.sub({rid}), preferences=(), site_changes=(), waiting=(), equity=(), fairness=()
        )
        out = solve(
            _pinned(sub, rid, block, rot), time_limit=0.5, workers=1, params=dict(PLACE_PARAMS)
        )
        cache[key] = out.status != "INFEASIBLE"  # unknown within the limit: maybe
    return cache[key]


def short_cells(problem: Problem, schedule: Schedule) -> list[tuple[str, int, int]]:
    """(rotation, block, missing) below a hard staffing minimum."""
    count: dict[tuple[str, int], int] = defaultdict(int)
    for row in schedule.values():
        for b, k in row.items():
            count[(k, b)] += 1
    out = []
    for rot in problem.rotations:
        for c in rot.coverage:
            if c.min and c.weight is None and c.role is None:
                for b in problem.blocks:
                    if (not c.blocks or b in c.blocks) and count[(rot.id, b)] < c.min:
                        out.append((rot.id, b, c.min - count[(rot.id, b)]))
    return out


NEIGHBOURHOODS = ("random", "worst", "related", "window", "shortage")


@dataclass
class _Kind:
    size: float
    tries: int = 0
    gains: int = 0


@dataclass
class _State:
    schedule: Schedule
    stats: dict[str, _Stats]
    objective: int  # of the softened problem (shortage below staffing minimums priced)
    version: int = 0
    feasible_at: float | None = None
    kinds: dict[str, _Kind] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Search:
    """Resident-neighbourhood LNS over sub-problems (``restrict``), ``workers`` threads at
    once, each re-optimizing its neighbourhood with a single-threaded CP-SAT; improvements
    are committed optimistically (re-checked in full when another thread committed first)."""

    def __init__(
        self,
        problem: Problem,
        soft: Problem,
        state: _State,
        index: _Index,
        t0: float,
        deadline: float,
        sub_time: float,
        group: int,
        seed: int,
        on_progress: Callable[[Progress], None] | None,
        cover_cache: dict[tuple[str, str, int], bool] | None = None,
        log: bool = False,
        complete_hint: bool = False,
    ) -> None:
        self.log = log
        self.complete_hint = complete_hint
        self.p, self.soft, self.state, self.index = problem, soft, state, index
        self.t0, self.deadline, self.sub_time, self.seed = t0, deadline, sub_time, seed
        self.on_progress = on_progress
        self.ids = [r.id for r in soft.residents]
        self.progress: list[Progress] = []
        n = len(self.ids)
        self.state.kinds = {
            "random": _Kind(min(n, group)),
            "worst": _Kind(min(n, group)),
            "related": _Kind(min(n, group)),
            "window": _Kind(min(n, 2 * group)),
            "shortage": _Kind(min(n, group)),
        }
        self.able: dict[str, set[str]] = defaultdict(set)  # rotation -> eligible residents
        for r in soft.residents:
            for rot in soft.rotations:
                if soft.eligible(r, rot):
                    self.able[rot.id].add(r.id)
        self.cover_cache = cover_cache if cover_cache is not None else {}
        self.mins = [
            (rot.id, b, c.min)
            for rot in problem.rotations
            for c in rot.coverage
            if c.min and c.weight is None
            for b in problem.blocks
            if not c.blocks or b in c.blocks
        ]

    def left(self) -> float:
        return self.deadline - time.perf_counter()

    def can_cover(self, rid: str, rot: str, block: int) -> bool:
        return can_cover(self.index, rid, rot, block, self.cover_cache)

    def note(self) -> None:
        pr = Progress(time.perf_counter() - self.t0, self.state.objective, float("nan"))
        self.progress.append(pr)
        if self.on_progress:
            self.on_progress(pr)

    # -- neighbourhoods ------------------------------------------------------------------
    def _short_cells(self, sched: Schedule) -> list[tuple[str, int]]:
        count: dict[tuple[str, int], int] = defaultdict(int)
        for row in sched.values():
            for b, k in row.items():
                count[(k, b)] += 1
        return [(k, b) for k, b, lo in self.mins if count[(k, b)] < lo]

    def neighbourhood(
        self, kind: str, size: int, rng: random.Random, sched: Schedule, stats: dict[str, _Stats]
    ) -> tuple[set[str], tuple[int, int] | None]:
        ids = self.ids
        size = max(1, min(len(ids), size))
        free: set[str] = set()
        window = None
        if kind == "worst" and self.p.equity:
            worst = sorted(ids, key=lambda r: (stats[r].score, rng.random()))
            free = set(worst[: max(1, size // 2)])
        elif kind == "related":
            seed = rng.choice(ids)
            mine = set(sched.get(seed, {}).values())
            sites = {self.soft.rotation(k).site for k in mine}
            near = [
                r
                for r in ids
                if r != seed
                and any(
                    k in mine or self.soft.rotation(k).site in sites
                    for k in set(sched.get(r, {}).values())
                )
            ]
            free = {seed} | set(rng.sample(near, min(len(near), size - 1)))
        elif kind == "window":
            n = self.p.calendar.n_blocks
            width = max(2, min(n, rng.randint(max(2, n // 4), max(2, n // 2))))
            first = rng.randrange(n - width + 1)
            window = (first, first + width - 1)
        elif kind == "shortage":
            short = self._short_cells(sched)
            if short:
                k0, _ = rng.choice(short)
                size = max(size, 6)
                # the short cells of one rotation together (one stint may cover several);
                # for each, residents whose own rules let them be on it then, those on it
                # already (who may move their stint) first
                cells = [(k, b) for k, b in short if k == k0]
                rng.shuffle(cells)
                per_cell = max(1, (size - 1) // len(cells))
                for k, b in cells:
                    pool = sorted(self.able.get(k, set()))
                    rng.shuffle(pool)
                    on_it = {r for r in pool if k in sched.get(r, {}).values()}
                    pool.sort(key=lambda r: r not in on_it)
                    got = 0
                    for r in pool:
                        if got >= per_cell or len(free) >= size:
                            break
                        if self.can_cover(r, k, b):
                            got += r not in free
                            free.add(r)
        rest = [r for r in ids if r not in free]
        free |= set(rng.sample(rest, min(len(rest), max(0, size - len(free)))))
        return free, window

    # -- one step ------------------------------------------------------------------------
    def step(self, rng: random.Random, kind: str) -> None:
        st = self.state
        with st.lock:
            version = st.version
            sched = {r: dict(row) for r, row in st.schedule.items()}
            stats = dict(st.stats)
            size = round(st.kinds[kind].size)
        free, window = self.neighbourhood(kind, size, rng, sched, stats)
        sub = restrict(self.soft, sched, free, stats, self.index, window)
        hint = {r: sched[r] for r in free}
        limit = min(self.sub_time * (2 if kind == "shortage" else 1), self.left())
        if limit < 0.05:
            return
        params: dict[str, object] = dict(LNS_PARAMS)
        params["random_seed"] = rng.randrange(1 << 30)
        res = solve(
            sub,
            time_limit=limit,
            workers=1,
            hint=hint,
            params=params,
            complete_hint=self.complete_hint,
        )
        info = st.kinds[kind]
        with st.lock:
            info.tries += 1
            if res.status == "OPTIMAL":
                info.size = min(len(self.ids), info.size * 1.15 + 0.5)
            else:
                info.size = max(3.0, info.size * 0.85)
        if not res.feasible:
            return
        new = {r: res.schedule.get(r, {}) for r in free}
        if new == hint:
            return
        delta = check(sub, new).objective - check(sub, hint).objective
        if self.log:
            print(f"lns {kind} {len(free)} residents window={window}: {res.status} {delta:+d}")
        if delta > 0:
            return
        with st.lock:
            if st.version != version:
                cand = dict(st.schedule)
                cand.update(new)
                rep = check(self.soft, cand)
                if not rep.ok or rep.objective > st.objective:
                    return
                delta = rep.objective - st.objective
            for r in free:
                st.schedule[r] = new[r]
                st.stats[r] = self.index.stats(r, st.schedule)
            st.objective += delta
            st.version += 1
            if delta < 0:
                info.gains += 1
                self.note()
            if st.feasible_at is None and check(self.p, st.schedule).ok:
                st.feasible_at = time.perf_counter() - self.t0

    def worker(self, index: int) -> None:
        rng = random.Random(self.seed * 7919 + index)
        kinds = [k for k in NEIGHBOURHOODS if k != "worst" or self.p.equity]
        while self.left() > 0.1:
            with self.state.lock:
                short = self.state.feasible_at is None
                weights = [
                    (0.0 if k == "shortage" and not short else 1.0)
                    + 4.0 * (self.state.kinds[k].gains + 1) / (self.state.kinds[k].tries + 2)
                    for k in kinds
                ]
            self.step(rng, rng.choices(kinds, weights)[0])

    def run(self, workers: int) -> None:
        if workers <= 1:
            self.worker(0)
            return
        threads = [threading.Thread(target=self.worker, args=(i,)) for i in range(max(1, workers))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def _fits(problem: Problem, schedule: Schedule, rid: str, row: dict[int, str]) -> bool:
    """Whether giving ``rid`` the ``row`` keeps every staffing maximum, everyone else as in
    ``schedule``."""
    rm = problem.rotation_map()
    roles = {r.id: problem.role(r) for r in problem.residents}
    for b, k in row.items():
        for c in rm[k].coverage:
            if c.max is None or (c.blocks and b not in c.blocks):
                continue
            if c.role is not None and roles[rid] != c.role:
                continue
            n = sum(
                1
                for o, other in schedule.items()
                if o != rid and other.get(b) == k and (c.role is None or roles[o] == c.role)
            )
            if n + 1 > c.max:
                return False
    return True


def _place_in_parallel(
    soft: Problem,
    sched: Schedule,
    stats: dict[str, _Stats],
    index: _Index,
    order: list[str],
    workers: int,
    seed: int,
    left: Callable[[], float],
    build_time: float = 0.2,
) -> set[str]:
    """Place residents one at a time in ``order``, ``workers`` at once (one single-threaded
    CP-SAT each, against the schedule as it was when each started). A placement that no
    longer fits the staffing maximums is redone; one that is infeasible is left to the
    caller. Returns the residents placed (``sched`` and ``stats`` are updated)."""
    queue = list(order)
    placed: set[str] = set()
    lock = threading.Lock()

    def placer(i: int) -> None:
        prng = random.Random(seed * 7919 + 104729 + i)
        while True:
            with lock:
                if not queue or left() <= 0:
                    return
                rid = queue.pop(0)
                snap = {r: dict(row) for r, row in sched.items()}
                snap_stats = dict(stats)
            sub = _light(restrict(soft, snap, {rid}, snap_stats, index))
            params: dict[str, object] = dict(PLACE_PARAMS)
            params["random_seed"] = prng.randrange(1 << 30)
            res = solve(
                sub, time_limit=max(0.05, min(build_time, left())), workers=1, params=params
            )
            with lock:
                if not res.feasible:
                    continue
                row = res.schedule.get(rid, {})
                if _fits(soft, sched, rid, row):
                    sched[rid] = row
                    stats[rid] = index.stats(rid, sched)
                    placed.add(rid)
                else:
                    queue.insert(0, rid)

    threads = [threading.Thread(target=placer, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return placed


def solve_decomposed(
    problem: Problem,
    time_limit: float = 60.0,
    workers: int = 2,
    seed: int = 0,
    group: int = 6,
    sub_time: float = 1.0,
    initial: Schedule | None = None,
    build_group: int = 1,
    build_time: float = 0.2,
    on_progress: Callable[[Progress], None] | None = None,
    log: bool = False,
    complete_hint: bool = False,
) -> Result:
    """Construct resident by resident, tightest first (or start from ``initial``), then LNS
    over neighbourhoods of residents: random, the worst-off (equity), residents sharing
    rotations or sites, everyone's stints inside a window of blocks, and residents able to
    fill a staffing shortage, chosen adaptively; ``workers`` single-threaded sub-solves run
    at once. Staffing minimums are searched as heavily weighted soft terms, so the result is
    feasible only when those terms reach zero (``status`` says FEASIBLE then).
    ``complete_hint``: start each sub-solve from a complete hint (see
    ``solve.add_complete_hint``); consistent but costs an extra small solve per step. Times
    are measured from the call."""
    t0 = time.perf_counter()
    rng = random.Random(seed)
    soft = soften(problem)
    index = _Index(soft)
    ids = [r.id for r in soft.residents]
    sched: Schedule = (
        {r: dict(initial.get(r, {})) for r in ids} if initial else {r: {} for r in ids}
    )
    stats = {r: index.stats(r, sched) for r in ids}

    def left() -> float:
        return time_limit - (time.perf_counter() - t0)

    def place(free: set[str], limit: float) -> str:
        sub = _light(restrict(soft, sched, free, stats, index))
        hint = {r: sched[r] for r in free}
        params: dict[str, object] = dict(PLACE_PARAMS)
        params["random_seed"] = rng.randrange(1 << 30)
        res = solve(sub, time_limit=limit, workers=1, hint=hint, params=params)
        if res.feasible:
            for r in free:
                sched[r] = res.schedule.get(r, {})
            for r in free:
                stats[r] = index.stats(r, sched)
        return res.status

    if initial is None:
        tight = {r.id: tightness(soft, r) for r in soft.residents}
        order = sorted(ids, key=lambda r: (-tight[r], rng.random()))
        placed: set[str] = set()
        if workers > 1 and build_group <= 1:
            placed = _place_in_parallel(
                soft, sched, stats, index, order, workers, seed, left, build_time
            )
            order = [r for r in order if r not in placed]
        for i in range(0, len(order), max(1, build_group)):
            if left() <= 0:
                break
            free = set(order[i : i + max(1, build_group)])
            grow, limit = 2, build_time
            while left() > 0:
                status = place(free, max(0.05, min(limit, left())))
                if status in ("OPTIMAL", "FEASIBLE"):
                    break
                if status == "INFEASIBLE":  # no room left: re-place some placed residents too
                    done = [r for r in ids if sched[r] and r not in free]
                    free = free | set(rng.sample(done, min(grow, len(done))))
                    grow *= 2
                else:  # out of time before a first solution
                    limit *= 2
    cover_cache: dict[tuple[str, str, int], bool] = {}
    able = {k.id: [r.id for r in soft.residents if soft.eligible(r, k)] for k in soft.rotations}

    def fix_cell(k: str, b: int) -> bool:
        """Re-place one resident who can be on ``k`` in block ``b``, pinned there, if that
        lowers the (shortage-priced) objective."""
        cands = list(able[k])
        rng.shuffle(cands)
        cands.sort(key=lambda r: k not in sched[r].values())
        tried = 0
        for r in cands:
            if left() <= 0 or tried >= 4 or time.perf_counter() > repair_until:
                break
            if sched[r].get(b) == k or not can_cover(index, r, k, b, cover_cache):
                continue
            tried += 1
            # with the residents on it nearby, who may have to move to make room
            span = 2 * soft.rotation(k).length
            free = {r} | {
                o for o in ids if any(sched[o].get(bb) == k for bb in range(b - span, b + span + 1))
            }
            sub = restrict(soft, sched, free, stats, index)
            old = {o: sched[o] for o in free}
            params: dict[str, object] = dict(PLACE_PARAMS)
            params["random_seed"] = rng.randrange(1 << 30)
            out = solve(
                _light(_pinned(sub, r, b, k)),
                time_limit=max(0.1, min(2 * build_time, left())),
                workers=1,
                hint=old,
                params=params,
            )
            if not out.feasible:
                continue
            new = {o: out.schedule.get(o, {}) for o in free}
            if check(sub, new).objective < check(sub, old).objective:
                for o in free:
                    sched[o] = new[o]
                for o in free:
                    stats[o] = index.stats(o, sched)
                return True
        return False

    if log:
        short = short_cells(problem, sched)
        print(f"placed in {time.perf_counter() - t0:.1f}s, {len(short)} short cells")
    # staffing repair: the short cells with the fewest eligible residents first
    # a bounded share of the time: the search's shortage neighbourhoods go on after it
    repair_until = time.perf_counter() + 0.15 * time_limit
    for _ in range(5):
        short = short_cells(problem, sched)
        fixed = False
        for k, b, _missing in sorted(short, key=lambda c: (len(able[c[0]]), rng.random())):
            while (k, b) in {(kk, bb) for kk, bb, _ in short_cells(problem, sched)}:
                if not fix_cell(k, b):
                    break
                fixed = True
        if not fixed or left() <= 0 or time.perf_counter() > repair_until:
            break
    state = _State(sched, stats, check(soft, sched).objective)
    if log:
        print(f"constructed in {time.perf_counter() - t0:.1f}s: objective {state.objective}")
    if check(problem, sched).ok and all(sched.values()):
        state.feasible_at = time.perf_counter() - t0
    args = (
        problem,
        soft,
        state,
        index,
        t0,
        t0 + time_limit,
        sub_time,
        group,
        seed,
        on_progress,
        cover_cache,
        log,
        complete_hint,
    )
    search = _Search(*args)
    search.note()
    search.run(workers)
    if log:
        for name, kind in state.kinds.items():
            print(f"lns {name}: size {kind.size:.1f} tries {kind.tries} gains {kind.gains}")
    wall = time.perf_counter() - t0
    sched = state.schedule
    rep = check(problem, sched)
    feasible = rep.ok and all(sched.values())
    progress = search.progress
    return Result(
        status="FEASIBLE" if feasible else "UNKNOWN",
        schedule=sched,
        objective=float(rep.objective) if feasible else None,
        bound=None,
        first_feasible_s=state.feasible_at if feasible else None,
        best_s=progress[-1].wall_s if progress else None,
        wall_s=wall,
        workers=workers,
        progress=progress,
    )


def _local_first(problem: Problem, time_limit: float, seed: int, max_replace: int) -> Schedule:
    """The local search on the hard rules alone from nothing, then rounds in which the
    residents who still break their own rules (at most ``max_replace``) are each placed
    again by a one-resident CP-SAT model with everyone else fixed, and the local search
    tries again. A schedule that keeps every hard rule, or {} (runs in a helper process)."""
    t0 = time.perf_counter()

    def left() -> float:
        return time_limit - (time.perf_counter() - t0)

    # most of what the local search achieves alone comes early; the re-placements do the rest
    near = local.improve(problem, {}, time_limit=0.4 * time_limit, seed=seed, feasibility=True)
    sched = near.schedule
    soft = soften(problem)
    index = _Index(soft)
    rnd = 0
    while near.hard and left() > 0.5:
        bad = sorted({v.resident for v in check(problem, sched).violations if v.resident})
        if len(bad) > max_replace:
            break
        stats = {r.id: index.stats(r.id, sched) for r in soft.residents}
        for rid in bad:
            if left() <= 0.5:
                break
            sub = _light(restrict(soft, sched, {rid}, stats, index))
            out = solve(sub, time_limit=max(0.1, min(1.0, left() / 4)), workers=1, params={})
            if out.feasible:
                sched[rid] = out.schedule.get(rid, {})
                stats[rid] = index.stats(rid, sched)
        rnd += 1
        near = local.improve(
            problem,
            sched,
            time_limit=max(0.1, min(0.1 * time_limit, left() / 2)),
            seed=seed + rnd,
            feasibility=True,
        )
        sched = near.schedule
    return sched if near.hard == 0 and check(problem, sched).ok else {}


def _local_first_into(
    queue: multiprocessing.queues.Queue[Schedule],
    problem: Problem,
    time_limit: float,
    seed: int,
    max_replace: int,
) -> None:
    t0 = time.perf_counter()
    attempt = 0
    while (left := time_limit - (time.perf_counter() - t0)) > 2.0:
        # a failed attempt (too many residents left breaking their rules) starts over
        found = _local_first(problem, left, seed + 7919 * attempt, max_replace)
        if found:
            queue.put(found)
            return
        attempt += 1


def first_schedule(
    problem: Problem,
    time_limit: float,
    workers: int = 2,
    seed: int = 0,
    max_replace: int = 30,
) -> Result:
    """A schedule that keeps every hard rule, for problems the local search scores: a race
    between CP-SAT on the hard rules alone (no objective, full presolve, ``workers - 1``
    threads) and, in one helper process per worker with different seeds, the local search
    on the hard rules with one-resident re-placements (``_local_first``: how long it takes
    varies much from seed to seed, so several runs finish sooner than one); the first to
    find one wins and the others are stopped. Status: CP-SAT's (INFEASIBLE is a proof),
    FEASIBLE, or UNKNOWN when none found one in ``time_limit``."""
    t0 = time.perf_counter()
    found: Schedule = {}
    mp = multiprocessing.get_context("spawn")  # no fork of a threaded caller
    queue: multiprocessing.queues.Queue[Schedule] = mp.Queue()
    helpers: list[multiprocessing.process.BaseProcess] = []
    for w in range(max(1, workers)):
        helper: multiprocessing.process.BaseProcess = mp.Process(
            target=_local_first_into,
            args=(queue, problem, time_limit, seed + 104729 * w, max_replace),
            daemon=True,
        )
        try:
            helper.start()
        except Exception as exc:  # no helper process here: CP-SAT alone
            log.warning("no helper process for the local first-schedule search: %s", exc)
            break
        helpers.append(helper)
    ctx = build(hard_only(problem))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.5, time_limit - (time.perf_counter() - t0))
    # the helpers take a core each; CP-SAT keeps one thread (it proves infeasibility, and
    # on loosely packed problems finds a schedule at once)
    solver.parameters.num_workers = max(1, workers - 1)
    outcome: dict[str, object] = {}

    def run_cpsat() -> None:
        if helpers:
            # the helpers have the cores; CP-SAT runs beside them at a lower priority (it
            # still proves infeasibility, and wins at once where the problem is loose)
            with contextlib.suppress(AttributeError, OSError):
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        outcome["status"] = solver.solve(ctx.model)

    thread = threading.Thread(target=run_cpsat)
    thread.start()
    while thread.is_alive():
        thread.join(0.05)
        if helpers and not found:
            try:
                found = queue.get_nowait()
            except Exception:  # nothing yet
                found = {}
            if found:
                solver.stop_search()
    thread.join()
    if helpers and not found and outcome.get("status") != cp_model.FEASIBLE:
        try:  # a helper may have finished as CP-SAT ran out of time
            found = queue.get(timeout=0.2)
        except Exception:
            found = {}
    for helper in helpers:
        helper.terminate()  # whichever won, the helpers' search is over
        helper.join()
    at = time.perf_counter() - t0
    status = outcome.get("status")
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and not found:
        return Result("FEASIBLE", schedule_of(ctx, solver), None, None, at, at, at, workers)
    if found:
        return Result("FEASIBLE", found, None, None, at, at, at, workers)
    name = "INFEASIBLE" if status == cp_model.INFEASIBLE else "UNKNOWN"
    return Result(name, {}, None, None, None, None, at, workers)


# the least time left after an unsuccessful first-schedule race for which the decomposed
# search is tried (less, and its model building alone overruns the time limit)
FALLBACK_MIN_SECONDS = 3.0


def solve_annealed(
    problem: Problem,
    time_limit: float = 60.0,
    workers: int = 2,
    seed: int = 0,
    on_progress: Callable[[Progress], None] | None = None,
    feasibility_share: float = 0.9,
    stop: threading.Event | None = None,
) -> Result:
    """For problems of stint rules the local search scores (``local.supports``): a first
    schedule that keeps the hard rules (``first_schedule``: CP-SAT without an objective,
    then the local search on the hard rules; up to ``feasibility_share`` of the time, as a
    schedule found late still beats none), then simulated annealing improves it for the
    rest of the time, one run per worker, keeping every hard rule. When none is found, the
    decomposed search takes what time is left. ``stop``, once set, ends the improvement early
    with the best schedule so far (the search for a first schedule runs on: until it ends
    there is nothing to keep)."""
    t0 = time.perf_counter()
    first = first_schedule(problem, feasibility_share * time_limit, workers, seed)
    found_at = time.perf_counter() - t0
    if first.status == "INFEASIBLE":
        return replace(first, wall_s=found_at)
    if not first.feasible:
        if time_limit - found_at < FALLBACK_MIN_SECONDS:
            # too little time left for the decomposed search to build its models and place
            # anyone: no schedule, but within the time limit
            return replace(first, wall_s=found_at)
        second = solve_decomposed(
            problem, time_limit=max(1.0, time_limit - found_at), workers=workers, seed=seed
        )
        return replace(
            second,
            first_feasible_s=None
            if second.first_feasible_s is None
            else second.first_feasible_s + found_at,
            best_s=None if second.best_s is None else second.best_s + found_at,
            wall_s=time.perf_counter() - t0,
        )
    progress = [Progress(found_at, float(check(problem, first.schedule).objective), float("nan"))]

    def note(at: float, objective: int) -> None:
        pr = Progress(found_at + at, float(objective), float("nan"))
        progress.append(pr)
        if on_progress is not None:
            on_progress(pr)

    if on_progress is not None:
        on_progress(progress[0])
    out = local.improve_parallel(
        problem,
        first.schedule,
        time_limit=max(0.5, time_limit - (time.perf_counter() - t0)),
        workers=workers,
        seed=seed,
        on_progress=note,
        stop=None if stop is None else stop.is_set,
    )
    wall = time.perf_counter() - t0
    ok = out.hard == 0
    if not ok:  # never worse than where it started
        return replace(first, first_feasible_s=found_at, wall_s=wall, progress=progress)
    return Result(
        status="FEASIBLE",
        schedule=out.schedule,
        objective=float(out.objective),
        bound=None,
        first_feasible_s=found_at,
        best_s=found_at if out.improved_at is None else found_at + out.improved_at,
        wall_s=wall,
        workers=workers,
        progress=progress,
    )
