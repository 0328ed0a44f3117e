""" "Good enough, stop here": who may ask a running job to stop early and keep its best so far,
when it is refused, and that the request is audited and reaches the worker's heartbeat."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from meded.audit.models import AuditEntry
from meded.jobs import lifecycle
from meded.jobs.actions import JobError, do_cancel_job, do_stop_job_early
from meded.jobs.models import Job

pytestmark = pytest.mark.django_db

NOT_YET = "No schedule has been found yet, so there is nothing to keep."
MAY_STOP = ["chief", "coordinator", "director", "gme-admin"]  # its starter, the managers
MAY_NOT = ["faculty", "resident", "outsider", "surgery-coordinator"]


def running_solve(users, program, **result):
    """A solve the chief started, running, whose heartbeat says what it could keep."""
    return Job.objects.create(
        kind="schedule_solve",
        title="Solved: Internal Medicine, version 2",
        created_by=users["chief"],
        program=program,
        status=Job.Status.RUNNING,
        worker="host:1 solver 2",
        message="Best 120 · bound 80 · gap 33.3% · 4.0 s",
        result={"progress": [[1.0, 120, 80]], "stop_early": True, **result},
    )


def stop_entries(job):
    return AuditEntry.objects.filter(event="job.stop_requested", object_id=str(job.pk))


@pytest.mark.parametrize("name", MAY_STOP)
def test_its_starter_and_the_programs_managers_may_stop_a_running_solve_early(users, im, name):
    job = running_solve(users, im)
    stopped = do_stop_job_early(users[name], job)
    assert stopped.stop_requested_at is not None and stopped.stop_requested_by == users[name]
    assert stopped.status == Job.Status.RUNNING  # it ends at its worker's next heartbeat
    assert stopped.is_stopping and not stopped.can_stop_early
    entry = stop_entries(job).get()
    assert entry.actor == users[name] and entry.program == im
    assert entry.data["message"] == job.message  # where the search stood when asked
    assert lifecycle.stop_early_requested(job)


@pytest.mark.parametrize("name", MAY_NOT)
def test_nobody_else_may_stop_it(users, im, name):
    job = running_solve(users, im)
    with pytest.raises(PermissionDenied):
        do_stop_job_early(users[name], job)
    job.refresh_from_db()
    assert job.stop_requested_at is None and not stop_entries(job).exists()
    assert not lifecycle.stop_early_requested(job)


@pytest.mark.parametrize("status", [Job.Status.SUCCEEDED, Job.Status.FAILED, Job.Status.CANCELLED])
def test_a_job_that_has_ended_cannot_be_stopped(users, im, status):
    job = running_solve(users, im)
    Job.objects.filter(pk=job.pk).update(status=status)
    job.refresh_from_db()
    with pytest.raises(JobError, match="has ended"):
        do_stop_job_early(users["chief"], job)
    assert not stop_entries(job).exists()


def test_the_state_is_checked_again_under_the_lock_not_on_the_copy_in_hand(users, im):
    job = running_solve(users, im)  # "running" in hand ...
    Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED)  # ... but it finished
    with pytest.raises(JobError, match="has ended"):
        do_stop_job_early(users["chief"], job)
    assert Job.objects.get(pk=job.pk).stop_requested_at is None


def test_before_its_first_schedule_a_solve_refuses_with_the_reason_its_heartbeat_gives(users, im):
    job = running_solve(users, im, progress=[], stop_early=NOT_YET)
    assert not job.can_stop_early and job.stop_early_note == NOT_YET
    with pytest.raises(JobError, match="No schedule has been found yet"):
        do_stop_job_early(users["chief"], job)
    assert not stop_entries(job).exists()


def test_a_job_whose_work_cannot_stop_early_is_refused(users, im):
    job = running_solve(users, im)
    Job.objects.filter(pk=job.pk).update(result={"progress": []})
    with pytest.raises(JobError, match="nothing to keep"):
        do_stop_job_early(users["chief"], job)


def test_a_job_being_cancelled_cannot_be_stopped_early_instead(users, im):
    job = do_cancel_job(users["chief"], running_solve(users, im))
    with pytest.raises(JobError, match="being cancelled"):
        do_stop_job_early(users["coordinator"], job)
    assert not stop_entries(job).exists()


def test_asking_twice_is_asking_once(users, im):
    job = running_solve(users, im)
    do_stop_job_early(users["chief"], job)
    again = do_stop_job_early(users["director"], job)
    assert again.stop_requested_by == users["chief"]
    assert stop_entries(job).count() == 1


def test_the_button_stops_it_from_the_page_and_says_so(as_user, users, im):
    job = running_solve(users, im)
    client = as_user("chief")
    html = client.get(f"/jobs/{job.pk}/").content.decode()
    assert 'id="stop-job"' in html and "Good enough — stop here" in html
    r = client.post(f"/jobs/{job.pk}/stop/", {"next": f"/schedules/jobs/{job.pk}/"})
    assert r.status_code == 302 and r["Location"] == f"/schedules/jobs/{job.pk}/"
    job.refresh_from_db()
    assert job.stop_requested_by == users["chief"]
    html = client.get(f"/jobs/{job.pk}/").content.decode()
    assert 'id="stop-job"' not in html and "Stopping here (asked by chief)" in html
    assert client.get(f"/jobs/{job.pk}/stop/").status_code == 405


@pytest.mark.parametrize("name", MAY_NOT)
def test_the_page_action_is_a_404_to_whoever_may_not_see_the_job(as_user, users, im, name):
    job = running_solve(users, im)
    assert as_user(name).post(f"/jobs/{job.pk}/stop/").status_code == 404
    assert Job.objects.get(pk=job.pk).stop_requested_at is None


def test_the_api_stops_a_running_job_early_and_says_409_once_it_has_ended(as_user, users, im):
    job = running_solve(users, im)
    client = as_user("coordinator")
    assert client.get(f"/api/jobs/{job.pk}").json()["stop_requested"] is False
    r = client.post(f"/api/jobs/{job.pk}/stop")
    assert r.status_code == 200 and r.json()["stop_requested"] is True
    assert r.json()["status"] == "running"
    assert as_user("faculty").post(f"/api/jobs/{job.pk}/stop").status_code == 404
    Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED)
    r = client.post(f"/api/jobs/{job.pk}/stop")
    assert r.status_code == 409 and "has ended" in r.json()["detail"]
