"""A job's life (meded.jobs.lifecycle): claimed once, beating while it runs, cancelled at
once when queued and at its next heartbeat when running, failed when its worker went
silent, and never a half-made result shown."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from meded.audit.models import AuditEntry
from meded.jobs import lifecycle
from meded.jobs.actions import JobError, do_cancel_job
from meded.jobs.models import Job
from meded.jobs.tasks import run_job
from meded.jobs.tests.test_isolation import wait_gone
from meded.jobs.tests.test_job_page import make_job as import_job
from meded.org.demo import SMALL, demo_loaded, load_demo
from meded.org.models import Person, Program
from meded.schedules.actions import do_solve
from meded.schedules.demo import load_schedule_demo
from meded.schedules.models import ScheduleVersion
from meded.schedules.tests.conftest import sy

__all__ = ["sy"]

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def queued_solve(sy, users) -> ScheduleVersion:
    """A solve queued on the database backend: it waits for a worker."""
    with override_settings(TASKS=DATABASE_TASKS):
        version = do_solve(users["chief"], sy, time_limit=30)
    assert version.job is not None and version.job.status == Job.Status.QUEUED
    return version


@pytest.mark.django_db
class TestTransitions:
    def test_a_queued_job_is_claimed_once_and_a_second_claim_gets_nothing(self, users, im):
        job = import_job(users["coordinator"], im)
        claimed = lifecycle.claim(job)
        assert claimed is not None and claimed.status == Job.Status.RUNNING
        assert claimed.heartbeat_at is not None and claimed.worker
        assert lifecycle.claim(job) is None

    def test_a_job_cancelled_before_a_worker_starts_it_never_runs(self, users, im):
        job = import_job(users["coordinator"], im)
        job = do_cancel_job(users["coordinator"], job)
        assert job.status == Job.Status.CANCELLED and job.cancelled_by == users["coordinator"]
        assert run_job.call(str(job.pk)) == Job.Status.CANCELLED
        assert not Person.objects.filter(email__endswith="@hospital.example").exists()
        assert AuditEntry.objects.filter(event="job.cancelled", object_id=str(job.pk)).exists()

    def test_a_heartbeat_is_refused_once_a_cancellation_is_asked(self, users, im):
        job = lifecycle.claim(import_job(users["coordinator"], im))
        assert job is not None
        assert lifecycle.beat(job, done=1, message="working")
        do_cancel_job(users["director"], job)
        assert not lifecycle.beat(job, done=2, message="still working")
        job.refresh_from_db()
        assert job.done == 1 and job.is_cancelling
        assert AuditEntry.objects.filter(event="job.cancel_requested").exists()

    def test_a_result_saved_after_the_cancellation_was_asked_rolls_back(self, users, im):
        job = lifecycle.claim(import_job(users["coordinator"], im))
        assert job is not None
        do_cancel_job(users["coordinator"], job)
        with pytest.raises(lifecycle.Stopped), transaction.atomic():
            Person.objects.create(first_name="Half", last_name="Written")
            lifecycle.finish(job, message="done", result={})
        assert not Person.objects.filter(last_name="Written").exists()
        assert lifecycle.settle_stopped(job) == Job.Status.CANCELLED

    def test_an_import_cancelled_while_it_runs_writes_nothing(self, users, im):
        job = lifecycle.claim(import_job(users["coordinator"], im))
        assert job is not None
        do_cancel_job(users["coordinator"], job)
        # The worker's next progress report finds the cancellation and stops the import.
        from meded.org.tasks import run_import

        with pytest.raises(lifecycle.Stopped):
            run_import(job)
        assert lifecycle.settle_stopped(job) == Job.Status.CANCELLED
        assert not Person.objects.filter(email__endswith="@hospital.example").exists()

    def test_a_finished_job_cannot_be_cancelled(self, users, im):
        job = import_job(users["coordinator"], im, status=Job.Status.SUCCEEDED)
        with pytest.raises(JobError):
            do_cancel_job(users["coordinator"], job)

    @pytest.mark.parametrize("name", ["chief", "faculty", "resident", "outsider"])
    def test_only_the_starter_and_the_programs_managers_may_cancel(self, as_user, users, im, name):
        job = import_job(users["coordinator"], im)
        r = as_user(name).post(f"/jobs/{job.pk}/cancel/")
        assert r.status_code == 404
        job.refresh_from_db()
        assert job.status == Job.Status.QUEUED

    def test_a_queued_solve_cancelled_leaves_its_version_marked_cancelled(
        self, queued_solve, users
    ):
        job = queued_solve.job
        do_cancel_job(users["chief"], job)
        queued_solve.refresh_from_db()
        assert queued_solve.solver_status == "cancelled" and not queued_solve.is_solving
        assert not queued_solve.assignments.exists()
        assert AuditEntry.objects.filter(
            event="schedule.solve_cancelled", object_id=str(queued_solve.pk)
        ).exists()


@pytest.mark.django_db
class TestAbandonedJobs:
    def test_a_running_job_whose_worker_went_silent_is_failed_and_its_version_too(
        self, queued_solve
    ):
        job = lifecycle.claim(queued_solve.job)
        assert job is not None
        long_ago = timezone.now() - dt.timedelta(minutes=5)
        Job.objects.filter(pk=job.pk).update(heartbeat_at=long_ago)
        reaped = lifecycle.reap_stale(timeout=60)
        assert [j.pk for j in reaped] == [job.pk]
        job.refresh_from_db()
        assert job.status == Job.Status.FAILED and "worker stopped" in job.message
        queued_solve.refresh_from_db()
        assert queued_solve.solver_status == "failed" and not queued_solve.assignments.exists()
        assert AuditEntry.objects.filter(event="job.abandoned", object_id=str(job.pk)).exists()
        assert AuditEntry.objects.filter(event="schedule.solve_failed").exists()
        # Its worker, were it alive after all, could neither beat nor save.
        assert not lifecycle.beat(job)

    def test_a_job_that_beat_recently_is_left_alone(self, queued_solve):
        job = lifecycle.claim(queued_solve.job)
        assert job is not None and lifecycle.beat(job)
        assert lifecycle.reap_stale(timeout=60) == []
        job.refresh_from_db()
        assert job.status == Job.Status.RUNNING

    def test_the_job_page_says_when_a_running_jobs_worker_is_silent(self, as_user, queued_solve):
        job = lifecycle.claim(queued_solve.job)
        assert job is not None
        Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
        html = as_user("chief").get(f"/jobs/{job.pk}/").content.decode()
        assert "the worker may have stopped" in html


@pytest.mark.django_db
class TestJobsScreenAndApi:
    def test_the_jobs_page_lists_what_the_user_may_see_with_who_started_it(
        self, as_user, users, im
    ):
        mine = import_job(users["coordinator"], im)
        html = as_user("coordinator").get("/jobs/").content.decode()
        assert mine.title in html and "coordinator" in html
        assert f"/jobs/{mine.pk}/" not in as_user("faculty").get("/jobs/").content.decode()

    def test_a_queued_job_is_cancelled_from_its_page(self, as_user, users, im):
        job = import_job(users["coordinator"], im)
        client = as_user("coordinator")
        assert 'id="cancel-job"' in client.get(f"/jobs/{job.pk}/").content.decode()
        r = client.post(f"/jobs/{job.pk}/cancel/", {"next": f"/jobs/{job.pk}/"})
        assert r.status_code == 302 and r["Location"] == f"/jobs/{job.pk}/"
        job.refresh_from_db()
        assert job.status == Job.Status.CANCELLED
        html = client.get(f"/jobs/{job.pk}/").content.decode()
        assert "nothing was saved" in html and 'id="cancel-job"' not in html

    def test_the_api_lists_and_cancels_jobs(self, as_user, users, im):
        job = import_job(users["coordinator"], im)
        client = as_user("coordinator")
        listed = client.get("/api/jobs", {"status": "queued"}).json()["items"]
        assert [j["id"] for j in listed] == [str(job.pk)]
        r = client.post(f"/api/jobs/{job.pk}/cancel")
        assert r.status_code == 200 and r.json()["status"] == "cancelled"
        assert client.post(f"/api/jobs/{job.pk}/cancel").status_code == 409
        assert as_user("faculty").post(f"/api/jobs/{job.pk}/cancel").status_code == 404
        assert client.get("/api/jobs", {"status": "nonsense"}).status_code == 422


# --- With real processes ------------------------------------------------------------------


def committed_demo() -> Program:
    if not demo_loaded():
        load_demo(scale=SMALL)
    return Program.objects.get(slug="internal-medicine")


@pytest.mark.django_db(transaction=True)
def test_cancelling_a_running_solve_kills_its_solver_and_saves_nothing():
    im = committed_demo()
    sy = load_schedule_demo(im)
    chief, errors = User.objects.get(username="chief"), []

    def cancel_once_the_solver_runs() -> None:
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                job = Job.objects.filter(program=im, kind="schedule_solve").first()
                if job is not None and lifecycle.solver_pid(job):
                    do_cancel_job(chief, job)
                    return
                time.sleep(0.1)
            errors.append("the solver never started")
        except Exception as e:  # reported below, on the test's thread
            errors.append(repr(e))
        finally:
            connection.close()

    canceller = threading.Thread(target=cancel_once_the_solver_runs)
    canceller.start()
    # The immediate backend runs the solve right here, for up to 120 s unless stopped.
    version = do_solve(chief, sy, time_limit=120)
    canceller.join()
    assert not errors, errors
    job = Job.objects.get(pk=version.job_id or "")
    assert job.status == Job.Status.CANCELLED and job.cancelled_by == chief
    version.refresh_from_db()
    assert version.solver_status == "cancelled" and not version.assignments.exists()
    pid = lifecycle.solver_pid(job)
    assert pid is not None and wait_gone(pid)
