"""Solving a roster: time limit, workers, progress, penalties, and plain-words infeasibility.

:func:`solve` builds the model of :mod:`meded.engine.roster.rules`, runs CP-SAT and returns a
:class:`RosterSolution`: the roster, the objective and bound with the final gap, the progress
of objective and bound over time, the time to the first feasible roster and to the best one,
and every soft penalty that cost something, by rule and person. When the problem is infeasible
:func:`explain_infeasibility` names a small set of hard requirements that cannot all hold: it
solves again with one assumption literal per hard-rule group, takes CP-SAT's sufficient
assumptions for infeasibility and shrinks them by deletion.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from meded.engine.roster import columns, horizon, spans
from meded.engine.roster.check import check
from meded.engine.roster.construct import person_by_person
from meded.engine.roster.lns import Lns
from meded.engine.roster.problem import Roster, RosterProblem
from meded.engine.roster.rules import HardGroup, RosterModel, build_model

logger = logging.getLogger(__name__)

#: with the neighbourhood search on, the full-model CP-SAT search runs for at least
#: ``FULL_MIN_SHARE`` and at most ``FULL_MAX_SHARE`` of the time limit, and stops in between
#: once it has not improved for ``STALL_SHARE`` of the time limit (at least two seconds)
FULL_MIN_SHARE = 0.1
FULL_MAX_SHARE = 0.6
STALL_SHARE = 0.1
#: problems with at least this many assignment variables (person x day x shift) start from
#: a roster built one person at a time (:mod:`meded.engine.roster.construct`) within
#: ``CONSTRUCT_SHARE`` of the time limit
CONSTRUCT_MIN_ASSIGNMENTS = 2500
CONSTRUCT_SHARE = 0.1
#: after that first roster, when there is cover to price (``columns.applies``), column
#: generation (:mod:`meded.engine.roster.columns`) prices until ``COLUMNS_CONVERGE_SHARE``
#: of the time limit at most and dives to a roster until ``COLUMNS_SHARE``; its
#: relaxation, once converged, is a proven bound
COLUMNS_CONVERGE_SHARE = 0.45
COLUMNS_SHARE = 0.75
#: smaller problems (no constructive start) try column generation after the full-model
#: search instead, which then stops by ``COLUMNS_FULL_SHARE`` of the time limit at the
#: latest: converged within ``COLUMNS_AFTER_CONVERGE_SHARE`` of the time left, then guided
#: neighbourhoods (:func:`_guided`) until ``COLUMNS_AFTER_SHARE`` of it; the neighbourhood
#: search continues from the better roster
COLUMNS_FULL_SHARE = 0.2
COLUMNS_AFTER_CONVERGE_SHARE = 0.3
COLUMNS_AFTER_SHARE = 0.9
#: a guided neighbourhood: the days the relaxation is sure of stay fixed, CP-SAT searches
#: the rest for at most ``GUIDED_SECONDS``; after the first, the relaxation's column costs
#: carry up to ``GUIDED_NOISE`` more each, so each neighbourhood is another near-optimal
#: relaxation's
GUIDED_SECONDS = 4.0
GUIDED_NOISE = 0.5
#: reduced-cost levels of the guided neighbourhoods: shares of the distance from the
#: relaxation to the best roster (the last, 1.0, holds every better roster), each searched
#: for at most ``GUIDED_LEVEL_SECONDS``
GUIDED_LEVELS = (0.15, 0.3, 0.6, 1.0)
GUIDED_LEVEL_SECONDS = 15.0
#: once the neighbourhood search has not improved for ``STALL_SHARE`` of the time limit and
#: the bound is within ``CLOSE_GAP`` (relative) of its roster, the rest of the time (at least
#: ``CLOSE_MIN_SECONDS``) goes to the full model cut below that roster (:func:`_close`)
CLOSE_GAP = 0.01
CLOSE_MIN_SECONDS = 2.0
#: long horizons (:func:`meded.engine.roster.horizon.applies`) with at least this many
#: assignment variables are built and searched a window of days at a time instead: their
#: whole model takes CP-SAT most of a two-minute limit to build and presolve (measured: 120
#: residents over 182 days, 152,880 assignments, about 10 s to build and no roster in 120 s);
#: the forward build gets up to ``WINDOWS_BUILD_SHARE`` of the time limit (a window whose
#: share runs out gets more, up to ``WINDOWS_BUILD_DEADLINE_SHARE``), the window search the rest.
#: With the windows' CP-SAT presolve off (``horizon.WINDOW_PARAMS``) a window's first roster
#: comes in under a second, so a fifth of the time is enough: half a year, seed 1, 120 s,
#: ended at 42170 with 0.4, 37406 with 0.2 and 41371 with 0.1 (first roster at 53, 34, 31 s)
WINDOWS_MIN_ASSIGNMENTS = 60_000
WINDOWS_BUILD_SHARE = 0.2
WINDOWS_BUILD_DEADLINE_SHARE = 0.9
#: before the windows, the spans (:mod:`meded.engine.roster.spans`: a proven bound, and
#: rosters of four weeks or more that column generation makes) until ``SPANS_SHARE`` of the
#: time limit, and their seams repaired until ``REPAIR_SHARE``
SPANS_SHARE = 0.6
REPAIR_SHARE = 0.85
#: the rounds of spans that did not converge in their time go on until ``BOUND_SHARE``
BOUND_SHARE = 0.9


@dataclass(frozen=True)
class ProgressPoint:
    """Objective and bound ``seconds`` after the solve started (either may be unknown)."""

    seconds: float
    objective: float | None
    bound: float | None


@dataclass(frozen=True)
class PenaltyCost:
    """What one soft rule cost in a solution."""

    rule: str
    person: str | None
    day: int | None
    detail: str
    cost: int


@dataclass
class RosterSolution:
    status: str
    roster: Roster = field(default_factory=dict)
    objective: int | None = None
    bound: float | None = None
    first_feasible_s: float | None = None
    best_s: float | None = None
    wall_s: float = 0.0
    workers: int = 1
    progress: list[ProgressPoint] = field(default_factory=list)
    penalties: list[PenaltyCost] = field(default_factory=list)
    #: when infeasible: the conflicting hard requirements, in plain words
    conflict: list[str] = field(default_factory=list)
    #: the phases the search ran, in order ("construct", "columns", "full", "guided", "lns",
    #: "close")
    strategy: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return self.status in ("OPTIMAL", "FEASIBLE")

    @property
    def gap(self) -> float | None:
        """Relative gap between objective and bound (0.0 when proven optimal)."""
        if self.objective is None or self.bound is None:
            return None
        return max(0.0, self.objective - self.bound) / max(1.0, abs(self.objective))

    def cost_by_rule(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for pen in self.penalties:
            out[pen.rule] = out.get(pen.rule, 0) + pen.cost
        return out

    def explanation(self) -> str:
        """A sentence or two for a human about why there is no roster (or that there is one)."""
        if self.feasible:
            return f"A roster was found ({self.status.lower()}), objective {self.objective}."
        if self.status != "INFEASIBLE":
            return "No roster was found within the time limit; the problem may still be feasible."
        if not self.conflict:
            return "No roster satisfies the hard requirements."
        lines = "\n".join(f"- {c}" for c in self.conflict)
        return (
            "No roster satisfies all the hard requirements. These cannot all hold together "
            f"(relax any one of them):\n{lines}"
        )


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, start: float, sink: Callable[[ProgressPoint], None] | None) -> None:
        super().__init__()
        self.start = start
        self.sink = sink
        self.points: list[ProgressPoint] = []
        self.first: float | None = None
        self.best: float | None = None
        self.best_value: float | None = None
        self.bound: float | None = None
        self.phases: list[str] = []

    def phase(self, name: str) -> None:
        """Note that a phase of the search starts (once in a row)."""
        if not self.phases or self.phases[-1] != name:
            self.phases.append(name)

    def _record(self, point: ProgressPoint) -> None:
        self.points.append(point)
        if self.sink is not None:
            self.sink(point)

    def on_solution_callback(self) -> None:
        t = time.perf_counter() - self.start
        value = self.objective_value
        self._raise_bound(self.best_objective_bound)
        if self.first is None:
            self.first = t
        if self.best_value is None or value < self.best_value:
            self.best_value = value
            self.best = t
        self._record(ProgressPoint(t, value, self.bound))

    def _raise_bound(self, bound: float) -> None:
        """Keep the best bound (a later full-model phase starts its own from scratch)."""
        if self.bound is None or bound > self.bound:
            self.bound = bound

    def on_bound(self, bound: float) -> None:
        self._raise_bound(bound)
        self._record(ProgressPoint(time.perf_counter() - self.start, self.best_value, self.bound))


def add_hint(rm: RosterModel, roster: Roster) -> None:
    """Hint every assignment variable from ``roster`` (a starting point, not a constraint)."""
    for (pid, d, sid), var in rm.x.items():
        rm.model.add_hint(var, roster.get(pid, {}).get(d) == sid)
    for (pid, d), var in rm.work.items():
        rm.model.add_hint(var, d in roster.get(pid, {}))


def _cp_solver(
    time_limit: float,
    num_workers: int,
    seed: int,
    log: bool,
    parameters: dict[str, object] | None,
) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.0, time_limit)
    solver.parameters.num_workers = num_workers
    solver.parameters.random_seed = seed
    solver.parameters.log_search_progress = log
    # the roster models' linear relaxation with cuts pays off (measured on the Curtois & Qu
    # instances: several times faster to good rosters and to optimal neighbourhoods)
    solver.parameters.linearization_level = 2
    if num_workers == 2:
        # one full-problem search with the LP at its strongest (its cuts give roster models
        # a real bound), the other thread for first-solution heuristics and CP-SAT's own
        # neighbourhoods; the default would spend the first thread on the weaker default LP
        solver.parameters.subsolvers.append("max_lp")
    for name, value in (parameters or {}).items():
        field_ = getattr(solver.parameters, name)
        if isinstance(value, list):
            field_.clear()
            field_.extend(value)
        else:
            setattr(solver.parameters, name, value)
    return solver


def solve(
    problem: RosterProblem,
    time_limit: float = 10.0,
    num_workers: int = 2,
    hint: Roster | None = None,
    on_progress: Callable[[ProgressPoint], None] | None = None,
    explain_infeasible: bool = True,
    log: bool = False,
    seed: int = 0,
    parameters: dict[str, object] | None = None,
    lns: bool | None = None,
    construct: bool | None = None,
) -> RosterSolution:
    """Solve ``problem`` within ``time_limit`` seconds on ``num_workers`` threads.

    Large problems (``construct=None``: at least ``CONSTRUCT_MIN_ASSIGNMENTS`` assignment
    variables; ``True`` always, ``False`` never) first get a roster built one person at a time
    (:mod:`meded.engine.roster.construct`), used as the hint; when ``columns.applies`` (cover
    to price; fairness is priced too), column generation (:mod:`meded.engine.roster.columns`)
    then proves a bound and dives to a roster that replaces the hint when better (the solve
    ends there when it meets the bound). CP-SAT then runs on the full model with its LP at
    the strongest (``linearization_level=2``; with two workers the ``max_lp`` search beside
    CP-SAT's own heuristics): the whole time limit when ``lns`` is False, otherwise until it
    stops improving (see ``FULL_MIN_SHARE``, ``FULL_MAX_SHARE``, ``STALL_SHARE``; it is not stopped
    while its bound is within ``CLOSE_GAP`` of its roster). On smaller problems where
    ``columns.applies`` it stops by ``COLUMNS_FULL_SHARE`` of the time, and column
    generation follows: its bound, then neighbourhoods around the days its relaxation is sure
    of (:func:`_guided`). From the best roster a roster-specific large-neighbourhood search
    (:mod:`meded.engine.roster.lns`) improves until the time limit, or, once it stalls near
    the bound, the full model cut below its roster tries to close the gap (:func:`_close`).
    ``lns=None`` uses the search whenever the problem has soft terms. ``parameters`` are extra
    CP-SAT parameters for the full-model solve (they override the settings above).
    """
    start = time.perf_counter()
    deadline = start + time_limit
    if hint is None and lns is not False and construct is not False and _long(problem):
        return _by_windows(problem, start, time_limit, num_workers, seed, on_progress)
    rm = build_model(problem)
    use_lns = bool(rm.penalties) if lns is None else lns
    progress = _Progress(start, on_progress)
    built: tuple[list[int], int] | None = None
    tried_columns = False
    if hint is None and use_lns and (construct or (construct is None and _large(rm))):
        # a first roster one person at a time: much faster than the full model when large
        budget = min(len(problem.persons) * 1.0, CONSTRUCT_SHARE * time_limit)
        progress.phase("construct")
        hint = person_by_person(problem, budget, start + 0.8 * time_limit, seed)
        if hint is not None:
            built = _assignment_values(rm, hint)
            if built is not None:
                t = time.perf_counter() - start
                progress.first = progress.best = t
                progress.best_value = built[1]
                progress._record(ProgressPoint(t, built[1], None))
        if built is not None and hint is not None and columns.applies(problem):
            until = (
                start + COLUMNS_CONVERGE_SHARE * time_limit,
                start + COLUMNS_SHARE * time_limit,
            )
            progress.phase("columns")
            better, _bound = _columns(rm, hint, built[1], progress, start, until, num_workers, seed)
            if better is not None:
                built, hint = (better[0], better[2]), better[1]
            tried_columns = True
    if built is not None and progress.bound is not None and built[1] <= progress.bound:
        # the columns' roster meets their bound: optimal, nothing left to search
        return _done(rm, built[0], progress, start, num_workers)
    if hint is not None:
        add_hint(rm, hint)
    first = time_limit if not use_lns else min(time_limit, max(2.0, FULL_MAX_SHARE * time_limit))
    if use_lns and not tried_columns and columns.applies(problem):
        # the guided neighbourhoods after column generation do better with the time
        first = min(first, max(2.0, COLUMNS_FULL_SHARE * time_limit))
    first -= time.perf_counter() - start
    solver = _cp_solver(first, num_workers, seed, log, parameters)
    solver.best_bound_callback = progress.on_bound
    done = threading.Event()
    if use_lns:
        watcher = threading.Thread(
            target=_stop_when_stalled,
            args=(solver, progress, done, start, time_limit),
            daemon=True,
        )
        watcher.start()
    progress.phase("full")
    status = solver.solve(rm.model, progress)
    done.set()
    if status == cp_model.UNKNOWN and built is None and deadline - time.perf_counter() > 0.5:
        # no roster yet: give the full model the rest of the time
        solver = _cp_solver(deadline - time.perf_counter(), num_workers, seed + 1, log, parameters)
        solver.best_bound_callback = progress.on_bound
        status = solver.solve(rm.model, progress)
    result = RosterSolution(status=solver.status_name(status), workers=num_workers)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) or built is not None:
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            values = [int(solver.boolean_value(v)) for v in rm.x.values()]
            objective = round(solver.objective_value) if rm.penalties else 0
            bound = solver.best_objective_bound if rm.penalties else 0.0
            if progress.bound is not None:  # a better bound from column generation
                bound = max(bound, progress.bound)
        else:
            result.status = "FEASIBLE"
            bound = progress.bound if progress.bound is not None else 0.0
            values, objective = [], 0
        if built is not None and (not values or built[1] < objective):
            values, objective = built
        if progress.first is None:  # solved in presolve: no callback fired
            progress.first = progress.best = time.perf_counter() - start
        proven = status == cp_model.OPTIMAL and objective <= math.ceil(bound - 1e-6)
        left = deadline - time.perf_counter()
        if not proven and use_lns and not tried_columns and columns.applies(problem) and left > 1:
            # too small for the constructive start: column generation after the full model,
            # then neighbourhoods around what its relaxation is sure of
            now = time.perf_counter()
            roster = rm.roster(dict(zip(rm.x.values(), values, strict=True)).__getitem__)
            progress.phase("columns")
            cg, whole = columns.start(
                problem, roster, now + COLUMNS_AFTER_CONVERGE_SHARE * left, num_workers, seed
            )
            if whole is not None:
                bound = max(bound, math.ceil(whole - 1e-6))
                progress.on_bound(bound)
            if cg is not None and objective > math.ceil(bound - 1e-6):
                progress.phase("guided")
                values, objective, bound = _guided(
                    rm,
                    cg,
                    values,
                    objective,
                    bound,
                    now + COLUMNS_AFTER_SHARE * left,
                    progress,
                    start,
                    num_workers,
                    seed,
                )
            proven = objective <= math.ceil(bound - 1e-6)
        if not proven and use_lns and deadline - time.perf_counter() > 0.5:
            progress.phase("lns")
            values, objective, bound = _improve(
                rm, values, objective, bound, progress, start, time_limit, num_workers, seed, log
            )
        _finish(rm, values, result)
        result.bound = bound
        if result.objective is not None and result.objective <= math.ceil(bound - 1e-6):
            result.status = "OPTIMAL"
    elif status == cp_model.INFEASIBLE and explain_infeasible:
        result.conflict = explain_infeasibility(problem, time_limit=max(5.0, time_limit))
    return _stamped(result, progress, start)


def _guided(
    rm: RosterModel,
    cg: columns.ColumnGeneration,
    values: list[int],
    objective: int,
    bound: float,
    deadline: float,
    progress: _Progress,
    start: float,
    num_workers: int,
    seed: int,
) -> tuple[list[int], int, float]:
    """Neighbourhoods from the converged relaxation of ``cg`` until ``deadline``: days fixed
    by the relaxation, and CP-SAT (hinted with the best roster) looks for a better roster in
    the rest, or proves there is none there.

    1. The days the relaxation is sure of (value 1).
    2. Reduced-cost levels (``GUIDED_LEVELS``): the days on which every schedule of a person
       within a share of the distance from the relaxation to the best roster agrees
       (:meth:`~meded.engine.roster.columns.ColumnGeneration.fixed_days`); each level frees
       more days. A better roster starts the levels again; a level proven to hold none goes
       on to the next; the last (the whole distance) holds every better roster, so nothing
       found there proves the best roster optimal.
    3. When a level runs out of time: the days sure in the relaxation with its column costs
       shaken a little (``GUIDED_NOISE``: another near-optimal relaxation), ``num_workers``
       at once, one thread each.

    (Measured on Curtois & Qu Instance7, 560 person-days: step 1 holds 1057 from any start;
    the first level fixes 283 days, fixed in 3 s, and holds the optimum 1056, found in 5 s;
    step 3 finds it about once in 25 neighbourhoods.) Returns the best assignment values,
    their objective and the bound (the objective when proven); an improvement is recorded
    in ``progress`` and its schedules join the pool of columns."""
    rng = random.Random(seed)
    keys = list(rm.x)
    tries = 0
    level = 0
    # the pricing rounds duals to 1/PRICE_SCALE: a reduced cost it calls zero may be this
    # much below, summed over everybody's schedules
    problem = rm.problem
    margin = columns.rounding_margin(problem)

    def search(
        days: dict[tuple[str, int], str | None], hint: list[int], limit: float, threads: int, k: int
    ) -> tuple[cp_model.CpSolverStatus, tuple[list[int], int, Roster] | None]:
        model = rm.model.clone()
        model.clear_hints()
        for (pid, d, sid), var, v in zip(keys, rm.x.values(), hint, strict=True):
            model.add_hint(var, v)
            if (pid, d) in days:
                model.add(var == int(days[pid, d] == sid))
        model.add(rm.objective() <= objective - 1)
        solver = _cp_solver(limit, threads, seed + k, False, None)
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return status, None
        found = [int(solver.boolean_value(v)) for v in rm.x.values()]
        return status, (found, round(solver.objective_value), rm.roster(solver.boolean_value))

    def better(found: tuple[list[int], int, Roster] | None) -> bool:
        nonlocal values, objective
        if found is None or found[1] >= objective:
            return False
        values, objective = found[0], found[1]
        t = time.perf_counter() - start
        progress.best, progress.best_value = t, objective
        progress._record(ProgressPoint(t, objective, progress.bound))
        cg.add_roster(found[2])
        return True

    with ThreadPoolExecutor(max_workers=max(1, num_workers)) as pool:
        while objective > math.ceil(bound - 1e-6) and cg.relaxation is not None:
            left = deadline - time.perf_counter()
            if left < 1.0:
                break
            if tries == 0 or level < len(GUIDED_LEVELS):
                if tries == 0:
                    days = cg.sure_days()
                else:
                    slack = GUIDED_LEVELS[level] * (objective - 1 - cg.relaxation.objective)
                    if GUIDED_LEVELS[level] >= 1.0:
                        slack += margin  # exact: it may prove the best roster optimal
                    days = cg.fixed_days(slack, time.perf_counter() + left / 2)
                tries += 1
                if days is None:
                    level = len(GUIDED_LEVELS)
                    continue
                left = deadline - time.perf_counter()
                status, found = search(
                    days, values, min(GUIDED_LEVEL_SECONDS, left), num_workers, tries
                )
                logger.debug(
                    "guided level %s: %d days fixed, %s, %s",
                    level if tries > 1 else "sure",
                    len(days),
                    status,
                    found[1] if found else None,
                )
                if better(found):
                    level = 0
                elif status == cp_model.INFEASIBLE and tries > 1:
                    if (
                        level == len(GUIDED_LEVELS) - 1
                        and GUIDED_LEVELS[level] >= 1.0
                        and cg.proven
                    ):
                        bound = float(objective)  # every better roster was in there
                        progress.on_bound(objective)
                    level += 1
                elif tries > 1:
                    level = len(GUIDED_LEVELS)  # too large to search out: shaken ones instead
                continue
            shaken = []
            for _ in range(max(1, num_workers)):
                sure = cg.sure_days(GUIDED_NOISE, rng)
                if sure is not None:
                    shaken.append((sure, tries))
                tries += 1
            if not shaken:
                break
            limit = min(GUIDED_SECONDS, left)
            jobs = [pool.submit(search, su, values, limit, 1, k) for su, k in shaken]
            for job in jobs:
                better(job.result()[1])
    return values, objective, bound


def _columns(
    rm: RosterModel,
    roster: Roster,
    objective: int,
    progress: _Progress,
    start: float,
    until: tuple[float, float],
    num_workers: int,
    seed: int,
) -> tuple[tuple[list[int], Roster, int] | None, int | None]:
    """Column generation from ``roster`` (objective ``objective``), converged and dived
    until the two times of ``until``. Returns its roster when better (assignment values,
    roster, objective; also recorded in ``progress``) and its proven bound, rounded up (also
    given to ``progress``); None for either when there is none."""
    found, bound = columns.from_roster(rm.problem, roster, until[0], until[1], num_workers, seed)
    whole = math.ceil(bound - 1e-6) if bound is not None else None
    if whole is not None:
        progress.on_bound(whole)
    better = _assignment_values(rm, found) if found is not None else None
    if found is None or better is None or better[1] >= objective:
        return None, whole
    t = time.perf_counter() - start
    progress.best, progress.best_value = t, better[1]
    progress._record(ProgressPoint(t, better[1], progress.bound))
    return (better[0], found, better[1]), whole


def _stamped(result: RosterSolution, progress: _Progress, start: float) -> RosterSolution:
    """``result`` with the progress and times of the solve that began at ``start``."""
    result.progress = progress.points
    result.strategy = list(progress.phases)
    result.first_feasible_s = progress.first
    result.best_s = progress.best
    result.wall_s = time.perf_counter() - start
    return result


def _done(
    rm: RosterModel, values: list[int], progress: _Progress, start: float, num_workers: int
) -> RosterSolution:
    """The solution of a roster proven optimal before the full model ran."""
    result = RosterSolution(status="OPTIMAL", workers=num_workers)
    _finish(rm, values, result)
    result.bound = progress.bound
    return _stamped(result, progress, start)


def _improve(
    rm: RosterModel,
    values: list[int],
    objective: int,
    bound: float,
    progress: _Progress,
    start: float,
    time_limit: float,
    num_workers: int,
    seed: int,
    log: bool,
) -> tuple[list[int], int, float]:
    """After the first full-model search: the neighbourhood search until the deadline; once it
    stalls with the bound within ``CLOSE_GAP`` of its roster, the rest of the time goes to
    :func:`_close` instead. Returns the best assignment values, their objective and the best
    bound (the objective itself when proven optimal)."""
    deadline = start + time_limit
    stall = max(2.0, STALL_SHARE * time_limit)

    def improved(value: int) -> None:
        t = time.perf_counter() - start
        progress.best, progress.best_value = t, value
        progress._record(ProgressPoint(t, value, progress.bound))

    search = Lns(
        rm,
        values,
        objective,
        deadline,
        on_improve=improved,
        seed=seed,
        lower_bound=math.ceil(bound - 1e-6),
    )
    while True:
        progress.phase("lns")
        state = search.run(num_workers, stall=stall)
        values, objective = state.values, state.objective
        left = deadline - time.perf_counter()
        if objective <= math.ceil(bound - 1e-6) or left < CLOSE_MIN_SECONDS:
            return values, objective, bound
        if objective - bound > CLOSE_GAP * abs(objective):
            continue  # far from the bound: more neighbourhoods
        proven, found = _close(rm, objective, left, progress, num_workers, seed + 1, log)
        if found is not None and found[1] < objective:
            values, objective = found
        if proven:
            return values, objective, float(objective)
        if deadline - time.perf_counter() < 0.5:
            return values, objective, bound
        search.restart(values, objective, math.ceil(bound - 1e-6))


def _close(
    rm: RosterModel,
    objective: int,
    time_limit: float,
    progress: _Progress,
    num_workers: int,
    seed: int,
    log: bool,
) -> tuple[bool, tuple[list[int], int] | None]:
    """The full model with the cut ``objective <= best - 1`` and no hint, for at most
    ``time_limit`` seconds: its LP search either finds a better roster or proves there is
    none. (Measured on Curtois & Qu Instance5: with the cut it proved the optimum in 14 s;
    hinted with the best roster instead, its bound stalled 70 below.) Returns whether the best
    roster is proven optimal and the better roster it found, if any (values, objective)."""
    progress.phase("close")
    model = rm.model.clone()
    model.clear_hints()
    model.add(rm.objective() <= objective - 1)
    solver = _cp_solver(time_limit, num_workers, seed, log, None)
    solver.best_bound_callback = progress.on_bound
    status = solver.solve(model, progress)
    if status == cp_model.INFEASIBLE:
        return True, None
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return False, None
    found = [int(solver.boolean_value(v)) for v in rm.x.values()]
    return status == cp_model.OPTIMAL, (found, round(solver.objective_value))


def _long(problem: RosterProblem) -> bool:
    """Whether ``problem`` is worked a window of days at a time (``WINDOWS_MIN_ASSIGNMENTS``)."""
    size = len(problem.persons) * problem.horizon * len(problem.shifts)
    return size >= WINDOWS_MIN_ASSIGNMENTS and horizon.applies(problem)


def _by_windows(
    problem: RosterProblem,
    start: float,
    time_limit: float,
    num_workers: int = 2,
    seed: int = 0,
    on_progress: Callable[[ProgressPoint], None] | None = None,
) -> RosterSolution:
    """A long horizon in spans and windows of days:

    1. ``spans``: the horizon cut into spans of four weeks or more, each bounded and rostered
       by column generation with people alike merged (:mod:`meded.engine.roster.spans`),
       until ``SPANS_SHARE`` of the time limit; the sum of the spans' bounds is a proven
       bound on every roster.
    2. ``repair``: the spans' rosters side by side break rules at the seams; each person who
       breaks one is rostered again alone (until ``REPAIR_SHARE``).
    3. When the repair fails: ``windows``, a first roster built forwards a window at a time
       (:func:`meded.engine.roster.horizon.forwards`). Then the rounds of spans that did not
       converge in their time go on (until ``BOUND_SHARE``).
    4. ``window-search``: windows of days and people re-rostered until the time limit
       (fairness, which the spans leave out, is priced here).

    The roster and its penalties are the checker's."""
    progress = _Progress(start, on_progress)
    bound: float | None = None
    roster: Roster | None = None
    cut: spans.Stitched | None = None
    if spans.applies(problem):
        progress.phase("spans")
        cut = spans.stitched(problem, start + SPANS_SHARE * time_limit, num_workers, seed)
        if cut.bound is not None:
            progress.on_bound(cut.bound)
        progress.phase("repair")
        roster = spans.repair(
            problem, cut.roster, start + REPAIR_SHARE * time_limit, num_workers, seed
        )
    if roster is None:
        progress.phase("windows")
        left = start + time_limit - time.perf_counter()
        roster = horizon.forwards(
            problem,
            WINDOWS_BUILD_SHARE * left,
            time.perf_counter() + WINDOWS_BUILD_DEADLINE_SHARE * left,
            num_workers,
            seed,
        )
    if roster is None:
        return _stamped(RosterSolution(status="UNKNOWN", workers=num_workers), progress, start)
    objective = check(problem, roster).objective
    t = time.perf_counter() - start
    progress.first = progress.best = t
    progress.best_value = objective
    progress._record(ProgressPoint(t, objective, progress.bound))
    if cut is not None:
        if cut.pending:
            progress.phase("spans")  # the rounds of spans that did not converge in time
            cut.finish(start + BOUND_SHARE * time_limit)
        if cut.bound is not None:
            bound = float(cut.bound)
            progress.on_bound(bound)

    def improved(value: int) -> None:
        now = time.perf_counter() - start
        progress.best, progress.best_value = now, value
        progress._record(ProgressPoint(now, value, progress.bound))

    floor = bound if bound is not None else 0.0
    if objective > floor:
        progress.phase("window-search")
        roster, objective = horizon.improve(
            problem, roster, objective, start + time_limit, num_workers, seed, improved, floor
        )
    report = check(problem, roster)
    if not report.feasible:  # each window's model holds every rule its days touch
        raise RuntimeError(f"a windowed roster breaks {report.hard[0].rule}")
    if report.objective == 0:
        bound = 0.0
    result = RosterSolution(
        status="OPTIMAL" if bound is not None and report.objective <= bound else "FEASIBLE",
        roster={pid: days for pid, days in roster.items() if days},
        objective=report.objective,
        bound=bound,
        workers=num_workers,
        penalties=[
            PenaltyCost(v.rule, v.person, v.day, v.detail, v.cost) for v in report.soft if v.cost
        ],
    )
    return _stamped(result, progress, start)


def _large(rm: RosterModel) -> bool:
    return len(rm.x) >= CONSTRUCT_MIN_ASSIGNMENTS


def _assignment_values(rm: RosterModel, roster: Roster) -> tuple[list[int], int] | None:
    """The assignment values of ``roster`` and its objective, or None when it breaks a hard
    rule of the model."""
    values = [int(roster.get(pid, {}).get(d) == sid) for (pid, d, sid) in rm.x]
    model = rm.model.clone()
    for var, v in zip(rm.x.values(), values, strict=True):
        model.add(var == v)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 30.0
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return values, round(solver.objective_value) if rm.penalties else 0


def _stop_when_stalled(
    solver: cp_model.CpSolver,
    progress: _Progress,
    done: threading.Event,
    start: float,
    time_limit: float,
) -> None:
    """Stop the full-model search once it has run its minimum share of ``time_limit`` and
    found no better roster for ``STALL_SHARE`` of it (the neighbourhood search takes over),
    unless its bound is within ``CLOSE_GAP`` of its roster: then it goes on towards a proof
    (up to its own time limit), which a restart would have to redo."""
    at_least = max(2.0, FULL_MIN_SHARE * time_limit)
    stall = max(2.0, STALL_SHARE * time_limit)
    while not done.wait(0.1):
        now = time.perf_counter() - start
        if progress.best is None or now < at_least or _near_bound(progress):
            continue
        if now - progress.best >= stall:
            solver.stop_search()
            return


def _near_bound(progress: _Progress) -> bool:
    best, bound = progress.best_value, progress.bound
    return best is not None and bound is not None and best - bound <= CLOSE_GAP * abs(best)


def _finish(rm: RosterModel, values: list[int], result: RosterSolution) -> None:
    """Fill the roster, objective and penalties of ``result`` from assignment values."""
    model = rm.model.clone()
    for var, v in zip(rm.x.values(), values, strict=True):
        model.add(var == v)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 30.0
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError("the best roster does not satisfy its own model")
    result.roster = rm.roster(solver.boolean_value)
    result.objective = round(solver.objective_value) if rm.penalties else 0
    for pen in rm.penalties:
        amount = solver.value(pen.expr)
        if amount:
            cost = pen.weight * amount
            result.penalties.append(PenaltyCost(pen.rule, pen.person, pen.day, pen.detail, cost))


def _infeasible_with(
    rm: RosterModel, groups: list[HardGroup], time_limit: float
) -> tuple[bool, list[HardGroup]]:
    """Whether the model is infeasible with only ``groups`` switched on, and a core of them."""
    rm.model.clear_assumptions()
    rm.model.add_assumptions([g.literal for g in groups if g.literal is not None])
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 1
    status = solver.solve(rm.model)
    if status != cp_model.INFEASIBLE:
        return False, groups
    by_index = {g.literal.index: g for g in groups if g.literal is not None}
    core = [by_index[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in by_index]
    return True, core or groups


def explain_infeasibility(problem: RosterProblem, time_limit: float = 10.0) -> list[str]:
    """Plain-words descriptions of a small set of hard requirement groups that conflict.

    Empty when the problem is feasible (or the conflict is in the structure: one shift a day).
    The set is minimal by deletion: dropping any one of its groups makes it consistent (as far
    as each check could tell within its share of ``time_limit``).
    """
    deadline = time.perf_counter() + time_limit
    rm = build_model(problem, explain=True)
    groups = list(rm.groups.values())
    infeasible, core = _infeasible_with(rm, groups, time_limit / 2)
    if not infeasible:
        return []
    necessary: list[HardGroup] = []
    pending = list(core)
    while pending:
        group = pending.pop(0)
        left = deadline - time.perf_counter()
        if left <= 0:
            necessary.append(group)
            continue
        still, smaller = _infeasible_with(
            rm, necessary + pending, min(left, max(1.0, time_limit / 10))
        )
        if still:  # not needed; the solver's core may drop more of the pending groups
            kept = {g.key for g in smaller}
            pending = [g for g in pending if g.key in kept]
        else:
            necessary.append(group)
    core = necessary
    return [g.description for g in core]
