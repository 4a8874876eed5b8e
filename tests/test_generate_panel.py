# SPDX-License-Identifier: GPL-3.0-or-later
"""The Generate panel's credit check, in-process with the bpy module and the installed zip,
against the fake 3D AI Studio on 127.0.0.1 (its wallet endpoint)."""

from __future__ import annotations

import pytest
from fakes.aistudio3d_server import AIStudio3DFake
from fakes.base import Status
from fakes.payloads import write_view_pngs
from provider_harness import KEY

from blender_env import build_zip, install_zip, paid_generator_online

import bpy  # noqa: E402  (conftest has pointed Blender at a private user folder)


@pytest.fixture(scope="module")
def addon(blender_user_root):
    return install_zip(build_zip())


@pytest.fixture
def fake():
    server = AIStudio3DFake(key=KEY)
    yield server
    server.close()


@pytest.fixture
def scene(addon, fake, monkeypatch, tmp_path):
    monkeypatch.setenv("FIGURINE_3DAISTUDIO_BASE_URL", fake.url)
    monkeypatch.setenv("FIGURINE_ALLOW_LOOPBACK_HTTP", "1")
    with paid_generator_online(addon, KEY) as s:
        views = write_view_pngs(tmp_path)
        s.front_image, s.back_image, s.job_dir = str(views["front"]), str(views["back"]), str(tmp_path / "job")
        yield s


def test_check_credits_shows_the_balance_against_one_job(scene, fake):
    fake.balance = "150.00"
    assert bpy.ops.figurine.check_balance() == {"FINISHED"}
    # two views loaded: 60 credits + 20 for multi-view
    assert scene.account_balance == "3D AI Studio: 150.00 credits, one job about 80 — enough"
    assert fake.count("balance") == 1 and fake.count("submit") == 0
    fake.balance = "10"
    bpy.ops.figurine.check_balance()
    assert scene.account_balance.endswith("one job about 80 — top up first")
    scene.provider = "fal"  # another service: the old figure is not shown for it
    assert scene.account_balance == ""


def test_check_credits_with_a_refused_key_reports_and_keeps_no_key(scene, fake):
    fake.inject("balance", Status(401, {"detail": "Invalid API key"}))
    with pytest.raises(RuntimeError, match="refused the API key") as err:
        bpy.ops.figurine.check_balance()
    assert KEY not in str(err.value) and scene.account_balance == ""


def test_check_credits_for_a_service_without_a_balance_says_so(scene):
    scene.provider = "meshy"
    with pytest.raises(RuntimeError, match="does not tell an account's balance"):
        bpy.ops.figurine.check_balance()


def _new_scene_provider(addon, online: bool) -> str:
    import importlib

    props = importlib.import_module(f"{addon}.blender.props")
    system = bpy.context.preferences.system
    before = system.use_online_access
    system.use_online_access = online
    scene = bpy.data.scenes.new("fresh")
    try:
        props.initialise_scene(scene)
        return scene.figurine.provider
    finally:
        bpy.data.scenes.remove(scene)
        system.use_online_access = before


def test_a_new_scene_starts_with_a_generator_that_can_run(addon):
    prefs = bpy.context.preferences.addons[addon].preferences
    assert prefs.default_provider == "3daistudio"  # the workflow's generator is the default...
    assert _new_scene_provider(addon, online=True) == "3daistudio"
    assert _new_scene_provider(addon, online=False) == "local"  # ...unless Blender forbids the network
    prefs.default_provider = "local"
    try:
        assert _new_scene_provider(addon, online=True) == "local"
    finally:
        prefs.default_provider = "3daistudio"


def test_offline_switch_to_the_local_generator(scene):
    assert bpy.ops.figurine.use_local_generator() == {"FINISHED"}
    assert scene.provider == "local"
    assert [o.name for o in scene.provider_options] == ["resolution", "legs"]  # its own options, not the service's
