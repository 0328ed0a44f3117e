"""Running an engine entry point in a child process, so that a job can be stopped at once.

The task's own thread starts the child, passes it the problem (engine problems are plain
dataclasses, so they pickle), forwards the engine's progress reports as they arrive, and
calls ``tick`` every ``every`` seconds: the job's heartbeat. When ``tick`` answers False (the
job was cancelled, or given up as abandoned) the child is killed and ``Stopped`` raised: no
solver keeps burning a core for a result nobody will keep.

"Good enough, stop here" is gentler: the parent sets its ``stop`` event, and the child, told
over a second pipe, sets the ``threading.Event`` it handed the work (``stop_kw``); the work
then ends as it would at its time limit, with the best it has, and returns that.

Children come from a fork server that has loaded the engine once (a solve starts in a few
milliseconds, not the second a fresh interpreter takes to import OR-Tools). A child whose
parent dies (a worker killed with SIGKILL) exits at once: it watches its pipe to the parent.

This module imports no Django: the child runs it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import select
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

# What the fork server loads before it forks a solve.
PRELOAD = ["meded.engine.blocks.portfolio", "meded.engine.roster"]
KILL_WAIT = 5.0  # seconds a killed child gets to go before we stop waiting for it


class Stopped(Exception):
    """``tick`` asked the work to stop; the child was killed."""


class ChildFailed(RuntimeError):
    """The work raised in the child (the message names the error), or the child died."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


_contexts: dict[str, Any] = {}
_lock = threading.Lock()


def _context(method: str) -> Any:
    with _lock:
        if method not in _contexts:
            if method not in multiprocessing.get_all_start_methods():
                method = "spawn"
            ctx = multiprocessing.get_context(method)
            if method == "forkserver":
                ctx.set_forkserver_preload(PRELOAD)
            _contexts[method] = ctx
        return _contexts[method]


def _orphan_watch(conn: Connection, parent: int) -> None:
    """Exit when the process that started us is gone: its end of our pipe closes (a killed
    worker's file descriptors close even before it is reaped), which poll() reports on our
    end as an error. (The fork server is our parent, and it stays alive while we do, so the
    parent pid alone cannot tell.) Without poll(), fall back to the parent pid."""
    if hasattr(select, "poll"):
        watch = select.poll()
        watch.register(conn.fileno(), 0)  # no events asked: only errors and hang-ups come
        while True:
            if watch.poll():
                os._exit(70)
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(70)


def _with_stop(kwargs: dict[str, Any], stop_kw: str, event: threading.Event) -> dict[str, Any]:
    """``kwargs`` with ``event`` under ``stop_kw``: a keyword ("stop"), or a field of a
    dataclass keyword ("limits.stop": ``kwargs["limits"]`` with its ``stop`` replaced)."""
    name, _, attr = stop_kw.partition(".")
    if not attr:
        return {**kwargs, name: event}
    return {**kwargs, name: dataclasses.replace(kwargs[name], **{attr: event})}


def _listen(control: Connection, event: threading.Event) -> None:
    """Set ``event`` when the parent says "stop"; end when the parent closes its end."""
    while True:
        try:
            message = control.recv()
        except (EOFError, OSError):
            return
        if message == "stop":
            event.set()


def _child(
    conn: Connection,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    progress_kw: str | None,
    control: Connection | None = None,
    stop_kw: str | None = None,
) -> None:
    threading.Thread(target=_orphan_watch, args=(conn, os.getppid()), daemon=True).start()
    if control is not None and stop_kw:
        event = threading.Event()
        kwargs = _with_stop(kwargs, stop_kw, event)
        threading.Thread(target=_listen, args=(control, event), daemon=True).start()
    send_lock = threading.Lock()  # the engine reports progress from its own threads

    def send(message: tuple[Any, ...]) -> None:
        with send_lock:
            conn.send(message)

    if progress_kw:
        kwargs = {**kwargs, progress_kw: lambda point: send(("progress", point))}
    try:
        result = fn(*args, **kwargs)
    except BaseException as e:  # reported to the parent, which raises ChildFailed
        send(("error", f"{type(e).__name__}: {e}", traceback.format_exc()))
    else:
        send(("result", result))
    finally:
        conn.close()


def run_isolated(
    fn: Callable[..., Any],
    *args: Any,
    tick: Callable[[float], bool],
    every: float = 0.5,
    on_progress: Callable[[Any], None] | None = None,
    progress_kw: str | None = None,
    method: str = "forkserver",
    on_start: Callable[[int], object] | None = None,
    stop: threading.Event | None = None,
    stop_kw: str | None = None,
    **kwargs: Any,
) -> Any:
    """``fn(*args, **kwargs)`` in a child process; returns what it returned. ``fn`` must be
    importable (a module-level function) and its arguments and result picklable. With
    ``progress_kw``, ``fn`` gets a callback under that name whose reports reach
    ``on_progress`` here. ``tick(elapsed seconds)`` runs about every ``every`` seconds;
    False kills the child and raises Stopped. ``on_start(pid)`` hears the child's pid.

    With ``stop_kw``, ``fn`` gets a ``threading.Event`` of the child's under that keyword
    (``"stop"``), or in that field of a dataclass keyword (``"limits.stop"`` replaces the
    ``stop`` of ``kwargs["limits"]``); once ``stop`` is set here (by ``tick``, or any thread),
    the child's event is set within about ``every`` seconds, and ``fn`` is expected to wrap
    up and return."""
    if stop is not None and not stop_kw:
        raise ValueError("run_isolated: a stop event needs stop_kw, where the work takes it")
    ctx = _context(method)
    receive, send = ctx.Pipe(duplex=False)
    control_in, control_out = ctx.Pipe(duplex=False) if stop_kw else (None, None)
    child = ctx.Process(
        target=_child,
        args=(send, fn, args, kwargs, progress_kw, control_in, stop_kw),
        name="meded-solve",
        daemon=True,
    )
    started = time.monotonic()
    child.start()
    send.close()  # the child holds the writing end; EOF here means it is gone
    if control_in is not None:
        control_in.close()  # the child's end of the control pipe
    last_tick = started
    told = False  # the child was told to stop
    try:
        if on_start is not None and child.pid is not None:
            on_start(child.pid)
        while True:
            if stop is not None and control_out is not None and not told and stop.is_set():
                told = True
                # OSError: the child is gone already (its result, or EOF, is waiting)
                with contextlib.suppress(OSError):
                    control_out.send("stop")
            ready = receive.poll(max(0.0, every - (time.monotonic() - last_tick)))
            if ready:
                try:
                    message = receive.recv()
                except EOFError:
                    child.join(KILL_WAIT)
                    raise ChildFailed(
                        f"The solver process stopped unexpectedly (exit code {child.exitcode})."
                    ) from None
                if message[0] == "progress":
                    if on_progress is not None:
                        on_progress(message[1])
                elif message[0] == "result":
                    child.join(KILL_WAIT)
                    return message[1]
                else:
                    child.join(KILL_WAIT)
                    raise ChildFailed(message[1], message[2])
            now = time.monotonic()
            if now - last_tick >= every:
                last_tick = now
                if not tick(now - started):
                    raise Stopped
    finally:
        receive.close()
        if control_out is not None:
            control_out.close()
        if child.is_alive():
            child.kill()
            child.join(KILL_WAIT)
