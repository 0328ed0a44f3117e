"""Calendar subscription screens and the secret feed.

/calendars/                        my calendar subscription (the signed-in person's)
/calendars/people/<pk>/            a person's subscription (the person, their managers)
/calendars/people/<pk>/link/       POST: a new secret link, shown once; the old one answers 404
/calendars/people/<pk>/revoke/     POST: revoke the link (no new one)
/calendars/feed/<token>.ics        the feed itself: no sign-in, 404 unless the token is live and
                                   its person still belongs (active login, a current role)

Only a token's hash is stored, so a link can be shown only in the answer that issues it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from meded.calendars import access, actions, ical, sources
from meded.calendars.models import CalendarFeed, hash_token
from meded.org.access import person_is_current
from meded.org.models import Person

# Calendar apps poll on their own schedule; these ask for a few hours and let caches keep a
# copy only briefly and only for the one client (the URL is a secret).
REFRESH = dt.timedelta(hours=4)
CACHE_CONTROL = "private, max-age=300"


def feed_urls(request: HttpRequest, token: str) -> dict[str, str]:
    """The feed's absolute https (or http) URL and the same as webcal:// for one-click
    subscribing."""
    url = request.build_absolute_uri(reverse("calendars:feed", args=[token]))
    return {"feed_url": url, "webcal_url": "webcal://" + url.split("://", 1)[1]}


def _shown(event: ical.Event) -> dict[str, Any]:
    """An event as the page lists it: an all-day event's last day, not its exclusive end."""
    all_day = not isinstance(event.end, dt.datetime)
    last = event.end - dt.timedelta(days=1) if all_day else event.end
    return {
        "start": event.start,
        "last": last,
        "timed": not all_day,
        "summary": event.summary,
        "where": event.location,
    }


def _page(request: HttpRequest, person: Person, issued: CalendarFeed | None = None) -> HttpResponse:
    feed = issued or actions.live_feed(person)
    events = sources.events_for(person)
    today = timezone.localdate()
    context: dict[str, Any] = {
        "person": person,
        "feed": feed,
        "issued": issued is not None,
        "is_self": access.is_self(request.user, person),
        "upcoming": [_shown(e) for e in events if sources.day_of(e.end) > today][:8],
        "n_events": len(events),
        "refresh_hours": int(REFRESH.total_seconds() // 3600),
    }
    if issued is not None and issued.token:
        context.update(feed_urls(request, issued.token))
    response = render(request, "calendars/person.html", context)
    if issued is not None:
        response["Cache-Control"] = "no-store"  # the page holds the secret link
    return response


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    return _page(request, access.own_person(request.user))


@login_required
def person(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, access.get_person_for_feed(request.user, pk))


@login_required
def issue(request: HttpRequest, pk: int) -> HttpResponse:
    """A new link, shown in this answer only (it is not stored in clear anywhere)."""
    who = access.get_person_for_feed(request.user, pk)  # 404 before 405: nothing leaks
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    feed = actions.do_issue_feed(request.user, who)
    return _page(request, who, issued=feed)


@login_required
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    who = access.get_person_for_feed(request.user, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if actions.do_revoke_feed(request.user, who):
        messages.success(
            request, "The subscription link is revoked: calendar apps using it stop updating."
        )
    else:
        messages.info(request, "There was no live subscription link to revoke.")
    if access.is_self(request.user, who):
        return redirect("calendars:mine")
    return redirect("calendars:person", who.pk)


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@require_safe
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The person's published calendar for whoever holds the token. Unknown and revoked
    tokens, and the feeds of a deactivated login or of a person whose every role has ended,
    answer 404 (the same answer, so none of them leaks)."""
    row = (
        CalendarFeed.objects.select_related("person", "person__user")
        .filter(token_hash=hash_token(token), revoked_at__isnull=True)
        .first()
    )
    if row is None or not person_is_current(row.person):
        raise Http404("No such calendar")
    now = timezone.now()
    actions.note_fetch(row, now)
    who = row.person
    # Calendar apps differ in unescaping X-WR-CALNAME: the name has no commas or semicolons.
    plain = f"{who.preferred_name or who.first_name} {who.last_name}".replace(",", " ")
    body = ical.render(
        sources.events_for(who),
        name=f"{plain.replace(';', ' ')} - meded",
        description=f"{who.full_name}: published rotation schedule from meded",
        stamp=now,
        refresh=REFRESH,
    )
    etag = _etag(body)
    headers: dict[str, Any] = {
        "Cache-Control": CACHE_CONTROL,
        "ETag": etag,
        "X-Robots-Tag": "noindex, nofollow",
        "Referrer-Policy": "no-referrer",
    }
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="meded.ics"'
    for key, value in headers.items():
        response[key] = value
    return response
