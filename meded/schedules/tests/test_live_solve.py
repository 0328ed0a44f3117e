"""The solve page while it runs: the best schedule's objective, the bound and the gap as they
move, what each rule costs, and "good enough, stop here", which keeps the best schedule so far
as the draft."""

from __future__ import annotations

import pytest
from django.test import override_settings

from meded.audit.models import AuditEntry
from meded.jobs import lifecycle
from meded.jobs.actions import do_stop_job_early
from meded.jobs.models import Job
from meded.schedules import adapters, tasks
from meded.schedules.actions import do_solve
from meded.schedules.models import ScheduleVersion

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def test_costs_by_rule_are_named_in_words_and_per_request_rules_summed(sy):
    built = adapters.build_problem(sy)
    words = adapters.costs_in_words(
        {
            "req:pgy1_wards": 4,
            "fairness:intensive": 12,
            "vacation:7": 10,
            "vacation:9": 10,
            "preference": -135,
            "wish:3": 0,
        },
        built,
    )
    assert words == [
        ("Vacation requests not granted", 20),
        ("Fairness: intensive", 12),
        ("Interns: at least 8 blocks of wards", 4),  # the rule's own description
        ("Elective preferences met (a reward)", -135),
    ]


@pytest.fixture
def running_solve(sy, users) -> Job:
    """A solve as its worker's heartbeat leaves it a few seconds in."""
    with override_settings(TASKS=DATABASE_TASKS):
        version = do_solve(users["chief"], sy, time_limit=30)
    job = lifecycle.claim(version.job_id or "")
    assert job is not None
    built = adapters.build_problem(sy)
    lifecycle.beat(
        job,
        message="Best 48 · bound -108 · gap 325.0% · 2.9 s",
        result={
            "progress": [[0.51, 150.0, -135.0], [1.86, 48.0, -108.0]],
            "elapsed_s": 2.9,
            "objective": 48.0,
            "bound": -108.0,
            "gap": tasks.gap_of(48.0, -108.0),
            "costs": adapters.costs_in_words(
                {"fairness:preference": 27, "fairness:intensive": 12, "preference": 9}, built
            ),
            "stop_early": True,
        },
    )
    return Job.objects.get(pk=job.pk)


@pytest.mark.django_db
def test_the_live_page_shows_objective_bound_gap_elapsed_and_the_rules_costs(
    as_user, running_solve
):
    html = as_user("chief").get(f"/schedules/jobs/{running_solve.pk}/progress/").content.decode()
    assert 'hx-trigger="every 1s"' in html  # still polling
    assert '<div class="stat" id="live-objective">48</div>' in html
    assert '<div class="stat" id="live-bound">-108</div>' in html
    assert '<div class="stat" id="live-gap">325.0%</div>' in html
    assert '<div class="stat" id="live-seconds">2.9 s</div>' in html
    assert "What each rule costs in the best schedule so far" in html
    assert '<td>Fairness: preference</td><td class="num">27</td>' in html
    assert '<td>Fairness: intensive</td><td class="num">12</td>' in html
    assert '<th>All rules</th><th class="num">48</th>' in html
    assert 'id="stop-job"' in html and "<svg" in html


@pytest.mark.django_db
def test_before_its_first_schedule_the_page_says_why_it_cannot_stop_yet(as_user, running_solve):
    lifecycle.beat(
        running_solve,
        message="Searching for a first schedule · 0.4 s",
        result={"progress": [], "elapsed_s": 0.4, "stop_early": tasks.NO_SCHEDULE_YET},
    )
    html = as_user("chief").get(f"/schedules/jobs/{running_solve.pk}/progress/").content.decode()
    assert 'id="stop-job"' not in html
    assert "No schedule has been found yet, so there is nothing to keep" in html
    assert '<div class="stat" id="live-gap">—</div>' in html
    assert '<div class="stat" id="live-seconds">0.4 s</div>' in html


# --- With the real solver in its own process ----------------------------------------------


@pytest.mark.django_db
def test_stop_here_keeps_the_best_schedule_so_far_as_the_draft_and_says_the_gap(
    sy, users, as_user, monkeypatch
):
    """The chief presses "stop here" at the first heartbeat that offers it (on the task's
    own thread, so the database sees one writer); the solver, in its own process, stops."""
    chief = users["chief"]
    pressed: list[Job] = []
    real_beat = lifecycle.beat

    def beat_then_press_stop(job, **progress):
        alive = real_beat(job, **progress)
        if (progress.get("result") or {}).get("stop_early") is True and not pressed:
            pressed.append(do_stop_job_early(chief, Job.objects.get(pk=job.pk)))
        return alive

    monkeypatch.setattr(lifecycle, "beat", beat_then_press_stop)
    # The immediate backend runs the solve right here, for up to 60 s unless stopped.
    version = do_solve(chief, sy, time_limit=60)

    assert pressed, "the solve never offered to stop early"
    job = Job.objects.get(pk=version.job_id or "")
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert job.stop_requested_by == chief and job.result["stopped_early"] is True
    version = ScheduleVersion.objects.get(pk=version.pk)
    assert version.solver_status == "FEASIBLE" and version.assignments.exists()
    assert version.status == ScheduleVersion.Status.DRAFT
    assert version.gap is not None
    assert job.message.startswith(f"Stopped early at gap {100 * version.gap:.1f}%")
    _, report = adapters.check_version(version)
    assert report.violations == []
    # the solver's own figures: its terms by rule add up to its objective
    assert job.result["costs"]
    assert sum(c for _, c in job.result["costs"]) == job.result["objective"] == version.objective
    saved = AuditEntry.objects.get(event="schedule.solved", object_id=str(version.pk))
    assert saved.note == job.message
    assert AuditEntry.objects.filter(event="job.stop_requested", object_id=str(job.pk)).exists()

    html = as_user("chief").get(f"/schedules/jobs/{job.pk}/").content.decode()
    assert 'id="open-version"' in html and "Stopped early at gap" in html
    assert "What each rule costs</h2>" in html and 'id="stop-job"' not in html
