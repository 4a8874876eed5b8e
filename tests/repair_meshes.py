# SPDX-License-Identifier: GPL-3.0-or-later
"""Small broken "figures" for the repair tests, built with numpy.

A figure is a union of overlapping closed primitives written as separate shells, so it
self-intersects where they overlap (as generated meshes often do); the damage helpers then
punch holes, flip faces and add floating bits.
"""

from __future__ import annotations

import numpy as np

from figurine_forge.core.mesh.trimesh import TriMesh
from printcheck_meshes import join as combine  # (one mesh-joining helper for all the test meshes)


def ellipsoid(radii, centre, seg: int = 24, rings: int = 12) -> TriMesh:
    """A closed UV ellipsoid, outward wound."""
    th = np.linspace(0, np.pi, rings + 1)[1:-1]
    ph = np.linspace(0, 2 * np.pi, seg, endpoint=False)
    ring = np.stack([np.sin(th)[:, None] * np.cos(ph), np.sin(th)[:, None] * np.sin(ph),
                     np.repeat(np.cos(th)[:, None], seg, 1)], -1).reshape(-1, 3)
    v = np.concatenate([[[0, 0, 1]], ring, [[0, 0, -1]]]) * np.asarray(radii, float) + np.asarray(centre, float)
    j = np.arange(seg)
    jn = (j + 1) % seg
    top = np.stack([np.zeros(seg, int), 1 + j, 1 + jn], 1)
    i = np.arange(rings - 2)[:, None]
    a = 1 + i * seg + j
    b = 1 + i * seg + jn
    mid = np.concatenate([np.stack([a, a + seg, b + seg], -1).reshape(-1, 3),
                          np.stack([a, b + seg, b], -1).reshape(-1, 3)])
    last = 1 + (rings - 2) * seg
    bottom = np.stack([last + j, np.full(seg, len(v) - 1), last + jn], 1)
    return TriMesh(v, np.concatenate([top, mid, bottom]))


def cylinder(radius, z0, z1, centre_xy, seg: int = 24) -> TriMesh:
    """A closed vertical cylinder, outward wound."""
    ph = np.linspace(0, 2 * np.pi, seg, endpoint=False)
    ring = np.stack([radius * np.cos(ph) + centre_xy[0], radius * np.sin(ph) + centre_xy[1]], 1)
    v = np.concatenate([np.column_stack([ring, np.full(seg, z0)]), np.column_stack([ring, np.full(seg, z1)]),
                        [[centre_xy[0], centre_xy[1], z0], [centre_xy[0], centre_xy[1], z1]]])
    j = np.arange(seg)
    jn = (j + 1) % seg
    side = np.concatenate([np.stack([j, jn, seg + jn], 1), np.stack([j, seg + jn, seg + j], 1)])
    bottom = np.stack([np.full(seg, 2 * seg), jn, j], 1)
    top = np.stack([np.full(seg, 2 * seg + 1), seg + j, seg + jn], 1)
    return TriMesh(v, np.concatenate([side, bottom, top]))


def figure(height: float = 32.0, seg: int = 24) -> TriMesh:
    """Legs, body and head as overlapping shells (self-intersecting), feet at z = 0."""
    s = height / 32.0
    parts = [cylinder(1.6 * s, 0.0, 14.0 * s, (-2.2 * s, 0.0), seg),
             cylinder(1.6 * s, 0.0, 14.0 * s, (2.2 * s, 0.0), seg),
             ellipsoid((5.0 * s, 3.2 * s, 7.0 * s), (0, 0, 19.0 * s), seg, seg // 2),
             ellipsoid((3.0 * s, 3.0 * s, 3.5 * s), (0, 0, 28.5 * s), seg, seg // 2)]
    return combine(*parts)


def damaged_figure(height: float = 32.0, seed: int = 3) -> TriMesh:
    """The figure with holes, flipped faces and floating bits."""
    rng = np.random.default_rng(seed)
    fig = figure(height)
    tris = fig.triangles.copy()
    n = len(tris)
    # Holes: drop a handful of separate triangles (each leaves a small open loop).
    holes = rng.choice(n, 6, replace=False)
    keep = np.ones(n, bool)
    keep[holes] = False
    # Flipped faces: reverse the winding of some others.
    flip = rng.choice(np.flatnonzero(keep), 20, replace=False)
    tris[flip] = tris[flip][:, ::-1]
    tris = tris[keep]
    s = height / 32.0
    specks = [ellipsoid((0.15 * s,) * 3, (8.0 * s, 3.0 * s, 20.0 * s), 8, 4),
              ellipsoid((0.1 * s,) * 3, (-7.0 * s, -2.0 * s, 6.0 * s), 8, 4)]
    return combine(TriMesh(fig.vertices, tris), *specks)
