"""A roster import uploaded with the database task backend waits for a worker, then
`db_worker` runs it and the job page shows the result."""

from __future__ import annotations

import io
import signal
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client, override_settings

from meded.jobs.models import Job
from meded.org.demo import SMALL, demo_loaded, load_demo
from meded.org.models import Person
from meded.org.tests.roster_files import csv_bytes, resident

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def keep_signal_handlers() -> Iterator[None]:
    """db_worker installs its own signal handlers; give pytest its own back."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


@override_settings(TASKS=DATABASE_TASKS)
def test_an_uploaded_roster_waits_for_a_worker_and_the_worker_imports_it():
    if not demo_loaded():
        load_demo(scale=SMALL)
    client = Client()
    client.force_login(User.objects.get(username="coordinator"))
    data = csv_bytes([resident(1), resident(2)])
    r = client.post(
        "/org/programs/internal-medicine/roster/import/",
        {"file": SimpleUploadedFile("roster.csv", data, content_type="text/csv")},
    )
    job = Job.objects.get()
    assert r["Location"] == f"/jobs/{job.pk}/"
    assert job.status == "queued" and job.task_id
    html = client.get(r["Location"]).content.decode()
    assert "Waiting for a worker" in html and 'hx-trigger="every 1s"' in html
    assert not Person.objects.filter(email__endswith="@hospital.example").exists()

    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", stdout=io.StringIO())

    job.refresh_from_db()
    assert job.status == "succeeded" and job.result["created"] == 2
    assert Person.objects.filter(email__endswith="@hospital.example").count() == 2
    html = client.get(r["Location"]).content.decode()
    assert "2 created, 0 updated, 0 unchanged" in html and "hx-trigger" not in html
