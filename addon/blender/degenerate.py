# SPDX-License-Identifier: GPL-3.0-or-later
"""Slivers a voxel remesh or a decimation leaves behind: triangles narrower than the print
check's 1 µm (a boolean's are left alone: see ``blender/repair._without_slivers``). A
repaired scan of a horse (a million triangles) carried 54 from OpenVDB's voxel remesh (two
vertices of a cell a few nanometres apart: needles) and 37 more from Decimate (three corners
in a line: caps), and ``figurine check`` failed the result of ``figurine repair`` on
"degenerate faces". Blender's own bmesh operators mend them and the surface stays closed:
``dissolve_degenerate`` collapses a needle's short edge, ``rotate_edges`` flips a cap's long
edge (the cap's middle corner then joins the triangle across), and a cap that cannot be
flipped loses its middle corner (``dissolve_verts``: it lies on the edge, so nothing moves).
Only the few edges and corners of those triangles are handed to them: the rest of the mesh is
never walked in Python."""

from __future__ import annotations

import bmesh
import bpy
import numpy as np

from ..core.mesh.trimesh import TriMesh
from ..core.printcheck.checks import degenerate_faces, face_geometry
from . import meshio

PASSES = 6  # a flip or a dissolve may leave a neighbour a sliver in turn: a few rounds settle it


def degenerate_triangles(tm: TriMesh, dist: float) -> np.ndarray:
    """Indices of the triangles the print check calls degenerate at ``dist`` (mesh units)."""
    _, _, areas, _, lengths = face_geometry(tm.vertices, tm.triangles)
    return degenerate_faces(areas, lengths, dist)


def _edge_ids(mesh, n_verts: int, pairs: np.ndarray) -> np.ndarray:
    """Indices in ``mesh.edges`` of the vertex ``pairs`` (K, 2)."""
    ends = np.empty(len(mesh.edges) * 2, np.int32)
    mesh.edges.foreach_get("vertices", ends)
    ends = np.sort(ends.reshape(-1, 2), axis=1).astype(np.int64)
    pairs = np.sort(pairs, axis=1).astype(np.int64)
    wanted = np.unique(pairs[:, 0] * n_verts + pairs[:, 1])
    return np.flatnonzero(np.isin(ends[:, 0] * n_verts + ends[:, 1], wanted))


def _mend(tm: TriMesh, bad: np.ndarray, dist: float, flip: bool) -> TriMesh:
    corners = tm.triangles[bad]
    _, _, _, _, lengths = face_geometry(tm.vertices, corners)
    shortest = lengths.min(axis=1)
    # A needle: its short edge under 10 x dist (1.1 µm against 1 µm) is collapsed. A cap: all
    # its edges long, its longest edge (opposite the corner that lies on it) is flipped; a cap
    # whose corner lies exactly on that edge cannot be flipped (Blender refuses the straight
    # angle), so on the next round that corner is dissolved into its neighbours' faces.
    needle = shortest < 10.0 * dist
    rows = np.arange(len(corners))
    edges = np.stack([corners, np.roll(corners, -1, axis=1)], axis=2)  # (K, 3, 2): edge i = corner i -> i+1
    longest = lengths.argmax(axis=1)
    apex = corners[rows, (longest + 2) % 3][~needle]
    mesh = meshio.trimesh_to_mesh(tm, "figurine_degenerate_tmp")
    try:
        collapse = _edge_ids(mesh, len(tm.vertices), edges[needle].reshape(-1, 2))
        turn = _edge_ids(mesh, len(tm.vertices), edges[rows, longest][~needle]) if flip else np.zeros(0, np.int64)
        bm = bmesh.new()
        try:
            bm.from_mesh(mesh)
            bm.edges.ensure_lookup_table()  # the mesh's order, before anything changes
            bm.verts.ensure_lookup_table()
            flip_edges = [bm.edges[int(i)] for i in turn]
            collapse_edges = [bm.edges[int(i)] for i in collapse]
            if flip_edges:
                bmesh.ops.rotate_edges(bm, edges=flip_edges, use_ccw=False)
            elif not flip and len(apex):
                bmesh.ops.dissolve_verts(bm, verts=[bm.verts[int(v)] for v in np.unique(apex)])
            alive = [e for e in collapse_edges if e.is_valid]  # a flip replaces the edges it turns
            if alive:
                reach = min(10.0 * dist, max(dist, 1.01 * float(shortest[needle].max())))
                bmesh.ops.dissolve_degenerate(bm, dist=reach, edges=alive)
            bm.to_mesh(mesh)
        finally:
            bm.free()
        return meshio.mesh_to_trimesh(mesh)
    finally:
        bpy.data.meshes.remove(mesh)


def dissolve_degenerate(tm: TriMesh, dist: float) -> tuple[TriMesh, int]:
    """``tm`` without triangles narrower than ``dist`` (needles collapsed, caps flipped or
    their middle corner dissolved), and how many there were."""
    bad = degenerate_triangles(tm, dist)
    found = int(len(bad))
    for round_ in range(PASSES):
        if not len(bad):
            break
        tm = _mend(tm, bad, dist, flip=round_ % 2 == 0)  # flip first; what did not flip, dissolve
        bad = degenerate_triangles(tm, dist)
    return tm, found
