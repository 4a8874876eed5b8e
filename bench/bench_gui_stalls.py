# SPDX-License-Identifier: GPL-3.0-or-later
"""Never freeze: in the real Blender GUI (under Xvfb), a 20 ms timer measures the main thread
while Generate (offline), Check Print, Render Review and Make Whole Figurine run on the sample
figure the way a user clicks them (tests/gui/stall_driver.py). No operation may stall the main
thread more than 0.5 s longer than the longest gap of the same run while idle, and the
progress shown must move while it works.

The gaps are printed as a table. A target, so a bench, not part of the test suite (the brief
keeps timings out of the tests); it runs the real GUI through the tests' own fixtures:

    PYTHONPATH=tests .venv/bin/python -m pytest -p conftest -s bench/bench_gui_stalls.py

It needs the real Blender (tests/blender_env.py finds it) and writes test-output/gui_stalls.txt."""

from __future__ import annotations

import json
import pytest

from helpers import REPO
from test_ui_real_blender import blend, installed, real_blender, sample, zip_path  # noqa: F401 (fixtures)

pytestmark = pytest.mark.real_blender
DRIVER = REPO / "tests" / "gui" / "stall_driver.py"
ALLOWED_OVER_BASELINE_S = 0.5


def table(result: dict) -> str:
    base = result["baseline"]["longest_gap"]
    lines = [f"{'operation':<22}{'seconds':>9}{'cpu s':>8}{'child cpu':>10}{'load':>6}{'longest gap':>13}"
             f"{'baseline':>10}  progress (s: fraction)"]
    for op in result["operations"]:
        samples = ", ".join(f"{t:g}: {f if f is None else round(f, 2)}" for t, f, _x in op["progress"][::4])
        lines.append(f"{op['name']:<22}{op['seconds']:>9.2f}{op.get('cpu', float('nan')):>8.2f}"
                     f"{op.get('children_cpu', float('nan')):>10.2f}{op.get('load', float('nan')):>6.2f}"
                     f"{op['longest_gap']:>13.3f}{base:>10.3f}  {samples}")
    redraw = result.get("redraw_with_figure")
    if redraw:
        lines.append(f"(one 3D view redraw with the figure, {redraw['faces']} faces: longest gap "
                     f"{redraw['longest_gap']:.3f} s; faces drawn: {redraw.get('viewport_faces')})")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def stall_run(installed, blend, sample, tmp_path_factory, output_dir):  # noqa: F811
    """One GUI run measures every operation; each test judges one."""
    out = tmp_path_factory.mktemp("stalls")
    proc = real_blender("--xvfb", "-noaudio", blend, "-P", DRIVER, "--", out, sample,
                        env=installed, timeout=1500)
    log = proc.stdout + proc.stderr
    found = out / "result.json"
    assert found.is_file(), f"the stall driver wrote no result (exit {proc.returncode}):\n{log[-4000:]}"
    result = json.loads(found.read_text())
    assert "error" not in result, result["error"] + "\n" + log[-3000:]
    text = table(result)
    print("\n" + text)
    (output_dir / "gui_stalls.txt").write_text(text + "\n")
    (output_dir / "gui_stalls.json").write_text(json.dumps(result, indent=1))
    names = [op["name"] for op in result["operations"]]
    assert names == ["Generate", "Scale to Height", "Check Print", "Render Review", "Make Whole Figurine"], names
    return result, text


@pytest.mark.parametrize("name", ["Generate", "Check Print", "Render Review", "Make Whole Figurine"])
def test_no_main_thread_stall(stall_run, name):
    result, text = stall_run
    base = result["baseline"]["longest_gap"]
    op = next(o for o in result["operations"] if o["name"] == name)
    assert op["state"] == "finished", f"{name}: {op['state']}: {op['text']}"
    assert op["longest_gap"] <= base + ALLOWED_OVER_BASELINE_S, \
        f"{name} stalled the main thread {op['longest_gap']:.2f} s (idle baseline {base:.2f} s); " \
        f"stalls (s after the click, length, progress text, 3D view draws inside): {op['long_gaps']}\n{text}"
    # The progress bar moved: several values, rising, while the operation ran.
    fractions = op["distinct_fractions"]
    assert len(fractions) >= 3 and fractions[-1] > fractions[0], f"{name}: progress {fractions}"
    if name == "Make Whole Figurine":
        assert op["text"].startswith("Wrote "), op["text"]
