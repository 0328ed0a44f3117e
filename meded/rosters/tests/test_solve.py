"""Generating a block's roster of the demo: the adapter's problems, the solve task and the
work-hour checker agreeing with the result."""

from __future__ import annotations

import pytest

from meded.rosters import actions, adapters, checks
from meded.rosters.demo import load_roster_demo
from meded.rosters.models import Roster, Shift
from meded.schedules.actions import do_publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(solved, users, im):
    do_publish(users["chief"], solved)
    load_roster_demo(im)
    return solved


def test_the_demo_roster_of_one_block_is_generated_within_the_work_hour_rules(published, users):
    sy = published.schedule_year
    roster = actions.do_generate(users["chief"], sy, 8, time_limit=12)
    roster.refresh_from_db()
    assert roster.job is not None
    assert roster.solver_status in ("OPTIMAL", "FEASIBLE"), roster.job.message
    shifts = Shift.objects.filter(roster=roster, published=False)
    assert shifts.count() > 50
    assert checks.check_roster(roster, published=False) == []


def test_the_generated_draft_covers_every_minimum_and_publishes(published, users):
    from meded.rosters import grid

    sy = published.schedule_year
    roster = actions.do_generate(users["chief"], sy, 8, time_limit=8)
    view = grid.block_view(sy.program, roster, published=False)
    assert view.shortfalls == []
    actions.do_publish(users["chief"], roster)
    assert Shift.objects.filter(roster=roster, published=True).count() == view_count(view)


def view_count(view) -> int:
    return sum(c.count for s in view.services for r in s.rows for c in r.cells)


def test_an_impossible_cover_is_explained_in_words_on_the_job_page(published, users, as_user, im):
    from meded.rosters.models import ShiftTemplate

    sy = published.schedule_year
    by_rotation = adapters.rotations_in_block(sy, 8)
    micu = ShiftTemplate.objects.get(rotation__program=im, rotation__code="micu", code="call")
    n = len(by_rotation.get(micu.rotation_id, []))
    ShiftTemplate.objects.filter(pk=micu.pk).update(
        cover_min=n + 1, cover_target=None, cover_max=None
    )
    roster = actions.do_generate(users["chief"], sy, 8, time_limit=6)
    roster.refresh_from_db()
    assert roster.solver_status == "INFEASIBLE"
    job = roster.job
    assert job is not None
    assert job.status == "failed" and "Medical ICU" in job.message
    assert any("at least" in c and "24-h call" in c for c in job.result["conflicts"])
    page = as_user("chief").get(f"/rosters/jobs/{job.pk}/").content.decode()
    assert "cannot all hold together" in page
    assert as_user("faculty").get(f"/rosters/jobs/{job.pk}/").status_code == 404
    assert Roster.objects.get(pk=roster.pk).shifts.count() == 0


def test_a_roster_needs_a_published_schedule(solved, users, im):
    load_roster_demo(im)
    with pytest.raises(actions.RosterError, match="Publish"):
        actions.do_generate(users["chief"], solved.schedule_year, 3)


def test_when_the_next_block_is_rostered_its_first_days_are_pinned_for_the_boundary(
    published, users
):
    sy = published.schedule_year
    nxt = actions.do_generate(users["chief"], sy, 9, time_limit=8)
    actions.do_publish(users["chief"], nxt)
    roster = Roster.objects.create(schedule_year=sy, block=8)
    problems, reason = adapters.build_block(roster)
    assert reason == ""
    days = (roster.last_day - roster.first_day).days + 1
    for bp in problems:
        assert bp.problem.horizon == adapters.LOOKBACK + days + adapters.LOOKAHEAD
        assert bp.block_days == days
    # a resident rostered in both blocks: their first shift of the next block is pinned
    in_block = {key: bp for bp in problems for key in bp.people}
    first_after, bp = next(
        (s, in_block[adapters.person_key(s.appointment_id)])
        for s in Shift.objects.filter(roster=nxt, published=True).order_by("start", "pk")
        if adapters.person_key(s.appointment_id) in in_block
    )
    d = (first_after.start.astimezone(adapters.zone()).date() - bp.day0).days
    pins = {(p.person, p.day): p.shift for p in bp.problem.pins}
    assert pins[(adapters.person_key(first_after.appointment_id), d)] is not None
    # the block generated against it: nothing written past the block, rules hold across it
    gen = actions.do_generate(users["chief"], sy, 8, time_limit=8)
    gen.refresh_from_db()
    assert gen.job is not None
    assert gen.solver_status in ("OPTIMAL", "FEASIBLE"), gen.job.message
    last = max(s.start for s in Shift.objects.filter(roster=gen, published=False))
    assert last.astimezone(adapters.zone()).date() <= gen.last_day
    assert checks.check_roster(gen, published=False) == []
