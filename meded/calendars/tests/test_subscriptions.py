"""Who sees and resets a person's subscription link: the person, their program's managers and
the GME office; everyone else gets 404. Resets are audited; the API gives the signed-in
person's link."""

from __future__ import annotations

import pytest

from meded.audit.models import AuditEntry
from meded.calendars.models import CalendarFeed
from meded.org.models import Person


@pytest.fixture
def resident(users) -> Person:
    return Person.objects.get(user=users["resident"])


def _page(pk: int) -> str:
    return f"/calendars/people/{pk}/"


def test_a_resident_sees_their_own_secret_link_with_a_webcal_link(as_user, resident):
    r = as_user("resident").get("/calendars/")
    assert r.status_code == 200
    feed = CalendarFeed.objects.get(person=resident, revoked_at__isnull=True)
    body = r.content.decode()
    assert "Subscribe to my calendar" in body
    assert f"http://testserver/calendars/feed/{feed.token}.ics" in body
    assert f"webcal://testserver/calendars/feed/{feed.token}.ics" in body
    # The same link on the page by person id, and no second token.
    assert feed.token in as_user("resident").get(_page(resident.pk)).content.decode()
    assert CalendarFeed.objects.filter(person=resident).count() == 1


@pytest.mark.parametrize("who", ["director", "coordinator", "gme-admin"])
def test_the_programs_managers_see_a_residents_link(as_user, resident, who):
    r = as_user(who).get(_page(resident.pk))
    assert r.status_code == 200
    feed = CalendarFeed.objects.get(person=resident, revoked_at__isnull=True)
    assert feed.token in r.content.decode()


@pytest.mark.parametrize("who", ["faculty", "chief", "surgery-coordinator", "outsider"])
def test_anyone_else_gets_404_for_a_residents_link_and_its_reset(as_user, resident, who):
    client = as_user(who)
    assert client.get(_page(resident.pk)).status_code == 404
    assert client.post(f"{_page(resident.pk)}reset/").status_code == 404
    assert not CalendarFeed.objects.filter(person=resident).exists()


def test_a_login_without_a_person_has_no_calendar_and_anonymous_visitors_sign_in(as_user):
    assert as_user("outsider").get("/calendars/").status_code == 404
    r = as_user(None).get("/calendars/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")


def test_resetting_revokes_the_old_link_and_is_audited(as_user, resident):
    client = as_user("resident")
    client.get("/calendars/")
    old = CalendarFeed.objects.get(person=resident, revoked_at__isnull=True)
    assert client.get(f"{_page(resident.pk)}reset/").status_code == 405
    r = client.post(f"{_page(resident.pk)}reset/", {"from": "mine"})
    assert r.status_code == 302 and r["Location"] == "/calendars/"
    old.refresh_from_db()
    new = CalendarFeed.objects.get(person=resident, revoked_at__isnull=True)
    assert old.revoked_at is not None and new.token != old.token
    entry = AuditEntry.objects.filter(object_type="calendars.calendarfeed").latest("at")
    assert entry.action == AuditEntry.Action.UPDATE and entry.actor_name == "resident"
    assert entry.person_ref == resident.pk and entry.program is not None
    assert old.token not in str(entry.changes) and new.token not in str(entry.changes)
    assert as_user(None).get(f"/calendars/feed/{old.token}.ics").status_code == 404


def test_a_coordinator_can_reset_a_residents_link(as_user, resident):
    as_user("resident").get("/calendars/")
    old = CalendarFeed.objects.get(person=resident, revoked_at__isnull=True)
    r = as_user("coordinator").post(f"{_page(resident.pk)}reset/")
    assert r.status_code == 302 and r["Location"] == _page(resident.pk)
    assert CalendarFeed.objects.get(person=resident, revoked_at__isnull=True).pk != old.pk


def test_the_person_page_links_the_subscription_only_for_those_who_may_see_it(as_user, resident):
    url = f"/org/people/{resident.pk}/"
    mine = as_user("resident").get(url).content.decode()
    assert 'id="calendar-subscription"' in mine and "Subscribe to my calendar" in mine
    coordinator = as_user("coordinator").get(url).content.decode()
    assert f'href="{_page(resident.pk)}" id="calendar-subscription"' in coordinator
    faculty = as_user("faculty").get(url)
    assert faculty.status_code == 200
    assert 'id="calendar-subscription"' not in faculty.content.decode()


def test_the_api_gives_the_signed_in_persons_feed_url(as_user, resident):
    r = as_user("resident").get("/api/calendars/me")
    assert r.status_code == 200
    data = r.json()
    feed = CalendarFeed.objects.get(person=resident, revoked_at__isnull=True)
    assert data["feed_url"] == f"http://testserver/calendars/feed/{feed.token}.ics"
    assert data["webcal_url"] == f"webcal://testserver/calendars/feed/{feed.token}.ics"
    assert data["last_fetched_at"] is None
    assert as_user("outsider").get("/api/calendars/me").status_code == 404
    assert as_user(None).get("/api/calendars/me").status_code == 401
