"""Editing a draft: every edit is checked at once by the work-hour checker; a violation is
refused unless an editor keeps it with a reason. Publishing copies the draft."""

from __future__ import annotations

import pytest

from meded.audit.models import AuditEntry
from meded.rosters import actions
from meded.rosters.models import Roster, Shift

pytestmark = pytest.mark.django_db


def test_a_day_shift_straight_after_24_hour_call_is_refused_then_kept_with_a_reason(
    future_block, put, users
):
    people = future_block.rotation_people.get("micu", [])
    if not people:
        pytest.skip("nobody on MICU in the block")
    who = people[0]
    roster = future_block.roster
    put(roster, who, future_block.template("micu", "call"), future_block.day(2), published=False)
    day = future_block.template("micu", "day")
    post_call = future_block.day(3)
    with pytest.raises(actions.EditRefused) as refused:
        actions.do_add_shift(users["chief"], roster, who.pk, day, post_call)
    text = " ".join(refused.value.check.problems)
    assert who.person.full_name in text and ("W3" in text or "W6" in text)
    shift, result = actions.do_add_shift(
        users["chief"], roster, who.pk, day, post_call, override_reason="census surge"
    )
    assert shift.override_reason == "census surge" and result.problems
    entry = AuditEntry.objects.filter(object_type="rosters.shift", object_id=str(shift.pk)).get()
    assert "census surge" in entry.note


def test_reassigning_a_shift_to_someone_free_is_clean_and_audited(future_block, put, users):
    people = future_block.rotation_people.get("wards_mgh", [])
    if len(people) < 2:
        pytest.skip("fewer than two residents on wards")
    roster = future_block.roster
    shift = put(
        roster,
        people[0],
        future_block.template("wards_mgh", "day"),
        future_block.day(1),
        published=False,
    )
    preview = actions.preview_edit(roster, shift=shift, appointment_id=people[1].pk)
    assert preview.ok
    shift, result = actions.do_reassign_shift(users["coordinator"], shift, people[1].pk)
    assert result.ok and shift.appointment_id == people[1].pk
    assert Roster.objects.get(pk=roster.pk).draft_changed
    actions.do_remove_shift(users["chief"], shift)
    assert not Shift.objects.filter(pk=shift.pk).exists()


@pytest.mark.parametrize(
    "persona,allowed",
    [
        ("gme-admin", True),
        ("director", True),
        ("coordinator", True),
        ("chief", True),
        ("faculty", False),
        ("resident", False),
        ("surgery-coordinator", False),
        ("outsider", False),
    ],
)
def test_who_may_edit_publish_and_generate(future_block, put, users, persona, allowed):
    from django.core.exceptions import PermissionDenied

    people = future_block.rotation_people["wards_mgh"]
    roster = future_block.roster
    day = future_block.template("wards_mgh", "day")
    shift = put(roster, people[0], day, future_block.day(1), published=False)
    user = users[persona]
    calls = [
        lambda: actions.do_add_shift(user, roster, people[0].pk, day, future_block.day(2)),
        lambda: actions.do_reassign_shift(user, shift, people[-1].pk, override_reason="x"),
        lambda: actions.do_publish(user, roster),
        lambda: actions.do_save_settings(user, roster.schedule_year.program, {"meal_credit": "12"}),
        lambda: actions.do_save_template(user, day.rotation, "day", {"cover_min": 1}),
        lambda: actions.do_generate(user, roster.schedule_year, roster.block, time_limit=1),
        lambda: actions.do_remove_shift(user, shift),
    ]
    for call in calls:
        if allowed:
            call()
        else:
            with pytest.raises(PermissionDenied):
                call()


def test_publishing_replaces_the_published_rows_with_the_draft(future_block, put, users):
    people = future_block.rotation_people["wards_mgh"]
    roster = future_block.roster
    day = future_block.template("wards_mgh", "day")
    kept = put(roster, people[0], day, future_block.day(1))
    gone = put(roster, people[0], day, future_block.day(2))
    Shift.objects.filter(roster=roster, published=False, start=gone.start).delete()
    put(roster, people[0], day, future_block.day(4), published=False)
    actions.do_publish(users["chief"], roster)
    starts = set(
        Shift.objects.filter(roster=roster, published=True).values_list("start", flat=True)
    )
    assert kept.start in starts and gone.start not in starts and len(starts) == 2
    assert Shift.objects.filter(pk=kept.pk).exists()  # the same row: open swaps survive
