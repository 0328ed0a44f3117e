"""Simulated annealing over stints, for problems whose rules it can score move by move.

CP-SAT proves and repairs; on large problems of stint rules (coverage, stint or block
requirements, prerequisites, per-stint preferences, wishes, vacation requests, site changes,
waiting, the worst-off resident's score) a local search that tries hundreds of thousands of
small moves a minute improves a schedule much faster than re-solving neighbourhoods. The
search works on integer indices and keeps, per resident, its stints and busy blocks, and per
rotation and block the staffing counts, so a move is scored by re-scoring the one or two
residents it touches and the staffing cells it changes.

Every rule is priced as in ``check`` (each rule's ``check.check_<rule>``; ``rules.RULES``
says which part of the search scores which rule): soft rules at their weight, hard rules
at ``HARD`` per unit, so the search may start from a schedule that breaks hard rules (e.g. staffing
minimums) and works them down first. ``supports(problem)`` says whether a problem uses only
rules scored here; ``improve`` returns the best schedule seen and its objective as ``check``
computes it.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import math
import multiprocessing
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from meded.engine.blocks.check import check, stints
from meded.engine.blocks.model import Problem, Schedule, Unit

log = logging.getLogger(__name__)

HARD: Final = 100_000  # per unit of a hard rule broken (the search works these down first)
# the temperature falls geometrically between these multiples of the typical worsening move
COOLING: Final = (1.0, 0.01)
# parallel runs restart from the best schedule this many times as the temperature falls
ROUNDS: Final = 4
# the kinds of move, in the order of ``improve``'s list (compiled functions have no names)
KIND_NAMES: Final = (
    "moved",
    "swapped",
    "traded",
    "exchanged",
    "shifted",
    "inserted",
    "compacted",
    "paired",
    "dropped",
    "added",
)


NO: Final = 1 << 60  # stint cost of a start the resident may not make

T = TypeVar("T")


def _pick(rng: random.Random, seq: Sequence[T]) -> T:
    """A random element (``random.choice`` runs as interpreted code: this is the hot loop's)."""
    return seq[int(rng.random() * len(seq))]


def _below(rng: random.Random, n: int) -> int:
    return int(rng.random() * n)


def supports(problem: Problem) -> bool:
    """Whether every rule of ``problem`` is one the local search scores move by move."""
    p = problem
    return not (
        p.full_assignment
        or p.windows
        or p.templates
        or p.max_consecutive
        or p.forbidden_adjacent
        or p.min_spacing
        or p.rest_after
        or p.fairness
        or any(r.aligned for r in p.rotations)
    )


@dataclass
class _Req:
    lo: int
    hi: int | None
    weight: int  # HARD when the requirement is hard
    blocks: bool  # counts blocks (else stints)


@dataclass
class _Pre:
    target: frozenset[int]
    before: frozenset[int]
    weight: int


class _Index:
    """The problem as integer tables."""

    def __init__(self, p: Problem) -> None:
        self.p = p
        self.rot_ids = [r.id for r in p.rotations]
        self.rot_of = {k: i for i, k in enumerate(self.rot_ids)}
        self.length = [r.length for r in p.rotations]
        sites = sorted({r.site for r in p.rotations})
        self.site = [sites.index(r.site) for r in p.rotations]
        discs = sorted({r.discipline for r in p.rotations})
        self.disc = [discs.index(r.discipline) for r in p.rotations]
        self.res_ids = [r.id for r in p.residents]
        self.res_of = {r: i for i, r in enumerate(self.res_ids)}
        n, nr, nk = p.calendar.n_blocks, len(p.residents), len(p.rotations)
        self.n = n
        roles = sorted({p.role(r) for r in p.residents})
        self.role = [roles.index(p.role(r)) for r in p.residents]
        # coverage: per rotation a list of (role index or -1, lo[b], hi[b] (-1: none), weight)
        self.cov: list[list[tuple[int, list[int], list[int], int]]] = [[] for _ in range(nk)]
        for k, rot in enumerate(p.rotations):
            for c in rot.coverage:
                lo = [0] * n
                hi = [-1] * n
                for b in range(n):
                    if c.blocks and b not in c.blocks:
                        continue
                    lo[b] = c.min
                    hi[b] = -1 if c.max is None else c.max
                role = -1 if c.role is None or c.role not in roles else roles.index(c.role)
                if c.role is not None and c.role not in roles:
                    role = -2  # nobody has the role: only the minimum can bite
                self.cov[k].append((role, lo, hi, HARD if c.weight is None else c.weight))
        # starts: per resident and rotation, the blocks a stint may start
        self.starts: list[list[list[int]]] = []
        self.eligible: list[list[int]] = []
        for res in p.residents:
            rows, el = [], []
            for rot in p.rotations:
                ok = (
                    [b for b in range(n) if p.can_start(res, rot, b)]
                    if p.eligible(res, rot)
                    else []
                )
                rows.append(ok)
                if ok:
                    el.append(self.rot_of[rot.id])
            self.starts.append(rows)
            self.eligible.append(el)
        by_disc: dict[int, list[int]] = defaultdict(list)
        for k in range(nk):
            by_disc[self.disc[k]].append(k)
        self.same_disc = [by_disc[self.disc[k]] for k in range(nk)]
        # per-stint value (preferences, wishes: check.check_preferences, check_wishes): cost
        # of a stint of k starting at b, per resident [k][b] (NO where the resident may not
        # start k at b; flat lists, as this is the search's most frequent lookup)
        self.stint_cost: list[list[list[int]]] = [[[NO] * n for _ in range(nk)] for _ in range(nr)]
        reward: list[list[int]] = [[0] * nk for _ in range(nr)]
        for pref in p.preferences:
            i = self.res_of.get(pref.resident)
            if i is None:
                continue
            for rot in p.select(pref.target):
                reward[i][self.rot_of[rot.id]] += pref.weight
        wish: dict[int, list[tuple[frozenset[int], int | None, int | None, int]]] = defaultdict(
            list
        )
        for wi in p.wishes:
            i = self.res_of.get(wi.resident)
            if i is not None:
                wks = frozenset(self.rot_of[r.id] for r in p.select(wi.target))
                wish[i].append((wks, wi.not_before, wi.not_after, wi.weight))
        for i in range(nr):
            for k in self.eligible[i]:
                for b in self.starts[i][k]:
                    cost = -reward[i][k]
                    for wks, nb, na, wwt in wish[i]:
                        if k in wks:
                            for bb in range(b, b + self.length[k]):
                                if (nb is not None and bb < nb) or (na is not None and bb > na):
                                    cost += wwt
                    self.stint_cost[i][k][b] = cost
        # requirements per resident: the requirement list and, per rotation, which count it
        self.reqs: list[list[_Req]] = [[] for _ in range(nr)]
        self.req_of: list[dict[int, list[int]]] = [defaultdict(list) for _ in range(nr)]
        for req in p.requirements:
            req_ks = {self.rot_of[r.id] for r in p.select(req.target)}
            ids = {r.id for r in p.select(req.target)}
            for i, res in enumerate(p.residents):
                if not req.who.matches(res):
                    continue
                hist = 0
                if req.scope == "residency":
                    if req.unit == Unit.BLOCKS:
                        hist = res.history_blocks(ids)
                    else:
                        rm = p.rotation_map()
                        hist = sum(
                            m // max(1, rm[k].length)
                            for k, m in res.history
                            if k in ids and k in rm
                        )
                j = len(self.reqs[i])
                self.reqs[i].append(
                    _Req(
                        req.min - hist,
                        None if req.max is None else req.max - hist,
                        HARD if req.weight is None else req.weight,
                        req.unit == Unit.BLOCKS,
                    )
                )
                for k in req_ks:
                    self.req_of[i][k].append(j)
        # the same as flat tables for resident_cost: bounds, weights, and per rotation the
        # (requirement, increment) pairs it adds to
        big = 1 << 30
        self.req_lo = [[r.lo for r in rs] for rs in self.reqs]
        self.req_hi = [[big if r.hi is None else r.hi for r in rs] for rs in self.reqs]
        self.req_w = [[r.weight for r in rs] for rs in self.reqs]
        self.req_inc: list[list[tuple[tuple[int, int], ...]]] = [
            [
                tuple(
                    (j, self.length[k] if self.reqs[i][j].blocks else 1)
                    for j in self.req_of[i].get(k, ())
                )
                for k in range(nk)
            ]
            for i in range(nr)
        ]
        self.pres: list[list[_Pre]] = [[] for _ in range(nr)]
        for pre in p.prerequisites:
            tgt = frozenset(self.rot_of[r.id] for r in p.select(pre.target))
            bef_ids = {r.id for r in p.select(pre.before)}
            bef = frozenset(self.rot_of[k] for k in bef_ids)
            for i, res in enumerate(p.residents):
                if pre.who.matches(res) and res.history_blocks(bef_ids) == 0:
                    self.pres[i].append(_Pre(tgt, bef, HARD if pre.weight is None else pre.weight))
        # per resident and rotation, which of its prerequisites it is the target or a
        # prerequisite of
        self.pre_tgt: list[list[list[int]]] = []  # [i][k]: prerequisites k is the target of
        self.pre_bef: list[list[list[int]]] = []  # [i][k]: those k is a prerequisite in
        for i in range(nr):
            tg: dict[int, list[int]] = defaultdict(list)
            bf: dict[int, list[int]] = defaultdict(list)
            for x, pr in enumerate(self.pres[i]):
                for k in pr.target:
                    tg[k].append(x)
                for k in pr.before:
                    bf[k].append(x)
            self.pre_tgt.append([tg.get(k, []) for k in range(nk)])
            self.pre_bef.append([bf.get(k, []) for k in range(nk)])
        # vacation requests: (blocks, rotation set, weight)
        self.vac: list[list[tuple[list[int], frozenset[int], int]]] = [[] for _ in range(nr)]
        for vr in p.vacation_requests:
            i = self.res_of.get(vr.resident)
            if i is not None:
                vks = frozenset(self.rot_of[r.id] for r in p.select(vr.target))
                self.vac[i].append((sorted(vr.blocks), vks, HARD if vr.approved else vr.weight))
        w_sc = {x.resident: x.weight for x in p.site_changes}
        w_wt = {x.resident: x.weight for x in p.waiting}
        self.w_change = [w_sc.get(r, 0) for r in self.res_ids]
        self.w_wait = [w_wt.get(r, 0) for r in self.res_ids]
        # equity: (weight, member mask, cap)
        self.equity = [(e.weight, [e.who.matches(r) for r in p.residents], e.cap) for e in p.equity]
        # per resident and rotation, the rotations that count towards the same requirement
        # minimums (another discipline of the same group): a swap between them keeps counts
        self.kin: list[dict[int, list[int]]] = []
        for i in range(nr):
            sig: dict[int, frozenset[int]] = {
                k: frozenset(j for j in self.req_of[i].get(k, ()) if self.reqs[i][j].lo > 0)
                for k in self.eligible[i]
            }
            groups: dict[frozenset[int], list[int]] = defaultdict(list)
            for k, g in sig.items():
                groups[g].append(k)
            self.kin.append({k: groups[sig[k]] for k in self.eligible[i]})
        # pinned blocks: a stint covering one never moves
        self.pinned = [frozenset(b for b, _ in r.pins) for r in p.residents]

    def counts(self, i: int, st: list[tuple[int, int]]) -> list[int]:
        """Resident ``i``'s count towards each of its requirements with stints ``st``."""
        cnt = [0] * len(self.req_lo[i])
        inc = self.req_inc[i]
        for _, k in st:
            for j, d in inc[k]:
                cnt[j] += d
        return cnt

    def req_cost(self, i: int, cnt: list[int]) -> tuple[int, int]:
        """(soft, hard) cost of resident ``i``'s requirements at counts ``cnt``
        (``check.check_requirements``; ``evaluate`` in ``improve`` updates it by delta)."""
        soft = hard = 0
        los, his, ws = self.req_lo[i], self.req_hi[i], self.req_w[i]
        for j, v in enumerate(cnt):
            lo = los[j]
            if v < lo:
                dev = lo - v
            elif v > his[j]:
                dev = v - his[j]
            else:
                continue
            w = ws[j]
            if w >= HARD:
                hard += w * dev
            else:
                soft += w * dev
        return soft, hard

    def resident_cost(self, i: int, st: list[tuple[int, int]]) -> tuple[int, int]:
        """(soft cost, hard cost) of resident ``i`` with stints ``st`` (start, rotation)."""
        rs, rh = self.req_cost(i, self.counts(i, st))
        os_, oh = self.other_cost(i, st)
        return rs + os_, rh + oh

    def other_cost(self, i: int, st: list[tuple[int, int]]) -> tuple[int, int]:
        """(soft, hard) cost of resident ``i`` with stints ``st`` apart from requirements
        (those are counted incrementally): stint values, prerequisites, vacation requests,
        site changes and waiting, each as its ``check.check_<rule>`` prices it (the list:
        ``rules.RULES``). The search's hot spot: flat tables, few passes."""
        soft = hard = 0
        sc = self.stint_cost[i]
        length = self.length
        last = busy = 0
        for b, k in st:
            soft += sc[k][b]
            n = length[k]
            busy += n
            if b + n > last:
                last = b + n
        pres = self.pres[i]
        if pres:
            # a stint of the target needs a stint of the prerequisite ended by its start:
            # the earliest such end decides
            tgt_of, bef_of = self.pre_tgt[i], self.pre_bef[i]
            starts: list[list[int]] = [[] for _ in pres]
            first_end = [self.n + 1] * len(pres)
            for b, k in st:
                for x in tgt_of[k]:
                    starts[x].append(b)
                for x in bef_of[k]:
                    if b + length[k] < first_end[x]:
                        first_end[x] = b + length[k]
            for x, pre in enumerate(pres):
                for b in starts[x]:
                    if b < first_end[x]:
                        if pre.weight >= HARD:
                            hard += pre.weight
                        else:
                            soft += pre.weight
        if self.vac[i]:
            on: dict[int, int] = {}
            for b, k in st:
                for bb in range(b, b + length[k]):
                    on[bb] = k
            for blocks, ks, w in self.vac[i]:
                for bb in blocks:
                    if on.get(bb) not in ks:
                        if w >= HARD:
                            hard += w
                        else:
                            soft += w
        if st:
            wc = self.w_change[i]
            if wc and len(st) > 1:
                site = self.site
                ordered = sorted(st)
                prev = site[ordered[0][1]]
                ch = 0
                for _, k in ordered:
                    x = site[k]
                    if x != prev:
                        ch += 1
                        prev = x
                soft += wc * ch
            soft += self.w_wait[i] * (last - busy)
        return soft, hard


class _State:
    """A schedule as stints, busy blocks and staffing counts, with its cost parts."""

    def __init__(self, ix: _Index, schedule: Schedule) -> None:
        self.ix = ix
        n, nr, nk = ix.n, len(ix.res_ids), len(ix.rot_ids)
        self.st: list[list[tuple[int, int]]] = [[] for _ in range(nr)]
        self.busy: list[list[int]] = [[-1] * n for _ in range(nr)]
        # per resident and block, the rotation of the stint starting there (-1: none)
        self.start_at: list[list[int]] = [[-1] * n for _ in range(nr)]
        self.rc = [[0] * len(ix.req_lo[i]) for i in range(nr)]  # requirement counts
        n_roles = max(ix.role) + 1 if ix.role else 1
        # counts per rotation, block, and per rotation, role, block
        self.cnt = [[0] * n for _ in range(nk)]
        self.rcnt = [[[0] * n for _ in range(n_roles)] for _ in range(nk)]
        rm = ix.p.rotation_map()
        for i, res in enumerate(ix.p.residents):
            row = schedule.get(res.id, {})
            clean = {b: k for b, k in row.items() if k in rm}
            valid: list[tuple[int, int]] = []
            for s in stints(ix.p, clean):
                k = ix.rot_of[s.rotation]
                if ix.stint_cost[i][k][s.start] == NO or s.length != ix.length[k]:
                    continue  # not a valid stint for this resident: left out
                valid.append((s.start, k))
            # pins first: the moves never touch a stint on a pinned block, nor price a pin,
            # so a schedule without its pinned stint gets one (the first start covering the
            # block), and stints in its way are left out: a pin is a hard rule in ``check``
            for b, rid in res.pins:
                k = ix.rot_of.get(rid, -1)
                if k < 0 or self.busy[i][b] >= 0:
                    continue
                n_len = ix.length[k]
                mine = [c for c, k2 in valid if k2 == k and c <= b < c + n_len]
                opts = mine or [c for c in ix.starts[i][k] if c <= b < c + n_len]
                for c in opts:
                    if all(self.busy[i][bb] < 0 for bb in range(c, c + n_len)):
                        self._put(i, c, k)
                        break
            for b, k in valid:
                if any(self.busy[i][bb] >= 0 for bb in range(b, b + ix.length[k])):
                    continue
                self._put(i, b, k)
        self.soft = [0] * nr
        self.hard = [0] * nr
        # the requirement part of each resident's cost (kept apart: moves update it by the
        # requirements they touch)
        self.rq = [ix.req_cost(i, self.rc[i]) for i in range(nr)]
        for i in range(nr):
            os_, oh = ix.other_cost(i, self.st[i])
            self.soft[i], self.hard[i] = self.rq[i][0] + os_, self.rq[i][1] + oh

    def _put(self, i: int, b: int, k: int) -> None:
        self.st[i].append((b, k))
        self.start_at[i][b] = k
        rc = self.rc[i]
        for j, d in self.ix.req_inc[i][k]:
            rc[j] += d
        role = self.ix.role[i]
        for bb in range(b, b + self.ix.length[k]):
            self.busy[i][bb] = k
            self.cnt[k][bb] += 1
            self.rcnt[k][role][bb] += 1

    def _take(self, i: int, b: int, k: int) -> None:
        self.st[i].remove((b, k))
        self.start_at[i][b] = -1
        rc = self.rc[i]
        for j, d in self.ix.req_inc[i][k]:
            rc[j] -= d
        role = self.ix.role[i]
        for bb in range(b, b + self.ix.length[k]):
            self.busy[i][bb] = -1
            self.cnt[k][bb] -= 1
            self.rcnt[k][role][bb] -= 1

    def cell_costs(self, k: int, b: int) -> tuple[int, int]:
        """(soft, hard) staffing cost of rotation ``k`` in block ``b``
        (``check.check_coverage``)."""
        soft = hard = 0
        for role, lo, hi, w in self.ix.cov[k]:
            v = self.cnt[k][b] if role == -1 else (0 if role == -2 else self.rcnt[k][role][b])
            if v < lo[b]:
                if w >= HARD:
                    hard += w * (lo[b] - v)
                else:
                    soft += w * (lo[b] - v)
            elif hi[b] >= 0 and v > hi[b]:
                hard += HARD * (v - hi[b])
        return soft, hard

    def cell_change(self, k: int, b: int, role: int, dv: int) -> tuple[int, int]:
        """(soft, hard) staffing cost change of rotation ``k`` in block ``b`` when ``dv``
        residents of ``role`` come (or, negative, leave)."""
        soft = hard = 0
        for rl, lo_b, hi_b, w in self.ix.cov[k]:
            if rl == -1:
                v = self.cnt[k][b]
            elif rl == role:
                v = self.rcnt[k][role][b]
            else:
                continue  # another role's rule: its count does not change
            lo, hi, nv = lo_b[b], hi_b[b], v + dv
            short = (lo - nv if nv < lo else 0) - (lo - v if v < lo else 0)
            if short:
                if w >= HARD:
                    hard += w * short
                else:
                    soft += w * short
            if hi >= 0:
                hard += HARD * ((nv - hi if nv > hi else 0) - (v - hi if v > hi else 0))
        return soft, hard

    def cells_costs(self, cells: Iterable[tuple[int, int]]) -> tuple[int, int]:
        """(soft, hard) staffing cost of the (rotation, block) cells."""
        soft = hard = 0
        for k, b in cells:
            cs, ch = self.cell_costs(k, b)
            soft += cs
            hard += ch
        return soft, hard

    def coverage_costs(self) -> tuple[int, int]:
        return self.cells_costs(
            (k, b) for k in range(len(self.ix.rot_ids)) if self.ix.cov[k] for b in range(self.ix.n)
        )

    def worst(self) -> list[int]:
        """Per equity rule, the worst resident score (``check.check_equity``)."""
        out = []
        for _, mask, cap in self.ix.equity:
            vals = [-self.soft[i] for i in range(len(mask)) if mask[i]]
            if cap is not None:
                vals.append(cap)
            out.append(min(vals) if vals else 0)
        return out

    def schedule(self) -> Schedule:
        ix = self.ix
        out: Schedule = {r: {} for r in ix.res_ids}
        for i, st in enumerate(self.st):
            row = out[ix.res_ids[i]]
            for b, k in st:
                for bb in range(b, b + ix.length[k]):
                    row[bb] = ix.rot_ids[k]
        return out


@dataclass
class LocalResult:
    schedule: Schedule
    objective: int  # as ``check`` scores it (hard rules broken add nothing there)
    hard: int  # hard cost left (0: every hard rule holds)
    moves: int
    accepted: int
    improved_at: float | None  # seconds from the call to the best schedule
    progress: list[tuple[float, int]]


def improve(
    problem: Problem,
    schedule: Schedule,
    time_limit: float = 30.0,
    seed: int = 0,
    temperature: float | None = None,
    on_progress: Callable[[float, int], None] | None = None,
    feasibility: bool = False,
    cooling: tuple[float, float] = COOLING,
    stop: Callable[[], bool] | None = None,
) -> LocalResult:
    """Simulated annealing from ``schedule`` for ``time_limit`` seconds. Moves: put one stint
    on another rotation (often the same discipline elsewhere, or one that counts towards the
    same requirements) and/or start, swap the starts of two of a resident's stints, trade
    stints between two residents, exchange two residents' stints that start together, shift
    a run of stints by a block (with partners moving the other way where staffing needs
    them), drop or add a stint, and put someone able on a short staffing cell. The
    temperature falls geometrically from ``temperature`` (default: from the sizes of the
    first moves' costs) to a hundredth of it; the best schedule is kept. A move that breaks
    a hard rule is never taken once none is broken.

    ``feasibility``: only the hard rules count (sideways moves are free) and the search
    stops as soon as none is broken: a first schedule from nothing. ``stop``, asked every
    few hundred moves, ends the search early with the best schedule found so far."""
    return _anneal(
        problem,
        schedule,
        time_limit,
        seed,
        temperature,
        on_progress,
        feasibility,
        cooling,
        stop=stop,
    )[0]


def score(problem: Problem, schedule: Schedule) -> int:
    """The search's price of ``schedule``, scored from scratch: soft costs at their weights
    and ``HARD`` per unit of a hard rule broken (stints the resident may not make left
    out, as the search leaves them out)."""
    ix = _Index(problem)
    s = _State(ix, schedule)
    cov_soft, cov_hard = s.coverage_costs()
    reward = sum(w * m for (w, _, _), m in zip(ix.equity, s.worst(), strict=True))
    return sum(s.hard) + cov_hard + sum(s.soft) + cov_soft - reward


def replay(
    problem: Problem, schedule: Schedule, moves: int, seed: int = 0
) -> tuple[int, int, Schedule]:
    """For tests: about ``moves`` of the search's proposals from ``schedule``, each taken
    whatever it costs (hard rules too). Returns the running score the search kept by
    deltas, ``score`` of the schedule reached, and that schedule: the two must be equal."""
    _, reached, running = _anneal(
        problem, schedule, 1e9, seed, 1.0, None, False, COOLING, max_moves=moves, wander=True
    )
    return running, score(problem, reached), reached


def _anneal(
    problem: Problem,
    schedule: Schedule,
    time_limit: float,
    seed: int,
    temperature: float | None,
    on_progress: Callable[[float, int], None] | None,
    feasibility: bool,
    cooling: tuple[float, float],
    max_moves: int = 0,
    wander: bool = False,
    stop: Callable[[], bool] | None = None,
) -> tuple[LocalResult, Schedule, int]:
    """``improve``'s search; also returns the schedule it ended on and its running score.
    ``max_moves`` (if not 0) stops it after about that many proposals; ``wander`` takes
    every proposal (``replay``)."""
    t0 = time.perf_counter()
    ix = _Index(problem)
    s = _State(ix, schedule)
    rng = random.Random(seed)
    nr = len(ix.res_ids)
    n_blocks = ix.n
    length = ix.length
    eq = ix.equity
    worst = s.worst()
    cov_soft, cov_hard = s.coverage_costs()
    cur_hard = sum(s.hard) + cov_hard
    cur_soft = (
        0
        if feasibility
        else sum(s.soft) + cov_soft - sum(w * m for (w, _, _), m in zip(eq, worst, strict=True))
    )
    total = cur_hard + cur_soft
    best_key = (cur_hard, cur_soft)
    best_total = total
    best_st = [list(x) for x in s.st]
    at_best = False  # whether the current schedule is the best one (not yet copied)
    last_note = 0.0
    best_at: float | None = None
    progress: list[tuple[float, int]] = [(0.0, total)]
    movable = [i for i in range(nr) if any(ix.eligible[i])]
    if not movable:
        return _result(problem, s.schedule(), 0, 0, None, progress), s.schedule(), total

    def worst_after(changed: dict[int, int]) -> list[int]:
        """The worst scores if residents in ``changed`` had these soft costs."""
        out = []
        for (_, mask, cap), cur in zip(eq, worst, strict=True):
            lo_new = None
            recompute = False
            for i, c in changed.items():
                if not mask[i]:
                    continue
                new = -c
                if lo_new is None or new < lo_new:
                    lo_new = new
                if -s.soft[i] == cur and new > cur:
                    recompute = True  # the worst may have improved
            if recompute:
                vals = [-(changed[i] if i in changed else s.soft[i]) for i in range(nr) if mask[i]]
                if cap is not None:
                    vals.append(cap)
                out.append(min(vals))
            else:
                out.append(cur if lo_new is None else min(cur, lo_new))
        return out

    def covers(stints: list[tuple[int, int]], k: int, b: int) -> bool:
        """Whether one of ``stints`` is on rotation ``k`` in block ``b``."""
        # a plain loop: compiled, ``any`` over a generator costs a fifth of all moves here
        for b2, k2 in stints:  # noqa: SIM110
            if k2 == k and b2 <= b < b2 + length[k2]:
                return True
        return False

    def cells_delta(
        i: int, removed: list[tuple[int, int]], added: list[tuple[int, int]]
    ) -> tuple[int, int]:
        """(soft, hard) staffing cost change when resident ``i`` leaves ``removed`` and takes
        ``added`` (a cell both cover keeps its count)."""
        role = ix.role[i]
        d_soft = d_hard = 0
        for b, k in removed:
            if ix.cov[k]:
                for bb in range(b, b + length[k]):
                    if not covers(added, k, bb):
                        cs, ch = s.cell_change(k, bb, role, -1)
                        d_soft += cs
                        d_hard += ch
        for b, k in added:
            if ix.cov[k]:
                for bb in range(b, b + length[k]):
                    if not covers(removed, k, bb):
                        cs, ch = s.cell_change(k, bb, role, 1)
                        d_soft += cs
                        d_hard += ch
        return d_soft, d_hard

    # The hot loop's helpers use plain loops, not ``any``/``all`` over generators: compiled
    # (meded.engine.native), a generator object per call costs a fifth of the moves.
    def free_for(i: int, b: int, k: int, ignore: list[tuple[int, int]]) -> bool:
        """Whether ``i`` is free for a stint of ``k`` from ``b`` but for stints ``ignore``."""
        busy = s.busy[i]
        for bb in range(b, b + length[k]):
            if busy[bb] >= 0 and not covers(ignore, busy[bb], bb):
                return False
        return True

    def movable_stints(i: int) -> list[tuple[int, int]]:
        pins = ix.pinned[i]
        if not pins:
            return s.st[i]
        return [(b, k) for b, k in s.st[i] if not any(bb in pins for bb in range(b, b + length[k]))]

    # staffing cells with a minimum, and the residents who can be on each rotation
    min_cells = [
        (k, b)
        for k in range(len(ix.rot_ids))
        for b in range(ix.n)
        if any(c[1][b] for c in ix.cov[k])
    ]
    able = [[i for i in movable if ix.starts[i][k]] for k in range(len(ix.rot_ids))]
    short: list[tuple[int, int]] = []

    def short_cells() -> list[tuple[int, int]]:
        out = []
        for k, b in min_cells:
            for role, lo, _, _ in ix.cov[k]:
                v = s.cnt[k][b] if role == -1 else (0 if role == -2 else s.rcnt[k][role][b])
                if v < lo[b]:
                    out.append((k, b))
                    break
        return out

    def targeted() -> dict[int, tuple[list[tuple[int, int]], list[tuple[int, int]]]] | None:
        """Put a resident who can be there on a short staffing cell: the stints in the way
        go, and perhaps one more (the one whose loss costs least, e.g. another discipline
        of the same group)."""
        k, b = _pick(rng, short)
        if not able[k]:
            return None
        i = _pick(rng, able[k])
        opts = [x for x in ix.starts[i][k] if x <= b < x + length[k]]
        if not opts:
            return None
        b2 = _pick(rng, opts)
        pins = ix.pinned[i]
        span = range(b2, b2 + length[k])
        rem = [(x, y) for x, y in s.st[i] if x < b2 + length[k] and b2 < x + length[y]]
        if any(bb in pins for x, y in rem for bb in range(x, x + length[y])):
            return None
        if any(bb in pins for bb in span):
            return None
        others = [st for st in movable_stints(i) if st not in rem]
        best: tuple[int, list[tuple[int, int]]] | None = None
        for extra in [None, *others]:
            cut = rem if extra is None else [*rem, extra]
            new_st = [x for x in s.st[i] if x not in cut] + [(b2, k)]
            soft, hard = ix.resident_cost(i, new_st)
            if best is None or soft + hard < best[0]:
                best = (soft + hard, cut)
        assert best is not None
        return {i: (best[1], [(b2, k)])}

    bad: list[int] = []  # residents breaking a hard rule of their own
    waiters: list[int] = []  # the quarter of residents whose waiting costs most

    def most_waiting() -> list[int]:
        cost = []
        for i in movable:
            st = s.st[i]
            if st:
                last = max(b + length[k] for b, k in st)
                busy = sum(length[k] for _, k in st)
                cost.append((ix.w_wait[i] * (last - busy), i))
        cost.sort(reverse=True)
        return [i for c, i in cost[: max(1, len(cost) // 4)] if c > 0]

    def run_from(
        first: tuple[int, int], mine: list[tuple[int, int]], forward: bool, keep: float
    ) -> list[tuple[int, int]]:
        """The stint ``first`` and, each with probability ``keep``, the back-to-back stints
        after it (``forward``) or before it."""
        b, k = first
        run = [first]
        if forward:
            by_start = {x: (x, y) for x, y in mine}
            nxt = b + length[k]
            while nxt in by_start and rng.random() < keep:
                run.append(by_start[nxt])
                nxt += length[by_start[nxt][1]]
        else:
            by_end = {x + length[y]: (x, y) for x, y in mine}
            while b in by_end and rng.random() < keep:
                b, k = by_end[b]
                run.append((b, k))
        return run

    def run_shifted(i: int, run: list[tuple[int, int]], d: int) -> list[tuple[int, int]] | None:
        """``run`` moved by ``d`` blocks, if ``i`` may start each stint there and is free."""
        sc = ix.stint_cost[i]
        moved = [(x + d, y) for x, y in run]
        for x, y in moved:
            if not 0 <= x < n_blocks or sc[y][x] == NO or not free_for(i, x, y, run):
                return None
        return moved

    def shifted(i: int, mine: list[tuple[int, int]]) -> Prop | None:
        """Shift a run of back-to-back stints (from one stint to the end or the start of
        its run) by a block or two: closes gaps, so a packed year finds room."""
        run = run_from(_pick(rng, mine), mine, rng.random() < 0.5, 0.85)
        d = _pick(rng, (-2, -1, 1, 2))
        moved = run_shifted(i, run, d)
        return None if moved is None else {i: (run, moved)}

    def paired(i: int, mine: list[tuple[int, int]]) -> Prop | None:
        """Shift a run of back-to-back stints by one block where, for each stint whose
        rotation has no room in the block it comes into or no one to spare in the block it
        leaves, another resident on that rotation starting there moves the other way (their
        blocks swap, so staffing stays as it is): closes a one-block gap in a year of
        multi-block stints, which no single stint fits."""
        first = _pick(rng, mine)
        d = -1 if rng.random() < 0.5 else 1
        # earlier: the stint and those after it; later: the stint and those before it
        run = run_from(first, mine, d < 0, 0.9)
        moved_i = run_shifted(i, run, d)
        if moved_i is None:
            return None
        prop: Prop = {i: (run, moved_i)}
        for x, y in run:
            n_len = length[y]
            into, out = (x - 1, x + n_len - 1) if d < 0 else (x + n_len, x)
            if room(i, y, into, 1) and spare(i, y, out, 1):
                continue
            # a partner on y starting at x + d, free in the block it would come into
            n_mov = len(movable)
            off = _below(rng, n_mov)
            found = False
            for t in range(n_mov):
                j = movable[(off + t) % n_mov]
                busy_j = s.busy[j]
                if j in prop or busy_j[into] != y or ix.role[j] != ix.role[i]:
                    continue
                if ix.stint_cost[j][y][x] == NO:
                    continue
                if not 0 <= x + d < n_blocks or s.start_at[j][x + d] != y or busy_j[out] >= 0:
                    continue
                if ix.pinned[j] and (x + d, y) not in movable_stints(j):
                    continue
                prop[j] = ([(x + d, y)], [(x, y)])
                found = True
                break
            if not found:
                return None
        return prop

    def missing(i: int) -> list[int]:
        """The rotations whose stint would count towards one of ``i``'s unmet minimums
        without going over any maximum."""
        cnt, inc = s.rc[i], ix.req_inc[i]
        lo, hi = ix.req_lo[i], ix.req_hi[i]
        return [
            k
            for k in ix.eligible[i]
            if any(cnt[j] < lo[j] for j, _ in inc[k])
            and all(cnt[j] + d <= hi[j] for j, d in inc[k])
        ]

    def inserted(i: int) -> dict[int, tuple[list[tuple[int, int]], list[tuple[int, int]]]] | None:
        """Put a new stint in, and move the stints in its way to the nearest place free for
        them (or drop them when there is none)."""
        wanted = missing(i) if s.hard[i] and rng.random() < 0.7 else None
        k2 = _pick(rng, wanted or ix.eligible[i])
        b2 = _pick(rng, ix.starts[i][k2])
        end = b2 + length[k2]
        pins = ix.pinned[i]
        if any(bb in pins for bb in range(b2, end)):
            return None
        rem = [(x, y) for x, y in s.st[i] if x < end and b2 < x + length[y]]
        if any(bb in pins for x, y in rem for bb in range(x, x + length[y])):
            return None
        busy = list(s.busy[i])
        for x, y in rem:
            for bb in range(x, x + length[y]):
                busy[bb] = -1
        for bb in range(b2, end):
            busy[bb] = k2
        add = [(b2, k2)]
        for x, y in rem:
            opts = sorted(ix.starts[i][y], key=lambda z: abs(z - x))
            for z in opts:
                if all(busy[bb] < 0 for bb in range(z, z + length[y])):
                    add.append((z, y))
                    for bb in range(z, z + length[y]):
                        busy[bb] = y
                    break
        return {i: (rem, add)}

    def room(i: int, k: int, b: int, n: int | None = None) -> bool:
        """Whether rotation ``k`` has room for resident ``i`` in every block of a stint
        from ``b`` (or in the ``n`` blocks from ``b``): no staffing maximum would be
        exceeded."""
        role = ix.role[i]
        for rl, _, hi, _ in ix.cov[k]:
            if rl == -1:
                row = s.cnt[k]
            elif rl == role:
                row = s.rcnt[k][role]
            else:
                continue
            for bb in range(b, b + (length[k] if n is None else n)):
                if 0 <= hi[bb] <= row[bb]:
                    return False
        return True

    def spare(i: int, k: int, b: int, n: int | None = None) -> bool:
        """Whether ``i`` can leave its stint of ``k`` from ``b`` (or the ``n`` blocks from
        ``b``) without taking the staffing below a hard minimum."""
        role = ix.role[i]
        for rl, lo, _, w in ix.cov[k]:
            if w < HARD:
                continue
            if rl == -1:
                row = s.cnt[k]
            elif rl == role:
                row = s.rcnt[k][role]
            else:
                continue
            for bb in range(b, b + (length[k] if n is None else n)):
                if row[bb] <= lo[bb]:
                    return False
        return True

    def takes(i: int, out: int, k: int) -> bool:
        """Whether ``i`` can give up a stint of ``out`` for one of ``k`` without going over
        a requirement's maximum."""
        hi, rc = ix.req_hi[i], s.rc[i]
        gone = ix.req_inc[i][out]
        for j, d in ix.req_inc[i][k]:
            v = rc[j] + d
            for j2, d2 in gone:
                if j2 == j:
                    v -= d2
            if v > hi[j]:
                return False
        return True

    def partner_gives(i: int, k: int, j: int, c: int, k2: int, ok_i: dict[int, bool]) -> bool:
        """Whether ``j``'s stint of ``k2`` from ``c`` is one ``j`` may give up (it starts
        there and is not pinned) for ``i``'s stint of ``k``, both staying within their
        requirement maxima. ``ok_i`` caches ``i``'s side per rotation."""
        if s.start_at[j][c] != k2 or (ix.pinned[j] and (c, k2) not in movable_stints(j)):
            return False
        if k2 not in ok_i:
            ok_i[k2] = takes(i, k, k2)
        return ok_i[k2] and takes(j, k2, k)

    def exchanged(
        i: int, mine: list[tuple[int, int]]
    ) -> dict[int, tuple[list[tuple[int, int]], list[tuple[int, int]]]] | None:
        """``i`` and another resident exchange stints that start together (staffing head
        counts stay as they are): the partner is the first resident, from a random one on,
        for whom the exchange keeps both within their requirement maxima."""
        b, k = _pick(rng, mine)
        sc_i = ix.stint_cost[i]
        n_mov = len(movable)
        off = _below(rng, n_mov)
        ok_i: dict[int, bool] = {}  # per rotation: whether i can take it for k
        for t in range(n_mov):
            j = movable[(off + t) % n_mov]
            k2 = s.busy[j][b]
            if j == i or k2 < 0 or k2 == k or length[k2] != length[k]:
                continue
            if sc_i[k2][b] == NO or ix.stint_cost[j][k][b] == NO:
                continue
            if partner_gives(i, k, j, b, k2, ok_i):
                return {i: ([(b, k)], [(b, k2)]), j: ([(b, k2)], [(b, k)])}
        return None

    Prop = dict[int, tuple[list[tuple[int, int]], list[tuple[int, int]]]]

    def moved(i: int, mine: list[tuple[int, int]]) -> Prop | None:
        """One stint to another rotation (often the same discipline elsewhere, or one that
        counts towards the same requirements) and/or start, where there is room."""
        b, k = _pick(rng, mine)
        if not spare(i, k, b):
            return None
        for _ in range(4):  # a few tries at a place with room for one more
            u = rng.random()
            if u < 0.35:
                k2 = _pick(rng, ix.same_disc[k])
            elif u < 0.6:
                k2 = k
            elif u < 0.9:
                k2 = _pick(rng, ix.kin[i][k])
            else:
                k2 = _pick(rng, ix.eligible[i])
            opts = ix.starts[i][k2]
            if not opts:
                continue
            v = rng.random()
            if v < 0.35 and ix.stint_cost[i][k2][b] != NO:
                b2 = b
            elif v < 0.7:
                near = [x for x in opts if abs(x - b) <= 2 * length[k2]]
                b2 = _pick(rng, near or opts)
            else:
                b2 = _pick(rng, opts)
            if (b2, k2) == (b, k) or not free_for(i, b2, k2, [(b, k)]):
                continue
            if not room(i, k2, b2):
                continue
            return {i: ([(b, k)], [(b2, k2)])}
        return None

    def compacted(i: int, mine: list[tuple[int, int]]) -> Prop | None:
        """The resident's last stint to a free place before it (waiting is counted up to
        the last stint), on the same rotation or one that counts the same, where there is
        room."""
        b, k = max(mine)
        if not spare(i, k, b):
            return None
        for _ in range(3):
            u = rng.random()
            k2 = (
                k
                if u < 0.4
                else _pick(rng, ix.same_disc[k])
                if u < 0.7
                else _pick(rng, ix.kin[i][k])
            )
            cands = [x for x in ix.starts[i][k2] if x < b and free_for(i, x, k2, [(b, k)])]
            if not cands:
                continue
            b2 = _pick(rng, cands)
            if room(i, k2, b2):
                return {i: ([(b, k)], [(b2, k2)])}
        return None

    def swapped(i: int, mine: list[tuple[int, int]]) -> Prop | None:
        """Swap the starts of two of a resident's stints."""
        if len(mine) < 2:
            return None
        a = _below(rng, len(mine))
        c = _below(rng, len(mine) - 1)
        (b1, k1), (b2, k2) = mine[a], mine[c + (c >= a)]
        if length[k1] != length[k2] or k1 == k2:
            return None
        if ix.stint_cost[i][k1][b2] == NO or ix.stint_cost[i][k2][b1] == NO:
            return None
        if not (room(i, k1, b2) and room(i, k2, b1) and spare(i, k1, b1) and spare(i, k2, b2)):
            return None
        return {i: ([(b1, k1), (b2, k2)], [(b2, k1), (b1, k2)])}

    def traded(i: int, mine: list[tuple[int, int]]) -> Prop | None:
        """Two residents trade stints at different times (staffing stays as it is): often
        ``i``'s last one, so its waiting shrinks while someone free then covers it. The
        partner is the first resident, from a random one on, free in the stint's blocks
        (but for the stint it gives, so two stints that overlap can change places) and with a
        stint where ``i`` is free that keeps both within their requirement maxima."""
        b, k = max(mine) if rng.random() < 0.5 else _pick(rng, mine)
        n_len = length[k]
        span = range(b, b + n_len)
        busy_i = s.busy[i]
        # where i could start a stint of this length instead (free but for this stint)
        ok_start = [False] * n_blocks
        found = False
        for c in range(n_blocks - n_len + 1):
            if c == b:
                continue
            ok = True
            for bb in range(c, c + n_len):
                if busy_i[bb] >= 0 and not b <= bb < b + n_len:
                    ok = False
                    break
            if ok:
                ok_start[c] = True
                found = True
        if not found:
            return None
        sc_i = ix.stint_cost[i]
        ok_i: dict[int, bool] = {}
        n_mov = len(movable)
        off = _below(rng, n_mov)
        for t in range(n_mov):
            j = movable[(off + t) % n_mov]
            busy_j = s.busy[j]
            if j == i or ix.stint_cost[j][k][b] == NO:
                continue
            cands = s.st[j]  # the stints j could give: all of them, unless
            inside = [bb for bb in span if busy_j[bb] >= 0]
            if inside:
                # j is busy then: only with the stint it gives, if one stint covers it all
                c0, k0 = inside[0], busy_j[inside[0]]
                while c0 > 0 and busy_j[c0 - 1] == k0 and s.start_at[j][c0] != k0:
                    c0 -= 1
                if s.start_at[j][c0] != k0 or not ok_start[c0]:
                    continue
                if any(not (c0 <= bb < c0 + length[k0]) for bb in inside):
                    continue
                cands = [(c0, k0)]
            for c, k2 in cands:
                if not ok_start[c] or length[k2] != n_len or sc_i[k2][c] == NO:
                    continue
                if partner_gives(i, k, j, c, k2, ok_i):
                    return {i: ([(b, k)], [(c, k2)]), j: ([(c, k2)], [(b, k)])}
        return None

    def dropped(i: int, mine: list[tuple[int, int]]) -> Prop | None:
        return {i: ([_pick(rng, mine)], [])}

    def added(i: int, mine: list[tuple[int, int]]) -> Prop | None:
        k2 = _pick(rng, ix.eligible[i])
        opts = ix.starts[i][k2]
        if not opts:
            return None
        b2 = _pick(rng, opts)
        if not free_for(i, b2, k2, []) or not room(i, k2, b2):
            return None
        return {i: ([], [(b2, k2)])}

    # the kinds of move and their starting shares; the shares then follow how often each
    # kind's moves are taken (a problem with exact requirements never takes a drop)
    kinds: list[Callable[[int, list[tuple[int, int]]], Prop | None]] = [
        moved,
        swapped,
        traded,
        exchanged,
        shifted,
        lambda i, mine: inserted(i),
        compacted,
        paired,
        dropped,
        added,
    ]
    base = [0.4, 0.15, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05]
    tried = [0] * len(kinds)
    taken = [0] * len(kinds)
    cum = list(itertools.accumulate(base))
    last_kind = [0]

    def reweigh() -> None:
        rate = [(taken[x] + 1) / (tried[x] + 20) for x in range(len(kinds))]
        w = [b * r for b, r in zip(base, rate, strict=True)]
        tot = sum(w)
        w = [0.85 * x / tot + 0.15 * b for x, b in zip(w, base, strict=True)]
        cum[:] = list(itertools.accumulate(w))

    # a proposal: per resident the stints removed and added
    def propose() -> Prop | None:
        if short and rng.random() < 0.2:
            last_kind[0] = -1
            return targeted()
        u = rng.random()
        if bad and u < 0.3:
            i = _pick(rng, bad)
        elif waiters and u > 0.8:
            i = _pick(rng, waiters)
        else:
            i = _pick(rng, movable)
        x = bisect.bisect_left(cum, rng.random() * cum[-1])
        last_kind[0] = x
        tried[x] += 1
        mine = movable_stints(i)
        if not mine and x != len(kinds) - 1:
            return None
        return kinds[x](i, mine)

    def evaluate(
        prop: dict[int, tuple[list[tuple[int, int]], list[tuple[int, int]]]],
    ) -> tuple[int, int, dict[int, tuple[int, int, int, int]], list[int]]:
        """(soft change, hard change, the residents' new costs (soft, hard, and the
        requirements' part of each), the new worst scores). The delta of each rule's
        ``check.check_<rule>``: requirements by the counts the move changes, the rest of a
        resident's rules re-scored (``other_cost``), staffing by the cells it changes
        (``cells_delta``), equity by ``worst_after``; ``test_blocks_agreement`` replays it."""
        costs: dict[int, tuple[int, int, int, int]] = {}
        d_soft = d_hard = 0
        for i, (rem, add) in prop.items():
            new_st = [x for x in s.st[i] if x not in rem] + add
            # requirements: only those the stints in and out count towards change
            inc = ix.req_inc[i]
            touched: dict[int, int] = {}
            for _, k in rem:
                for j, d in inc[k]:
                    touched[j] = touched.get(j, 0) - d
            for _, k in add:
                for j, d in inc[k]:
                    touched[j] = touched.get(j, 0) + d
            rs, rh = s.rq[i]
            if touched:
                rc, los, his, ws = s.rc[i], ix.req_lo[i], ix.req_hi[i], ix.req_w[i]
                for j, dv in touched.items():
                    if not dv:
                        continue
                    lo, hi, v = los[j], his[j], rc[j]
                    old = lo - v if v < lo else v - hi if v > hi else 0
                    v += dv
                    new = lo - v if v < lo else v - hi if v > hi else 0
                    if new != old:
                        if ws[j] >= HARD:
                            rh += ws[j] * (new - old)
                        else:
                            rs += ws[j] * (new - old)
            os_, oh = ix.other_cost(i, new_st)
            costs[i] = (rs + os_, rh + oh, rs, rh)
            d_soft += rs + os_ - s.soft[i]
            d_hard += rh + oh - s.hard[i]
        if len(prop) == 1:
            ((i, (rem, add)),) = prop.items()
            cs, ch = cells_delta(i, rem, add)
            d_soft += cs
            d_hard += ch
        elif len({ix.role[i] for i in prop}) > 1 or sorted(
            x for rem, _ in prop.values() for x in rem
        ) != sorted(x for _, add in prop.values() for x in add):
            # not a plain exchange between residents of one role: count the staffing
            for i, (rem, add) in prop.items():
                cs, ch = cells_delta(i, rem, add)
                d_soft += cs
                d_hard += ch
                apply_counts(i, rem, add)
            for i, (rem, add) in prop.items():
                apply_counts(i, add, rem)
        new_worst = worst_after({i: c[0] for i, c in costs.items()}) if eq else []
        d_soft -= sum(w * (m2 - m1) for (w, _, _), m1, m2 in zip(eq, worst, new_worst, strict=True))
        return d_soft, d_hard, costs, new_worst

    def apply_counts(i: int, rem: list[tuple[int, int]], add: list[tuple[int, int]]) -> None:
        role = ix.role[i]
        for b, k in rem:
            for bb in range(b, b + length[k]):
                s.cnt[k][bb] -= 1
                s.rcnt[k][role][bb] -= 1
        for b, k in add:
            for bb in range(b, b + length[k]):
                s.cnt[k][bb] += 1
                s.rcnt[k][role][bb] += 1

    # temperature: from the typical size of a worsening move, unless given
    if temperature is None and feasibility:
        temperature = 0.3  # in units of one hard rule broken
    if temperature is None:
        ups = []
        for _ in range(300):
            prop = propose()
            if prop is None:
                continue
            d, dh, _, _ = evaluate(prop)
            if d > 0 and dh == 0:
                ups.append(d)
        ups.sort()
        temperature = float(ups[len(ups) // 2]) if ups else 10.0
    t_hi, t_lo = temperature * cooling[0], temperature * cooling[1]
    moves = accepted = 0
    deadline = t0 + time_limit
    start = time.perf_counter()
    span = max(1e-6, deadline - start)
    temp = t_hi
    while True:
        if moves % 256 == 0:
            if moves % 2048 == 0:
                if min_cells:
                    short = short_cells()
                bad = [i for i in movable if s.hard[i]]
                if any(ix.w_wait):
                    waiters = most_waiting()
            if moves % 8192 == 0:
                reweigh()
            now = time.perf_counter()
            if now >= deadline or (max_moves and moves >= max_moves):
                break
            if stop is not None and stop():
                break
            frac = (now - start) / span
            temp = t_hi * (t_lo / t_hi) ** frac
        moves += 1
        prop = propose()
        if prop is None:
            continue
        d_soft, d_hard, costs, new_worst = evaluate(prop)
        if feasibility:
            # only the hard rules count; sideways moves are free, a worse one is rare
            d_soft = 0
            if d_hard > 0 and rng.random() >= math.exp(-d_hard / (HARD * temp)):
                continue
        else:
            delta = d_soft + d_hard
            if delta > 0 and not wander and (d_hard > 0 or rng.random() >= math.exp(-delta / temp)):
                continue
        accepted += 1
        if last_kind[0] >= 0:
            taken[last_kind[0]] += 1
        new_key = (cur_hard + d_hard, cur_soft + d_soft)
        if at_best and new_key > best_key:
            best_st = [list(x) for x in s.st]  # leaving the best schedule: keep it
            at_best = False
        for i, (rem, add) in prop.items():
            for b, k in rem:
                s._take(i, b, k)
            for b, k in add:
                s._put(i, b, k)
            s.soft[i], s.hard[i], rs, rh = costs[i]
            s.rq[i] = (rs, rh)
        worst = new_worst if eq else worst
        cur_hard, cur_soft = new_key
        total = cur_hard + cur_soft
        if new_key < best_key:
            best_key = new_key
            best_total = total
            at_best = True
            if feasibility and total == 0:
                best_st = [list(x) for x in s.st]
                at_best = False
                break
            now = time.perf_counter()
            best_at = now - t0
            if now - last_note > 0.25:
                last_note = now
                progress.append((best_at, total))
                if on_progress is not None:
                    on_progress(best_at, total)
    if at_best:
        best_st = [list(x) for x in s.st]
    log.debug(
        "moves by kind (tried, taken): %s",
        list(zip(KIND_NAMES, tried, taken, strict=True)),
    )
    reached = s.schedule()
    s.st = best_st
    if not progress or progress[-1][1] != best_total:
        progress.append((best_at or 0.0, best_total))
    result = _result(problem, s.schedule(), moves, accepted, best_at, progress)
    return result, reached, cur_hard + cur_soft


def _result(
    problem: Problem,
    schedule: Schedule,
    moves: int,
    accepted: int,
    best_at: float | None,
    progress: list[tuple[float, int]],
) -> LocalResult:
    rep = check(problem, schedule)
    hard = len(rep.violations)
    return LocalResult(schedule, rep.objective, hard, moves, accepted, best_at, progress)


# In a helper process of ``improve_parallel``'s pool: the pool's stop flag (a
# multiprocessing Event, handed over when the process starts: it cannot travel with a task)
_POOL_STOP: list[Any] = []


def _helper_started(flag: Any) -> None:
    _POOL_STOP[:] = [flag]


def _improve_in_process(
    problem: Problem, schedule: Schedule, time_limit: float, seed: int, cooling: tuple[float, float]
) -> LocalResult:
    flag = _POOL_STOP[0] if _POOL_STOP else None
    return improve(
        problem,
        schedule,
        time_limit=time_limit,
        seed=seed,
        cooling=cooling,
        stop=None if flag is None else flag.is_set,
    )


def improve_parallel(
    problem: Problem,
    schedule: Schedule,
    time_limit: float = 30.0,
    workers: int = 2,
    seed: int = 0,
    on_progress: Callable[[float, int], None] | None = None,
    cooling: tuple[float, float] = COOLING,
    rounds: int = ROUNDS,
    stop: Callable[[], bool] | None = None,
) -> LocalResult:
    """Annealing on ``workers`` cores in ``rounds`` rounds: in each, one run per worker with
    a different seed (one in this process, which reports progress, the others in worker
    processes: Python runs one search per core) over the round's share of the cooling,
    and the next round starts every run from the best schedule found so far. Picking the
    better run as the temperature falls keeps the cooling of one long run while a run
    that wandered into a poorer region is dropped early. Process start-up comes out of
    the time. ``stop`` ends the search early with the best schedule so far: this process's
    run asks it every few hundred moves and, once it is set, tells the helpers to stop too."""
    t0 = time.perf_counter()
    if workers <= 1:
        return improve(
            problem, schedule, time_limit, seed, on_progress=on_progress, cooling=cooling, stop=stop
        )
    hi, lo = cooling
    rounds = max(1, rounds)
    current = schedule
    best: LocalResult | None = None
    best_at: float | None = None
    progress: list[tuple[float, int]] = []
    moves = accepted = 0
    ctx = multiprocessing.get_context("spawn")  # no fork of a threaded caller
    flag = ctx.Event()
    with ProcessPoolExecutor(
        max_workers=workers - 1, mp_context=ctx, initializer=_helper_started, initargs=(flag,)
    ) as pool:
        for g in range(rounds):
            began = time.perf_counter() - t0
            share = (time_limit - began) / (rounds - g)
            if share < 0.2 and best is not None:
                break
            # the temperature falls geometrically over all rounds together
            temps = (hi * (lo / hi) ** (g / rounds), hi * (lo / hi) ** ((g + 1) / rounds))
            futures = [
                pool.submit(
                    _improve_in_process,
                    problem,
                    current,
                    # the first time, a spawned process imports the engine: leave it a second
                    max(0.2, share - (1.0 if g == 0 else 0.1)),
                    seed * 7919 + w + 104729 * g,
                    temps,
                )
                for w in range(1, workers)
            ]

            def shifted(at: float, objective: int, began: float = began) -> None:
                if on_progress is not None:
                    on_progress(began + at, objective)

            own = improve(
                problem,
                current,
                max(0.2, share),
                seed * 7919 + 104729 * g,
                on_progress=shifted,
                cooling=temps,
                stop=stop,
            )
            stopped = stop is not None and stop()
            if stopped:
                flag.set()  # the helpers end their runs and report their best
            results = [own]
            for f in futures:
                try:
                    results.append(f.result())
                except Exception as exc:  # a helper process that died (e.g. started from a
                    # script without a main guard, which spawn re-imports): its run is lost
                    log.warning("a local search process failed: %s", exc)
            round_best = min(results, key=lambda r: (r.hard, r.objective))
            moves += sum(r.moves for r in results)
            accepted += sum(r.accepted for r in results)
            progress.extend((began + at, v) for at, v in round_best.progress)
            if best is None or (round_best.hard, round_best.objective) < (
                best.hard,
                best.objective,
            ):
                # better than the round's start, so it improved in the round (or is the first)
                at = round_best.improved_at
                best_at = None if at is None else began + at
                best = round_best
            current = best.schedule
            if stopped:
                break
    assert best is not None
    return LocalResult(best.schedule, best.objective, best.hard, moves, accepted, best_at, progress)
