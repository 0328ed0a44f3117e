"""Mid-year re-planning (repair), alternatives, and the infeasible path, through the product:
actions, the solve task (run inline in tests) and the screens."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from meded.jobs.models import Job
from meded.org.actions import do_add_leave
from meded.schedules import adapters
from meded.schedules.actions import (
    ScheduleError,
    do_alternatives,
    do_publish,
    do_repair,
)
from meded.schedules.models import ScheduleVersion


def _job(version: ScheduleVersion) -> Job:
    return Job.objects.get(pk=version.job_id or "")


def test_a_leave_mid_year_is_re_planned_keeping_the_past_and_changing_little(sy, solved, users):
    do_publish(users["chief"], solved)
    before = adapters.schedule_of(solved)
    # a resident who works in block 9 (index 8) goes on leave for that block
    rid = next(r for r, row in sorted(before.items()) if row.get(8) not in (None, "vacation"))
    appt = next(a for a in adapters.residents_of(sy) if adapters.resident_id(a.pk) == rid)
    start = sy.block_start(8)
    do_add_leave(
        users["coordinator"],
        appt,
        kind="medical",
        start_date=start,
        end_date=start + dt.timedelta(days=sy.block_days - 1),
    )
    version = do_repair(users["chief"], solved, 6, time_limit=8)
    job = _job(version)
    assert job.status == Job.Status.SUCCEEDED, job.message
    after = adapters.schedule_of(version)
    for res, row in before.items():
        for b in range(6):
            assert after[res].get(b) == row.get(b), (res, b)
    assert 8 not in after[rid]
    changes = sum(
        1
        for res in after
        for b in range(6, sy.n_blocks)
        if after[res].get(b) != before.get(res, {}).get(b)
    )
    assert changes == job.result["changes"] >= 1
    # the fewest changes: far fewer than re-solving the rest of the year from scratch
    assert changes <= 12
    assert ScheduleVersion.objects.get(pk=version.pk).label.endswith(f"{changes} changed")
    _, report = adapters.check_version(ScheduleVersion.objects.get(pk=version.pk))
    assert report.violations == []


def test_re_planning_from_a_block_outside_the_year_is_refused(sy, solved, users):
    with pytest.raises(ScheduleError, match="between 1 and 26"):
        do_repair(users["chief"], solved, sy.n_blocks)


def test_only_schedule_editors_can_re_plan_or_ask_for_alternatives(sy, solved, users):
    for who in ("resident", "faculty", "outsider", "surgery-coordinator"):
        with pytest.raises(PermissionDenied):
            do_repair(users[who], solved, 3)
        with pytest.raises(PermissionDenied):
            do_alternatives(users[who], sy, 2)


def test_alternatives_are_different_good_drafts_of_one_job(sy, users):
    first = do_alternatives(users["chief"], sy, 2, within_pct=10, time_limit=8)
    job = _job(first)
    assert job.status == Job.Status.SUCCEEDED, job.message
    versions = list(ScheduleVersion.objects.filter(job=job).order_by("number"))
    assert len(versions) == 2
    assert [v.label for v in versions] == ["Alternative 1", "Alternative 2"]
    a, b = (adapters.schedule_of(v) for v in versions)
    assert a != b
    for v in versions:
        _, report = adapters.check_version(v)
        assert report.violations == []


def test_an_impossible_year_fails_and_says_which_rules_conflict(sy, users):
    rules = dict(sy.rules)
    rules["requirements"] = [
        *rules["requirements"],
        {
            "id": "too_much_icu",
            "target": {"categories": ["icu"]},
            "who": {"pgys": [1]},
            "min": 20,
            "description": "Interns: 20 blocks of ICU",
        },
    ]
    sy.rules = rules
    sy.save(update_fields=["rules"])
    from meded.schedules.actions import do_solve

    version = do_solve(users["chief"], sy, time_limit=10)
    job = _job(version)
    assert job.status == Job.Status.FAILED
    assert version.solver_status == "INFEASIBLE"
    assert job.message == "No schedule satisfies every hard rule."
    conflicts = job.result["conflicts"]
    assert conflicts and any("20" in c for c in conflicts)


def test_the_job_page_of_an_impossible_year_lists_the_conflicting_rules(sy, users, as_user):
    rules = dict(sy.rules)
    rules["requirements"] = [
        *rules["requirements"],
        {
            "id": "too_much_icu",
            "target": {"categories": ["icu"]},
            "who": {"pgys": [1]},
            "min": 20,
        },
    ]
    sy.rules = rules
    sy.save(update_fields=["rules"])
    from meded.schedules.actions import do_solve

    version = do_solve(users["chief"], sy, time_limit=10)
    html = as_user("chief").get(f"/schedules/jobs/{version.job_id}/").content.decode()
    assert "These hard rules cannot all hold together" in html
    assert "20.. blocks of icu" in html and "pgy1_icu" in html


def test_the_re_plan_form_starts_a_job_and_bad_blocks_get_a_message(sy, solved, as_user):
    client = as_user("chief")
    url = f"/schedules/{sy.program.slug}/{sy.pk}/repair/"
    bad = client.post(url, {"v": solved.pk, "from_block": "99"}, follow=True)
    assert "choose a block between 1 and 26" in bad.content.decode()
    ok = client.post(url, {"v": solved.pk, "from_block": "20"})
    assert ok.status_code == 302 and "/schedules/jobs/" in ok["Location"]
    assert as_user("resident").post(url, {"v": solved.pk, "from_block": "20"}).status_code in (
        403,
        404,
    )
    assert as_user("outsider").post(url, {"v": solved.pk, "from_block": "20"}).status_code == 404
