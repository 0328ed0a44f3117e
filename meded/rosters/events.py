"""The audit events of call and shift rosters (meded.audit.events)."""

from meded.audit.events import define

GENERATION_QUEUED = define("roster.generation_queued", "Roster generation started", "update")
GENERATED = define("roster.generated", "Roster generated", "update")
GENERATION_FAILED = define("roster.generation_failed", "Roster generation failed", "update")
GENERATION_CANCELLED = define(
    "roster.generation_cancelled", "Roster generation cancelled", "update"
)
PUBLISHED = define("roster.published", "Roster published", "update")
SHIFT_ADDED = define("shift.added", "Shift added", "create")
SHIFT_REASSIGNED = define("shift.reassigned", "Shift given to another resident", "update")
SHIFT_REMOVED = define("shift.removed", "Shift removed", "delete")
SHIFT_SWAPPED = define("shift.swapped", "Shift moved by a swap", "update")
SWAP_PROPOSED = define("swap.proposed", "Swap proposed", "create")
SWAP_ACCEPTED = define("swap.accepted", "Swap accepted by the other resident", "update")
SWAP_DECLINED = define("swap.declined", "Swap declined by the other resident", "update")
SWAP_APPROVED = define("swap.approved", "Swap approved", "update")
SWAP_AUTO_APPROVED = define("swap.auto_approved", "Swap approved automatically", "update")
SWAP_REJECTED = define("swap.rejected", "Swap rejected", "update")
SWAP_WITHDRAWN = define("swap.withdrawn", "Swap withdrawn", "update")
SWAP_VOIDED = define("swap.voided", "Swap withdrawn: the shift changed", "update")
SETTINGS_CHANGED = define("roster_settings.changed", "Roster settings changed", "update")
TEMPLATE_CREATED = define("shift_template.created", "Shift template added", "create")
TEMPLATE_CHANGED = define("shift_template.changed", "Shift template changed", "update")
