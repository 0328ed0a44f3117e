"""Screens, meal cards, who is on call, the calendar feed and the API, with access for every
persona."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from meded.calendars.sources import SOURCES
from meded.rosters import actions, adapters, grid
from meded.rosters.calendar import published_shifts
from meded.rosters.models import Roster, Shift

pytestmark = pytest.mark.django_db

EDITORS = ["gme-admin", "director", "coordinator", "chief"]


def first_on(block, code):
    people = block.rotation_people.get(code, [])
    if not people:
        pytest.skip(f"nobody on {code} in the block")
    return people[0]


def test_meal_cards_count_weekend_and_holiday_call_but_not_weekday_call(
    future_block, put, im, users
):
    who = first_on(future_block, "micu")
    call = future_block.template("micu", "call")
    roster = future_block.roster
    days = future_block.roster.days
    saturday = next(d for d in days if d.weekday() == 5)
    tuesday = next(d for d in days if d.weekday() == 1)
    thursday = next(d for d in days if d.weekday() == 3)
    year = str(thursday.year)
    actions.do_save_settings(
        users["coordinator"],
        im,
        {"meal_credit": "12.50", "holidays": {year: f"{thursday.isoformat()} Founders Day"}},
    )
    for d in (saturday, tuesday, thursday):
        put(roster, who, call, d)
    put(
        roster, who, future_block.template("micu", "day"), next(d for d in days if d.weekday() == 0)
    )
    rows = grid.meal_cards(im, days[0], days[-1])
    mine = [r for r in rows if r.appointment.pk == who.pk]
    assert sum(r.count for r in mine) == 2
    assert sum((r.total for r in mine), Decimal(0)) == Decimal("25.00")
    reasons = {why for r in mine for _, why in r.shifts}
    assert reasons == {"Saturday", "Founders Day"}


def test_the_meal_card_page_and_csv_are_for_leadership_and_the_residents_own(
    future_block, put, as_user, im
):
    roster = future_block.roster
    saturday = next(d for d in roster.days if d.weekday() == 5)
    who = first_on(future_block, "micu")
    put(roster, who, future_block.template("micu", "call"), saturday)
    month = f"{saturday:%Y-%m}"
    for persona in EDITORS:
        r = as_user(persona).get(f"/rosters/{im.slug}/meals.csv?month={month}")
        assert r.status_code == 200 and who.person.last_name in r.content.decode()
    assert as_user("resident").get(f"/rosters/{im.slug}/meals/?month={month}").status_code == 200
    assert as_user("faculty").get(f"/rosters/{im.slug}/meals/").status_code == 403
    for persona in ("outsider", "surgery-coordinator"):
        assert as_user(persona).get(f"/rosters/{im.slug}/meals/").status_code == 404
    assert as_user(None).get(f"/rosters/{im.slug}/meals/").status_code == 302


def test_the_on_call_page_shows_the_24_hour_call_in_progress(published, put, as_user, im):
    sy = published.schedule_year
    today = timezone.localdate()
    block = adapters.block_of(sy, today)
    if block is None:
        pytest.skip("today is outside the demo year")
    roster = Roster.objects.create(schedule_year=sy, block=block, status="published")
    people = adapters.rotations_in_block(sy, block)
    from meded.rosters.models import ShiftTemplate

    call = ShiftTemplate.objects.get(rotation__program=im, rotation__code="micu", code="call")
    who = (people.get(call.rotation_id) or next(iter(people.values())))[0]
    now = timezone.now().astimezone(adapters.zone())
    day = now.date() if now.hour >= 7 else now.date() - dt.timedelta(days=1)
    shift = put(roster, who, call, day)
    assert shift.start <= timezone.now() < shift.end
    for persona in ["faculty", "resident", "surgery-coordinator", *EDITORS]:
        r = as_user(persona).get("/rosters/on-call/")
        assert r.status_code == 200
        text = r.content.decode()
        assert who.person.last_name in text and "in-house call" in text
    assert as_user("outsider").get("/rosters/on-call/").status_code == 403
    assert as_user(None).get("/rosters/on-call/").status_code == 302
    api = as_user("faculty").get("/api/rosters/on-call").json()
    assert any(s["id"] == shift.pk and s["kind"] == "in_house_call" for s in api)


def test_published_shifts_are_calendar_events_with_a_stable_uid(future_block, put):
    who = first_on(future_block, "micu")
    shift = put(
        future_block.roster, who, future_block.template("micu", "call"), future_block.day(1)
    )
    put(
        future_block.roster,
        who,
        future_block.template("micu", "day"),
        future_block.day(4),
        published=False,
    )
    assert published_shifts in SOURCES
    events = published_shifts(who.person)
    assert [e.summary for e in events] == ["MICU 24-h call"]
    e = events[0]
    assert e.start == shift.start and e.end == shift.end and e.location == "Main hospital"
    twin = Shift.objects.get(roster=shift.roster, published=False, start=shift.start)
    from meded.rosters.calendar import shift_uid

    assert e.uid == shift_uid(who.person_id, twin)


@pytest.mark.parametrize(
    "persona,status",
    [
        ("gme-admin", 200),
        ("director", 200),
        ("coordinator", 200),
        ("chief", 200),
        ("faculty", 200),
        ("resident", 200),
        ("surgery-coordinator", 404),
        ("outsider", 404),
        (None, 302),
    ],
)
def test_who_sees_a_blocks_roster(future_block, put, as_user, persona, status):
    who = first_on(future_block, "wards_mgh")
    put(future_block.roster, who, future_block.template("wards_mgh", "day"), future_block.day(1))
    sy = future_block.roster.schedule_year
    url = f"/rosters/{sy.program.slug}/{sy.pk}/{future_block.roster.block + 1}/"
    r = as_user(persona).get(url)
    assert r.status_code == status
    if status == 200:
        assert who.person.last_name in r.content.decode()
        r = as_user(persona).get(url + "?view=people")
        assert who.person.last_name in r.content.decode()


@pytest.mark.parametrize(
    "persona,status",
    [("chief", 200), ("coordinator", 200), ("faculty", 403), ("resident", 403), ("outsider", 404)],
)
def test_who_opens_the_shift_editor_settings_and_templates(
    future_block, put, as_user, persona, status
):
    who = first_on(future_block, "wards_mgh")
    shift = put(
        future_block.roster,
        who,
        future_block.template("wards_mgh", "day"),
        future_block.day(1),
        published=False,
    )
    sy = future_block.roster.schedule_year
    base = f"/rosters/{sy.program.slug}"
    block = f"{base}/{sy.pk}/{future_block.roster.block + 1}"
    client = as_user(persona)
    assert client.get(f"{block}/shift/?shift={shift.pk}").status_code == status
    assert client.get(f"{base}/settings/").status_code == status
    assert client.get(f"{base}/templates/").status_code == status
    if status == 200:
        r = client.post(
            f"{block}/shift/", {"shift": shift.pk, "appointment": who.pk, "action": "check"}
        )
        assert r.status_code == 200


def test_my_shifts_is_for_residents(published, as_user):
    assert as_user("resident").get("/rosters/me/").status_code == 200
    assert as_user("faculty").get("/rosters/me/").status_code == 403
    assert as_user("outsider").get("/rosters/me/").status_code == 403
    assert as_user("resident").get("/api/rosters/me/shifts").status_code == 200
    assert as_user("outsider").get("/api/rosters/me/shifts").status_code == 403


def test_the_block_api_gives_published_shifts_and_drafts_only_to_editors(
    future_block, put, as_user
):
    who = first_on(future_block, "wards_mgh")
    put(future_block.roster, who, future_block.template("wards_mgh", "day"), future_block.day(1))
    sy = future_block.roster.schedule_year
    url = (
        f"/api/rosters/{sy.program.slug}/shifts?block={future_block.roster.block + 1}&year={sy.pk}"
    )
    r = as_user("faculty").get(url)
    assert r.status_code == 200 and len(r.json()) == 1 and r.json()[0]["published"]
    assert as_user("faculty").get(url + "&draft=true").status_code == 403
    assert as_user("chief").get(url + "&draft=true").json()[0]["published"] is False
    assert as_user("surgery-coordinator").get(url).status_code == 404


def test_settings_are_saved_with_edited_holidays(im, users):
    rs = actions.do_save_settings(
        users["chief"],
        im,
        {
            "auto_approve_clean_swaps": True,
            "meal_credit": "7.5",
            "meal_kinds": ["in_house_call", "weekend_day"],
            "holidays": {"2027": "2027-01-01 New Year's Day\n2027-12-24 Christmas Eve"},
        },
    )
    assert rs.auto_approve_clean_swaps and rs.meal_credit == Decimal("7.50")
    assert [d for d, _ in rs.holidays_of(2027)] == [dt.date(2027, 1, 1), dt.date(2027, 12, 24)]
    assert len(rs.holidays_of(2028)) == 11
    with pytest.raises(actions.RosterError):
        actions.do_save_settings(users["chief"], im, {"holidays": {"2027": "2026-01-01 wrong"}})
