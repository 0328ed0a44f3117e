"""The audit events of background jobs (meded.audit.events)."""

from meded.audit.events import define

CANCEL_REQUESTED = define("job.cancel_requested", "Job cancellation asked", "update")
CANCELLED = define("job.cancelled", "Job cancelled", "update")
ABANDONED = define("job.abandoned", "Job failed: its worker stopped", "update")
STOP_REQUESTED = define(
    "job.stop_requested", "Job asked to stop early and keep its best so far", "update"
)
