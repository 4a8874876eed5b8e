# SPDX-License-Identifier: GPL-3.0-or-later
"""The Figurine Print tab: its own sidebar tab (nothing to scroll past), Check All's results
per check with their verdicts (overhangs: a warning that needs supports, not a pass), the
thickness colours on and off, Clear."""

from __future__ import annotations

import importlib

import pytest

import bpy

ADDON = "bl_ext.user_default.figurine_forge"


def module(name):
    return importlib.import_module(f"{ADDON}.{name}")


def test_print_tools_have_their_own_tab(addon):
    tab = bpy.types.FIGURINE_PT_print_tab
    assert tab.bl_category == "Figurine Print" and not getattr(tab, "bl_parent_id", "")
    subs = [getattr(bpy.types, n) for n in ("FIGURINE_PT_print_checks", "FIGURINE_PT_print_material",
                                             "FIGURINE_PT_print_repair")]
    assert all(p.bl_category == "Figurine Print" and p.bl_parent_id == "FIGURINE_PT_print_tab" for p in subs)
    assert hasattr(bpy.ops.figurine, "thickness_overlay") and hasattr(bpy.ops.figurine, "clear_findings")


def test_check_overlay_and_clear(scene):
    findings = module("blender.findings")
    bpy.ops.mesh.primitive_uv_sphere_add(segments=48, ring_count=24, radius=10)
    ball = bpy.context.object
    ps = scene.figurine_print
    # No check yet: nothing to show, and the operator says what to do.
    with pytest.raises(RuntimeError, match="Check All first"):
        bpy.ops.figurine.thickness_overlay(show=True)
    assert bpy.ops.figurine.check_print(height_mm=20) == {"FINISHED"}
    result = findings.get(ball.name)
    assert result is not None
    # A sphere overhangs below its equator: listed with a verdict, never silently as a pass.
    assert findings.element_count(result, "overhang_faces") > 0
    assert findings.verdict(result, "overhang_faces") in ("warn", "fail")
    assert findings.FINDING_ADVICE["overhang_faces"] == "needs supports"
    assert findings.verdict(result, "thin_faces") == "ok"
    assert bpy.ops.figurine.thickness_overlay(show=True) == {"FINISHED"}
    attrs = ball.data.color_attributes
    assert ps.thickness_overlay and attrs.active_color.name == findings.THICKNESS_ATTRIBUTE
    assert bpy.ops.figurine.thickness_overlay(show=False) == {"FINISHED"}
    assert not ps.thickness_overlay
    assert bpy.ops.figurine.clear_findings() == {"FINISHED"}
    assert findings.get(ball.name) is None and findings.THICKNESS_ATTRIBUTE not in attrs
