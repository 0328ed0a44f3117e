"""The secret subscription feed: published blocks only, read by an independent parser
(icalendar), no sign-in, 404 for unknown and revoked tokens."""

from __future__ import annotations

import datetime as dt
import string
from typing import Any

import icalendar
import pytest
from django.utils import timezone

from meded.calendars import actions, sources
from meded.calendars.ical import Event
from meded.calendars.models import CalendarFeed, hash_token
from meded.org.models import Person
from meded.schedules.actions import do_publish
from meded.schedules.models import Assignment, Rotation, ScheduleVersion


@pytest.fixture
def resident(users) -> Person:
    return Person.objects.get(user=users["resident"])


@pytest.fixture
def feed(resident, users) -> CalendarFeed:
    return actions.do_issue_feed(users["resident"], resident)


def _url(feed: CalendarFeed) -> str:
    return f"/calendars/feed/{feed.token}.ics"


def _events(client, feed: CalendarFeed) -> list[Any]:
    r = client.get(_url(feed))
    assert r.status_code == 200, r.status_code
    assert r["Content-Type"] == "text/calendar; charset=utf-8"
    cal = icalendar.Calendar.from_ical(r.content.decode("utf-8"))
    return cal.walk("VEVENT")


def _cells(version: ScheduleVersion, person: Person) -> list[Assignment]:
    return list(
        Assignment.objects.filter(version=version, appointment__person=person)
        .select_related("rotation")
        .order_by("block")
    )


def _copy(version: ScheduleVersion, number: int) -> ScheduleVersion:
    """A draft copy of a version (the rows only; no audit, no job)."""
    new = ScheduleVersion.objects.create(
        schedule_year=version.schedule_year, number=number, solver_status="copy"
    )
    Assignment.objects.bulk_create(
        Assignment(version=new, appointment_id=a.appointment_id, block=a.block, rotation=a.rotation)
        for a in version.assignments.all()
    )
    new.schedule_year = version.schedule_year
    return new


def test_a_feed_token_is_long_random_and_url_safe_and_only_its_hash_is_stored(
    feed, resident, users
):
    assert feed.token is not None
    assert len(feed.token) >= 43  # 32 random bytes
    assert set(feed.token) <= set(string.ascii_letters + string.digits + "-_")
    stored = CalendarFeed.objects.get(pk=feed.pk)
    assert stored.token is None and stored.token_hash == hash_token(feed.token)
    assert feed.token not in str(CalendarFeed.objects.filter(pk=feed.pk).values().get())
    again = actions.do_issue_feed(users["resident"], resident)
    assert again.pk != feed.pk and again.token != feed.token
    # one live feed per person
    assert list(CalendarFeed.objects.filter(person=resident, revoked_at__isnull=True)) == [again]


def test_the_feed_holds_only_published_blocks(as_user, solved, feed, resident, users):
    anonymous = as_user(None)
    assert _events(anonymous, feed) == []  # version 1 is a draft: nothing yet
    do_publish(users["chief"], solved)
    sy = solved.schedule_year
    # A draft made after publishing moves the resident to another rotation in block 0.
    draft = _copy(solved, 2)
    first = _cells(solved, resident)[0]
    other = Rotation.objects.filter(program=sy.program).exclude(pk=first.rotation_id).first()
    assert other is not None
    Assignment.objects.filter(version=draft, appointment_id=first.appointment_id, block=0).update(
        rotation=other
    )
    events = _events(anonymous, feed)
    cells = _cells(solved, resident)
    covered = set()
    for ev in events:
        start, end = ev.decoded("DTSTART"), ev.decoded("DTEND")
        assert type(start) is dt.date and type(end) is dt.date  # all-day events
        first_block = (start - sy.start_date).days // sy.block_days
        last_block = (end - sy.start_date).days // sy.block_days - 1  # DTEND is exclusive
        assert end == sy.block_end(last_block) + dt.timedelta(days=1)
        rots = {c.rotation for c in cells if first_block <= c.block <= last_block}
        assert len(rots) == 1
        (rot,) = rots
        assert str(ev["SUMMARY"]) == rot.name
        assert str(ev.get("LOCATION", "")) == rot.site
        assert str(ev["UID"]) == f"rotation-{resident.pk}-{rot.pk}-{start:%Y%m%d}@meded"
        assert ev.decoded("DTSTAMP") == solved.published_at.replace(microsecond=0)
        covered |= set(range(first_block, last_block + 1))
    assert covered == {c.block for c in cells}
    assert len(events) < len(cells)  # one event per run of the same rotation
    assert len({str(e["UID"]) for e in events}) == len(events)
    block0 = next(e for e in events if e.decoded("DTSTART") == sy.start_date)
    assert str(block0["SUMMARY"]) == first.rotation.name != other.name


def test_the_feed_changes_when_a_new_version_is_published(as_user, solved, feed, resident, users):
    do_publish(users["chief"], solved)
    sy = solved.schedule_year
    client = as_user(None)
    before = {str(e["UID"]): e for e in _events(client, feed)}
    draft = _copy(solved, 2)
    cells = _cells(solved, resident)
    last = cells[-1]
    other = Rotation.objects.filter(program=sy.program).exclude(pk=last.rotation_id).first()
    assert other is not None
    Assignment.objects.filter(
        version=draft, appointment_id=last.appointment_id, block=last.block
    ).update(rotation=other)
    do_publish(users["chief"], draft)
    after = {str(e["UID"]): e for e in _events(client, feed)}
    assert after != before
    start = sy.block_start(last.block)
    new_uid = f"rotation-{resident.pk}-{other.pk}-{start:%Y%m%d}@meded"
    assert new_uid in after and new_uid not in before
    assert after[new_uid].decoded("DTEND") == start + dt.timedelta(days=sy.block_days)
    # Stints the new version did not touch keep their UIDs (calendar apps update in place).
    unchanged = [u for u in before if before[u].decoded("DTEND") <= start]
    assert unchanged and all(u in after for u in unchanged)
    assert all(after[u].decoded("SEQUENCE") == 2 for u in after)


def test_a_revoked_feed_token_answers_404(as_user, solved, feed, resident, users):
    do_publish(users["chief"], solved)
    client = as_user(None)
    assert client.get(_url(feed)).status_code == 200
    new = actions.do_reset_feed(users["resident"], resident)
    assert new.token != feed.token
    assert client.get(_url(feed)).status_code == 404
    assert client.get(_url(new)).status_code == 200
    feed.refresh_from_db()
    assert feed.revoked_at is not None


def test_an_unknown_token_answers_404_and_the_feed_takes_no_writes(as_user, feed):
    client = as_user(None)
    made_up = "not-a-real-token-at-all-but-long-enough-yes"
    assert client.get(f"/calendars/feed/{made_up}.ics").status_code == 404
    assert client.get(f"/calendars/feed/{feed.token[:-1]}.ics").status_code == 404
    assert client.post(_url(feed)).status_code == 405


def test_the_feed_needs_no_sign_in_and_is_cached_only_privately_and_briefly(as_user, feed):
    r = as_user(None).get(_url(feed))
    assert r.status_code == 200
    directives = {d.strip() for d in r["Cache-Control"].split(",")}
    assert "private" in directives
    max_age = next(int(d.split("=")[1]) for d in directives if d.startswith("max-age="))
    assert 0 < max_age <= 3600
    text = r.content.decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\n")
    assert "X-WR-CALNAME:" in text and "REFRESH-INTERVAL;VALUE=DURATION:" in text
    assert "X-PUBLISHED-TTL:" in text
    # A client that has the same body already gets 304.
    again = as_user(None).get(_url(feed), HTTP_IF_NONE_MATCH=r["ETag"])
    assert again.status_code == 304 and again.content == b""


def test_fetching_notes_last_fetched_at_with_at_most_one_write_per_few_minutes(
    as_user, feed, django_assert_max_num_queries
):
    client = as_user(None)
    assert feed.last_fetched_at is None
    client.get(_url(feed))
    feed.refresh_from_db()
    first = feed.last_fetched_at
    assert first is not None and timezone.now() - first < dt.timedelta(minutes=1)
    # the feed with its person and login, the login's roles (4), the person's cells and
    # shifts; no UPDATE
    with django_assert_max_num_queries(8):
        client.get(_url(feed))
    feed.refresh_from_db()
    assert feed.last_fetched_at == first
    actions.note_fetch(feed, first + actions.FETCH_RESOLUTION + dt.timedelta(seconds=1))
    feed.refresh_from_db()
    assert feed.last_fetched_at > first


def test_another_source_adds_its_events_to_every_feed(as_user, feed, resident, monkeypatch):
    def call_shifts(person: Person) -> list[Event]:
        start = dt.datetime(2026, 7, 4, 19, 0, tzinfo=dt.UTC)
        return [
            Event(
                uid=f"call-{person.pk}-20260704@meded",
                summary="Night call, MICU; backup",
                start=start,
                end=start + dt.timedelta(hours=12),
                busy=True,
            )
        ]

    monkeypatch.setattr(sources, "SOURCES", list(sources.SOURCES))
    sources.register(call_shifts)
    sources.register(call_shifts)  # twice is once
    events = _events(as_user(None), feed)
    assert [str(e["SUMMARY"]) for e in events] == ["Night call, MICU; backup"]
    assert events[0].decoded("DTSTART") == dt.datetime(2026, 7, 4, 19, 0, tzinfo=dt.UTC)


def test_the_signed_in_calendar_download_has_the_feeds_events(as_user, solved, feed, users):
    do_publish(users["chief"], solved)
    sy = solved.schedule_year
    r = as_user("resident").get(f"/schedules/{sy.program.slug}/{sy.pk}/calendar.ics")
    download = icalendar.Calendar.from_ical(r.content.decode("utf-8")).walk("VEVENT")
    subscribed = _events(as_user(None), feed)
    assert {str(e["UID"]) for e in download} == {str(e["UID"]) for e in subscribed}


def test_a_feed_stops_working_when_its_login_is_deactivated(as_user, feed, users):
    client = as_user(None)
    assert client.get(_url(feed)).status_code == 200
    User = type(users["resident"])
    User.objects.filter(pk=users["resident"].pk).update(is_active=False)
    assert client.get(_url(feed)).status_code == 404
    User.objects.filter(pk=users["resident"].pk).update(is_active=True)
    assert client.get(_url(feed)).status_code == 200


def test_a_feed_stops_working_when_the_persons_every_role_has_ended(as_user, feed, resident):
    from meded.org.models import Appointment, ProgramRole

    client = as_user(None)
    assert client.get(_url(feed)).status_code == 200
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Appointment.objects.filter(person=resident).update(
        start_date=yesterday - dt.timedelta(days=400), end_date=yesterday
    )
    ProgramRole.objects.filter(person=resident).update(end_date=yesterday)
    assert client.get(_url(feed)).status_code == 404


def test_a_feed_of_a_person_without_a_login_serves_while_they_hold_a_current_appointment(
    as_user, users
):
    from meded.org.models import Appointment

    today = timezone.localdate()
    trainee = (
        Person.objects.filter(
            user__isnull=True,
            appointments__kind=Appointment.Kind.TRAINEE,
            appointments__start_date__lte=today,
            appointments__end_date__gte=today,
        )
        .distinct()
        .first()
    )
    assert trainee is not None
    feed = actions.do_issue_feed(users["gme-admin"], trainee)
    client = as_user(None)
    assert client.get(_url(feed)).status_code == 200
    Appointment.objects.filter(person=trainee).update(end_date=today - dt.timedelta(days=1))
    assert client.get(_url(feed)).status_code == 404


def test_the_migration_hashes_existing_tokens_so_existing_links_keep_working():
    import importlib

    migration = importlib.import_module("meded.calendars.migrations.0002_store_token_hashes")

    class Row:
        def __init__(self, token: str) -> None:
            self.token, self.token_hash = token, None

    rows = [Row("old-token-one-0123456789abcdefghijklmnopqrstuvw"), Row("old-token-two-xyz")]
    saved: list[tuple[list[Row], list[str]]] = []

    class Manager:
        def all(self):
            return self

        def only(self, *fields):
            return rows

        def bulk_update(self, objs, fields, batch_size=None):
            saved.append((list(objs), fields))

    class Model:
        objects = Manager()

    class Apps:
        def get_model(self, app, name):
            assert (app, name) == ("calendars", "CalendarFeed")
            return Model

    migration.hash_tokens(Apps(), None)
    [(objs, fields)] = saved
    assert fields == ["token_hash"]
    assert [o.token_hash for o in objs] == [hash_token(r.token) for r in rows]
