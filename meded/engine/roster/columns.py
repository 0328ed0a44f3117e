"""Column generation: a roster as one whole-horizon schedule (a "column") per person.

Most roster rules are per person; only cover couples people. The master problem picks one
schedule per person from a pool so that cover costs plus the people's own soft costs are
least. Its linear relaxation (GLOP, kept between solves) prices the cover cells: a cell's
dual value says what one more person on it is worth. Each person's own model (their rules,
requests and pins: :func:`meded.engine.roster.rules.build_model` on a one-person problem)
then finds the schedule whose own cost minus the value of the cells it works is least; one
that beats the person's dual joins the pool. Rounds repeat until nobody has a better
schedule: the relaxation is then a lower bound on every roster (on the Curtois & Qu
instances it equals or nearly equals the optimum).

A roster comes from a dive: fix people's days (a shift, or off) where the relaxation is
surest, re-price, and repeat until the relaxation picks a single schedule for everybody.
A step that makes the relaxation worse is undone and retried with fewer days fixed. Or the
days the relaxation is sure of (:meth:`ColumnGeneration.sure_days`, also of relaxations
with their costs shaken) bound neighbourhoods the full model searches (the roster solver's
guided neighbourhoods).

Fairness (the spread, most minus fewest, of a count among people) is in the master too: each
rule has two free variables ``hi`` and ``lo`` with ``hi >= count_p >= lo`` for each of its
people (``count_p`` the person's columns' counts, weighted by their values) and costs
``weight * (hi - lo)``: the linear relaxation of :func:`meded.engine.roster.rules.add_fairness`.
The duals of those rows price the count in each person's own model (a linear term on their
nights, weekends, holidays or calls), so the relaxation, once converged, is still a lower
bound on every roster, and a dive's roster (one column per person) costs exactly the
relaxation's objective. :func:`applies` says when to use it.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from meded.engine.roster.construct import one_person
from meded.engine.roster.problem import CoverRequirement, Fairness, Roster, RosterProblem
from meded.engine.roster.rules import RosterModel, build_model

#: duals are fractional; the pricing objective is integral: scaled by this, then rounded
PRICE_SCALE = 1000
#: cost per person of breaking a hard cover limit in the relaxation (keeps it feasible while
#: the pool is small; a solution that pays it is not a roster)
ARTIFICIAL_COST = 1_000_000

#: a relaxation value at least this is taken as 1
SURE = 0.999
#: the later dives of :meth:`ColumnGeneration.dives` add up to this to each day's value
#: before choosing which to fix
DIVE_NOISE = 0.1

Column = tuple[tuple[int, str], ...]


def fairness_rules(problem: RosterProblem) -> list[Fairness]:
    """The fairness rules that cost something (the ones
    :func:`~meded.engine.roster.rules.add_fairness` models: two people or more, a weight)."""
    return [f for f in problem.fairness if len(f.persons) >= 2 and f.weight]


@dataclass(frozen=True)
class Counter:
    """Counts a schedule's nights, weekends, holidays and calls, as the model does: a night
    or call is a shift so marked, a weekend counts once when either of its days is worked, a
    holiday is a day of ``RosterProblem.holidays`` worked."""

    nights: frozenset[str]
    calls: frozenset[str]
    weekend_of: dict[int, int]
    holidays: frozenset[int]
    n_weekends: int
    horizon: int

    @classmethod
    def of(cls, problem: RosterProblem) -> Counter:
        weekend_of = {d: w for w, days in enumerate(problem.weekends()) for d in days}
        return cls(
            nights=frozenset(s.id for s in problem.shifts if s.night),
            calls=frozenset(s.id for s in problem.shifts if s.in_house_call),
            weekend_of=weekend_of,
            holidays=frozenset(d for d in problem.holidays if d < problem.horizon),
            n_weekends=len(problem.weekends()),
            horizon=problem.horizon,
        )

    def count(self, kind: str, column: Column) -> int:
        if kind == "nights":
            return sum(1 for _d, sid in column if sid in self.nights)
        if kind == "calls":
            return sum(1 for _d, sid in column if sid in self.calls)
        if kind == "weekends":
            return len({self.weekend_of[d] for d, _sid in column if d in self.weekend_of})
        if kind == "holidays":
            return sum(1 for d, _sid in column if d in self.holidays)
        raise ValueError(f"unknown fairness kind {kind!r}")

    def most(self, kind: str) -> int:
        """The largest count of ``kind`` a schedule can have."""
        if kind == "weekends":
            return self.n_weekends
        if kind == "holidays":
            return len(self.holidays)
        return self.horizon


def rounding_margin(problem: RosterProblem, multiplicity: Mapping[str, int] | None = None) -> float:
    """How far below zero a reduced cost the pricing calls zero may be, summed over
    everybody's schedules: each dual is rounded to ``1 / PRICE_SCALE``, a schedule works one
    cell a day and counts each fairness kind at most :meth:`Counter.most` times. A person
    standing for ``multiplicity[id]`` alike counts that many times."""
    counter = Counter.of(problem)
    kinds = {f.kind for f in fairness_rules(problem)}
    per_person = problem.horizon + sum(counter.most(k) for k in kinds)
    people = sum((multiplicity or {}).get(p.id, 1) for p in problem.persons)
    return people * per_person / (2 * PRICE_SCALE)


@dataclass
class _Person:
    """One person's pricing model."""

    rm: RosterModel
    own: cp_model.LinearExprT
    #: (day, shift) -> assignment variable
    cells: dict[tuple[int, str], cp_model.IntVar]
    #: days fixed by a dive: day -> shift worked (None: off)
    fixed: dict[int, str | None] = field(default_factory=dict)
    #: fairness kind -> the person's count of it in their model (the kinds of their rules)
    counts: dict[str, cp_model.LinearExprT] = field(default_factory=dict)


@dataclass
class Pool:
    """Columns per person with their own cost."""

    columns: dict[str, dict[Column, int]] = field(default_factory=dict)

    def add(self, pid: str, column: Column, cost: int) -> bool:
        mine = self.columns.setdefault(pid, {})
        if column in mine:
            return False
        mine[column] = cost
        return True


@dataclass
class Relaxation:
    """One solve of the master's relaxation."""

    objective: float
    #: dual value of one more person on (day, shift), and of each person's "one column" row
    cell_duals: dict[tuple[int, str], float]
    person_duals: dict[str, float]
    #: the columns' values (only those above zero)
    values: dict[tuple[str, Column], float] = field(default_factory=dict)
    #: person -> fairness kind -> dual value of one more of that kind in their schedule (the
    #: duals of the fairness rows: a column's reduced cost loses this times its count)
    count_duals: dict[str, dict[str, float]] = field(default_factory=dict)
    #: the counts of each column the duals price (from :class:`Counter`)
    counter: Counter | None = None

    def reduced_cost(self, pid: str, column: Column, cost: float) -> float:
        """The column's reduced cost: its own cost minus the duals of what it covers, counts
        and of its person's "one column" row."""
        value = sum(self.cell_duals.get(cell, 0.0) for cell in column)
        duals = self.count_duals.get(pid, {})
        if duals and self.counter is not None:
            value += sum(v * self.counter.count(k, column) for k, v in duals.items())
        return cost - value - self.person_duals[pid]


def person_models(problem: RosterProblem) -> dict[str, _Person]:
    """Each person's own model: a one-person problem with no cover."""
    out: dict[str, _Person] = {}
    kinds: dict[str, set[str]] = {}
    for f in fairness_rules(problem):
        for pid in f.persons:
            kinds.setdefault(pid, set()).add(f.kind)
    for person in problem.persons:
        rm = build_model(one_person(problem, person, ()))
        own = rm.objective() if rm.penalties else 0
        cells = {(d, s): var for (_pid, d, s), var in rm.x.items()}
        counts = {k: _count_expr(rm, person.id, k) for k in sorted(kinds.get(person.id, ()))}
        out[person.id] = _Person(rm, own, cells, counts=counts)
    return out


def _count_expr(rm: RosterModel, pid: str, kind: str) -> cp_model.LinearExprT:
    """The person's count of a fairness kind in their own model, as ``add_fairness`` has it."""
    p = rm.problem
    if kind == "nights":
        return sum(rm.x[pid, d, s.id] for d in range(p.horizon) for s in p.shifts if s.night)
    if kind == "calls":
        return sum(
            rm.x[pid, d, s.id] for d in range(p.horizon) for s in p.shifts if s.in_house_call
        )
    if kind == "weekends":
        return sum(rm.weekend[pid, w] for w in range(len(p.weekends())))
    if kind == "holidays":
        return sum(rm.work[pid, d] for d in sorted(p.holidays) if d < p.horizon)
    raise ValueError(f"unknown fairness kind {kind!r}")


def own_cost(problem: RosterProblem, pid: str, column: Column) -> int:
    """The person's own soft cost of a schedule: their unmet requests (the only soft rule of
    :mod:`meded.engine.roster.rules` on one person; a test holds this to the person model)."""
    worked = dict(column)
    cost = 0
    for r in problem.requests:
        if r.person != pid:
            continue
        if (worked.get(r.day) == r.shift) != r.on:
            cost += r.weight
    return cost


def _day_values(
    columns: list[tuple[Column, float]], horizon: int
) -> dict[tuple[int, str | None], float]:
    """One person's relaxation value per (day, shift worked or None), from their columns'."""
    y: dict[tuple[int, str | None], float] = {}
    for column, v in columns:
        worked = dict(column)
        for d in range(horizon):
            key = (d, worked.get(d))
            y[key] = y.get(key, 0.0) + v
    return y


def _scaled_reduced_cost(
    person: _Person, relaxation: Relaxation
) -> tuple[cp_model.LinearExprT, int]:
    """``PRICE_SCALE`` times the person's own cost minus the cells' and counts' duals
    (rounded to whole numbers: CP-SAT's objective is integral), i.e. their reduced cost
    scaled, but for their own dual; and how many units the roundings can be off by, twice
    (each rounding is off by half a unit at most, once per cell, a count's as many times as
    the count can be)."""
    duals = relaxation.cell_duals
    terms: list[tuple[cp_model.LinearExprT, int]] = [
        (var, round(PRICE_SCALE * duals[cell]))
        for cell, var in person.cells.items()
        if cell in duals
    ]
    priced = len(terms)
    for kind, dual in relaxation.count_duals.get(_pid_of(person), {}).items():
        if kind in person.counts:
            terms.append((person.counts[kind], round(PRICE_SCALE * dual)))
            counter = relaxation.counter
            priced += counter.most(kind) if counter is not None else person.rm.problem.horizon
    value = cp_model.LinearExpr.weighted_sum([var for var, _c in terms], [c for _v, c in terms])
    return cp_model.LinearExpr.weighted_sum([person.own, value], [PRICE_SCALE, -1]), priced


def _pid_of(person: _Person) -> str:
    return person.rm.problem.persons[0].id


def _schedules(problem: RosterProblem, roster: Roster) -> list[tuple[str, Column, int]]:
    """Each person's schedule in ``roster`` as a column, with its own cost."""
    out = []
    for person in problem.persons:
        column = tuple(sorted(roster.get(person.id, {}).items()))
        out.append((person.id, column, own_cost(problem, person.id, column)))
    return out


def _cover_rows(
    lp: pywraplp.Solver, c: CoverRequirement, objective: pywraplp.Objective
) -> list[pywraplp.Constraint]:
    """The relaxation's rows of one cover requirement (each gets the count's coefficients);
    a hard limit gets a slack at ``ARTIFICIAL_COST``. No variable has an upper bound (none
    is needed: the person rows and the costs keep them in range), so that at the optimum
    every reduced cost is at least zero (see :meth:`ColumnGeneration.fixed_days`)."""
    rows: list[pywraplp.Constraint] = []
    inf = lp.infinity()
    if c.minimum > 0:
        row = lp.Constraint(c.minimum, inf)
        slack = lp.NumVar(0, inf, "")
        row.SetCoefficient(slack, 1)
        weight = c.minimum_weight if c.minimum_weight is not None else ARTIFICIAL_COST
        objective.SetCoefficient(slack, weight)
        rows.append(row)
    if c.maximum is not None:
        row = lp.Constraint(-inf, c.maximum)
        slack = lp.NumVar(0, inf, "")
        row.SetCoefficient(slack, -1)
        weight = c.maximum_weight if c.maximum_weight is not None else ARTIFICIAL_COST
        objective.SetCoefficient(slack, weight)
        rows.append(row)
    if c.target is not None and (c.under_weight or c.over_weight):
        row = lp.Constraint(c.target, c.target)
        under = lp.NumVar(0, inf, "")
        over = lp.NumVar(0, inf, "")
        row.SetCoefficient(under, 1)
        row.SetCoefficient(over, -1)
        objective.SetCoefficient(under, c.under_weight)
        objective.SetCoefficient(over, c.over_weight)
        rows.append(row)
    return rows


class MasterLp:
    """The master's linear relaxation (GLOP), kept between solves: new columns join it; a
    day fixed by a dive switches off the person's columns that disagree with it.

    ``multiplicity`` lets one person stand for that many people alike (same rules, days off,
    requests and pins): their columns' values then add up to that many, not one. Only for a
    relaxation without fairness (:mod:`meded.engine.roster.bound`): a fairness row is per
    person."""

    def __init__(
        self, problem: RosterProblem, multiplicity: Mapping[str, int] | None = None
    ) -> None:
        self.problem = problem
        self.lp = pywraplp.Solver.CreateSolver("GLOP")
        self.objective = self.lp.Objective()
        self.cell_rows: dict[tuple[int, str], list[pywraplp.Constraint]] = {}
        for c in problem.cover:
            rows = _cover_rows(self.lp, c, self.objective)
            self.cell_rows.setdefault((c.day, c.shift), []).extend(rows)
        many = multiplicity or {}
        if any(n != 1 for n in many.values()) and fairness_rules(problem):
            raise ValueError("people stand for several only without fairness")
        self.person_rows = {
            person.id: self.lp.Constraint(many.get(person.id, 1), many.get(person.id, 1))
            for person in problem.persons
        }
        # fairness: hi >= count_p >= lo for each person p of the rule, weight * (hi - lo);
        # hi and lo are free (no bound to sit at), so no reduced cost of theirs is below zero
        self.counter = Counter.of(problem)
        self.fair_rows: dict[str, list[tuple[str, pywraplp.Constraint, pywraplp.Constraint]]]
        self.fair_rows = {}
        inf = self.lp.infinity()
        for f in fairness_rules(problem):
            hi = self.lp.NumVar(-inf, inf, "")
            lo = self.lp.NumVar(-inf, inf, "")
            self.objective.SetCoefficient(hi, f.weight)
            self.objective.SetCoefficient(lo, -f.weight)
            for pid in f.persons:
                above = self.lp.Constraint(0, inf)  # hi - count_p >= 0
                above.SetCoefficient(hi, 1)
                below = self.lp.Constraint(0, inf)  # count_p - lo >= 0
                below.SetCoefficient(lo, -1)
                self.fair_rows.setdefault(pid, []).append((f.kind, above, below))
        self.objective.SetMinimization()
        self.lam: dict[tuple[str, Column], pywraplp.Variable] = {}
        self.fixed_cells: dict[str, dict[int, str | None]] = {}

    def add(self, pid: str, column: Column, cost: int) -> None:
        if (pid, column) in self.lam:
            return
        var = self.lp.NumVar(0, self.lp.infinity(), "")  # at most 1 (or the multiplicity)
        self.lam[pid, column] = var
        self.objective.SetCoefficient(var, cost)
        self.person_rows[pid].SetCoefficient(var, 1)
        for cell in column:
            for row in self.cell_rows.get(cell, ()):
                row.SetCoefficient(var, 1)
        for kind, above, below in self.fair_rows.get(pid, ()):
            n = self.counter.count(kind, column)
            if n:
                above.SetCoefficient(var, above.GetCoefficient(var) - n)
                below.SetCoefficient(var, below.GetCoefficient(var) + n)
        cells = self.fixed_cells.get(pid)
        if cells:
            worked = dict(column)
            if any(worked.get(d) != sid for d, sid in cells.items()):
                var.SetUb(0)

    def fix_cell(self, pid: str, day: int, shift: str | None) -> None:
        """Only columns of ``pid`` that work ``shift`` on ``day`` (None: off) stay."""
        self.fixed_cells.setdefault(pid, {})[day] = shift
        for (q, col), var in self.lam.items():
            if q == pid and dict(col).get(day) != shift:
                var.SetUb(0)

    def unfix_cells(self, cells: list[tuple[str, int]]) -> None:
        """Undo :meth:`fix_cell` for these (person, day) pairs."""
        people = {pid for pid, _d in cells}
        for pid, d in cells:
            self.fixed_cells.get(pid, {}).pop(d, None)
        for (q, col), var in self.lam.items():
            if q in people:
                worked = dict(col)
                ok = all(worked.get(d) == sid for d, sid in self.fixed_cells.get(q, {}).items())
                var.SetUb(self.lp.infinity() if ok else 0)

    def solve(self) -> Relaxation | None:
        if self.lp.Solve() != pywraplp.Solver.OPTIMAL:
            return None
        cell_duals = {
            cell: sum(r.dual_value() for r in rows) for cell, rows in self.cell_rows.items()
        }
        person_duals = {pid: row.dual_value() for pid, row in self.person_rows.items()}
        # a column's coefficient is -count in the "above" row and +count in the "below" one
        count_duals: dict[str, dict[str, float]] = {}
        for pid, rows in self.fair_rows.items():
            mine = count_duals.setdefault(pid, {})
            for kind, above, below in rows:
                mine[kind] = mine.get(kind, 0.0) + below.dual_value() - above.dual_value()
        values = {}
        for key, var in self.lam.items():
            v = var.solution_value()
            if v > 1e-9:
                values[key] = v
        return Relaxation(
            self.objective.Value(),
            cell_duals,
            person_duals,
            values,
            count_duals=count_duals,
            counter=self.counter,
        )


class _Collect(cp_model.CpSolverSolutionCallback):
    def __init__(self, person: _Person) -> None:
        super().__init__()
        self.person = person
        self.found: list[tuple[Column, int]] = []

    def on_solution_callback(self) -> None:
        column = tuple(sorted(cell for cell, var in self.person.cells.items() if self.value(var)))
        self.found.append((column, int(self.value(self.person.own))))


def price(
    person: _Person,
    pid: str,
    relaxation: Relaxation,
    time_limit: float,
    seed: int,
) -> tuple[list[tuple[Column, int, float]], bool]:
    """Schedules of ``pid`` with a negative reduced cost (column, own cost, reduced cost),
    best first, and whether the search was complete (none better exists)."""
    person.rm.model.minimize(_scaled_reduced_cost(person, relaxation)[0])
    proto = person.rm.model.proto
    saved = []
    for (d, sid), var in person.cells.items():
        if d in person.fixed:
            dom = proto.variables[var.index].domain
            saved.append((dom, list(dom)))
            v = int(person.fixed[d] == sid)
            dom.clear()
            dom.extend([v, v])
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    solver.parameters.max_time_in_seconds = max(0.01, time_limit)
    # the person models' LP with cuts: measured on Curtois & Qu Instance13, 0.10 s median
    # to a proven best schedule against 0.17 s with the default
    solver.parameters.linearization_level = 2
    collect = _Collect(person)
    status = solver.solve(person.rm.model, collect)
    for dom, old in saved:
        dom.clear()
        dom.extend(old)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return [], status == cp_model.INFEASIBLE
    out = []
    # the last few schedules found are the best; more than one column per call speeds up
    # the rounds
    for column, cost in collect.found[-3:]:
        reduced = relaxation.reduced_cost(pid, column, cost)
        if reduced < -1e-6:
            out.append((column, cost, reduced))
    out.sort(key=lambda t: t[2])
    return out, status == cp_model.OPTIMAL


class ColumnGeneration:
    """Pricing rounds over a :class:`MasterLp`, and a dive from its relaxation to a roster."""

    def __init__(
        self,
        problem: RosterProblem,
        pool: Pool,
        workers: int = 2,
        seed: int = 0,
        price_seconds: float = 0.5,
        batch_size: int = 24,
        multiplicity: Mapping[str, int] | None = None,
    ) -> None:
        self.problem = problem
        self.pool = pool
        self.workers = max(1, workers)
        self.seed = seed
        self.price_seconds = price_seconds
        self.batch_size = batch_size
        self.people = person_models(problem)
        self.lp = MasterLp(problem, multiplicity)
        for pid, columns in pool.columns.items():
            for column, cost in columns.items():
                self.lp.add(pid, column, cost)
        self.order = [person.id for person in problem.persons]
        self.at = 0
        self.relaxation = self.lp.solve()
        #: the relaxation is a lower bound on every roster (the last pass over everybody
        #: proved that no person has a better column)
        self.proven = False
        self.multiplicity = dict(multiplicity or {})
        #: the best Lagrangian bound seen (before the rounding margin): a batch that priced
        #: everybody exactly against one relaxation bounds every roster by its objective plus
        #: each person's least reduced cost (times their multiplicity), converged or not
        self.lagrangian: float | None = None

    def _price_batch(self, pids: list[str], deadline: float, rel: Relaxation) -> tuple[int, bool]:
        """Price ``pids`` on ``workers`` threads; the columns added, and whether every
        pricing was solved to optimality."""
        lock = threading.Lock()
        queue = list(pids)
        added = 0
        exact = True
        least: dict[str, float] = {}

        def work() -> None:
            nonlocal added, exact
            while True:
                with lock:
                    if not queue or time.perf_counter() >= deadline:
                        if queue:
                            exact = False
                        return
                    pid = queue.pop()
                found, optimal = price(self.people[pid], pid, rel, self.price_seconds, self.seed)
                with lock:
                    exact = exact and optimal
                    least[pid] = min((rc for _c, _k, rc in found), default=0.0)
                    for column, cost, _rc in found:
                        if self.pool.add(pid, column, cost):
                            self.lp.add(pid, column, cost)
                            added += 1

        threads = [threading.Thread(target=work) for _ in range(self.workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if exact and len(least) == len(self.order):
            value = rel.objective + sum(
                self.multiplicity.get(pid, 1) * min(0.0, rc) for pid, rc in least.items()
            )
            if self.lagrangian is None or value > self.lagrangian:
                self.lagrangian = value
        return added, exact

    def converge(self, deadline: float, min_gain: float = 0.0) -> Relaxation | None:
        """Price everybody, a batch at a time with the relaxation re-solved after each
        (measured on Instance13: much faster to the bound than whole rounds), until a whole
        pass adds nothing (then :attr:`proven` when no day is fixed and every pricing was
        exact), a pass that lowers the relaxation by less than ``min_gain`` (when above
        zero), or ``deadline``."""
        quiet = 0  # people priced in a row without a better column
        exact_run = True
        priced = 0
        self.proven = False
        pass_start = self.relaxation.objective if self.relaxation is not None else 0.0
        while self.relaxation is not None and time.perf_counter() < deadline:
            people = self.order
            batch = max(self.workers, min(len(people), self.batch_size))
            self.at %= len(people)
            pids = [people[(self.at + i) % len(people)] for i in range(batch)]
            self.at += batch
            added, exact = self._price_batch(pids, deadline, self.relaxation)
            priced += batch
            if added:
                quiet, exact_run = 0, True
                self.relaxation = self.lp.solve()
            else:
                quiet += batch
                exact_run = exact_run and exact
            if quiet >= len(people):
                self.proven = exact_run and not any(self.lp.fixed_cells.values())
                return self.relaxation
            if min_gain > 0 and priced >= len(people) and self.relaxation is not None:
                if pass_start - self.relaxation.objective < min_gain:
                    return self.relaxation
                pass_start, priced = self.relaxation.objective, 0
        return self.relaxation

    def dive(
        self, deadline: float, share: float = 0.1, rng: random.Random | None = None
    ) -> Roster | None:
        """Fix people's days (a shift or a day off) a few at a time, from the relaxation's
        surest ones: every day whose value is 1, then the largest fractional ones (one per
        person, ``share`` of the people still fractional; ``rng`` shakes their order a
        little), re-pricing after each step, until the relaxation picks one column per
        person; that roster (its cost is then the relaxation's objective), or None when time
        runs out first."""
        lp = self.lp
        while self.relaxation is not None and time.perf_counter() < deadline:
            per: dict[str, list[tuple[Column, float]]] = {}
            for (pid, col), v in self.relaxation.values.items():
                per.setdefault(pid, []).append((col, v))
            fractional = [
                pid
                for pid in self.order
                if max((v for _c, v in per.get(pid, [])), default=0.0) < SURE
            ]
            if not fractional:
                roster: Roster = {}
                for pid, cols in per.items():
                    roster[pid] = dict(max(cols, key=lambda cv: cv[1])[0])
                return roster
            choices: list[tuple[float, str, int, str | None]] = []
            for pid in fractional:
                y = _day_values(per.get(pid, []), self.problem.horizon)
                done = lp.fixed_cells.get(pid, {})
                best = None
                for (d, sid), v in y.items():
                    if d in done:
                        continue
                    if v >= SURE:
                        self._fix_cell(pid, d, sid)
                    elif best is None or v > best[0]:
                        best = (v, pid, d, sid)
                if best is not None:
                    choices.append(best)
            noise = [rng.uniform(0, DIVE_NOISE) if rng else 0.0 for _ in choices]
            order = sorted(range(len(choices)), key=lambda i: -(choices[i][0] + noise[i]))
            choices = [choices[i] for i in order]
            before = self.relaxation.objective
            step = choices[: max(1, round(share * len(fractional)))]
            for _v, pid, d, sid in step:
                self._fix_cell(pid, d, sid)
            self.relaxation = lp.solve()
            # re-price until a pass gains less than half a unit (objectives are whole)
            self.converge(deadline, min_gain=0.5)
            worse = self.relaxation is None or self.relaxation.objective > before + 0.5
            if worse and len(step) > 1:
                # too many at once: undo the step and fix fewer next time
                self._unfix_cells([(pid, d) for _v, pid, d, _s in step])
                self.relaxation = lp.solve()
                share /= 2
            elif not worse:
                share = min(1.0, share * 1.5)
        return None

    def dive_counts(
        self, deadline: float, share: float = 0.2
    ) -> tuple[dict[str, list[Column]] | None, dict[tuple[str, Column], int]]:
        """For people alike (``multiplicity``): fix how many of a kind work a column (the
        least value of its variable), the whole parts of the relaxation's values first (free:
        the relaxation stays as it is), then the largest fractional parts rounded up,
        ``share`` of them at a time, re-pricing after each step, until every value is whole.
        Each kind's columns, as many as it has people (None when time runs out first or the
        result breaks a hard cover limit), and the counts fixed by then (``(person,
        column)``: at least that many; a master with whole numbers can go on from them). The
        relaxation is left as it was (no count fixed), so that it stays a bound.

        Measured on the spans of ``benchmarks/rosters.py`` (120 residents, four kinds of
        person): within 0.1-1.1 % of the relaxation in 1.4-3.5 s, where CP-SAT on the master
        with whole numbers over the same columns ended 8-16 % above it in 2 s and no better
        in 10 s (the columns a relaxation needs are not the ones a whole roster needs; the
        re-pricing after each fix finds those)."""
        lp = self.lp
        many = {p.id: self.multiplicity.get(p.id, 1) for p in self.problem.persons}
        least: dict[tuple[str, Column], int] = {}

        def hold(key: tuple[str, Column], n: int) -> None:
            least[key] = n
            lp.lam[key].SetLb(n)

        out: dict[str, list[Column]] | None = None
        # a relaxation with counts fixed bounds nothing: its rounds' Lagrangian is not kept
        lagrangian = self.lagrangian
        while self.relaxation is not None and time.perf_counter() < deadline:
            values = self.relaxation.values
            fractional = [(key, v) for key, v in values.items() if abs(v - round(v)) > 1e-6]
            if not fractional:
                if self.relaxation.objective < ARTIFICIAL_COST:
                    out = {}
                    for (pid, column), v in values.items():
                        out.setdefault(pid, []).extend([column] * round(v))
                break
            for key, v in values.items():
                n = math.floor(v + 1e-6)
                if n > least.get(key, 0):
                    hold(key, n)
            room = dict(many)
            for (pid, _column), n in least.items():
                room[pid] -= n
            fractional.sort(key=lambda kv: kv[1] - math.floor(kv[1]), reverse=True)
            step: list[tuple[str, Column]] = []
            for key, _v in fractional:
                if len(step) >= max(1, round(share * len(fractional))):
                    break
                if room[key[0]] >= 1:
                    room[key[0]] -= 1
                    step.append(key)
            before = self.relaxation.objective
            for key in step:
                hold(key, least.get(key, 0) + 1)
            self.relaxation = lp.solve()
            # re-price until a pass gains less than half a unit (objectives are whole)
            self.converge(deadline, min_gain=0.5)
            worse = self.relaxation is None or self.relaxation.objective > before + 0.5
            if worse and len(step) > 1:
                # too many at once: undo the step and round up fewer next time
                for key in step:
                    hold(key, least[key] - 1)
                self.relaxation = lp.solve()
                share /= 2
            elif not worse:
                share = min(1.0, share * 1.5)
        for key in least:
            lp.lam[key].SetLb(0)
        self.relaxation = lp.solve()
        self.proven = False
        self.lagrangian = lagrangian
        return out, {key: n for key, n in least.items() if n}

    def dives(self, deadline: float, seed: int = 0, most: int = 1) -> tuple[Roster, float] | None:
        """Up to ``most`` dives until ``deadline`` (the first as :meth:`dive`, the next ones
        with their choices shaken, each starting again from nothing fixed, with the columns
        found so far), while a dive meets no bound and another fits in the time left; the
        cheapest roster and its cost."""
        rng = random.Random(seed)
        best: tuple[Roster, float] | None = None
        bound = self.relaxation.objective if self.proven and self.relaxation else None
        for k in range(most):
            if time.perf_counter() >= deadline:
                break
            began = time.perf_counter()
            roster = self.dive(deadline, rng=rng if k else None)
            if roster is not None and self.relaxation is not None:
                cost = self.relaxation.objective
                if best is None or cost < best[1]:
                    best = (roster, cost)
            if best is not None and bound is not None and best[1] < math.ceil(bound - 1e-6) + 0.5:
                break
            if deadline - time.perf_counter() < 2 * (time.perf_counter() - began):
                break
            self._unfix_cells([(pid, d) for pid, days in self.lp.fixed_cells.items() for d in days])
            self.relaxation = self.lp.solve()
        return best

    def sure_days(
        self, noise: float = 0.0, rng: random.Random | None = None
    ) -> dict[tuple[str, int], str | None] | None:
        """The people's days (person, day) -> shift (None: off) that the relaxation is sure
        of (value at least ``SURE``). With ``noise``, of a relaxation whose column costs
        each carry up to that much more (uniform, from ``rng``): another of the many
        near-optimal relaxations, so another set of sure days; the true costs are put back
        (:attr:`relaxation` stays the true one). None when the LP fails."""
        lp = self.lp
        rel = self.relaxation
        if noise > 0:
            rng = rng or random.Random(self.seed)
            for (pid, column), var in lp.lam.items():
                lp.objective.SetCoefficient(
                    var, self.pool.columns[pid][column] + rng.uniform(0, noise)
                )
            rel = lp.solve()
            for (pid, column), var in lp.lam.items():
                lp.objective.SetCoefficient(var, self.pool.columns[pid][column])
        if rel is None:
            return None
        per: dict[str, list[tuple[Column, float]]] = {}
        for (pid, column), v in rel.values.items():
            per.setdefault(pid, []).append((column, v))
        return {
            (pid, d): sid
            for pid, cols in per.items()
            for (d, sid), v in _day_values(cols, self.problem.horizon).items()
            if v >= SURE
        }

    def fixed_days(self, slack: float, deadline: float) -> dict[tuple[str, int], str | None] | None:
        """The people's days (person, day) -> shift (None: off) on which every schedule of
        that person whose reduced cost is at most ``slack`` agrees, by the current (converged)
        relaxation. At its optimum no reduced cost is below zero, so a roster costs at least
        the relaxation plus the reduced cost of each person's schedule: with ``slack`` the
        distance from the relaxation to a roster's cost, no roster that cheap differs from
        these days (reduced-cost fixing); with a smaller ``slack``, the days the near-optimal
        schedules agree on. Each person's own model finds a schedule within ``slack`` that
        differs on a day not yet seen to vary, until there is none (those days are fixed) or
        ``deadline`` (None then, as for a failed LP)."""
        rel = self.relaxation
        if rel is None:
            return None
        horizon = self.problem.horizon
        per: dict[str, list[Column]] = {}
        for (pid, column), _v in rel.values.items():
            per.setdefault(pid, []).append(column)
        out: dict[tuple[str, int], str | None] = {}
        lock = threading.Lock()
        queue = [person.id for person in self.problem.persons]
        timed_out = False

        def one(pid: str) -> dict[int, str | None] | None:
            person = self.people[pid]
            seen: dict[int, set[str | None]] = {d: set() for d in range(horizon)}
            for column in per.get(pid, ()):
                worked = dict(column)
                for d in range(horizon):
                    seen[d].add(worked.get(d))
            model = person.rm.model.clone()
            model.clear_objective()
            model.clear_hints()
            reduced, priced = _scaled_reduced_cost(person, rel)
            limit = PRICE_SCALE * (slack + rel.person_duals[pid]) + priced / 2  # rounding
            model.add(reduced <= math.floor(limit))
            # a day counts as differing only while it is still a candidate (``active``)
            active: dict[int, cp_model.IntVar] = {}
            differs = []
            for d in range(horizon):
                if len(seen[d]) != 1:
                    continue
                (was,) = seen[d]
                works = [var for (dd, _sid), var in person.cells.items() if dd == d]
                if was is None:
                    moved: cp_model.LinearExprT = sum(works)
                elif (d, was) in person.cells:
                    moved = 1 - person.cells[d, was]
                else:
                    continue
                z = model.new_bool_var("")
                active[d] = model.new_bool_var("")
                model.add(z <= moved)
                model.add(z <= active[d])
                differs.append(z)
            if not differs:
                return {}
            model.add(sum(differs) >= 1)
            proto = model.proto
            while True:
                left = deadline - time.perf_counter()
                if left <= 0:
                    return None
                solver = cp_model.CpSolver()
                solver.parameters.num_workers = 1
                solver.parameters.max_time_in_seconds = left
                status = solver.solve(model)
                if status == cp_model.INFEASIBLE:
                    break
                if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                    return None
                worked = {d: sid for (d, sid), var in person.cells.items() if solver.value(var)}
                for d, var in active.items():
                    seen[d].add(worked.get(d))
                    if len(seen[d]) > 1:
                        dom = proto.variables[var.index].domain
                        dom.clear()
                        dom.extend([0, 0])
            return {d: next(iter(seen[d])) for d in active if len(seen[d]) == 1}

        def work() -> None:
            nonlocal timed_out
            while True:
                with lock:
                    if not queue or timed_out:
                        return
                    pid = queue.pop()
                days = one(pid)
                with lock:
                    if days is None:
                        timed_out = True
                        return
                    for d, sid in days.items():
                        out[pid, d] = sid

        threads = [threading.Thread(target=work) for _ in range(self.workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return None if timed_out else out

    def add_roster(self, roster: Roster) -> None:
        """Put ``roster``'s schedules in the pool and the relaxation (not re-solved)."""
        for pid, column, cost in _schedules(self.problem, roster):
            if self.pool.add(pid, column, cost):
                self.lp.add(pid, column, cost)

    def _unfix_cells(self, cells: list[tuple[str, int]]) -> None:
        self.lp.unfix_cells(cells)
        for pid, d in cells:
            self.people[pid].fixed.pop(d, None)

    def _fix_cell(self, pid: str, day: int, shift: str | None) -> None:
        self.lp.fix_cell(pid, day, shift)
        self.people[pid].fixed[day] = shift


def applies(problem: RosterProblem) -> bool:
    """Column generation applies when there is cover to price; every soft rule is then per
    person, cover or fairness (whose weights must not be negative: a negative one rewards
    spread, which the relaxation's hi and lo would make unbounded; counts carried in from
    outside the problem, ``offsets`` and ``others``, are not priced)."""
    return bool(problem.cover) and all(
        f.weight >= 0 and not f.offsets and not f.others for f in problem.fairness
    )


def start(
    problem: RosterProblem,
    roster: Roster,
    converge_until: float,
    workers: int = 2,
    seed: int = 0,
) -> tuple[ColumnGeneration | None, float | None]:
    """Column generation started from ``roster``'s schedules and converged until
    ``converge_until``. Returns it (None when there was no time to build it) and a proven
    lower bound on every roster (None when the rounds did not finish)."""
    if time.perf_counter() >= converge_until:
        return None, None  # no time: not even the person models are worth building
    pool = Pool()
    for pid, column, cost in _schedules(problem, roster):
        pool.add(pid, column, cost)  # a person off every day has the empty column
    cg = ColumnGeneration(problem, pool, workers=workers, seed=seed)
    relaxation = cg.converge(converge_until)
    # a relaxation of every roster (paying for a broken hard limit only relaxes it more)
    bound = relaxation.objective if relaxation is not None and cg.proven else None
    return cg, bound


def from_roster(
    problem: RosterProblem,
    roster: Roster,
    converge_until: float,
    dive_until: float,
    workers: int = 2,
    seed: int = 0,
    dives: int = 1,
) -> tuple[Roster | None, float | None]:
    """Column generation started from ``roster``'s schedules, converged until
    ``converge_until``, then up to ``dives`` dives until ``dive_until``. Returns the best
    dive's roster (None when none finished; it may break a hard cover limit, the caller
    checks) and a proven lower bound on every roster (None when the rounds did not finish)."""
    cg, bound = start(problem, roster, converge_until, workers, seed)
    if cg is None:
        return None, None
    found = cg.dives(dive_until, seed, dives)
    return (found[0] if found else None), bound
