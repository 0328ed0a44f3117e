"""Swap decisions made at the same moment: exactly one wins, and the roster agrees with the
request's status (never declined or withdrawn with the shift moved)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from meded.core.tests.interleave import Interleave, needs_postgresql
from meded.org.demo import SMALL, demo_loaded, load_demo
from meded.rosters import actions
from meded.rosters.models import Shift, SwapRequest
from meded.rosters.tests.test_swaps import residents_with_logins, two_on, user_of

__all__ = ["residents_with_logins"]

pytestmark = [pytest.mark.django_db(transaction=True), needs_postgresql]


@pytest.fixture(autouse=True)
def committed_demo() -> None:
    """Each thread has its own connection: the data must be committed, not in the test's
    transaction."""
    if not demo_loaded():
        load_demo(scale=SMALL)


@pytest.fixture
def pending_swap(future_block, put, residents_with_logins) -> tuple[SwapRequest, Shift]:
    giver, taker = residents_with_logins
    day = future_block.template("wards_mgh", "day")
    shift = put(future_block.roster, giver, day, future_block.day(3))
    swap = actions.do_propose_swap(user_of(giver), shift, taker.pk)
    swap = actions.do_respond_swap(user_of(taker), swap, accept=True)
    assert swap.status == SwapRequest.Status.PENDING and swap.check_result["ok"], swap.check_result
    return swap, shift


def approve_while(monkeypatch, swap: SwapRequest, second) -> tuple:
    """The chief approves, pausing inside the approval (after its locks and status check,
    at the coverage and work-hour checks) while ``second`` runs."""
    gate = Interleave()
    check = actions.check_swap

    def slow_check(s: SwapRequest):
        gate.pause()
        return check(s)

    monkeypatch.setattr(actions, "check_swap", slow_check)
    chief = User.objects.get(username="chief")
    fresh = SwapRequest.objects.get(pk=swap.pk)
    return gate.run(lambda: actions.do_decide_swap(chief, fresh, True), second)


def consistent(swap: SwapRequest, shift: Shift) -> None:
    swap.refresh_from_db()
    shift.refresh_from_db()
    moved = shift.appointment_id == swap.to_appointment_id
    assert moved == (swap.status == SwapRequest.Status.APPROVED), (swap.status, moved)


def test_a_swap_rejected_while_it_is_approved_ends_one_way_or_the_other(monkeypatch, pending_swap):
    swap, shift = pending_swap
    other_chief = User.objects.get(username="director")
    fresh = SwapRequest.objects.get(pk=swap.pk)
    approve, reject = approve_while(
        monkeypatch, swap, lambda: actions.do_decide_swap(other_chief, fresh, False)
    )
    assert approve.ok != reject.ok, (approve, reject)  # exactly one decision wins
    consistent(swap, shift)
    if not reject.ok:
        assert isinstance(reject.error, actions.RosterError)


def test_a_swap_withdrawn_while_it_is_approved_ends_one_way_or_the_other(monkeypatch, pending_swap):
    swap, shift = pending_swap
    giver = User.objects.get(pk=swap.from_appointment.person.user_id)
    fresh = SwapRequest.objects.get(pk=swap.pk)
    approve, withdraw = approve_while(
        monkeypatch, swap, lambda: actions.do_withdraw_swap(giver, fresh)
    )
    assert approve.ok != withdraw.ok, (approve, withdraw)
    consistent(swap, shift)


def test_two_chiefs_approving_at_once_move_the_shift_once(monkeypatch, pending_swap):
    swap, shift = pending_swap
    director = User.objects.get(username="director")
    fresh = SwapRequest.objects.get(pk=swap.pk)
    first, second = approve_while(
        monkeypatch, swap, lambda: actions.do_decide_swap(director, fresh, True)
    )
    assert first.ok != second.ok, (first, second)
    consistent(swap, shift)
    assert Shift.objects.filter(pk=shift.pk, appointment_id=swap.to_appointment_id).count() == 1


__all__ += ["two_on"]
