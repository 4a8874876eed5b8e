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
from ..mesh.clean import part_labels, part_volumes, compact
from ..mesh.trimesh import TriMesh
from ..reconstruct.surface_nets import surface_nets
from ..voxelize import voxelize
from .nearest import distances_within

MAX_VOXELS = 6_000_000  # the cavity grid; a few hundred MB of temporaries at most

# (mesh, points, radius) -> distance per point where <= radius, inf elsewhere
WithinFn = Callable[[TriMesh, np.ndarray, float], np.ndarray]


class NoCleanDrain(Exception):
    """Cavities exist, but none has a drain that leaves the solid cleanly (straight down): the
    figure stays solid rather than trap resin or be scarred by a pipe along its outside."""


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
        wanted = []
        for part in np.flatnonzero(keep):
            pv = cav.vertices[np.unique(cav.triangles[tri_part == part])]
            wanted.append((_drain_points(pv, drain_diameter, drains_per_cavity), pv))
        wanted += [([np.asarray(p, float)], None) for p in extra_drains or []]
        for points, pv in wanted:
            drained = False
            for point in points:
                found = _clean_drain(inside, origin, step, r, point, pv)
                if found is not None:
                    x, y, z, bottom = found
                    drained = True
                    drains.append({"x": round(x, 4), "y": round(y, 4), "z_top": round(z + r, 4),
                                   "z_bottom": round(bottom, 4), "diameter": float(drain_diameter)})
            if not drained and pv is not None:
                # No clean way out: that space stays solid rather than trap resin. (Its box may
                # also hold a neighbour's cavity: that only leaves more solid, never less.)
                box = np.all((centres >= pv.min(axis=0) - step) & (centres <= pv.max(axis=0) + step), axis=1)
                field[tuple(idx[box].T)] = np.minimum(field[tuple(idx[box].T)], -0.5 * step)
        # Pipes join the cavity field; the union is one level set, so surface nets gives one
        # closed surface with the pipes already merged.
        for dr in drains:
            field = np.maximum(field, _cylinder_field(origin, step, shape, dr))
        if not (field > 0).any():  # every cavity stayed solid: no clean way out for any
            raise NoCleanDrain("no cavity has a drain hole that leaves the figure cleanly straight down")
        verts, tris = surface_nets(field.astype(np.float32))
        cav = TriMesh(origin + verts.astype(np.float64) * step, tris)
        tri_part, n = part_labels(cav)
        vols = part_volumes(cav, tri_part, n)
        keep = vols >= floor
        if not drains or not keep.any():
            raise NoCleanDrain("no cavity has a drain hole that leaves the figure cleanly straight down")
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


def _pipe_exit(inside: np.ndarray, origin: np.ndarray, step: float, radius: float, x: float, y: float,
               z: float) -> float | None:
    """Where a vertical pipe of ``radius`` from (x, y, z) down leaves the solid cleanly: the
    height just below the first layer where its whole cross-section is in the air, provided the
    cross-section goes from all-solid to all-air within a wall's few layers. None when the pipe
    would run along the outside for a stretch (its rim half in the solid, e.g. down the inner
    side of a leg): a boolean cannot cut that cleanly, and it would scar the surface."""
    nx, ny, nz = inside.shape
    reach = radius + step
    xs = origin[0] + np.arange(nx) * step
    ys = origin[1] + np.arange(ny) * step
    disc = np.hypot(xs[:, None] - x, ys[None, :] - y) <= reach
    if not disc.any():
        return None
    k = int(np.clip(round((z - origin[2]) / step), 0, nz - 1))
    # Fraction of the cross-section in the solid, layer by layer from the cavity down.
    solid = inside[disc][:, : k + 1].mean(axis=0)[::-1]
    air = np.flatnonzero(solid == 0.0)
    k_air = int(air[0]) if len(air) else len(solid)  # layers below the cavity point until all-air
    partial = np.count_nonzero((solid[:k_air] > 0) & (solid[:k_air] < 1))
    if partial > max(3, int(np.ceil(2 * radius / step))):  # a grazing run, not a crossing
        return None
    return float(origin[2] + (k - k_air) * step - step)


def _clean_drain(inside, origin, step, radius, point, pv) -> tuple[float, float, float, float] | None:
    """A drain for a cavity point: straight down from it if that pipe leaves the solid
    cleanly, else from the nearest of the cavity's other low points whose pipe does (a handful
    tried, lowest first). None when no clean way out was found (the void is then reported)."""
    candidates = [np.asarray(point, float)]
    if pv is not None:
        low = pv[pv[:, 2] <= point[2] + 4.0 * radius]
        order = np.argsort(np.hypot(low[:, 0] - point[0], low[:, 1] - point[1]))
        candidates += [low[i] for i in order[1::max(1, len(order) // 12)][:12]]
    for x, y, z in candidates:
        bottom = _pipe_exit(inside, origin, step, radius, float(x), float(y), float(z))
        if bottom is not None:
            return float(x), float(y), float(z), bottom
    return None


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
