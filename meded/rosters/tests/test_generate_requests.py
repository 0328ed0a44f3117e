"""Generating a roster from the block page: the request works out who is asking once, and a
refused generation writes nothing."""

from __future__ import annotations

import pytest
from django.test import override_settings

from meded.jobs.models import Job
from meded.org import access
from meded.rosters import actions
from meded.rosters.models import Roster, RosterSettings
from meded.schedules.tests.conftest import solved, sy

__all__ = ["solved", "sy"]

pytestmark = pytest.mark.django_db
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def test_generating_a_roster_works_out_who_is_asking_once_per_request(
    published, as_user, monkeypatch
):
    sy = published.schedule_year
    worked_out = []
    real = access._work_out

    def counted(user):
        worked_out.append(user.pk)
        return real(user)

    monkeypatch.setattr(access, "_work_out", counted)
    client = as_user("chief")
    with override_settings(TASKS=DATABASE_TASKS):  # the job waits for a worker
        r = client.post(f"/rosters/{sy.program.slug}/{sy.pk}/3/generate/")
    assert r.status_code == 302 and "/rosters/jobs/" in r["Location"]
    assert len(worked_out) == 1, worked_out


def test_a_generation_refused_for_want_of_a_published_schedule_writes_nothing(sy, users):
    rosters, jobs = Roster.objects.count(), Job.objects.count()
    with pytest.raises(actions.RosterError, match="Publish the rotation schedule"):
        actions.do_generate(users["chief"], sy, 2)
    assert (Roster.objects.count(), Job.objects.count()) == (rosters, jobs)


def test_reading_the_roster_settings_writes_no_settings_row(as_user, im):
    assert not RosterSettings.objects.filter(program=im).exists()
    assert as_user("chief").get(f"/rosters/{im.slug}/settings/").status_code == 200
    assert not RosterSettings.objects.filter(program=im).exists()
