"""Work for the isolation tests, run in a child process (importable, no Django)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
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
