# SPDX-License-Identifier: GPL-3.0-or-later
"""Distances from points to a triangle surface, and between two surfaces, with numpy.

The queries we need are short: after a repair the two surfaces are a voxel or so apart, and the
hollowing asks "is any surface within the wall thickness of this voxel?". So triangles are put
in a uniform grid with their boxes grown by a search radius ``r``; a point then only needs the
triangles listed in its own cell. Any triangle within ``r`` of a point is listed there (its box,
grown by ``r``, contains the point), so a candidate minimum ``<= r`` is exact. Points farther
than ``r`` from everything are answered in a second round with a larger radius, for those points
only.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..meshdata import TriMesh

PAIR_BATCH = 1 << 20  # point-triangle pairs per numpy batch (~250 MB of temporaries at most)
_MAX_ENTRIES = 24_000_000  # grid registrations before the cell is grown


def point_triangle_sq_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Squared distance from each point ``p[k]`` to triangle ``(a[k], b[k], c[k])``.

    The closest point is found by the Voronoi region of the triangle the point projects into
    (vertex, edge or face), as in Ericson's *Real-Time Collision Detection*, for all pairs at
    once; regions are tested in the same priority order so ties resolve identically."""
    ab, ac, ap = b - a, c - a, p - a
    d1 = np.einsum("ij,ij->i", ab, ap)
    d2 = np.einsum("ij,ij->i", ac, ap)
    bp = p - b
    d3 = np.einsum("ij,ij->i", ab, bp)
    d4 = np.einsum("ij,ij->i", ac, bp)
    cp = p - c
    d5 = np.einsum("ij,ij->i", ab, cp)
    d6 = np.einsum("ij,ij->i", ac, cp)
    vc = d1 * d4 - d3 * d2
    vb = d5 * d2 - d1 * d6
    va = d3 * d6 - d5 * d4
    with np.errstate(divide="ignore", invalid="ignore"):
        t_ab = np.nan_to_num(d1 / (d1 - d3))
        t_ac = np.nan_to_num(d2 / (d2 - d6))
        t_bc = np.nan_to_num((d4 - d3) / ((d4 - d3) + (d5 - d6)))
        denom = va + vb + vc
        v = np.nan_to_num(vb / denom)
        w = np.nan_to_num(vc / denom)
    in_a = (d1 <= 0) & (d2 <= 0)
    in_b = (d3 >= 0) & (d4 <= d3)
    in_ab = (vc <= 0) & (d1 >= 0) & (d3 <= 0)
    in_c = (d6 >= 0) & (d5 <= d6)
    in_ac = (vb <= 0) & (d2 >= 0) & (d6 <= 0)
    in_bc = (va <= 0) & ((d4 - d3) >= 0) & ((d5 - d6) >= 0)
    # Closest point as a + s*ab + t*ac, region by region (first matching region wins).
    s = np.select([in_a, in_b, in_ab, in_c, in_ac, in_bc], [0.0, 1.0, t_ab, 0.0, 0.0, 1.0 - t_bc], v)
    t = np.select([in_a, in_b, in_ab, in_c, in_ac, in_bc], [0.0, 0.0, 0.0, 1.0, t_ac, t_bc], w)
    q = a + s[:, None] * ab + t[:, None] * ac
    d = p - q
    return np.einsum("ij,ij->i", d, d)


class _GrownGrid:
    """Triangles listed in every cell their bounding box, grown by ``radius``, overlaps."""

    def __init__(self, mesh: TriMesh, radius: float):
        corners = mesh.triangle_corners()
        self.a = np.ascontiguousarray(corners[:, 0])
        self.b = np.ascontiguousarray(corners[:, 1])
        self.c = np.ascontiguousarray(corners[:, 2])
        bmin = corners.min(axis=1) - radius
        bmax = corners.max(axis=1) + radius
        self.lo = bmin.min(axis=0)
        extent = np.maximum(bmax.max(axis=0) - self.lo, 1e-9)
        # Candidates per point grow with (cell + 2 radius)² and registrations per triangle with
        # ((size + 2 radius) / cell)³: a cell of two radii, but no smaller than a typical
        # triangle, balances the two. Grown when the table would get too big.
        size = float(np.median((corners.max(axis=1) - corners.min(axis=1)).max(axis=1)))
        cell = max(2.0 * radius, size, float(extent.max()) / 2048)
        while True:
            dims = np.floor(extent / cell).astype(np.int64) + 1
            per = np.prod(np.floor((bmax - bmin) / cell) + 2, axis=1)
            if float(per.sum()) <= _MAX_ENTRIES and float(np.prod(dims.astype(np.float64))) < 2**62:
                break
            cell *= 1.5
        self.cell, self.dims = cell, dims
        lo_i = self._coords(bmin)
        hi_i = self._coords(bmax)
        n = hi_i - lo_i + 1
        per = n[:, 0] * n[:, 1] * n[:, 2]
        tri = np.repeat(np.arange(len(corners), dtype=np.int64), per)
        local = np.arange(len(tri), dtype=np.int64) - np.repeat(np.cumsum(per) - per, per)
        nyz = np.repeat(n[:, 1] * n[:, 2], per)
        nz = np.repeat(n[:, 2], per)
        i = np.repeat(lo_i[:, 0], per) + local // nyz
        rem = local % nyz
        j = np.repeat(lo_i[:, 1], per) + rem // nz
        k = np.repeat(lo_i[:, 2], per) + rem % nz
        key = self._linear(i, j, k)
        order = np.argsort(key, kind="stable")
        key = key[order]
        self.tris = tri[order]
        brk = np.flatnonzero(np.diff(key)) + 1 if len(key) else np.zeros(0, np.int64)
        self.starts = np.concatenate([[0], brk]).astype(np.int64) if len(key) else np.zeros(0, np.int64)
        self.counts = np.diff(np.append(self.starts, len(key)))
        self.keys = key[self.starts] if len(key) else np.zeros(0, np.int64)

    def _coords(self, p: np.ndarray) -> np.ndarray:
        ijk = np.floor((p - self.lo) / self.cell).astype(np.int64)
        return np.clip(ijk, 0, self.dims - 1)

    def _linear(self, i, j, k):
        return (i * self.dims[1] + j) * self.dims[2] + k

    def min_sq_distance(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Squared distance to the nearest listed candidate (inf when the cell is empty) and
        that candidate's triangle index (-1 when none)."""
        out = np.full(len(points), np.inf)
        out_tri = np.full(len(points), -1, dtype=np.int64)
        inside = np.all((points >= self.lo) & (points < self.lo + self.dims * self.cell), axis=1)
        idx = np.flatnonzero(inside)
        if len(idx) == 0 or len(self.keys) == 0:
            return out, out_tri
        ijk = self._coords(points[idx])
        key = self._linear(ijk[:, 0], ijk[:, 1], ijk[:, 2])
        slot = np.searchsorted(self.keys, key)
        slot = np.minimum(slot, len(self.keys) - 1)
        hit = self.keys[slot] == key
        idx, slot = idx[hit], slot[hit]
        counts = self.counts[slot]
        # Batches of whole points, each holding about PAIR_BATCH point-triangle pairs.
        cum = np.cumsum(counts)
        start = 0
        while start < len(idx):
            done = int(cum[start - 1]) if start else 0
            stop = max(int(np.searchsorted(cum, done + PAIR_BATCH, side="right")), start + 1)
            cnt = counts[start:stop]
            owner = np.repeat(np.arange(stop - start), cnt)
            first = np.cumsum(cnt) - cnt
            pos = np.arange(len(owner)) - np.repeat(first, cnt) + np.repeat(self.starts[slot[start:stop]], cnt)
            tri = self.tris[pos]
            d2 = point_triangle_sq_distance(points[idx[start:stop]][owner], self.a[tri], self.b[tri], self.c[tri])
            # Per point: the smallest distance and its triangle (sort by point, then distance).
            order = np.lexsort((d2, owner))
            head = np.flatnonzero(np.r_[True, np.diff(owner[order]) != 0])
            pick = order[head]
            out[idx[start:stop][owner[pick]]] = d2[pick]
            out_tri[idx[start:stop][owner[pick]]] = tri[pick]
            start = stop
        return out, out_tri


def typical_edge(mesh: TriMesh) -> float:
    """Median longest triangle side: the mesh's own length scale."""
    c = mesh.triangle_corners()
    step = max(1, len(c) // 100_000)  # a deterministic subsample is plenty for a median
    c = c[::step]
    sides = np.stack([np.linalg.norm(c[:, 1] - c[:, 0], axis=1), np.linalg.norm(c[:, 2] - c[:, 1], axis=1),
                      np.linalg.norm(c[:, 0] - c[:, 2], axis=1)], axis=1)
    return float(np.median(sides.max(axis=1))) if len(sides) else 1.0


def distances_within(mesh: TriMesh, points: np.ndarray, radius: float) -> np.ndarray:
    """Distance from each point to the surface where it is ``<= radius``; inf elsewhere."""
    return _within(mesh, points, radius)[0]


def _within(mesh: TriMesh, points: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    grid = _GrownGrid(mesh, radius)
    d2, tri = grid.min_sq_distance(np.asarray(points, dtype=np.float64))
    d = np.sqrt(d2)
    far = d > radius
    d[far] = np.inf
    tri[far] = -1
    return d, tri


def nearest_distances(mesh: TriMesh, points: np.ndarray, radius: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Exact unsigned distance from each point to the surface of ``mesh``, and the index of
    the nearest triangle.

    Starts with a radius of half a typical triangle and doubles it for the points not yet
    answered, so near points (the common case) stay cheap. Far points cost more; hosts with a
    BVH may pass their own function where this is called (see :data:`DistanceFn`)."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    if mesh.is_empty:
        raise ValueError("distance to an empty mesh")
    lo, hi = mesh.bounds()
    diag = float(np.linalg.norm(hi - lo)) or 1.0
    r = radius if radius and radius > 0 else 0.5 * typical_edge(mesh)
    r = max(r, diag * 1e-5)
    out = np.full(len(points), np.inf)
    out_tri = np.full(len(points), -1, dtype=np.int64)
    todo = np.arange(len(points))
    while len(todo):
        d, tri = _within(mesh, points[todo], r)
        found = np.isfinite(d)
        out[todo[found]] = d[found]
        out_tri[todo[found]] = tri[found]
        todo = todo[~found]
        r *= 2.0
        if len(todo) and r > 2.0 * diag:
            # Points far outside the box: jump straight to a radius that must reach the mesh.
            gap = np.linalg.norm(np.maximum(np.maximum(lo - points[todo], points[todo] - hi), 0.0), axis=1)
            r = max(r, float(gap.max()) + diag)
    return out, out_tri


def sample_surface(mesh: TriMesh, count: int, seed: int = 0) -> np.ndarray:
    """``count`` points spread over the surface with uniform density (area-weighted)."""
    areas = mesh.face_areas()
    total = float(areas.sum())
    if total <= 0 or count <= 0:
        return np.zeros((0, 3))
    rng = np.random.default_rng(seed)
    tri = rng.choice(len(areas), size=count, p=areas / total)
    u, v = rng.random(count), rng.random(count)
    flip = u + v > 1.0  # fold the unit square onto the triangle
    u[flip], v[flip] = 1.0 - u[flip], 1.0 - v[flip]
    c = mesh.triangle_corners()[tri]
    return c[:, 0] + u[:, None] * (c[:, 1] - c[:, 0]) + v[:, None] * (c[:, 2] - c[:, 0])


# (mesh, points) -> (distance per point, nearest triangle index per point)
DistanceFn = Callable[[TriMesh, np.ndarray], tuple[np.ndarray, np.ndarray]]


def surface_deviation(original: TriMesh, result: TriMesh, *, samples: int = 60_000, seed: int = 0,
                      distance_fn: DistanceFn | None = None, internal_depth: float | None = None) -> dict:
    """How far two surfaces are apart, in the meshes' units (mm for print meshes).

    Both directions are measured (result → original shows added material such as filled holes;
    original → result shows lost detail). ``mean_mm`` is the mean over uniformly spread surface
    samples (area-weighted, so it is the mean surface distance); ``max_mm`` also includes every
    vertex (up to ``samples``), where the largest distances usually sit.

    With ``internal_depth``, original samples lying deeper than that *inside* the (closed)
    result are left out and counted instead: they are faces buried inside other parts of a
    self-intersecting original (a leg pushed into a body), which a repair rightly removes and
    nobody sees. ``distance_fn`` may replace the numpy nearest-point search (e.g. a host BVH)."""
    dist = distance_fn or nearest_distances
    out: dict = {}
    means, maxes = [], []
    rng = np.random.default_rng(seed + 1)
    for name, src, dst in (("result_to_original", result, original), ("original_to_result", original, result)):
        pts = sample_surface(src, samples, seed)
        verts = src.vertices[np.unique(src.triangles)]
        if len(verts) > samples:
            verts = verts[rng.choice(len(verts), samples, replace=False)]
        d, tri = dist(dst, np.concatenate([pts, verts]))
        entry: dict = {}
        keep = np.ones(len(d), bool)
        if internal_depth is not None and dst is result:
            q = np.concatenate([pts, verts])
            n = result.face_normals()[tri]
            signed = np.einsum("ij,ij->i", q - result.vertices[result.triangles[tri, 0]], n)
            keep = ~(signed < -internal_depth)
            entry["internal_excluded_fraction"] = round(float(1.0 - keep[: len(pts)].mean()), 5)
        d_pts = d[: len(pts)][keep[: len(pts)]]
        d_all = d[keep]
        mean = float(d_pts.mean()) if len(d_pts) else 0.0
        mx = float(d_all.max(initial=0.0))
        entry.update({"mean_mm": round(mean, 5), "max_mm": round(mx, 5),
                      "p95_mm": round(float(np.percentile(d_pts, 95)) if len(d_pts) else 0.0, 5)})
        out[name] = entry
        means.append(mean)
        maxes.append(mx)
    out["mean_mm"] = round(float(np.mean(means)), 5)
    out["max_mm"] = round(float(max(maxes)), 5)
    out["samples"] = int(samples)
    return out
