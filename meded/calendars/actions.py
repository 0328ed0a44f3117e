"""Writes of calendar subscriptions: issue a person's feed link (a new one revokes the old at
once), revoke it, and note when a feed was fetched. Issuing and revoking are audited; the
tokens themselves never reach the audit log, and only their hashes reach the database."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from meded.audit import log as audit
from meded.calendars import events as ev
from meded.calendars.access import can_manage_feed
from meded.calendars.models import CalendarFeed, hash_token, new_token
from meded.core.locking import lock
from meded.org.models import Person
from meded.org.queries import program_of

Actor = AbstractBaseUser | AnonymousUser | None

# last_fetched_at is written at most this often per feed: calendar apps poll, and a write on
# every poll would buy nothing.
FETCH_RESOLUTION = dt.timedelta(minutes=10)


def live_feed(person: Person) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(person=person, revoked_at__isnull=True).first()


def _require(actor: Actor, person: Person) -> None:
    if not can_manage_feed(actor, person):
        raise PermissionDenied("Only the person and their program's managers can do this.")


def _revoke_live(person: Person, now: dt.datetime) -> list[int]:
    old = list(
        CalendarFeed.objects.filter(person=person, revoked_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    CalendarFeed.objects.filter(pk__in=old).update(revoked_at=now)
    return old


@transaction.atomic
def do_issue_feed(actor: Actor, person: Person) -> CalendarFeed:
    """A new secret link for the person's calendar, revoking the live one (its URL answers 404
    from now on). The returned feed carries the token in clear (`feed.token`): show it now,
    it cannot be read back later."""
    _require(actor, person)
    lock(Person, person.pk)
    old = _revoke_live(person, timezone.now())
    token = new_token()
    feed = CalendarFeed.objects.create(person=person, token_hash=hash_token(token))
    feed.token = token
    audit.record(
        actor,
        ev.FEED_RESET if old else ev.FEED_ISSUED,
        feed,
        program=program_of(person),
        object_repr=f"{person.full_name}: calendar subscription link",
        changes={"revoked_feeds": [old, None], "feed": [None, feed.pk]} if old else None,
        note="Calendar subscription link reset; the old link no longer works."
        if old
        else "Calendar subscription link issued.",
    )
    return feed


# The name the screens and older callers know it by: a reset is a new link.
do_reset_feed = do_issue_feed


@transaction.atomic
def do_revoke_feed(actor: Actor, person: Person) -> int:
    """Revoke the person's live link without a new one. Returns how many were revoked (0 when
    there was none: nothing is written then)."""
    _require(actor, person)
    lock(Person, person.pk)
    now = timezone.now()
    live = list(CalendarFeed.objects.filter(person=person, revoked_at__isnull=True))
    CalendarFeed.objects.filter(pk__in=[f.pk for f in live]).update(revoked_at=now)
    for feed in live:
        audit.record(
            actor,
            ev.FEED_REVOKED,
            feed,
            program=program_of(person),
            object_repr=f"{person.full_name}: calendar subscription link",
            changes={"revoked_at": [None, now]},
            note="Calendar subscription link revoked; it no longer works.",
        )
    return len(live)


def note_fetch(feed: CalendarFeed, now: dt.datetime | None = None) -> None:
    """Record that the feed was fetched: one UPDATE at most every FETCH_RESOLUTION."""
    now = now or timezone.now()
    last = feed.last_fetched_at
    if last is not None and now - last < FETCH_RESOLUTION:
        return
    CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=now)
    feed.last_fetched_at = now
