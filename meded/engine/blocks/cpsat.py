"""The block schedule's CP-SAT model at work: solve, explain infeasibility, repair, alternatives.

The product and the benchmarks solve through :func:`meded.engine.blocks.solve` (the
portfolio, ``portfolio.py``), which runs this module's :func:`solve` when the problem has
rules only the full model encodes."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from meded.engine.blocks.model import Problem, Schedule
from meded.engine.blocks.rules import Ctx, Expr, Term, build, objective_expr

FAST_PRESOLVE: dict[str, object] = {"max_presolve_iterations": 1}


@dataclass(frozen=True)
class Cost:
    """A named objective term's value in a solution: who paid what for which rule."""

    rule: str
    resident: str | None
    detail: str
    cost: int


@dataclass
class Progress:
    """A better schedule found: when, its objective and the bound at that moment, and (when
    the solve reports its progress as it goes) its objective terms summed by rule."""

    wall_s: float
    objective: float
    bound: float
    costs: dict[str, int] = field(default_factory=dict)


@dataclass
class Result:
    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN, MODEL_INVALID
    schedule: Schedule
    objective: float | None
    bound: float | None
    first_feasible_s: float | None
    best_s: float | None
    wall_s: float
    workers: int
    costs: list[Cost] = field(default_factory=list)
    progress: list[Progress] = field(default_factory=list)
    strategy: str = "cp-sat"  # which of the portfolio's strategies found it

    @property
    def feasible(self) -> bool:
        return self.status in ("OPTIMAL", "FEASIBLE")

    @property
    def gap(self) -> float | None:
        if self.objective is None or self.bound is None:
            return None
        if self.status == "OPTIMAL":
            return 0.0
        return abs(self.objective - self.bound) / max(1.0, abs(self.objective))


class _Recorder(cp_model.CpSolverSolutionCallback):
    """Records each better schedule; with a listener (``on_progress``), also what each rule
    costs in it (the ``terms``' values summed by rule: one pass over the terms, only on a
    new solution)."""

    def __init__(
        self,
        offset: int,
        t0: float,
        on_progress: Callable[[Progress], None] | None,
        terms: Sequence[Term] = (),
        constants: Mapping[str, int] | None = None,
    ):
        super().__init__()
        self.offset, self.t0, self.on_progress = offset, t0, on_progress
        self.terms = terms if on_progress is not None else ()
        # each rule's constant part (the equity term is shifted by its lowest value)
        self.constants = dict(constants or {})
        self.progress: list[Progress] = []

    def _costs(self) -> dict[str, int]:
        out = {rule: c for rule, c in self.constants.items() if c}
        for t in self.terms:
            v = self.value(t.var)
            if v:
                out[t.rule] = out.get(t.rule, 0) + t.coef * int(v)
        return out

    def on_solution_callback(self) -> None:
        p = Progress(
            time.perf_counter() - self.t0,
            self.objective_value + self.offset,
            self.best_objective_bound + self.offset,
            self._costs(),
        )
        self.progress.append(p)
        if self.on_progress:
            self.on_progress(p)


def schedule_of(ctx: Ctx, solver: cp_model.CpSolver) -> Schedule:
    rm = ctx.problem.rotation_map()
    out: Schedule = {r.id: {} for r in ctx.problem.residents}
    for (r, k, b), v in ctx.start.items():
        if solver.boolean_value(v):
            for bb in range(b, b + rm[k].length):
                out[r][bb] = k
    return out


def _starts_of(ctx: Ctx, schedule: Schedule) -> dict[int, int]:
    """The start literals' values (by variable index) for a schedule: a stint starts where a
    run of its rotation starts, and again every ``length`` blocks along the run."""
    rm = ctx.problem.rotation_map()
    out = {}
    for (r, k, b), v in ctx.start.items():
        row = schedule.get(r, {})
        on = row.get(b) == k
        if on:
            first = b
            while row.get(first - 1) == k:
                first -= 1
            on = (b - first) % rm[k].length == 0
        out[v.index] = int(on)
    return out


def add_hint(ctx: Ctx, schedule: Schedule) -> None:
    """Hint the start variables with a (possibly partial) schedule."""
    for (r, k, b), v in ctx.start.items():
        ctx.model.add_hint(
            v, schedule.get(r, {}).get(b) == k and schedule.get(r, {}).get(b - 1) != k
        )


def add_complete_hint(ctx: Ctx, schedule: Schedule, time_limit: float) -> bool:
    """Hint every variable: the schedule's start literals, and the auxiliary variables (counts,
    sequences, worst score ...) at their best values for it, found by solving the model
    with the start literals fixed. A complete hint lets CP-SAT start from the schedule
    at once; returns False (and hints the starts only) when that solve fails."""
    model = ctx.model.clone()
    for i, val in _starts_of(ctx, schedule).items():
        dom = model.proto.variables[i].domain
        dom[0] = dom[1] = val
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = time_limit
    st = solver.solve(model)
    ctx.model.clear_hints()
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        add_hint(ctx, schedule)
        return False
    proto = ctx.model.proto
    proto.solution_hint.vars.extend(range(len(proto.variables)))
    proto.solution_hint.values.extend(solver.response_proto.solution)
    return True


@contextlib.contextmanager
def _stopping(solver: cp_model.CpSolver, stop: threading.Event | None) -> Iterator[None]:
    """While the block runs, a thread that stops ``solver`` once ``stop`` is set."""
    if stop is None:
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if stop.wait(0.1):
                solver.stop_search()
                return

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def run_model(
    ctx: Ctx,
    objective: Expr | None,
    time_limit: float,
    workers: int,
    on_progress: Callable[[Progress], None] | None = None,
    log: bool = False,
    offset: int | None = None,
    params: dict[str, object] | None = None,
    stop: threading.Event | None = None,
) -> tuple[cp_model.CpSolver, Result]:
    """Solve ``ctx``'s model; ``stop``, once set (from another thread), ends the search
    with the best schedule found so far (status FEASIBLE), as a time limit would."""
    if objective is not None:
        ctx.model.minimize(objective)
    off = ctx.offset if offset is None else offset
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.log_search_progress = log
    for key, val in (params or {}).items():
        if isinstance(val, list):
            getattr(solver.parameters, key).extend(val)
        else:
            setattr(solver.parameters, key, val)
    t0 = time.perf_counter()
    rec = _Recorder(off, t0, on_progress, ctx.terms, ctx.offsets)
    with _stopping(solver, stop):
        status = solver.solve(ctx.model, rec)
    wall = time.perf_counter() - t0
    name = solver.status_name(status)
    feasible = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    res = Result(
        status=name,
        schedule=schedule_of(ctx, solver) if feasible else {},
        objective=solver.objective_value + off if feasible else None,
        bound=solver.best_objective_bound + off if feasible else None,
        first_feasible_s=rec.progress[0].wall_s if rec.progress else None,
        best_s=rec.progress[-1].wall_s if rec.progress else None,
        wall_s=wall,
        workers=workers,
        progress=rec.progress,
    )
    if feasible:
        res.costs = [
            Cost(t.rule, t.resident, t.detail, t.coef * int(solver.value(t.var)))
            for t in ctx.terms
            if solver.value(t.var)
        ] + [Cost(rule, None, "constant", c) for rule, c in ctx.offsets.items() if c]
    return solver, res


def solve(
    problem: Problem,
    time_limit: float = 30.0,
    workers: int = 2,
    hint: Schedule | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    log: bool = False,
    params: dict[str, object] | None = None,
    complete_hint: bool = False,
    stop: threading.Event | None = None,
) -> Result:
    """Minimize the weighted named terms under every hard rule. ``params`` are extra
    CP-SAT parameters (lists are appended to repeated fields); by default presolve is kept
    to one iteration, which on demo-size programs halves the time to a first schedule.
    ``complete_hint``: hint the auxiliary variables too (see ``add_complete_hint``), for a
    ``hint`` that is a whole feasible schedule."""
    if params is None:
        params = dict(FAST_PRESOLVE)
    t0 = time.perf_counter()  # the time limit counts building the model too
    ctx = build(problem)
    obj = objective_expr(ctx)
    if hint and complete_hint:
        ctx.model.minimize(obj)
        add_complete_hint(ctx, hint, max(0.05, time_limit / 4))
    elif hint:
        add_hint(ctx, hint)
    left = max(0.05, time_limit - (time.perf_counter() - t0))
    _, res = run_model(ctx, obj, left, workers, on_progress, log, params=params, stop=stop)
    return res


# -- infeasibility ---------------------------------------------------------------------------
@dataclass
class Explanation:
    feasible: bool
    conflicts: list[str]  # plain-language statements that cannot all hold together
    keys: list[str]  # the rule-group keys behind them


def _feasible_with(ctx: Ctx, keys: Sequence[str], time_limit: float) -> bool | None:
    ctx.model.clear_assumptions()
    ctx.model.add_assumptions([ctx.guards[k].literal for k in keys])
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 1
    st = solver.solve(ctx.model)
    if st == cp_model.INFEASIBLE:
        return False
    if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return True
    return None


def explain(problem: Problem, time_limit: float = 10.0, step_limit: float = 2.0) -> Explanation:
    """The smallest set of hard rule groups and approved requests that cannot hold together:
    an assumption literal per group, CP-SAT's sufficient assumptions for infeasibility, then
    deletion-based shrinking to a minimal subset."""
    ctx = build(problem, explain=True)
    keys = list(ctx.guards)
    ctx.model.add_assumptions([ctx.guards[k].literal for k in keys])
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 1
    st = solver.solve(ctx.model)
    if st != cp_model.INFEASIBLE:
        return Explanation(st in (cp_model.OPTIMAL, cp_model.FEASIBLE), [], [])
    lit_to_key = {ctx.guards[k].literal.index: k for k in keys}
    core = [
        lit_to_key[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in lit_to_key
    ]
    if not core:
        core = keys
    i = 0
    while i < len(core):
        trial = core[:i] + core[i + 1 :]
        if _feasible_with(ctx, trial, step_limit) is False:
            core = trial
        else:
            i += 1
    return Explanation(False, [ctx.guards[k].message for k in core], core)


# -- repair ----------------------------------------------------------------------------------
def _changes_expr(ctx: Ctx, published: Schedule, from_block: int) -> Expr:
    terms: list[Expr] = []
    const = 0
    for res in ctx.problem.residents:
        pub = published.get(res.id, {})
        for b in ctx.problem.blocks:
            if b < from_block:
                continue
            k = pub.get(b)
            if k is None:
                terms.extend(v for _, v in ctx.by_rb.get((res.id, b), ()))
            else:
                v = ctx.x.get((res.id, b, k))
                if v is None:
                    const += 1
                else:
                    terms.append(1 - v)
    return cp_model.LinearExpr.sum(terms) + const


def fix_past(ctx: Ctx, published: Schedule, before: int) -> None:
    for res in ctx.problem.residents:
        pub = published.get(res.id, {})
        for b in range(min(before, ctx.problem.calendar.n_blocks)):
            for k, v in ctx.by_rb.get((res.id, b), ()):
                ctx.model.add(v == (1 if pub.get(b) == k else 0))


@dataclass
class Repair:
    result: Result
    changes: int  # future (resident, block) assignments that differ from the published one


def repair(
    problem: Problem,
    published: Schedule,
    from_block: int,
    time_limit: float = 30.0,
    workers: int = 2,
) -> Repair:
    """Re-solve from ``from_block`` on: blocks before it stay as published; first minimize the
    number of changed future assignments, then the usual objective at that many changes."""
    ctx = build(problem)
    fix_past(ctx, published, from_block)
    changes = _changes_expr(ctx, published, from_block)
    add_hint(ctx, published)
    _, first = run_model(ctx, changes, time_limit / 2, workers, offset=0)
    if not first.feasible or first.objective is None:
        return Repair(first, -1)
    best = round(first.objective)
    ctx2 = build(problem)
    fix_past(ctx2, published, from_block)
    ctx2.model.add(_changes_expr(ctx2, published, from_block) <= best)
    add_hint(ctx2, first.schedule)
    _, second = run_model(ctx2, objective_expr(ctx2), time_limit / 2, workers)
    if not second.feasible:
        return Repair(first, best)
    n = sum(
        1
        for r in problem.residents
        for b in problem.blocks
        if b >= from_block and published.get(r.id, {}).get(b) != second.schedule[r.id].get(b)
    )
    return Repair(second, n)


# -- alternatives ----------------------------------------------------------------------------
def alternatives(
    problem: Problem,
    n: int = 3,
    within_pct: float = 5.0,
    min_diff: int = 1,
    time_limit: float = 10.0,
    workers: int = 2,
) -> list[Result]:
    """Up to ``n`` different good schedules: the best, then schedules whose objective is within
    ``within_pct`` % of it and that differ from every earlier one in >= ``min_diff`` cells."""
    first = solve(problem, time_limit, workers)
    if not first.feasible or first.objective is None:
        return [first]
    out = [first]
    slack = abs(first.objective) * within_pct / 100.0
    limit = int(first.objective + slack)
    while len(out) < n:
        ctx = build(problem)
        obj = objective_expr(ctx)
        ctx.model.add(obj + ctx.offset <= limit)
        for prev in out:
            same = [v for (r, b, k), v in ctx.x.items() if prev.schedule.get(r, {}).get(b) == k]
            total = sum(len(s) for s in prev.schedule.values())
            ctx.model.add(total - cp_model.LinearExpr.sum(same) >= min_diff)
        _, res = run_model(ctx, obj, time_limit, workers)
        if not res.feasible:
            break
        out.append(res)
    return out
