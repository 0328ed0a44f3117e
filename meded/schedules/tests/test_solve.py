from __future__ import annotations

from meded.engine.blocks.check import check
from meded.jobs.models import Job
from meded.schedules import adapters
from meded.schedules.actions import do_solve
from meded.schedules.models import Assignment, ScheduleVersion


def test_the_adapter_round_trips_a_schedule_through_assignment_rows(sy, users):
    built = adapters.build_problem(sy)
    assert len(built.problem.residents) >= 40
    # a schedule by hand: every resident on the first rotation they may do, every block
    first = {}
    for res in built.problem.residents:
        rot = next(r for r in built.problem.rotations if built.problem.eligible(res, r))
        first[res.id] = {b: rot.id for b in range(sy.n_blocks)}
    version = ScheduleVersion.objects.create(schedule_year=sy, number=99)
    Assignment.objects.bulk_create(adapters.assignments_for(version, built, first))
    assert adapters.schedule_of(version) == first
    assert Assignment.objects.filter(version=version).count() == len(first) * sy.n_blocks


def test_the_problem_has_the_years_pgys_tracks_requests_and_rules(sy):
    built = adapters.build_problem(sy)
    p = built.problem
    pgys = {r.pgy for r in p.residents}
    assert pgys == {1, 2, 3}
    assert {"categorical", "preliminary"} <= {r.track for r in p.residents}
    assert any(v.approved for v in p.vacation_requests)
    assert any(not v.approved for v in p.vacation_requests)
    assert p.preferences and p.templates and p.requirements and p.fairness
    prelim = next(r for r in p.residents if r.track == "preliminary")
    assert prelim.cohort is None  # no clinic template for preliminary interns
    assert {r.cohort for r in p.residents if r.track == "categorical"} == {0, 1, 2, 3}


def test_solving_the_small_demo_produces_a_feasible_version(sy, users):
    version = do_solve(users["chief"], sy, time_limit=5)
    job = Job.objects.get(pk=version.job_id or "")
    assert version.solver_status in ("OPTIMAL", "FEASIBLE"), job.message
    assert job.status == Job.Status.SUCCEEDED
    assert job.result["version"] == version.pk and job.result["progress"]
    assert job.result["first_feasible_s"] is not None
    built, report = adapters.check_version(version)
    assert report.violations == []
    assert report.objective == version.costs["total"]
    rows = adapters.schedule_of(version)
    assert set(rows) == set(built.residents)
    # every approved vacation was granted
    for vr in built.problem.vacation_requests:
        if vr.approved:
            assert all(rows[vr.resident][b] == "vacation" for b in vr.blocks)
    assert check(built.problem, rows).ok
