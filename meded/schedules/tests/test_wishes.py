"""Residents' "not before / not after" timing wishes: entered in the request window, soft
rules for the solver, declinable by the chiefs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from meded.audit.models import AuditEntry
from meded.engine.blocks.check import check
from meded.schedules import adapters
from meded.schedules.actions import (
    ScheduleError,
    do_add_wish,
    do_decide_wish,
    do_withdraw_wish,
)
from meded.schedules.models import TimingWish


def _url(sy):
    return f"/schedules/{sy.program.slug}/{sy.pk}/requests/"


def test_a_resident_adds_a_not_before_wish_and_the_solver_sees_it(sy, users, as_user):
    r = as_user("resident").post(
        _url(sy), {"action": "wish", "category": "icu", "not_before": "7", "note": "boards"}
    )
    assert r.status_code == 302
    wish = TimingWish.objects.get(appointment__person__user=users["resident"])
    assert (wish.category, wish.not_before, wish.not_after) == ("icu", 6, None)
    assert wish.describe() == "Icu not before block 7"
    assert AuditEntry.objects.filter(
        object_type="schedules.timingwish", object_id=str(wish.pk), action="create"
    ).exists()
    built = adapters.build_problem(sy)
    engine_wish = next(w for w in built.problem.wishes if w.id == f"w{wish.pk}")
    assert engine_wish.not_before == 6 and engine_wish.weight == 5
    assert engine_wish.target.categories == frozenset({"icu"})


def test_a_schedule_against_a_wish_costs_the_wish_weight_per_block(sy, solved, users):
    built = adapters.build_problem(sy)
    rows = adapters.schedule_of(solved)
    # a resident with an ICU block somewhere: wish it away from that block
    rid, block = next(
        (r, b) for r, row in sorted(rows.items()) for b, k in sorted(row.items()) if k == "micu"
    )
    appt = built.residents[rid]
    wish = TimingWish.objects.create(
        schedule_year=sy, appointment=appt, category="icu", not_after=block - 1
    )
    report = check(adapters.build_problem(sy).problem, rows)
    costs = [c for c in report.costs if c[0] == f"wish:w{wish.pk}"]
    late_icu = sum(1 for b, k in rows[rid].items() if b >= block and k in ("micu", "ccu"))
    assert costs and sum(c[3] for c in costs) == 5 * late_icu


def test_declined_wishes_are_ignored_and_residents_withdraw_their_own(sy, users):
    wish = do_add_wish(users["resident"], sy, rotation_code="ed", not_after=10)
    with pytest.raises(PermissionDenied):
        do_decide_wish(users["resident"], wish, "declined")
    do_decide_wish(users["chief"], wish, "declined")
    assert not [w for w in adapters.build_problem(sy).problem.wishes if w.id == f"w{wish.pk}"]
    do_withdraw_wish(users["resident"], wish)
    assert not TimingWish.objects.filter(pk=wish.pk).exists()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "Choose a rotation or a kind"),
        ({"rotation_code": "nope", "not_before": 2}, "Rotation: 'nope'"),
        ({"category": "spa", "not_before": 2}, "Category: 'spa'"),
        ({"category": "icu"}, "not come before, after, or both"),
        ({"category": "icu", "not_before": 30}, "Not before: choose a block from 1 to 26"),
        ({"category": "icu", "not_before": 9, "not_after": 3}, "comes before the first"),
    ],
)
def test_a_bad_wish_gets_a_message_naming_the_field(sy, users, kwargs, message):
    with pytest.raises(ScheduleError, match=message):
        do_add_wish(users["resident"], sy, **kwargs)
    assert not TimingWish.objects.exists()


def test_wishes_are_refused_outside_the_window_and_from_non_residents(sy, users):
    after = sy.requests_close + dt.timedelta(days=1)
    with pytest.raises(ScheduleError, match="closed"):
        do_add_wish(users["resident"], sy, category="icu", not_before=3, today=after)
    for who in ("chief", "faculty", "outsider"):
        with pytest.raises(PermissionDenied):
            do_add_wish(users[who], sy, category="icu", not_before=3)


def test_the_requests_page_lists_wishes_to_the_chief_and_only_their_own_to_a_resident(
    sy, users, as_user
):
    do_add_wish(users["resident"], sy, category="night_float", not_before=4)
    assert "Night float not before block 5" in as_user("chief").get(_url(sy)).content.decode()
    mine = as_user("resident").get(_url(sy)).content.decode()
    assert "Night float not before block 5" in mine and "Withdraw" in mine
    assert as_user("outsider").get(_url(sy)).status_code == 404
