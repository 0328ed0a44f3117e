"""Who sees, issues and revokes a person's subscription link: the person, their program's
managers and the GME office; everyone else gets 404. The link is shown once, in the answer that
issues it (only its hash is stored); issuing and revoking are audited; nothing is written on
GET. The API does the same for the signed-in person and for people one manages."""

from __future__ import annotations

import re

import pytest

from meded.audit.models import AuditEntry
from meded.calendars.models import CalendarFeed, hash_token
from meded.org.models import Person


@pytest.fixture
def resident(users) -> Person:
    return Person.objects.get(user=users["resident"])


def _page(pk: int) -> str:
    return f"/calendars/people/{pk}/"


FEED_URL = re.compile(r"http://testserver/calendars/feed/([A-Za-z0-9_-]{43})\.ics")


def _token_in(html: str) -> str:
    found = FEED_URL.search(html)
    assert found, "the page shows the new link"
    return found.group(1)


def test_the_page_writes_nothing_on_get_and_offers_to_create_a_link(as_user, resident):
    r = as_user("resident").get("/calendars/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "Subscribe to my calendar" in body and 'id="create"' in body
    assert not CalendarFeed.objects.filter(person=resident).exists()
    assert not FEED_URL.search(body)


def test_a_resident_creates_a_link_that_is_shown_once_with_a_webcal_link(as_user, resident):
    client = as_user("resident")
    r = client.post(f"{_page(resident.pk)}link/")
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    body = r.content.decode()
    token = _token_in(body)
    assert f"webcal://testserver/calendars/feed/{token}.ics" in body
    feed = CalendarFeed.objects.get(person=resident, revoked_at__isnull=True)
    assert feed.token_hash == hash_token(token)
    # Shown only once: the pages afterwards say a link is live, but cannot show it.
    for url in ("/calendars/", _page(resident.pk)):
        again = client.get(url).content.decode()
        assert token not in again and 'id="link-state"' in again and 'id="reset"' in again
    assert as_user(None).get(f"/calendars/feed/{token}.ics").status_code == 200
    entry = AuditEntry.objects.filter(object_type="calendars.calendarfeed").latest("at")
    assert entry.action == AuditEntry.Action.CREATE and entry.actor_name == "resident"
    assert token not in str(entry.changes) and feed.token_hash not in str(entry.changes)


@pytest.mark.parametrize("who", ["director", "coordinator", "gme-admin"])
def test_the_programs_managers_can_issue_a_residents_link(as_user, resident, who):
    client = as_user(who)
    assert client.get(_page(resident.pk)).status_code == 200
    r = client.post(f"{_page(resident.pk)}link/")
    assert r.status_code == 200
    token = _token_in(r.content.decode())
    assert CalendarFeed.objects.get(person=resident, revoked_at__isnull=True).token_hash == (
        hash_token(token)
    )


@pytest.mark.parametrize("who", ["faculty", "chief", "surgery-coordinator", "outsider"])
def test_anyone_else_gets_404_for_a_residents_link_and_its_changes(as_user, resident, who):
    client = as_user(who)
    assert client.get(_page(resident.pk)).status_code == 404
    assert client.post(f"{_page(resident.pk)}link/").status_code == 404
    assert client.post(f"{_page(resident.pk)}revoke/").status_code == 404
    assert not CalendarFeed.objects.filter(person=resident).exists()


def test_a_login_without_a_person_has_no_calendar_and_anonymous_visitors_sign_in(as_user):
    assert as_user("outsider").get("/calendars/").status_code == 404
    r = as_user(None).get("/calendars/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")


def test_a_new_link_revokes_the_old_one_and_is_audited(as_user, resident):
    client = as_user("resident")
    old_token = _token_in(client.post(f"{_page(resident.pk)}link/").content.decode())
    old = CalendarFeed.objects.get(person=resident, revoked_at__isnull=True)
    assert client.get(f"{_page(resident.pk)}link/").status_code == 405
    new_token = _token_in(client.post(f"{_page(resident.pk)}link/").content.decode())
    old.refresh_from_db()
    new = CalendarFeed.objects.get(person=resident, revoked_at__isnull=True)
    assert old.revoked_at is not None and new.pk != old.pk and new_token != old_token
    entry = AuditEntry.objects.filter(object_type="calendars.calendarfeed").latest("at")
    assert entry.action == AuditEntry.Action.UPDATE and entry.actor_name == "resident"
    assert entry.person_ref == resident.pk and entry.program is not None
    assert old_token not in str(entry.changes) and new_token not in str(entry.changes)
    anonymous = as_user(None)
    assert anonymous.get(f"/calendars/feed/{old_token}.ics").status_code == 404
    assert anonymous.get(f"/calendars/feed/{new_token}.ics").status_code == 200


@pytest.mark.parametrize("who", ["resident", "coordinator", "gme-admin"])
def test_the_owner_and_an_admin_can_revoke_a_link_and_it_stops_working(as_user, resident, who):
    token = _token_in(as_user("resident").post(f"{_page(resident.pk)}link/").content.decode())
    client = as_user(who)
    assert client.get(f"{_page(resident.pk)}revoke/").status_code == 405
    r = client.post(f"{_page(resident.pk)}revoke/")
    assert r.status_code == 302
    assert r["Location"] == ("/calendars/" if who == "resident" else _page(resident.pk))
    assert not CalendarFeed.objects.filter(person=resident, revoked_at__isnull=True).exists()
    assert as_user(None).get(f"/calendars/feed/{token}.ics").status_code == 404
    entry = AuditEntry.objects.filter(object_type="calendars.calendarfeed").latest("at")
    assert entry.actor_name == who and entry.note.startswith("Calendar subscription link revoked")
    assert "revoked_at" in entry.changes and entry.person_ref == resident.pk
    # Revoking again finds nothing and writes nothing.
    count = AuditEntry.objects.count()
    assert client.post(f"{_page(resident.pk)}revoke/").status_code == 302
    assert AuditEntry.objects.count() == count


def test_the_person_page_links_the_subscription_only_for_those_who_may_see_it(as_user, resident):
    url = f"/org/people/{resident.pk}/"
    mine = as_user("resident").get(url).content.decode()
    assert 'id="calendar-subscription"' in mine and "Subscribe to my calendar" in mine
    coordinator = as_user("coordinator").get(url).content.decode()
    assert f'href="{_page(resident.pk)}" id="calendar-subscription"' in coordinator
    faculty = as_user("faculty").get(url)
    assert faculty.status_code == 200
    assert 'id="calendar-subscription"' not in faculty.content.decode()


def test_the_api_issues_the_signed_in_persons_link_once_and_revokes_it(as_user, resident):
    client = as_user("resident")
    state = client.get("/api/calendars/me")
    assert state.status_code == 200
    assert state.json() == {"has_link": False, "created_at": None, "last_fetched_at": None}
    assert not CalendarFeed.objects.filter(person=resident).exists()  # GET wrote nothing
    r = client.post("/api/calendars/me")
    assert r.status_code == 201
    data = r.json()
    token = _token_in(data["feed_url"])
    assert data["webcal_url"] == f"webcal://testserver/calendars/feed/{token}.ics"
    feed = CalendarFeed.objects.get(person=resident, revoked_at__isnull=True)
    assert feed.token_hash == hash_token(token)
    state = client.get("/api/calendars/me").json()
    assert state["has_link"] is True and token not in str(state)
    assert client.delete("/api/calendars/me").json() == {"revoked": 1}
    assert as_user(None).get(f"/calendars/feed/{token}.ics").status_code == 404
    assert as_user("outsider").get("/api/calendars/me").status_code == 404
    assert as_user(None).get("/api/calendars/me").status_code == 401
    assert as_user(None).post("/api/calendars/me").status_code == 401


def test_the_api_lets_a_manager_revoke_a_residents_link_and_no_one_else(as_user, resident):
    token = _token_in(as_user("resident").post("/api/calendars/me").json()["feed_url"])
    url = f"/api/calendars/people/{resident.pk}"
    for who in ("faculty", "surgery-coordinator", "outsider"):
        assert as_user(who).delete(url).status_code == 404
        assert as_user(who).post(url).status_code == 404
    assert as_user(None).get(f"/calendars/feed/{token}.ics").status_code == 200
    coordinator = as_user("coordinator")
    assert coordinator.get(url).json()["has_link"] is True
    assert coordinator.delete(url).json() == {"revoked": 1}
    assert as_user(None).get(f"/calendars/feed/{token}.ics").status_code == 404
