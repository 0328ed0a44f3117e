"""Two editors saving the same trainee from forms opened at the same moment: the first save
wins, the second is refused with what changed, and nothing is silently overwritten."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from meded.audit import log as audit
from meded.core.tests.interleave import Interleave, needs_postgresql
from meded.org import actions
from meded.org.demo import SMALL, demo_loaded, load_demo
from meded.org.models import Appointment

pytestmark = [pytest.mark.django_db(transaction=True), needs_postgresql]


@pytest.fixture(autouse=True)
def committed_demo() -> None:
    if not demo_loaded():
        load_demo(scale=SMALL)


def test_the_second_of_two_simultaneous_saves_of_one_form_is_refused(monkeypatch):
    appt = Appointment.objects.select_related("person").get(
        person__user__username="resident", kind="trainee"
    )
    base = actions.trainee_snapshot(appt)  # both editors opened the form now
    gate = Interleave()
    record_many = audit.record_many

    def slow_record_many(entries, **kwargs):
        gate.pause()  # the first save is written, not committed
        return record_many(entries, **kwargs)

    monkeypatch.setattr(audit, "record_many", slow_record_many)
    coordinator = User.objects.get(username="coordinator")
    director = User.objects.get(username="director")

    def save(user, **values):
        fresh = Appointment.objects.select_related("person", "program").get(pk=appt.pk)
        return lambda: actions.do_update_trainee(user, fresh, values, base=base)

    first, second = gate.run(
        save(coordinator, email="first@hospital.example"),
        save(director, email="second@hospital.example", status="leave"),
    )
    assert first.ok, first.error
    assert isinstance(second.error, actions.StaleEdit), second
    assert second.error.changes["email"][1] == "first@hospital.example"
    appt.refresh_from_db()
    assert appt.person.email == "first@hospital.example" and appt.status == "active"
