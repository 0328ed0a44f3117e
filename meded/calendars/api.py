"""Calendar subscription API (mounted by meded/api.py at /api/calendars).

GET /api/calendars/me   the signed-in person's secret feed URL (issued on first use)"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from meded.calendars import access, actions
from meded.calendars.views import feed_urls

router = Router(tags=["calendars"])


class FeedOut(Schema):
    feed_url: str
    webcal_url: str
    created_at: dt.datetime
    last_fetched_at: dt.datetime | None


@router.get("/me", response=FeedOut, summary="My calendar subscription link")
def me(request: HttpRequest) -> dict[str, Any]:
    """The secret URL of the signed-in person's calendar feed: anyone holding it can read the
    person's published rotations, so treat it like a password. 404 for an account that is not
    linked to a person."""
    person = access.own_person(request.user)
    feed = actions.do_get_or_create_feed(request.user, person)
    return {
        **feed_urls(request, feed),
        "created_at": feed.created_at,
        "last_fetched_at": feed.last_fetched_at,
    }
