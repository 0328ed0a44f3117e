"""Published shifts in the person's secret calendar feed, read back by an independent parser
(icalendar), and the feed following an approved swap."""

from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar
import pytest

from meded.calendars.actions import do_issue_feed
from meded.rosters import actions
from meded.rosters.tests.test_swaps import residents_with_logins, user_of

__all__ = ["residents_with_logins"]
pytestmark = pytest.mark.django_db


def _events(client, person, users) -> list[Any]:
    feed = do_issue_feed(users["gme-admin"], person)
    r = client.get(f"/calendars/feed/{feed.token}.ics")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(r.content)
    return [c for c in cal.walk("VEVENT") if "shift" in str(c.get("UID"))]


def test_a_published_shift_is_a_timed_event_in_the_feed_and_a_draft_is_not(
    future_block, put, residents_with_logins, users, as_user
):
    giver, _ = residents_with_logins
    day = future_block.template("wards_mgh", "day")
    shift = put(future_block.roster, giver, day, future_block.day(2))
    put(future_block.roster, giver, day, future_block.day(3), published=False)
    events = _events(as_user(None), giver.person, users)
    assert len(events) == 1
    e = events[0]
    start, end = e.decoded("DTSTART"), e.decoded("DTEND")
    assert isinstance(start, dt.datetime) and start.tzinfo is not None
    assert start == shift.start and end == shift.end
    assert str(e.get("SUMMARY")) == day.name


def test_after_an_approved_swap_the_shift_moves_to_the_takers_feed(
    future_block, put, residents_with_logins, users, as_user
):
    giver, taker = residents_with_logins
    day = future_block.template("wards_mgh", "day")
    d = next(future_block.day(i) for i in range(7) if future_block.day(i).weekday() == 2)
    shift = put(future_block.roster, giver, day, d)
    swap = actions.do_propose_swap(user_of(giver), shift, taker.pk)
    swap = actions.do_respond_swap(user_of(taker), swap, accept=True)
    assert swap.check_result["ok"], swap.check_result
    actions.do_decide_swap(users["chief"], swap, True, "ok")
    client = as_user(None)
    assert _events(client, giver.person, users) == []
    taken = _events(client, taker.person, users)
    assert [e.decoded("DTSTART") for e in taken] == [shift.start]
