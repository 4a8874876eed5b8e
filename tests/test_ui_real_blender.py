# SPDX-License-Identifier: GPL-3.0-or-later
"""The panel in a real Blender (tests/blender_env.py finds it: by default Debian's 4.3, Python 3.13,
through scripts/real_blender.sh):
the built zip installs from the command line with its bundled wheels and enables; the GUI
(under Xvfb) draws the Figurine tab without a Python error; a long task leaves the UI
responsive, shows progress and stops on cancel; undo removes what a task made.

The GUI runs are driven by tests/gui/driver.py inside Blender, which writes result.json."""

from __future__ import annotations

import json
import os
import re
import textwrap
from pathlib import Path

import pytest

from blender_env import build_zip, real_blender_target, run_real_blender
from helpers import REPO, run_cli

pytestmark = pytest.mark.real_blender
DRIVER = REPO / "tests" / "gui" / "driver.py"
ADDON = "bl_ext.user_default.figurine_forge"
# A Python error while drawing is printed as a traceback or as "SomethingError: ..."
PY_ERROR = re.compile(r"Traceback \(most recent call last\)|\b[A-Z][A-Za-z]*Error\b(?!s)")


def real_blender(*args, env=None, timeout=900):
    gui = bool(args) and args[0] == "--xvfb"  # the GUI on a virtual screen
    return run_real_blender(*args[gui:], env=env, timeout=timeout, gui=gui)


def user_env(root: Path) -> dict:
    return {f"BLENDER_USER_{k}": str(root / k.lower())
            for k in ("RESOURCES", "CONFIG", "SCRIPTS", "EXTENSIONS", "DATAFILES")}


@pytest.fixture(scope="module")
def zip_path(tmp_path_factory):
    path = build_zip(real_blender_target(), out=tmp_path_factory.mktemp("dist"))  # the zip for its Python
    wheels = (REPO / "build" / "wheels")
    assert wheels.is_dir() and any(wheels.glob("*.whl")), \
        "build/wheels is empty: run scripts/fetch_wheels.py (make build does) so the zip bundles its wheels"
    return path


@pytest.fixture(scope="module")
def installed(zip_path, tmp_path_factory):
    """A private Blender user folder with the zip installed and enabled from the command line,
    and preferences saved without the first-run splash (it would cover the screenshots)."""
    root = tmp_path_factory.mktemp("rb_user")
    env = user_env(root)
    proc = real_blender("--command", "extension", "install-file", "-r", "user_default", "-e", zip_path, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    prefs = root / "prefs.py"
    prefs.write_text(textwrap.dedent("""
        import bpy
        bpy.context.preferences.view.show_splash = False
        bpy.context.preferences.use_preferences_save = True
        bpy.ops.wm.save_userpref()
    """))
    proc = real_blender("-b", "--python-exit-code", "1", "-P", prefs, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return env


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("ui_sample")
    proc = run_cli("sample", "--out", out, "--size", "384")
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def blend(tmp_path_factory):
    """An empty scene file: opening a file at start-up also keeps the splash away."""
    path = tmp_path_factory.mktemp("ui_blend") / "start.blend"
    script = path.with_suffix(".py")
    script.write_text(f"import bpy\nbpy.ops.wm.save_as_mainfile(filepath={str(path)!r})\n")
    proc = real_blender("-b", "--factory-startup", "--python-exit-code", "1", "-P", script)
    assert proc.returncode == 0 and path.is_file(), proc.stdout + proc.stderr
    return path


def run_gui(installed, blend, mode: str, out: Path, *extra, timeout=900, simulate=False) -> tuple[dict, str]:
    # --enable-event-simulate lets the driver send input events (mouse moves, Esc) itself.
    flags = ["--enable-event-simulate"] if simulate else []
    proc = real_blender("--xvfb", "-noaudio", *flags, blend, "-P", DRIVER, "--", mode, out, *extra,
                        env=installed, timeout=timeout)
    log = proc.stdout + proc.stderr
    result_file = out / "result.json"
    assert result_file.is_file(), f"the GUI driver wrote no result (exit {proc.returncode}):\n{log[-4000:]}"
    result = json.loads(result_file.read_text())
    assert "error" not in result, result["error"] + "\n" + log[-3000:]
    return result, log


def crop(shot: dict, dest: Path) -> Path:
    from PIL import Image

    box = shot["crop"]
    with Image.open(shot["path"]) as img:
        part = img.convert("RGB").crop((box["x"], box["y"], box["x"] + box["w"], box["y"] + box["h"]))
        part = part.quantize(colors=128)  # UI screenshots: few colours, so small PNGs
        from figurine_forge.core import atomic

        with atomic.atomic_path(dest) as tmp:
            part.save(tmp, format="PNG", optimize=True)
    return dest


def test_zip_installs_from_command_line_with_its_wheels(installed, tmp_path):
    script = tmp_path / "check.py"
    script.write_text(textwrap.dedent(f"""
        import json, sys, bpy
        out = {{}}
        out["enabled"] = {ADDON!r} in bpy.context.preferences.addons
        import httpx2, PIL, google.genai, pydantic_core
        out["from_wheels"] = [m.__file__ for m in (httpx2, PIL, google.genai, pydantic_core)]
        prefs = bpy.context.preferences.addons[{ADDON!r}].preferences
        out["key_subtypes"] = {{p.identifier: p.subtype for p in prefs.bl_rna.properties
                               if p.identifier.startswith("key_") or p.identifier == "gemini_key"}}
        out["ops"] = [op for op in ("run_job", "generate", "resume_generate", "cancel_task", "load_view",
                                    "prepare_view", "mirror_view", "export_mesh", "ai_edit_view",
                                    "generate_missing_views") if hasattr(bpy.ops.figurine, op)]
        out["python"] = sys.version
        print("RESULT " + json.dumps(out))
    """))
    proc = real_blender("-b", "--python-exit-code", "1", "-P", script, env=installed)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = json.loads(next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))[7:])
    assert out["enabled"] and out["python"].startswith("3.13")
    # Debian's Blender has none of these: they came from the zip's cp313 wheels.
    assert all("/extensions/" in f for f in out["from_wheels"]), out["from_wheels"]
    assert out["key_subtypes"] and set(out["key_subtypes"].values()) == {"PASSWORD"}
    assert len(out["ops"]) == 10, out["ops"]


def test_gui_draws_the_figurine_tab(installed, blend, sample, tmp_path, output_dir):
    result, log = run_gui(installed, blend, "panel", tmp_path, sample)
    assert result["enabled"] and result["category_after"] == "Figurine"
    for panel in ("FIGURINE_PT_main", "FIGURINE_PT_character", "FIGURINE_PT_generate", "FIGURINE_PT_review",
                  "FIGURINE_PT_print", "FIGURINE_PT_export"):
        assert result["drawn"].get(panel, 0) > 0, f"{panel} was never drawn: {result['drawn']}"
    # The front view's AI edit controls were open (online access on, a dummy key): drawn with
    # the rest, without a Python error.
    assert result["online_access"] and result["ai_ops"] == ["ai_edit_view", "generate_missing_views",
                                                            "save_ai_preset"]
    errors = [ln for ln in log.splitlines() if PY_ERROR.search(ln)]
    assert not errors, "Python errors while drawing:\n" + "\n".join(errors[:20])
    # Check Print returned at once and checked in the worker thread; the findings came after.
    assert result["check_returned"] == ["FINISHED"] and result["check_async"] and result["check_in_worker"]
    assert not result["check_findings_at_start"]
    assert result["check_state"] == "finished", result["check_text"]
    # The sphere is a Blender default in a scene in metres: the check says at what size it judged it.
    assert re.fullmatch(r"'Sphere' (passes the resin print check|fails: .+); 'Sphere' is .+ mm tall in the scene "
                        r"\(1 unit = 1 m\); it was checked as printed .+", result["check_text"]), result["check_text"]
    assert result["check_colours"]
    # No label cut at the sidebar's default width with the four views and the AI controls open.
    assert result["sidebar_width"]["panel"] == result["ui_width"]
    assert result["cut"]["panel"] == [], result["cut"]["panel"]
    assert result["canary_cut"]["panel"], "the label measure does not see a text twice the sidebar's width"
    print("tightest labels:", json.dumps(result["tightest"]["panel"]))
    full = output_dir / "ui_panel_full.png"
    full.write_bytes(Path(result["shots"]["panel"]["path"]).read_bytes())
    side = crop(result["shots"]["panel"], output_dir / "ui_panel_sidebar.png")
    from PIL import Image

    with Image.open(side) as img:
        colours = img.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is not None and len(colours) > 8, "the sidebar screenshot is blank"
    # The optional diagonal views' section, opened with two of them set and one's tools open:
    # drawn (no Python error above), nothing cut at the sidebar's default width.
    assert "FIGURINE_PT_character" in result["panels_measured"]["diagonals"]
    assert result["cut"]["diagonals"] == [], result["cut"]["diagonals"]
    crop(result["shots"]["diagonals"], output_dir / "ui_panel_diagonals.png")
    if os.environ.get("FIGURINE_UPDATE_DOCS") == "1":  # the user guide's picture of the section
        crop(result["shots"]["diagonals"], REPO / "docs" / "images" / "guide-step1-diagonals.png")


def test_long_task_keeps_the_ui_responsive_and_cancels(installed, blend, sample, tmp_path, output_dir):
    result, log = run_gui(installed, blend, "responsive", tmp_path, sample, simulate=True)
    assert result["started_in_thread"] and result["worker_is_not_main"]
    fractions = result["fractions"]
    # The main loop ran a dozen steps (each adding a cube) while the worker slept...
    assert len(fractions) == 12 and result["cubes_added_while_running"] == 12
    # ...and the worker's progress reached the main thread as it advanced.
    assert fractions[-1] > fractions[0] and sorted(fractions) == fractions
    assert len(set(result["texts"])) > 3
    # The monitor handed the input events back (PASS_THROUGH) and drained on timer ticks.
    assert result["passed_through"] > 0 and result["drains"] > 0
    assert result["busy_before_cancel"] and result["cancel_op"] == ["FINISHED"]
    # Cancel stopped the worker: no finish half ran, the thread ended, the runner is free.
    assert result["state_after_cancel"] == "cancelled" and not result["finish_ran"]
    assert not result["thread_alive_after_cancel"] and not result["busy_after_cancel"]
    # Esc stopped the second one the same way.
    assert result["esc_state"] == "cancelled" and not result["esc_thread_alive"]
    # A failing worker's reason reaches the user as a report.
    assert result["failed_state"] == "failed"
    assert "the fake service refused the job" in result["failed_text"]
    assert "the fake service refused the job" in result["reports"]
    # The real chain ran in the background: the operator returned at once, the figure came later.
    assert result["run_job_returned"] == ["FINISHED"] and result["run_job_async"]
    assert result["objects_right_after_start"] == []
    assert result["chain_state"] == "finished", result["chain_text"]
    assert result["chain_objects"] and Path(result["chain_stl"]).is_file()
    # Undo takes the task's result away as one step; redo brings it back.
    assert result["objects_after_undo"] == []
    assert result["objects_after_redo"] == result["chain_objects"]
    errors = [ln for ln in log.splitlines() if PY_ERROR.search(ln) and "refused the job" not in ln]
    assert not errors, "\n".join(errors[:20])
    crop(result["shots"]["responsive_running"], output_dir / "ui_task_running.png")


GUIDE_STATES = ("step0-start", "step1-character", "step2-generate", "step3-review", "step4-print", "step5-export")


def test_user_guide_screenshots(installed, blend, sample, tmp_path, output_dir):
    """Each panel state in the GUI at the default sidebar width: no label cut (measured with
    blf), the new figure beside the start-up cube; the screenshots go to test-output/guide/
    and, with FIGURINE_UPDATE_DOCS=1, to docs/images/ for docs/user-guide.md."""
    result, log = run_gui(installed, blend, "docs", tmp_path, sample)
    guide = output_dir / "guide"
    guide.mkdir(parents=True, exist_ok=True)
    # Everything to test-output/ first, so a failure can be looked at.
    (guide / "result.json").write_text(json.dumps(result, indent=1))
    # The whole screen while generating: the status bar shows the task's progress too.
    (guide / "full-step2-generate.png").write_bytes(Path(result["shots"]["step2-generate"]["path"]).read_bytes())
    for name in GUIDE_STATES:
        png = crop(result["shots"][name], guide / f"guide-{name}.png")
        assert png.stat().st_size < 250_000, f"{png} is {png.stat().st_size} bytes"
    assert result["generate_state"] == "finished", result["generate_text"]
    assert result["shot_while_busy"], "the generating screenshot came after the task ended"
    assert Path(result["exported"]).is_file() and result["exported"].endswith("hero.stl")
    errors = [ln for ln in log.splitlines() if PY_ERROR.search(ln)]
    assert not errors, "\n".join(errors[:20])
    # Every state measured its panels, and none has a cut label.
    drawn = result["panels_measured"]
    assert "FIGURINE_PT_character" in drawn["step1-character"] and "FIGURINE_PT_export" in drawn["step5-export"]
    assert {"FIGURINE_PT_print_checks", "FIGURINE_PT_print_material"} <= set(drawn["step4-print"])
    cut = {name: result["cut"][name] for name in GUIDE_STATES if result["cut"][name]}
    assert not cut, json.dumps(cut, indent=1)
    assert all(result["canary_cut"][name] for name in GUIDE_STATES)
    for name in GUIDE_STATES:
        print(name, "tightest labels:", json.dumps(result["tightest"][name]))
    # The generated figure is beside the start-up cube, not inside it, and selected.
    fig, cube = result["figure_box"], result["cube_box"]
    assert cube is not None and result["figure_selected"]
    assert fig[0][0] > cube[1][0], (fig, cube)
    assert result["check"] == ["FINISHED"] and result["overlay"] == ["FINISHED"]
    assert result["scene_unit"] == "MILLIMETERS"
    if os.environ.get("FIGURINE_UPDATE_DOCS") == "1":  # only screenshots that passed go into the guide
        images = REPO / "docs" / "images"
        for name in GUIDE_STATES:
            crop(result["shots"][name], images / f"guide-{name}.png")


@pytest.fixture(scope="module")
def walking_views(tmp_path_factory):
    """The evaluation set's walking quadruped from front, back and the sides, rendered here
    (bpy module) the way tests/test_facing_animals.py renders it."""
    import bpy  # noqa: F401  (before bmesh, which the figures use)

    from figurine_forge.blender import eval_figures

    folder = tmp_path_factory.mktemp("walking_views")
    objects = eval_figures.build_figure_objects("walking")
    try:
        eval_figures.render_objects_views(objects, folder, ("front", "back", "left", "right"), 256)
    finally:
        eval_figures.remove_objects(objects)
    return folder


FACING_WORDS = ("faces the viewer", "which way the character faces", "wrong way")


def test_gui_animal_legs_warning_and_placement(installed, blend, walking_views, tmp_path, output_dir):
    """A walking four-legged figure in the real GUI, as a user clicks: its four views load and
    nothing says they face the wrong way; Generate (local) with Legs = every warns, in the
    panel's report line, that front and side cannot place the legs, and the figure has 8 legs
    at 12 % of its height; Legs = outer-left says which way it placed them and gives 4 legs.
    No label cut in either state; screenshots to test-output/ (and the guide's, on request)."""
    result, log = run_gui(installed, blend, "animal", tmp_path, walking_views)
    (output_dir / "ui_animal_result.json").write_text(json.dumps(result, indent=1))
    errors = [ln for ln in log.splitlines() if PY_ERROR.search(ln)]
    assert not errors, "Python errors in the GUI:\n" + "\n".join(errors[:20])
    # Character: the four views are set, and nothing about which way they face.
    character = " ".join(result["character_texts"])
    assert "All four views are set. Next:" in character, character
    assert not any(w in character for w in FACING_WORDS), character
    # Generate: the local generator's Legs option is drawn, at "every".
    generate = result["generate_texts"]
    assert "Legs:" in generate and "every" in [t.lower() for t in generate], generate
    assert result["legs_values"] == ["every", "outer-left"]
    assert result["generate_ops"] == [["FINISHED"], ["FINISHED"]]
    every, placed = result["every"], result["outer-left"]
    for run in (every, placed):
        assert run["state"] == "finished", run["text"]
        # A warning (the report line's warning icon, the status bar's colour), not a tick.
        assert run["level"] == "WARNING" and " faces — from 0% to " in run["text"], run["text"]
        assert not any(w in run["text"] for w in FACING_WORDS), run["text"]
        assert not any(w in " ".join(run["prepare_warnings"]) for w in FACING_WORDS), run["prepare_warnings"]
    assert every["recorded_legs"] == "every" and placed["recorded_legs"] == "outer-left"
    # The warning, whole in the report and shown wrapped at the top of the tab.
    assert "cannot be told from front and side views" in every["text"], every["text"]
    assert "choose one placement of the legs" in every["text"], every["text"]
    shown = " ".join(every["main_texts"])
    assert "cannot be told from front and side" in shown and "placement of the legs" in shown, shown
    assert "as asked (outer-left" in placed["text"] and "cannot be told" not in placed["text"], placed["text"]
    assert "as asked (outer-left" in " ".join(placed["main_texts"]), placed["main_texts"]
    # The legs at 12 % of the height: every crossing kept is 8, one placement the real 4.
    assert len(every["parts_at_12"]) == 8, every["parts_at_12"]
    assert len(placed["parts_at_12"]) == 4, placed["parts_at_12"]
    for name in ("animal-views", "animal-every", "animal-outer-left"):
        assert result["cut"][name] == [], (name, result["cut"][name])
        assert result["canary_cut"][name], name
        print(name, "tightest labels:", json.dumps(result["tightest"][name]))
    assert "FIGURINE_PT_generate" in result["panels_measured"]["animal-every"]
    for name in ("animal-every", "animal-outer-left"):
        png = crop(result["shots"][name], output_dir / f"ui_{name}.png")
        assert png.stat().st_size < 250_000, f"{png} is {png.stat().st_size} bytes"
    if os.environ.get("FIGURINE_UPDATE_DOCS") == "1":  # only a screenshot that passed goes into the guide
        crop(result["shots"]["animal-outer-left"], REPO / "docs" / "images" / "guide-step2-legs.png")
