"""Calendar subscription API (mounted by meded/api.py at /api/calendars).

GET    /api/calendars/me                  whether the signed-in person has a live link
POST   /api/calendars/me                  a new secret link (revokes the old one), shown once
DELETE /api/calendars/me                  revoke the link
GET/POST/DELETE /api/calendars/people/{person_id}   the same for a person one manages

Only the token's hash is stored: the URL is in the POST's answer and nowhere else."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from meded.calendars import access, actions
from meded.calendars.views import feed_urls
from meded.org.models import Person

router = Router(tags=["calendars"])


class FeedState(Schema):
    has_link: bool
    created_at: dt.datetime | None
    last_fetched_at: dt.datetime | None


class IssuedFeed(Schema):
    feed_url: str
    webcal_url: str
    created_at: dt.datetime


class Revoked(Schema):
    revoked: int


def _state(person: Person) -> dict[str, Any]:
    feed = actions.live_feed(person)
    return {
        "has_link": feed is not None,
        "created_at": feed.created_at if feed else None,
        "last_fetched_at": feed.last_fetched_at if feed else None,
    }


def _issue(request: HttpRequest, person: Person) -> Status:
    feed = actions.do_issue_feed(request.user, person)
    assert feed.token is not None
    return Status(201, {**feed_urls(request, feed.token), "created_at": feed.created_at})


@router.get("/me", response=FeedState, summary="My calendar subscription link: is one live?")
def me(request: HttpRequest) -> dict[str, Any]:
    """404 for an account that is not linked to a person."""
    return _state(access.own_person(request.user))


@router.post("/me", response={201: IssuedFeed}, summary="A new calendar subscription link")
def issue_mine(request: HttpRequest) -> Status:
    """The secret URL of a new feed of the signed-in person's calendar; the previous link stops
    working. Anyone holding the URL can read the person's published rotations and shifts, so
    treat it like a password: it is shown in this answer only."""
    return _issue(request, access.own_person(request.user))


@router.delete("/me", response=Revoked, summary="Revoke my calendar subscription link")
def revoke_mine(request: HttpRequest) -> dict[str, int]:
    person = access.own_person(request.user)
    return {"revoked": actions.do_revoke_feed(request.user, person)}


@router.get("/people/{person_id}", response=FeedState, summary="A person's link: is one live?")
def person_state(request: HttpRequest, person_id: int) -> dict[str, Any]:
    """The person themselves, their program's managers and the GME office; 404 for others."""
    return _state(access.get_person_for_feed(request.user, person_id))


@router.post("/people/{person_id}", response={201: IssuedFeed}, summary="A new link for a person")
def person_issue(request: HttpRequest, person_id: int) -> Status:
    return _issue(request, access.get_person_for_feed(request.user, person_id))


@router.delete("/people/{person_id}", response=Revoked, summary="Revoke a person's link")
def person_revoke(request: HttpRequest, person_id: int) -> dict[str, int]:
    person = access.get_person_for_feed(request.user, person_id)
    return {"revoked": actions.do_revoke_feed(request.user, person)}
