"""A job cancelled while its worker saves the result ends one way: succeeded with its result,
or cancelled with nothing saved, never cancelled with the result showing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from meded.core.tests.interleave import Interleave, needs_postgresql
from meded.jobs import lifecycle
from meded.jobs.actions import do_cancel_job
from meded.jobs.models import Job
from meded.jobs.tests.test_lifecycle import committed_demo, import_job
from meded.org import tasks
from meded.org.models import Person

pytestmark = [pytest.mark.django_db(transaction=True), needs_postgresql]


@pytest.mark.parametrize("where", ["before its lock", "after its lock"])
def test_a_job_cancelled_while_its_result_is_saved_ends_consistent(monkeypatch, where):
    im = committed_demo()
    coordinator = User.objects.get(username="coordinator")
    job = lifecycle.claim(import_job(coordinator, im))
    assert job is not None
    gate = Interleave()
    finish, locked = lifecycle.finish, lifecycle._locked

    def slow_finish(*args, **kwargs):
        if where == "before its lock":
            gate.pause()
        return finish(*args, **kwargs)

    def slow_locked(*args, **kwargs):
        row = locked(*args, **kwargs)
        if where == "after its lock":
            gate.pause()
        return row

    monkeypatch.setattr(lifecycle, "finish", slow_finish)
    monkeypatch.setattr(lifecycle, "_locked", slow_locked)
    saved, cancel = gate.run(
        lambda: tasks.run_import(job),
        lambda: do_cancel_job(coordinator, Job.objects.get(pk=job.pk)),
    )
    assert cancel.ok, cancel.error
    if not saved.ok:
        assert isinstance(saved.error, lifecycle.Stopped)
        lifecycle.settle_stopped(job)
    job.refresh_from_db()
    imported = Person.objects.filter(email__endswith="@hospital.example").exists()
    assert (job.status, imported) in (
        (Job.Status.SUCCEEDED, True),
        (Job.Status.CANCELLED, False),
    ), (job.status, imported)
