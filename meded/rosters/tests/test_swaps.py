"""Swap and give-away requests: the other resident accepts, coverage, eligibility and the
work-hour rules of both residents are checked, then a chief approves (or the program
auto-approves a clean one), and the published roster changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from meded.audit.models import AuditEntry
from meded.rosters import actions, adapters, checks
from meded.rosters.models import Shift, ShiftKind, ShiftTemplate, SwapRequest

pytestmark = pytest.mark.django_db


def two_on(block, code: str = "wards_mgh"):
    people = block.rotation_people.get(code, [])
    if len(people) < 2:
        pytest.skip(f"fewer than two residents on {code} in the block")
    return people[0], people[1]


def user_of(appt):
    return appt.person.user


@pytest.fixture
def residents_with_logins(future_block):
    from django.contrib.auth.models import User

    giver, taker = two_on(future_block)
    for appt in (giver, taker):
        if appt.person.user is None:
            appt.person.user = User.objects.create_user(f"u{appt.pk}", password="x")
            appt.person.save(update_fields=["user"])
    return giver, taker


def test_a_clean_swap_is_auto_approved_when_the_program_allows_it(
    future_block, put, residents_with_logins, im, users
):
    actions.do_save_settings(users["coordinator"], im, {"auto_approve_clean_swaps": True})
    giver, taker = residents_with_logins
    day = future_block.template("wards_mgh", "day")
    roster = future_block.roster
    d = next(future_block.day(i) for i in range(7) if future_block.day(i).weekday() == 2)
    shift = put(roster, giver, day, d)
    swap = actions.do_propose_swap(user_of(giver), shift, taker.pk, note="family event")
    assert swap.status == SwapRequest.Status.PROPOSED
    swap = actions.do_respond_swap(user_of(taker), swap, accept=True)
    assert swap.check_result["ok"], swap.check_result
    assert swap.status == SwapRequest.Status.AUTO_APPROVED
    shift.refresh_from_db()
    assert shift.appointment_id == taker.pk
    draft = Shift.objects.get(roster=roster, published=False, template=day, start=shift.start)
    assert draft.appointment_id == taker.pk
    assert AuditEntry.objects.filter(
        object_type="rosters.swaprequest", object_id=str(swap.pk)
    ).exists()


def test_a_clean_swap_waits_for_a_chief_and_changes_the_roster_when_approved(
    future_block, put, residents_with_logins, users
):
    giver, taker = residents_with_logins
    day = future_block.template("wards_mgh", "day")
    roster = future_block.roster
    mine = put(roster, giver, day, future_block.day(1))
    theirs = put(roster, taker, day, future_block.day(2))
    swap = actions.do_propose_swap(user_of(giver), mine, taker.pk, their_shift=theirs)
    assert swap.kind == SwapRequest.Kind.SWAP
    swap = actions.do_respond_swap(user_of(taker), swap, accept=True)
    assert swap.status == SwapRequest.Status.PENDING and swap.check_result["ok"]
    with pytest.raises(PermissionDenied):
        actions.do_decide_swap(users["faculty"], swap, True)
    actions.do_decide_swap(users["chief"], swap, True, "fine")
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.appointment_id, theirs.appointment_id) == (taker.pk, giver.pk)
    assert swap.status == SwapRequest.Status.APPROVED and swap.decided_by == users["chief"]


def test_a_swap_that_breaks_the_80_hour_rule_for_the_taker_is_refused(
    future_block, put, residents_with_logins, users
):
    giver, taker = residents_with_logins
    roster = future_block.roster
    rot = future_block.template("wards_mgh", "day").rotation
    # The taker's averaging period (the rotation stint around the block), filled to just
    # under 80 hours a week on every day but one.
    rotations, _, _ = checks._calendar(taker, roster.first_day, roster.last_day)
    stint = next(r for r in rotations if r.start_date <= roster.first_day <= r.end_date)
    free = roster.first_day + dt.timedelta(days=3)
    days = [stint.start_date + dt.timedelta(days=i) for i in range(stint.days)]
    worked = [d for d in days if d != free]
    limit_minutes = 80 * 60 * stint.days // 7
    long = ShiftTemplate.objects.create(
        rotation=rot,
        code="long",
        name="Long day",
        kind=ShiftKind.DAY,
        start_time=dt.time(7),
        length_minutes=limit_minutes // len(worked),
        weekdays=list(range(7)),
        cover_min=0,
    )
    for d in worked:
        put(roster, taker, long, d)
    shift = put(roster, giver, future_block.template("wards_mgh", "day"), free)
    swap = actions.do_propose_swap(user_of(giver), shift, taker.pk)
    swap = actions.do_respond_swap(user_of(taker), swap, accept=True)
    assert swap.status == SwapRequest.Status.PENDING
    assert not swap.check_result["ok"]
    assert any("W1" in p and taker.person.full_name in p for p in swap.check_result["problems"])
    with pytest.raises(actions.RosterError, match="cannot be approved"):
        actions.do_decide_swap(users["chief"], swap, True)
    shift.refresh_from_db()
    assert shift.appointment_id == giver.pk


def test_a_give_away_to_a_resident_on_another_rotation_is_refused(
    future_block, put, residents_with_logins, users
):
    giver, _ = residents_with_logins
    others = [
        a
        for code, people in future_block.rotation_people.items()
        if code != "wards_mgh"
        for a in people
    ]
    other = others[0]
    if other.person.user is None:
        from django.contrib.auth.models import User

        other.person.user = User.objects.create_user("other-rotation", password="x")
        other.person.save(update_fields=["user"])
    shift = put(
        future_block.roster, giver, future_block.template("wards_mgh", "day"), future_block.day(1)
    )
    swap = actions.do_propose_swap(user_of(giver), shift, other.pk)
    swap = actions.do_respond_swap(other.person.user, swap, accept=True)
    assert not swap.check_result["ok"]
    assert any("is not on" in p for p in swap.check_result["problems"])


def test_a_taker_who_already_works_then_is_refused(future_block, put, residents_with_logins):
    giver, taker = residents_with_logins
    day = future_block.template("wards_mgh", "day")
    shift = put(future_block.roster, giver, day, future_block.day(1))
    put(future_block.roster, taker, day, future_block.day(1))
    swap = actions.do_propose_swap(user_of(giver), shift, taker.pk)
    swap = actions.do_respond_swap(user_of(taker), swap, accept=True)
    assert any("already works" in p for p in swap.check_result["problems"])


def test_only_the_shifts_owner_proposes_and_only_the_taker_accepts(
    future_block, put, residents_with_logins, users
):
    giver, taker = residents_with_logins
    shift = put(
        future_block.roster, giver, future_block.template("wards_mgh", "day"), future_block.day(1)
    )
    for name in ("chief", "coordinator", "resident", "outsider", "faculty"):
        if users[name] == user_of(giver):
            continue
        with pytest.raises(PermissionDenied):
            actions.do_propose_swap(users[name], shift, taker.pk)
    swap = actions.do_propose_swap(user_of(giver), shift, taker.pk)
    for who in (user_of(giver), users["chief"], users["outsider"]):
        with pytest.raises(PermissionDenied):
            actions.do_respond_swap(who, swap, accept=True)
    with pytest.raises(PermissionDenied):
        actions.do_withdraw_swap(user_of(taker), swap)
    actions.do_respond_swap(user_of(taker), swap, accept=False)
    assert swap.status == SwapRequest.Status.DECLINED


def test_a_draft_shift_cannot_be_offered(future_block, put, residents_with_logins):
    giver, taker = residents_with_logins
    shift = put(
        future_block.roster,
        giver,
        future_block.template("wards_mgh", "day"),
        future_block.day(1),
        published=False,
    )
    with pytest.raises(actions.RosterError):
        actions.do_propose_swap(user_of(giver), shift, taker.pk)


def test_the_swap_api_proposes_for_the_signed_in_resident(
    future_block, put, residents_with_logins, as_user
):
    from django.test import Client

    giver, taker = residents_with_logins
    shift = put(
        future_block.roster, giver, future_block.template("wards_mgh", "day"), future_block.day(1)
    )
    client = Client()
    client.force_login(user_of(giver))
    slug = future_block.roster.schedule_year.program.slug
    r = client.post(
        f"/api/rosters/{slug}/swaps",
        {"shift_id": shift.pk, "to_appointment_id": taker.pk},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "proposed"
    r = as_user("outsider").post(
        f"/api/rosters/{slug}/swaps",
        {"shift_id": shift.pk, "to_appointment_id": taker.pk},
        content_type="application/json",
    )
    assert r.status_code == 404
    assert adapters.published_version(future_block.roster.schedule_year) is not None


def test_the_offer_form_lists_the_colleagues_upcoming_shifts_to_ask_in_return(
    future_block, put, residents_with_logins, as_user, im
):
    from django.test import Client

    giver, taker = residents_with_logins
    day = future_block.template("wards_mgh", "day")
    roster = future_block.roster
    mine = put(roster, giver, day, future_block.day(1))
    theirs = put(roster, taker, day, future_block.day(2))
    url = f"/rosters/{im.slug}/swaps/options/?shift={mine.pk}&to={taker.pk}"
    client = Client()
    client.force_login(user_of(giver))
    html = client.get(url).content.decode()
    assert f'<option value="{theirs.pk}">' in html and "give it away" in html
    # only the shift's owner asks, and only within the program
    other = Client()
    other.force_login(user_of(taker))
    assert other.get(url).status_code == 404
    assert as_user("outsider").get(url).status_code == 404
    assert as_user("surgery-coordinator").get(url).status_code == 404
