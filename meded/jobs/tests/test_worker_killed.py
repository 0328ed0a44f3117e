"""A real worker process, killed with SIGKILL in the middle of a solve: its solver process
goes with it, and the next worker fails the job and its half-made version (nothing shown
as a schedule). PostgreSQL only: the worker processes must share the test database, and
SQLite's test database lives in this process's memory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import override_settings

from meded.audit.models import AuditEntry
from meded.jobs import lifecycle
from meded.jobs.models import Job
from meded.jobs.tests.test_isolation import alive, wait_gone
from meded.jobs.tests.test_lifecycle import DATABASE_TASKS, committed_demo
from meded.schedules.actions import do_solve
from meded.schedules.demo import load_schedule_demo

ROOT = Path(__file__).resolve().parents[3]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="worker processes need a shared database (SQLite's test database is in memory)",
    ),
]


def worker_env() -> dict[str, str]:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return {
        **os.environ,
        "DATABASE_URL": f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
        f"{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "meded.settings",
        "MEDED_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "MEDED_DEBUG": "1",
        "MEDED_JOB_STALE_SECONDS": "2",
    }


def worker(*args: str, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "meded.cli", "worker", "--no-reload", "--no-startup-delay"]
    with log.open("ab") as out:
        return subprocess.Popen(
            [*command, *args], cwd=ROOT, env=worker_env(), stdout=out, stderr=out
        )


def test_a_worker_killed_mid_solve_leaves_a_failed_job_and_no_schedule(tmp_path):
    im = committed_demo()
    sy = load_schedule_demo(im)
    with override_settings(TASKS=DATABASE_TASKS):
        version = do_solve(User.objects.get(username="chief"), sy, time_limit=120)
    job = Job.objects.get(pk=version.job_id or "")
    assert job.status == Job.Status.QUEUED
    log = tmp_path / "worker.log"
    first = worker("--interval", "0.2", log=log)
    try:
        deadline = time.monotonic() + 120
        while lifecycle.solver_pid(job) is None:
            assert time.monotonic() < deadline, log.read_text()
            assert first.poll() is None, log.read_text()
            time.sleep(0.2)
            job.refresh_from_db()
        solver = lifecycle.solver_pid(job)
        assert solver is not None and alive(solver) and job.status == Job.Status.RUNNING
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert wait_gone(solver), "the solver outlived its worker"
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING  # nobody has noticed yet
    time.sleep(3)  # longer than the 2 s of silence after which a job counts as abandoned
    # The next worker to start fails it (its worker was silent for over 2 s).
    second = worker("--batch", log=log)
    assert second.wait(120) == 0, log.read_text()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED, (job.status, job.message, log.read_text())
    assert "worker stopped" in job.message
    version.refresh_from_db()
    assert version.solver_status == "failed" and not version.is_solving
    assert not version.assignments.exists()
    assert AuditEntry.objects.filter(event="job.abandoned", object_id=str(job.pk)).exists()
