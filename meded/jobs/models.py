"""Long-running work as a row the browser can watch: a Job is created by an action, run by a
task on any worker (through django-tasks' database backend), and reports its progress here.

Inputs live in the database too (not on a local disk), so a worker on another machine can
pick the job up. Its life (queued, running, then succeeded, failed or cancelled; the worker's
heartbeat; a cancellation asked) changes only through meded.jobs.lifecycle."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Finished"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=60)
    title = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="jobs"
    )
    program = models.ForeignKey(
        "org.Program", on_delete=models.CASCADE, null=True, blank=True, related_name="jobs"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    # What the job works on (an uploaded file, options) and what it found.
    input_name = models.CharField(max_length=255, blank=True)
    input_data = models.BinaryField(null=True, blank=True, editable=False)
    options = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The running worker's last sign of life; a job whose worker stopped beating is failed
    # by meded.jobs.lifecycle.reap_stale.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=120, blank=True)  # host:pid of the running worker
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # "Good enough, stop here": the running work is asked to end now and keep the best it has
    # found (a solve saves its best schedule so far); asked through
    # meded.jobs.actions.do_stop_job_early, passed on by the worker's heartbeat.
    stop_requested_at = models.DateTimeField(null=True, blank=True)
    stop_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, int(100 * self.done / self.total))

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def is_cancelling(self) -> bool:
        return self.cancel_requested_at is not None and not self.is_finished

    @property
    def is_stopping(self) -> bool:
        """Asked to stop early (and keep its best so far), and not ended yet."""
        return self.stop_requested_at is not None and not self.is_finished

    @property
    def can_stop_early(self) -> bool:
        """Running, and its work says (in its heartbeat's result: ``stop_early`` true) that it
        has something to keep if it stopped now; not being cancelled or stopped already."""
        return (
            self.status == self.Status.RUNNING
            and self.cancel_requested_at is None
            and self.stop_requested_at is None
            and (self.result or {}).get("stop_early") is True
        )

    @property
    def stop_early_note(self) -> str:
        """Why the running job cannot stop early yet, as its work says ("" otherwise)."""
        why = (self.result or {}).get("stop_early")
        if self.status != self.Status.RUNNING or self.is_cancelling or self.is_stopping:
            return ""
        return why if isinstance(why, str) else ""

    @property
    def looks_stale(self) -> bool:
        """Running, but its worker has been silent for longer than the stale timeout: it
        will be failed by the next reaper pass (shown; only meded.jobs.lifecycle writes)."""
        from django.utils import timezone

        silent = self.silent_seconds(timezone.now())
        return silent is not None and silent > settings.MEDED_JOB_STALE_SECONDS

    def silent_seconds(self, now: dt.datetime) -> float | None:
        """Seconds since the running job's last heartbeat (None unless it is running)."""
        if self.status != self.Status.RUNNING:
            return None
        last = self.heartbeat_at or self.started_at or self.created_at
        return max(0.0, (now - last).total_seconds())
