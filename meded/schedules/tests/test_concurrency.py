"""A schedule cell edited while the version is published: the edit lands before the publish
or is refused, never after it; edits, copies and publishes at once never deadlock."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth.models import User
from django.db import connection

from meded.audit import log as audit
from meded.audit.models import AuditEntry
from meded.core.tests.interleave import Interleave, needs_postgresql
from meded.org.demo import SMALL, demo_loaded, load_demo
from meded.schedules import actions
from meded.schedules.models import Assignment, Rotation, ScheduleVersion
from meded.schedules.tests.conftest import solved, sy

__all__ = ["solved", "sy"]

pytestmark = [pytest.mark.django_db(transaction=True), needs_postgresql]


@pytest.fixture(autouse=True)
def committed_demo() -> None:
    if not demo_loaded():
        load_demo(scale=SMALL)


def other_rotation(cell: Assignment) -> Rotation:
    found = (
        Rotation.objects.filter(program_id=cell.rotation.program_id)
        .exclude(pk=cell.rotation_id)
        .order_by("code")
        .first()
    )
    assert found is not None
    return found


def test_a_cell_edited_while_its_version_is_published_is_saved_before_the_publish_or_refused(
    monkeypatch, solved
):
    chief = User.objects.get(username="chief")
    director = User.objects.get(username="director")
    cell = solved.assignments.select_related("rotation").order_by("pk").first()
    assert cell is not None
    gate = Interleave()
    record = audit.record

    def slow_record(actor, event, *args, **kwargs):
        if event == "schedule.cell_changed":
            gate.pause()  # inside the edit's transaction, with the cell written
        return record(actor, event, *args, **kwargs)

    monkeypatch.setattr(audit, "record", slow_record)
    version = ScheduleVersion.objects.select_related("schedule_year__program").get(pk=solved.pk)
    rotation = other_rotation(cell)
    edit, publish = gate.run(
        lambda: actions.do_set_assignment(
            chief, version, cell.appointment_id, cell.block, rotation
        ),
        lambda: actions.do_publish(director, ScheduleVersion.objects.get(pk=solved.pk)),
    )
    assert publish.ok, publish.error
    published = AuditEntry.objects.get(event="schedule.published", object_id=str(solved.pk))
    if edit.ok:
        changed = AuditEntry.objects.get(event="schedule.cell_changed", object_id=str(cell.pk))
        assert changed.pk < published.pk, "the edit landed after the version was published"
    else:
        assert isinstance(edit.error, actions.ScheduleError)
        cell.refresh_from_db()
        assert cell.rotation_id != rotation.pk


def test_edits_copies_and_publishes_at_once_never_deadlock(solved):
    """Every outcome is a decision (saved, or refused with a reason), never a database
    error such as a deadlock."""
    chief = User.objects.get(username="chief")
    director = User.objects.get(username="director")
    cells = list(solved.assignments.select_related("rotation").order_by("pk")[:6])
    errors: list[BaseException] = []
    refused: list[actions.ScheduleError] = []
    start = threading.Barrier(len(cells) + 2)

    def run(fn) -> None:
        try:
            start.wait(30)
            fn()
        except actions.ScheduleError as e:
            refused.append(e)  # an edit refused because the version was published meanwhile
        except BaseException as e:
            errors.append(e)
        finally:
            connection.close()

    def edit(cell: Assignment):
        return lambda: actions.do_set_assignment(
            chief,
            ScheduleVersion.objects.select_related("schedule_year__program").get(pk=solved.pk),
            cell.appointment_id,
            cell.block,
            other_rotation(cell),
        )

    work = [edit(c) for c in cells]
    work.append(
        lambda: actions.do_publish(
            director,
            ScheduleVersion.objects.select_related("schedule_year__program").get(pk=solved.pk),
        )
    )
    work.append(
        lambda: actions.do_copy_version(
            chief,
            ScheduleVersion.objects.select_related("schedule_year__program").get(pk=solved.pk),
        )
    )
    threads = [threading.Thread(target=run, args=(fn,)) for fn in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a transaction hung"
    assert not errors, errors
