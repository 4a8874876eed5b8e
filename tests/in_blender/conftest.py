# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests that run inside a Blender: the real binary through pytest-blender
(`make test-in-blender`), and the bpy module with the main suite.

The add-on is the built zip, installed the way a user installs it, into Blender's user
folders, which tests/conftest.py (main suite) or the Makefile target (real Blender) point at a
private temporary folder. The real Blender runs with --confcutdir=tests/in_blender so that
tests/conftest.py, which re-points those folders for the bpy module, stays out of a Blender
that has already started with its own. Debian's Python has no bpy module to run the build
with, so the real Blender installs the zip `make build` left in dist/ for its Python."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
ADDON = "bl_ext.user_default.figurine_forge"


def in_real_blender() -> bool:
    import bpy

    return bool(bpy.app.binary_path)  # empty for the bpy module


@pytest.fixture(scope="session")
def addon():
    import bpy

    assert os.environ.get("BLENDER_USER_EXTENSIONS"), \
        "Blender's user folders must point at a temporary folder (make test-in-blender does that)"
    if in_real_blender():
        from blender_env import this_target

        # The zip built for this Blender's own Python (dist/figurine_forge-V-py313-linux-x64.zip),
        # or the one without wheels when the build had none.
        by_age = sorted((REPO / "dist").glob("figurine_forge-*.zip"), key=lambda p: p.stat().st_mtime)
        zips = [p for p in by_age if p.stem.endswith(this_target())] or [p for p in by_age if "-py" not in p.name]
        assert zips, f"no dist/figurine_forge-*-{this_target()}.zip: run `make build` first"
        zip_path = zips[-1]
    else:
        from blender_env import build_zip

        zip_path = build_zip()
    import importlib.util

    # Listed as enabled is not enough (a stale preference can list it): it must be importable.
    if ADDON not in bpy.context.preferences.addons or importlib.util.find_spec(ADDON) is None:
        result = bpy.ops.extensions.package_install_files(filepath=str(zip_path), repo="user_default",
                                                          enable_on_install=True)
        assert result == {"FINISHED"}, result
    if not hasattr(bpy.types.Scene, "figurine"):  # it was "enabled" already, so install did not register it
        import addon_utils

        addon_utils.enable(ADDON, default_set=True)
    assert ADDON in bpy.context.preferences.addons and hasattr(bpy.types.Scene, "figurine")
    import importlib

    return importlib.import_module(ADDON)


@pytest.fixture
def scene(addon):
    import bpy

    for obj in list(bpy.data.objects):
        bpy.data.objects.remove(obj)
    s = bpy.context.scene.figurine
    for slot in ("front", "back", "left", "right"):
        setattr(s, f"{slot}_image", "")
        s.view(slot).versions.clear()
    s.job_dir = ""
    yield bpy.context.scene
