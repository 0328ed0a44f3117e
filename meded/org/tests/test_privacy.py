"""Privacy and separation of duties: why a resident is away is for them and the program's
leadership; nobody approves their own request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from meded.org.actions import do_add_leave
from meded.org.models import Appointment, ProgramRole
from meded.schedules.tests.conftest import sy

__all__ = ["sy"]

pytestmark = pytest.mark.django_db

NOTE = "Recovering from knee surgery"


@pytest.fixture
def medical_leave(users):
    appt = Appointment.objects.select_related("person").get(
        person__user__username="resident", kind="trainee"
    )
    start = max(appt.start_date, dt.date(2026, 7, 1)) + dt.timedelta(days=30)
    do_add_leave(
        users["coordinator"],
        appt,
        kind="medical",
        start_date=start,
        end_date=start + dt.timedelta(days=13),
        note=NOTE,
    )
    return appt


@pytest.mark.parametrize("name", ["resident", "director", "coordinator", "gme-admin"])
def test_the_trainee_and_the_programs_leadership_see_why_a_resident_is_away(
    as_user, medical_leave, name
):
    html = as_user(name).get(f"/org/people/{medical_leave.person_id}/").content.decode()
    assert NOTE in html and "<td>Medical</td>" in html


@pytest.mark.parametrize("name", ["faculty", "chief"])
def test_faculty_and_chief_residents_see_that_a_resident_is_away_but_not_why(
    as_user, medical_leave, name
):
    r = as_user(name).get(f"/org/people/{medical_leave.person_id}/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "Away" in html and "14" in html  # the dates and days are shown
    assert NOTE not in html and "<td>Medical</td>" not in html


def make_chief(username: str, im) -> None:
    appt = Appointment.objects.get(person__user__username=username, kind="trainee")
    ProgramRole.objects.create(program=im, person=appt.person, role=ProgramRole.Role.CHIEF_RESIDENT)


def test_a_chief_resident_cannot_approve_their_own_vacation(sy, users, im):
    from meded.schedules.actions import do_decide_vacation, do_request_vacation

    make_chief("resident", im)  # the resident is also a chief resident now
    req = do_request_vacation(users["resident"], sy, [3], today=sy.requests_open)
    with pytest.raises(PermissionDenied, match="your own"):
        do_decide_vacation(users["resident"], req, "approved")
    req.refresh_from_db()
    assert req.status == "pending"
    do_decide_vacation(users["chief"], req, "approved")  # another chief may
    req.refresh_from_db()
    assert req.status == "approved"


def test_the_request_screen_refuses_a_chiefs_own_vacation_decision(as_user, sy, users, im):
    from meded.schedules.actions import do_request_vacation

    make_chief("resident", im)
    req = do_request_vacation(users["resident"], sy, [3], today=sy.requests_open)
    r = as_user("resident").post(
        f"/schedules/{im.slug}/{sy.pk}/requests/",
        {"action": "decide", "request": req.pk, "status": "approved"},
    )
    assert r.status_code in (302, 403)
    req.refresh_from_db()
    assert req.status == "pending"
