"""Large-neighbourhood search around the CP-SAT roster model.

CP-SAT's own neighbourhoods are generic; rosters have natural ones: a few people over the whole
horizon, everybody over a few days, the people and days around a costly penalty, or everybody
around one unmet request or cover shortfall together with that request's person. Each step
copies the full model, fixes every assignment outside the neighbourhood to the current roster
and lets CP-SAT re-optimise the rest to optimality (or a short time limit). A step that does not
make the roster worse is kept. Neighbourhood sizes adapt: a step solved to optimality grows the
next one, a step that ran out of time shrinks it. ``workers`` threads search at once, each
with a single-threaded CP-SAT, sharing the best roster. On large problems a neighbourhood of a
few people is solved in a model of those people alone (cover lowered by everybody else's
shifts), which is much cheaper than copying the full model.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from meded.engine.roster.construct import residual_cover
from meded.engine.roster.problem import Pin, Roster
from meded.engine.roster.rules import RosterModel, build_model

#: problems with at least this many assignment variables re-optimise a neighbourhood of a
#: few people in a model of those people alone (see :meth:`Lns._step_people`)
SMALL_MODEL_MIN_ASSIGNMENTS = 10_000

NEIGHBOURHOODS = ("persons", "days", "penalty", "block", "cross")
#: kinds that free everybody on some days (never solved in a model of a few people)
ALL_PEOPLE = ("days", "cross")

#: each step first gets ``STEP_SECONDS`` of CP-SAT; after ``STALL_STEPS`` steps in a row
#: without a better roster the step time doubles (up to ``MAX_STEP_SHARE`` of the time left),
#: so neighbourhoods larger than one second can solve are tried once the small ones are
#: exhausted
STEP_SECONDS = 1.0
STALL_STEPS = 30
MAX_STEP_SHARE = 0.25
#: share of steps whose neighbourhood kind is drawn uniformly; the others follow success rates
EXPLORE = 0.2


@dataclass
class _Kind:
    fraction: float
    tries: int = 0
    gains: int = 0


@dataclass
class LnsState:
    """The best roster so far as 0/1 values of the assignment variables (model order)."""

    values: list[int]
    objective: int
    improved_at: float | None = None
    steps: int = 0
    #: steps since the last better roster, and the CP-SAT time of one step
    stalled: int = 0
    step_seconds: float = STEP_SECONDS
    kinds: dict[str, _Kind] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Lns:
    def __init__(
        self,
        rm: RosterModel,
        values: list[int],
        objective: int,
        deadline: float,
        on_improve: Callable[[int], None] | None = None,
        seed: int = 0,
        lower_bound: float = 0.0,
    ) -> None:
        self.rm = rm
        self.keys = list(rm.x)
        self.vars = [rm.x[k] for k in self.keys]
        p = rm.problem
        self.persons = [person.id for person in p.persons]
        self.horizon = p.horizon
        self.index = {k: i for i, k in enumerate(self.keys)}
        self.cell_vars: dict[tuple[str, int], list[int]] = {}
        for i, (pid, d, _s) in enumerate(self.keys):
            self.cell_vars.setdefault((pid, d), []).append(i)
        self.state = LnsState(values, objective)
        n_cells = len(self.persons) * self.horizon
        start = min(0.5, max(0.01, 60 / max(1, n_cells)))
        self.state.kinds = {k: _Kind(start) for k in NEIGHBOURHOODS}
        self.deadline = deadline
        self.on_improve = on_improve
        self.seed = seed
        self.lower_bound = lower_bound
        self.base = rm.model
        self.started = time.perf_counter()
        self.runs = 0
        # a neighbourhood of a few people is exact in a model of those people alone unless
        # a soft rule spans people (fairness)
        self.small_models = len(self.vars) >= SMALL_MODEL_MIN_ASSIGNMENTS and not p.fairness

    # -- neighbourhoods ------------------------------------------------------------------

    def _cells(self, kind: str, fraction: float, rng: random.Random) -> set[tuple[str, int]]:
        n_p, h = len(self.persons), self.horizon
        target = max(2, round(fraction * n_p * h))
        if kind == "persons":
            k = max(1, min(n_p, round(target / h)))
            people = rng.sample(self.persons, k)
            return {(pid, d) for pid in people for d in range(h)}
        if kind == "days":
            length = max(1, min(h, round(target / n_p)))
            first = rng.randrange(h - length + 1)
            return {(pid, d) for pid in self.persons for d in range(first, first + length)}
        if kind == "block":
            length = max(2, min(h, rng.randint(h // 4 or 1, h)))
            k = max(1, min(n_p, round(target / length)))
            first = rng.randrange(h - length + 1)
            people = rng.sample(self.persons, k)
            return {(pid, d) for pid in people for d in range(first, first + length)}
        if kind == "cross":
            # everybody on a few days around one unmet request or cover shortfall (drawn
            # evenly, whatever its weight), and that request's person over the horizon
            pid, day = self._violation(rng)
            length = max(2, min(h, round(target / n_p)))
            first = max(0, min(h - length, day - length // 2))
            cells = {(q, d) for q in self.persons for d in range(first, first + length)}
            if pid is not None:
                cells |= {(pid, d) for d in range(h)}
            return cells
        # "penalty": people and days around a costly soft term
        day = self._costly_day(rng)
        length = max(3, min(h, round((target / max(1, n_p)) * 2) + 3))
        first = max(0, min(h - length, day - length // 2))
        k = max(1, min(n_p, round(target / length)))
        people = rng.sample(self.persons, k)
        return {(pid, d) for pid in people for d in range(first, first + length)}

    def _violation(self, rng: random.Random) -> tuple[str | None, int]:
        """One unmet request (its person and day) or cover shortfall or excess (no person, its
        day) of the current roster, each equally likely; a random day when there is none."""
        values = self.state.values
        p = self.rm.problem
        found: list[tuple[str | None, int]] = []
        for r in p.requests:
            if values[self.index[r.person, r.day, r.shift]] != int(r.on):
                found.append((r.person, r.day))
        for c in p.cover:
            count = sum(values[self.index[pid, c.day, c.shift]] for pid in self.persons)
            low = c.minimum if c.minimum_weight is not None else 0
            if c.target is not None and c.under_weight:
                low = max(low, c.target)
            high = c.maximum if c.maximum is not None and c.maximum_weight is not None else None
            if c.target is not None and c.over_weight:
                high = c.target if high is None else min(high, c.target)
            if count < low or (high is not None and count > high):
                found.append((None, c.day))
        if not found:
            return None, rng.randrange(self.horizon)
        return rng.choice(found)

    def _costly_day(self, rng: random.Random) -> int:
        """A day weighted by what the current roster pays on it (cover and requests)."""
        values = self.state.values
        p = self.rm.problem
        days: list[int] = []
        costs: list[int] = []
        for c in p.cover:
            count = sum(values[self.index[pid, c.day, c.shift]] for pid in self.persons)
            cost = 0
            if c.target is not None:
                cost += max(0, c.target - count) * c.under_weight
                cost += max(0, count - c.target) * c.over_weight
            if c.minimum_weight is not None:
                cost += max(0, c.minimum - count) * c.minimum_weight
            if c.maximum is not None and c.maximum_weight is not None:
                cost += max(0, count - c.maximum) * c.maximum_weight
            if cost:
                days.append(c.day)
                costs.append(cost)
        for r in p.requests:
            if values[self.index[r.person, r.day, r.shift]] != int(r.on):
                days.append(r.day)
                costs.append(r.weight)
        if not days:
            return rng.randrange(self.horizon)
        return rng.choices(days, costs)[0]

    # -- one step ------------------------------------------------------------------------

    def _step(self, rng: random.Random, kind: str) -> None:
        with self.state.lock:
            values = list(self.state.values)
            current = self.state.objective
            info = self.state.kinds[kind]
            fraction = info.fraction
            step_seconds = self.state.step_seconds
        free_cells = self._cells(kind, fraction, rng)
        if self.small_models and kind not in ALL_PEOPLE:
            self._step_people(rng, info, values, current, free_cells, step_seconds)
            return
        free = {i for cell in free_cells for i in self.cell_vars.get(cell, ())}
        model = self.base.clone()
        model.clear_hints()  # the base model may carry the caller's hint
        proto = model.proto
        for i, var in enumerate(self.vars):
            v = values[i]
            if i in free:
                model.add_hint(var, v)
            else:
                dom = proto.variables[var.index].domain
                dom.clear()
                dom.extend([v, v])
        left = self.deadline - time.perf_counter()
        if left < 0.05:
            return
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = min(left, step_seconds)
        solver.parameters.random_seed = rng.randrange(1 << 30)
        solver.parameters.linearization_level = 2
        status = solver.solve(model)
        with self.state.lock:
            self._count_step()
            info.tries += 1
            self._resize(info, status)
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                return
            value = round(solver.objective_value)
            if value > self.state.objective:
                return
            new = [
                int(solver.boolean_value(var)) if i in free else values[i]
                for i, var in enumerate(self.vars)
            ]
            self._accept(info, new, value, current)

    def _roster(self, values: list[int]) -> Roster:
        roster: Roster = {}
        for (pid, d, sid), v in zip(self.keys, values, strict=True):
            if v:
                roster.setdefault(pid, {})[d] = sid
        return roster

    def _step_people(
        self,
        rng: random.Random,
        info: _Kind,
        values: list[int],
        current: int,
        free_cells: set[tuple[str, int]],
        step_seconds: float,
    ) -> None:
        """One step whose free cells are some people over some days, solved in a model of
        those people alone: cover lowered by everybody else's current shifts, their days
        outside the neighbourhood pinned. The objective of that model differs from the full
        one by a constant, so the change in the full objective is the change in it."""
        p = self.rm.problem
        people = {pid for pid, _d in free_cells}
        roster = self._roster(values)
        counts: dict[tuple[int, str], int] = {}
        for pid, days in roster.items():
            if pid not in people:
                for d, sid in days.items():
                    counts[d, sid] = counts.get((d, sid), 0) + 1
        pins = [pin for pin in p.pins if pin.person in people]
        for pid in people:
            for d in range(self.horizon):
                if (pid, d) not in free_cells:
                    pins.append(Pin(pid, d, roster.get(pid, {}).get(d)))
        sub = replace(
            p,
            persons=tuple(person for person in p.persons if person.id in people),
            cover=tuple(residual_cover(p, counts)),
            requests=tuple(r for r in p.requests if r.person in people),
            pins=tuple(pins),
        )
        rm = build_model(sub)
        sub_vars = list(rm.x.values())
        sub_values = [int(roster.get(pid, {}).get(d) == sid) for (pid, d, sid) in rm.x]
        before = self._fixed_objective(rm, sub_values)
        for var, v in zip(sub_vars, sub_values, strict=True):
            rm.model.add_hint(var, v)
        left = self.deadline - time.perf_counter()
        if left < 0.05 or before is None:
            return
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = min(left, step_seconds)
        solver.parameters.random_seed = rng.randrange(1 << 30)
        solver.parameters.linearization_level = 2
        status = solver.solve(rm.model)
        with self.state.lock:
            self._count_step()
            info.tries += 1
            self._resize(info, status)
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                return
            value = current - before + round(solver.objective_value)
            if value > self.state.objective:
                return
            new = list(values)
            for key, var in rm.x.items():
                new[self.index[key]] = int(solver.boolean_value(var))
            self._accept(info, new, value, current)

    def _fixed_objective(self, rm: RosterModel, values: list[int]) -> int | None:
        model = rm.model.clone()
        for var, v in zip(rm.x.values(), values, strict=True):
            model.add(var == v)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        return round(solver.objective_value) if rm.penalties else 0

    @staticmethod
    def _resize(info: _Kind, status: object) -> None:
        """Grow the next neighbourhood of this kind after one solved to optimality, shrink it
        after one that ran out of time."""
        if status == cp_model.OPTIMAL:
            info.fraction = min(1.0, info.fraction * 1.1)
        elif status in (cp_model.FEASIBLE, cp_model.UNKNOWN):
            info.fraction = max(0.005, info.fraction * 0.8)

    def _count_step(self) -> None:
        """One more step; after ``STALL_STEPS`` without a better roster the steps get twice
        the time (called under the lock)."""
        self.state.steps += 1
        self.state.stalled += 1
        if self.state.stalled >= STALL_STEPS:
            self.state.stalled = 0
            left = self.deadline - time.perf_counter()
            self.state.step_seconds = max(
                self.state.step_seconds, min(2 * self.state.step_seconds, MAX_STEP_SHARE * left)
            )

    def _accept(self, info: _Kind, new: list[int], value: int, current: int) -> None:
        """Keep ``new`` (objective ``value``) when it is no worse; called under the lock."""
        if value < current:
            info.gains += 1
        if value < self.state.objective:
            self.state.improved_at = time.perf_counter()
            self.state.stalled = 0
            self.state.values = new
            self.state.objective = value
            if self.on_improve is not None:
                self.on_improve(value)
        elif value == self.state.objective:
            self.state.values = new  # a sideways move keeps the search moving

    def _worker(self, index: int, stall: float | None) -> None:
        rng = random.Random(self.seed * 7919 + (self.runs - 1) * 104729 + index)
        while time.perf_counter() < self.deadline - 0.05:
            if self.state.objective <= self.lower_bound:
                return
            if stall is not None:
                last = max(self.started, self.state.improved_at or self.started)
                if time.perf_counter() - last >= stall:
                    return
            self._step(rng, self._kind(rng))

    def _kind(self, rng: random.Random) -> str:
        """A neighbourhood kind: uniform with probability ``EXPLORE``, otherwise in proportion
        to each kind's rate of better rosters so far."""
        kinds = list(NEIGHBOURHOODS)
        if rng.random() < EXPLORE:
            return rng.choice(kinds)
        rates = [(k.gains + 0.5) / (k.tries + 1) for k in (self.state.kinds[x] for x in kinds)]
        return rng.choices(kinds, rates)[0]

    def run(self, workers: int, stall: float | None = None) -> LnsState:
        """Search with ``workers`` threads until the deadline, the lower bound, or (when
        ``stall`` is given) ``stall`` seconds without a better roster. May be called again,
        e.g. after :meth:`restart`; neighbourhood sizes and step times carry over."""
        self.started = time.perf_counter()
        self.runs += 1
        threads = [threading.Thread(target=self._worker, args=(i, stall)) for i in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return self.state

    def restart(self, values: list[int], objective: int, lower_bound: float) -> None:
        """Continue from a roster found elsewhere (e.g. by the full model)."""
        with self.state.lock:
            if objective < self.state.objective:
                self.state.values = list(values)
                self.state.objective = objective
            self.lower_bound = max(self.lower_bound, lower_bound)
