"""run_isolated: engine work in a child process that a job can stop at once."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from meded.jobs.isolation import ChildFailed, Stopped, run_isolated
from meded.jobs.tests import isolation_helpers as work

ROOT = Path(__file__).resolve().parents[3]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is gone for our purpose.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def wait_gone(pid: int, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.1)
    return False


def test_it_returns_what_the_work_returned_from_another_process():
    assert run_isolated(work.double, 21, tick=lambda s: True) == 42
    assert run_isolated(work.pid, tick=lambda s: True) != os.getpid()


def test_progress_reports_arrive_in_order_and_ticks_come_while_it_runs():
    points: list[int] = []
    ticks: list[float] = []

    def tick(elapsed: float) -> bool:
        ticks.append(elapsed)
        return True

    out = run_isolated(
        work.count, 30, tick=tick, every=0.05, on_progress=points.append, progress_kw="on_progress"
    )
    assert out == "counted"
    assert points == list(range(30))
    assert ticks and ticks == sorted(ticks)


def test_an_error_in_the_work_is_raised_here_with_its_message():
    with pytest.raises(ChildFailed, match="ValueError: model invalid") as raised:
        run_isolated(work.fail, "model invalid", tick=lambda s: True)
    assert "Traceback" in raised.value.details


def test_a_tick_that_answers_false_kills_the_child_and_raises_stopped():
    pids: list[int] = []
    with pytest.raises(Stopped):
        run_isolated(work.sleep_forever, tick=lambda s: s < 0.3, every=0.05, on_start=pids.append)
    assert pids and wait_gone(pids[0])


def test_a_stop_asked_here_reaches_the_work_s_event_in_the_child_which_then_returns():
    stop = threading.Event()
    ticks: list[float] = []

    def tick(elapsed: float) -> bool:
        ticks.append(elapsed)
        if len(ticks) == 2:  # the child is well under way
            stop.set()
        return True

    out = run_isolated(
        work.wait_for_stop, seconds=20.0, tick=tick, every=0.05, stop=stop, stop_kw="stop"
    )
    assert out == "stopped"
    assert len(ticks) >= 2


def test_the_stop_event_can_be_a_field_of_a_dataclass_argument_like_limits_stop():
    stop = threading.Event()
    stop.set()  # asked before the child even started
    out = run_isolated(
        work.wait_with,
        options=work.Options(seconds=20.0),
        tick=lambda s: True,
        every=0.05,
        stop=stop,
        stop_kw="options.stop",
    )
    assert out == "stopped"


def test_the_child_s_event_stays_clear_while_nobody_asks_for_a_stop():
    out = run_isolated(
        work.wait_for_stop,
        seconds=0.3,
        tick=lambda s: True,
        every=0.05,
        stop=threading.Event(),
        stop_kw="stop",
    )
    assert out == "not stopped"


def test_a_stop_event_without_a_keyword_to_hand_it_to_is_refused():
    with pytest.raises(ValueError, match="stop_kw"):
        run_isolated(work.double, 1, tick=lambda s: True, stop=threading.Event())


def test_a_child_whose_parent_is_killed_exits_by_itself():
    """A worker killed with SIGKILL leaves no solver behind burning a core."""
    script = textwrap.dedent(
        """
        import sys
        from meded.jobs.isolation import run_isolated
        from meded.jobs.tests import isolation_helpers as work
        def started(pid):
            print(pid, flush=True)
        run_isolated(work.sleep_forever, tick=lambda s: True, on_start=started)
        """
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert alive(child)
        parent.kill()
        parent.wait(10)
        assert wait_gone(child), "the solver process outlived its killed parent"
    finally:
        if parent.poll() is None:
            parent.kill()
