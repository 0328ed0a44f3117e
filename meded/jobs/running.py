"""Running long work (a solver) on a thread while the task's own thread reports progress:
database connections stay on the task's thread, which writes the Job row between waits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def run_watched(
    work: Callable[[], T], on_tick: Callable[[float], None], every: float, name: str
) -> T:
    """Run ``work()`` on a thread named ``name``; every ``every`` seconds while it runs, call
    ``on_tick(elapsed seconds)`` on this thread. Returns what ``work`` returned and re-raises
    what it raised."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = work()
        except BaseException as e:
            box["error"] = e

    thread = threading.Thread(target=target, name=name, daemon=True)
    t0 = time.monotonic()
    thread.start()
    while thread.is_alive():
        thread.join(every)
        on_tick(time.monotonic() - t0)
    if "error" in box:
        raise box["error"]
    out: T = box["result"]
    return out
