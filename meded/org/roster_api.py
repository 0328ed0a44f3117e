"""Roster import/export API endpoints (mounted by meded/api.py)."""

from ninja import Router

router = Router(tags=["roster"])
