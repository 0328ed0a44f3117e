"""The one place a job's state changes: queued, running, then succeeded, failed or cancelled.

Every transition is a conditional update that must find the job in the state it leaves (or a
row locked and re-read inside the caller's transaction), so two parties can never both win:
a job cancelled while its result is being saved ends either cancelled with nothing saved or
succeeded, never cancelled with a schedule showing.

- ``claim``: the worker takes a queued job (False if it was cancelled meanwhile).
- ``beat``: the running worker's heartbeat, with its progress; False once the job was
  cancelled or given up, and the work must stop.
- ``finish``: inside the transaction that writes the job's result; raises Stopped when the
  job is no longer wanted, which rolls the result back.
- ``end``: failed or cancelled, with the job kind's clean-up (its half-made schedule version
  is marked failed, never shown as a schedule).
- ``request_cancel`` (through meded.jobs.actions.do_cancel_job): a queued job ends at once,
  a running one at its worker's next heartbeat.
- ``request_stop_early`` (through meded.jobs.actions.do_stop_job_early): "good enough, stop
  here" for a running job whose work says it has something to keep (its heartbeat's result
  has ``stop_early: true``, or the reason it cannot yet); the worker sees it with
  ``stop_early_requested``, its work wraps up, and the job ends normally with what it has.
- ``reap_stale``: running jobs whose worker stopped beating for MEDED_JOB_STALE_SECONDS are
  failed (run by every ``meded worker`` in the background, and by ``meded reap-jobs``).

Each kind of job registers, with ``register``, the function that runs it on a worker and its
clean-up; the jobs app knows no other app. Actions create the Job row, then ``enqueue`` it
after their transaction: one task (meded.jobs.tasks.run_job) runs every kind.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import close_old_connections, connections, router, transaction
from django.db.models import Q
from django.utils import timezone

from meded.audit import log as audit
from meded.jobs import events as ev
from meded.jobs.isolation import Stopped
from meded.jobs.models import Job

log = logging.getLogger(__name__)

Actor = AbstractBaseUser | AnonymousUser | None
S = Job.Status

# Written outside a long transaction where the database allows it (see settings.py): a
# second connection, so that progress and heartbeats are seen while an import runs.
PROGRESS_DB = "progress" if "progress" in settings.DATABASES else "default"

__all__ = ["PROGRESS_DB", "Refused", "Stopped", "beat", "claim", "end", "finish", "reap_stale"]


class Refused(ValueError):
    """A request about a job that its state does not allow (the message says why)."""


@dataclass(frozen=True)
class Kind:
    # Runs a claimed job on the worker: it reports progress with ``beat``, and saves its
    # result in a transaction that ends with ``finish`` (or calls ``fail`` with a reason).
    run: Callable[[Job], None]
    # Called inside the transaction that fails or cancels a job of this kind, to mark what
    # the job was making (a draft version, a roster) as given up: (actor, job, status, why).
    on_end: Callable[[Actor, Job, str, str], None] | None = None


_KINDS: dict[str, Kind] = {}


def register(
    kind: str,
    run: Callable[[Job], None],
    *,
    on_end: Callable[[Actor, Job, str, str], None] | None = None,
) -> None:
    _KINDS[kind] = Kind(run=run, on_end=on_end)


def kind_of(job: Job) -> Kind | None:
    return _KINDS.get(job.kind)


def enqueue(job: Job) -> Job:
    """Hand a committed Job to the workers (with the immediate backend, in tests, it runs
    right here). Call it after the transaction that created the Job: a worker must find the
    row. Returns the job as it stands afterwards."""
    from meded.jobs.tasks import run_job

    result = run_job.enqueue(str(job.pk))
    Job.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    return Job.objects.select_related("program", "created_by").get(pk=job.pk)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def _pk(job: Job | uuid.UUID | str) -> Any:
    return job.pk if isinstance(job, Job) else job


def claim(job: Job | uuid.UUID | str) -> Job | None:
    """Queued -> running, for this worker. None when the job is not queued any more (it was
    cancelled, or another worker took it): the task then does nothing."""
    now = timezone.now()
    n = Job.objects.filter(pk=_pk(job), status=S.QUEUED).update(
        status=S.RUNNING,
        started_at=now,
        heartbeat_at=now,
        worker=worker_name(),
        message="Starting",
    )
    if n != 1:
        return None
    return Job.objects.select_related("program", "created_by").get(pk=_pk(job))


def beat(job: Job | uuid.UUID | str, **progress: Any) -> bool:
    """The heartbeat of a running job, with any progress fields (done, total, message,
    result). False when the job is no longer running or a cancellation was asked: stop."""
    fields = {k: v for k, v in progress.items() if v is not None}
    if "message" in fields:
        fields["message"] = str(fields["message"])[:300]
    n = (
        Job.objects.using(PROGRESS_DB)
        .filter(pk=_pk(job), status=S.RUNNING, cancel_requested_at__isnull=True)
        .update(heartbeat_at=timezone.now(), **fields)
    )
    return n == 1


def solver_started(job: Job | uuid.UUID | str, pid: int) -> bool:
    """Note the solver's child process on the running job ("host:pid solver 1234")."""
    return beat(job, worker=f"{worker_name()} solver {pid}"[:120])


def solver_pid(job: Job) -> int | None:
    """The pid of the job's last solver process, if it noted one."""
    _, _, pid = job.worker.partition(" solver ")
    return int(pid) if pid.isdigit() else None


def _locked(job: Job | uuid.UUID | str) -> Job:
    return (
        Job.objects.select_for_update(of=("self",))
        .order_by()
        .select_related("program", "created_by")
        .get(pk=_pk(job))
    )


def finish(job: Job | uuid.UUID | str, *, message: str, result: dict[str, Any]) -> Job:
    """Running -> succeeded. Call it inside the transaction that writes the job's result:
    if the job was cancelled or given up meanwhile this raises Stopped and the result rolls
    back with it."""
    assert transaction.get_connection(router.db_for_write(Job)).in_atomic_block
    locked = _locked(job)
    if locked.status != S.RUNNING or locked.cancel_requested_at is not None:
        raise Stopped
    locked.status = S.SUCCEEDED
    locked.finished_at = timezone.now()
    locked.done = max(locked.done, locked.total)
    locked.message = message[:300]
    locked.result = result
    locked.save(update_fields=["status", "finished_at", "done", "message", "result"])
    return locked


def end(
    job: Job | uuid.UUID | str,
    status: str,
    message: str,
    *,
    actor: Actor = None,
    result: dict[str, Any] | None = None,
    event: str | None = None,
) -> bool:
    """A queued or running job -> failed or cancelled, with its kind's clean-up, in one
    transaction. False (nothing changed) when it had ended already."""
    assert status in (S.FAILED, S.CANCELLED)
    with transaction.atomic():
        locked = _locked(job)
        if locked.is_finished:
            return False
        old = locked.status
        locked.status = status
        locked.finished_at = timezone.now()
        locked.message = message[:300]
        if result:
            locked.result = {**(locked.result or {}), **result}
        locked.save(update_fields=["status", "finished_at", "message", "result"])
        kind = _KINDS.get(locked.kind)
        if kind is not None and kind.on_end is not None:
            kind.on_end(actor, locked, status, message)
        if event is not None:
            audit.record(
                actor,
                event,
                locked,
                program=locked.program,
                object_repr=locked.title,
                changes={"status": [old, status]},
                data={"kind": locked.kind, "worker": locked.worker},
                note=message,
            )
    return True


def settle_stopped(job: Job | uuid.UUID | str) -> str:
    """After the work stopped on Stopped: a job whose cancellation was asked ends cancelled
    (by whoever asked); one already ended (given up as abandoned) stays as it is."""
    current = Job.objects.select_related("cancelled_by").get(pk=_pk(job))
    if current.cancel_requested_at is not None and not current.is_finished:
        end(
            current,
            S.CANCELLED,
            "Cancelled while it ran; nothing was saved.",
            actor=current.cancelled_by,
            event=ev.CANCELLED,
        )
    return Job.objects.values_list("status", flat=True).get(pk=current.pk)


def fail(job: Job | uuid.UUID | str, message: str, **result: Any) -> str:
    """Running -> failed, as the task saw it (a solver error, no schedule found)."""
    if not end(job, S.FAILED, message, result=result):
        return str(Job.objects.values_list("status", flat=True).get(pk=_pk(job)))
    return S.FAILED


def request_cancel(actor: Actor, job: Job) -> Job:
    """A queued job is cancelled at once; a running one is asked to stop (its worker ends it
    at its next heartbeat). A finished job is left as it is. Permission is the caller's
    (meded.jobs.actions.do_cancel_job)."""
    user = actor if isinstance(actor, User) else None
    with transaction.atomic():
        locked = _locked(job)
        if locked.is_finished or locked.cancel_requested_at is not None:
            return locked
        locked.cancel_requested_at = timezone.now()
        locked.cancelled_by = user
        locked.save(update_fields=["cancel_requested_at", "cancelled_by"])
        if locked.status == S.QUEUED:
            end(
                locked,
                S.CANCELLED,
                "Cancelled before a worker started it.",
                actor=actor,
                event=ev.CANCELLED,
            )
        else:
            audit.record(
                actor,
                ev.CANCEL_REQUESTED,
                locked,
                program=locked.program,
                object_repr=locked.title,
                data={"kind": locked.kind, "worker": locked.worker},
            )
    return Job.objects.select_related("program", "created_by").get(pk=locked.pk)


def request_stop_early(actor: Actor, job: Job) -> Job:
    """Ask a running job to end now with the best it has found ("good enough, stop here");
    audited. Re-checked under the job's lock: a job that has ended, is being cancelled, or
    whose work has nothing to keep yet (its heartbeat's ``stop_early`` is not true; a text
    there says why) is refused; asking twice is asking once. Permission is the caller's
    (meded.jobs.actions.do_stop_job_early)."""
    user = actor if isinstance(actor, User) else None
    with transaction.atomic():
        locked = _locked(job)
        if locked.is_finished:
            raise Refused(f"This job has ended ({locked.get_status_display().lower()}).")
        if locked.cancel_requested_at is not None:
            raise Refused("This job is being cancelled.")
        if locked.stop_requested_at is not None:
            return locked
        ready = (locked.result or {}).get("stop_early")
        if locked.status != S.RUNNING or ready is not True:
            raise Refused(
                ready
                if isinstance(ready, str) and ready
                else "This job has nothing to keep yet; wait, or cancel it."
            )
        locked.stop_requested_at = timezone.now()
        locked.stop_requested_by = user
        locked.save(update_fields=["stop_requested_at", "stop_requested_by"])
        audit.record(
            actor,
            ev.STOP_REQUESTED,
            locked,
            program=locked.program,
            object_repr=locked.title,
            data={"kind": locked.kind, "worker": locked.worker, "message": locked.message},
        )
    return Job.objects.select_related("program", "created_by").get(pk=locked.pk)


def stop_early_requested(job: Job | uuid.UUID | str) -> bool:
    """Whether someone asked the running job to stop early (the worker asks at its heartbeat)."""
    return (
        Job.objects.using(PROGRESS_DB).filter(pk=_pk(job), stop_requested_at__isnull=False).exists()
    )


def stale_cutoff(now: dt.datetime | None = None, timeout: float | None = None) -> dt.datetime:
    seconds = settings.MEDED_JOB_STALE_SECONDS if timeout is None else timeout
    return (now or timezone.now()) - dt.timedelta(seconds=seconds)


def reap_stale(*, now: dt.datetime | None = None, timeout: float | None = None) -> list[Job]:
    """Fail every running job whose worker has not beaten for ``timeout`` seconds (default
    MEDED_JOB_STALE_SECONDS): its worker died. Returns the jobs failed."""
    cutoff = stale_cutoff(now, timeout)
    silent = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    reaped = []
    for job in Job.objects.filter(silent, status=S.RUNNING).only("pk"):
        with transaction.atomic():
            locked = _locked(job)
            last = locked.heartbeat_at or locked.started_at
            if locked.status != S.RUNNING or last is None or last >= cutoff:
                continue  # it beat, or ended, since we looked
            when = timezone.localtime(last).strftime("%Y-%m-%d %H:%M:%S")
            if end(
                locked,
                S.FAILED,
                f"The worker stopped (no sign of life since {when}); nothing was saved.",
                result={"error": "worker stopped"},
                event=ev.ABANDONED,
            ):
                reaped.append(locked)
                log.warning("Job %s failed: its worker %s stopped beating", job.pk, locked.worker)
    return reaped


def reap_forever(stop: threading.Event, every: float | None = None) -> None:
    """A worker's background reaper: ``reap_stale`` every ``every`` seconds (a quarter of the
    stale timeout, at least 5 s) until ``stop`` is set. Runs on its own thread, so on its own
    database connection, closed at the end."""
    pause = every if every is not None else max(5.0, settings.MEDED_JOB_STALE_SECONDS / 4)
    try:
        while not stop.wait(pause):
            close_old_connections()
            try:
                reap_stale()
            except Exception:  # a database hiccup must not kill the worker's reaper
                log.exception("Reaping stale jobs failed; trying again in %.0f s", pause)
    finally:
        connections.close_all()


def start_reaper() -> threading.Event:
    """Start ``reap_forever`` on a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=reap_forever, args=(stop,), name="meded-reaper", daemon=True).start()
    return stop
