# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs inside a real Blender GUI (real-blender --xvfb ... -P driver.py -- MODE OUT_DIR [ARGS]).

Blender's UI only draws between Python calls, so everything here is a sequence of steps run
by bpy.app.timers: each step does one thing and returns, Blender draws, the next step looks
at the result. At the end the findings go to OUT_DIR/result.json, which the pytest side reads
and asserts on, and Blender quits. A step that raises ends the run with the error recorded.

Modes:
  panel      open the Figurine tab with the sample views loaded and the front view's AI edit
             controls open, screenshot it; then a print check runs as a background task
  responsive a long fake task (a worker sleeping in small steps): progress advances while
             the main loop keeps running, the monitor hands events back, cancel stops it;
             then a task that fails is reported; then the real chain runs and undo removes it
  docs       the workflow step by step, a cropped screenshot of the sidebar at each step
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import traceback

import bpy

ARGS = sys.argv[sys.argv.index("--") + 1:]
MODE, OUT = ARGS[0], ARGS[1]
SAMPLE = ARGS[2] if len(ARGS) > 2 else ""
ADDON = "bl_ext.user_default.figurine_forge"
result: dict = {"mode": MODE, "steps": [], "shots": {}}


def pkg():
    import importlib

    return importlib.import_module(ADDON)


def tasks_module():
    import importlib

    return importlib.import_module(ADDON + ".blender.tasks")


def window():
    return bpy.context.window_manager.windows[0]


def view3d():
    for area in window().screen.areas:
        if area.type == "VIEW_3D":
            return area
    raise RuntimeError("no 3D viewport")


def sidebar(area):
    return next(r for r in area.regions if r.type == "UI")


def override():
    area = view3d()
    return bpy.context.temp_override(window=window(), area=area, region=sidebar(area))


def redraw_all():
    for area in window().screen.areas:
        area.tag_redraw()


def screenshot(name: str, crop: str = "sidebar") -> None:
    """Whole screen through ImageMagick (Blender's own screenshot is black under Xvfb), plus
    where the sidebar is, so the test can crop it."""
    path = os.path.join(OUT, f"{name}.png")
    subprocess.run(["import", "-window", "root", path], check=True, timeout=60)
    area = view3d()
    ui = sidebar(area)
    win_h = window().height
    box = {"x": ui.x, "y": win_h - (ui.y + ui.height), "w": ui.width, "h": ui.height}
    if crop == "area":
        box = {"x": area.x, "y": win_h - (area.y + area.height), "w": area.width, "h": area.height}
    result["shots"][name] = {"path": path, "crop": box}


# -- panel drawing is observed through draw functions appended to our panels ---------------
DRAWN: dict[str, int] = {}


def watch_panels():
    for name in ("FIGURINE_PT_main", "FIGURINE_PT_character", "FIGURINE_PT_generate", "FIGURINE_PT_review",
                 "FIGURINE_PT_print", "FIGURINE_PT_export"):
        cls = getattr(bpy.types, name)

        def counter(self, context, _name=name):
            DRAWN[_name] = DRAWN.get(_name, 0) + 1

        cls.append(counter)


def setup_common():
    prefs = bpy.context.preferences.addons
    result["enabled"] = ADDON in prefs
    if not result["enabled"]:
        raise RuntimeError(f"{ADDON} is not enabled; add-ons: {list(prefs.keys())}")
    area = view3d()
    space = area.spaces.active
    space.show_region_ui = True
    watch_panels()
    result["ui_width"] = sidebar(area).width


def set_category():
    ui = sidebar(view3d())
    ui.active_panel_category = "Figurine"
    result["category"] = ui.active_panel_category
    redraw_all()


def load_sample_views(slots=("front", "back", "left", "right")):
    s = bpy.context.scene.figurine
    with override():
        for slot in slots:
            assert bpy.ops.figurine.load_view(slot=slot, filepath=os.path.join(SAMPLE, f"{slot}.png")) == {"FINISHED"}
    s.job_dir = os.path.join(OUT, "job")


CLEANUP: list = []  # run when the driver ends (preferences are saved when Blender quits)


def allow_ai_edits() -> None:
    """Make the AI edit buttons show: online access on, a (dummy) Gemini key in this process's
    environment only. Nothing presses them, so nothing is sent anywhere."""
    system = bpy.context.preferences.system
    before = system.use_online_access
    system.use_online_access = True
    CLEANUP.append(lambda: setattr(system, "use_online_access", before))
    os.environ["GEMINI_API_KEY"] = "gui-test-dummy-not-a-key"
    result["online_access"] = bpy.app.online_access
    result["ai_ops"] = [op for op in ("ai_edit_view", "generate_missing_views", "save_ai_preset")
                        if hasattr(bpy.types, f"FIGURINE_OT_{op}")]


def scroll_sidebar(pages: int) -> None:
    """Scroll the sidebar down (the later steps' panels sit below the four view slots)."""
    area = view3d()
    with bpy.context.temp_override(window=window(), area=area, region=sidebar(area)):
        for _ in range(pages):
            bpy.ops.view2d.scroll_down(page=True)


def info_reports() -> str:
    """The window's reports, as the Info editor lists them (turn the timeline into one briefly)."""
    area = next(a for a in window().screen.areas if a.type == "DOPESHEET_EDITOR")
    area.type = "INFO"
    try:
        region = next(r for r in area.regions if r.type == "WINDOW")
        with bpy.context.temp_override(window=window(), area=area, region=region):
            bpy.ops.info.select_all(action="SELECT")
            bpy.ops.info.report_copy()
        return bpy.context.window_manager.clipboard
    finally:
        area.type = "DOPESHEET_EDITOR"


# -- steps ----------------------------------------------------------------------------------
def panel_steps():
    t = tasks_module()
    yield setup_common
    yield set_category
    yield allow_ai_edits

    def views():
        load_sample_views()
        s = bpy.context.scene.figurine
        s.view_front.expanded = True  # the front view's tools: preset, prompt, AI Edit, history
        s.view_front.prompt = "Give the cloak a deep red colour."
    yield views
    yield redraw_all
    yield redraw_all  # thumbnails are made by a preview job: give it a few draws
    yield redraw_all

    def shoot():
        result["drawn"] = dict(DRAWN)
        result["category_after"] = sidebar(view3d()).active_panel_category
        screenshot("panel")
    yield shoot

    # Check Print is a background task in the GUI: the operator returns while the worker checks.
    def start_check():
        bpy.ops.mesh.primitive_uv_sphere_add(segments=64, ring_count=32, radius=10)
        with override():
            result["check_returned"] = sorted(bpy.ops.figurine.check_print(height_mm=30))
        run = t.current()
        result["check_async"] = t.busy() and run is not None and run.thread is not None
        result["check_in_worker"] = run is not None and run.thread is not threading.main_thread()
        colours = bpy.context.object.data.color_attributes
        result["check_findings_at_start"] = colours.get("figurine_thickness") is not None
    yield start_check
    yield ("wait", lambda: not t.busy(), 120)

    def after_check():
        last = t.last()
        obj = bpy.context.object
        result["check_state"], result["check_text"] = last.state, last.result_text
        result["check_colours"] = obj.data.color_attributes.get("figurine_thickness") is not None
        redraw_all()
    yield after_check


def responsive_steps():
    t = tasks_module()
    yield setup_common
    yield set_category
    state = {"samples": [], "ticks": 0}

    def work(ctl):  # the fake long job: many small sleeps, checking cancel between them
        for i in range(600):  # 60 s unless cancelled
            if ctl.cancelled:
                from importlib import import_module

                raise import_module(ADDON + ".core.errors").CancelledError("cancelled by the user")
            ctl.progress(i / 600, f"step {i}")
            time.sleep(0.1)
        return "all done"

    def finish(context, value):
        state["finished_value"] = value
        return "fake finished"

    def start():
        with override():
            run = t.start(bpy.context, t.Task("Fake long job", work, finish))
        state["run"] = run
        state["thread"] = run.thread
        result["started_in_thread"] = run.thread is not None and run.thread.is_alive()
        result["worker_is_not_main"] = run.thread is not threading.main_thread()
        # A foreign window-manager timer: its events reach the monitor, which must hand them on.
        state["other_timer"] = bpy.context.window_manager.event_timer_add(0.05, window=window())
    yield start

    for _ in range(12):  # the main loop keeps running while the worker sleeps
        def sample():
            run = state["run"]
            state["ticks"] += 1
            result.setdefault("fractions", []).append(run.fraction)
            result.setdefault("texts", []).append(run.text)
            # Blender data is usable from the main thread while the task runs.
            bpy.ops.mesh.primitive_cube_add(size=0.1, location=(state["ticks"], 0, 0))
            # Input arrives while the task runs; the monitor must hand it on.
            window().event_simulate(type="MOUSEMOVE", value="NOTHING", x=500 + 10 * state["ticks"], y=400)
            redraw_all()
        yield sample

    def mid():
        run = state["run"]
        result["passed_through"] = run.passed_through
        result["drains"] = run.drains
        result["busy_before_cancel"] = t.busy()
        result["cubes_added_while_running"] = sum(1 for o in bpy.data.objects if o.name.startswith("Cube."))
        screenshot("responsive_running")
        with override():
            result["cancel_op"] = sorted(bpy.ops.figurine.cancel_task())
    yield mid

    def after_cancel():
        run = state["run"]
        result["state_after_cancel"] = run.state
        result["thread_alive_after_cancel"] = state["thread"].is_alive()
        result["result_text"] = run.result_text
        result["finish_ran"] = "finished_value" in state
        result["busy_after_cancel"] = t.busy()
        bpy.context.window_manager.event_timer_remove(state["other_timer"])
    yield ("wait", lambda: not t.busy(), 20)
    yield after_cancel

    # Esc stops a task too (the monitor takes the key; everything else passes through).
    def start_for_esc():
        with override():
            state["esc_run"] = t.start(bpy.context, t.Task("Esc job", work, finish))
    yield start_for_esc
    yield lambda: window().event_simulate(type="ESC", value="PRESS", x=500, y=400)
    yield ("wait", lambda: not t.busy(), 20)

    def after_esc():
        run = state["esc_run"]
        result["esc_state"], result["esc_thread_alive"] = run.state, run.thread.is_alive()
    yield after_esc

    # A worker that fails: the reason arrives as a report, the panel says so.
    def start_failing():
        errors = __import__(ADDON + ".core.errors", fromlist=["RemoteError"])

        def bad(ctl):
            time.sleep(0.3)
            raise errors.RemoteError("the fake service refused the job", hint="check the fake key")
        with override():
            state["bad"] = t.start(bpy.context, t.Task("Failing job", bad, None))
    yield start_failing
    yield ("wait", lambda: not t.busy(), 20)

    def after_failure():
        bad = state["bad"]
        result["failed_state"], result["failed_text"] = bad.state, bad.result_text
        result["reports"] = info_reports()
    yield after_failure

    # The real chain in the GUI: the sample views, asynchronously, then undo and redo.
    def start_chain():
        for o in [o for o in bpy.data.objects if o.name.startswith("Cube.")]:
            bpy.data.objects.remove(o)
        bpy.ops.ed.undo_push(message="before the chain")
        load_sample_views()
        s = bpy.context.scene.figurine
        s.resolution = 64
        with override():
            result["run_job_returned"] = sorted(bpy.ops.figurine.run_job())
        result["run_job_async"] = t.busy()
        result["objects_right_after_start"] = [o.name for o in bpy.data.objects if o.name.startswith("Figurine")]
    yield start_chain
    yield ("wait", lambda: not t.busy(), 600)

    def after_chain():
        last = t.last()
        result["chain_state"], result["chain_text"] = last.state, last.result_text
        result["chain_objects"] = [o.name for o in bpy.data.objects if o.name.startswith("Figurine")]
        result["chain_stl"] = bpy.context.scene.figurine.last_export
        with bpy.context.temp_override(window=window()):
            bpy.ops.ed.undo()
        result["objects_after_undo"] = [o.name for o in bpy.data.objects if o.name.startswith("Figurine")]
    yield after_chain

    def redo():
        with bpy.context.temp_override(window=window()):
            bpy.ops.ed.redo()
        result["objects_after_redo"] = [o.name for o in bpy.data.objects if o.name.startswith("Figurine")]
    yield redo


def docs_steps():
    t = tasks_module()
    yield setup_common

    def empty():
        set_category()
        for o in list(bpy.data.objects):
            bpy.data.objects.remove(o)
    yield empty
    yield redraw_all
    yield lambda: screenshot("step0-start")

    def views():
        allow_ai_edits()
        load_sample_views(("front", "left"))
        front = bpy.context.scene.figurine.view_front
        front.expanded = True
        front.ai_preset = "simplify-pose"  # a preset chosen, as a user would before pressing AI Edit
    yield views
    yield redraw_all
    yield redraw_all
    yield lambda: screenshot("step1-character")

    def generate():
        s = bpy.context.scene.figurine
        s.view_front.expanded = False
        load_sample_views(("back", "right"))
        s.provider = "local"
        for opt in s.provider_options:
            if opt.name == "resolution":
                opt.int_value = 160  # slow enough to catch the progress bar on screen
        with override():
            bpy.ops.figurine.generate()
    yield generate
    yield ("wait", lambda: (t.current() is not None and (t.current().fraction or 0) > 0.05) or not t.busy(), 120)
    yield lambda: screenshot("step2-generate")
    yield ("wait", lambda: not t.busy(), 600)

    def reviewed():
        result["generate_state"] = t.last().state
        result["generate_text"] = t.last().result_text
        area = view3d()
        with bpy.context.temp_override(window=window(), area=area, region=next(r for r in area.regions if r.type == "WINDOW")):
            bpy.ops.view3d.view_selected()
    yield reviewed
    yield lambda: scroll_sidebar(2)
    yield redraw_all
    yield lambda: screenshot("step3-review", crop="area")

    def printing():
        s = bpy.context.scene.figurine
        with override():
            bpy.ops.figurine.scale_to_height(height_mm=32)
        s.export_dir = os.path.join(OUT, "export")
        s.export_name = "hero"
        with override():
            bpy.ops.figurine.export_mesh(filepath=s.export_target(), overwrite=True)
            if hasattr(bpy.types, "FIGURINE_OT_check_print"):  # the findings list is drawn after a check
                result["check"] = sorted(bpy.ops.figurine.check_print())
            if bpy.context.object.mode != "OBJECT":
                bpy.ops.object.mode_set(mode="OBJECT")
        area = view3d()
        with bpy.context.temp_override(window=window(), area=area, region=next(r for r in area.regions if r.type == "WINDOW")):
            bpy.ops.view3d.view_selected()
        result["exported"] = s.last_export
    yield printing
    yield ("wait", lambda: not t.busy(), 300)  # the check runs in the background
    yield lambda: scroll_sidebar(6)
    yield redraw_all
    yield lambda: screenshot("step4-print-export")


# -- the step runner ------------------------------------------------------------------------
def run(steps):
    it = iter(steps)
    waiting: dict = {}

    def tick():
        try:
            if waiting:
                cond, deadline = waiting["cond"], waiting["deadline"]
                if not cond():
                    if time.monotonic() > deadline:
                        raise TimeoutError("a wait step ran out of time")
                    return 0.2
                waiting.clear()
            step = next(it, None)
            if step is None:
                return end()
            if isinstance(step, tuple) and step[0] == "wait":
                waiting.update(cond=step[1], deadline=time.monotonic() + step[2])
                return 0.2
            step()
            result["steps"].append(getattr(step, "__name__", "step"))
            return 0.5  # let Blender draw before the next step looks
        except Exception:
            result["error"] = traceback.format_exc()
            return end()

    def end():
        result["drawn_final"] = dict(DRAWN)
        for undo in CLEANUP:
            undo()
        import importlib

        data = json.loads(json.dumps(result, default=str))
        try:
            importlib.import_module(ADDON + ".core.atomic").write_json(os.path.join(OUT, "result.json"), data)
        except ImportError:  # the add-on did not load: still say why, for the test to show
            with open(os.path.join(OUT, "result.json"), "w") as fh:
                json.dump(data, fh)
        bpy.ops.wm.quit_blender()
        return None

    bpy.app.timers.register(tick, first_interval=2.0)


os.makedirs(OUT, exist_ok=True)
run({"panel": panel_steps, "responsive": responsive_steps, "docs": docs_steps}[MODE]())
