"""A chief starts a solve in a real browser, watches the gap close on the live page, presses
"good enough, stop here" and lands on the saved draft.

The solve runs on a worker (here a thread of the test, running the queued job as `meded
worker` would), not inside the request that starts it, so that the page can be watched."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from django.db import connections

from meded.jobs.models import Job
from meded.jobs.tasks import run_job
from meded.org.demo import DEMO_PASSWORD
from meded.org.models import Program
from meded.schedules.demo import load_schedule_demo
from meded.schedules.models import ScheduleVersion, ScheduleYear

pytestmark = pytest.mark.browser

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
GAP = re.compile(r"^\d[\d,]*\.\d%$")


def start_worker(job_id: str, errors: list[str]) -> threading.Thread:
    """Run the queued job on a thread, as a worker would. An in-memory SQLite test database
    is one connection that the live server shares between its threads; the worker shares it
    too (a connection of its own would find the tables locked). Elsewhere the worker has a
    connection of its own, as a real one would."""
    main = connections["default"]  # this thread's, which the live server shares
    in_memory = main.vendor == "sqlite" and main.is_in_memory_db()  # type: ignore[attr-defined]
    shared = main if in_memory else None
    if shared is not None:
        shared.inc_thread_sharing()

    def work() -> None:
        if shared is not None:
            connections["default"] = shared
        try:
            run_job.call(job_id)
        except Exception as e:  # reported on the test's thread
            errors.append(repr(e))
        finally:
            if shared is None:
                connections.close_all()
            else:
                shared.dec_thread_sharing()

    worker = threading.Thread(target=work, name="test-worker")
    worker.start()
    return worker


def test_a_chief_watches_the_gap_presses_stop_here_and_gets_the_best_schedule_so_far(
    demo_live: Any, page: Any, settings: Any
) -> None:
    settings.TASKS = DATABASE_TASKS  # the solve waits for the worker below
    sy = load_schedule_demo(Program.objects.get(slug="internal-medicine"))
    ScheduleYear.objects.filter(pk=sy.pk).update(solve_seconds=60)
    base = demo_live.url

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "chief")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/home/$"))

    page.goto(f"{base}/schedules/internal-medicine/{sy.pk}/")
    page.click("#solve")
    page.wait_for_url(re.compile(r"/schedules/jobs/[0-9a-f-]+/$"), timeout=30_000)
    job_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    page.get_by_text("Waiting for a worker").first.wait_for()

    errors: list[str] = []
    worker = start_worker(job_id, errors)
    try:
        # The live figures appear with the first schedule, and move with each better one.
        page.locator("#live-gap", has_text=GAP).wait_for(timeout=30_000)
        page.locator("#rule-costs").get_by_text("Fairness: intensive").wait_for()
        assert re.match(r"^-?[\d,]+$", page.locator("#live-objective").inner_text())
        page.locator("#stop-job").click(timeout=10_000)
        # the worker notices the stop, then saves the best schedule of 198 residents: on a
        # fully loaded CI machine with PostgreSQL that once took more than 30 s
        page.get_by_text(re.compile(r"Stopped early at gap \d")).first.wait_for(timeout=90_000)
        page.locator("#open-version").click()
        page.wait_for_url(re.compile(r"\?v=\d+$"))
    finally:
        worker.join(150)
    assert not errors, errors

    job = Job.objects.get(pk=job_id)
    assert job.status == Job.Status.SUCCEEDED and job.result["stopped_early"] is True
    version = ScheduleVersion.objects.get(job=job)
    assert page.url.endswith(f"?v={version.pk}")
    assert version.status == ScheduleVersion.Status.DRAFT and version.solver_status == "FEASIBLE"
    assert version.assignments.exists()
    page.locator("#rules").get_by_text("All hard rules hold").wait_for(timeout=10_000)
