"""Fixtures of the schedules tests: the schedule demo on the small demo, and a solved year.

The engine's schedule of the small demo is computed once per session (it is pure) and saved
as a version through the adapter for each test that needs one; the solve task itself is
tested on its own (test_solve.py)."""

from __future__ import annotations

from typing import Any

import pytest

from meded.engine.blocks.cpsat import solve
from meded.engine.blocks.model import Schedule
from meded.org.models import Program
from meded.schedules import adapters
from meded.schedules.demo import load_schedule_demo
from meded.schedules.models import Assignment, ScheduleVersion, ScheduleYear

SOLVE_SECONDS = 4.0
_cache: dict[tuple[str, ...], tuple[Schedule, dict[str, int]]] = {}


@pytest.fixture
def sy(im: Program) -> ScheduleYear:
    return load_schedule_demo(im)


def solved_version(sy: ScheduleYear, chief: Any) -> ScheduleVersion:
    """A solved draft version (number 1) of the small demo's year; the engine's schedule is
    computed once per session."""
    built = adapters.build_problem(sy)
    key = tuple(sorted(built.residents))
    if key not in _cache:
        result = solve(built.problem, time_limit=SOLVE_SECONDS, workers=2)
        assert result.feasible, result.status
        _cache[key] = (result.schedule, built.cohorts)
    schedule, cohorts = _cache[key]
    version = ScheduleVersion.objects.create(
        schedule_year=sy,
        number=1,
        label="Solved",
        solver_status="FEASIBLE",
        created_by=chief,
        cohorts=cohorts,
    )
    Assignment.objects.bulk_create(adapters.assignments_for(version, built, schedule))
    version.schedule_year = sy
    return version


@pytest.fixture
def solved(sy: ScheduleYear, users: dict[str, Any]) -> ScheduleVersion:
    """A solved draft version (number 1) of the small demo's year."""
    return solved_version(sy, users["chief"])
