from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from meded.audit.models import AuditEntry
from meded.schedules import adapters
from meded.schedules.actions import (
    ScheduleError,
    do_decide_vacation,
    do_rank_electives,
    do_request_vacation,
)
from meded.schedules.models import ElectivePreference, VacationRequest


def test_a_resident_requests_vacation_for_themselves_while_the_window_is_open(sy, users, as_user):
    r = as_user("resident").post(
        f"/schedules/{sy.program.slug}/{sy.pk}/requests/",
        {"action": "vacation", "blocks": ["4", "5"], "note": "Trip"},
    )
    assert r.status_code == 302
    req = VacationRequest.objects.filter(appointment__person__user=users["resident"]).latest("id")
    assert req.blocks == [3, 4] and req.status == "pending"
    assert AuditEntry.objects.filter(
        action="create", object_type="schedules.vacationrequest", object_id=str(req.pk)
    ).exists()
    built = adapters.build_problem(sy)
    mine = [v for v in built.problem.vacation_requests if v.id == f"v{req.pk}"]
    assert mine and not mine[0].approved  # pending: a soft wish for the solver
    do_decide_vacation(users["chief"], req, "approved")
    built = adapters.build_problem(sy)
    assert next(v for v in built.problem.vacation_requests if v.id == f"v{req.pk}").approved


def test_requests_are_refused_outside_the_window(sy, users):
    after = sy.requests_close + dt.timedelta(days=1)
    with pytest.raises(ScheduleError):
        do_request_vacation(users["resident"], sy, [3], today=after)
    with pytest.raises(ScheduleError):
        do_rank_electives(users["resident"], sy, ["el_geri"], today=after)
    before = sy.requests_open - dt.timedelta(days=1)
    with pytest.raises(ScheduleError):
        do_request_vacation(users["resident"], sy, [3], today=before)
    assert do_request_vacation(users["resident"], sy, [3], today=sy.requests_open).pk


def test_only_residents_of_the_program_request_and_only_for_themselves(sy, users):
    for name in ("chief", "faculty", "outsider", "surgery-coordinator"):
        with pytest.raises(PermissionDenied):
            do_request_vacation(users[name], sy, [3])


def test_a_resident_ranks_electives_replacing_an_earlier_ranking(sy, users):
    do_rank_electives(users["resident"], sy, ["el_geri", "el_pulm"])
    prefs = do_rank_electives(users["resident"], sy, ["el_rheum", "el_geri", "research"])
    mine = ElectivePreference.objects.filter(appointment__person__user=users["resident"])
    assert [(p.rank, p.rotation.code) for p in mine.order_by("rank")] == [
        (1, "el_rheum"),
        (2, "el_geri"),
        (3, "research"),
    ]
    assert len(prefs) == 3
    with pytest.raises(ScheduleError):
        do_rank_electives(users["resident"], sy, ["micu"])
    with pytest.raises(ScheduleError):
        do_rank_electives(users["resident"], sy, ["el_geri", "el_geri"])
    entry = AuditEntry.objects.filter(object_type="schedules.electivepreference").latest("id")
    assert entry.changes["electives"] == [
        ["el_geri", "el_pulm"],
        ["el_rheum", "el_geri", "research"],
    ]
