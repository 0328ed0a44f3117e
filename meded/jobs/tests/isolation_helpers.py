"""Work for the isolation tests, run in a child process (importable, no Django)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def double(x: int) -> int:
    return 2 * x


def count(n: int, on_progress: Callable[[Any], None] | None = None) -> str:
    for i in range(n):
        if on_progress is not None:
            on_progress(i)
        time.sleep(0.01)
    return "counted"


def fail(message: str) -> None:
    raise ValueError(message)


def sleep_forever() -> None:
    while True:
        time.sleep(0.1)


def pid() -> int:
    return os.getpid()


def wait_for_stop(stop: threading.Event | None = None, seconds: float = 60.0) -> str:
    """Until ``stop`` is set (or ``seconds`` pass): what a solve does with Limits.stop."""
    assert stop is not None, "no stop event was passed"
    return "stopped" if stop.wait(seconds) else "not stopped"


@dataclass(frozen=True)
class Options:
    seconds: float = 60.0
    stop: threading.Event | None = None


def wait_with(options: Options) -> str:
    """``wait_for_stop`` with the event in a field of its argument (like Limits.stop)."""
    return wait_for_stop(options.stop, options.seconds)
