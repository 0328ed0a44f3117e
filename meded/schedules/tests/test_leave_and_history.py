"""Leave of absence takes blocks out of a trainee's year; earlier years (recorded history and
earlier published versions) feed the rules that count over residency."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied

from meded.audit.models import AuditEntry
from meded.org import queries
from meded.org.actions import LeaveError, do_add_leave, do_delete_leave
from meded.org.models import AcademicYear, Leave
from meded.schedules import adapters
from meded.schedules.models import (
    Assignment,
    Rotation,
    RotationHistory,
    ScheduleVersion,
    ScheduleYear,
)


def _trainee(sy: ScheduleYear, pgy: int):
    day = adapters.roster_day(sy)
    roster = queries.roster(sy.program, sy.academic_year, day=day)
    return next(a for a in roster if getattr(a, "pgy", None) == pgy)


def test_a_leave_covering_most_of_a_block_takes_that_block_out_of_the_year(sy, users):
    appt = _trainee(sy, 2)
    start = sy.block_start(4)
    # block 5 (index 4) fully, and 3 of block 6's 14 days: only block 5 is taken out
    do_add_leave(
        users["coordinator"],
        appt,
        kind="medical",
        start_date=start,
        end_date=start + dt.timedelta(days=sy.block_days + 2),
    )
    built = adapters.build_problem(sy)
    res = next(r for r in built.problem.residents if r.id == adapters.resident_id(appt.pk))
    assert 4 in res.unavailable
    assert 5 not in res.unavailable


def test_a_leave_of_exactly_half_a_block_takes_the_block_out(sy, users):
    appt = _trainee(sy, 1)
    start = sy.block_start(10)
    do_add_leave(
        users["coordinator"],
        appt,
        kind="parental",
        start_date=start,
        end_date=start + dt.timedelta(days=sy.block_days // 2 - 1),
    )
    built = adapters.build_problem(sy)
    res = next(r for r in built.problem.residents if r.id == adapters.resident_id(appt.pk))
    assert 10 in res.unavailable


def test_recording_leave_is_audited_and_overlaps_are_refused(sy, users):
    appt = _trainee(sy, 3)
    start = sy.block_start(2)
    leave = do_add_leave(
        users["director"],
        appt,
        kind="family",
        start_date=start,
        end_date=start + dt.timedelta(days=20),
        note="caregiver",
    )
    entry = AuditEntry.objects.filter(object_type="org.leave", object_id=str(leave.pk)).get()
    assert entry.person_ref == appt.person_id
    assert entry.changes["kind"] == [None, "family"]
    with pytest.raises(LeaveError, match="overlaps"):
        do_add_leave(
            users["director"],
            appt,
            kind="medical",
            start_date=start + dt.timedelta(days=10),
            end_date=start + dt.timedelta(days=30),
        )
    with pytest.raises(LeaveError, match="within the appointment"):
        do_add_leave(
            users["director"],
            appt,
            kind="medical",
            start_date=appt.start_date - dt.timedelta(days=3),
            end_date=appt.start_date,
        )
    do_delete_leave(users["director"], leave)
    assert not Leave.objects.filter(pk=leave.pk).exists()
    assert AuditEntry.objects.filter(object_type="org.leave", action="delete").exists()


def test_chief_residents_and_residents_cannot_record_leave(sy, users):
    appt = _trainee(sy, 2)
    for who in ("chief", "resident", "faculty", "outsider"):
        with pytest.raises(PermissionDenied):
            do_add_leave(
                users[who],
                appt,
                kind="personal",
                start_date=sy.start_date,
                end_date=sy.start_date,
            )


def test_the_leave_screen_records_a_leave_and_the_person_page_lists_it(sy, users, as_user):
    appt = _trainee(sy, 2)
    client = as_user("coordinator")
    url = f"/org/trainees/{appt.pk}/leave/"
    assert client.get(url).status_code == 200
    bad = client.post(
        url, {"kind": "medical", "start_date": "2026-09-10", "end_date": "2026-09-01"}
    )
    assert "ends before it starts" in bad.content.decode()
    assert not Leave.objects.filter(appointment=appt).exists()
    start = sy.block_start(6)
    ok = client.post(
        url,
        {
            "kind": "medical",
            "start_date": start.isoformat(),
            "end_date": (start + dt.timedelta(days=13)).isoformat(),
        },
    )
    assert ok.status_code == 302
    page = client.get(f"/org/people/{appt.person_id}/").content.decode()
    assert "Medical" in page and start.isoformat() in page


def test_outsiders_and_chiefs_cannot_open_the_leave_screen(sy, as_user):
    appt = _trainee(sy, 2)
    url = f"/org/trainees/{appt.pk}/leave/"
    assert as_user("outsider").get(url).status_code == 404
    assert as_user("surgery-coordinator").get(url).status_code == 404
    assert as_user("chief").get(url).status_code == 403
    assert as_user(None).get(url).status_code == 302


def test_the_grid_marks_blocks_on_leave_as_off(sy, solved, users, as_user):
    appt = _trainee(sy, 2)
    start = sy.block_start(3)
    do_add_leave(
        users["coordinator"],
        appt,
        kind="medical",
        start_date=start,
        end_date=start + dt.timedelta(days=sy.block_days - 1),
    )
    html = as_user("chief").get(f"/schedules/{sy.program.slug}/{sy.pk}/?v={solved.pk}")
    row = html.content.decode().split(f'data-a="{appt.pk}"', 1)[1].split("</tr>", 1)[0]
    # the solved version still has them on a rotation there: flagged until re-planned
    assert re.search(r'<td class="cell c-\w+ err" data-b="3">', row)
    findings = as_user("chief").get(f"/schedules/{sy.program.slug}/{sy.pk}/rules/?v={solved.pk}")
    assert "Not available" in findings.content.decode()
    # an empty block on leave shows as off
    solved.assignments.filter(appointment=appt, block=3).delete()
    html = as_user("chief").get(f"/schedules/{sy.program.slug}/{sy.pk}/?v={solved.pk}")
    row = html.content.decode().split(f'data-a="{appt.pk}"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="cell off" data-b="3">off</td>' in row


def test_recorded_history_counts_toward_rules_over_residency(sy):
    appt = _trainee(sy, 3)
    built = adapters.build_problem(sy)
    res = next(r for r in built.problem.residents if r.id == adapters.resident_id(appt.pk))
    weeks = {h.rotation.code: 0 for h in RotationHistory.objects.filter(appointment=appt)}
    for h in RotationHistory.objects.filter(appointment=appt):
        weeks[h.rotation.code] += h.weeks
    # the demo records two earlier years for a PGY-3, converted to two-week blocks
    assert dict(res.history)["micu"] == round(weeks["micu"] * 7 / sy.block_days)
    assert any(r.scope == "residency" for r in built.problem.requirements)


def test_an_earlier_years_published_version_counts_as_history(sy, users):
    appt = _trainee(sy, 2)
    RotationHistory.objects.filter(appointment=appt).delete()
    start = sy.academic_year.start_date.replace(year=sy.academic_year.start_date.year - 1)
    s0, e0 = AcademicYear.bounds_for(start)
    prior_year, _ = AcademicYear.objects.get_or_create(
        start_date=s0, defaults={"name": f"{s0.year}-{e0.year}", "end_date": e0}
    )
    prior = ScheduleYear.objects.create(
        program=sy.program,
        academic_year=prior_year,
        n_blocks=13,
        block_days=28,
        start_date=s0,
    )
    micu = Rotation.objects.get(program=sy.program, code="micu")
    published = ScheduleVersion.objects.create(
        schedule_year=prior, number=1, status=ScheduleVersion.Status.PUBLISHED
    )
    draft = ScheduleVersion.objects.create(schedule_year=prior, number=2)
    Assignment.objects.bulk_create(
        [Assignment(version=published, appointment=appt, block=b, rotation=micu) for b in (1, 2)]
        + [Assignment(version=draft, appointment=appt, block=b, rotation=micu) for b in range(9)]
    )
    built = adapters.build_problem(sy)
    res = next(r for r in built.problem.residents if r.id == adapters.resident_id(appt.pk))
    # two published four-week blocks = four of this year's two-week blocks; drafts ignored
    assert dict(res.history) == {"micu": 4}
