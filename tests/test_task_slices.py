# SPDX-License-Identifier: GPL-3.0-or-later
"""The task runner's sliced finish (blender/tasks.py), synchronously as scripts and the CLI run
it (background mode): progress slices, worker parts handed back into the generator, a worker
part's error thrown in where the generator can clean up, and run_inline for the CLI. The GUI
side (one slice per monitor tick, parts in a thread) is measured by bench/bench_gui_stalls.py."""

from __future__ import annotations

import threading

import bpy
import pytest

from figurine_forge.blender import tasks
from figurine_forge.core.errors import CancelledError, RemoteError


def test_sliced_finish_runs_its_parts_in_order_and_returns_its_message():
    seen = []

    def finish(ctx, value):
        seen.append(("work gave", value))
        yield 0.5, "half way"
        doubled = yield tasks.OffThread(lambda ctl: (ctl.progress(0.7, "in the part"), value * 2)[1])
        seen.append(("part gave", doubled))
        return "WARNING", f"made {doubled}"

    run = tasks.start(bpy.context, tasks.Task("slices", lambda ctl: 21, finish))
    assert seen == [("work gave", 21), ("part gave", 42)]
    assert (run.state, run.level, run.result_text) == ("finished", "WARNING", "made 42")
    assert run.text == "in the part" and run.fraction == pytest.approx(0.7)
    assert not tasks.busy()


def test_a_task_without_work_starts_with_its_slices():
    def finish(ctx, value):
        assert value is None
        yield 0.1, "first"
        return "only slices"

    assert tasks.start(bpy.context, tasks.Task("no work", None, finish)).result_text == "only slices"


def test_a_failing_part_is_thrown_into_the_generator_which_cleans_up():
    cleaned = []

    def bad(ctl):
        raise RemoteError("the part failed", hint="try later")

    def finish(ctx, value):
        try:
            yield tasks.OffThread(bad)
        finally:
            cleaned.append(True)

    with pytest.raises(RemoteError, match="the part failed"):
        tasks.start(bpy.context, tasks.Task("failing part", lambda ctl: 1, finish))
    assert cleaned == [True] and tasks.last().state == "failed"


def test_run_inline_drives_parts_on_the_calling_thread_and_honours_cancel():
    threads = []

    def slices():
        yield 0.2, "start"
        got = yield tasks.OffThread(lambda ctl: threads.append(threading.current_thread()) or "part")
        yield 0.9, "end"
        return got

    assert tasks.run_inline(slices()) == "part"
    assert threads == [threading.current_thread()]
    with pytest.raises(CancelledError):
        tasks.run_inline(slices(), cancel=lambda: True)
