# SPDX-License-Identifier: GPL-3.0-or-later
"""Heat-map and clay renders in-process with the bpy module, on meshes with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import bpy  # the dev environment's Blender-as-a-module; the review layer needs it

from figurine_forge.blender import review
from figurine_forge.core.mesh.trimesh import TriMesh
from figurine_forge.core.review import heatmap

SIZE = 160


def slab(nx: int = 8, nz: int = 16) -> TriMesh:
    """A closed box 8 wide (X), 4 deep (Y), 16 tall (Z) with a grid of vertices on its front
    and back so a per-vertex map can differ between its left and right halves."""
    xs, zs = np.linspace(-4, 4, nx + 1), np.linspace(0, 16, nz + 1)
    gx, gz = np.meshgrid(xs, zs)
    front = np.stack([gx.ravel(), np.full(gx.size, -2.0), gz.ravel()], axis=1)
    back = front * [1, -1, 1]
    verts = np.concatenate([front, back])
    n = len(front)
    idx = np.arange(n).reshape(nz + 1, nx + 1)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel(), idx[1:, 1:].ravel(), idx[1:, :-1].ravel()
    tris = [np.stack([a, b, c], 1), np.stack([a, c, d], 1),  # front, facing -Y
            np.stack([a, c, b], 1) + n, np.stack([a, d, c], 1) + n]  # back, facing +Y
    # Close the rim: each border edge of the front grid joins the same edge on the back.
    ring = np.concatenate([idx[0, :-1], idx[:-1, -1], idx[-1, :0:-1], idx[:0:-1, 0]])
    nxt = np.roll(ring, -1)
    tris += [np.stack([ring, ring + n, nxt], 1), np.stack([nxt, ring + n, nxt + n], 1)]
    return TriMesh(verts, np.concatenate(tris))


@pytest.fixture
def empty_scene():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    yield
    bpy.ops.wm.read_factory_settings(use_empty=True)


def _rgb(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), np.int32)


def _red(rgb: np.ndarray) -> np.ndarray:
    return (rgb[..., 0] > 120) & (rgb[..., 0] - rgb[..., 1] > 80) & (rgb[..., 0] - rgb[..., 2] > 80)


def test_thin_side_is_red_on_the_correct_side_of_each_view(empty_scene, tmp_path):
    mesh = slab()
    assert mesh.volume() > 0  # outward winding, as the engine's maps assume
    thickness = np.where(mesh.vertices[:, 0] > 0.5, 0.3, 5.0)  # +X half thinner than 0.6 mm
    colours = heatmap.thickness_colors(thickness, 0.6)
    written = review.heatmap_renders(mesh, tmp_path, "thickness", point_rgba=colours, size=SIZE,
                                     views=("front", "back"))
    assert set(written) == {"front", "back"}
    half = SIZE // 2
    front, back = _red(_rgb(written["front"])), _red(_rgb(written["back"]))
    # front: image right = +X; back: image right = -X (docs/architecture.md).
    assert front[:, half + 5:].sum() > 500 and front[:, :half - 5].sum() == 0
    assert back[:, :half - 5].sum() > 500 and back[:, half + 5:].sum() == 0
    assert not list(tmp_path.glob("alpha_*"))  # intermediates removed
    assert len(bpy.data.objects) == 0 and len(bpy.data.meshes) == 0  # nothing left in the file


def test_overhangs_show_from_below_and_not_level(empty_scene, tmp_path):
    mesh = slab()
    bottom = np.flatnonzero(mesh.face_normals()[:, 2] < -0.9)  # the underside: an overhang
    assert len(bottom) == 2 * 8
    faces = heatmap.face_colors(len(mesh.triangles), bottom)
    level = review.heatmap_renders(mesh, tmp_path, "level", face_rgba=faces, size=SIZE, views=("front",))
    below = review.heatmap_renders(mesh, tmp_path, "overhang", face_rgba=faces, size=SIZE, views=("front", "back"),
                                   below_deg=review.BELOW_TILT_DEG)
    assert set(below) == {"front_below", "back_below"}

    def magenta(path):
        rgb = _rgb(path)
        return int(((rgb[..., 0] - rgb[..., 1] > 50) & (rgb[..., 2] - rgb[..., 1] > 30)).sum())

    assert magenta(level["front"]) == 0  # seen level, a flat underside is edge-on
    assert magenta(below["front_below"]) > 300 and magenta(below["back_below"]) > 300


def test_clay_renders_are_gray_on_studio_gray(empty_scene, tmp_path):
    from figurine_forge.blender import meshio

    obj = meshio.trimesh_to_object(slab(), "Slab")
    paths, alphas = review.clay_renders([obj], tmp_path, size=SIZE, views=("front", "left"))
    front = _rgb(paths["front"])
    assert tuple(front[1, 1]) == (190, 190, 190)
    body = alphas["front"] > 0.99
    assert body.sum() > 0.2 * SIZE * SIZE  # 8 x 16 framed to 88 % of the height
    pix = front[body]
    assert np.abs(pix[:, 0] - pix[:, 1]).max() <= 2 and np.abs(pix[:, 1] - pix[:, 2]).max() <= 2  # neutral
    # The left view sees the 4-unit depth: half the width of the front view's 8 units.
    widths = {v: int((a > 0.5).any(axis=0).sum()) for v, a in alphas.items()}
    assert widths["left"] == pytest.approx(widths["front"] / 2, abs=2)
