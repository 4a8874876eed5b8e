# SPDX-License-Identifier: GPL-3.0-or-later
"""The viewport's lighter copy of a dense figure (core/mesh/lighten.py, blender/display.py):
on the sample character's reconstruction (~190 k triangles), the copy is light and close to
the figure, the viewport shows it, and the print path — the check, scale, measurements and
every export — always gets the full mesh: triangle counts equal the object data's."""

from __future__ import annotations

import importlib
import zipfile

import numpy as np
import pytest

import bpy

from figurine_forge.blender import display, meshio, pipeline
from figurine_forge.core.mesh.lighten import display_copy
from figurine_forge.core.mesh.stl import read_stl
from blender_env import build_zip, install_zip
from helpers import sample_job


@pytest.fixture(scope="module")
def figure_stl(tmp_path_factory):
    return sample_job(tmp_path_factory.mktemp("display")) / "figurine.stl"


@pytest.fixture
def figure(figure_stl):
    """The figure as artists meet it after Make Figurine: a dense mesh object, shown light."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    display.register()  # its depsgraph handler, as enabling the add-on does
    tm = read_stl(figure_stl)
    obj = meshio.trimesh_to_object(tm, "Figurine")
    light = display_copy(meshio.mesh_triangles(obj.data)[0], display.DISPLAY_TRIANGLES)
    display.attach(obj, light)
    bpy.context.view_layer.update()
    yield obj, len(obj.data.polygons), len(light.triangles)
    display.unregister()
    bpy.ops.wm.read_factory_settings(use_empty=True)


def _viewport_triangles(obj) -> int:
    evaluated = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
    mesh = evaluated.to_mesh()
    try:
        mesh.calc_loop_triangles()
        return len(mesh.loop_triangles)
    finally:
        evaluated.to_mesh_clear()


def test_the_copy_is_light_and_keeps_the_figures_shape(figure_stl):
    tm = read_stl(figure_stl).weld()
    assert len(tm.triangles) > 150_000  # a dense figure, as Make Figurine writes
    light = display_copy(tm, 40_000)
    assert 20_000 <= len(light.triangles) <= 40_000
    lo, hi = tm.bounds()
    llo, lhi = light.bounds()
    assert np.abs(llo - lo).max() < 0.5 and np.abs(lhi - hi).max() < 0.5  # within a cell (~0.4 mm)
    assert abs(light.volume() - tm.volume()) / tm.volume() < 0.05  # outward winding kept, nothing lost
    assert display_copy(tm, len(tm.triangles)) is tm  # a mesh within the budget stays as it is


def test_the_viewport_shows_the_copy_and_the_data_stays_full(figure):
    obj, full, light = figure
    assert light < full / 3
    assert _viewport_triangles(obj) == light  # what the 3D view draws
    mod = display.display_modifier(obj)
    assert mod.show_viewport and not mod.show_render and not mod.show_in_editmode
    assert len(obj.data.polygons) == full
    assert obj.modifiers[-1] == mod


def test_the_print_path_never_sees_the_copy(figure, tmp_path):
    obj, full, light = figure
    assert len(meshio.object_to_trimesh(obj).triangles) == full
    report = pipeline.check_object(obj, preset="resin")
    assert report["counts"]["triangles"] == full, report["counts"]
    stl = pipeline.export_object(obj, tmp_path / "figure.stl")
    assert len(read_stl(tmp_path / "figure.stl").triangles) == full
    assert stl["triangles_before"] == stl["triangles_after"] == full
    pipeline.export_object(obj, tmp_path / "figure.3mf")
    with zipfile.ZipFile(tmp_path / "figure.3mf") as archive:
        model = archive.read("3D/3dmodel.model")
    assert model.count(b"<triangle ") == full
    glb = pipeline.export_object(obj, tmp_path / "figure.glb")
    assert glb["triangles_after"] == full
    # And the viewport shows the light copy again afterwards.
    assert display.display_modifier(obj).show_viewport
    assert _viewport_triangles(obj) == light


def test_a_changed_mesh_never_shows_a_stale_copy(figure):
    """Scale to Height rewrites the mesh: the copy made of the old mesh is no longer shown
    (the GUI makes a new one in a worker; background mode has no viewport to show one)."""
    obj, full, light = figure
    pipeline.scale_to_height(obj, 28.0)
    bpy.context.view_layer.update()
    mod = display.display_modifier(obj)
    assert mod is None or not mod.show_viewport
    assert _viewport_triangles(obj) == full


def test_a_copy_of_this_very_mesh_stays_after_the_update(figure):
    obj, full, light = figure
    obj.location = (5.0, 0.0, 0.0)  # the object moves, its mesh does not change
    bpy.context.view_layer.update()
    assert display.display_modifier(obj).show_viewport
    assert _viewport_triangles(obj) == light


def test_a_duplicate_shares_the_copy_and_dropping_its_display_keeps_the_originals(figure):
    """Shift+D copies the modifier, so both figures show one copy; the duplicate's display
    going away (its mesh changed, say) must not delete the copy the original still shows."""
    obj, full, light = figure
    dup = obj.copy()
    dup.data = obj.data.copy()
    bpy.context.scene.collection.objects.link(dup)
    bpy.context.view_layer.update()
    assert _viewport_triangles(dup) == light
    display.detach(dup)
    bpy.context.view_layer.update()
    assert _viewport_triangles(dup) == len(dup.data.polygons) == full
    assert _viewport_triangles(obj) == light


def test_lighter_viewport_is_the_users_choice_off_by_default(blender_user_root):
    """Blender's own exporters read the viewport's evaluated mesh: the copy is shown only when the
    user asks for it in the add-on's preferences."""
    addon = install_zip(build_zip())
    installed = importlib.import_module(f"{addon}.blender.display")
    prefs = bpy.context.preferences.addons[addon].preferences
    assert prefs.light_viewport is False
    assert installed.light_viewport_enabled() is False
    prefs.light_viewport = True
    try:
        assert installed.light_viewport_enabled() is True
    finally:
        prefs.light_viewport = False
