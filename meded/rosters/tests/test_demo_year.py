"""The demo rosters its whole academic year: every day of the year is in a block it rosters
(the last block's roster runs to the year's end), today's block comes first, and each block
is generated as its own background job and published, a failed generation tried once more
with twice the time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from meded.jobs import lifecycle
from meded.jobs.models import Job
from meded.org.models import AcademicYear
from meded.rosters import actions, adapters
from meded.rosters.demo import demo_block_order, roster_demo_blocks
from meded.rosters.models import Roster, block_last_day
from meded.rosters.tasks import run_generate
from meded.schedules.models import ScheduleYear


def year_of(start: dt.date, n_blocks: int = 26, block_days: int = 14) -> ScheduleYear:
    end = dt.date(start.year + 1, start.month, start.day) - dt.timedelta(days=1)
    ay = AcademicYear(name=f"{start.year}-{end.year}", start_date=start, end_date=end)
    return ScheduleYear(
        academic_year=ay, n_blocks=n_blocks, block_days=block_days, start_date=start
    )


@pytest.mark.parametrize("start", [dt.date(2026, 7, 1), dt.date(2027, 7, 1)])  # 2028 is leap
def test_every_day_of_the_academic_year_is_in_a_block_the_demo_rosters(start):
    sy = year_of(start)
    day = sy.academic_year.start_date
    while day <= sy.academic_year.end_date:
        block = adapters.block_of(sy, day)
        assert block is not None, day
        assert sy.block_start(block) <= day <= block_last_day(sy, block)
        day += dt.timedelta(days=1)
    last = Roster(schedule_year=sy, block=sy.n_blocks - 1)
    assert last.last_day == sy.academic_year.end_date
    assert last.days[-1] == sy.academic_year.end_date
    assert adapters.block_of(sy, sy.academic_year.end_date + dt.timedelta(days=1)) is None


def test_the_last_block_keeps_its_own_end_when_the_year_is_a_block_or_more_longer():
    sy = year_of(dt.date(2026, 7, 1), n_blocks=13)  # half a year of two-week blocks
    assert Roster(schedule_year=sy, block=12).last_day == sy.block_end(12)
    assert adapters.block_of(sy, sy.block_end(12) + dt.timedelta(days=1)) is None


def test_the_demo_rosters_todays_block_first_then_forward_then_backward():
    sy = year_of(dt.date(2026, 7, 1))
    today = sy.block_start(11) + dt.timedelta(days=3)
    order = demo_block_order(sy, today)
    assert order[:3] == [11, 12, 13]
    assert order[15:] == list(range(10, -1, -1))  # after 11..25
    assert sorted(order) == list(range(26))
    assert demo_block_order(sy, sy.academic_year.end_date)[0] == 25
    assert demo_block_order(sy, sy.start_date - dt.timedelta(days=3))[0] == 0


@pytest.mark.django_db
def test_a_block_whose_generation_fails_is_generated_again_with_twice_the_time_and_published(
    published: Any, users: dict[str, Any]
):
    sy = published.schedule_year
    block = adapters.block_of(sy, timezone.localdate())
    if block is None:
        pytest.skip("today is in no block of the demo year")
    attempts: list[float] = []

    def flaky(job: Job) -> None:
        attempts.append(float(job.options["time_limit"]))
        if len(attempts) == 1:
            lifecycle.fail(job, "No roster found within 1 s.")
            return
        run_generate(job)

    lifecycle.register(actions.SOLVE_JOB, flaky, on_end=actions.do_end_generation)
    try:
        roster_demo_blocks.call(sy.pk, users["chief"].pk, [block], 4.0)
    finally:
        lifecycle.register(actions.SOLVE_JOB, run_generate, on_end=actions.do_end_generation)
    assert attempts == [4.0, 8.0]
    roster = Roster.objects.get(schedule_year=sy, block=block)
    assert roster.is_published
    jobs = Job.objects.filter(kind=actions.SOLVE_JOB, program=sy.program).order_by("created_at")
    assert [j.status for j in jobs] == [Job.Status.FAILED, Job.Status.SUCCEEDED]
    assert all(j.created_by == users["chief"] for j in jobs)


@pytest.mark.django_db
def test_the_demos_schedule_year_is_the_academic_year_of_today(sy: ScheduleYear):
    today = timezone.localdate()
    assert sy.academic_year.start_date <= today <= sy.academic_year.end_date
    assert sy.start_date == sy.academic_year.start_date
    assert adapters.block_of(sy, today) is not None
