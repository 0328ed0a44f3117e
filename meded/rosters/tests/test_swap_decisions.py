"""Swap decisions through the API (the same actions as the swaps screen), and nobody
approving a swap they are part of."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from meded.audit.models import AuditEntry
from meded.org.models import ProgramRole
from meded.rosters import actions
from meded.rosters.models import SwapRequest
from meded.rosters.tests.test_swaps import residents_with_logins, user_of

__all__ = ["residents_with_logins"]

pytestmark = pytest.mark.django_db
JSON = "application/json"


@dataclass
class Offer:
    swap: SwapRequest
    shift: Any
    giver: Any
    taker: Any
    url: str


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def offered(future_block, put, residents_with_logins):
    giver, taker = residents_with_logins
    shift = put(
        future_block.roster, giver, future_block.template("wards_mgh", "day"), future_block.day(2)
    )
    swap = actions.do_propose_swap(user_of(giver), shift, taker.pk)
    slug = future_block.roster.schedule_year.program.slug
    return Offer(swap, shift, giver, taker, f"/api/rosters/{slug}/swaps/{swap.pk}")


def test_the_other_resident_accepts_and_a_chief_approves_through_the_api(offered, as_user):
    swap = offered.swap
    shift = offered.shift
    taker = offered.taker
    url = offered.url
    r = client_of(user_of(taker)).post(f"{url}/accept", {}, content_type=JSON)
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "pending" and r.json()["check_result"]["ok"]
    r = as_user("chief").post(f"{url}/approve", {"note": "ok"}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "approved"
    shift.refresh_from_db()
    assert shift.appointment_id == taker.pk
    assert AuditEntry.objects.filter(event="swap.approved", object_id=str(swap.pk)).exists()


def test_a_decision_that_is_not_the_users_to_make_is_refused(offered, as_user):
    swap = offered.swap
    giver = offered.giver
    url = offered.url
    # The proposer cannot accept their own offer; a chief cannot approve before acceptance.
    assert client_of(user_of(giver)).post(f"{url}/accept", {}, content_type=JSON).status_code == 403
    assert as_user("chief").post(f"{url}/approve", {}, content_type=JSON).status_code == 409
    # Faculty may read the roster but decide nothing; another program's user sees nothing.
    assert as_user("faculty").post(f"{url}/approve", {}, content_type=JSON).status_code == 404
    assert (
        as_user("surgery-coordinator").post(f"{url}/approve", {}, content_type=JSON).status_code
        == 404
    )
    assert as_user(None).post(f"{url}/approve", {}, content_type=JSON).status_code == 401
    assert as_user("chief").post(f"{url}/explode", {}, content_type=JSON).status_code == 422
    swap.refresh_from_db()
    assert swap.status == SwapRequest.Status.PROPOSED


def test_the_proposer_withdraws_through_the_api_and_a_late_accept_gets_409(offered):
    giver = offered.giver
    taker = offered.taker
    url = offered.url
    assert (
        client_of(user_of(giver)).post(f"{url}/withdraw", {}, content_type=JSON).json()["status"]
        == "withdrawn"
    )
    r = client_of(user_of(taker)).post(f"{url}/accept", {}, content_type=JSON)
    assert r.status_code == 409 and "not waiting" in r.json()["detail"]


def test_a_resident_sees_only_their_own_swap_requests(offered, as_user):
    swap = offered.swap
    taker = offered.taker
    url = offered.url
    slug = url.split("/")[3]
    assert as_user("resident").get(f"/api/rosters/{slug}/swaps").json() == []
    assert [
        w["id"] for w in client_of(user_of(taker)).get(f"/api/rosters/{slug}/swaps").json()
    ] == [swap.pk]
    assert as_user("resident").post(f"{url}/accept", {}, content_type=JSON).status_code == 404


def test_a_chief_resident_cannot_approve_their_own_give_away(offered, users, im):
    swap = offered.swap
    shift = offered.shift
    giver = offered.giver
    taker = offered.taker
    url = offered.url
    ProgramRole.objects.create(
        program=im, person=giver.person, role=ProgramRole.Role.CHIEF_RESIDENT
    )
    swap = actions.do_respond_swap(user_of(taker), swap, accept=True)
    with pytest.raises(PermissionDenied, match="of your own"):
        actions.do_decide_swap(user_of(giver), swap, True)
    assert (
        client_of(user_of(giver)).post(f"{url}/approve", {}, content_type=JSON).status_code == 403
    )
    swap.refresh_from_db()
    assert swap.status == SwapRequest.Status.PENDING
    actions.do_decide_swap(users["chief"], swap, True)  # another chief may
    shift.refresh_from_db()
    assert shift.appointment_id == taker.pk
