"""Writes of calendar subscriptions: issue a person's feed token, reset it (the old one stops
working at once), and note when a feed was fetched. Issuing and resetting are audited; the
tokens themselves never reach the audit log."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from meded.audit import log as audit
from meded.calendars import events as ev
from meded.calendars.access import can_manage_feed
from meded.calendars.models import CalendarFeed
from meded.core.locking import lock
from meded.org.models import Appointment, Person, Program

Actor = AbstractBaseUser | AnonymousUser | None

# last_fetched_at is written at most this often per feed: calendar apps poll, and a write on
# every poll would buy nothing.
FETCH_RESOLUTION = dt.timedelta(minutes=10)


def live_feed(person: Person) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(person=person, revoked_at__isnull=True).first()


def _program_of(person: Person) -> Program | None:
    """The program an entry about the person is filed under (its managers read it)."""
    appt = (
        Appointment.objects.filter(person=person, program__isnull=False)
        .select_related("program")
        .order_by("-start_date")
        .first()
    )
    return appt.program if appt else None


def _require(actor: Actor, person: Person) -> None:
    if not can_manage_feed(actor, person):
        raise PermissionDenied("Only the person and their program's managers can do this.")


def do_get_or_create_feed(actor: Actor, person: Person) -> CalendarFeed:
    """The person's live feed, issued on first use."""
    _require(actor, person)
    feed = live_feed(person)
    if feed is not None:
        return feed
    try:
        with transaction.atomic():
            feed = CalendarFeed.objects.create(person=person)
            audit.record(
                actor,
                ev.FEED_ISSUED,
                feed,
                program=_program_of(person),
                object_repr=f"{person.full_name}: calendar subscription link",
                note="Calendar subscription link issued.",
            )
    except IntegrityError:
        # Another request issued one at the same moment: theirs is the live one.
        feed = live_feed(person)
        if feed is None:
            raise
    return feed


@transaction.atomic
def do_reset_feed(actor: Actor, person: Person) -> CalendarFeed:
    """Revoke the person's live token (its URL answers 404 from now on) and issue a new one."""
    _require(actor, person)
    lock(Person, person.pk)
    now = timezone.now()
    old = list(CalendarFeed.objects.filter(person=person, revoked_at__isnull=True))
    CalendarFeed.objects.filter(pk__in=[f.pk for f in old]).update(revoked_at=now)
    feed = CalendarFeed.objects.create(person=person)
    audit.record(
        actor,
        ev.FEED_RESET,
        feed,
        program=_program_of(person),
        object_repr=f"{person.full_name}: calendar subscription link",
        changes={"revoked_feeds": [[f.pk for f in old], None], "feed": [None, feed.pk]},
        note="Calendar subscription link reset; the old link no longer works.",
    )
    return feed


def note_fetch(feed: CalendarFeed, now: dt.datetime | None = None) -> None:
    """Record that the feed was fetched: one UPDATE at most every FETCH_RESOLUTION."""
    now = now or timezone.now()
    last = feed.last_fetched_at
    if last is not None and now - last < FETCH_RESOLUTION:
        return
    CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=now)
    feed.last_fetched_at = now
