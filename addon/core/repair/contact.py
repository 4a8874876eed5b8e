# SPDX-License-Identifier: GPL-3.0-or-later
"""Do the figure's feet reach the base? Cross-sections of a closed mesh with numpy.

Fusing sinks the figure so its lowest point is a little below the base top. That connects
*something*, but if the lowest point is a cape hem, a sword tip or one toe, the figure will
stand on a sliver. What matters is the figure's cross-section in the plane of the base top:
its area (how much of the figure actually sits in the base) and whether it lies on the base.
"""

from __future__ import annotations

import numpy as np

from ..mesh.trimesh import TriMesh
from .bases import BaseSpec, inside_outline

# Below this contact area (mm²) the join is a point or a sliver: a resin print snaps there.
MIN_CONTACT_MM2 = 3.0


def section_segments(mesh: TriMesh, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Segments (start, end) where the plane at height ``z`` cuts the surface, oriented so the
    cut region is on their left (counter-clockwise seen from above) for outward winding."""
    c = mesh.triangle_corners()
    # Nudge the plane off vertices that sit exactly on it, so each crossing triangle has one
    # vertex on one side and two on the other.
    zs = c[:, :, 2]
    eps = 1e-9 * max(1.0, float(np.abs(zs).max(initial=1.0)))
    above = zs > z + eps
    n_above = above.sum(axis=1)
    cut = (n_above == 1) | (n_above == 2)
    c, above = c[cut], above[cut]
    if len(c) == 0:
        return np.zeros((0, 3)), np.zeros((0, 3))
    # The lonely vertex (the one on its own side) and the other two, in winding order.
    lonely = np.where(above.sum(axis=1) == 1, np.argmax(above, axis=1), np.argmin(above, axis=1))
    rows = np.arange(len(c))
    p = c[rows, lonely]
    q = c[rows, (lonely + 1) % 3]
    r = c[rows, (lonely + 2) % 3]

    def crossing(a, b):
        t = (z - a[:, 2]) / (b[:, 2] - a[:, 2])
        return a + t[:, None] * (b - a)

    s1, s2 = crossing(p, q), crossing(p, r)
    # Orientation: the outward in-plane direction (triangle normal) must be on the right of
    # start -> end, i.e. (end - start) · (z × n) > 0.
    n = np.cross(q - p, r - p)
    zxn = np.stack([-n[:, 1], n[:, 0], np.zeros(len(n))], axis=1)
    flip = np.einsum("ij,ij->i", s2 - s1, zxn) < 0
    start = np.where(flip[:, None], s2, s1)
    end = np.where(flip[:, None], s1, s2)
    return start, end


def section_area(mesh: TriMesh, z: float) -> float:
    """Area of the mesh's cross-section at height ``z`` (shoelace over the oriented cut)."""
    a, b = section_segments(mesh, z)
    return float(0.5 * np.sum(a[:, 0] * b[:, 1] - b[:, 0] * a[:, 1]))


def feet_contact(figure: TriMesh, spec: BaseSpec, base_top: float, centre=(0.0, 0.0),
                 min_area_mm2: float = MIN_CONTACT_MM2) -> dict:
    """How the (already placed) figure meets the top of the base at ``base_top``."""
    lo, _hi = figure.bounds()
    gap = float(lo[2] - base_top)
    area = section_area(figure, base_top) if gap < 0 else 0.0
    a, b = section_segments(figure, base_top)
    pts = np.concatenate([a[:, :2], b[:, :2]])
    on_base = float(inside_outline(spec, pts, centre=centre).mean()) if len(pts) else 0.0
    if gap > 0:
        ok, message = False, f"the feet end {gap:.2f} mm above the base; lower the figure or let the base sink it"
    elif area < min_area_mm2:
        ok, message = False, (f"only {area:.2f} mm² of the figure meets the base (the lowest point may be a cape "
                              "or a weapon, not the feet); stand the figure up or sink it deeper")
    elif on_base < 0.999:
        ok, message = False, f"{(1 - on_base) * 100:.0f}% of the figure's footprint overhangs the base; use a larger base"
    else:
        ok, message = True, f"feet meet the base over {area:.1f} mm²"
    return {"feet_reach_base": ok, "contact_area_mm2": round(area, 3), "gap_mm": round(max(gap, 0.0), 4),
            "footprint_on_base": round(on_base, 4), "message": message}


def suggest_round_base(figure: TriMesh, margin_mm: float = 2.0) -> float:
    """The smallest standard round base whose top holds the figure's footprint near its feet."""
    from .bases import ROUND_SIZES_MM

    lo, hi = figure.bounds()
    v = figure.vertices
    low = v[v[:, 2] <= lo[2] + 0.1 * (hi[2] - lo[2])]
    centre = (lo[:2] + hi[:2]) / 2
    radius = float(np.linalg.norm(low[:, :2] - centre, axis=1).max()) + margin_mm
    for size in ROUND_SIZES_MM:
        if size / 2 >= radius:
            return size
    return ROUND_SIZES_MM[-1]
