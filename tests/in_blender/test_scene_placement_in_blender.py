# SPDX-License-Identifier: GPL-3.0-or-later
"""No surprises in the scene: an imported or generated figure appears beside the visible
objects (not inside Blender's default 2 m cube), Scale to Height says that it switched the
scene to millimetres and how to undo it; the print panel's overlay toggle and readouts."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import bpy

ADDON = "bl_ext.user_default.figurine_forge"


def module(name):
    return importlib.import_module(f"{ADDON}.{name}")


def world_box(obj):
    return module("blender.placement").world_bounds(obj)


def overlaps(a, b) -> bool:
    return not (np.any(a[1] < b[0]) or np.any(a[0] > b[1]))


def generator_like_glb(path, tmp_path):
    """A 1 m tall figure at the origin, Y-up GLB with UVs, as generators deliver it."""
    bpy.ops.mesh.primitive_uv_sphere_add(radius=0.3, location=(0, 0, 0.5))
    body = bpy.context.object
    bpy.ops.mesh.primitive_cylinder_add(radius=0.15, depth=0.6, location=(0, 0, 0.3))
    legs = bpy.context.object
    bpy.ops.object.select_all(action="DESELECT")
    body.select_set(True)
    legs.select_set(True)
    bpy.context.view_layer.objects.active = body
    bpy.ops.object.join()
    bpy.ops.object.mode_set(mode="EDIT")
    bpy.ops.mesh.select_all(action="SELECT")
    bpy.ops.uv.smart_project()
    bpy.ops.object.mode_set(mode="OBJECT")
    bpy.ops.export_scene.gltf(filepath=str(path), use_selection=True, export_yup=True)
    bpy.data.objects.remove(bpy.context.object)
    return path


@pytest.fixture
def default_cube(scene):
    unit = scene.unit_settings
    unit.system, unit.scale_length, unit.length_unit = "METRIC", 1.0, "METERS"
    bpy.ops.mesh.primitive_cube_add(size=2.0, location=(0, 0, 0))
    return bpy.context.object


def test_imported_figure_appears_beside_the_default_cube(default_cube, tmp_path):
    glb = generator_like_glb(tmp_path / "figure.glb", tmp_path)
    assert bpy.ops.figurine.import_mesh(filepath=str(glb)) == {"FINISHED"}
    fig = bpy.context.active_object
    assert fig is not default_cube and fig.select_get() and not default_cube.select_get()
    box, cube = world_box(fig), world_box(default_cube)
    assert not overlaps(box, cube), (box, cube)
    # Beside it, not far away: the gap is a fraction of the figure's width; feet unchanged.
    assert box[0][0] - cube[1][0] < 0.5 * (box[1][0] - box[0][0]) + 1e-6
    assert abs(box[0][2]) < 1e-3
    # Only the location moved: the mesh keeps the coordinates the importer gave it.
    assert fig.location.x > 1.0


def test_a_figure_already_clear_of_the_others_stays_where_it_is(default_cube):
    placement = module("blender.placement")
    bpy.ops.mesh.primitive_uv_sphere_add(radius=0.5, location=(5, 0, 0))
    ball = bpy.context.object
    assert placement.place_beside_visible(ball) is None
    assert tuple(ball.location) == pytest.approx((5, 0, 0))
    # A hidden object does not count: nothing visible is in the way at the origin.
    default_cube.hide_set(True)
    bpy.ops.mesh.primitive_uv_sphere_add(radius=0.5, location=(0, 0, 0))
    assert placement.place_beside_visible(bpy.context.object) is None


def test_scale_to_height_says_it_switched_units_and_how_to_undo(default_cube, tmp_path, capfd):
    glb = generator_like_glb(tmp_path / "figure.glb", tmp_path)
    bpy.ops.figurine.import_mesh(filepath=str(glb))
    capfd.readouterr()
    # Background Blender prints an operator's reports on stdout ("Info: ...").
    assert bpy.ops.figurine.scale_to_height(height_mm=32) == {"FINISHED"}
    first = capfd.readouterr().out
    assert bpy.context.scene.unit_settings.length_unit == "MILLIMETERS"
    assert "Figure is now" in first and "millimetres" in first and "Ctrl+Z" in first, first
    # Already in millimetres: nothing about units the second time.
    assert bpy.ops.figurine.scale_to_height(height_mm=30) == {"FINISHED"}
    second = capfd.readouterr().out
    assert "Figure is now" in second and "millimetres" not in second, second
