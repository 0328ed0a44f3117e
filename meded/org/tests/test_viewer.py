"""Who counts as having a role: a current appointment or role, not merely a linked login."""

import datetime as dt

import pytest
from django.utils import timezone

from meded.org.access import viewer_for
from meded.org.models import Appointment

pytestmark = pytest.mark.django_db


def graduate(username: str) -> None:
    """End every appointment of the persona yesterday: a graduate whose login still exists."""
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Appointment.objects.filter(person__user__username=username).update(
        start_date=yesterday - dt.timedelta(days=3 * 365), end_date=yesterday
    )


def test_a_current_resident_has_a_role(users):
    assert viewer_for(users["resident"]).has_any_role


def test_a_graduate_whose_appointments_have_ended_has_no_role(users):
    graduate("resident")
    v = viewer_for(users["resident"])
    assert v.person_id is not None
    assert not v.has_any_role


@pytest.mark.parametrize("url", ["/rosters/on-call/", "/rosters/", "/rosters/me/"])
def test_a_graduate_sees_no_hospital_wide_data_such_as_who_is_on_call(as_user, url):
    graduate("resident")
    assert as_user("resident").get(url).status_code in (403, 404)


def test_a_current_resident_still_sees_who_is_on_call(as_user):
    assert as_user("resident").get("/rosters/on-call/").status_code == 200
