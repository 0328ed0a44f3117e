import pytest
from django.utils import timezone

from meded.org.models import Institution, Person, Program, Site
from meded.public.tests.helpers import expected_facts, live_counts

pytestmark = pytest.mark.django_db


def test_the_facts_answer_without_sign_in_and_equal_independent_counts(as_user):
    r = as_user(None).get("/api/public/facts")
    assert r.status_code == 200
    body = r.json()
    expected = expected_facts(timezone.localdate())
    assert {k: body[k] for k in expected} == expected
    assert body["sponsor"] == "Massachusetts General Hospital"
    assert body["today"] == timezone.localdate().isoformat()
    assert body["institutions"][0]["slug"] == "mgh"
    assert {i["slug"] for i in body["institutions"]} == set(
        Institution.objects.values_list("slug", flat=True)
    )
    assert sum(i["programs"] for i in body["institutions"]) == body["network_programs"]


def test_the_facts_follow_the_data(as_user, surgery):
    client = as_user(None)
    before = client.get("/api/public/facts").json()
    Program.objects.filter(pk=surgery.pk).update(kind="fellowship")
    after = client.get("/api/public/facts").json()
    assert after["residency_programs"] == before["residency_programs"] - 1
    assert after["fellowship_programs"] == before["fellowship_programs"] + 1


def test_a_public_program_answers_with_its_tracks_and_sites(as_user, im):
    r = as_user(None).get(f"/api/public/programs/{im.slug}")
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == im.name
    assert body["description"] == im.description
    assert [t["code"] for t in body["tracks"]] == list(im.tracks.values_list("code", flat=True))
    counts = live_counts(im)
    sites = {s["code"]: s for s in body["sites"]}
    assert set(sites) == set(Site.objects.filter(tracks__program=im).values_list("code", flat=True))
    for code, site in sites.items():
        assert site["current_residents"] == counts.get(code, 0)
    assert sites["bmg"]["residents_placed_label"] == "20+"
    assert sites["ima"]["residents_placed_label"] == "60"
    assert sites["broadway-revere"]["tracks"] == ["Primary Care"]
    assert body["current_residents"] >= sum(counts.values()) > 0


def test_the_outsider_gets_the_same_answer_as_an_anonymous_caller(as_user, im):
    url = f"/api/public/programs/{im.slug}"
    assert as_user("outsider").get(url).json() == as_user(None).get(url).json()


def test_a_program_that_is_not_public_or_does_not_exist_answers_404(as_user, surgery):
    client = as_user(None)
    assert client.get(f"/api/public/programs/{surgery.slug}").status_code == 200
    Program.objects.filter(pk=surgery.pk).update(is_public=False)
    assert client.get(f"/api/public/programs/{surgery.slug}").status_code == 404
    assert client.get("/api/public/programs/no-such-program").status_code == 404
    listed = {p["slug"] for p in client.get("/api/public/programs").json()}
    assert surgery.slug not in listed
    assert listed == set(Program.objects.filter(is_public=True).values_list("slug", flat=True))


def test_no_resident_name_or_email_is_in_the_json(as_user, im):
    client = as_user(None)
    bodies = [
        client.get(f"/api/public/programs/{im.slug}").content.decode(),
        client.get("/api/public/facts").content.decode(),
        client.get("/api/public/programs").content.decode(),
    ]
    people = Person.objects.filter(appointments__program=im, appointments__kind="trainee")
    for person in people:
        for body in bodies:
            assert f"{person.first_name} {person.last_name}" not in body
            assert person.email not in body


def test_the_openapi_schema_marks_the_public_operations_as_open(as_user):
    schema = as_user(None).get("/api/openapi.json").json()
    for path in ("/api/public/facts", "/api/public/programs/{slug}"):
        assert "security" not in schema["paths"][path]["get"]
