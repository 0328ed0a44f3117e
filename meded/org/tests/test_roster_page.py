import pytest

from meded.org import queries
from meded.org.models import Appointment, TraineeYear

pytestmark = pytest.mark.django_db


def current_trainees(program):
    return Appointment.objects.filter(queries.current_q(), program=program, kind="trainee")


def test_the_roster_lists_every_current_trainee_of_the_program(as_user, im):
    r = as_user("coordinator").get("/org/programs/internal-medicine/roster/")
    assert r.context["listing"].page.paginator.count == current_trainees(im).count()


def test_the_roster_filters_by_pgy_using_this_years_pgy(as_user, im):
    year = queries.current_year()
    r = as_user("chief").get("/org/programs/internal-medicine/roster/", {"pgy": 2})
    expected = TraineeYear.objects.filter(
        academic_year=year, pgy=2, appointment__in=current_trainees(im)
    ).count()
    assert r.context["listing"].page.paginator.count == expected > 0
    assert all(a.pgy == 2 for a in r.context["listing"].items)


def test_the_roster_filters_by_track_and_site(as_user, im):
    r = as_user("director").get(
        "/org/programs/internal-medicine/roster/", {"track": "categorical", "site": "ima"}
    )
    rows = list(r.context["listing"].items)
    assert rows
    assert all(a.track.code == "categorical" and a.continuity_site.code == "ima" for a in rows)


def test_a_withdrawn_resident_leaves_the_current_roster_but_stays_in_all(as_user, im):
    a = current_trainees(im).first()
    Appointment.objects.filter(pk=a.pk).update(status="withdrawn")
    client = as_user("coordinator")
    current = client.get("/org/programs/internal-medicine/roster/", {"q": a.person.email})
    assert current.context["listing"].page.paginator.count == 0
    everyone = client.get(
        "/org/programs/internal-medicine/roster/", {"q": a.person.email, "status": "all"}
    )
    assert everyone.context["listing"].page.paginator.count == 1


def test_the_program_page_counts_trainees_by_track_and_pgy(as_user, im):
    r = as_user("faculty").get("/org/programs/internal-medicine/")
    assert r.context["total"] == current_trainees(im).count()
    categorical = next(row for row in r.context["track_rows"] if row[0] == "Categorical")
    assert categorical[2] == current_trainees(im).filter(track__code="categorical").count()


def test_the_roster_page_runs_a_fixed_number_of_queries(as_user, django_assert_max_num_queries):
    client = as_user("coordinator")
    client.get("/org/programs/internal-medicine/roster/")
    with django_assert_max_num_queries(15):
        client.get("/org/programs/internal-medicine/roster/")
