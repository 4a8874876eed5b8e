# SPDX-License-Identifier: GPL-3.0-or-later
"""The stall test's side inside a real Blender GUI:
real-blender --xvfb ... -P stall_driver.py -- OUT_DIR SAMPLE_DIR

A 20 ms ``bpy.app.timers`` timer records when it runs: the gaps between its ticks are how long
the main thread could not run anything (draw, take input, run a timer). After an idle baseline
of a few seconds, the operations run the way a user clicks them (the operator invoked from a
timer, the task monitor draining the queue): Generate (offline), Scale to Height, Check Print,
Render Review, Make Whole Figurine. Per operation the longest gap and the progress shown over time go to
OUT_DIR/result.json; bench/bench_gui_stalls.py prints the table and asserts on it.

Steps are run by a second timer, one short step at a time (tests/gui/driver.py works the
same way); they are never long themselves, so the gaps measure the add-on, not the driver.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback

import bpy

ARGS = sys.argv[sys.argv.index("--") + 1:]
OUT, SAMPLE = ARGS[0], ARGS[1]
ADDON = "bl_ext.user_default.figurine_forge"
TICK = 0.02  # the measuring timer's interval
BASELINE_S = 4.0  # idle seconds measured before the first operation
result: dict = {"operations": [], "steps": []}

ticks: list[float] = []  # monotonic time of every measuring tick
draws: list[tuple[float, float]] = []  # (start, end) of every 3D view draw: what fills a gap
_draw_started: list[float] = []
progress: list[tuple[float, float | None, str]] = []  # (time, fraction, text) of the running task


def tasks_module():
    return importlib.import_module(ADDON + ".blender.tasks")


def measure() -> float:
    now = time.monotonic()
    ticks.append(now)
    run = tasks_module().current()
    if run is not None and run.active:
        progress.append((now, run.fraction, run.text))
    return TICK


def draw_began():
    _draw_started[:] = [time.monotonic()]


def draw_ended():
    if _draw_started:
        draws.append((_draw_started[0], time.monotonic()))


def viewport_faces() -> dict:
    """Per mesh object: its own faces and the faces the 3D view draws (a lighter display copy)."""
    depsgraph = bpy.context.evaluated_depsgraph_get()
    return {o.name: [len(o.data.polygons), len(o.evaluated_get(depsgraph).data.polygons)]
            for o in bpy.context.scene.objects if o.type == "MESH"}


def window():
    return bpy.context.window_manager.windows[0]


def view3d():
    return next(a for a in window().screen.areas if a.type == "VIEW_3D")


def override():
    area = view3d()
    region = next(r for r in area.regions if r.type == "WINDOW")
    return bpy.context.temp_override(window=window(), area=area, region=region)


def longest_gap(start: float, end: float) -> float:
    inside = [t for t in ticks if start <= t <= end]
    if len(inside) < 2:
        return end - start  # not a single tick ran: the whole span was one stall
    edges = [start, *inside, end]
    return max(b - a for a, b in zip(edges, edges[1:]))


# -- the operations ---------------------------------------------------------------------------
def setup():
    if ADDON not in bpy.context.preferences.addons:
        raise RuntimeError(f"{ADDON} is not enabled")
    # The lighter viewport display is the user's choice (off by default); the bench measures both.
    bpy.context.preferences.addons[ADDON].preferences.light_viewport = os.environ.get("FIGURINE_LIGHT_VIEWPORT") == "1"
    for o in list(bpy.data.objects):
        bpy.data.objects.remove(o)
    s = bpy.context.scene.figurine
    with override():
        for slot in ("front", "back", "left", "right"):
            assert bpy.ops.figurine.load_view(slot=slot, filepath=os.path.join(SAMPLE, f"{slot}.png")) == {"FINISHED"}
    s.job_dir = os.path.join(OUT, "job")
    s.provider = "local"
    view3d().spaces.active.show_region_ui = True
    result["resolution"] = s.resolution


def click(op_name: str):
    def press():
        with override():
            result.setdefault("returned", {})[op_name] = sorted(getattr(bpy.ops.figurine, op_name)("INVOKE_DEFAULT"))
    return press


def review_done() -> bool:
    return not tasks_module().busy() and bpy.context.scene.get("figurine_review") is not None


def forget_review():
    if "figurine_review" in bpy.context.scene:
        del bpy.context.scene["figurine_review"]


OPERATIONS = [
    ("Generate", None, click("generate"), lambda: not tasks_module().busy()),
    # Scaled first, as the guide's steps go (a figure 1 unit tall renders and checks as 1 mm).
    ("Scale to Height", None, click("scale_to_height"), lambda: not tasks_module().busy()),
    ("Check Print", None, click("check_print"), lambda: not tasks_module().busy()),
    ("Render Review", forget_review, click("review"), review_done),
    ("Make Whole Figurine", None, click("run_job"), lambda: not tasks_module().busy()),
]


def steps():
    yield setup, 1.0
    start = time.monotonic()
    yield (lambda: None), BASELINE_S  # idle: the baseline
    result["baseline"] = {"seconds": time.monotonic() - start, "longest_gap": longest_gap(start, time.monotonic()),
                          "load": os.getloadavg()[0]}
    for name, before, press, done in OPERATIONS:
        if before is not None:
            before()
        progress.clear()
        t0, cpu0, children0 = time.monotonic(), time.process_time(), _children_cpu()
        press()
        while not done():
            if time.monotonic() - t0 > 600:
                raise TimeoutError(f"{name} did not end within 600 s")
            yield None, 0.1
        t1 = time.monotonic()
        last = tasks_module().last()
        fractions = [round(f, 3) for _t, f, _x in progress if f is not None]
        result["operations"].append({
            "name": name, "seconds": round(t1 - t0, 3), "longest_gap": round(longest_gap(t0, t1), 3),
            # CPU seconds of this Blender (all its threads) and of the child Blenders it ran.
            "cpu": round(time.process_time() - cpu0, 2), "children_cpu": round(_children_cpu() - children0, 2),
            "load": os.getloadavg()[0],
            "state": last.state if last is not None else "?", "text": last.result_text if last is not None else "",
            "progress": [(round(t - t0, 2), f, x) for t, f, x in progress[:: max(1, len(progress) // 40)]],
            "distinct_fractions": sorted(set(fractions)),
            "longest_still_progress": round(_longest_still(progress, t0, t1), 3),
            "long_gaps": _long_gaps(t0, t1),
            "viewport_faces": viewport_faces(),
        })
        yield (lambda: None), 1.0  # settle between operations
        if name == "Scale to Height":  # what one redraw of the 3D view with the figure costs
            t0 = time.monotonic()
            for _ in range(3):
                yield (lambda: view3d().tag_redraw()), 0.8
            result["redraw_with_figure"] = {"longest_gap": round(longest_gap(t0, time.monotonic()), 3),
                                            "viewport_faces": viewport_faces(),
                                            "faces": sum(len(o.data.polygons) for o in bpy.data.objects
                                                         if o.type == "MESH")}


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _long_gaps(t0: float, t1: float, over: float = 0.3) -> list:
    """Where the stalls were: (seconds after the click, length, the task's text just before)."""
    edges = [t0, *[t for t in ticks if t0 <= t <= t1], t1]
    found = []
    for a, b in zip(edges, edges[1:]):
        if b - a > over:
            before = [x for t, _f, x in progress if t <= a]
            # How much of the gap the 3D view's own drawing took (scene draw, begin to end).
            inside = [(s, e) for s, e in draws if a <= s and e <= b]
            found.append((round(a - t0, 2), round(b - a, 3), before[-1] if before else "",
                          f"{len(inside)} 3D view draw(s) {sum(e - s for s, e in inside):.2f} s"))
    return found


def _longest_still(samples, t0: float, t1: float) -> float:
    """The longest time the shown progress (fraction and text) did not change."""
    if not samples:
        return t1 - t0
    longest, since, shown = 0.0, t0, None
    for t, f, x in samples:
        if (f, x) != shown:
            longest, since, shown = max(longest, t - since), t, (f, x)
    return max(longest, t1 - since)


def run() -> None:
    it = steps()

    def step():
        try:
            item = next(it, None)
            if item is None:
                return end()
            action, delay = item
            if action is not None:
                action()
                result["steps"].append(getattr(action, "__name__", "step"))
            return delay
        except Exception:
            result["error"] = traceback.format_exc()
            return end()

    def end():
        bpy.app.timers.unregister(measure)
        result["ticks"] = len(ticks)
        os.makedirs(OUT, exist_ok=True)
        with open(os.path.join(OUT, "result.json"), "w") as fh:
            json.dump(result, fh, default=str)
        bpy.ops.wm.quit_blender()
        return None

    bpy.app.timers.register(measure, first_interval=TICK, persistent=True)
    bpy.types.SpaceView3D.draw_handler_add(draw_began, (), "WINDOW", "PRE_VIEW")
    bpy.types.SpaceView3D.draw_handler_add(draw_ended, (), "WINDOW", "POST_PIXEL")
    bpy.app.timers.register(step, first_interval=3.0)


os.makedirs(OUT, exist_ok=True)
run()
