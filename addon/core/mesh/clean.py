# SPDX-License-Identifier: GPL-3.0-or-later
"""Mesh clean-up over arrays: parts, their volumes, dropping tiny floating bits."""

from __future__ import annotations

import numpy as np

from .trimesh import TriMesh, connected_components


def part_labels(mesh: TriMesh) -> tuple[np.ndarray, int]:
    """Per-triangle part index (0..n-1) and the number of parts."""
    labels = connected_components(len(mesh.vertices), mesh.triangles)
    tri_label = labels[mesh.triangles[:, 0]]
    uniq, tri_part = np.unique(tri_label, return_inverse=True)
    return tri_part.reshape(-1), len(uniq)


def part_volumes(mesh: TriMesh, tri_part: np.ndarray, n_parts: int) -> np.ndarray:
    c = mesh.triangle_corners()
    signed = np.einsum("ij,ij->i", c[:, 0], np.cross(c[:, 1], c[:, 2])) / 6.0
    return np.bincount(tri_part, weights=signed, minlength=n_parts)


def compact(mesh: TriMesh, keep_tris: np.ndarray) -> TriMesh:
    tris = mesh.triangles[keep_tris]
    used, inverse = np.unique(tris, return_inverse=True)
    return TriMesh(mesh.vertices[used], inverse.reshape(-1, 3))


def drop_small_parts(mesh: TriMesh, min_fraction: float = 0.01) -> tuple[TriMesh, int]:
    """Remove parts whose volume is below ``min_fraction`` of the largest part's.

    Returns the cleaned mesh and how many parts were removed. Silhouette noise becomes
    specks of a few voxels; real parts of a figure are far larger."""
    tri_part, n = part_labels(mesh)
    if n <= 1:
        return mesh, 0
    vol = np.abs(part_volumes(mesh, tri_part, n))
    keep_part = vol >= min_fraction * vol.max()
    return compact(mesh, keep_part[tri_part]), int(n - keep_part.sum())


def collapse_short_edges(mesh: TriMesh, tolerance: float) -> tuple[TriMesh, int]:
    """Merge vertices closer than about ``tolerance`` and drop the triangles that collapse.

    Voxel remeshing now and then leaves a sliver whose shortest edge is a thousandth of a
    voxel; at print scale that is a "degenerate face" to every checker. Collapsing such edges
    is invisible at that size. If merging would break the surface's topology (a rare
    configuration where two sheets nearly touch), the mesh is returned unchanged."""
    from .trimesh import non_manifold_edge_count

    welded = mesh.weld(tolerance).drop_degenerate_indices()
    removed = len(mesh.triangles) - len(welded.triangles)
    if removed == 0:
        return mesh, 0
    welded = compact(welded, np.ones(len(welded.triangles), bool))
    if non_manifold_edge_count(welded.triangles) > non_manifold_edge_count(mesh.triangles):
        return mesh, 0
    return welded, removed
