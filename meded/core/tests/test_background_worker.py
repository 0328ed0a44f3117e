"""Background work really runs on a worker: a task enqueued on django-tasks-db's database
backend sits in the database until `db_worker` (here `--batch`: run what is queued, then
exit) claims it and stores its result. The same path serves workers on other machines."""

from __future__ import annotations

import io
import signal
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from meded import cli
from meded.core.tasks import ping

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def keep_signal_handlers() -> Iterator[None]:
    """db_worker installs its own SIGINT/SIGTERM handlers; give pytest its own back."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


@override_settings(TASKS=DATABASE_TASKS)
def test_a_task_enqueued_on_the_database_backend_waits_until_db_worker_runs_it():
    result = ping.enqueue("hello")
    assert result.status == TaskResultStatus.READY
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == TaskResultStatus.READY

    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", stdout=io.StringIO())

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value is not None
    assert result.return_value["message"] == "hello"
    assert result.return_value["database"] == connection.vendor
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 0


@override_settings(TASKS=DATABASE_TASKS)
def test_meded_worker_batch_runs_every_queued_task():
    results = [ping.enqueue(f"n{i}") for i in range(3)]
    assert (
        cli.main(["worker", "--batch", "--no-reload", "--no-startup-delay", "--verbosity", "0"])
        == 0
    )
    for i, result in enumerate(results):
        result.refresh()
        assert result.status == TaskResultStatus.SUCCESSFUL
        assert result.return_value is not None
        assert result.return_value["message"] == f"n{i}"


@override_settings(TASKS=DATABASE_TASKS)
def test_a_worker_on_another_queue_leaves_the_task_queued():
    result = ping.enqueue("wait")
    assert (
        cli.main(
            [
                "worker",
                "--batch",
                "--queue-name",
                "reports",
                "--no-reload",
                "--no-startup-delay",
                "--verbosity",
                "0",
            ]
        )
        == 0
    )
    result.refresh()
    assert result.status == TaskResultStatus.READY
