# SPDX-License-Identifier: GPL-3.0-or-later
"""Mesh arrays, STL, sniffing, voxelisation."""

import numpy as np
import pytest

from figurine_forge.core.mesh import formats as meshformats
from figurine_forge.core.errors import BadInputError
from figurine_forge.core.mesh.clean import drop_small_parts
from figurine_forge.core.mesh.trimesh import (TriMesh, is_consistently_oriented, non_manifold_edge_count,
                                          shell_count)
from figurine_forge.core.mesh.stl import read_stl, write_stl
from figurine_forge.core.voxelize import volumetric_iou, voxelize
from helpers import cube


def two_cubes(gap: float) -> TriMesh:
    a, b = cube(1.0), cube(0.5, centre=(1.0 + gap, 0, 0))
    return TriMesh(np.concatenate([a.vertices, b.vertices]), np.concatenate([a.triangles, b.triangles + 8]))


def test_cube_topology():
    c = cube(2.0)
    assert c.volume() == pytest.approx(8.0)
    assert non_manifold_edge_count(c.triangles) == 0
    assert is_consistently_oriented(c.triangles)
    assert shell_count(c) == 1


def test_open_and_flipped_meshes_are_detected():
    c = cube()
    assert non_manifold_edge_count(c.triangles[2:]) == 4  # one quad removed: its 4 rim edges
    flipped = c.triangles.copy()
    flipped[0] = flipped[0, ::-1]
    assert not is_consistently_oriented(flipped)


def test_parts_and_small_part_removal():
    m = two_cubes(gap=0.5)
    assert shell_count(m) == 2
    cleaned, removed = drop_small_parts(m, min_fraction=0.2)  # 0.125 < 0.2 of the big cube
    assert removed == 1 and shell_count(cleaned) == 1 and cleaned.volume() == pytest.approx(1.0)
    kept, removed = drop_small_parts(m, min_fraction=0.1)
    assert removed == 0 and kept.volume() == pytest.approx(1.125)


def test_stl_round_trip(tmp_path):
    path = write_stl(tmp_path / "c.stl", cube(32.0))
    data = path.read_bytes()
    assert len(data) == 84 + 50 * 12
    back = read_stl(path)
    assert len(back.vertices) == 8 and non_manifold_edge_count(back.triangles) == 0
    assert back.size() == pytest.approx([32, 32, 32])
    assert meshformats.sniff_file(path) == "stl"


@pytest.mark.parametrize("content,expected", [
    (b"glTF\x02\x00\x00\x00" + b"\x00" * 16, "glb"),
    (b"ply\nformat binary_little_endian 1.0\n", "ply"),
    (b"# made by hand\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", "obj"),
    (b"solid x\n facet normal 0 0 1\n  outer loop\n", "stl"),
    (b'{"asset": {"version": "2.0"}, "meshes": []}', "gltf"),
    (b"Kaydara FBX Binary  \x00", "fbx"),
    (b"PK\x03\x04rest", "zip"),
    (b"<html><body>Not found</body></html>", None),
    (b"\x89PNG\r\n\x1a\n", None),
])
def test_sniffing_by_content(tmp_path, content, expected):
    path = tmp_path / "model.glb"  # the name lies on purpose
    path.write_bytes(content)
    assert meshformats.sniff_file(path) == expected


def test_require_mesh_file_messages(tmp_path):
    empty = tmp_path / "empty.stl"
    empty.write_bytes(b"")
    with pytest.raises(BadInputError, match="is empty"):
        meshformats.require_mesh_file(empty)
    html = tmp_path / "model.glb"
    html.write_text("<html>error</html>")
    with pytest.raises(BadInputError, match="not a mesh file"):
        meshformats.require_mesh_file(html)
    with pytest.raises(BadInputError, match="does not exist"):
        meshformats.require_mesh_file(tmp_path / "missing.obj")


def test_voxelize_cube_volume_and_iou():
    c = cube(1.0, centre=(0.5, 0.5, 0.5))
    occ = voxelize(c, lo=(-0.5, -0.5, -0.5), spacing=0.05, shape=(40, 40, 40))
    assert occ.sum() * 0.05 ** 3 == pytest.approx(1.0, rel=1e-6)
    shifted = cube(1.0, centre=(0.75, 0.5, 0.5))
    # Overlap 0.75, union 1.25 → IoU 0.6, measured on a grid aligned with the faces.
    assert volumetric_iou(c, shifted, resolution=80) == pytest.approx(0.6, abs=0.02)
    assert volumetric_iou(c, c) == 1.0


def test_collapse_short_edges_removes_slivers_and_keeps_the_surface_closed():
    from figurine_forge.core.mesh.clean import collapse_short_edges

    c = cube(1.0)
    # Split the edge (0, 1) with a vertex a millionth of the edge away from vertex 0: the two
    # triangles beside that edge become four, two of them slivers with a near-zero edge.
    a, b = 0, 1
    p = c.vertices[a] + 1e-6 * (c.vertices[b] - c.vertices[a])
    verts = np.vstack([c.vertices, p])
    new = len(verts) - 1
    tris = []
    for t in c.triangles.tolist():
        for i in range(3):
            u, v, w = t[i], t[(i + 1) % 3], t[(i + 2) % 3]
            if {u, v} == {a, b}:
                tris += [[u, new, w], [new, v, w]]
                break
        else:
            tris.append(t)
    split = TriMesh(verts, np.array(tris))
    assert len(split.triangles) == 14 and non_manifold_edge_count(split.triangles) == 0
    assert (split.face_areas() < 1e-6).sum() == 2
    cleaned, removed = collapse_short_edges(split, 1e-4)
    assert removed == 2 and len(cleaned.triangles) == 12 and len(cleaned.vertices) == 8
    assert non_manifold_edge_count(cleaned.triangles) == 0 and is_consistently_oriented(cleaned.triangles)
    assert cleaned.volume() == pytest.approx(1.0, abs=1e-5)


def test_voxelize_a_slab_of_a_taller_mesh():
    # A grid covering only a thin slice of the cube must still see the cube's inside.
    c = cube(1.0, centre=(0.5, 0.5, 0.5))
    occ = voxelize(c, lo=(-0.27, -0.27, 0.4), spacing=0.1, shape=(15, 15, 2))
    inside = np.zeros((15, 15), bool)
    inside[3:13, 3:13] = True  # voxel centres -0.22 + 0.1 i within (0, 1)
    assert (occ[:, :, 0] == inside).all() and (occ[:, :, 1] == inside).all()
