"""Fixtures of the roster tests: the schedules tests' solved year of the small demo, published,
with the demo's shift templates, and helpers that put shifts on a block by hand (so swap,
edit and meal-card tests do not depend on what the solver chose)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from meded.org.models import Appointment, Program
from meded.rosters import adapters
from meded.rosters.demo import load_roster_demo
from meded.rosters.models import Roster, Shift, ShiftTemplate
from meded.schedules.actions import do_publish
from meded.schedules.models import ScheduleVersion
from meded.schedules.tests.conftest import solved, sy

__all__ = ["solved", "sy"]


@pytest.fixture
def published(solved: ScheduleVersion, users: dict[str, Any], im: Program) -> ScheduleVersion:
    """The solved year, published, with the demo's shift templates."""
    do_publish(users["chief"], solved)
    load_roster_demo(im)
    return solved


@dataclass
class Block:
    roster: Roster
    rotation_people: dict[str, list[Appointment]]  # rotation code -> residents

    def template(self, rotation: str, code: str) -> ShiftTemplate:
        return ShiftTemplate.objects.get(
            rotation__code=rotation, code=code, rotation__program=self.roster.schedule_year.program
        )

    def day(self, i: int) -> dt.date:
        return self.roster.first_day + dt.timedelta(days=i)


@pytest.fixture
def future_block(published: ScheduleVersion) -> Block:
    """The first block that starts at least a week from today, with an empty published
    roster."""
    sy = published.schedule_year
    soon = timezone.localdate() + dt.timedelta(days=7)
    block = next((b for b, start, _ in sy.block_dates() if start >= soon), None)
    if block is None:
        pytest.skip("no block of the demo year starts a week from today")
    roster = Roster.objects.create(
        schedule_year=sy, block=block, status=Roster.Status.PUBLISHED, published_at=timezone.now()
    )
    roster.schedule_year = sy
    by_rot = adapters.rotations_in_block(sy, block)
    from meded.schedules.models import Rotation

    codes = {r.pk: r.code for r in Rotation.objects.filter(pk__in=list(by_rot))}
    return Block(roster, {codes[k]: v for k, v in by_rot.items()})


@pytest.fixture
def put() -> Callable[..., Shift]:
    """put(roster, appointment, template, day, published=True): the shift, with its draft
    twin when published."""

    def make(
        roster: Roster,
        appt: Appointment,
        template: ShiftTemplate,
        day: dt.date,
        published: bool = True,
    ) -> Shift:
        start, end = template.span(day, adapters.zone())
        if published:
            Shift.objects.create(
                roster=roster, template=template, appointment=appt, start=start, end=end
            )
        return Shift.objects.create(
            roster=roster,
            template=template,
            appointment=appt,
            start=start,
            end=end,
            published=published,
        )

    return make
