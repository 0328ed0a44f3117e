"""A long horizon a window of days at a time.

A year of residency call is a model of a few hundred thousand variables: CP-SAT needs most of
a two-minute limit to build and presolve it and then finds no roster in what is left
(measured: 120 residents over 182 days, ``benchmarks/rosters.py``). Yet every rule but
fairness spans at most 28 days (the ACGME's 4-week averages; runs of days in a row are
shorter), so a roster can be built and improved a window of days at a time, as the product
rosters a year block by block.

A window's problem (:func:`window`) decides some days for some people. It holds those days
plus ``LOOKBACK`` days before them and, when the days after are decided, ``LOOKBACK`` days
after, pinned to the roster: every 28-day span of the whole horizon that touches a decided day
lies in the window's problem, so its hard rules are checked there. The people left out keep
their shifts; the cover they give is taken off the cover wanted (as in
:mod:`meded.engine.roster.construct`). Fairness spans the whole horizon and everybody: each
person's count from the days outside the window is carried in as an offset and the counts of
the people left out are fixed (:class:`~meded.engine.roster.problem.Fairness` ``offsets`` and
``others``), so a window's objective differs from the whole roster's by a constant and an
improvement found in a window is the same improvement of the roster.

:func:`forwards` builds a first roster from the first day on, a window after another (the days
after a window are not decided yet, so nothing is pinned after it); :func:`improve` then
re-roster windows of days and people around the roster's costs. Rules on a person's totals over
the whole horizon (shifts of a type, minutes, weekends) and minimum runs, which a window would
cut, are not windowed: :func:`applies` says when this is sound.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from meded.engine.roster.check import check, fairness_count
from meded.engine.roster.construct import residual_cover
from meded.engine.roster.problem import Pin, Roster, RosterProblem
from meded.engine.roster.rules import build_model

#: days of the past (and of the decided future) a window's problem holds, pinned: the
#: longest rule span (28 days) less one
LOOKBACK = 27
#: days a window of the first roster decides
WINDOW_DAYS = 14
#: horizons at least this long are worked a window at a time
MIN_HORIZON = 3 * WINDOW_DAYS
#: a window of the search holds about this many assignment variables it decides (people x
#: days x shifts), and CP-SAT gets ``STEP_SECONDS`` for it (doubled after ``STALL_STEPS``
#: steps without gain). Many small windows beat fewer large ones: measured on the first
#: roster of 120 residents over 182 days, 55 s of search from 74880 reached 48512 and 48833
#: (two seeds) with 800 and 0.5 s, 48936 with 500 and 0.3 s, 59315 and 62270 with 3000 and
#: 2 s, 70205 with 8000 and 3 s: building a window's model (its 54 pinned days) costs about
#: as much as solving it
STEP_ASSIGNMENTS = 800
STEP_SECONDS = 0.5
STALL_STEPS = 20
#: CP-SAT's parameters for a window's model. Most of a window's variables are pinned days,
#: which presolve spends its time removing: with presolve it took 2.2-2.4 s to a window's
#: first roster of 120 residents (72,868 variables), without 0.7-0.8 s, and the half year's
#: roster at 120 s fell from 50819 to 42170 (seed 1; benchmarks/README.md)
WINDOW_PARAMS: dict[str, object] = {"max_presolve_iterations": 0, "symmetry_level": 0}


def applies(problem: RosterProblem) -> bool:
    """Whether the roster can be worked window by window: a horizon long enough to need it,
    and no hard rule on a person's horizon totals or minimum runs (a window cannot see
    them)."""
    if problem.horizon < MIN_HORIZON:
        return False
    for p in problem.persons:
        if p.max_shifts or p.min_total_minutes is not None or p.max_total_minutes is not None:
            return False
        if p.max_weekends is not None:
            return False
        if p.min_consecutive_work is not None or p.min_consecutive_off is not None:
            return False
    return True


@dataclass(frozen=True)
class Window:
    """A window's problem and where it lies in the whole: its day 0 is day ``lo``; it decides
    days ``first`` to ``last`` (exclusive) of ``persons``."""

    problem: RosterProblem
    lo: int
    first: int
    last: int
    persons: tuple[str, ...]

    def roster_of(self, roster: Roster) -> Roster:
        """``roster`` as the window's problem sees it (its days, its people)."""
        hi = self.lo + self.problem.horizon
        return {
            pid: {d - self.lo: s for d, s in roster.get(pid, {}).items() if self.lo <= d < hi}
            for pid in self.persons
        }

    def put(self, roster: Roster, sub: Roster) -> None:
        """Write the window's decided days of ``sub`` (its roster) into ``roster``."""
        for pid in self.persons:
            mine = roster.setdefault(pid, {})
            for d in range(self.first, self.last):
                mine.pop(d, None)
            for d, s in sub.get(pid, {}).items():
                if self.first <= d + self.lo < self.last:
                    mine[d + self.lo] = s


def window(
    problem: RosterProblem,
    first: int,
    last: int,
    roster: Roster,
    persons: Sequence[str] | None = None,
    ahead: bool = True,
) -> Window:
    """The problem of days ``first`` to ``last`` (exclusive) of ``persons`` (everybody when
    None), everything else as in ``roster`` (see the module text); ``ahead`` pins the
    ``LOOKBACK`` days after the window too (False when they are not decided yet)."""
    chosen = tuple(p.id for p in problem.persons) if persons is None else tuple(persons)
    mine = set(chosen)
    lo = max(0, first - LOOKBACK)
    hi = min(problem.horizon, last + LOOKBACK) if ahead else last

    def free(d: int) -> bool:
        return first <= d < last

    pins = [
        Pin(p.person, p.day - lo, p.shift) for p in problem.pins if free(p.day) and p.person in mine
    ]
    for pid in chosen:
        days = roster.get(pid, {})
        pins.extend(Pin(pid, d - lo, days.get(d)) for d in range(lo, hi) if not free(d))
    # the cover the people left out give on the decided days
    given: dict[tuple[int, str], int] = {}
    for pid, days in roster.items():
        if pid not in mine:
            for d, s in days.items():
                if free(d):
                    given[d, s] = given.get((d, s), 0) + 1
    cover = [c for c in residual_cover(problem, given) if free(c.day)]
    sub = replace(
        problem,
        horizon=hi - lo,
        persons=tuple(
            replace(p, days_off=frozenset(d - lo for d in p.days_off if free(d)))
            for p in problem.persons
            if p.id in mine
        ),
        cover=tuple(replace(c, day=c.day - lo) for c in cover),
        requests=tuple(
            replace(r, day=r.day - lo) for r in problem.requests if free(r.day) and r.person in mine
        ),
        pins=tuple(pins),
        holidays=frozenset(d - lo for d in problem.holidays if lo <= d < hi),
        first_weekday=(problem.first_weekday + lo) % 7,
        fairness=(),
    )
    w = Window(sub, lo, first, last, chosen)
    # fairness over the whole horizon and everybody: what each chosen person has outside the
    # window's problem is an offset, the people left out are fixed counts
    seen = w.roster_of(roster)
    fairness = []
    for f in problem.fairness:
        offsets = {}
        others = list(f.others)
        for pid in f.persons:
            whole = fairness_count(problem, roster, pid, f.kind) + f.offsets.get(pid, 0)
            if pid in mine:
                offsets[pid] = whole - fairness_count(sub, seen, pid, f.kind)
            else:
                others.append(whole)
        fairness.append(
            replace(
                f,
                persons=tuple(pid for pid in f.persons if pid in mine),
                offsets={pid: n for pid, n in offsets.items() if n},
                others=tuple(others),
            )
        )
    return replace(w, problem=replace(sub, fairness=tuple(fairness)))


def _solver(seconds: float, workers: int, seed: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    solver.parameters.linearization_level = 2
    solver.parameters.max_time_in_seconds = max(0.01, seconds)
    for key, value in WINDOW_PARAMS.items():
        setattr(solver.parameters, key, value)
    return solver


def forwards(
    problem: RosterProblem,
    budget: float,
    deadline: float,
    num_workers: int = 2,
    seed: int = 0,
    window_days: int = WINDOW_DAYS,
) -> Roster | None:
    """A roster built ``window_days`` at a time from the first day (see the module text), or
    None when a window has no roster before ``deadline`` (or none at all: its problem is
    infeasible with the days before it as they were decided).

    ``budget`` seconds (building the windows' models included) are shared among the windows
    still to build; a window whose share runs out before it has a roster gets more time, up
    to ``deadline``."""
    roster: Roster = {p.id: {} for p in problem.persons}
    budget_end = time.perf_counter() + budget
    starts = list(range(0, problem.horizon, window_days))
    i = 0
    back = 1  # windows decided together (more after a dead end)
    while i < len(starts):
        first = starts[max(0, i - back + 1)]
        last = min(problem.horizon, starts[i] + window_days)
        share = max(0.5, (budget_end - time.perf_counter()) / (len(starts) - i))
        w = window(problem, first, last, roster, ahead=False)
        rm = build_model(w.problem)
        solver = _solver(deadline - time.perf_counter(), num_workers, seed)
        stop = _FirstAfter(solver, time.perf_counter() + share * back)
        status = solver.solve(rm.model, stop)
        stop.timer.cancel()
        if status == cp_model.INFEASIBLE and first > 0:
            # a dead end: the days before leave this window no roster; decide them again
            # together with it
            back += 1
            continue
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        w.put(roster, rm.roster(solver.boolean_value))
        i += 1
        back = 1
    return roster


class _FirstAfter(cp_model.CpSolverSolutionCallback):
    """Stops the search at ``until`` when it has a roster, else at its first roster after."""

    def __init__(self, solver: cp_model.CpSolver, until: float) -> None:
        super().__init__()
        self.until = until
        self.found = threading.Event()
        self.timer = threading.Timer(max(0.0, until - time.perf_counter()), self._due, (solver,))
        self.timer.daemon = True
        self.timer.start()

    def _due(self, solver: cp_model.CpSolver) -> None:
        if self.found.is_set():
            solver.stop_search()

    def on_solution_callback(self) -> None:
        self.found.set()
        if time.perf_counter() >= self.until:
            self.stop_search()


def improve(
    problem: RosterProblem,
    roster: Roster,
    objective: int,
    deadline: float,
    num_workers: int = 2,
    seed: int = 0,
    on_improve: Callable[[int], None] | None = None,
    lower_bound: float = 0.0,
) -> tuple[Roster, int]:
    """Re-roster windows of days and people until ``deadline``: each step frees a random span
    of days for people drawn at random (all of them when few enough), CP-SAT re-rosters them
    hinted with the current roster, and a better roster is kept. ``objective`` is the
    roster's (the checker's); returns the best roster and its objective."""
    rng = random.Random(seed)
    best = {pid: dict(days) for pid, days in roster.items()}
    shifts = len(problem.shifts)
    ids = [p.id for p in problem.persons]
    span = min(problem.horizon, 2 * WINDOW_DAYS)
    step_seconds = STEP_SECONDS
    stalled = 0
    while time.perf_counter() < deadline - 0.2 and objective > lower_bound:
        days = rng.randint(WINDOW_DAYS // 2, span)
        people = max(2, min(len(ids), STEP_ASSIGNMENTS // (days * shifts)))
        first = rng.randrange(0, problem.horizon - days + 1)
        chosen = ids if people >= len(ids) else rng.sample(ids, people)
        w = window(problem, first, first + days, best, chosen)
        rm = build_model(w.problem)
        current = w.roster_of(best)
        for (pid, d, sid), var in rm.x.items():
            rm.model.add_hint(var, current.get(pid, {}).get(d) == sid)
        before = check(w.problem, current).objective
        left = deadline - time.perf_counter()
        if left <= 0.1:
            break
        solver = _solver(min(step_seconds, left), num_workers, rng.randrange(1 << 30))
        status = solver.solve(rm.model)
        gained = False
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            # scored by the checker: a roster CP-SAT stopped on before optimal can carry slack
            # in its penalty variables (a fairness maximum above the largest count), so its
            # objective value may exceed what the roster costs
            solved = rm.roster(solver.boolean_value)
            after = check(w.problem, solved).objective
            if after < before:
                w.put(best, solved)
                objective -= before - after
                gained = True
                if on_improve is not None:
                    on_improve(objective)
        stalled = 0 if gained else stalled + 1
        if stalled >= STALL_STEPS:
            step_seconds *= 2
            stalled = 0
    return best, objective
