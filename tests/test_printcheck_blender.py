# SPDX-License-Identifier: GPL-3.0-or-later
"""The print-check operators in-process with the bpy module: check, thickness colours,
selecting a finding's faces / edges in Edit Mode."""

from __future__ import annotations

import numpy as np
import pytest

import bpy  # noqa: E402  (conftest has pointed Blender at a private user folder)

from figurine_forge.blender import findings  # noqa: E402
from figurine_forge.blender.operators import check_ops  # noqa: E402

QUAD_BOX_FACES = [(0, 3, 2, 1), (4, 5, 6, 7), (0, 1, 5, 4), (1, 2, 6, 5), (2, 3, 7, 6), (3, 0, 4, 7)]


@pytest.fixture
def ops():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    for cls in check_ops.classes:
        bpy.utils.register_class(cls)
    findings.clear()
    yield bpy.ops.figurine
    for cls in reversed(check_ops.classes):
        bpy.utils.unregister_class(cls)
    findings.clear()


def quad_box(name, lo, hi, faces=QUAD_BOX_FACES):
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    unit = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]], float)
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata((lo + unit * (hi - lo)).tolist(), [], faces)
    mesh.update()
    obj = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    obj.select_set(True)
    return obj


def selected(obj, domain):
    if obj.mode == "EDIT":
        bpy.ops.object.mode_set(mode="OBJECT")
    items = getattr(obj.data, domain)
    flags = np.zeros(len(items), dtype=bool)
    items.foreach_get("select", flags)
    return np.flatnonzero(flags).tolist()


def test_check_thin_fin_selects_its_broad_sides(ops):
    # 20 x 0.3 x 32 units, scaled by the operator to 32 mm tall: a 0.3 mm fin.
    obj = quad_box("Fin", (0, 0, 0), (20, 0.3, 32))
    assert ops.check_print(height_mm=32.0, preset="resin") == {"FINISHED"}
    result = findings.get("Fin")
    assert result.report["checks"]["thin_faces"] == 4  # triangles
    assert result.faces["thin_faces"].tolist() == [2, 4]  # the two quads they come from
    assert result.report["height_mm"] == 32.0
    attr = obj.data.color_attributes[findings.THICKNESS_ATTRIBUTE]
    assert attr.domain == "POINT" and len(attr.data) == 8
    rgba = np.zeros(8 * 4, np.float32)
    attr.data.foreach_get("color", rgba)
    # Every corner lies on a broad side, 0.3 mm thick: under the minimum, so pure red.
    assert np.allclose(rgba.reshape(-1, 4), [1.0, 0.0, 0.0, 1.0])
    assert ops.select_finding(finding="thin_faces") == {"FINISHED"}
    assert obj.mode == "EDIT"
    assert selected(obj, "polygons") == [2, 4]
    assert selected(obj, "vertices") == list(range(8))


def test_select_boundary_edges_of_open_box(ops):
    obj = quad_box("Open", (0, 0, 0), (10, 10, 10), faces=[f for i, f in enumerate(QUAD_BOX_FACES) if i != 1])
    assert ops.check_print(height_mm=10.0) == {"FINISHED"}
    result = findings.get("Open")
    assert result.report["checks"]["non_manifold_edges"] == 4
    assert result.report["checks"]["boundary_loops"] == 1
    assert ops.select_finding(finding="non_manifold_edges") == {"FINISHED"}
    edges = selected(obj, "edges")
    ev = np.zeros(len(obj.data.edges) * 2, np.int32)
    obj.data.edges.foreach_get("vertices", ev)
    pairs = sorted(tuple(sorted(p)) for p in ev.reshape(-1, 2)[edges].tolist())
    assert pairs == [(4, 5), (4, 7), (5, 6), (6, 7)]
    assert selected(obj, "polygons") == []


def test_clean_cube_passes_and_clear_findings(ops):
    obj = quad_box("Cube", (0, 0, 0), (1, 1, 1))
    assert ops.check_print(height_mm=20.0) == {"FINISHED"}
    r = findings.get("Cube").report
    assert r["passed"] is True and r["size_mm"] == [20.0, 20.0, 20.0]
    assert r["checks"]["distorted_faces"] == 0
    assert ops.select_finding(finding="thin_faces") == {"FINISHED"}
    assert selected(obj, "polygons") == []
    assert ops.clear_findings() == {"FINISHED"}
    assert findings.get("Cube") is None
    assert findings.THICKNESS_ATTRIBUTE not in obj.data.color_attributes


def test_select_before_check_is_an_error(ops):
    quad_box("Fresh", (0, 0, 0), (1, 1, 1))
    with pytest.raises(RuntimeError, match="not been checked"):
        ops.select_finding(finding="thin_faces")
