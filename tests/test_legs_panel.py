# SPDX-License-Identifier: GPL-3.0-or-later
"""The local generator's Legs choice in the panel (Generate and Make Whole Figurine), on the
evaluation set's walking quadruped seen from front, back and sides: the choice reaches the
same core call as `figurine run --legs`, the job records it, and what the panel reports says
which way the legs were placed (or, left at "every", that front and side could not tell)."""

from __future__ import annotations

import importlib
import json

import pytest

from blender_env import build_zip, clear_scene, install_zip

import bpy  # noqa: E402  (conftest has pointed Blender at a private user folder)

FOUR = ("front", "back", "left", "right")


@pytest.fixture(scope="module")
def addon(blender_user_root):
    return install_zip(build_zip())


@pytest.fixture(scope="module")
def walking(addon, tmp_path_factory):
    clear_scene()
    eval_figures = importlib.import_module(f"{addon}.blender.eval_figures")
    return eval_figures.write_figure("walking", tmp_path_factory.mktemp("walking"), views=FOUR, size=256)


@pytest.fixture
def settings(addon, walking):
    s = bpy.context.scene.figurine
    for slot in FOUR:
        setattr(s, f"{slot}_image", str(walking[slot]))
    s.provider = "local"
    yield s
    for slot in FOUR:
        setattr(s, f"{slot}_image", "")
    s.job_dir, s.resolution = "", 160
    (option,) = [o for o in s.provider_options if o.name == "legs"]
    option.choice_value = "every"
    clear_scene()


def _legs_option(s):
    (option,) = [o for o in s.provider_options if o.name == "legs" and o.provider == "local"]
    return option


def test_the_local_generator_offers_the_leg_placements(settings):
    option = _legs_option(settings)
    assert option.kind == "choice" and option.choice_value == "every"
    for value in ("outer-left", "outer-right", "every"):
        option.choice_value = value
        assert option.value == value
    with pytest.raises(TypeError):
        option.choice_value = "sideways"


def test_generate_with_outer_left_records_it_and_says_which_way(settings, tmp_path):
    s = settings
    s.job_dir = str(tmp_path / "job")
    (res,) = [o for o in s.provider_options if o.name == "resolution"]
    res.int_value = 72
    _legs_option(s).choice_value = "outer-left"
    assert bpy.ops.figurine.generate() == {"FINISHED"}  # synchronous in background mode
    manifest = json.loads((tmp_path / "job" / "job.json").read_text("utf-8"))
    (step,) = [st for st in manifest["steps"] if st["name"] == "generate"]
    assert step["params"]["options"]["legs"] == "outer-left"
    (said,) = step["result"]["ambiguities"]
    assert "placed one way" in said and "choose outer-right" in said
    from figurine_forge.core.review.verdict import ambiguities_recorded

    assert ambiguities_recorded(manifest) == [said]  # what the review will say it could not judge


def test_make_whole_figurine_uses_the_same_choice(settings, tmp_path):
    s = settings
    s.job_dir, s.resolution = str(tmp_path / "job"), 72
    assert bpy.ops.figurine.run_job() == {"FINISHED"}
    manifest = json.loads((tmp_path / "job" / "job.json").read_text("utf-8"))
    (recon,) = [st for st in manifest["steps"] if st["name"] == "reconstruct"]
    assert recon["params"]["legs"] == "every"
    (said,) = recon["result"]["ambiguities"]
    assert "cannot be told" in said and "outer-left or outer-right" in said
    _legs_option(s).choice_value = "outer-right"
    s.job_dir = str(tmp_path / "job2")
    assert bpy.ops.figurine.run_job() == {"FINISHED"}
    manifest = json.loads((tmp_path / "job2" / "job.json").read_text("utf-8"))
    (recon,) = [st for st in manifest["steps"] if st["name"] == "reconstruct"]
    assert recon["params"]["legs"] == "outer-right"
    assert "choose outer-left" in recon["result"]["ambiguities"][0]


def test_the_cli_run_takes_legs_and_refuses_a_wrong_one(walking, tmp_path):
    """`figurine run --legs outer-left`: the same warning in the JSON and on stderr; a wrong
    value is refused by the argument parser (exit 2) before any job folder exists."""
    from helpers import last_json, run_cli

    views = [a for slot in FOUR for a in (f"--{slot}", walking[slot])]
    bad = run_cli("run", *views, "--legs", "sideways", "--out", tmp_path / "bad")
    assert bad.returncode == 2 and "--legs" in bad.stderr and not (tmp_path / "bad").exists()
    proc = run_cli("run", *views, "--legs", "outer-left", "--resolution", "72", "--size", "512",
                   "--out", tmp_path / "job", "--json")
    assert proc.returncode in (0, 1), proc.stderr[-2000:]  # 1: the print check's verdict
    result = last_json(proc.stdout)
    said = [w for w in result["warnings"] if "placed one way" in w]
    assert len(said) == 1 and "outer-left" in said[0]
    assert "placed one way" in proc.stderr
