# SPDX-License-Identifier: GPL-3.0-or-later
"""The panel's "Make Figurine (online)" in background Blender (the bpy module, the installed
zip): the same loop as `figurine make` against the same fakes — prompt -> views -> a broken
first model -> regenerate -> keep -> the repaired figure on its base in the scene."""

from __future__ import annotations

import json

import pytest
from provider_harness import KEY
from test_make import GEMINI_KEY, _check_finished, fakes, models, sample_views  # noqa: F401  (fixtures)

from blender_env import build_zip, install_zip

import bpy  # noqa: E402  (conftest has pointed Blender at a private user folder)


@pytest.fixture(scope="module")
def addon(blender_user_root):
    return install_zip(build_zip())


def test_make_button_runs_the_whole_loop(addon, fakes, monkeypatch, tmp_path):  # noqa: F811
    gemini, studio, env = fakes
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    prefs = bpy.context.preferences.addons[addon].preferences
    prefs.key_3daistudio = KEY
    system = bpy.context.preferences.system
    online_before = system.use_online_access
    system.use_online_access = True
    s = bpy.context.scene.figurine
    s.job_dir = str(tmp_path / "job")
    s.provider = "3daistudio"
    try:
        assert bpy.ops.figurine.make(prompt="a knight in blue armour", attempts=3, wait=True) == {"FINISHED"}
    finally:
        s.provider = "local"
        prefs.key_3daistudio = ""
        system.use_online_access = online_before
    job = tmp_path / "job"
    _check_finished(job, studio, None)
    assert len(gemini.received) == 11  # as from the CLI: two views drawn twice, the back redrawn once
    made = dict(bpy.context.scene["figurine_make"])
    assert made["attempts"] == 2 and made["chosen"] == 2 and made["decision"] == "keep"
    figure = bpy.data.objects[json.loads((job / "job.json").read_text("utf-8"))["make"]["finished"]["object"]]
    assert figure["figurine_job"] == str(job)
    height = max(v.co.z for v in figure.data.vertices) - min(v.co.z for v in figure.data.vertices)
    assert 34.0 < height < 35.0  # 32 mm figure on a 3 mm base, feet 0.4 mm in
    manifest = json.loads((job / "job.json").read_text("utf-8"))
    assert manifest["make"]["status"] == "done"


def test_review_button_reviews_a_generate_jobs_model(addon, fakes, sample_views, tmp_path):  # noqa: F811
    """The Review operator with no active mesh reviews the job's generated GLB, found turned
    and in metres, and keeps what the import changed for the panel."""
    from figurine_forge.core import providers
    from figurine_forge.core.images.prepare import prepare_into_job
    from figurine_forge.core.jobstore import Job

    gemini, studio, env = fakes
    studio.payloads = studio.payloads[1:]  # the good model, turned 90 degrees, metres
    studio.payload = studio.payloads[0]
    paths = {}
    for view, data in sample_views.items():
        paths[view] = tmp_path / f"{view}.png"
        paths[view].write_bytes(data)
    job = Job.open(tmp_path / "job")
    _, viewset = prepare_into_job(job, paths, size=512)
    config = providers.ProviderConfig(online=True, api_key=KEY, base_url=studio.url, allow_loopback_http=True,
                                      poll_interval=0.01)
    providers.generate(job, "3daistudio", viewset, config=config)
    s = bpy.context.scene.figurine
    s.job_dir = str(tmp_path / "job")
    assert bpy.ops.figurine.review(use_active=False, run_check=False) == {"FINISHED"}
    data = bpy.context.scene["figurine_review"]
    assert str(data["model"]).endswith(".glb")
    assert any("turned 270 degrees" in c for c in data["import_changes"]), list(data["import_changes"])
    assert data["decision"] == "keep" and min(v["iou"] for v in data["views"].values()) > 0.9
