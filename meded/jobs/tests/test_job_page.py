"""The job page, its htmx progress partial, the jobs API and the roster import task."""

from __future__ import annotations

import pytest

from meded.jobs.models import Job
from meded.jobs.tasks import run_job as run_roster_import
from meded.org.tasks import _Progress, start_roster_import
from meded.org.tests.roster_files import csv_bytes, resident

pytestmark = pytest.mark.django_db


def make_job(user, program, data=None, **kw):
    return Job.objects.create(
        kind="roster_import",
        title="Roster import: roster.csv",
        created_by=user,
        program=program,
        input_name="roster.csv",
        input_data=data if data is not None else csv_bytes([resident(1), resident(2)]),
        options={"dry_run": False},
        **kw,
    )


def test_a_queued_job_says_it_waits_for_a_worker_and_polls_every_second(as_user, users, im):
    job = make_job(users["coordinator"], im)
    html = as_user("coordinator").get(f"/jobs/{job.pk}/").content.decode()
    assert "Roster import: roster.csv" in html
    assert "Waiting for a worker (is <code>meded worker</code> running?)" in html
    assert f'hx-get="/jobs/{job.pk}/progress/"' in html and 'hx-trigger="every 1s"' in html
    assert 'class="progress"' in html


def test_the_progress_partial_shows_done_of_total_while_running(as_user, users, im):
    job = make_job(
        users["coordinator"], im, status="running", done=30, total=120, message="Checking rows"
    )
    r = as_user("coordinator").get(f"/jobs/{job.pk}/progress/")
    html = r.content.decode()
    assert "<html" not in html  # a fragment for htmx to swap in
    assert 'value="25"' in html and "30 of 120" in html and "Checking rows" in html
    assert 'hx-trigger="every 1s"' in html


def test_a_finished_job_stops_polling_and_shows_the_counts(as_user, users, im):
    job = start_roster_import(make_job(users["coordinator"], im))
    assert job.status == "succeeded" and job.started_at and job.finished_at
    assert job.finished_at >= job.started_at
    html = as_user("coordinator").get(f"/jobs/{job.pk}/").content.decode()
    assert "hx-trigger" not in html
    assert "2 created, 0 updated, 0 unchanged" in html
    assert f"?batch={job.result['batch']}" in html
    assert "Waiting for a worker" not in html


def test_a_job_whose_import_fails_is_marked_failed_with_a_plain_message(as_user, users, im):
    # The chief started it (say, before losing a role): the import refuses to run.
    job = start_roster_import(make_job(users["chief"], im))
    assert job.status == "failed" and job.finished_at is not None
    assert "nothing was changed" in job.message
    assert "director and coordinators" in job.result["error"]
    html = as_user("chief").get(f"/jobs/{job.pk}/").content.decode()
    assert "The job failed" in html and "Traceback" not in html


def test_running_a_finished_job_again_does_nothing(users, im):
    job = start_roster_import(make_job(users["coordinator"], im))
    first = dict(job.result)
    run_roster_import.call(str(job.pk))
    job.refresh_from_db()
    assert job.result == first


def test_progress_reports_are_throttled_but_the_last_one_is_written(users, im):
    job = make_job(users["coordinator"], im, status="running")
    progress = _Progress(job.pk)
    progress(10, 100, "one")
    progress(20, 100, "two")  # within the throttle window: skipped
    job.refresh_from_db()
    assert (job.done, job.total, job.message) == (10, 100, "one")
    progress(100, 100, "done")
    job.refresh_from_db()
    assert (job.done, job.message, job.percent) == (100, "done", 100)


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("coordinator", 200),
        ("director", 200),
        ("gme-admin", 200),
        ("chief", 404),
        ("faculty", 404),
        ("resident", 404),
        ("outsider", 404),
        ("surgery-coordinator", 404),
    ],
)
def test_only_the_creator_and_the_programs_managers_see_a_job(as_user, users, im, name, status):
    job = make_job(users["coordinator"], im)
    client = as_user(name)
    assert client.get(f"/jobs/{job.pk}/").status_code == status
    assert client.get(f"/jobs/{job.pk}/progress/").status_code == status
    assert client.get(f"/api/jobs/{job.pk}").status_code == status


def test_the_creator_sees_their_own_job_even_without_managing_the_program(as_user, users, im):
    job = make_job(users["chief"], im)
    assert as_user("chief").get(f"/jobs/{job.pk}/").status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in_or_get_401(as_user, users, im):
    job = make_job(users["coordinator"], im)
    r = as_user(None).get(f"/jobs/{job.pk}/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    assert as_user(None).get(f"/api/jobs/{job.pk}").status_code == 401


def test_an_unknown_job_is_not_found(as_user):
    assert (
        as_user("gme-admin").get("/jobs/00000000-0000-0000-0000-000000000000/").status_code == 404
    )
    assert as_user("gme-admin").get("/api/jobs/not-a-uuid").status_code in (404, 422)


def test_the_api_reports_status_progress_and_result(as_user, users, im):
    job = make_job(users["coordinator"], im, status="running", done=5, total=20, message="Reading")
    body = as_user("director").get(f"/api/jobs/{job.pk}").json()
    assert {k: body[k] for k in ("status", "done", "total", "percent", "message")} == {
        "status": "running",
        "done": 5,
        "total": 20,
        "percent": 25,
        "message": "Reading",
    }
    assert body["result"] == {} and body["program"] == "internal-medicine"
    done = start_roster_import(make_job(users["coordinator"], im))
    body = as_user("coordinator").get(f"/api/jobs/{done.pk}").json()
    assert body["status"] == "succeeded" and body["percent"] == 100
    assert body["result"]["created"] == 2 and body["result"]["errors"] == []
