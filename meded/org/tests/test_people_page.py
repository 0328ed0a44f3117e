import pytest

from meded.org.models import Appointment, Person

pytestmark = pytest.mark.django_db


def test_the_gme_office_sees_everyone_in_the_institution(as_user):
    r = as_user("gme-admin").get("/org/people/")
    assert r.context["listing"].page.paginator.count == Person.objects.count()


def test_a_coordinator_sees_only_people_appointed_in_their_program(as_user, im):
    r = as_user("coordinator").get("/org/people/")
    expected = Person.objects.filter(appointments__program=im).distinct().count()
    assert r.context["listing"].page.paginator.count == expected
    surgery_people = Person.objects.filter(
        appointments__program__slug="general-surgery-residency"
    ).exclude(appointments__program=im)
    names = {p.pk for p, _ in r.context["rows"]}
    assert not names & set(surgery_people.values_list("pk", flat=True))


def test_searching_by_first_and_last_name_finds_the_person(as_user):
    resident = Person.objects.get(user__username="resident")
    r = as_user("gme-admin").get(
        "/org/people/", {"q": f"{resident.first_name} {resident.last_name}"}
    )
    assert [p.pk for p, _ in r.context["rows"]] == [resident.pk]


def test_searching_by_email_is_case_insensitive(as_user):
    resident = Person.objects.get(user__username="resident")
    assert resident.email
    r = as_user("coordinator").get("/org/people/", {"q": resident.email.upper()})
    assert [p.pk for p, _ in r.context["rows"]] == [resident.pk]


def test_the_kind_filter_keeps_only_that_kind(as_user):
    r = as_user("gme-admin").get("/org/people/", {"kind": "student"})
    assert (
        r.context["listing"].page.paginator.count == Person.objects.filter(kind="student").count()
    )
    assert all(p.kind == "student" for p, _ in r.context["rows"])


def test_pages_hold_fifty_people_and_a_page_past_the_end_shows_the_last(as_user):
    client = as_user("gme-admin")
    first = client.get("/org/people/")
    assert len(first.context["rows"]) == 50
    last = client.get("/org/people/", {"page": 99999})
    assert last.context["listing"].page.number == last.context["listing"].page.paginator.num_pages


def test_the_people_page_runs_a_fixed_number_of_queries(as_user, django_assert_max_num_queries):
    client = as_user("gme-admin")
    client.get("/org/people/")  # warm caches (session, content types)
    with django_assert_max_num_queries(12):
        client.get("/org/people/")


def test_a_person_page_lists_every_appointment_with_its_pgy(as_user):
    resident = Person.objects.get(user__username="resident")
    r = as_user("coordinator").get(f"/org/people/{resident.pk}/")
    assert r.status_code == 200
    assert b"PGY-2" in r.content
    assert Appointment.objects.filter(person=resident).count() == len(r.context["appointments"])
