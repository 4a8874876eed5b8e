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
  make       the make loop's first screens for docs/make.md: the Generate panel before Make
             Figurine (the front view loaded, 3D AI Studio, its credits read from the fake
             service the test runs), then a job the fakes made, its attempts side by side
             (ARGS: SAMPLE JOB_DIR)
  animal     a walking four-legged figure's four views (ARGS: VIEWS_DIR): the views check says
             nothing about facing; the local generator with Legs = every warns that front and
             side cannot place the legs (8 legs at 12 % of the height), with outer-left says
             which way it placed them (4 legs); a screenshot of each report
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


def screenshot(name: str, crop: str = "sidebar", box: dict | None = None) -> None:
    """Whole screen through ImageMagick (Blender's own screenshot is black under Xvfb), plus
    where the sidebar is (or ``box``, from the screen's top left), so the test can crop it."""
    given = box
    path = os.path.join(OUT, f"{name}.png")
    subprocess.run(["import", "-window", "root", path], check=True, timeout=60)
    area = view3d()
    ui = sidebar(area)
    win_h = window().height
    box = {"x": ui.x, "y": win_h - (ui.y + ui.height), "w": ui.width, "h": ui.height}
    if crop == "area":
        box = {"x": area.x, "y": win_h - (area.y + area.height), "w": area.width, "h": area.height}
    result["shots"][name] = {"path": path, "crop": given or box}


# -- panel drawing is observed through draw functions appended to our panels ---------------
DRAWN: dict[str, int] = {}
PANELS = ("FIGURINE_PT_main", "FIGURINE_PT_character", "FIGURINE_PT_generate", "FIGURINE_PT_attempts",
          "FIGURINE_PT_review",
          "FIGURINE_PT_print", "FIGURINE_PT_export", "FIGURINE_PT_print_tab", "FIGURINE_PT_print_checks",
          "FIGURINE_PT_print_material", "FIGURINE_PT_print_repair")


def watch_panels():
    for name in PANELS:
        cls = getattr(bpy.types, name, None)
        if cls is None:
            continue
        record_layout(cls, name)

        def counter(self, context, _name=name):
            DRAWN[_name] = DRAWN.get(_name, 0) + 1

        cls.append(counter)


# -- labels cut at the sidebar's width ---------------------------------------------------------
# Each panel's draw is run against a recording layout that forwards every call to Blender's
# and notes what text each button, label and field shows. After a draw, the texts are
# measured with blf in the UI font at the UI scale and laid out the way Blender's layout does
# (tests/gui/layout_fit.py: a column gives each item the whole width, a row gives each of its
# items an equal share, a split shares by its factor, a box less its border). A text wider
# than its share is what Blender cuts with "…".
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # Blender's -P does not add it
import layout_fit  # noqa: E402

LAYOUTS: dict[str, "Recorder"] = {}  # panel -> the layout of its last draw
UNIT = 20  # Blender's UI unit in pixels at scale 1: an icon, an icon-only button
PADDING = 10  # text margins inside a button or label
# The sidebar region's width includes the tab strip on its right (the categories) and the
# panels' margins: measured on the 4.3 screenshots, a panel's content starts 17 px in and ends
# 39 px before the region's right edge.
PANEL_MARGIN = 56


def ui_scale() -> float:
    return float(bpy.context.preferences.system.ui_scale or 1.0)


def text_px(text: str) -> float:
    import blf

    blf.size(0, bpy.context.preferences.ui_styles[0].widget.points * ui_scale())
    return float(blf.dimensions(0, text)[0])


def operator_label(idname: str) -> str:
    group, name = idname.split(".", 1)
    try:
        return getattr(getattr(bpy.ops, group), name).get_rna_type().name
    except (AttributeError, KeyError):
        return idname


class Item(layout_fit.Text):
    """One drawn text, its pixels measured with blf in the UI font."""

    def __init__(self, kind: str, text: str, icon: bool, extra: float = 0.0, shares: bool | None = None):
        need = (text_px(text) + PADDING * ui_scale() if text else 0.0) + (UNIT * ui_scale() if icon or not text else 0.0) + extra
        super().__init__(kind, text, icon, need, shares)


def _has_icon(kw) -> bool:
    return kw.get("icon", "NONE") not in ("NONE", "") or bool(kw.get("icon_value"))


class Recorder:
    """A stand-in for a UILayout: records, then forwards to the real one."""

    def __init__(self, real, kind: str = "column", factor: float = 0.0, align: bool = False):
        object.__setattr__(self, "_real", real)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "factor", factor)
        object.__setattr__(self, "align", align)
        object.__setattr__(self, "items", [])

    def __getattr__(self, name):  # template_list, template_icon, separator...: not text we own
        return getattr(self._real, name)

    def __setattr__(self, name, value):  # scale_y, enabled, alert...
        setattr(self._real, name, value)

    def _child(self, kind, real, **kw):
        child = Recorder(real, kind, kw.get("factor", 0.5) if kind == "split" else 0.0, kw.get("align", False))
        self.items.append(child)
        return child

    def row(self, **kw):
        return self._child("row", self._real.row(**kw), **kw)

    def column(self, **kw):
        return self._child("column", self._real.column(**kw), **kw)

    def box(self):
        return self._child("box", self._real.box())

    def split(self, **kw):
        return self._child("split", self._real.split(**kw), **kw)

    def label(self, text="", **kw):
        self.items.append(Item("label", text, _has_icon(kw)))
        return self._real.label(text=text, **kw)

    def operator(self, idname, text=None, **kw):
        shown = operator_label(idname) if text is None else text
        self.items.append(Item("button", shown, _has_icon(kw)))
        return self._real.operator(idname, **kw) if text is None else self._real.operator(idname, text=text, **kw)

    def panel_prop(self, data, prop):  # a collapsible section: its header row and, when open, its body
        header, body = self._real.panel_prop(data, prop)
        return self._child("row", header), (None if body is None else self._child("column", body))

    def progress(self, text="", **kw):
        self.items.append(Item("progress", text, False, extra=0.0))
        return self._real.progress(text=text, **kw)

    def prop(self, data, prop, text=None, **kw):
        rna = data.bl_rna.properties[prop]
        name = rna.name if text is None else text
        icon = _has_icon(kw)
        if rna.type == "ENUM":
            value = getattr(data, prop)
            items = {i.identifier: i.name for i in rna.enum_items}
            if kw.get("expand"):
                row = self._child("row", self._real, align=True)  # the buttons share this row
                for ident, label in items.items():
                    row.items.append(Item("button", label, False))
                self.items.pop()
                self.items.append(row)
                return self._real.prop(data, prop, text=text, **kw) if text is not None else self._real.prop(data, prop, **kw)
            # Dynamic enums (items from a function) list no items in bl_rna: ask the layout.
            shown = items.get(value) or bpy.types.UILayout.enum_item_name(data, prop, value) \
                if isinstance(value, str) and value else ""
            if name:
                # Blender draws a named menu as a label and the menu, the label a third of the
                # width (ui_item_with_label: w_label = w_hint / 3): "Generate type:" was cut there
                # though the two texts together fit.
                pair = Recorder(None, "split", factor=1.0 / 3.0)
                pair.items.append(Item("label", f"{name}:", False))
                pair.items.append(Item("field", shown, icon, extra=UNIT * ui_scale()))
                self.items.append(pair)
            else:
                self.items.append(Item("field", shown, icon, extra=UNIT * ui_scale()))
        elif rna.type == "BOOLEAN":
            self.items.append(Item("field", name, True))
        elif rna.type in ("INT", "FLOAT"):
            value = getattr(data, prop)
            shown = f"{value:.{rna.precision}f}" if rna.type == "FLOAT" else f"{value}"
            self.items.append(Item("field", f"{name}: {shown}" if name else shown, icon, extra=UNIT * ui_scale()))
        elif rna.type == "STRING":
            # The contents are the user's (paths clip in the middle by design); the name must fit
            # beside a field of at least a few units.
            self.items.append(Item("field", f"{name}:" if name else "", icon, extra=4 * UNIT * ui_scale(), shares=True))
        if text is None:
            return self._real.prop(data, prop, **kw)
        return self._real.prop(data, prop, text=text, **kw)


def cut_texts(node, width: float, panel: str, out: list) -> None:
    layout_fit.cut_texts(node, width, panel, out, ui_scale())


def collect_tight(node, width: float, panel: str, out: list) -> None:
    layout_fit.collect_tight(node, width, panel, out, ui_scale())


def record_layout(cls, name: str) -> None:
    original = cls.draw

    class Stand:
        """The panel, seen by its draw method with the recording layout."""

        def __init__(self, panel, layout):
            object.__setattr__(self, "_panel", panel)
            object.__setattr__(self, "layout", layout)

        def __getattr__(self, attr):
            value = getattr(type(self._panel), attr)
            return value.__get__(self, type(self)) if callable(value) and hasattr(value, "__get__") else value

    def draw(self, context):
        rec = Recorder(self.layout)
        LAYOUTS[name] = rec
        original(Stand(self, rec), context)

    cls.draw = draw


def cut_labels(state: str) -> list:
    """The texts cut in the panels drawn for this state, at the sidebar's current width."""
    region = sidebar(view3d())
    width = region.width - PANEL_MARGIN * ui_scale()
    out: list = []
    for panel, rec in LAYOUTS.items():
        cut_texts(rec, width, panel, out)
    result.setdefault("cut", {})[state] = out
    # The tightest texts (need / have), to see how close the panel comes to cutting; and a
    # canary: a text twice the sidebar's width must be found cut by the same measure.
    tight: list = []
    for panel, rec in LAYOUTS.items():
        collect_tight(rec, width, panel, tight)
    result.setdefault("tightest", {})[state] = sorted(tight, key=lambda t: -t["ratio"])[:5]
    canary: list = []
    cut_texts(Item("label", "W" * int(2 * region.width / max(text_px("W"), 1)), True), width, "canary", canary)
    result.setdefault("canary_cut", {})[state] = len(canary) == 1
    result.setdefault("panels_measured", {})[state] = sorted(LAYOUTS)
    result.setdefault("sidebar_width", {})[state] = region.width
    return out


def start_state() -> None:
    """Forget the layouts of the last state; the next draws record this one's."""
    LAYOUTS.clear()


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


def set_category(name: str = "Figurine"):
    ui = sidebar(view3d())
    ui.active_panel_category = name
    result["category"] = ui.active_panel_category
    redraw_all()


def load_sample_views(slots=("front", "back", "left", "right"), job_dir: str = ""):
    s = bpy.context.scene.figurine
    with override():
        for slot in slots:
            assert bpy.ops.figurine.load_view(slot=slot, filepath=os.path.join(SAMPLE, f"{slot}.png")) == {"FINISHED"}
    s.job_dir = job_dir or os.path.join(OUT, "job")


def guide_job_dir(name: str = "hero") -> str:
    """A short, neutral job folder for the guide's screenshots (not the test's temporary path);
    emptied first. Only one real Blender runs at a time, so no other run shares it."""
    import shutil
    import tempfile

    path = os.path.join(tempfile.gettempdir(), "figurines", name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path + os.sep


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
    """Scroll the sidebar down (the later steps' panels sit below the four view slots); a
    negative number scrolls up."""
    area = view3d()
    with bpy.context.temp_override(window=window(), area=area, region=sidebar(area)):
        for _ in range(abs(pages)):
            if pages > 0:
                bpy.ops.view2d.scroll_down(page=True)
            else:
                bpy.ops.view2d.scroll_up(page=True)


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
        cut_labels("panel")
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

    def diagonals():  # the optional 45-degree views' section opened, two of them set, one's tools open
        start_state()
        s = bpy.context.scene.figurine
        # The sample character from two diagonals (the add-on's evaluation figures render it).
        figures = __import__(ADDON + ".blender.eval_figures", fromlist=["write_figure"])
        views = figures.write_figure("sample", os.path.join(OUT, "diagonals"), views=("front_left", "back_right"),
                                     size=384)
        with override():
            for slot in ("front_left", "back_right"):
                assert bpy.ops.figurine.load_view(slot=slot, filepath=str(views[slot])) == {"FINISHED"}
        s.view_front.expanded = False
        s.view_front_left.expanded = True
        s.show_diagonal_views = True
        area = view3d()
        with bpy.context.temp_override(window=window(), area=area, region=sidebar(area)):
            for _ in range(12):  # the section sits below the four main views: its header at the top
                bpy.ops.view2d.scroll_down()
    yield diagonals
    yield redraw_all
    yield redraw_all  # thumbnails, as above
    yield redraw_all

    def shoot_diagonals():
        cut_labels("diagonals")
        screenshot("diagonals")
    yield shoot_diagonals


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


def panel_state(name: str, crop: str = "sidebar") -> list:
    """The steps of one panel state: redraw, then shoot the screen and measure the labels the
    panels drew for it."""
    def begin():
        start_state()
        redraw_all()

    def end():
        cut_labels(name)
        screenshot(name, crop)
    return [begin, redraw_all, redraw_all, end]


def docs_steps():
    """Each panel state a user meets, in order: a screenshot and the cut-label check of each."""
    t = tasks_module()
    yield setup_common

    state = panel_state

    def fresh():  # Blender's start-up scene (cube, camera, light), the Figurine tab opened
        set_category()
    yield fresh
    yield from state("step0-start")

    def views():
        allow_ai_edits()
        result["guide_job"] = guide_job_dir()
        load_sample_views(("front", "left"), result["guide_job"])
        front = bpy.context.scene.figurine.view_front
        front.expanded = True
        front.ai_preset = "simplify-pose"  # a preset chosen, as a user would before pressing AI Edit
    yield views
    yield redraw_all  # thumbnails are made by a preview job: give it a few draws
    yield from state("step1-character")

    def generate():
        s = bpy.context.scene.figurine
        s.view_front.expanded = False
        load_sample_views(("back", "right"), result["guide_job"])
        s.provider = "local"
        for opt in s.provider_options:
            if opt.name == "resolution":
                opt.int_value = 160  # slow enough to catch the progress bar on screen
        with override():
            bpy.ops.figurine.generate()
    yield generate
    # The local generator reports most of its progress near the end; shoot while it starts.

    yield redraw_all  # one draw with the bar where it is now

    def generating():  # at once, while the bar moves: the panels' last draws are this state's
        result["shot_while_busy"] = t.busy()
        run = t.current()
        result["shot_progress"] = [run.fraction, run.text] if run is not None else None
        cut_labels("step2-generate")
        screenshot("step2-generate")
    yield generating
    yield ("wait", lambda: not t.busy(), 600)

    def generated():
        result["generate_state"] = t.last().state
        result["generate_text"] = t.last().result_text
        fig, cube = bpy.context.object, bpy.data.objects.get("Cube")
        placement = __import__(ADDON + ".blender.placement", fromlist=["world_bounds"])
        result["figure_box"] = [list(map(float, v)) for v in placement.world_bounds(fig)]
        result["cube_box"] = [list(map(float, v)) for v in placement.world_bounds(cube)] if cube else None
        result["figure_selected"] = fig.select_get() and fig.name.startswith("Figurine")
        scroll_sidebar(2)
    yield generated
    yield from state("step3-review", crop="area")

    def printing():
        s = bpy.context.scene.figurine
        with override():
            bpy.ops.figurine.scale_to_height(height_mm=32)
            result["check"] = sorted(bpy.ops.figurine.check_print())
        result["scene_unit"] = bpy.context.scene.unit_settings.length_unit
        set_category("Figurine Print")
        scroll_sidebar(-12)
        s.export_dir = ""  # the job folder
        s.export_name = "hero"
    yield printing
    yield ("wait", lambda: not t.busy(), 300)  # the check runs in the background

    def colours():
        with override():
            result["overlay"] = sorted(bpy.ops.figurine.thickness_overlay(show=True))
        area = view3d()
        with bpy.context.temp_override(window=window(), area=area,
                                       region=next(r for r in area.regions if r.type == "WINDOW")):
            bpy.ops.view3d.view_selected()
    yield colours
    yield from state("step4-print", crop="area")

    def exporting():
        s = bpy.context.scene.figurine
        with override():
            bpy.ops.figurine.thickness_overlay(show=False)
            bpy.ops.figurine.export_mesh(filepath=s.export_target(), overwrite=True)
        result["exported"] = s.last_export
        set_category()
    yield exporting
    yield redraw_all  # the Figurine tab's height is known after a draw: scrolling stops there
    yield lambda: scroll_sidebar(20)
    yield from state("step5-export")


def make_steps():
    """The make loop's first screens: before Make Figurine, and the attempts side by side."""
    import shutil
    import tempfile

    t = tasks_module()
    yield setup_common

    state = panel_state

    def before():
        set_category()
        allow_ai_edits()
        job = os.path.join(tempfile.gettempdir(), "figurines", "ranger")
        shutil.rmtree(job, ignore_errors=True)
        os.makedirs(job)
        load_sample_views(("front",), job + os.sep)  # the make draws the other three
        s = bpy.context.scene.figurine
        s.provider = "3daistudio"  # the key and the (fake) service's address come from the environment
        with override():
            result["balance_op"] = sorted(bpy.ops.figurine.check_balance())
    yield before
    yield ("wait", lambda: not t.busy(), 120)

    def balance_read():
        result["balance_text"] = bpy.context.scene.figurine.account_balance
        result["make_button"] = hasattr(bpy.types, "FIGURINE_OT_make")
        scroll_sidebar(-12)
    yield balance_read
    yield redraw_all  # the thumbnail is made by a preview job
    yield lambda: scroll_sidebar(1)  # the end of the views, and the Generate panel below them
    yield from state("make-before")

    # The button asks what to start from first: its dialog, at the mouse, in the viewport.
    at = {"x": 640, "y": 560}  # window pixels from the bottom left

    def dialog():
        window().event_simulate(type="MOUSEMOVE", value="NOTHING", x=at["x"], y=at["y"])
        area = view3d()
        region = next(r for r in area.regions if r.type == "WINDOW")
        with bpy.context.temp_override(window=window(), area=area, region=region):
            result["dialog_op"] = sorted(bpy.ops.figurine.make("INVOKE_DEFAULT",
                                                               prompt="a dwarf ranger with a lantern"))
    yield dialog
    yield redraw_all

    def shoot_dialog():
        scale = ui_scale()
        top = window().height - at["y"]
        # Blender opens the dialog with the mouse over its OK button, near the bottom right.
        screenshot("make-dialog", box={"x": int(at["x"] - 340 * scale), "y": int(top - 90 * scale),
                                       "w": int(420 * scale), "h": int(270 * scale)})
        window().event_simulate(type="ESC", value="PRESS", x=at["x"], y=at["y"])
    yield shoot_dialog

    def after():
        job = os.path.join(tempfile.gettempdir(), "figurines", "ranger")
        shutil.rmtree(job, ignore_errors=True)
        shutil.copytree(ARGS[3], job)  # the job the fakes made, under a short, neutral name
        bpy.context.scene.figurine.job_dir = job + os.sep
        result["attempts_poll"] = bpy.types.FIGURINE_PT_attempts.poll(bpy.context)
    yield after
    for _ in range(3):
        yield redraw_all  # the clay thumbnails are made by a preview job: give it a few draws

    def scrolled():  # Generate at the top, its Attempts below
        scroll_sidebar(-12)
        scroll_sidebar(1)
    yield scrolled
    yield from state("make-after")

    def load_second():
        with override():
            result["load_op"] = sorted(bpy.ops.figurine.load_attempt(attempt=2))
        obj = bpy.context.view_layer.objects.active
        result["loaded"] = [obj.name, obj.get("figurine_attempt")] if obj else None
        result["drawn"] = dict(DRAWN)
    yield load_second


def drawn_texts(panel: str) -> list[str]:
    """Every text the panel's last draw showed (labels, buttons, option names and values)."""
    out: list[str] = []

    def walk(node):
        if isinstance(node, layout_fit.Text):
            if node.text:
                out.append(node.text)
            return
        for item in getattr(node, "items", []):
            walk(item)
    rec = LAYOUTS.get(panel)
    if rec is not None:
        walk(rec)
    return out


def parts_in_slice(obj, height: float = 0.12) -> list[int]:
    """The voxel counts of the separate parts of a horizontal slice of ``obj`` at ``height``
    (a share of its height, from its feet): the object's triangles read with foreach_get,
    voxelized at 1/100 of its height, the slice labelled (as tests/test_reconstruct_eval.py)."""
    import numpy as np

    meshio = __import__(ADDON + ".blender.meshio", fromlist=["object_to_trimesh"])
    voxelize = __import__(ADDON + ".core.voxelize", fromlist=["voxelize"]).voxelize
    label = __import__(ADDON + ".core.images.ops", fromlist=["label"]).label
    mesh = meshio.object_to_trimesh(obj)
    lo, hi = mesh.bounds()
    spacing = float(hi[2] - lo[2]) / 100
    occ = voxelize(mesh, lo - 2 * spacing, spacing, np.ceil((hi - lo) / spacing).astype(int) + 4)
    labels, count = label(occ[:, :, int(round(height * 100)) + 2])
    return sorted((int(n) for n in np.bincount(labels.ravel(), minlength=count + 1)[1:]), reverse=True)


def animal_steps():
    """A walking four-legged figure through Character and Generate (local), Legs = every, then
    Legs = outer-left: what the panel says and what the figure gets at its feet."""
    t = tasks_module()
    yield setup_common
    yield set_category
    state = panel_state
    four = ("front", "back", "left", "right")

    def option(name: str):
        (opt,) = [o for o in bpy.context.scene.figurine.provider_options if o.name == name]
        return opt

    def views():
        result["job"] = guide_job_dir("horse")
        load_sample_views(four, result["job"])
        s = bpy.context.scene.figurine
        s.provider = "local"
        option("resolution").int_value = 96
        option("legs").choice_value = "every"
    yield views
    yield redraw_all  # thumbnails are made by a preview job: give it a few draws
    yield from state("animal-views")

    def views_said():
        result["character_texts"] = drawn_texts("FIGURINE_PT_character")
        result["generate_texts"] = drawn_texts("FIGURINE_PT_generate")
    yield views_said

    def generate(legs: str):
        def start():
            option("legs").choice_value = legs
            result.setdefault("legs_values", []).append(option("legs").value)
            with override():
                result.setdefault("generate_ops", []).append(sorted(bpy.ops.figurine.generate()))
        start.__name__ = f"generate_{legs}"
        return start

    def generated(legs: str):
        def look():
            last = t.last()
            obj = bpy.context.object
            manifest = json.loads(open(os.path.join(result["job"], "job.json"), encoding="utf-8").read())
            prepared = [st for st in manifest["steps"] if st["name"] == "prepare"][-1]
            made = [st for st in manifest["steps"] if st["name"] == "generate"][-1]
            result[legs] = {
                "state": last.state, "level": last.level, "text": last.result_text, "object": obj.name if obj else None,
                "parts_at_12": parts_in_slice(obj),
                "prepare_warnings": (prepared.get("result") or {}).get("warnings", []),
                "recorded_legs": made["params"]["options"].get("legs"),
                "main_texts": [],
            }
        look.__name__ = f"generated_{legs}"
        return look

    def record_main(legs: str):
        def keep():
            result[legs]["main_texts"] = drawn_texts("FIGURINE_PT_main")
        return keep

    yield generate("every")
    yield ("wait", lambda: not t.busy(), 600)
    yield generated("every")
    yield from state("animal-every")
    yield record_main("every")

    def again():  # the user hides the eight-legged figure and asks for one placement
        bpy.context.object.hide_set(True)
        generate("outer-left")()
    yield again
    yield ("wait", lambda: not t.busy(), 600)
    yield generated("outer-left")
    yield from state("animal-outer-left", crop="area")
    yield record_main("outer-left")


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
run({"panel": panel_steps, "responsive": responsive_steps, "docs": docs_steps, "make": make_steps,
     "animal": animal_steps}[MODE]())
