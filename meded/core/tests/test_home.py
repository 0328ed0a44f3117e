import pytest

pytestmark = pytest.mark.django_db


def test_an_anonymous_visitor_is_sent_to_sign_in(as_user):
    r = as_user(None).get("/home/")
    assert r.status_code == 302
    assert "/accounts/login/" in r["Location"]


def test_the_outsider_sees_that_they_have_no_role_and_no_program(as_user, im):
    r = as_user("outsider").get("/home/")
    assert r.status_code == 200
    assert b"no role in any program" in r.content
    assert im.name.encode() not in r.content


def test_the_coordinator_sees_their_program_on_the_home_page(as_user, im, surgery):
    r = as_user("coordinator").get("/home/")
    assert im.name.encode() in r.content
    assert surgery.name.encode() not in r.content


def test_a_resident_sees_their_own_appointment_and_pgy(as_user):
    r = as_user("resident").get("/home/")
    assert r.status_code == 200
    assert b"PGY-2" in r.content
    assert b"Internal Medicine Residency Program" in r.content
