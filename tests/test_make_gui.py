# SPDX-License-Identifier: GPL-3.0-or-later
"""The make loop's first screens in a real Blender GUI (Debian's 4.3 under Xvfb, like
tests/test_ui_real_blender.py): the Generate panel before Make Figurine — the front view
loaded, 3D AI Studio with its model, its cost and the credits read from the fake service — and
a job the fakes made, its two attempts side by side with their clay renders. No label is cut at
the sidebar's default width (the GUI driver's blf measure); Load brings an attempt in. The
screenshots go to test-output/make/ and, with FIGURINE_UPDATE_DOCS=1, to docs/images/ for
docs/make.md."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fakes.aistudio3d_server import AIStudio3DFake
from provider_harness import KEY
from test_make import MAKE_ARGS, fakes, models, sample_views  # noqa: F401  (fixtures)
from test_ui_real_blender import PY_ERROR, blend, crop, installed, run_gui, sample, zip_path  # noqa: F401

from helpers import REPO, run_cli

pytestmark = pytest.mark.real_blender
STATES = ("make-before", "make-after")
SHOTS = (*STATES, "make-dialog")


@pytest.fixture
def made_job(fakes, tmp_path):  # noqa: F811
    """A job the fakes made: the first model lost its left arm, the back view was redrawn,
    the second attempt was kept."""
    _gemini, _studio, env = fakes
    job = tmp_path / "made"
    proc = run_cli("make", *MAKE_ARGS, "--base", "none", "--out", job, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return job


def test_make_screens_in_the_real_gui(installed, blend, sample, made_job, tmp_path,  # noqa: F811
                                     output_dir, monkeypatch):
    studio = AIStudio3DFake(key=KEY)  # answers the panel's credits request
    try:
        env = {"FIGURINE_3DAISTUDIO_KEY": KEY, "FIGURINE_3DAISTUDIO_BASE_URL": studio.url,
               "FIGURINE_ALLOW_LOOPBACK_HTTP": "1", "NO_PROXY": "127.0.0.1,localhost"}
        for name, value in env.items():
            monkeypatch.setenv(name, value)  # run_real_blender passes the environment on
        out = tmp_path / "gui"
        result, log = run_gui(installed, blend, "make", out, sample, made_job, simulate=True)
    finally:
        studio.close()
    folder = output_dir / "make"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "result.json").write_text(json.dumps(result, indent=1))
    for name in SHOTS:
        png = crop(result["shots"][name], folder / f"{name}.png")
        assert png.stat().st_size < 300_000, f"{png} is {png.stat().st_size} bytes"
    errors = [ln for ln in log.splitlines() if PY_ERROR.search(ln)]
    assert not errors, "\n".join(errors[:20])
    # Before: the credits came from the (fake) service; the Make button is there.
    assert result["balance_op"] == ["FINISHED"] and "150" in result["balance_text"], result["balance_text"]
    assert result["make_button"]
    assert result["dialog_op"] == ["RUNNING_MODAL"]  # the button asks for the prompt and the cap first
    # After: the attempts panel was drawn and measured, no label cut in either state.
    assert result["attempts_poll"]
    assert "FIGURINE_PT_attempts" in result["panels_measured"]["make-after"]
    assert "FIGURINE_PT_generate" in result["panels_measured"]["make-before"]
    cut = {name: result["cut"][name] for name in STATES if result["cut"][name]}
    assert not cut, json.dumps(cut, indent=1)
    assert all(result["canary_cut"][name] for name in STATES)
    for name in STATES:
        print(name, "tightest labels:", json.dumps(result["tightest"][name]))
    # Load 2 brought the kept attempt in.
    assert result["load_op"] == ["FINISHED"] and result["loaded"] == ["Attempt 2", 2]
    if os.environ.get("FIGURINE_UPDATE_DOCS") == "1":  # only screenshots that passed go into the guide
        images = REPO / "docs" / "images"
        for name in SHOTS:
            crop(result["shots"][name], images / f"{name.replace('-', '_')}.png")
    assert Path(result["shots"]["make-after"]["path"]).is_file()
