"""Two transactions truly interleaved, for the concurrency tests (PostgreSQL: each thread has
its own connection; SQLite serializes writers, so there the question does not arise).

``Interleave.run(first, second)`` runs ``first`` on a thread until it calls ``pause()`` (a
test patches it into the action, inside its transaction, after its checks); then runs
``second`` on another thread, gives it ``hold`` seconds to get as far as it can (done, or
waiting for a lock ``first`` holds), then lets ``first`` finish. Outcomes are returned, not
raised, so a test can ask that exactly one of two conflicting decisions won."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="two transactions interleave only on PostgreSQL (SQLite has one writer at a time)",
)

WAIT = 60.0  # seconds to wait for a thread to get somewhere before the test fails


@dataclass
class Outcome:
    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _call(fn: Callable[[], Any], out: Outcome) -> None:
    try:
        out.value = fn()
    except BaseException as e:
        out.error = e
    finally:
        connection.close()


class Interleave:
    def __init__(self, hold: float = 1.0) -> None:
        self.hold = hold
        self.paused = threading.Event()
        self.resume = threading.Event()
        self.first_thread: threading.Thread | None = None

    def pause(self) -> None:
        """Called from the patched action: only the first thread stops here, once."""
        if threading.current_thread() is self.first_thread and not self.paused.is_set():
            self.paused.set()
            self.resume.wait(WAIT)

    def run(self, first: Callable[[], Any], second: Callable[[], Any]) -> tuple[Outcome, Outcome]:
        a, b = Outcome(), Outcome()
        self.first_thread = threading.Thread(target=_call, args=(first, a), name="first")
        other = threading.Thread(target=_call, args=(second, b), name="second")
        self.first_thread.start()
        try:
            assert self.paused.wait(WAIT), "the first transaction never reached its pause"
            other.start()
            other.join(self.hold)  # done, or blocked on a lock the first one holds
        finally:
            self.resume.set()
        self.first_thread.join(WAIT)
        if other.is_alive() or other.ident is not None:
            other.join(WAIT)
        assert not self.first_thread.is_alive() and not other.is_alive(), "a thread hung"
        return a, b
