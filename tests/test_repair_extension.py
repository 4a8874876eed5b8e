# SPDX-License-Identifier: GPL-3.0-or-later
"""The print operators of the built zip, installed as a user installs it, driven only through
bpy.ops.figurine.*; the exported files are read back with numpy code."""

from __future__ import annotations

import json
import zipfile
from xml.etree import ElementTree

import numpy as np
import pytest

from blender_env import build_zip, clear_scene, install_zip
from figurine_forge.core.mesh.trimesh import TriMesh, is_consistently_oriented, non_manifold_edge_count, shell_count
from figurine_forge.core.repair.orient import apply_transform
from figurine_forge.core.mesh.stl import read_stl, write_stl
from repair_meshes import damaged_figure

import bpy  # noqa: E402  (conftest has pointed Blender at a private user folder)

Y_UP = np.array([[1.0, 0, 0, 0], [0, 0, 1, 0], [0, -1, 0, 0], [0, 0, 0, 1]])


@pytest.fixture(scope="module")
def addon(blender_user_root):
    yield install_zip(build_zip())


@pytest.fixture
def scene(addon):
    clear_scene()
    yield bpy.context.scene
    clear_scene()


def test_print_operators_and_settings_are_registered(addon):
    for op in ("orient", "make_printable", "add_base", "hollow", "decimate"):
        cls = getattr(bpy.types, f"FIGURINE_OT_{op}")
        assert cls.bl_idname == f"figurine.{op}" and {"REGISTER", "UNDO"} <= set(cls.bl_options), op
    s = bpy.context.scene.figurine_print
    assert s.base_type == "round" and s.base_size_mm == 32.0 and s.hollow_wall_mm == 1.5


def test_from_a_broken_file_to_a_3mf_on_a_base(scene, tmp_path):
    src = tmp_path / "broken.stl"
    write_stl(src, apply_transform(damaged_figure(10.0), Y_UP))
    s = scene.figurine_print
    s.voxel_size_mm = 0.15  # coarser than the 32 mm default of 0.04 mm: a small test mesh
    s.base_type, s.base_size_mm = "round", 25.0
    assert bpy.ops.figurine.import_mesh(filepath=str(src)) == {"FINISHED"}
    # The import stands the lying (Y up) figure up, as the CLI's import does; Orient keeps that.
    size = np.ptp(np.array([v.co[:] for v in bpy.context.active_object.data.vertices]), axis=0)
    assert size[2] == pytest.approx(10.0, abs=0.1) and size[2] == size.max()
    assert bpy.ops.figurine.orient() == {"FINISHED"}
    assert json.loads(s.last_report)["size_mm"][2] == pytest.approx(10.0, abs=1e-3)
    assert bpy.ops.figurine.scale_to_height(height_mm=32.0) == {"FINISHED"}
    assert bpy.ops.figurine.make_printable() == {"FINISHED"}
    fix = json.loads(s.last_report)
    assert fix["after"]["watertight"] and fix["after"]["parts"] == 1 and fix["deviation"]["mean_mm"] < 0.05
    assert bpy.ops.figurine.add_base() == {"FINISHED"}
    assert json.loads(s.last_report)["feet_reach_base"]
    out = tmp_path / "figure.3mf"
    assert bpy.ops.figurine.export_mesh(filepath=str(out)) == {"FINISHED"}
    with zipfile.ZipFile(out) as zf:
        model = ElementTree.fromstring(zf.read("3D/3dmodel.model"))
    ns = {"m": "http://schemas.microsoft.com/3dmanufacturing/core/2015/02"}
    assert model.get("unit") == "millimeter"
    v = np.array([[float(e.get(k)) for k in "xyz"] for e in model.iterfind(".//m:vertex", ns)])
    t = np.array([[int(e.get(k)) for k in ("v1", "v2", "v3")] for e in model.iterfind(".//m:triangle", ns)])
    tm = TriMesh(v, t)
    assert non_manifold_edge_count(t) == 0 and is_consistently_oriented(t) and shell_count(tm) == 1
    assert tm.size()[2] == pytest.approx(32.0 + 3.0 - 0.4, abs=0.1)
    # The same figure as STL, and never over the existing file unless asked.
    stl = tmp_path / "figure.stl"
    assert bpy.ops.figurine.export_mesh(filepath=str(stl)) == {"FINISHED"}
    assert shell_count(read_stl(stl)) == 1
    with pytest.raises(RuntimeError, match="already exists"):
        bpy.ops.figurine.export_mesh(filepath=str(stl))


def test_print_operators_report_bad_input_and_blender_keeps_running(scene, tmp_path):
    bpy.context.view_layer.objects.active = None
    for op in (bpy.ops.figurine.orient, bpy.ops.figurine.make_printable, bpy.ops.figurine.add_base,
               bpy.ops.figurine.hollow, bpy.ops.figurine.decimate):
        with pytest.raises(RuntimeError, match="no mesh object selected"):
            op()
    empty = bpy.data.objects.new("empty", bpy.data.meshes.new("empty"))
    scene.collection.objects.link(empty)
    bpy.context.view_layer.objects.active = empty
    with pytest.raises(RuntimeError, match="has no faces"):
        bpy.ops.figurine.make_printable()
    src = tmp_path / "ok.stl"
    write_stl(src, damaged_figure(32.0))
    assert bpy.ops.figurine.import_mesh(filepath=str(src)) == {"FINISHED"}
    assert bpy.ops.figurine.orient() == {"FINISHED"}
