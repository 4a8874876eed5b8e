# SPDX-License-Identifier: GPL-3.0-or-later
"""A lighter copy of a dense mesh for the viewport only (never for printing).

Each redraw of a 200 k-triangle figure under software OpenGL takes 0.4-1.4 s of Blender's main
thread; a copy of ~40 k triangles draws in a fraction of that. Blender's Decimate would give
it, but as a modifier it runs on the main thread (2 s for such a figure), so the copy is made
here, in a worker thread: vertices clustered on a grid (each cell's vertices averaged), the
triangles that collapse dropped. The shape stays within one cell of the original; the print
path never sees it (blender/display.py)."""

from __future__ import annotations

import numpy as np

from .trimesh import TriMesh

ATTEMPTS = 6  # each one a coarser grid, until the copy fits the budget


def display_copy(tm: TriMesh, max_triangles: int) -> TriMesh:
    """``tm`` with at most ``max_triangles`` triangles (``tm`` itself if it has no more).
    Any thread: numpy only."""
    if len(tm.triangles) <= max_triangles or max_triangles < 4:
        return tm
    corners = tm.vertices[tm.triangles]
    area = 0.5 * float(np.linalg.norm(np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]),
                                      axis=1).sum())
    # A surface cut by a grid of cell c keeps about one vertex per cell and two triangles per
    # vertex: 2 * area / c**2 triangles.
    cell = float(np.sqrt(2.0 * area / max_triangles)) if area > 0 else float(np.ptp(tm.vertices, axis=0).max())
    best = tm
    for _ in range(ATTEMPTS):
        best = _cluster(tm, cell)
        if len(best.triangles) <= max_triangles:
            return best
        cell *= 1.25
    return best


def _cluster(tm: TriMesh, cell: float) -> TriMesh:
    lo = tm.vertices.min(axis=0)
    cells = np.floor((tm.vertices - lo) / cell).astype(np.int64)
    dims = cells.max(axis=0) + 1
    keys = cells[:, 0] + dims[0] * (cells[:, 1] + dims[1] * cells[:, 2])
    _unique, index = np.unique(keys, return_inverse=True)
    index = index.ravel()
    count = np.bincount(index).astype(np.float64)
    vertices = np.stack([np.bincount(index, weights=tm.vertices[:, k]) / count for k in range(3)], axis=1)
    tris = index[tm.triangles]
    keep = (tris[:, 0] != tris[:, 1]) & (tris[:, 1] != tris[:, 2]) & (tris[:, 0] != tris[:, 2])
    tris = tris[keep]
    # Two triangles on the same three cells (both sides of a part thinner than a cell): kept
    # once, the viewport draws both faces of a triangle anyway.
    _seen, first = np.unique(np.sort(tris, axis=1), axis=0, return_index=True)
    tris = tris[np.sort(first)]
    used = np.unique(tris)
    remap = np.full(len(vertices), -1, np.int64)
    remap[used] = np.arange(len(used))
    return TriMesh(vertices[used], remap[tris])
