# SPDX-License-Identifier: GPL-3.0-or-later
"""Long work off Blender's main thread: one background task at a time.

A :class:`Task` has two halves:

* ``work(ctl)`` runs in a worker thread. It must never touch ``bpy`` (Blender's data is not
  thread safe); it reports with ``ctl.progress(fraction, text)`` and checks ``ctl.cancel``
  (a ``threading.Event``) or calls ``ctl.check_cancel()``. Its return value is handed over.
* ``finish(context, value)`` runs on the main thread once ``work`` returned; it is the only
  half that changes the scene and returns the message to report (or ``(level, message)``
  with level "INFO" or "WARNING").

Hand-over: the worker only puts messages in a queue. The modal operator
``figurine.task_monitor`` (a window-manager timer) drains it on the main thread, updates the
panel and the status bar, lets every other event through (the UI stays usable), stops the
worker on Esc, and calls ``finish``. In background mode (``blender -b``, the bpy module)
timers and modal operators never run, so :func:`start` runs both halves right away, in order,
on the calling thread: scripts get the same result as the panel, synchronously.

Main-thread work in slices: ``finish`` may be a generator. The monitor then runs it one
slice per timer tick, so the window draws and the progress bar moves between slices:

* ``yield (fraction, text)`` ends a slice (bpy work: one render, one remesh, one export);
* ``value = yield OffThread(fn)`` runs ``fn(ctl)`` in a worker thread (no bpy again: the
  numpy parts of a step) and resumes the generator with its return value;
* ``return text`` (or ``(level, text)``) ends the task like a plain ``finish``.

A task with ``work=None`` starts straight with its ``finish`` slices (Render Review).
"""

from __future__ import annotations

import inspect
import os
import queue
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

import bpy
from bpy.app.handlers import persistent

from ..core.errors import BadInputError, CancelledError, FigurineError

TIMER_STEP = 0.1  # seconds between two drains of the queue: smooth progress, negligible cost


class TaskControl:
    """What the worker half sees: a progress sink and the cancel flag. Thread safe."""

    def __init__(self, messages: queue.Queue, cancel: threading.Event):
        self._messages = messages
        self.cancel = cancel

    def progress(self, fraction: float | None, text: str = "") -> None:
        self._messages.put(("progress", fraction, text))

    def check_cancel(self) -> None:
        if self.cancel.is_set():
            raise CancelledError("cancelled by the user")

    @property
    def cancelled(self) -> bool:
        return self.cancel.is_set()


@dataclass
class OffThread:
    """Yielded by a sliced ``finish``: run ``work(ctl)`` in a worker thread (never bpy) and
    send its return value back into the generator."""

    work: Callable[[TaskControl], Any]


@dataclass
class Task:
    label: str  # what the panel and the status bar call it ("Generate", "Make Figurine")
    work: Callable[[TaskControl], Any] | None
    finish: Callable[[Any, Any], Any] | None = None  # (context, value) -> text or (level, text)
    undo: bool = True  # finish changes the scene: push an undo step named after the task


@dataclass
class Running:
    """The state of the task in flight, as the main thread knows it."""

    task: Task
    cancel: threading.Event = field(default_factory=threading.Event)
    messages: queue.Queue = field(default_factory=queue.Queue)
    thread: threading.Thread | None = None
    fraction: float | None = 0.0
    text: str = "starting"
    state: str = "running"  # running → finished | failed | cancelled
    result_text: str = ""
    level: str = "INFO"  # the report type of result_text
    error: Exception | None = None  # what a failed task raised (the panel may offer a way on)
    started: float = field(default_factory=time.monotonic)
    # How the monitor treated events, so a test can see the UI got them back.
    passed_through: int = 0
    drains: int = 0
    # A sliced finish: the generator, and whether it waits for an OffThread part.
    stepper: Any = None
    waiting: OffThread | None = None
    slices: int = 0

    @property
    def active(self) -> bool:
        return self.state == "running"

    def request_cancel(self) -> None:
        self.cancel.set()
        self.text = "cancelling…"


_current: Running | None = None
_last: Running | None = None  # the finished one, so the panel can say how it ended


def current() -> Running | None:
    return _current


def last() -> Running | None:
    return _last


def busy() -> bool:
    return _current is not None and _current.active


def cancel() -> bool:
    """Ask the running task to stop. True if there was one."""
    if _current is None or not _current.active:
        return False
    _current.request_cancel()
    _redraw()
    return True


def start(context, task: Task, *, wait: bool = False) -> Running:
    """Run ``task``: in a worker thread watched by the modal monitor, or synchronously in
    background mode or when ``wait`` is set (scripts that need the result before going on).
    A synchronous run raises the task's FigurineError; an asynchronous one reports it."""
    global _current, _last
    if busy():
        raise BadInputError(f"'{_current.task.label}' is still running",
                            hint="wait for it to finish or press Cancel (Esc)")
    run = Running(task)
    if bpy.app.background or wait:
        _last = run
        _run_sync(context, run)
        return run
    _current = run
    if task.work is None:  # straight to the main-thread slices
        run.messages.put(("done", None, None))
    else:
        run.thread = _spawn(run, task.work)
    window = context.window or (context.window_manager.windows[0] if context.window_manager.windows else None)
    if window is None:  # no window at all: nothing could ever drain the queue
        run.cancel.set()
        _current = None
        raise BadInputError("Blender has no window to follow the task in", hint="run the script in background mode")
    with context.temp_override(window=window):
        getattr(bpy.ops, "figurine").task_monitor("INVOKE_DEFAULT")
    _redraw(progress_only=True)  # the progress bar appears; the 3D view has nothing new
    return run


def run_inline(slices, cancel: Callable[[], bool] | None = None):
    """Drive a sliced finish (see the module doc) on the calling thread, its worker parts
    inline: the CLI and scripts run the panel's steps synchronously. Returns its value."""
    ctl = TaskControl(queue.Queue(), threading.Event())
    kind, value = "done", None
    while True:
        try:
            if kind == "error":
                item = slices.throw(value)
            elif cancel is not None and cancel():
                item = slices.throw(CancelledError("cancelled by the user"))
            else:
                item = slices.send(value)
        except StopIteration as stop:
            return stop.value
        kind, value = "done", None
        if isinstance(item, OffThread):
            try:
                value = item.work(ctl)
            except BaseException as exc:
                kind, value = "error", exc


def _spawn(run: Running, work: Callable[[TaskControl], Any]) -> threading.Thread:
    thread = threading.Thread(target=_work, args=(run, work), name=f"figurine: {run.task.label}", daemon=True)
    thread.start()
    return thread


def _run_sync(context, run: Running) -> None:
    ctl = TaskControl(run.messages, run.cancel)
    try:
        kind, value = "done", run.task.work(ctl) if run.task.work is not None else None
        _drain(run)
        while not _advance(context, run, kind, value):
            part, kind, value = run.waiting, "done", None
            if part is not None:  # inline here: there is no monitor to wait for a thread
                try:
                    value = part.work(ctl)
                except BaseException as exc:
                    kind, value = "error", exc
                _drain(run)
    except CancelledError as exc:
        run.state, run.result_text = "cancelled", exc.one_line()
        raise
    except FigurineError as exc:
        run.state, run.result_text, run.error = "failed", exc.one_line(), exc
        raise
    except BaseException as exc:
        run.state, run.result_text = "failed", f"internal error: {type(exc).__name__}: {exc}"
        raise


WORKER_NICENESS = 4  # a worker thread yields the CPU to the main thread's draws, mildly (as offload.CHILD_NICENESS)


def _lower_this_threads_priority() -> None:
    """Linux: a thread has its own nice value; the worker's is raised so that on a busy
    machine the window draws first. Elsewhere (or when refused) nothing changes."""
    if hasattr(os, "setpriority") and sys.platform.startswith("linux"):
        try:
            tid = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + WORKER_NICENESS)
        except OSError:
            pass


def _work(run: Running, work: Callable[[TaskControl], Any]) -> None:
    """The worker thread's body: only ever talks to the queue."""
    _lower_this_threads_priority()
    ctl = TaskControl(run.messages, run.cancel)
    try:
        value = work(ctl)
    except BaseException as exc:  # handed to the main thread, which reports it
        if not isinstance(exc, FigurineError):
            traceback.print_exc()  # the console gets the details of a bug
        run.messages.put(("error", exc, None))
    else:
        run.messages.put(("done", value, None))


def _drain(run: Running) -> tuple[str, Any] | None:
    """Apply queued progress; return the final ("done"|"error", payload) if it arrived."""
    end = None
    run.drains += 1
    while True:
        try:
            kind, a, b = run.messages.get_nowait()
        except queue.Empty:
            return end
        if kind == "progress":
            if a is not None:
                run.fraction = max(0.0, min(1.0, float(a)))
            if b:
                run.text = str(b)
        else:
            end = (kind, a)


def _set_outcome(run: Running, out) -> None:
    level, text = out if isinstance(out, tuple) else ("INFO", out)
    run.state, run.level, run.result_text = "finished", level, text or f"{run.task.label} finished"


def _advance(context, run: Running, kind: str, payload) -> bool:
    """Main thread: move the task on by one slice; True once it ended (outcome in ``run``).
    ``kind``/``payload`` is what the last worker part gave ("done", value) or ("error", exc)."""
    if run.stepper is None:
        if kind == "error":
            raise payload
        out = run.task.finish(context, payload) if run.task.finish else None
        if not inspect.isgenerator(out):
            _set_outcome(run, out)
            return True
        run.stepper, kind, payload = out, "done", None
    run.waiting = None
    run.slices += 1
    try:
        if kind == "error":
            item = run.stepper.throw(payload)
        elif run.cancel.is_set():
            item = run.stepper.throw(CancelledError("cancelled by the user"))
        else:
            item = run.stepper.send(payload)
    except StopIteration as stop:
        _set_outcome(run, stop.value)
        return True
    if isinstance(item, OffThread):
        run.waiting = item
        if _current is run:  # followed by the monitor; a synchronous run does it inline
            run.thread = _spawn(run, item.work)
        return False
    fraction, text = item
    _redraw(progress_only=True)
    if fraction is not None:
        run.fraction = max(0.0, min(1.0, float(fraction)))
    if text:
        run.text = str(text)
    return False


def _conclude(context, run: Running, kind: str, payload) -> tuple[str, str] | None:
    """Main thread: run (the next slice of) the finish half; once the task ended, say how
    it went as (report type, message); None while slices remain."""
    global _current, _last
    try:
        if not _advance(context, run, kind, payload):
            return None
        level = run.level
        if run.task.undo:
            bpy.ops.ed.undo_push(message=f"Figurine: {run.task.label}")
    except CancelledError as exc:
        run.state, run.result_text, level = "cancelled", exc.one_line(), "WARNING"
    except FigurineError as exc:
        run.state, run.result_text, level, run.error = "failed", exc.one_line(), "ERROR", exc
    except Exception as exc:  # a bug: keep Blender running, say so, details on the console
        if exc is not payload:
            traceback.print_exc()
        run.state, level = "failed", "ERROR"
        run.result_text = f"Figurine Forge internal error: {type(exc).__name__}: {exc}"
    if run.stepper is not None:
        run.stepper.close()  # a slice that raised: let the generator's finally blocks clean up
    run.level = level
    run.fraction = 1.0 if run.state == "finished" else run.fraction
    if _current is run:
        _current = None
    _last = run
    _redraw()
    return level, run.result_text


def _abandon(run: Running, text: str) -> tuple[str, str]:
    global _current, _last
    run.request_cancel()
    run.state, run.result_text, run.level = "failed", text, "ERROR"
    if _current is run:
        _current = None
    _last = run
    _redraw()
    return "ERROR", text


SIDEBAR_REDRAW_S = 1.0  # the sidebar's progress: at most one redraw a second


_sidebar_drawn = 0.0


def _redraw(progress_only: bool = False) -> None:
    """Redraw where the task shows. ``progress_only`` (new progress): the status bar's
    progress bar each time, the sidebar at most once a second. The sidebar overlaps the 3D
    view, so redrawing it redraws the figure: with a dense figure under software OpenGL each
    is a 0.4-0.7 s stall, and one per progress message froze Blender."""
    global _sidebar_drawn
    wm = getattr(bpy.context, "window_manager", None)
    if wm is None:
        return
    now = time.monotonic()
    sidebar = not progress_only or now - _sidebar_drawn >= SIDEBAR_REDRAW_S
    if sidebar:
        _sidebar_drawn = now
    for window in wm.windows:
        for area in window.screen.areas:
            if area.type == "VIEW_3D" and progress_only:
                if sidebar:
                    for region in area.regions:
                        if region.type == "UI":
                            region.tag_redraw()
            elif area.type == "STATUSBAR" or (sidebar and area.type in ("VIEW_3D", "PROPERTIES")):
                area.tag_redraw()


class FIGURINE_OT_task_monitor(bpy.types.Operator):
    """Follow the running Figurine task: progress, Esc to cancel"""

    bl_idname = "figurine.task_monitor"
    bl_label = "Figurine Task"
    bl_options = {"INTERNAL"}

    _timer = None

    def invoke(self, context, event):
        if _current is None:
            return {"CANCELLED"}
        self._run = _current
        self._timer = context.window_manager.event_timer_add(TIMER_STEP, window=context.window)
        context.window_manager.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        run = self._run
        if run is not _current:  # replaced or dropped (a file was loaded): stop following it
            self._stop(context)
            return {"CANCELLED"}
        if event.type == "ESC" and event.value == "PRESS":
            run.request_cancel()
            _redraw()
            return {"RUNNING_MODAL"}  # this Esc was meant for us
        if event.type != "TIMER":
            run.passed_through += 1
            return {"PASS_THROUGH"}  # everything else belongs to the rest of Blender
        # Any timer tick (the Python API cannot tell ours from another's) is a chance to
        # drain; the event itself is always handed on, so other timers keep working.
        try:
            shown = (run.fraction, run.text)
            end = _drain(run)
            if (run.fraction, run.text) != shown:  # a redraw only when there is news to show
                _redraw(progress_only=True)
            if end is None and run.stepper is not None and run.waiting is None:
                end = ("done", None)  # a sliced finish: its next slice, one per tick
            if end is None:
                return {"PASS_THROUGH"}
            outcome = _conclude(context, run, *end)
            if outcome is None:
                return {"PASS_THROUGH"}
            self._stop(context)
            level, text = outcome
        except Exception as exc:  # never leave a task that nobody follows any more
            traceback.print_exc()
            self._stop(context)
            level, text = _abandon(run, f"Figurine Forge internal error: {type(exc).__name__}: {exc}")
        self.report({level}, text)
        return {"FINISHED", "PASS_THROUGH"} if run.state == "finished" else {"CANCELLED", "PASS_THROUGH"}

    def _stop(self, context):
        if self._timer is not None:
            context.window_manager.event_timer_remove(self._timer)
            self._timer = None

    def cancel(self, context):  # Blender ends the operator (window closed, file loaded)
        self._stop(context)


class FIGURINE_OT_cancel_task(bpy.types.Operator):
    """Stop the running Figurine task (a remote job stays resumable)"""

    bl_idname = "figurine.cancel_task"
    bl_label = "Cancel"
    bl_options = {"REGISTER"}

    @classmethod
    def poll(cls, context):
        return busy()

    def execute(self, context):
        cancel()
        return {"FINISHED"}


def draw_status(self, context):
    """Status bar: the running task's progress, with a cancel button."""
    run = _current
    if run is None or not run.active:
        return
    row = self.layout.row(align=True)
    row.progress(factor=run.fraction or 0.0, type="BAR", text=f"{run.task.label}: {run.text}")
    row.operator("figurine.cancel_task", text="", icon="CANCEL")


@persistent
def _on_load_pre(*_args):
    """A file is being loaded: the scene the task would finish into goes away, so stop it."""
    global _current
    if _current is not None:
        _current.request_cancel()
        _current.state, _current.result_text = "cancelled", "cancelled: another file was opened"
        _current = None


classes = (FIGURINE_OT_task_monitor, FIGURINE_OT_cancel_task)


def register() -> None:
    bpy.types.STATUSBAR_HT_header.append(draw_status)  # type: ignore[arg-type]
    bpy.app.handlers.load_pre.append(_on_load_pre)


def unregister() -> None:
    global _current
    if _current is not None:
        _current.request_cancel()
        _current = None
    bpy.types.STATUSBAR_HT_header.remove(draw_status)  # type: ignore[arg-type]
    if _on_load_pre in bpy.app.handlers.load_pre:
        bpy.app.handlers.load_pre.remove(_on_load_pre)


def wait_property():
    """The ``wait`` option of every operator that runs a task: scripts set it to get the
    result before the operator returns (background mode always waits)."""
    from bpy.props import BoolProperty

    return BoolProperty(name="Wait", default=False, options={"SKIP_SAVE"},
                        description="Scripts: finish before returning (always so in background mode)")
