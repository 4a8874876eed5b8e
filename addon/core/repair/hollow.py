# SPDX-License-Identifier: GPL-3.0-or-later
"""Hollowing for resin printing, in array form: the cavity, its drain holes, the saving.

The cavity is every point inside the figure farther than the wall thickness from its surface.
It is found on a voxel grid (inside test by ray parity, distance by exact nearest-triangle
queries near the threshold), and turned into a *cutter*: a closed surface around the cavity
plus a vertical drain pipe per cavity down through its floor. The host subtracts the cutter
from the figure with a boolean, so the outer surface keeps every detail, and then measures the
real volumes — the saving reported is what the mesh shows, not an estimate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import BadInputError
from ..meshclean import part_labels, part_volumes, compact
from ..meshdata import TriMesh
from ..reconstruct.surface_nets import surface_nets
from ..voxelize import voxelize
from .nearest import distances_within

MAX_VOXELS = 6_000_000  # the cavity grid; a few hundred MB of temporaries at most

# (mesh, points, radius) -> distance per point where <= radius, inf elsewhere
WithinFn = Callable[[TriMesh, np.ndarray, float], np.ndarray]


@dataclass
class Cutter:
    mesh: TriMesh  # closed, outward wound: cavity + drain pipes
    spacing: float  # grid step used (mm)
    cavities: int
    drains: list  # [{"x", "y", "z_top", "z_bottom", "diameter"}]
    cavity_volume_estimate: float  # mm³ of the cavity field (before the boolean)


def _grid(mesh: TriMesh, step: float, pad: float):
    lo, hi = mesh.bounds()
    lo = lo - pad
    hi = hi + pad
    shape = np.ceil((hi - lo) / step).astype(np.int64) + 1
    return lo, shape


def cavity_cutter(mesh: TriMesh, wall: float, drain_diameter: float = 2.0, *, spacing: float | None = None,
                  min_cavity_mm3: float | None = None, drains_per_cavity: int = 2,
                  within_fn: WithinFn | None = None, extra_drains: list | None = None) -> Cutter | None:
    """The cutter for a hollow with walls at least ``wall`` mm thick; None if no cavity fits.

    ``extra_drains`` are more (x, y, z) cavity points to drill down from — the host passes the
    low points of voids its boolean left sealed."""
    if not (np.isfinite(wall) and wall > 0):
        raise BadInputError(f"wall thickness {wall} mm is not usable", hint="use a wall of 0.8 to 5 mm")
    if not (np.isfinite(drain_diameter) and drain_diameter >= 0):
        raise BadInputError(f"drain hole diameter {drain_diameter} mm is not usable", hint="use 0 (none) or 1 to 5 mm")
    lo, hi = mesh.bounds()
    size = hi - lo
    pad = drain_diameter + 2.0 * wall
    step = spacing or wall / 3.0
    # Grow the step until the padded grid fits the voxel budget.
    while np.prod(np.ceil((size + 2 * pad) / step) + 1) > MAX_VOXELS:
        step *= 1.25
    origin, shape = _grid(mesh, step, pad)
    inside = voxelize(mesh, origin - step / 2, step, shape)  # centres at origin + i*step
    idx = np.argwhere(inside)
    centres = origin + idx * step
    # Keep the cavity's surface at least ``wall`` from the outside: the surface-nets vertex can
    # sit up to half a step towards the wall from the interpolated iso-level.
    level = wall + 0.5 * step
    reach = level + 2.0 * step  # exact distances wherever the iso-level is interpolated
    d = (within_fn or distances_within)(mesh, centres, reach)
    field = np.full(shape, -1.0, dtype=np.float64)
    # Inside: distance minus the level (positive in the cavity); beyond reach a constant.
    field[tuple(idx.T)] = np.where(np.isfinite(d), d, reach) - level
    # Morphological opening (erode, then dilate, one voxel): channels under ~3 voxels wide —
    # e.g. a thread along the axis of a leg just thicker than two walls — hold no useful
    # volume, cannot drain, and would pinch off into sealed voids in the mesh.
    cavity = field > 0
    opened = _dilate(_erode(cavity))
    field[cavity & ~opened] = -0.5 * step
    if not opened.any():
        return None
    verts, tris = surface_nets(field.astype(np.float32))
    cav = TriMesh(origin + verts.astype(np.float64) * step, tris)
    tri_part, n = part_labels(cav)
    vols = part_volumes(cav, tri_part, n)
    floor = min_cavity_mm3 if min_cavity_mm3 is not None else max(20.0 * step ** 3, (2 * drain_diameter) ** 3)
    keep = vols >= floor
    if not keep.any():
        return None
    drains = []
    if drain_diameter > 0:
        r = drain_diameter / 2.0
        for part in np.flatnonzero(keep):
            pv = cav.vertices[np.unique(cav.triangles[tri_part == part])]
            points = _drain_points(pv, drain_diameter, drains_per_cavity)
            for x, y, z in points:
                bottom = _exit_below(inside, origin, step, x, y, z)
                drains.append({"x": round(float(x), 4), "y": round(float(y), 4), "z_top": round(float(z + r), 4),
                               "z_bottom": round(float(bottom), 4), "diameter": float(drain_diameter)})
        for x, y, z in extra_drains or []:
            bottom = _exit_below(inside, origin, step, x, y, z)
            drains.append({"x": round(float(x), 4), "y": round(float(y), 4), "z_top": round(float(z + r), 4),
                           "z_bottom": round(float(bottom), 4), "diameter": float(drain_diameter)})
        # Pipes join the cavity field; the union is one level set, so surface nets gives one
        # closed surface with the pipes already merged.
        for dr in drains:
            field = np.maximum(field, _cylinder_field(origin, step, shape, dr))
        verts, tris = surface_nets(field.astype(np.float32))
        cav = TriMesh(origin + verts.astype(np.float64) * step, tris)
        tri_part, n = part_labels(cav)
        vols = part_volumes(cav, tri_part, n)
        keep = vols >= floor
    cav = compact(cav, keep[tri_part])
    return Cutter(cav, float(step), int(np.count_nonzero(keep)), drains, float(vols[keep].sum()))


def _erode(mask: np.ndarray) -> np.ndarray:
    out = mask.copy()
    for axis in range(3):
        out[tuple(slice(1, None) if a == axis else slice(None) for a in range(3))] &= \
            mask[tuple(slice(None, -1) if a == axis else slice(None) for a in range(3))]
        out[tuple(slice(None, -1) if a == axis else slice(None) for a in range(3))] &= \
            mask[tuple(slice(1, None) if a == axis else slice(None) for a in range(3))]
    return out


def _dilate(mask: np.ndarray) -> np.ndarray:
    out = mask.copy()
    for axis in range(3):
        out[tuple(slice(1, None) if a == axis else slice(None) for a in range(3))] |= \
            mask[tuple(slice(None, -1) if a == axis else slice(None) for a in range(3))]
        out[tuple(slice(None, -1) if a == axis else slice(None) for a in range(3))] |= \
            mask[tuple(slice(1, None) if a == axis else slice(None) for a in range(3))]
    return out


def _drain_points(pv: np.ndarray, diameter: float, count: int) -> list:
    """The cavity's lowest point, plus (for two holes) the low point farthest from it, so
    resin drains and air enters without a suction cup forming."""
    low = pv[np.argmin(pv[:, 2])]
    points = [low]
    if count >= 2:
        band = pv[pv[:, 2] <= low[2] + 2.0 * diameter]
        far = band[np.argmax(np.linalg.norm(band[:, :2] - low[:2], axis=1))]
        if np.linalg.norm(far[:2] - low[:2]) >= 3.0 * diameter:
            points.append(far)
    return points


def _exit_below(inside: np.ndarray, origin: np.ndarray, step: float, x: float, y: float, z: float) -> float:
    """Height just below where the vertical line through (x, y) leaves the solid, going down
    from z: the drain ends there (plus a margin), so it never cuts into parts further below."""
    i = int(np.clip(round((x - origin[0]) / step), 0, inside.shape[0] - 1))
    j = int(np.clip(round((y - origin[1]) / step), 0, inside.shape[1] - 1))
    k = int(np.clip(round((z - origin[2]) / step), 0, inside.shape[2] - 1))
    column = inside[i, j, : k + 1]
    outside = np.flatnonzero(~column)
    k_exit = int(outside[-1]) if len(outside) else 0
    return float(origin[2] + k_exit * step - step)


def _cylinder_field(origin, step, shape, dr: dict) -> np.ndarray:
    """Signed distance-like field, positive inside a vertical cylinder (a drain pipe)."""
    nx, ny, nz = (int(s) for s in shape)
    x = origin[0] + np.arange(nx) * step
    y = origin[1] + np.arange(ny) * step
    z = origin[2] + np.arange(nz) * step
    radial = dr["diameter"] / 2.0 - np.hypot(x[:, None] - dr["x"], y[None, :] - dr["y"])
    axial = np.minimum(z - dr["z_bottom"], dr["z_top"] - z)
    return np.minimum(radial[:, :, None], axial[None, None, :])


def volume_saving(before: TriMesh, after: TriMesh) -> dict:
    """Material saved, from the meshes' own (divergence theorem) volumes, in mm³ and ml."""
    v0, v1 = before.volume(), after.volume()
    if v0 <= 0:
        raise BadInputError("the figure has no enclosed volume", hint="run Make Printable first")
    saved = v0 - v1
    return {"volume_before_mm3": round(v0, 3), "volume_after_mm3": round(v1, 3),
            "saved_mm3": round(saved, 3), "saved_percent": round(100.0 * saved / v0, 2),
            "resin_before_ml": round(v0 / 1000.0, 4), "resin_after_ml": round(v1 / 1000.0, 4)}
