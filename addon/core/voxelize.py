# SPDX-License-Identifier: GPL-3.0-or-later
"""Solid voxelisation of a closed mesh by ray parity along Z, vectorised with numpy.

For every column of the grid a vertical ray is tested against every triangle whose XY
footprint covers the column centre; a voxel centre is inside when an odd number of the
column's hits lie below it. Used to compare shapes (volumetric IoU) and for volume maps.
"""

from __future__ import annotations

import numpy as np

from .mesh.trimesh import TriMesh


def voxelize(mesh: TriMesh, lo, spacing: float, shape, *, rule: str = "parity") -> np.ndarray:
    """Boolean occupancy (X, Y, Z) of voxel centres ``lo + (i + 0.5) * spacing``, by vertical
    rays up each column of centres. ``rule``: "parity" (inside after an odd number of crossings:
    one closed surface) or "nonzero" (the winding rule, each crossing counted by its face's
    direction: overlapping closed shells are one solid, counted once)."""
    if rule not in ("parity", "nonzero"):
        raise ValueError(f"unknown fill rule {rule!r}")
    nx, ny, nz = (int(s) for s in shape)
    lo = np.asarray(lo, dtype=np.float64)
    # A tiny irrational offset keeps column rays off vertices and edges of regular meshes.
    jitter = np.array([1.234567e-4, 2.345678e-4]) * spacing
    c = mesh.triangle_corners()
    gx = (c[:, :, 0] - lo[0] - jitter[0]) / spacing - 0.5  # in column index units
    gy = (c[:, :, 1] - lo[1] - jitter[1]) / spacing - 0.5
    ix0 = np.clip(np.ceil(gx.min(axis=1)), 0, nx).astype(np.int64)
    ix1 = np.clip(np.floor(gx.max(axis=1)), -1, nx - 1).astype(np.int64)
    iy0 = np.clip(np.ceil(gy.min(axis=1)), 0, ny).astype(np.int64)
    iy1 = np.clip(np.floor(gy.max(axis=1)), -1, ny - 1).astype(np.int64)
    wx = np.maximum(ix1 - ix0 + 1, 0)
    wy = np.maximum(iy1 - iy0 + 1, 0)
    counts = wx * wy
    tri = np.repeat(np.arange(len(c)), counts)
    if len(tri) == 0:
        return np.zeros((nx, ny, nz), bool)
    # Enumerate each triangle's candidate columns: local index k → (k % wx, k // wx).
    first = np.repeat(np.cumsum(counts) - counts, counts)
    k = np.arange(len(tri)) - first
    cx = ix0[tri] + k % wx[tri]
    cy = iy0[tri] + k // wx[tri]
    px, py = cx.astype(np.float64), cy.astype(np.float64)
    ax, ay = gx[tri, 0], gy[tri, 0]
    bx, by = gx[tri, 1], gy[tri, 1]
    qx, qy = gx[tri, 2], gy[tri, 2]
    d = (by - qy) * (ax - qx) + (qx - bx) * (ay - qy)
    with np.errstate(divide="ignore", invalid="ignore"):
        l1 = ((by - qy) * (px - qx) + (qx - bx) * (py - qy)) / d
        l2 = ((qy - ay) * (px - qx) + (ax - qx) * (py - qy)) / d
        l3 = 1.0 - l1 - l2
        hit = (d != 0) & (l1 >= 0) & (l2 >= 0) & (l3 >= 0)
        z = (l1 * c[tri, 0, 2] + l2 * c[tri, 1, 2] + l3 * c[tri, 2, 2])[hit]
    col = (cx * ny + cy)[hit]
    # Hit heights in voxel-centre units, clamped to just below or above the grid: a column's
    # keys span [-2, nz + 2] and columns lie nz + 8 apart, so neighbours never overlap.
    zi = np.clip((z - lo[2]) / spacing - 0.5, -2.0, nz + 2.0)
    order = np.lexsort((zi, col))
    stride = nz + 8.0
    key = col[order] * stride + zi[order]
    # Hits below each voxel centre: searchsorted on (column, z) keys.
    query = np.arange(nx * ny, dtype=np.float64)[:, None] * stride + np.arange(nz, dtype=np.float64)[None, :]
    below = np.searchsorted(key, query.ravel()).reshape(nx * ny, nz)
    start = np.searchsorted(key, np.arange(nx * ny, dtype=np.float64) * stride - 3.0)
    if rule == "parity":
        inside = ((below - start[:, None]) % 2) == 1
    else:
        # Going up, a face seen from below (projected clockwise: d < 0 for outward faces facing
        # down) is an entry (+1), a face facing up an exit (-1).
        sign = np.where(d[hit] < 0, 1, -1).astype(np.int64)[order]
        running = np.concatenate([[0], np.cumsum(sign)])
        inside = (running[below] - running[start][:, None]) != 0
    return inside.reshape(nx, ny, nz)


def volumetric_iou(a: TriMesh, b: TriMesh, resolution: int = 128) -> float:
    """Intersection over union of two closed meshes' volumes on a common grid."""
    lo = np.minimum(a.bounds()[0], b.bounds()[0])
    hi = np.maximum(a.bounds()[1], b.bounds()[1])
    spacing = float((hi - lo).max()) / resolution
    lo = lo - 2 * spacing
    shape = np.ceil((hi - lo) / spacing).astype(int) + 2
    va, vb = voxelize(a, lo, spacing, shape), voxelize(b, lo, spacing, shape)
    union = np.count_nonzero(va | vb)
    return float(np.count_nonzero(va & vb) / union) if union else 0.0


def normalise_figure(mesh: TriMesh) -> TriMesh:
    """Height 1, lowest point on z = 0, bounding box centred on x = y = 0."""
    lo, hi = mesh.bounds()
    centre = (lo + hi) / 2
    scale = 1.0 / (hi[2] - lo[2])
    return mesh.transformed(scale, (-centre[0] * scale, -centre[1] * scale, -lo[2] * scale))
