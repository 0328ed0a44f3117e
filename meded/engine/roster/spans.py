"""A long horizon in spans of four weeks or more: a proven lower bound on every roster, and
rosters near it, by column generation with people alike merged.

The whole model of a long horizon is too large for CP-SAT in the time (and its own bound,
from a linear relaxation that puts a fraction of every resident on every shift, is of no
use), and the window search alone (:mod:`meded.engine.roster.horizon`) ends far from the
optimum: on 120 residents over 182 days (``benchmarks/rosters.py``) about 37,000 against
this module's bound of about 7,700. Here:

1. **Spans.** The horizon is cut into disjoint spans of at least ``SPAN_DAYS`` days (the
   longest rule span: the ACGME's 4-week averages), as equal as can be (:func:`spans`). Each
   span's problem (:func:`span_problem`) keeps every rule whose days lie inside it and drops
   what crosses its edges (a 28-day rule that straddles two spans, the rest after a shift the
   day before), a person's minimum total (it is not a minimum of a part) and fairness (its
   cost is never below zero); a person's caps on horizon totals hold for a part too. So every
   roster of the horizon, cut into its spans, is a roster of each span's problem, and costs
   at least the sum of what it costs there: the sum of the spans' bounds bounds every roster.
   A span at least ``SPAN_DAYS`` long keeps the 28-day rules as they are (a shorter horizon
   prorates them, which would not be a relaxation).
2. **People alike.** Within a span, people with the same rules, days off, requests and pins
   are interchangeable: one of them stands for all (``multiplicity``), and the master's row
   for them adds up to that many. The residency's 120 people are then three to eight kinds
   per span, so a round prices a handful of one-person models rather than 120.
3. **Column generation** (:class:`~meded.engine.roster.columns.ColumnGeneration`) from every
   person off, converged: the master's relaxation, less the roundings of the priced duals
   (:func:`~meded.engine.roster.columns.rounding_margin`), bounds every roster of the span.
   Before it converges, its best Lagrangian bound does. A span without either adds nothing
   (0 is a bound: no cost is below zero, :func:`applies`).
4. **Rosters.** Each span's dive (:meth:`~meded.engine.roster.columns.ColumnGeneration.dive_counts`:
   how many of a kind work a column fixed a few at a time, re-priced after each step) says
   how many of each kind work each schedule, within about 1 % of the span's bound (the
   master with whole numbers over the columns of the rounds, :func:`integer_master`, ended
   8-16 % above it and is what a dive that does not end falls back on); who of a kind works
   which is matched to what they worked before the span, so that the fewest rules break at
   the seam (:func:`assign`); :func:`repair` then rosters again, alone, each person who
   still breaks one, on the two days at the seam.
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ortools.graph.python.linear_sum_assignment import SimpleLinearSumAssignment
from ortools.sat.python import cp_model

from meded.engine.roster import columns
from meded.engine.roster.check import check
from meded.engine.roster.construct import HARD_COVER_WEIGHT, one_person, residual_cover
from meded.engine.roster.problem import Person, Pin, Roster, RosterProblem
from meded.engine.roster.rules import build_model, encode_cover

logger = logging.getLogger(__name__)

#: the shortest span: the longest rule span (the ACGME's 28-day averages); a span shorter
#: than a rule's span would get its limit prorated, which is not a relaxation
SPAN_DAYS = 28
#: seconds a one-person pricing model may take (a span's person is 28-55 days of shifts)
PRICE_SECONDS = 2.0
#: of a span's time, the least share its dive gets (its rounds get the rest; a dive gets
#: whatever they leave too). Measured on ``benchmarks/rosters.py`` (120 residents): the
#: rounds of a 30-day span take 4-7 s and its dive 1.5-5.5 s
DIVE_SHARE = 0.35
#: the least seconds a span's dive gets, and the master with whole numbers after a dive that
#: did not end, past the span's time
DIVE_MIN_SECONDS = 0.5
MASTER_MIN_SECONDS = 0.5
#: the days a seam's repair frees on either side of it, widened in turn for a person whose
#: repair cannot be done with fewer (after the last: every day). Most rules broken at a seam
#: hold again with the day before it and the day after free to change, and fewer days free
#: cost the cover less (measured on the same stitched roster of ``benchmarks/rosters.py``,
#: seed 1: 7,905 before the repair, 8,448 / 8,475 / 8,541 / 8,686 / 8,822 / 9,251 after it
#: with 1 / 2 / 3 / 5 / 7 / 10 days); a free day after a night is no ACGME free day, so a
#: person off on four days of a 28-day window that crosses the seam may need more
SEAM_DAYS = (1, 3, 7)
#: a cover minimum left short by a repair: at most this many people off on its day try it
SHORT_TRIES = 8
#: the least time a person's repair gets
REPAIR_MIN_SECONDS = 0.2


def applies(problem: RosterProblem) -> bool:
    """Whether the bound holds: no cost below zero (an unconverged span adds 0), and cover to
    price."""
    weights = [r.weight for r in problem.requests] + [
        w
        for c in problem.cover
        for w in (c.minimum_weight, c.maximum_weight, c.under_weight, c.over_weight)
        if w is not None
    ]
    return bool(problem.cover) and all(w >= 0 for w in weights)


def spans(horizon: int) -> list[range]:
    """Disjoint spans of days covering the horizon, as many as fit ``SPAN_DAYS`` each, of
    lengths as equal as they can be (the pricing of a longer span takes more than its share
    of time: measured, 28 days 6-7.5 s and 42 days 15-18 s to converge), or the whole horizon
    when it is shorter than two spans."""
    n = max(1, horizon // SPAN_DAYS)
    edges = [round(k * horizon / n) for k in range(n + 1)]
    return [range(a, b) for a, b in itertools.pairwise(edges)]


@dataclass(frozen=True)
class Span:
    """A span's relaxed problem: its day 0 is day ``days.start`` of the whole; each of its
    people stands for ``members[id]`` (their ids in the whole problem)."""

    days: range
    problem: RosterProblem
    members: dict[str, tuple[str, ...]]

    def multiplicity(self) -> dict[str, int]:
        return {pid: len(ids) for pid, ids in self.members.items()}


def _relaxed_person(person: Person, days: range) -> Person:
    lo = days.start
    return replace(
        person,
        min_total_minutes=None,  # a minimum of the whole is not one of a part
        days_off=frozenset(d - lo for d in person.days_off if d in days),
    )


def _rules_key(person: Person) -> tuple[object, ...]:
    """A person's own rules but their days off (people alike have the same)."""
    return (
        tuple(sorted(person.max_shifts.items())),
        person.max_total_minutes,
        person.min_consecutive_work,
        person.max_consecutive_work,
        person.min_consecutive_off,
        person.max_weekends,
    )


def span_problem(problem: RosterProblem, days: range) -> Span:
    """The relaxation of ``problem`` on ``days`` (see the module text), people alike merged."""
    lo = days.start
    requests = [replace(r, day=r.day - lo) for r in problem.requests if r.day in days]
    pins = [replace(p, day=p.day - lo) for p in problem.pins if p.day in days]
    kinds: dict[tuple[object, ...], list[Person]] = {}
    for person in problem.persons:
        mine = _relaxed_person(person, days)
        key = (
            _rules_key(mine),
            mine.days_off,
            tuple(
                sorted((r.day, r.shift, r.weight, r.on) for r in requests if r.person == mine.id)
            ),
            tuple(sorted((p.day, p.shift or "") for p in pins if p.person == mine.id)),
        )
        kinds.setdefault(key, []).append(mine)
    chosen = {group[0].id for group in kinds.values()}
    sub = replace(
        problem,
        horizon=len(days),
        persons=tuple(group[0] for group in kinds.values()),
        cover=tuple(replace(c, day=c.day - lo) for c in problem.cover if c.day in days),
        requests=tuple(r for r in requests if r.person in chosen),
        pins=tuple(p for p in pins if p.person in chosen),
        holidays=frozenset(d - lo for d in problem.holidays if d in days),
        first_weekday=(problem.first_weekday + lo) % 7,
        fairness=(),
    )
    members = {group[0].id: tuple(p.id for p in group) for group in kinds.values()}
    return Span(days, sub, members)


@dataclass
class SpanBound:
    """One span's result: its proven bound (None when it did not converge in time), the
    relaxation's objective, and the seconds it took."""

    days: range
    kinds: int
    bound: float | None
    relaxation: float | None
    seconds: float


def _proven(cg: columns.ColumnGeneration, value: float | None, span: Span) -> float | None:
    """The span's proven bound: the converged relaxation's ``value``, else the best
    Lagrangian bound of the rounds; less the roundings of the priced duals."""
    best = value if value is not None and cg.proven else cg.lagrangian
    if best is None:
        return None
    return best - columns.rounding_margin(span.problem, span.multiplicity())


def integer_master(
    span: Span,
    pool: columns.Pool,
    deadline: float,
    workers: int = 2,
    seed: int = 0,
    least: dict[tuple[str, columns.Column], int] | None = None,
) -> dict[str, list[columns.Column]] | None:
    """The span's schedules from the pool's columns: how many of each kind of person work each
    of their columns, the cover costs least (CP-SAT on the master with whole numbers: price
    and branch's last step), at least ``least`` of some (what a dive fixed before its time
    ran out). Each kind's chosen columns, as many as it has people (the span's days); None
    when there is none by ``deadline``."""
    least = least or {}
    m = cp_model.CpModel()
    many = span.multiplicity()
    chosen: list[tuple[str, columns.Column, cp_model.IntVar]] = []
    terms: list[tuple[cp_model.IntVar, int]] = []
    works: dict[tuple[int, str], list[cp_model.IntVar]] = {}
    for pid, cols in pool.columns.items():
        mine = []
        for column, cost in cols.items():
            n = m.new_int_var(least.get((pid, column), 0), many[pid], "")
            chosen.append((pid, column, n))
            mine.append(n)
            if cost:
                terms.append((n, cost))
            for cell in column:
                works.setdefault(cell, []).append(n)
        m.add(sum(mine) == many[pid])
    people = sum(many.values())

    def penalize(_rule: str, weight: int, var: cp_model.IntVar) -> None:
        terms.append((var, weight))

    for c in span.problem.cover:
        count = cp_model.LinearExpr.sum(works.get((c.day, c.shift), []))
        encode_cover(m, c, count, people, None, penalize)
    m.minimize(cp_model.LinearExpr.weighted_sum([v for v, _w in terms], [w for _v, w in terms]))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    solver.parameters.max_time_in_seconds = max(0.01, deadline - time.perf_counter())
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    out: dict[str, list[columns.Column]] = {}
    for pid, column, n in chosen:
        out.setdefault(pid, []).extend([column] * solver.value(n))
    return out


class _Seam:
    """One person around a seam: the days from ``SPAN_DAYS`` - 1 before it to ``SPAN_DAYS``
    after (every rule that reaches over the seam lies in them), their days before it fixed."""

    def __init__(self, problem: RosterProblem, person: Person, before: dict[int, str], seam: int):
        self.lo = lo = max(0, seam - SPAN_DAYS + 1)
        self.hi = hi = min(problem.horizon, seam + SPAN_DAYS)
        self.seam = seam
        self.pid = person.id
        self.problem = replace(
            problem,
            horizon=hi - lo,
            persons=(
                replace(
                    person, days_off=frozenset(d - lo for d in person.days_off if lo <= d < hi)
                ),
            ),
            cover=(),
            requests=(),
            pins=(),
            fairness=(),
            holidays=frozenset(),
            first_weekday=(problem.first_weekday + lo) % 7,
        )
        self.before = {d - lo: sid for d, sid in before.items() if lo <= d < seam}

    def breaks(self, column: columns.Column) -> int:
        """How many hard rules break when the span from the seam is ``column``."""
        days = dict(self.before)
        shift = self.seam - self.lo
        days.update({d + shift: sid for d, sid in column if d + self.seam < self.hi})
        return len(check(self.problem, {self.pid: days}).hard)


def assign(
    problem: RosterProblem, span: Span, chosen: dict[str, list[columns.Column]], roster: Roster
) -> None:
    """Write the span's schedules into ``roster``: each kind's people matched to its chosen
    schedules so that the fewest rules break at the seam with what ``roster`` already holds
    before the span (the people of a kind are alike within the span, not before it)."""
    seam = span.days.start
    persons = {p.id: p for p in problem.persons}
    for pid, cols in chosen.items():
        members = list(span.members[pid])
        if seam == 0 or len(members) < 2:
            picks = list(range(len(cols)))
        else:
            distinct = sorted(set(cols))
            # people of a kind differ only by their days before the seam, which are mostly
            # one of a few schedules of the span before: counted once per distinct tail
            cost: dict[tuple[int, int], int] = {}
            seen: dict[tuple[tuple[int, str], ...], list[int]] = {}
            for m, member in enumerate(members):
                around = _Seam(problem, persons[member], roster.get(member, {}), seam)
                tail = tuple(sorted(around.before.items()))
                if tail not in seen:
                    seen[tail] = [around.breaks(col) for col in distinct]
                for c, n in enumerate(seen[tail]):
                    cost[m, c] = n
            slots = [distinct.index(col) for col in cols]
            matching = SimpleLinearSumAssignment()
            for m in range(len(members)):
                for k, c in enumerate(slots):
                    matching.add_arc_with_cost(m, k, cost[m, c])
            if matching.solve() != matching.OPTIMAL:
                picks = list(range(len(cols)))
            else:
                picks = [matching.right_mate(m) for m in range(len(members))]
        for m, member in enumerate(members):
            mine = roster.setdefault(member, {})
            for d, sid in cols[picks[m]]:
                mine[d + seam] = sid


@dataclass
class Stitched:
    """The spans' result: each span's bound, and their rosters put side by side (every rule
    inside a span holds; the rules across the seams may break: :func:`repair`). The column
    generation of a span not converged in its time is kept: :meth:`finish` goes on with it."""

    parts: list[SpanBound]
    roster: Roster
    pending: dict[int, tuple[Span, columns.ColumnGeneration]] = field(default_factory=dict)

    @property
    def bound(self) -> int | None:
        """The sum of the spans' bounds, None when none has one (a span without one adds 0:
        no cost is below zero)."""
        if all(p.bound is None for p in self.parts):
            return None
        whole = sum(max(0.0, p.bound) for p in self.parts if p.bound is not None)
        return max(0, math.ceil(whole - 1e-6))

    def finish(self, deadline: float) -> None:
        """Go on with the spans' rounds not converged yet, until ``deadline``."""
        for i, (span, cg) in list(self.pending.items()):
            if time.perf_counter() >= deadline:
                return
            began = time.perf_counter()
            relaxation = cg.converge(deadline)
            value = relaxation.objective if relaxation is not None else None
            part = self.parts[i]
            part.bound = _proven(cg, value, span)
            part.relaxation = value
            part.seconds += time.perf_counter() - began
            if cg.proven:
                del self.pending[i]


def stitched(problem: RosterProblem, deadline: float, workers: int = 2, seed: int = 0) -> Stitched:
    """Each span's column generation from nothing (every person off), its bound, its roster
    from a dive (or the master with whole numbers) matched to the span before, the spans one
    after another until ``deadline`` (each gets time in proportion to its days)."""
    parts: list[SpanBound] = []
    roster: Roster = {p.id: {} for p in problem.persons}
    todo = spans(problem.horizon)
    left_days = problem.horizon
    pending: dict[int, tuple[Span, columns.ColumnGeneration]] = {}
    for days in todo:
        began = time.perf_counter()
        until = began + max(0.0, deadline - began) * len(days) / left_days
        left_days -= len(days)
        span = span_problem(problem, days)
        many = span.multiplicity()
        pool = columns.Pool()
        for person in span.problem.persons:
            pool.add(person.id, (), columns.own_cost(span.problem, person.id, ()))
        cg = columns.ColumnGeneration(
            span.problem,
            pool,
            workers=workers,
            seed=seed,
            price_seconds=PRICE_SECONDS,
            multiplicity=many,
        )
        rounds_until = began + (1 - DIVE_SHARE) * (until - began)
        relaxation = cg.converge(rounds_until)
        value = relaxation.objective if relaxation is not None else None
        proven = _proven(cg, value, span)
        converged = cg.proven
        found: dict[str, list[columns.Column]] | None = None
        least: dict[tuple[str, columns.Column], int] = {}
        if relaxation is not None:
            dive_began = time.perf_counter()
            found, least = cg.dive_counts(max(until, dive_began + DIVE_MIN_SECONDS))
            logger.debug(
                "spans: days %d-%d, rounds %.1f s, dive %.1f s%s",
                days.start,
                days.stop,
                dive_began - began,
                time.perf_counter() - dive_began,
                "" if found is not None else " (not ended)",
            )
        if found is None:
            now = time.perf_counter()
            found = integer_master(
                span, pool, max(until, now + MASTER_MIN_SECONDS), workers, seed, least
            )
        if found is not None:
            # matched to what the spans before left (in the span's time: the later spans get
            # what is left)
            assign(problem, span, found, roster)
        if not converged and relaxation is not None:
            pending[len(parts)] = (span, cg)
        parts.append(SpanBound(days, len(span.members), proven, value, time.perf_counter() - began))
    return Stitched(parts, roster, pending)


def _seams(problem: RosterProblem) -> list[int]:
    return [days.start for days in spans(problem.horizon)[1:]]


def _near_seams(
    problem: RosterProblem, report_days: Sequence[int | None], seam_days: int
) -> set[int] | None:
    """The days within ``seam_days`` of the seams that the broken rules starting on
    ``report_days`` reach over (a rule spans at most ``SPAN_DAYS``); None (every day) when a
    broken rule has no day or reaches over no seam."""
    seams = _seams(problem)
    out: set[int] = set()
    for v in report_days:
        if v is None:
            return None
        near = [b for b in seams if v - seam_days < b < v + SPAN_DAYS + seam_days]
        if not near:
            return None
        for b in near:
            out.update(range(max(0, b - seam_days), min(problem.horizon, b + seam_days)))
    return out


class _Repair:
    """The state of :func:`repair`: the roster, its cover counts, who is rostered on every
    day from now on (a person whose days near the seams could not be repaired)."""

    def __init__(self, problem: RosterProblem, roster: Roster, seed: int) -> None:
        self.problem = problem
        self.seed = seed
        self.out = {pid: dict(days) for pid, days in roster.items()}
        self.persons = {p.id: p for p in problem.persons}
        self.counts: Counter[tuple[int, str]] = Counter()
        for days in self.out.values():
            for d, sid in days.items():
                self.counts[d, sid] += 1
        self.lock = threading.Lock()
        #: how far each person's repair is widened (an index of ``SEAM_DAYS``; past its end:
        #: every day), after repairs that could not be done with fewer days
        self.level: dict[str, int] = {}

    def one(self, pid: str, free: set[int] | None, seconds: float) -> None:
        """Roster ``pid`` again on the days ``free`` (None: every day), the others kept."""
        problem = self.problem
        with self.lock:
            mine = self.out.get(pid, {})
            for d, sid in mine.items():
                self.counts[d, sid] -= 1
            cover = residual_cover(problem, dict(self.counts), HARD_COVER_WEIGHT)
        sub = one_person(problem, self.persons[pid], cover)
        if free is not None:
            kept = [Pin(pid, d, mine.get(d)) for d in range(problem.horizon) if d not in free]
            sub = replace(sub, pins=(*sub.pins, *kept))
        rm = build_model(sub)
        for (_pid, d, sid), var in rm.x.items():
            rm.model.add_hint(var, mine.get(d) == sid)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = self.seed
        solver.parameters.linearization_level = 2
        solver.parameters.max_time_in_seconds = seconds
        status = solver.solve(rm.model)
        with self.lock:
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                mine = {d: sid for (_pid, d, sid), var in rm.x.items() if solver.boolean_value(var)}
                self.out[pid] = mine
            elif status == cp_model.INFEASIBLE:
                self.level[pid] = self.level.get(pid, 0) + 1
            for d, sid in mine.items():
                self.counts[d, sid] += 1

    def rounds(self, broken: dict[str, set[int] | None], threads: int, deadline: float) -> None:
        """Each person of ``broken`` rostered again on their days, ``threads`` at once, the
        time left shared out among them."""
        queue = sorted(broken)
        total = len(queue)

        def work() -> None:
            while True:
                with self.lock:
                    if not queue:
                        return
                    pid = queue.pop()
                    left = deadline - time.perf_counter()
                if left <= 0:
                    return
                seconds = max(REPAIR_MIN_SECONDS, left * threads / total)
                self.one(pid, broken[pid], min(seconds, left))

        pool = [threading.Thread(target=work) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()

    def too_many(self, days: set[int], before: Roster) -> bool:
        """On the shifts of ``days`` over a hard maximum, the extra people who moved onto
        them take the day off (a day off breaks no rule of a windowed problem); whether
        every shift was brought down so."""
        done = True
        for c in self.problem.cover:
            if c.day not in days or c.maximum is None or c.maximum_weight is not None:
                continue
            extra = self.counts[c.day, c.shift] - c.maximum
            if extra <= 0:
                continue
            moved = [
                pid
                for pid, mine in self.out.items()
                if mine.get(c.day) == c.shift and before.get(pid, {}).get(c.day) != c.shift
            ]
            for pid in moved[:extra]:
                del self.out[pid][c.day]
                self.counts[c.day, c.shift] -= 1
            done = done and len(moved) >= extra
        return done


def repair(
    problem: RosterProblem, roster: Roster, deadline: float, workers: int = 2, seed: int = 0
) -> Roster | None:
    """``roster`` with every hard rule kept: each person who breaks one (at a seam between
    spans) rostered again alone against the cover the others leave (as
    :mod:`meded.engine.roster.construct` does), hinted with their schedule: first only the
    day before and the day after each seam their broken rules reach over, then, when that
    cannot be done, more days (``SEAM_DAYS``), then every day. ``workers`` people at once;
    people rostered at the same time do not see each other's new shifts, so a cover limit
    they break together is mended after. None when a hard rule still breaks at
    ``deadline``."""
    state = _Repair(problem, roster, seed)
    before = {pid: dict(days) for pid, days in state.out.items()}
    while True:
        report = check(problem, state.out)
        if report.feasible:
            return state.out
        if time.perf_counter() >= deadline:
            return None
        logger.debug(
            "repair: %d hard rules broken by %d people",
            len(report.hard),
            len({v.person for v in report.hard}),
        )
        broken: dict[str, set[int] | None] = {}
        over: set[int] = set()
        short: set[int] = set()
        for v in report.hard:
            if v.person is not None:
                level = state.level.get(v.person, 0)
                days = (
                    _near_seams(problem, [v.day], SEAM_DAYS[level])
                    if level < len(SEAM_DAYS)
                    else None
                )
                had = broken.get(v.person, set())
                broken[v.person] = None if days is None or had is None else had | days
            elif v.day is None:
                logger.debug("repair: %s broken, of no day", v.rule)
                return None
            else:
                (over if v.rule == "cover_maximum" else short).add(v.day)
        threads = max(1, workers)
        if not broken and over and not short and state.too_many(over, before):
            continue
        if not broken:
            # short of a minimum: those who changed on its days since the spans, again, one
            # at a time, then a few of those off on them (who changed may not be able to
            # work it again: the rules around their days have changed too)
            cells = short | over
            changed = [
                pid
                for pid, mine in state.out.items()
                if any(mine.get(d) != roster.get(pid, {}).get(d) for d in cells)
            ]
            off = [
                pid
                for pid, mine in state.out.items()
                if pid not in changed and any(d not in mine for d in short)
            ]
            changed += off[:SHORT_TRIES]
            if not changed:
                logger.debug("repair: cover broken where nobody can change: %s", sorted(cells))
                return None
            near = {
                t
                for d in cells
                for t in range(max(0, d - SEAM_DAYS[-1]), min(problem.horizon, d + SEAM_DAYS[-1]))
            }
            broken = {pid: set(near) for pid in changed}
            threads = 1
        before = {pid: dict(days) for pid, days in state.out.items()}
        state.rounds(broken, threads, deadline)
