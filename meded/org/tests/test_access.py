"""Every organization screen and API endpoint, for every persona: who gets in, who does not."""

import pytest

pytestmark = pytest.mark.django_db

IM = "internal-medicine"


def person_pk(username):
    from meded.org.models import Person

    return Person.objects.get(user__username=username).pk


SCREENS = [
    "/org/programs/",
    f"/org/programs/{IM}/",
    f"/org/programs/{IM}/roster/",
    "/org/people/",
    "/org/sites/",
    "/org/sites/ima/",
    "/org/institutions/",
    "/org/institutions/mgh/",
    "/org/academic-years/",
]
IM_ONLY = [f"/org/programs/{IM}/", f"/org/programs/{IM}/roster/"]
API = [
    "/api/programs",
    f"/api/programs/{IM}",
    f"/api/programs/{IM}/roster",
    f"/api/programs/{IM}/sites",
    "/api/people",
    "/api/sites",
    "/api/institutions",
    "/api/academic-years",
]


@pytest.mark.parametrize("url", SCREENS)
def test_an_anonymous_visitor_is_sent_to_sign_in_from_every_org_screen(as_user, url):
    r = as_user(None).get(url)
    assert r.status_code == 302
    assert r["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", SCREENS)
@pytest.mark.parametrize("who", ["outsider", "resident"])
def test_the_outsider_and_a_resident_cannot_browse_the_organization(as_user, url, who):
    assert as_user(who).get(url).status_code in (403, 404)


@pytest.mark.parametrize("url", SCREENS)
@pytest.mark.parametrize("who", ["gme-admin", "director", "coordinator", "chief", "faculty"])
def test_program_staff_and_the_gme_office_can_open_every_org_screen(as_user, url, who):
    assert as_user(who).get(url).status_code == 200


@pytest.mark.parametrize("url", IM_ONLY)
def test_a_user_of_another_program_cannot_see_internal_medicine(as_user, url):
    assert as_user("surgery-coordinator").get(url).status_code == 404


@pytest.mark.parametrize("url", API)
def test_the_api_refuses_an_anonymous_caller(as_user, url):
    assert as_user(None).get(url).status_code == 401


@pytest.mark.parametrize("url", API)
@pytest.mark.parametrize("who", ["outsider", "resident"])
def test_the_api_gives_the_outsider_and_a_resident_nothing(as_user, url, who):
    assert as_user(who).get(url).status_code in (403, 404)


@pytest.mark.parametrize("url", [u for u in API if IM in u])
def test_the_api_hides_internal_medicine_from_another_programs_user(as_user, url):
    assert as_user("surgery-coordinator").get(url).status_code == 404


@pytest.mark.parametrize("url", API)
def test_the_gme_office_can_call_every_org_endpoint(as_user, url):
    assert as_user("gme-admin").get(url).status_code == 200


def test_a_resident_can_open_their_own_record_but_not_a_colleagues(as_user):
    client = as_user("resident")
    assert client.get(f"/org/people/{person_pk('resident')}/").status_code == 200
    assert client.get(f"/org/people/{person_pk('chief')}/").status_code == 404
    assert client.get(f"/api/people/{person_pk('resident')}").status_code == 200
    assert client.get(f"/api/people/{person_pk('chief')}").status_code == 404


def test_the_outsider_cannot_open_any_person(as_user):
    client = as_user("outsider")
    assert client.get(f"/org/people/{person_pk('resident')}/").status_code == 404
    assert client.get(f"/api/people/{person_pk('resident')}").status_code == 404


def test_another_programs_coordinator_cannot_open_an_internal_medicine_resident(as_user):
    client = as_user("surgery-coordinator")
    assert client.get(f"/org/people/{person_pk('resident')}/").status_code == 404
    assert client.get(f"/api/people/{person_pk('resident')}").status_code == 404


def test_the_api_tells_each_persona_what_they_are(as_user):
    assert as_user("coordinator").get("/api/me").json()["persona"] == "Program coordinator"
    assert as_user("gme-admin").get("/api/me").json()["is_gme_admin"] is True
    assert as_user("outsider").get("/api/me").json()["programs"] == []
