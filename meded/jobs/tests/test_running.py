"""run_watched: long work on a thread, progress ticks on the caller's thread."""

from __future__ import annotations

import threading
import time

import pytest

from meded.jobs.running import run_watched


def test_it_returns_the_works_result_and_ticks_on_the_callers_thread_while_it_runs():
    caller = threading.get_ident()
    ticks: list[tuple[int, float]] = []

    def work() -> str:
        time.sleep(0.25)
        return "done"

    out = run_watched(work, lambda s: ticks.append((threading.get_ident(), s)), 0.05, "w")
    assert out == "done"
    assert ticks and all(ident == caller for ident, _ in ticks)
    assert [s for _, s in ticks] == sorted(s for _, s in ticks)


def test_it_re_raises_what_the_work_raised():
    def work() -> None:
        raise ValueError("model invalid")

    with pytest.raises(ValueError, match="model invalid"):
        run_watched(work, lambda s: None, 0.01, "w")
