"""Secret calendar subscription feeds: a person's calendar at /calendars/feed/<token>.ics,
readable by whoever holds the token (calendar apps cannot sign in).

Only the token's SHA-256 is stored: the token itself is shown once, when it is issued, and
cannot be read back from the database (a leaked backup or a curious administrator gets no
working link). Tokens are 256 random bits, so an unsalted hash is enough. Issuing a new link
revokes the old one; a person has at most one live feed. Writes go through
meded.calendars.actions."""

from __future__ import annotations

import hashlib
import secrets

from django.db import models
from django.db.models import Q

TOKEN_BYTES = 32  # 256 bits of entropy; 43 URL-safe characters


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class CalendarFeed(models.Model):
    person = models.ForeignKey(
        "org.Person", on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    # unique=True gives the index the feed is looked up by.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)

    # The token in clear, only on the instance that issued it (never stored).
    token: str | None = None

    class Meta:
        ordering = ["person", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(revoked_at__isnull=True),
                name="one_live_calendar_feed_per_person",
            )
        ]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "live"
        return f"Calendar feed of person {self.person_id} ({state})"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None
