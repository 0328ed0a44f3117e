"""The audit events of calendar subscriptions (meded.audit.events)."""

from meded.audit.events import define

FEED_ISSUED = define("calendar_feed.issued", "Calendar link issued", "create")
FEED_RESET = define("calendar_feed.reset", "Calendar link reset", "update")
FEED_REVOKED = define("calendar_feed.revoked", "Calendar link revoked", "update")
